"""The simulated ``UpdateEndpoint`` (moto has none): the endpoint goes ``Updating`` with a
``PendingDeploymentSummary`` naming the new config, and after ``sagemaker.update.seconds`` settles
as the scenario says: ``InService`` on the new config (and its variants); ``RolledBack`` (``RollingBack`` for the last
fifth of the time, then ``InService`` on the previous config with a ``FailureReason``); ``Failed``;
or ``UpdateRollbackFailed``. Like the real service it refuses an endpoint that is not
``InService`` ("Cannot update in-progress endpoint") and a config that does not exist, and
announces each status change (``SageMaker Endpoint State Change``). An update whose new fleet does
not fit the account's instance quotas beside the old one (blue/green), or whose batch does not
(rolling), is refused with ``ResourceLimitExceeded`` (``usage.py``); while it deploys, its extra
instances count as usage.
"""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from endpointctl.sim.sagemaker import scaling, usage
from endpointctl.sim.sagemaker.authorization import resource_arn, rollback_alarms
from endpointctl.sim.sagemaker.events import modified
from endpointctl.sim.sagemaker.scenario import EndpointRecord

if TYPE_CHECKING:
    from endpointctl.sim.sagemaker import SageMakerSim

#: The status changes' spelling in events (upper snake case, as the service's events spell it).
EVENT_STATUS = {
    "InService": "IN_SERVICE",
    "Failed": "FAILED",
    "UpdateRollbackFailed": "UPDATE_ROLLBACK_FAILED",
    "RollingBack": "ROLLING_BACK",
}


#: The new fleet's phases (``VariantStatus``), from that share of the update's time on.
PHASES = (("Creating", 0.0), ("ActivatingTraffic", 0.3), ("Baking", 0.5))


def install(stack: ExitStack, sim: SageMakerSim) -> None:
    """moto has no ``UpdateEndpoint``: this module answers it."""

    def update_endpoint(response: SageMakerResponse) -> Any:
        deployment = response._get_param("DeploymentConfig")
        with sim._lock:
            answer = update_endpoint_of(
                sim,
                str(response._get_param("EndpointName")),
                str(response._get_param("EndpointConfigName")),
                rollback_alarms({"DeploymentConfig": deployment}),
                deployment=deployment,
                retain=response._get_param("RetainDeploymentConfig") is True,
            )
        return ActionResult(answer)

    stack.enter_context(mock.patch.object(SageMakerResponse, "update_endpoint", update_endpoint, create=True))


def update_endpoint_of(
    sim: SageMakerSim,
    name: str,
    config_name: str,
    alarms: list[str] | None = None,
    *,
    deployment: dict[str, Any] | None = None,
    retain: bool = False,
) -> dict[str, Any]:
    backend = sim.backend()
    sim.refresh(name)
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f'Could not find endpoint "{resource_arn("endpoint", name)}".')
    if endpoint.endpoint_status != "InService" or getattr(endpoint, "pending_deployment_summary", None):
        raise ValidationError(
            message=f'Cannot update in-progress endpoint "{resource_arn("endpoint", name)}".'
        )
    if config_name not in backend.endpoint_configs:
        raise ValidationError(
            message=f'Could not find endpoint configuration "{resource_arn("endpoint-config", config_name)}".'
        )
    missing = [alarm for alarm in alarms or [] if alarm not in sim.alarms]
    if missing:
        # SageMaker monitors the rollback alarms through the deployment, so they must exist (the
        # exact wording of its refusal is not documented; the code is its ValidationException).
        raise ValidationError(
            message=f"The CloudWatch alarm(s) {', '.join(missing)} named in AutoRollbackConfiguration "
            "could not be found"
        )
    live = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    blocked = scaling.refusal(
        name,
        list(live.production_variants) if live is not None else [],
        list(backend.endpoint_configs[config_name].production_variants),
    )
    if blocked:
        raise ValidationError(message=blocked)
    timeline = sim.timelines.setdefault(name, EndpointRecord(create_at=None))
    new_variants = list(backend.endpoint_configs[config_name].production_variants)
    if retain and deployment is None:
        deployment = timeline.deployment
    surge = usage.surge(new_variants, deployment)
    usage.check(sim, surge)
    if timeline.fleet is None and live is not None:  # an endpoint the simulator did not make
        timeline.fleet = dict(usage.fleet(live.production_variants))
    timeline.surge, timeline.deployment = dict(surge), deployment
    timeline.update_at = sim.clock.now()
    timeline.update_from, timeline.update_to = endpoint.endpoint_config_name, config_name
    timeline.update_variants = new_variants
    timeline.execution = sim.log.execution
    endpoint.endpoint_status = "Updating"
    modified(endpoint, timeline.update_at)
    endpoint.failure_reason = None
    endpoint.pending_deployment_summary = {
        "EndpointConfigName": config_name,
        "StartTime": datetime.datetime.fromtimestamp(timeline.update_at, tz=datetime.UTC),
    }
    plan = sim.scenario.update
    sim.announce(name, timeline, "UPDATING", at=timeline.update_at)
    # The deployment's phases, each announced twice, the copy late (after the next phase's):
    # "SageMaker AI may send multiple events to EventBridge for each state change".
    for phase, share in PHASES:
        moment = timeline.update_at + share * plan.seconds
        sim.announce(name, timeline, "UPDATING", at=moment, phase=phase)
        sim.announce(name, timeline, "UPDATING", at=moment + 0.35 * plan.seconds, phase=phase)
    if plan.outcome == "RolledBack":
        sim.announce(name, timeline, "ROLLING_BACK", at=timeline.update_at + 0.8 * plan.seconds)
    final = "IN_SERVICE" if plan.outcome in ("InService", "RolledBack") else EVENT_STATUS[plan.outcome]
    sim.announce(name, timeline, final, at=timeline.update_at + plan.seconds)
    return {"EndpointArn": endpoint.arn}


def refresh_update(sim: SageMakerSim, endpoint: Any, timeline: EndpointRecord) -> None:
    """Bring an endpoint's update up to the virtual clock."""
    if timeline.update_at is None:
        return
    plan = sim.scenario.update
    now, done_at = sim.clock.now(), timeline.update_at + plan.seconds
    if now < done_at:
        share = (now - timeline.update_at) / plan.seconds if plan.seconds else 1.0
        rolling_back = plan.outcome == "RolledBack" and share >= 0.8
        endpoint.endpoint_status = "RollingBack" if rolling_back else "Updating"
        phase = next(p for p, start in reversed(PHASES) if share >= start)
        summary = endpoint.pending_deployment_summary or {}
        summary["ProductionVariants"] = [
            {
                "VariantName": "AllTraffic",
                "VariantStatus": [
                    {"Status": phase, "StartTime": datetime.datetime.fromtimestamp(now, tz=datetime.UTC)}
                ],
            }
        ]
        return
    reason = plan.failureReason or {
        "RolledBack": "simulated: an alarm fired during the deployment; it was rolled back",
        "Failed": "simulated: the new fleet failed to start",
        "UpdateRollbackFailed": "simulated: the rollback of the update failed",
    }.get(plan.outcome)
    endpoint.pending_deployment_summary = None
    if plan.outcome == "InService":
        endpoint.endpoint_status = "InService"
        _serve(endpoint, timeline)
    elif plan.outcome == "RolledBack":
        endpoint.endpoint_status, endpoint.failure_reason = "InService", reason
    else:
        endpoint.endpoint_status, endpoint.failure_reason = plan.outcome, reason
        if plan.outcome == "Failed":
            _serve(endpoint, timeline)
    sim.terminal[f"{endpoint.endpoint_name}@update{timeline.update_at}"] = (timeline.execution, done_at)
    timeline.update_at, timeline.update_variants, timeline.surge = None, None, None
    timeline.updated = True


def _serve(endpoint: Any, timeline: EndpointRecord) -> None:
    """The endpoint now on the update's config: ``DescribeEndpoint`` shows that config's variants,
    as SageMaker's does (moto's endpoint keeps its creation's; after a rollback they stay the
    previous config's, which is what it serves)."""
    endpoint.endpoint_config_name = timeline.update_to
    if timeline.update_variants is not None:
        endpoint.production_variants = endpoint._process_production_variants(timeline.update_variants)
        timeline.fleet = dict(usage.fleet(timeline.update_variants))  # the old fleet is terminated
