"""Simulated SageMaker: moto's SageMaker backend with time, failures and faults added.

moto keeps the resources (configs, endpoints, tags, ARNs); this module makes endpoints go
``Creating`` → ``InService``/``Failed`` and ``Deleting`` → gone/``Failed`` on the virtual clock,
refuses duplicates and deletes while ``Creating`` like the real service, answers for prerequisites
per the scenario, and injects the scenario's faults at the HTTP level (real error codes and status).
Every request is checked against botocore's model first, not moto's lists (``validation.py``). Its
scenario key's model is ``scenario.py``; what IAM authorizes each call with, ``authorization.py``.

The account's limits: ``sagemaker.quotas`` are its "<instance type> for endpoint usage" quotas,
served by a simulated Service Quotas (``quotas.py``), against which the instances of every endpoint
in the world count and a create or an update beyond them is refused with ``ResourceLimitExceeded``
(``usage.py``); ``sagemaker.rateLimits`` are calls per virtual second per operation, above which a
call is answered ``ThrottlingException`` (``rate_limits.py``).
"""

from __future__ import annotations

import re
import threading
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from endpointctl.sim.base import SimulatorBase
from endpointctl.sim.calls import CallLog
from endpointctl.sim.faults import FaultPlan, ReadTimeoutPending, error_code, json_error
from endpointctl.sim.iam import Authorization
from endpointctl.sim.sagemaker import lifecycle, quotas, scaling, updates, usage, validation
from endpointctl.sim.sagemaker.authorization import authorizations, resource_arn, rollback_alarms
from endpointctl.sim.sagemaker.demo import DEMO
from endpointctl.sim.sagemaker.events import deployment_change, modified, state_change
from endpointctl.sim.sagemaker.existing import add_endpoint, ensure_config
from endpointctl.sim.sagemaker.rate_limits import RateLimits
from endpointctl.sim.sagemaker.scenario import EndpointRecord, ExistingEndpoint, SageMakerScenario, Tag
from endpointctl.sim.scenario import request_document
from endpointctl.sim.virtual_clock import VirtualClock

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class SageMakerSim(SimulatorBase):
    """The ``sagemaker`` simulator (moto's backend, patched)."""

    endpoint_type = "sagemaker"
    service = "sagemaker"
    also_simulates = frozenset({quotas.SERVICE})
    Scenario = SageMakerScenario
    emits_events = True
    sample_params = {"EndpointName": "bench", "EndpointConfigName": "bench-cfg"}
    sample_update = {"EndpointName": "bench", "EndpointConfigName": "bench-cfg-v2"}
    demo = DEMO

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        super().__init__(scenario, clock, log)
        given: SageMakerScenario = self.scenario
        self.create_seconds = given.createSeconds
        self.delete_seconds = given.deleteSeconds
        self.outcome = given.outcome
        self.failure_reason = given.failureReason or "simulated: the endpoint failed to start"
        self.delete_outcome = given.deleteOutcome
        self.missing = given.missingPrerequisites
        self.emit_events = given.emitEvents
        self.event_delay = given.eventDelaySeconds
        self.duplicate_events = given.duplicateEvents
        self.existing_endpoints = [
            ExistingEndpoint(EndpointName=e, Tags=[Tag(Key="team", Value="other")])
            if isinstance(e, str)
            else e
            for e in given.existing.endpoints
        ]
        self.existing_configs = list(given.existing.endpointConfigs)
        #: The CloudWatch alarms that exist (rollback alarms): the scenario's, or, when it names
        #: none, those the requests name (as their other prerequisites).
        self.alarms: set[str] = set(given.alarms or [])
        self._alarms_given = given.alarms is not None
        self.faults = FaultPlan(given.faults)
        self.quotas = quotas.Quotas(given.quotas)
        self.rate_limits = RateLimits(given.rateLimits, clock.now)
        self.timelines: dict[str, EndpointRecord] = {}
        #: When each endpoint reached its terminal status (name -> (execution, virtual time)).
        self.terminal: dict[str, tuple[str | None, float]] = {}
        #: When deletions ended (name -> [(execution, virtual time)]).
        self.deleted: dict[str, list[tuple[str | None, float]]] = {}
        self._backend: Any = None
        self._lock = threading.RLock()

    # -- world setup ------------------------------------------------------------------------------
    def install(self, stack: ExitStack) -> None:
        sim = self
        original_call = validation.checked(SageMakerResponse.call_action, sim.log)  # the model's checks

        def call_action(response: SageMakerResponse) -> Any:
            operation = response._get_action()
            logged = sim.log.record(f"{sim.service}:{operation}")
            fault = sim.rate_limits.take(operation) or sim.faults.take(operation)
            if fault is None:
                return _failed_if_refused(sim.log, logged, original_call(response, logged))
            if fault.applied:
                original_call(response, logged)  # the call takes effect; its answer is lost
            sim.log.failed(logged, fault.error)
            if fault.is_read_timeout:
                # waited out once the moto lock is released (moto_patches.serialize_requests)
                raise ReadTimeoutPending(
                    sim.clock, response.uri or "https://api.sagemaker.us-east-1.amazonaws.com"
                )
            return json_error(fault)

        stack.enter_context(mock.patch.object(SageMakerResponse, "call_action", call_action))
        original_create = SageMakerResponse.create_endpoint

        def create_endpoint(response: SageMakerResponse) -> Any:
            answer = original_create(response)
            timeline = sim.timelines.get(str(response._get_param("EndpointName")))
            if timeline is not None:  # what a later RetainDeploymentConfig reuses
                timeline.deployment = response._get_param("DeploymentConfig")
            return answer

        stack.enter_context(mock.patch.object(SageMakerResponse, "create_endpoint", create_endpoint))

        updates.install(stack, sim)
        quotas.install(stack, lambda: sim.quotas, sim.log)
        scaling.install(stack, self._variants_of)
        validation.install(stack)
        backend_cls = sm_models.SageMakerModelBackend
        for name in _PATCHED:
            stack.enter_context(mock.patch.object(backend_cls, name, self._atomic(getattr(self, f"_{name}"))))

    def _atomic(self, method: Any) -> Any:
        """Concurrent requests see one call at a time, as the real service's name checks do."""

        def call(_backend: Any, *args: Any, **kwargs: Any) -> Any:  # a method of the backend class
            with self._lock:
                return method(*args, **kwargs)

        return call

    def backend(self) -> Any:
        if self._backend is None:
            self._backend = sm_models.sagemaker_backends["123456789012"]["us-east-1"]
        return self._backend

    def seed(self) -> None:
        """Create the scenario's pre-existing resources (they belong to someone else)."""
        for name in self.existing_configs:
            self._ensure_config(name)
        for existing in self.existing_endpoints:
            name = existing.EndpointName
            if name in self.backend().endpoints:
                continue
            if existing.EndpointConfigName is None:
                config = f"{name}-config"  # named only: the scenario did not ask for it to exist
            else:
                config = existing.EndpointConfigName
                self._ensure_config(config)
            tags = [tag.model_dump() for tag in existing.Tags]
            variants = add_endpoint(self.backend(), name, config, tags)
            self.timelines[name] = EndpointRecord(
                create_at=None, tags={tag["Key"]: tag["Value"] for tag in tags}, fleet=usage.fleet(variants)
            )

        scaling.seed(self.scenario.autoScaling)

    def prepare(self, request: Any) -> None:
        """Make the prerequisites a request names exist, unless ``missingPrerequisites``."""
        document = request_document(request)
        if self.missing or not document or document.get("endpointType", "sagemaker") != "sagemaker":
            return
        params = document.get("params")
        if not isinstance(params, dict) or document.get("action", "create") not in ("create", "update"):
            return
        name = params.get("EndpointConfigName")
        if "EndpointConfig" not in params and isinstance(name, str) and NAME.match(name):
            self._ensure_config(name)
        if not self._alarms_given:
            self.alarms.update(rollback_alarms(params))

    def _ensure_config(self, name: str) -> None:
        ensure_config(self.backend(), name)

    # -- IAM --------------------------------------------------------------------------------------
    def authorizations(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        """SageMaker's authorization of its calls (``authorization.py``); deleting an endpoint
        whose variants scale deregisters them with the caller's permissions (``scaling.py``)."""
        name = str(params.get("EndpointName"))
        extra = scaling.delete_authorizations(name) if operation == "DeleteEndpoint" else []
        return authorizations(operation, params) + extra

    def on_behalf(self, service: str, operation: str, params: dict[str, Any]) -> list[Authorization]:
        """What another service checks against its caller when it acts on SageMaker for it:
        Application Auto Scaling registering a variant (``scaling.on_behalf``)."""
        if service != "application-autoscaling":
            return []
        return scaling.on_behalf(operation, params, self._config_of)

    def _variants_of(self, name: str) -> list[str] | None:
        self.refresh(name)
        endpoint = self.backend().endpoints.get(name)
        if endpoint is None:
            return None
        return [str(v.get("VariantName")) for v in endpoint.production_variants or []]

    def _config_of(self, name: str) -> str | None:
        endpoint = self.backend().endpoints.get(name)
        return str(endpoint.endpoint_config_name) if endpoint is not None else None

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """An endpoint's or endpoint config's tags, by its ARN (moto keeps them on the resource)."""
        kind, _, name = arn.rpartition(":")[2].partition("/")
        backend = self.backend()
        found = {"endpoint": backend.endpoints, "endpoint-config": backend.endpoint_configs}.get(kind, {})
        resource = next((r for key, r in found.items() if key.lower() == name), None)
        if resource is None:
            return None
        return {str(t.get("Key")): str(t.get("Value")) for t in resource.tags or []}

    # -- time ----------------------------------------------------------------------------------
    def _refresh(self, name: str) -> None:
        lifecycle.refresh(self, name)

    def refresh(self, name: str) -> None:
        self._refresh(name)

    def announce(
        self, name: str, timeline: EndpointRecord, status: str, *, at: float, phase: str | None = None
    ) -> None:
        self._announce(name, timeline, status, at=at, phase=phase)

    def refresh_all(self) -> None:
        for name in list(self.backend().endpoints):
            self._refresh(name)

    def remaining(self) -> dict[str, list[str]]:
        self.refresh_all()
        backend = self.backend()
        return {
            "endpoints": sorted(backend.endpoints),
            "endpointConfigs": sorted(backend.endpoint_configs),
            "scalableVariants": scaling.all_registered(),
            "scalingPolicies": scaling.all_policies(),
        }

    def serving(self) -> dict[str, str]:
        """Which config each endpoint serves now (for tests' invariants: it must exist)."""
        self.refresh_all()
        return {name: str(e.endpoint_config_name) for name, e in self.backend().endpoints.items()}

    def terminal_times(self, execution: str) -> list[float]:
        """When resources this execution asked for reached a terminal status (creation first)."""
        created = [at for owner, at in self.terminal.values() if owner == execution]
        if created:
            return created
        return [at for ends in self.deleted.values() for owner, at in ends if owner == execution]

    # -- the backend's behaviour (called as backend methods, without the backend) -------------------
    def _create_endpoint_config(self, endpoint_config_name: str, *args: Any, **kwargs: Any) -> Any:
        backend = self.backend()
        if endpoint_config_name in backend.endpoint_configs:
            raise ValidationError(
                message=f'Cannot create already existing endpoint configuration "{resource_arn("endpoint-config", endpoint_config_name)}".'
            )
        return _ORIGINAL["create_endpoint_config"](backend, endpoint_config_name, *args, **kwargs)

    def _validate_production_variants(self, production_variants: list[dict[str, Any]]) -> None:
        if self.missing:
            for variant in production_variants:
                raise ValidationError(
                    message=f'Could not find model "{resource_arn("model", variant.get("ModelName", ""))}".'
                )

    def _delete_endpoint_config(self, endpoint_config_name: str) -> None:
        _ORIGINAL["delete_endpoint_config"](self.backend(), endpoint_config_name)

    def _create_endpoint(self, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        backend = self.backend()
        self._refresh(endpoint_name)
        if endpoint_name in backend.endpoints:
            raise ValidationError(
                message=f'Cannot create already existing endpoint "{resource_arn("endpoint", endpoint_name)}".'
            )
        if endpoint_config_name not in backend.endpoint_configs:
            raise ValidationError(
                message=f'Could not find endpoint configuration "{resource_arn("endpoint-config", endpoint_config_name)}".'
            )
        variants = list(backend.endpoint_configs[endpoint_config_name].production_variants)
        usage.check(self, usage.fleet(variants))
        endpoint = _ORIGINAL["create_endpoint"](backend, endpoint_name, endpoint_config_name, tags)
        endpoint.endpoint_status = "Creating"
        endpoint.creation_time = modified(endpoint, self.clock.now())
        timeline = EndpointRecord(
            create_at=self.clock.now(),
            execution=self.log.execution,
            tags={str(t.get("Key")): str(t.get("Value")) for t in tags or []},
            fleet=usage.fleet(variants),
        )
        self.timelines[endpoint_name] = timeline
        self._announce(endpoint_name, timeline, "CREATING", at=self.clock.now())
        outcome = "IN_SERVICE" if self.outcome == "InService" else "FAILED"
        self._announce(endpoint_name, timeline, outcome, at=self.clock.now() + self.create_seconds)
        return endpoint

    # -- state-change events ------------------------------------------------------------------------
    def _announce(
        self, name: str, timeline: EndpointRecord, status: str, *, at: float, phase: str | None = None
    ) -> None:
        """Publish ``SageMaker Endpoint State Change`` for ``name`` when the clock reaches ``at``
        (plus the scenario's delay), if the endpoint is still that incarnation by then; with
        ``phase``, a ``SageMaker Endpoint Deployment State Change`` of an update in that phase."""
        if not self.emit_events:
            return

        def publish() -> None:
            with self._lock:
                if self.timelines.get(name) is not timeline:
                    return  # deleted (and maybe re-created) in the meantime
                self._refresh(name)
                endpoint = self.backend().endpoints.get(name)
                if endpoint is None:
                    return
                now = self.clock.now()
                if phase is not None:
                    event = deployment_change(endpoint, timeline, phase, now)
                else:
                    event = state_change(endpoint, timeline, status, now, self.failure_reason)
            for _ in range(2 if self.duplicate_events else 1):
                if self.publish is not None:
                    self.publish(event)

        self.clock.call_at(at + self.event_delay, publish)

    def _describe_endpoint(self, endpoint_name: str) -> Any:
        self._refresh(endpoint_name)
        return _ORIGINAL["describe_endpoint"](self.backend(), endpoint_name)

    def _delete_endpoint(self, endpoint_name: str) -> None:
        backend = self.backend()
        self._refresh(endpoint_name)
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is None:
            return _ORIGINAL["delete_endpoint"](backend, endpoint_name)  # its own "Could not find"
        if endpoint.endpoint_status in ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"):
            raise ValidationError(
                message=f'Cannot update in-progress endpoint "{resource_arn("endpoint", endpoint_name)}".'
            )
        scaling.release_endpoint(endpoint_name)
        timeline = self.timelines.setdefault(endpoint_name, EndpointRecord(create_at=None))
        timeline.delete_at = self.clock.now()
        timeline.delete_execution = self.log.execution
        endpoint.endpoint_status = "Deleting"
        modified(endpoint, timeline.delete_at)
        return None

    def _list_endpoints(self, *args: Any, **kwargs: Any) -> Any:
        self.refresh_all()
        return _ORIGINAL["list_endpoints"](self.backend(), *args, **kwargs)

    # -- limits -----------------------------------------------------------------------------------
    def usage(self) -> dict[str, int]:
        """Instances per type the world's endpoints hold now (what counts against ``quotas``)."""
        with self._lock:
            return dict(usage.usage(self))

    def throttled(self) -> dict[str, int]:
        """How many calls of each operation ``rateLimits`` throttled."""
        return dict(self.rate_limits.throttled)


def _failed_if_refused(log: CallLog, logged: int, answer: Any) -> Any:
    """The account's limits refusing a call (``ResourceLimitExceeded``) mark it failed in the call
    log, with that code, as a fault or a throttle does (the service's other refusals, moto's
    ``ValidationException`` of an endpoint not found, are not marked, as before)."""
    if isinstance(answer, tuple) and len(answer) == 3 and int(answer[0]) >= 400:
        code = error_code(answer[1])
        if code == usage.ResourceLimitExceeded.code:
            log.failed(logged, code)
    return answer


_PATCHED = (
    "create_endpoint",
    "describe_endpoint",
    "delete_endpoint",
    "create_endpoint_config",
    "delete_endpoint_config",
    "validate_production_variants",
    "list_endpoints",
)
_ORIGINAL = {name: getattr(sm_models.SageMakerModelBackend, name) for name in _PATCHED}


SIMULATOR = SageMakerSim
