"""Copy-count autoscaling survives updates (docs/requests.md#inference-components), as variants' scaling does for SageMaker
endpoints (``providers/sagemaker/scaling.py``).

An inference component scales its copies through Application Auto Scaling: scalable target
``inference-component/<name>`` in namespace ``sagemaker``, dimension
``sagemaker:inference-component:DesiredCopyCount`` (MinCapacity may be 0: a component scaled to
zero, "Scale an endpoint to zero instances", https://docs.aws.amazon.com/sagemaker/latest/dg/
endpoint-auto-scaling-zero-instances.html). While a target is registered, Application Auto Scaling
sets the desired copy count itself, so it would move an update's copy count under it, and an
update that names a copy count would fight it. Before an update the controller records the
target (its limits) and its scaling policies, deregisters it ("Deregistering a scalable target
deletes the scaling policies ... that are associated with it", API_DeregisterScalableTarget), and
once the update has settled (succeeded, rolled back or failed, ``Provider.settled_update``)
registers it again with the same limits and policies, if the component still exists.
"""

from __future__ import annotations

from typing import Any

from controller.scalable_targets import Dimension

COPIES = Dimension("sagemaker", "sagemaker:inference-component:DesiredCopyCount")


def resource_id(component: str) -> str:
    return f"inference-component/{component}"


def registered(component: str) -> list[dict[str, Any]]:
    """The component's scalable target with its policies (empty when it has none)."""
    return COPIES.recorded([resource_id(component)])


def release(targets: list[dict[str, Any]]) -> None:
    COPIES.release(targets)


def restore(targets: list[dict[str, Any]]) -> list[str]:
    """Register the recorded targets again, with their policies; the components restored."""
    for target in targets:
        COPIES.register(target)
    return [str(target["ResourceId"]).split("/", 1)[-1] for target in targets]
