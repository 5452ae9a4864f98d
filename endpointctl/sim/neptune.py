"""Emulated Neptune ML data API (REST-JSON under ``/ml``): endpoints and training/transform jobs.

Jobs named by the requests exist unless ``missingPrerequisites``. An endpoint is ``Creating``
(or ``Updating``) for ``createSeconds``, then ``InService``/``Failed``; ``DeleteMLEndpoint`` is
refused while it is ``Creating`` (``BadRequestException``, like the service), otherwise it is
``Deleting`` for ``deleteSeconds``, then gone (or ``Failed``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from endpointctl.sim import timeline as life
from endpointctl.sim.base import DemoScene
from endpointctl.sim.calls import CallLog
from endpointctl.sim.emulator import Emulator
from endpointctl.sim.faults import Fault
from endpointctl.sim.iam import Authorization, arn
from endpointctl.sim.records import record_created
from endpointctl.sim.scenario import ScenarioModel, Seconds, ServiceScenario, request_document
from endpointctl.sim.virtual_clock import VirtualClock

ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/{}"
#: The simulated cluster's resource id (the local synth's ``neptuneClusterResourceId``).
CLUSTER_RESOURCE_ID = "cluster-LOCALPLACEHOLDER"
#: Operation → ``neptune-db`` action, where they differ.
_ACTIONS = {
    "GetMLEndpoint": "GetMLEndpointStatus",
    "GetMLModelTrainingJob": "GetMLModelTrainingJobStatus",
    "GetMLModelTransformJob": "GetMLModelTransformJobStatus",
}
_STATUS = {life.READY: "InService", life.FAILED: "Failed", life.DELETING: "Deleting"}


def rest_error(fault: Fault, message: str | None = None) -> tuple[int, dict[str, str], str]:
    text = message or fault.message or f"simulated {fault.error}"
    body = {"code": fault.error, "detailedMessage": text, "message": text, "requestId": "00000000-sim"}
    return fault.http_status, {"x-amzn-ErrorType": fault.error}, json.dumps(body)


class NeptuneExistingEndpoint(ScenarioModel):
    """An endpoint in service before the run; ``createdBy``: the request under which this controller
    created it earlier (Neptune ML keeps no tags: the controller's record of it, its claim, is put
    in the requests table, ``endpointctl.sim.records``). Without it, someone else's."""

    id: str
    createdBy: str | None = None


class NeptuneExisting(ScenarioModel):
    #: Endpoints that exist before the run, in service: an id is someone else's.
    endpoints: list[str | NeptuneExistingEndpoint] = []


class NeptuneUpdate(ScenarioModel):
    """How a simulated update (``CreateMLEndpoint`` with ``update: true``) goes (docs/local-runner.md
    ``neptune.update``): ``Updating`` for ``seconds``, then ``InService`` or ``Failed``."""

    seconds: Seconds = 600
    outcome: Literal["InService", "Failed"] = "InService"


class NeptuneScenario(ServiceScenario):
    createSeconds: Seconds = 600
    deleteSeconds: Seconds = 60
    outcome: Literal["InService", "Failed"] = "InService"
    deleteOutcome: Literal["Deleted", "Failed"] = "Deleted"
    existing: NeptuneExisting = NeptuneExisting()
    update: NeptuneUpdate = NeptuneUpdate()


class NeptuneEmulator(Emulator):
    endpoint_type = "neptune"
    client_service = "neptunedata"
    sample_params = {"id": "bench", "mlModelTrainingJobId": "bench-job"}
    sample_update = {"id": "bench", "mlModelTrainingJobId": "bench-job-v2"}
    demo = (
        DemoScene(
            "A Neptune ML endpoint becomes ready",
            {
                "endpointType": "neptune",
                "params": {
                    "id": "fraud-graph",
                    "mlModelTrainingJobId": "fraud-training-2026-11",
                    "modelName": "rgcn",
                },
                "requestId": "demo-neptune-ready",
            },
            {"neptune": {"createSeconds": 600}},
        ),
        DemoScene(
            "A Neptune ML endpoint fails; the controller deletes it once Neptune lets it",
            {
                "endpointType": "neptune",
                "params": {"id": "risk-graph", "mlModelTransformJobId": "risk-transform-7"},
                "requestId": "demo-neptune-failed",
            },
            {
                "neptune": {
                    "createSeconds": 900,
                    "outcome": "Failed",
                    "failureReason": "The model artifacts could not be loaded.",
                }
            },
        ),
    )
    Scenario = NeptuneScenario
    ready_word = "InService"
    #: The Neptune data API's error for a field its model refuses: "Raised when a value in a
    #: request field did not satisfy required constraints" (the API reference's exceptions,
    #: ``ConstraintViolationException``, HTTP 400).
    validation_error = "ConstraintViolationException"

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        super().__init__(scenario, clock, log)
        self.failure_reason = self.scenario.failureReason or "simulated: the endpoint failed to deploy"
        self.jobs: set[str] = set()
        self.updating: dict[str, bool] = {}
        self._ids = itertools.count(1)
        self.existing = [
            e if isinstance(e, NeptuneExistingEndpoint) else NeptuneExistingEndpoint(id=e)
            for e in self.scenario.existing.endpoints
        ]
        for existing in self.existing:
            self.fleet.endpoints[existing.id] = life.Timeline(create_at=None)

    def seed(self) -> None:
        """The controller's record of the existing endpoints it created earlier (``createdBy``)."""
        for existing in self.existing:
            if existing.createdBy is not None:
                record_created(self.endpoint_type, existing.id, existing.createdBy)

    def prepare(self, request: Any) -> None:
        document = request_document(request)
        if self.missing or not document or document.get("endpointType") != "neptune":
            return
        params = document.get("params")
        if isinstance(params, dict):
            for key in ("mlModelTrainingJobId", "mlModelTransformJobId"):
                if isinstance(params.get(key), str):
                    self.jobs.add(params[key])

    def remaining(self) -> dict[str, list[str]]:
        return {"endpoints": self.fleet.live()}

    # -- the API --------------------------------------------------------------------------------
    service = "neptunedata"
    local_context = {
        "neptuneEndpoint": "https://local-placeholder.cluster-local.us-east-1.neptune.amazonaws.com:8182",
        "neptuneClusterResourceId": CLUSTER_RESOURCE_ID,
    }

    def authorizations(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        """The Neptune data API's IAM actions (``neptune-db:``, not always the operation's name:
        https://docs.aws.amazon.com/neptune/latest/userguide/iam-dp-actions.html) on the cluster,
        whose resource ARN ends in ``/*`` (the service authorization reference's ``database``)."""
        action = _ACTIONS.get(operation, operation)
        return [(f"neptune-db:{action}", arn("neptune-db", f"{CLUSTER_RESOURCE_ID}/*"), {})]

    def route(self, method: str, path: str, headers: dict[str, str]) -> tuple[str, str]:
        return self._route(method, [unquote(p) for p in urlsplit(path).path.strip("/").split("/")])

    def error(self, fault: Fault, message: str | None = None) -> tuple[int, dict[str, str], str]:
        return rest_error(fault, message)

    def answer(
        self, operation: str, target: str, method: str, path: str, body: bytes, execution: str | None
    ) -> tuple[int, dict[str, str], str]:
        if operation in ("GetMLModelTrainingJob", "GetMLModelTransformJob"):
            if target not in self.jobs:
                return rest_error(Fault(operation, "MLResourceNotFoundException"), f"Job {target} not found")
            return 200, {}, json.dumps({"id": target, "status": "Completed"})
        if operation == "CreateMLEndpoint":
            return self._create(json.loads(body or b"{}"), execution)
        if operation == "GetMLEndpoint":
            status = self.fleet.status(target)
            if status == life.GONE:
                return rest_error(
                    Fault(operation, "MLResourceNotFoundException"), f"Endpoint {target} not found"
                )
            return 200, {}, json.dumps(self._describe(target, status))
        if operation == "DeleteMLEndpoint":
            status = self.fleet.status(target)
            if status == life.GONE:
                return rest_error(
                    Fault(operation, "MLResourceNotFoundException"), f"Endpoint {target} not found"
                )
            if status == life.CREATING:
                return rest_error(
                    Fault(operation, "BadRequestException"),
                    f"Endpoint {target} is {self._creating_word(target)}; it cannot be deleted until that finishes",
                )
            self.start_deleting(target, execution)
            return 200, {}, json.dumps({"status": "Deleting"})
        return rest_error(
            Fault(operation, "UnsupportedOperationException"), f"{method} {path} is not supported"
        )

    @staticmethod
    def _route(method: str, parts: list[str]) -> tuple[str, str]:
        if parts[:2] == ["ml", "endpoints"]:
            if len(parts) == 2 and method == "POST":
                return "CreateMLEndpoint", ""
            if len(parts) == 3:
                return {"GET": "GetMLEndpoint", "DELETE": "DeleteMLEndpoint"}.get(method, "Unknown"), parts[2]
        if parts[:2] == ["ml", "modeltraining"] and len(parts) == 3:
            return "GetMLModelTrainingJob", parts[2]
        if parts[:2] == ["ml", "modeltransform"] and len(parts) == 3:
            return "GetMLModelTransformJob", parts[2]
        return "Unknown", ""

    def _create(self, params: dict[str, Any], execution: str | None) -> tuple[int, dict[str, str], str]:
        job = params.get("mlModelTrainingJobId") or params.get("mlModelTransformJobId")
        if job not in self.jobs:
            return rest_error(
                Fault("CreateMLEndpoint", "MLResourceNotFoundException"), f"Job {job} not found"
            )
        endpoint_id = params.get("id") or f"endpoint-{int(self.clock.now())}-{next(self._ids)}"
        status = self.fleet.status(endpoint_id)
        update = bool(params.get("update"))
        if status != life.GONE and not update:
            return rest_error(
                Fault("CreateMLEndpoint", "BadRequestException"), f"Endpoint {endpoint_id} already exists"
            )
        if update and status in (life.CREATING, life.DELETING):
            return rest_error(
                Fault("CreateMLEndpoint", "BadRequestException"), f"Endpoint {endpoint_id} is busy"
            )
        self.updating[endpoint_id] = update and status != life.GONE
        if self.updating[endpoint_id]:
            plan = self.scenario.update
            self.fleet.endpoints[endpoint_id] = life.Timeline(
                create_at=self.clock.now(),
                create_seconds=plan.seconds,
                ok=plan.outcome == "InService",
                execution=execution,
            )
        else:
            self.start_creating(endpoint_id, execution)
        created = int(self.clock.now() * 1000)
        return (
            200,
            {},
            json.dumps({"id": endpoint_id, "arn": ARN.format(endpoint_id), "creationTimeInMillis": created}),
        )

    def _creating_word(self, endpoint_id: str) -> str:
        return "Updating" if self.updating.get(endpoint_id) else "Creating"

    def _describe(self, endpoint_id: str, status: str) -> dict[str, Any]:
        word = self._creating_word(endpoint_id) if status == life.CREATING else _STATUS[status]
        endpoint: dict[str, Any] = {"name": endpoint_id, "arn": ARN.format(endpoint_id), "status": word}
        if status == life.FAILED:
            endpoint["failureReason"] = self.failure_reason
        return {
            "id": endpoint_id,
            "status": word,
            "endpoint": endpoint,
            "endpointConfig": {"name": endpoint_id},
        }


SIMULATOR = NeptuneEmulator
