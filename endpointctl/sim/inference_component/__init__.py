"""Simulated SageMaker inference components (``endpointType: inference-component``), served by the
simulated SageMaker (moto's, in-process, as ``sim/sagemaker`` patches it) on the virtual clock.

moto has no inference-component operations: this simulator adds them to moto's SageMaker front end
(``SageMakerResponse``, as ``sim/sagemaker/updates.py`` adds ``UpdateEndpoint``), so the SageMaker
simulator's ``call_action`` logs each call as ``sagemaker:<Operation>``, applies its own faults and
checks the request against botocore's model before it reaches this module; this scenario's own
``faults`` then apply to the component operations (``applied`` and ``ReadTimeout`` included). The
components live on the SageMaker simulator's endpoints; their lifecycle is ``service.py``, the
documented rules ``rules.py``, authorizations ``authorization.py``, autoscaling ``scaling.py``.

SageMaker's ``DeleteEndpoint`` of an endpoint that still hosts components: the API reference does
not say (API_DeleteEndpoint); the developer guide says that the *console* "first deletes the
Inference Components that are attached to the endpoint. Then SageMaker AI deletes the endpoint"
(https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-delete-resources.html), which
the API does not claim to do: the simulation refuses it (``ValidationException``), the stricter
reading, until the API's behaviour is known.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from endpointctl.sim.base import SimulatorBase
from endpointctl.sim.calls import CallLog
from endpointctl.sim.faults import FaultPlan, ReadTimeoutPending, json_error
from endpointctl.sim.iam import Authorization
from endpointctl.sim.inference_component import authorization, scaling
from endpointctl.sim.inference_component.rules import endpoint_arn
from endpointctl.sim.inference_component.scenario import InferenceComponentScenario
from endpointctl.sim.inference_component.service import Components
from endpointctl.sim.scenario import request_document
from endpointctl.sim.validation import moto_request_params
from endpointctl.sim.virtual_clock import VirtualClock
from endpointctl.template import ACCOUNT, REGION

#: The execution role the endpoints ``prepare`` makes run with (a config for components has one).
ROLE = f"arn:aws:iam::{ACCOUNT}:role/inference-component-endpoint"
#: The most instances (managed instance scaling) of the endpoints ``prepare`` and ``seed`` make.
MAX_INSTANCES = 64


class InferenceComponentSimulator(SimulatorBase):
    """The ``inference-component`` simulator (moto's SageMaker, with components added)."""

    endpoint_type = "inference-component"
    service = "sagemaker"
    #: The SageMaker operations this simulator answers (the others are the SageMaker simulator's).
    operations = authorization.OPERATIONS
    Scenario = InferenceComponentScenario
    sample_params = {
        "InferenceComponentName": "bench-ic",
        "EndpointName": "bench-ic-endpoint",
        "VariantName": "AllTraffic",
        "Specification": {
            "ModelName": "bench-model",
            "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024},
        },
        "RuntimeConfig": {"CopyCount": 1},
    }
    #: A rolling update to a new model with one more copy (``UpdateInferenceComponent``).
    sample_update = {
        "InferenceComponentName": "bench-ic",
        "Specification": {
            "ModelName": "bench-model-v2",
            "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024},
        },
        "RuntimeConfig": {"CopyCount": 2},
    }

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        super().__init__(scenario, clock, log)
        self.faults = FaultPlan(self.scenario.faults)
        self.components = Components(self)
        self._lock = threading.RLock()

    # -- world setup ------------------------------------------------------------------------------
    def install(self, stack: ExitStack) -> None:
        handlers = {
            "CreateInferenceComponent": self.components.create,
            "DescribeInferenceComponent": lambda p: self.components.describe(
                str(p["InferenceComponentName"])
            ),
            "ListInferenceComponents": self.components.list,
            "UpdateInferenceComponent": self.components.update,
            "UpdateInferenceComponentRuntimeConfig": self.components.update_runtime,
            "DeleteInferenceComponent": lambda p: (
                self.components.delete(str(p["InferenceComponentName"])) or {}
            ),
        }
        for operation, handler in handlers.items():
            method = sm_models.camelcase_to_underscores(operation)
            stack.enter_context(
                mock.patch.object(SageMakerResponse, method, self._answering(operation, handler), create=True)
            )
        original_delete = SageMakerResponse.delete_endpoint

        def delete_endpoint(response: SageMakerResponse) -> Any:
            name = str(response._get_param("EndpointName"))
            with self._lock:
                hosted = self.components.on_endpoint(name)
            if hosted:
                raise ValidationError(
                    message=f'Cannot delete endpoint "{endpoint_arn(name)}": it hosts inference components '
                    f"({', '.join(hosted)}); delete them first"
                )
            return original_delete(response)

        stack.enter_context(mock.patch.object(SageMakerResponse, "delete_endpoint", delete_endpoint))
        original_find = sm_models.SageMakerModelBackend._get_resource_from_arn

        def find(backend: Any, arn: str) -> Any:
            if ":inference-component/" not in arn:
                return original_find(backend, arn)
            with self._lock:
                found = self._by_arn(arn)
            if found is None:
                raise ValidationError(
                    message=f"Could not find inference-component with name {arn.rsplit('/', 1)[1]}"
                )
            return found

        stack.enter_context(
            mock.patch.object(sm_models.SageMakerModelBackend, "_get_resource_from_arn", find)
        )
        scaling.install(stack, self._copies, self.scale)

    def _answering(self, operation: str, handler: Any) -> Any:
        """``operation``'s answer: the handler's, unless a scenario fault answers for it."""
        sim = self

        def answer(response: SageMakerResponse) -> Any:
            params = moto_request_params(response, sim.service)
            fault = sim.faults.take(operation)
            if fault is None or fault.applied:
                with sim._lock:
                    result = handler(params)
                if fault is None:
                    return ActionResult(result)
            sim._failed(operation, fault.error)
            if fault.is_read_timeout:
                raise ReadTimeoutPending(
                    sim.clock, response.uri or f"https://api.sagemaker.{REGION}.amazonaws.com"
                )
            return json_error(fault)

        return answer

    def _failed(self, operation: str, error: str) -> None:
        """Mark the call the SageMaker simulator logged (its latest of this execution) as failed."""
        call = (self.log.execution, f"{self.service}:{operation}")
        with self.log.lock:
            index = next(
                (i for i in range(len(self.log.entries) - 1, -1, -1) if self.log.entries[i] == call), None
            )
        if index is not None:
            self.log.failed(index, error)

    def sagemaker(self) -> Any:
        return sm_models.sagemaker_backends[ACCOUNT][REGION]

    def endpoint(self, name: str) -> tuple[str | None, list[str]]:
        """An endpoint's status, as the SageMaker simulator brings it up to the clock, and its
        variants (``None``: it does not exist)."""
        try:
            described = self.sagemaker().describe_endpoint(name)
        except ValidationError:
            return None, []
        variants = [str(v.get("VariantName")) for v in described.get("ProductionVariants") or []]
        if not variants:
            config = self.sagemaker().endpoint_configs.get(described.get("EndpointConfigName"))
            variants = [str(v.get("VariantName")) for v in getattr(config, "production_variants", None) or []]
        return str(described.get("EndpointStatus")), variants

    def seed(self) -> None:
        """The scenario's components (someone else's: no tags), in service, on their endpoints."""
        for existing in self.scenario.existing.components:
            self.ensure_endpoint(existing.EndpointName, "AllTraffic")
            if existing.InferenceComponentName not in self.components.items:
                self.components.create(
                    {
                        "InferenceComponentName": existing.InferenceComponentName,
                        "EndpointName": existing.EndpointName,
                        "Specification": {"ModelName": f"{existing.InferenceComponentName}-model"},
                        "RuntimeConfig": {"CopyCount": 1},
                    },
                    settled=True,
                )

    def prepare(self, request: Any) -> None:
        """A create's endpoint exists and is in service (unless ``missingPrerequisites``)."""
        document = request_document(request)
        if self.scenario.missingPrerequisites or not document:
            return
        if document.get("endpointType") != self.endpoint_type or document.get("action", "create") != "create":
            return
        params = document.get("params")
        if isinstance(params, dict) and isinstance(params.get("EndpointName"), str):
            variant = params.get("VariantName")
            self.ensure_endpoint(
                params["EndpointName"], variant if isinstance(variant, str) else "AllTraffic"
            )

    def ensure_endpoint(self, name: str, variant: str) -> None:
        """An endpoint for components, in service: a config whose variant names no model, with an
        execution role and managed instance scaling (docs/requests.md#inference-components). Its ``ml.g5.2xlarge`` instances
        (1 GPU, 8 vCPU, 32 GiB each, ``capacity.py``) scale up to ``MAX_INSTANCES``, room for the
        samples' and the tests' components (20 of 2 one-GPU copies) to be placed."""
        backend = self.sagemaker()
        if name in backend.endpoints:
            return
        config_name = f"{name}-config"
        variants = [
            {
                "VariantName": variant,
                "InstanceType": "ml.g5.2xlarge",
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {
                    "Status": "ENABLED",
                    "MinInstanceCount": 1,
                    "MaxInstanceCount": MAX_INSTANCES,
                },
                "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
            }
        ]
        if config_name not in backend.endpoint_configs:
            config = sm_models.FakeEndpointConfig(ACCOUNT, REGION, config_name, variants, {}, {}, [], "")
            config.execution_role_arn = ROLE  # type: ignore[attr-defined]
            backend.endpoint_configs[config_name] = config
        tags = [{"Key": "team", "Value": "other"}]
        backend.endpoints[name] = sm_models.FakeEndpoint(
            ACCOUNT, REGION, name, config_name, variants, {}, tags
        )

    # -- results ---------------------------------------------------------------------------------
    def remaining(self) -> dict[str, list[str]]:
        with self._lock:
            return {"components": sorted(c.name for c in self.components.all())}

    def terminal_times(self, execution: str) -> list[float]:
        with self._lock:
            self.components.all()
            created = [at for owner, at in self.components.terminal.values() if owner == execution]
            return created or [at for owner, at in self.components.deleted if owner == execution]

    # -- IAM -------------------------------------------------------------------------------------
    def authorizations(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        return authorization.authorizations(operation, params)

    def on_behalf(self, service: str, operation: str, params: dict[str, Any]) -> list[Authorization]:
        return authorization.on_behalf(operation, params) if service == "application-autoscaling" else []

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        with self._lock:
            found = self._by_arn(arn)
        return None if found is None else {t["Key"]: t["Value"] for t in found.tags}

    def _by_arn(self, arn: str) -> Any:
        return next((c for c in self.components.all() if c.arn == arn.lower() or c.arn == arn), None)

    # -- autoscaling -----------------------------------------------------------------------------
    def _copies(self, name: str) -> int | None:
        with self._lock:
            found = self.components.refresh(name)
            return None if found is None else found.desired

    def scale(self, name: str, copies: int) -> None:
        """Application Auto Scaling changed ``DesiredCopyCount`` (a policy acted, or new limits)."""
        with self._lock:
            self.components.scale(name, copies)

    def released(self, name: str) -> None:
        """A deleted component's scalable target goes with it (``scaling.py``)."""
        scaling.release(name)


SIMULATOR = InferenceComponentSimulator
