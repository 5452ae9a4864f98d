"""How the simulated SageMaker and Application Auto Scaling (the service its variants scale with)
validate a request: botocore's models, through the mechanism every simulated service shares
(``endpointctl.sim.validation``), in place of moto's hard-coded lists, which lag the services
(moto 5.2.5 knows 66 endpoint instance types of the model's 277, and 12 of Application Auto
Scaling's 15 namespaces).

What moto checks itself and this module replaces:

- SageMaker: ``FakeEndpointConfig.validate_production_variants`` refuses every instance type not
  on moto's own list (``ml.g5.*``, ``ml.inf2.*``, ``ml.p5.*`` …) and serverless memory sizes not
  on its own list. The model's enum now decides the instance type; what the model does not carry
  and the documentation states is kept in :func:`documented_variant_rules`, with its source.
- Application Auto Scaling: ``ApplicationAutoScalingResponse._validate_params`` and
  ``models._target_params_are_valid`` refuse every namespace and dimension not on moto's own
  enums (``sagemaker:inference-component:DesiredCopyCount`` among them). The model's enums now
  decide those; the documented consistency of namespace, dimension and resource id is kept in
  :func:`consistent_target`, and the capacities a new target needs, which moto does not check, are
  :func:`documented_scaling_rules`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest import mock

from endpointctl.sim.calls import CallLog
from endpointctl.sim.faults import json_error
from endpointctl.sim.validation import VALIDATION, Refusal, guard, refuse_moto_request

SERVICE = "sagemaker"
SCALING_SERVICE = "application-autoscaling"


def install(stack: ExitStack) -> None:
    """moto's lists out, the models in (SageMaker's own check is :func:`checked`, called by the
    simulator's ``call_action``, which logs the call and applies the scenario's faults)."""
    from moto.applicationautoscaling import models as scaling_models
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.sagemaker import models as sm_models

    stack.enter_context(
        mock.patch.object(sm_models.FakeEndpointConfig, "validate_production_variants", _variant_rules_method)
    )
    stack.enter_context(mock.patch.object(ApplicationAutoScalingResponse, "_validate_params", _nothing))
    stack.enter_context(mock.patch.object(scaling_models, "_target_params_are_valid", consistent_target))
    guard(stack, ApplicationAutoScalingResponse, SCALING_SERVICE, documented=documented_scaling_rules)


def checked(original: Callable[[Any], Any], log: CallLog) -> Callable[[Any, int], Any]:
    """``original`` (moto's ``call_action``) behind SageMaker's model: a request the model refuses
    is answered with SageMaker's ``ValidationException`` (the call logged as failed with it)."""

    def call(response: Any, logged: int) -> Any:
        refused = refuse_moto_request(response, SERVICE)
        if refused is None:
            return original(response)
        log.failed(logged, refused.code)
        return json_error(refused.fault(response._get_action()))

    return call


def documented_variant_rules(production_variants: list[dict[str, Any]]) -> None:
    """What SageMaker checks of a config's variants beyond its model, each from its document:

    - a variant is instance-based (``InstanceType``) or serverless (``ServerlessConfig``):
      ``ServerlessConfig`` "specifies a serverless endpoint configuration instead of an
      instance-based endpoint configuration" (API_ProductionVariant);
    - a serverless variant's ``MemorySizeInMB`` is a whole number of GB: "Valid values are in 1 GB
      increments: 1024 MB, 2048 MB, 3072 MB, 4096 MB, 5120 MB, or 6144 MB"
      (API_ProductionVariantServerlessConfig; the model carries only its range, 1024-6144).
    """
    from moto.sagemaker.exceptions import ValidationError

    for index, variant in enumerate(production_variants, start=1):
        at = f"productionVariants.{index}.member"  # where AWS's messages place the value
        serverless = variant.get("ServerlessConfig")
        if "InstanceType" not in variant and serverless is None:
            raise ValidationError(
                message=f"Production variant {variant.get('VariantName')} names neither an InstanceType "
                "nor a ServerlessConfig: an instance-based variant needs its InstanceType"
            )
        memory = serverless.get("MemorySizeInMB") if isinstance(serverless, dict) else None
        if isinstance(memory, int) and memory % 1024:
            raise ValidationError(
                message=f"1 validation error detected: Value '{memory}' at '{at}.serverlessConfig.memorySizeInMB' "
                "failed to satisfy constraint: Member must be in 1 GB increments: "
                "[1024, 2048, 3072, 4096, 5120, 6144]"
            )


def _variant_rules_method(_config: Any, production_variants: list[dict[str, Any]]) -> None:
    documented_variant_rules(production_variants)


def _nothing(_response: Any) -> None:
    return None


#: Resource types a dimension names that its resource id does not show (moto's own exceptions:
#: a custom resource's type, MSK's broker storage).
_TYPE_NOT_IN_ID = ("ResourceType", "broker-storage")


def consistent_target(namespace: str, resource_id: str, dimension: str | None) -> bool:
    """A scalable target's namespace, dimension and resource id name one kind of resource: the
    dimension "consists of the service namespace, resource type, and scaling property", and the
    resource id's form is the resource type's (API_RegisterScalableTarget, ``ResourceId`` and
    ``ScalableDimension``). Which namespaces and dimensions exist is the model's enum's to say."""
    from moto.applicationautoscaling import models as scaling_models
    from moto.applicationautoscaling.exceptions import AWSValidationException

    if dimension is None:
        return True
    parts = dimension.split(":")
    if len(parts) == 3:
        named_namespace, named_type, _ = parts
        shown = (
            named_type
            if named_type in _TYPE_NOT_IN_ID
            else scaling_models._get_resource_type_from_resource_id(resource_id)
        )
        if named_namespace == namespace and shown == named_type:
            return True
    raise AWSValidationException("Unsupported service namespace, resource type or scalable dimension")


def documented_scaling_rules(operation: str, params: Any) -> Refusal | None:
    """What Application Auto Scaling checks of ``RegisterScalableTarget`` beyond its model, from the
    API reference (API_RegisterScalableTarget, ``MinCapacity`` and ``MaxCapacity``):

    - both are "required when registering a new scalable target" (an update of a registered one
      may leave either out);
    - "the minimum value allowed is 0" for SageMaker endpoint variants and inference components
      (and the other resources listed there; for the rest it "depends on the type of resource"):
      a capacity below 0 is below every resource's minimum, a maximum as much as a minimum.
    """
    if operation != "RegisterScalableTarget" or not isinstance(params, dict):
        return None
    problems = [
        f"Value '{params[name]}' at '{name[0].lower() + name[1:]}' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0"
        for name in ("MinCapacity", "MaxCapacity")
        if isinstance(params.get(name), int) and params[name] < 0
    ]
    if problems:
        count = len(problems)
        return Refusal(
            VALIDATION, f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )
    missing = [name for name in ("MinCapacity", "MaxCapacity") if params.get(name) is None]
    if missing and not _registered(params):
        return Refusal(
            VALIDATION,
            f"{' and '.join(missing)} must be specified when registering a new scalable target "
            f"(resource ID: {params.get('ResourceId')})",
        )
    return None


def _registered(params: dict[str, Any]) -> bool:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    from endpointctl.template import ACCOUNT, REGION

    backend = applicationautoscaling_backends[ACCOUNT][REGION]
    return bool(backend._scalable_target_exists(params.get("ResourceId"), params.get("ScalableDimension")))
