"""Copy-count autoscaling of inference components with Application Auto Scaling: scalable targets
``inference-component/<name>``, dimension ``sagemaker:inference-component:DesiredCopyCount``,
``MinCapacity`` 0 allowed ("the minimum value allowed is 0" for SageMaker inference components,
API_RegisterScalableTarget ``MinCapacity``; scale to zero). The model's enums and the documented
capacity rules are the simulated Application Auto Scaling's own (``sim/sagemaker/validation.py``).

Here, at the Application Auto Scaling response (the backend's methods are the SageMaker
simulator's to wrap): a target of a component that does not exist is refused, as the service
validates the target with SageMaker before it registers it (security_iam_permission_validation.html);
registering moves the copy count into the new limits ("If the current capacity is outside the new
range, Application Auto Scaling scales to the nearest limit": API_RegisterScalableTarget,
``MinCapacity``/``MaxCapacity``), reflected in the component. Targets stay through updates of the
component; deleting the component deregisters its target (with its policies), as ``DeleteEndpoint``
does for variants (endpoint-auto-scaling-delete.html: by analogy; not documented for components).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest import mock

from endpointctl.sim.inference_component.authorization import DIMENSION, PREFIX
from endpointctl.sim.sagemaker.scaling import backend
from endpointctl.sim.validation import moto_request_params


def install(stack: ExitStack, copies: Callable[[str], int | None], scale: Callable[[str, int], None]) -> None:
    """``copies(name)``: the component's desired copy count (``None``: it does not exist);
    ``scale(name, copies)``: set it."""
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    original = ApplicationAutoScalingResponse.register_scalable_target

    def register(response: Any) -> Any:
        params = moto_request_params(response, "application-autoscaling")
        resource = str(params.get("ResourceId"))
        ours = params.get("ServiceNamespace") == "sagemaker" and resource.startswith(PREFIX)
        if ours and copies(resource.removeprefix(PREFIX)) is None:
            raise AWSValidationException(
                f"The resource {resource} does not exist: no inference component of that name"
            )
        answer = original(response)
        if ours:
            name = resource.removeprefix(PREFIX)
            settle(name, scale, copies(name))
        return answer

    stack.enter_context(
        mock.patch.object(ApplicationAutoScalingResponse, "register_scalable_target", register)
    )


def target(name: str) -> Any:
    return backend().targets.get(DIMENSION, {}).get(PREFIX + name)


def settle(name: str, scale: Callable[[str, int], None], current: int | None = None) -> None:
    found = target(name)
    if found is None or current is None:
        return
    low, high = found.min_capacity, found.max_capacity
    if low is not None and current < low:
        scale(name, int(low))
    elif high is not None and current > high:
        scale(name, int(high))


def release(name: str) -> None:
    if target(name) is not None:
        backend().deregister_scalable_target("sagemaker", PREFIX + name, DIMENSION)


def registered() -> list[str]:
    return sorted(r.removeprefix(PREFIX) for r in backend().targets.get(DIMENSION, {}))
