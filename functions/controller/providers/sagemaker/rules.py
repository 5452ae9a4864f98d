"""A SageMaker create's and delete's request checks: the service model's (botocore's: types,
lengths, patterns and required members), then the rules the CreateEndpoint API reference states in
prose (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html and the
``DeploymentConfig`` pages it links), and the tags a request may bring. An update's are
``update.py``'s."""

from __future__ import annotations

from typing import Any

from controller import catalog
from controller.validation import FieldError, check_operation

#: Tag keys a request may not set: AWS's own, and the controller's (``ml-endpoint-controller:``).
RESERVED_TAG_PREFIXES = ("aws:", catalog.CONTROLLER.owner_tag.split(":")[0] + ":")
#: SageMaker allows 50 tags per resource (the service model's ``TagList`` maximum). The controller
#: adds its ownership tag (the request id) and its stack tag (which deployment made it), which its
#: IAM policy requires before it may ever delete or update the resource (a rollback included), so a
#: request may bring 48 of its own; a third, the managed-by tag, is added only while there is room.
MAX_USER_TAGS = 48
#: SageMaker's own limit, which the model checks too (its finding gives way to :func:`tag_rules`').
SAGEMAKER_MAX_TAGS = 50


def _percent_rule(size: Any, path: str, low: int, high: int, errors: list[FieldError]) -> None:
    if isinstance(size, dict) and size.get("Type") == "CAPACITY_PERCENT":
        value = size.get("Value")
        if isinstance(value, int) and not low <= value <= high:
            errors.append(FieldError(f"{path}.Value", f"must be {low}-{high} percent of capacity"))


def deployment_rules(config: Any, errors: list[FieldError]) -> None:
    """Rules the CreateEndpoint documentation states beyond the service model."""
    if not isinstance(config, dict):
        return
    path = "params.DeploymentConfig"
    blue_green, rolling = config.get("BlueGreenUpdatePolicy"), config.get("RollingUpdatePolicy")
    if blue_green is not None and rolling is not None:
        errors.append(FieldError(path, "takes BlueGreenUpdatePolicy or RollingUpdatePolicy, not both"))
    if isinstance(blue_green, dict):
        routing = blue_green.get("TrafficRoutingConfiguration")
        if isinstance(routing, dict):
            routing_path = f"{path}.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
            kind = routing.get("Type")
            for member, wanted in (("CanarySize", "CANARY"), ("LinearStepSize", "LINEAR")):
                if kind == wanted and member not in routing:
                    errors.append(
                        FieldError(f"{routing_path}.{member}", f"is required when Type is {wanted}")
                    )
                if member in routing and kind != wanted:
                    errors.append(
                        FieldError(f"{routing_path}.{member}", f"is only allowed when Type is {wanted}")
                    )
            _percent_rule(routing.get("CanarySize"), f"{routing_path}.CanarySize", 1, 50, errors)
            _percent_rule(routing.get("LinearStepSize"), f"{routing_path}.LinearStepSize", 10, 50, errors)
            waits = [routing.get("WaitIntervalInSeconds"), blue_green.get("TerminationWaitInSeconds")]
            limit = blue_green.get("MaximumExecutionTimeoutInSeconds")
            total = sum(w for w in waits if isinstance(w, int) and not isinstance(w, bool))
            if isinstance(limit, int) and limit <= total:
                errors.append(
                    FieldError(
                        f"{path}.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds",
                        "must be larger than TerminationWaitInSeconds + WaitIntervalInSeconds",
                    )
                )
    if isinstance(rolling, dict):
        rolling_path = f"{path}.RollingUpdatePolicy"
        _percent_rule(rolling.get("MaximumBatchSize"), f"{rolling_path}.MaximumBatchSize", 5, 50, errors)
        _percent_rule(
            rolling.get("RollbackMaximumBatchSize"),
            f"{rolling_path}.RollbackMaximumBatchSize",
            1,
            100,
            errors,
        )


def too_many_tags(count: int) -> str:
    """The one wording of every too-many-tags refusal, 49 or 60 alike."""
    return (
        f"at most {MAX_USER_TAGS} tags of your own (got {count}): SageMaker allows "
        f"{SAGEMAKER_MAX_TAGS} per resource and the controller adds two, its ownership and stack "
        "tags, which it needs to update or remove the resource (and a managed-by tag while there "
        "is room)"
    )


def tag_rules(tags: Any, errors: list[FieldError], path: str = "params.Tags") -> None:
    """The tags a request brings: at most :data:`MAX_USER_TAGS`, none with a reserved prefix, no
    key twice. Over 50 the service model has said so already, in its own words: that finding is
    replaced by this one, so 49 tags and 60 are refused alike."""
    if not isinstance(tags, list):
        return
    if len(tags) > MAX_USER_TAGS:
        errors[:] = [e for e in errors if not (e.field == path and e.problem.startswith("must have at most"))]
        errors.append(FieldError(path, too_many_tags(len(tags))))
    seen: dict[str, int] = {}
    for index, tag in enumerate(tags):
        key = tag.get("Key") if isinstance(tag, dict) else None
        if not isinstance(key, str):
            continue
        if key.lower().startswith(RESERVED_TAG_PREFIXES):
            errors.append(
                FieldError(f"{path}[{index}].Key", f"may not start with {key.split(':')[0]}: (reserved)")
            )
        if key in seen:
            errors.append(FieldError(f"{path}[{index}].Key", f"repeats Tags[{seen[key]}].Key ({key})"))
        seen.setdefault(key, index)


def validate_create(params: Any) -> list[FieldError]:
    """Every broken field of a create's ``params`` (an inline ``EndpointConfig`` included)."""
    if not isinstance(params, dict):
        return check_operation(params, "sagemaker", "CreateEndpoint")
    endpoint_params = {k: v for k, v in params.items() if k != "EndpointConfig"}
    errors = check_operation(endpoint_params, "sagemaker", "CreateEndpoint")
    deployment_rules(params.get("DeploymentConfig"), errors)
    tag_rules(params.get("Tags"), errors)
    if "EndpointConfig" in params:
        config = params["EndpointConfig"]
        errors += check_operation(config, "sagemaker", "CreateEndpointConfig", "params.EndpointConfig")
        if isinstance(config, dict):
            tag_rules(config.get("Tags"), errors, "params.EndpointConfig.Tags")
        if isinstance(config, dict) and config.get("EndpointConfigName") != params.get("EndpointConfigName"):
            errors.append(
                FieldError("params.EndpointConfig.EndpointConfigName", "must equal params.EndpointConfigName")
            )
    return errors


def validate_delete(params: Any) -> list[FieldError]:
    """Every broken field of a delete's ``params``: ``EndpointName``, and ``DeleteEndpointConfig``
    (true or false), nothing else."""
    if not isinstance(params, dict):
        return [FieldError("params", "must be an object")]
    errors = check_operation(params, "sagemaker", "DeleteEndpoint", only=("EndpointName",))
    if params.get("EndpointName") is None:
        errors.insert(0, FieldError("params.EndpointName", "is required"))
    extra = set(params) - {"EndpointName", "DeleteEndpointConfig"}
    errors += [FieldError(f"params.{name}", "is not a field of a delete request") for name in sorted(extra)]
    flag = params.get("DeleteEndpointConfig")
    if flag is not None and not isinstance(flag, bool):
        errors.append(FieldError("params.DeleteEndpointConfig", "must be true or false"))
    return errors
