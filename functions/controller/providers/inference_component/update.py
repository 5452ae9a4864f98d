"""``action: update`` of an inference component (docs/requests.md#inference-components).

A new ``Specification`` (or ``Specifications``), with or without a ``RuntimeConfig`` and a
``DeploymentConfig`` (rolling policy, rollback alarms), is ``UpdateInferenceComponent``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html); a
copy-count change alone is ``UpdateInferenceComponentRuntimeConfig``
(.../API_UpdateInferenceComponentRuntimeConfig.html), which deploys nothing new.

The component must exist (``EndpointNotFound``) and be ``InService``: the Turn step waited out an
operation under way (``Provider.occupied``); one begun since is retried as transient. Its
autoscaling is taken off first (``scaling.py``), recorded in the requests table under the
execution, so a retried step reads the record rather than finding nothing to put back.

The verdict is the shared one (``controller/steps/readiness._judge_update``): ``Change.requested``
is what was asked in ``spec.words``; the component's ``Observation.serving`` is what it serves. After
SageMaker's own rollback (an alarm fired, new copies failed) the component is ``InService`` on its
previous specification, with a ``FailureReason``: ``serving`` differs, ``UpdateRolledBack``.
``Failed`` is ``EndpointUpdateFailed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from controller import aws, clock, store
from controller.errors import EndpointNotFound, TransientServiceError
from controller.providers.base import Change, Creation, Observation, Status
from controller.providers.inference_component import looks, scaling, spec
from controller.providers.inference_component.rules import UPDATE_FIELDS

if TYPE_CHECKING:
    from controller.creations import Creations
    from controller.providers.inference_component import InferenceComponentProvider

#: Statuses of an operation under way that ends by itself; an update waits them out.
UNDER_WAY = frozenset({"Creating", "Updating", "Deleting"})


def runtime_only(params: dict[str, Any]) -> bool:
    """A copy-count change alone: ``UpdateInferenceComponentRuntimeConfig``."""
    return "RuntimeConfig" in params and not any(
        key in params for key in ("Specification", "Specifications", "DeploymentConfig")
    )


def update(
    provider: InferenceComponentProvider, params: dict[str, Any], request_id: str, created: Creations
) -> Creation:
    name = params["InferenceComponentName"]
    described = provider.described(name)
    if described is None:
        raise EndpointNotFound(f"inference component {name} does not exist: there is nothing to update")
    key = _key(created.execution_arn)
    held = store.current().get(key)
    previous = spec.served(described)
    if held is not None and (held.get("sent") or _took_effect(held, described)):
        # An earlier attempt's call took effect and its answer was lost: wait for it.
        return _sent(name, described, held["previous"], held["requested"], held.get("targets", []))
    status = str(described.get("InferenceComponentStatus"))
    if status != "InService":
        raise TransientServiceError(
            f"UpdateInferenceComponent: inference component {name} is {status}, not InService yet"
        )
    wanted = spec.requested(params, described)
    targets = _take_off_scaling(name, key, held, previous, wanted, _modified(described))
    sagemaker = aws.client("sagemaker")
    if runtime_only(params):
        sagemaker.update_inference_component_runtime_config(
            InferenceComponentName=name, DesiredRuntimeConfig=params["RuntimeConfig"]
        )
    else:
        sagemaker.update_inference_component(**{k: params[k] for k in UPDATE_FIELDS if k in params})
    store.current().update(key, values={"sent": True})
    looks.forget(name)
    return _sent(name, described, previous, wanted, targets)


def _sent(
    name: str, described: dict[str, Any], previous: str, wanted: str, targets: list[dict[str, Any]]
) -> Creation:
    return Creation(
        name,
        Observation(
            status=Status.CREATING, provider_status="Updating", arn=described.get("InferenceComponentArn")
        ),
        change=Change(previous=previous, requested=wanted, scaling=tuple(targets)),
    )


def _modified(described: dict[str, Any]) -> str:
    return str(described.get("LastModifiedTime"))


def _took_effect(held: dict[str, Any], described: dict[str, Any]) -> bool:
    """Did an earlier attempt's update call take effect although its answer was lost (a 5xx or a
    read timeout after SageMaker acted)? The record holds the component's ``LastModifiedTime`` as
    it stood just before the call: an update under way, or a component modified since, is that
    call's doing (the Turn step lets no other update of the controller run meanwhile). Sending it
    again would be refused while ``Updating`` (retried until the budget is spent: ProviderError)
    or, once settled, deploy the same change a second time."""
    if "before" not in held:
        return False
    return (
        str(described.get("InferenceComponentStatus")) == "Updating" or _modified(described) != held["before"]
    )


def _take_off_scaling(
    name: str, key: str, held: dict[str, Any] | None, previous: str, wanted: str, before: str
) -> list[dict[str, Any]]:
    if held is not None:
        return list(held.get("targets", []))
    targets = scaling.registered(name)
    store.current().put(
        key,
        {"targets": targets, "previous": previous, "requested": wanted, "before": before},
        if_absent_or={},
        expires_at=int(clock.now()) + 30 * 86400,
    )
    scaling.release(targets)
    return targets


def _key(execution_arn: str) -> str:
    return f"#ic-update#{execution_arn}"


def taken_off(execution_arn: str) -> list[dict[str, Any]]:
    """The scalable targets this execution's update took off and has not put back."""
    held = store.current().get(_key(execution_arn))
    return list(held.get("targets", [])) if held is not None and not held.get("restored") else []


def put_back(execution_arn: str) -> None:
    store.current().update(_key(execution_arn), values={"restored": True})


def under_way(described: dict[str, Any] | None) -> str | None:
    """The status of an operation under way on the component an update must wait for."""
    if described is None:
        return None
    status = str(described.get("InferenceComponentStatus"))
    return status if status in UNDER_WAY else None
