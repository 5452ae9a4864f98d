"""Autoscaling survives updates (docs/updates-and-expiry.md): variants registered with Application Auto Scaling.

SageMaker refuses an update that changes a registered variant's instance type or removes a
registered variant: "you must deregister the endpoint as a scalable target before you can update
it" ("Update or delete endpoints that use automatic scaling",
https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html). Before such
an update the controller records each such variant's scalable target (its limits) and scaling
policies, deregisters it ("Deregistering a scalable target deletes the scaling policies ... that
are associated with it", API_DeregisterScalableTarget), and once the update has settled, whether
it succeeded or SageMaker rolled it back, registers the variants that still exist again, with the
same limits and policies. Targets are ``endpoint/<name>/variant/<variant>`` in namespace
``sagemaker``, dimension ``sagemaker:variant:DesiredInstanceCount``.
"""

from __future__ import annotations

from typing import Any

from controller.scalable_targets import Dimension

INSTANCES = Dimension("sagemaker", "sagemaker:variant:DesiredInstanceCount")


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def _variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = config.get("ProductionVariants")
    return (
        {str(v.get("VariantName")): v for v in found if isinstance(v, dict)}
        if isinstance(found, list)
        else {}
    )


def in_the_way(
    endpoint: str, live_config: dict[str, Any], new_config: dict[str, Any]
) -> list[dict[str, Any]]:
    """The registered variants of ``endpoint`` the update to ``new_config`` would be refused
    for (an instance type changed, or the variant gone): each target with its policies."""
    live, wanted = _variants(live_config), _variants(new_config)
    changing = [
        name
        for name, variant in live.items()
        if name not in wanted or wanted[name].get("InstanceType") != variant.get("InstanceType")
    ]
    return INSTANCES.recorded([resource_id(endpoint, name) for name in changing])


def release(targets: list[dict[str, Any]]) -> None:
    INSTANCES.release(targets)


def restore(targets: list[dict[str, Any]], variants: set[str], endpoint: str) -> list[str]:
    """Register again the recorded targets whose variant ``endpoint`` still has; those restored."""
    restored = []
    for target in targets:
        variant = str(target["ResourceId"]).rsplit("/", 1)[-1]
        if variant in variants:
            INSTANCES.register(target)
            restored.append(f"{endpoint}/{variant}")
    return restored
