"""SageMaker ``UpdateEndpoint`` (docs/updates-and-expiry.md): its validation, and the update itself.

Rules from botocore's model (types, ranges: wait intervals 0-3,600 s, maximum execution
600-28,800 s, 1-10 alarms) and from the documentation (the same ``DeploymentConfig`` rules as
CreateEndpoint's: one policy, canary at most 50 % of capacity, linear steps 10-50 %, rolling
batches 5-50 %, in ``rules.py``). What needs the live endpoint is checked before anything is made:
the endpoint exists (``EndpointNotFound``) and is ``InService`` ("When SageMaker receives the
request, it sets the endpoint status to Updating", https://docs.aws.amazon.com/sagemaker/latest/
APIReference/API_UpdateEndpoint.html: an endpoint already updating refuses another; the Turn step
has waited out what was under way, ``under_way``, so this meets only an operation begun since), the
new config keeps the endpoint's variant names (deployment guardrails shift traffic variant by
variant, "Blue/Green Deployments", https://docs.aws.amazon.com/sagemaker/latest/dg/
deployment-guardrails-blue-green.html), and a rolling update is refused for serverless and
multi-variant endpoints ("Rolling deployments", https://docs.aws.amazon.com/sagemaker/latest/dg/
deployment-guardrails-rolling.html: not supported for serverless endpoints or endpoints with
multiple production variants).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from controller import aws, clock, quotas, store
from controller.errors import (
    EndpointNotFound,
    InvalidRequest,
    PrerequisiteNotFound,
    QuotaExceeded,
    TransientServiceError,
)
from controller.providers.base import Change, Creation, Observation, Resource, Status
from controller.providers.sagemaker import held, instances, scaling
from controller.providers.sagemaker.rules import deployment_rules, tag_rules
from controller.validation import FieldError, check_operation

if TYPE_CHECKING:
    from controller.creations import Creations
    from controller.providers.sagemaker import SageMakerProvider

CONFIG = "endpoint-config"


def validate_update(params: Any) -> list[FieldError]:
    """Every broken field of an update's ``params`` (the live endpoint is checked at update time)."""
    if not isinstance(params, dict):
        return check_operation(params, "sagemaker", "UpdateEndpoint")
    errors = check_operation(
        {k: v for k, v in params.items() if k != "EndpointConfig"}, "sagemaker", "UpdateEndpoint"
    )
    deployment_rules(params.get("DeploymentConfig"), errors)
    if (
        params.get("ExcludeRetainedVariantProperties") is not None
        and params.get("RetainAllVariantProperties") is not True
    ):
        errors.append(
            FieldError(
                "params.ExcludeRetainedVariantProperties",
                "applies only with RetainAllVariantProperties: true",
            )
        )
    if params.get("RetainDeploymentConfig") is True and "DeploymentConfig" in params:
        errors.append(
            FieldError(
                "params.RetainDeploymentConfig", "reuses the last DeploymentConfig: give one or the other"
            )
        )
    if "EndpointConfig" in params:
        config = params["EndpointConfig"]
        errors += check_operation(config, "sagemaker", "CreateEndpointConfig", "params.EndpointConfig")
        if isinstance(config, dict):
            tag_rules(config.get("Tags"), errors, "params.EndpointConfig.Tags")
            if config.get("EndpointConfigName") != params.get("EndpointConfigName"):
                errors.append(
                    FieldError(
                        "params.EndpointConfig.EndpointConfigName", "must equal params.EndpointConfigName"
                    )
                )
    return errors


#: ``DescribeEndpoint`` statuses of an operation under way that ends by itself and during which
#: SageMaker refuses ``UpdateEndpoint`` ("Cannot update in-progress endpoint"): an update waits
#: them out in its Turn (``Provider.occupied``) as it waits for the controller's own operations.
#: ``InService`` is free; ``Failed``, ``UpdateRollbackFailed`` and ``OutOfService`` are no
#: operation that waiting would end: the update goes on and meets them as it always did.
UNDER_WAY = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


def under_way(endpoint: dict[str, Any] | None) -> str | None:
    """The status (with the deployment's phase) of an endpoint an update must wait for, as
    ``DescribeEndpoint`` shows it (``None``: no such endpoint, or nothing under way). A
    ``PendingDeploymentSummary`` is a deployment still settling, whatever the status says."""
    if endpoint is None:
        return None  # update() answers EndpointNotFound
    status = str(endpoint.get("EndpointStatus"))
    pending = endpoint.get("PendingDeploymentSummary")
    if status in UNDER_WAY or pending:
        return status + (deployment_phase(pending) or (" (a deployment pending)" if pending else ""))
    return None


def _variants(config: dict[str, Any]) -> list[dict[str, Any]]:
    found = config.get("ProductionVariants")
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []


def _refusals(endpoint: dict[str, Any], config: dict[str, Any], params: dict[str, Any]) -> list[FieldError]:
    """What SageMaker would refuse about this update of ``endpoint`` to ``config``."""
    errors = []
    live = [str(v.get("VariantName")) for v in endpoint.get("ProductionVariants", [])]
    wanted = [str(v.get("VariantName")) for v in _variants(config)]
    guarded = isinstance(params.get("DeploymentConfig"), dict)
    if guarded and live and sorted(live) != sorted(wanted):
        errors.append(
            FieldError(
                "params.EndpointConfigName",
                f"a guarded update keeps the endpoint's variants ({', '.join(live)}); "
                f"{params['EndpointConfigName']} has {', '.join(wanted) or 'none'}",
            )
        )
    rolling = guarded and "RollingUpdatePolicy" in params["DeploymentConfig"]
    serverless = any("ServerlessConfig" in v for v in _variants(config)) or any(
        "CurrentServerlessConfig" in v for v in endpoint.get("ProductionVariants", [])
    )
    if rolling and (serverless or len(live) > 1 or len(wanted) > 1):
        errors.append(
            FieldError(
                "params.DeploymentConfig.RollingUpdatePolicy",
                "rolling updates are not supported for serverless or multi-variant endpoints",
            )
        )
    return errors


def update(
    provider: SageMakerProvider, params: dict[str, Any], request_id: str, created: Creations
) -> Creation:
    sagemaker = aws.client("sagemaker")
    name, config_name = params["EndpointName"], params["EndpointConfigName"]
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if "could not find" in aws.error_message(exc).lower():
            raise EndpointNotFound(f"endpoint {name} does not exist: there is nothing to update") from exc
        raise
    previous = endpoint.get("EndpointConfigName")
    pending = endpoint.get("PendingDeploymentSummary") or {}
    if pending.get("EndpointConfigName") == config_name:
        # Already deploying what was asked: an earlier attempt's UpdateEndpoint took effect and
        # its answer was lost (a timeout, a 5xx). Wait for it rather than send it again.
        return _sent(provider, name, endpoint, previous=previous, requested=config_name)
    if "EndpointConfig" in params:
        new_config: dict[str, Any] = params["EndpointConfig"]
    else:
        try:
            new_config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        except ClientError as exc:
            if "could not find" in aws.error_message(exc).lower():
                raise PrerequisiteNotFound(f"endpoint configuration {config_name} does not exist") from exc
            raise
    errors = _refusals(endpoint, new_config, params)
    if errors:
        raise InvalidRequest("; ".join(str(e) for e in errors), fields=[e.field for e in errors])
    status = str(endpoint.get("EndpointStatus"))
    if status != "InService" or pending:
        # The Turn step waited out what was under way (``under_way``); this is an operation begun
        # by someone else since (a race between Turn and Create), or a status no waiting ends
        # (OutOfService, Failed): retried, then ProviderError, before anything was made.
        raise TransientServiceError(f"UpdateEndpoint: endpoint {name} is {status}, not InService yet")
    # Before anything is made or changed: room for the update's peak (instances.py).
    deployment = endpoint.get("LastDeploymentConfig") if params.get("RetainDeploymentConfig") else None
    quotas.check(
        instances.SERVICE_CODE,
        instances.update_needs(new_config, params.get("DeploymentConfig") or deployment),
        held.held,
    )
    scaling = _take_off_scaling(name, previous, new_config, created.execution_arn)
    if "EndpointConfig" in params:
        config = Resource(kind=CONFIG, id=config_name, endpoint=name)
        if not created.acquire(config, lambda: provider.config_arn(config_name) is not None):
            provider.create_config(params["EndpointConfig"], request_id)
        created.append(config)
    request = {key: params[key] for key in UPDATE_FIELDS if key in params}
    try:
        sagemaker.update_endpoint(**request)
    except ClientError as exc:
        message = aws.error_message(exc).lower()
        if "could not find endpoint configuration" in message:
            raise TransientServiceError(
                f"UpdateEndpoint: endpoint configuration {config_name} not visible yet"
            ) from exc
        if aws.error_code(exc) == instances.LIMIT_EXCEEDED:  # the room was taken since the check
            raise QuotaExceeded(f"UpdateEndpoint: {aws.error_code(exc)}: {aws.error_message(exc)}") from exc
        raise
    return _sent(provider, name, endpoint, previous=previous, requested=config_name, scaling=scaling)


def _take_off_scaling(
    name: str, previous: str | None, new_config: dict[str, Any], execution_arn: str
) -> tuple[dict[str, Any], ...]:
    """Deregister the variants SageMaker would refuse the update for (``scaling.py``), recorded
    first in the requests table under this execution: a retried step (the targets already gone)
    reads the record instead of finding nothing to put back."""
    key = _scaling_key(execution_arn)
    table = store.current()
    held = table.get(key)
    if held is not None:
        return tuple(held.get("targets", []))
    live: dict[str, Any] = {}
    if previous:
        try:
            live = aws.client("sagemaker").describe_endpoint_config(EndpointConfigName=previous)
        except ClientError as exc:
            if "could not find" not in aws.error_message(exc).lower():
                raise
    targets = scaling.in_the_way(name, live, new_config)
    table.put(key, {"targets": targets}, if_absent_or={}, expires_at=int(clock.now()) + 30 * 86400)
    scaling.release(targets)
    return tuple(targets)


def _scaling_key(execution_arn: str) -> str:
    return f"#scaling#{execution_arn}"


def taken_off(execution_arn: str) -> list[dict[str, Any]]:
    """The scalable targets this execution's update took off and has not put back."""
    held = store.current().get(_scaling_key(execution_arn))
    return list(held.get("targets", [])) if held is not None and not held.get("restored") else []


def put_back(execution_arn: str) -> None:
    store.current().update(_scaling_key(execution_arn), values={"restored": True})


#: The members of an update request that ``UpdateEndpoint`` takes (the rest is the controller's).
UPDATE_FIELDS = (
    "EndpointName",
    "EndpointConfigName",
    "DeploymentConfig",
    "RetainAllVariantProperties",
    "ExcludeRetainedVariantProperties",
    "RetainDeploymentConfig",
)


def _sent(
    provider: SageMakerProvider,
    name: str,
    endpoint: dict[str, Any],
    *,
    previous: str | None,
    requested: str,
    scaling: tuple[dict[str, Any], ...] = (),
) -> Creation:
    return Creation(
        name,
        Observation(
            status=Status.CREATING,
            provider_status="Updating",
            arn=endpoint.get("EndpointArn"),
            url=provider.url(name),
        ),
        change=Change(previous=previous, requested=requested, scaling=scaling),
    )


def deployment_phase(pending: Any) -> str:
    """An update's phase as ``DescribeEndpoint`` shows it (its new variants' ``VariantStatus``:
    ``Creating``, ``ActivatingTraffic``, ``Baking``, ...), for people following it: `` (Baking)``."""
    if not isinstance(pending, dict):
        return ""
    phases = [
        str(status.get("Status"))
        for variant in pending.get("ProductionVariants") or []
        for status in (variant.get("VariantStatus") or [])[:1]
        if status.get("Status")
    ]
    return f" ({', '.join(dict.fromkeys(phases))})" if phases else ""
