"""What an ``inference-component`` request may say: botocore's model of the four calls, plus the
rules the SageMaker API reference states in prose.

- ``CreateInferenceComponent`` (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
  API_CreateInferenceComponent.html): ``Specification`` or ``Specifications`` ("You can use either
  this parameter or the singular Specification parameter, but not both"), one of them required here
  (a component without one serves nothing); ``Specifications`` is "one per instance type", so each
  names its ``InstanceType`` and no type twice. The model has no ``DeploymentConfig`` on create: a
  rolling policy governs an update only. ``RuntimeConfig.CopyCount`` may be 0 in the model (a
  component scaled to zero), but a create that asks for no copy serves nothing: at least 1 here.
- ``UpdateInferenceComponent`` (.../API_UpdateInferenceComponent.html): the same specification
  rule, and something to change (a specification, a runtime config or both; a ``DeploymentConfig``
  alone changes nothing). ``InferenceComponentRollingUpdatePolicy``
  (.../API_InferenceComponentRollingUpdatePolicy.html): ``WaitIntervalInSeconds`` 0-3,600,
  ``MaximumExecutionTimeoutInSeconds`` 600-28,800 and ``MaximumBatchSize.Type`` ``COPY_COUNT`` or
  ``CAPACITY_PERCENT`` are the model's; a ``CAPACITY_PERCENT`` batch is a percentage of the fleet
  (``InferenceComponentCapacitySize``, .../API_InferenceComponentCapacitySize.html), so at most
  100. ``AutoRollbackConfiguration.Alarms``: 1-10 alarms (the model), no name twice.
- ``DeleteInferenceComponent``: the name, nothing else.
- ``Tags``: SageMaker's rule (50 per resource, two kept for the controller's ownership tags), as
  for endpoints (``providers/sagemaker/rules.py``).
"""

from __future__ import annotations

from typing import Any

from controller.providers.sagemaker.rules import tag_rules
from controller.validation import FieldError, check_operation

SERVICE = "sagemaker"
#: The members of an update the controller sends to ``UpdateInferenceComponent``.
UPDATE_FIELDS = (
    "InferenceComponentName",
    "Specification",
    "Specifications",
    "RuntimeConfig",
    "DeploymentConfig",
)


def validate(action: str, params: Any) -> list[FieldError]:
    """Every broken field of ``params`` for ``action`` (empty when valid)."""
    if action == "delete":
        return _validate_delete(params)
    operation = "UpdateInferenceComponent" if action == "update" else "CreateInferenceComponent"
    errors = check_operation(params, SERVICE, operation)
    if not isinstance(params, dict):
        return errors
    if action != "update" and "DeploymentConfig" in params:
        errors = [e for e in errors if e.field != "params.DeploymentConfig"]
        errors.append(
            FieldError("params.DeploymentConfig", "applies to an update only (action: update), not a create")
        )
    _specification_rules(params, errors, required=action != "update")
    if action == "update":
        if not any(key in params for key in ("Specification", "Specifications", "RuntimeConfig")):
            errors.append(
                FieldError("params", "names nothing to update: give Specification(s), RuntimeConfig or both")
            )
        _deployment_rules(params.get("DeploymentConfig"), errors)
    else:
        runtime = params.get("RuntimeConfig")
        copies = runtime.get("CopyCount") if isinstance(runtime, dict) else None
        if isinstance(copies, int) and not isinstance(copies, bool) and copies < 1:
            errors.append(
                FieldError("params.RuntimeConfig.CopyCount", f"must be at least 1 on create (got {copies})")
            )
        tag_rules(params.get("Tags"), errors)
    return errors


def _validate_delete(params: Any) -> list[FieldError]:
    if not isinstance(params, dict):
        return [FieldError("params", "must be an object")]
    errors = check_operation(params, SERVICE, "DeleteInferenceComponent", only=("InferenceComponentName",))
    if params.get("InferenceComponentName") is None:
        errors.insert(0, FieldError("params.InferenceComponentName", "is required"))
    errors += [
        FieldError(f"params.{name}", "is not a field of a delete request")
        for name in sorted(set(params) - {"InferenceComponentName"})
    ]
    return errors


def _specification_rules(params: dict[str, Any], errors: list[FieldError], *, required: bool) -> None:
    one, many = params.get("Specification"), params.get("Specifications")
    if one is not None and many is not None:
        errors.append(FieldError("params.Specifications", "give Specification or Specifications, not both"))
    elif required and one is None and many is None:
        errors.append(
            FieldError("params.Specification", "is required (or Specifications, one per instance type)")
        )
    if not isinstance(many, list):
        return
    seen: dict[str, int] = {}
    for index, spec in enumerate(many):
        if not isinstance(spec, dict):
            continue
        kind = spec.get("InstanceType")
        if kind is None:
            errors.append(
                FieldError(
                    f"params.Specifications[{index}].InstanceType", "is required: one per instance type"
                )
            )
        elif isinstance(kind, str) and kind in seen:
            errors.append(
                FieldError(
                    f"params.Specifications[{index}].InstanceType",
                    f"repeats Specifications[{seen[kind]}] ({kind}): one per instance type",
                )
            )
        if isinstance(kind, str):
            seen.setdefault(kind, index)


def _deployment_rules(config: Any, errors: list[FieldError]) -> None:
    if not isinstance(config, dict):
        return
    path = "params.DeploymentConfig"
    rolling = config.get("RollingUpdatePolicy")
    if isinstance(rolling, dict):
        for member in ("MaximumBatchSize", "RollbackMaximumBatchSize"):
            size = rolling.get(member)
            if isinstance(size, dict) and size.get("Type") == "CAPACITY_PERCENT":
                value = size.get("Value")
                if isinstance(value, int) and not isinstance(value, bool) and value > 100:
                    errors.append(
                        FieldError(
                            f"{path}.RollingUpdatePolicy.{member}.Value", "must be 1-100 percent of capacity"
                        )
                    )
    rollback = config.get("AutoRollbackConfiguration")
    alarms = rollback.get("Alarms") if isinstance(rollback, dict) else None
    if isinstance(alarms, list):
        seen: dict[str, int] = {}
        for index, alarm in enumerate(alarms):
            name = alarm.get("AlarmName") if isinstance(alarm, dict) else None
            if isinstance(name, str) and name in seen:
                errors.append(
                    FieldError(
                        f"{path}.AutoRollbackConfiguration.Alarms[{index}].AlarmName",
                        f"repeats Alarms[{seen[name]}] ({name})",
                    )
                )
            if isinstance(name, str):
                seen.setdefault(name, index)
