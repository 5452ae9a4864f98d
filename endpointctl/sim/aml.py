"""Emulated Amazon Machine Learning (JSON 1.1, ``X-Amz-Target: AmazonML_20141212.<Op>``).

Models named by the requests exist unless ``missingPrerequisites``; a real-time endpoint goes
``UPDATING`` → ``READY``/``FAILED`` after ``createSeconds``, and back to ``NONE`` after
``deleteSeconds`` once deleted, on the virtual clock.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from endpointctl.sim import timeline as life
from endpointctl.sim.base import DemoScene
from endpointctl.sim.calls import CallLog
from endpointctl.sim.emulator import Emulator
from endpointctl.sim.faults import Fault, json_error
from endpointctl.sim.iam import Authorization, arn
from endpointctl.sim.scenario import ScenarioModel, Seconds, ServiceScenario, request_document
from endpointctl.sim.virtual_clock import VirtualClock

ENDPOINT_URL = "https://realtime.machinelearning.us-east-1.amazonaws.com"
PEAK_RPS = 200
_STATUS = {
    life.CREATING: "UPDATING",
    life.DELETING: "UPDATING",
    life.READY: "READY",
    life.FAILED: "FAILED",
    life.GONE: "NONE",
}


class AmlExisting(ScenarioModel):
    #: Models that already have a real-time endpoint (someone else's).
    realtimeEndpoints: list[str] = []


class AmlScenario(ServiceScenario):
    createSeconds: Seconds = 120
    deleteSeconds: Seconds = 30
    outcome: Literal["READY", "FAILED"] = "READY"
    deleteOutcome: Literal["Deleted", "Failed"] = "Deleted"
    existing: AmlExisting = AmlExisting()


class AmlEmulator(Emulator):
    endpoint_type = "aml"
    client_service = "machine-learning"
    sample_params = {"MLModelId": "bench-model"}
    demo = (
        DemoScene(
            "An Amazon ML real-time endpoint becomes ready",
            {"endpointType": "aml", "params": {"MLModelId": "ml-churn-2026"}, "requestId": "demo-aml-ready"},
            {"aml": {"createSeconds": 120}},
        ),
        DemoScene(
            "An Amazon ML real-time endpoint fails and is deleted again",
            {"endpointType": "aml", "params": {"MLModelId": "ml-fraud-2026"}, "requestId": "demo-aml-failed"},
            {"aml": {"createSeconds": 180, "outcome": "FAILED"}},
        ),
    )
    Scenario = AmlScenario
    ready_word = "READY"
    #: Amazon ML's error for input its model refuses: "An error on the client occurred. Typically,
    #: the cause is an invalid input value." (the API reference's ``InvalidInputException``).
    validation_error = "InvalidInputException"

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        super().__init__(scenario, clock, log)
        self.models: set[str] = set()
        for model_id in self.scenario.existing.realtimeEndpoints:
            self.models.add(model_id)
            self.fleet.endpoints[model_id] = life.Timeline(create_at=None)

    def prepare(self, request: Any) -> None:
        document = request_document(request)
        if self.missing or not document or document.get("endpointType") != "aml":
            return
        params = document.get("params")
        if isinstance(params, dict) and isinstance(params.get("MLModelId"), str):
            self.models.add(params["MLModelId"])

    def remaining(self) -> dict[str, list[str]]:
        return {"realtimeEndpoints": self.fleet.live()}

    # -- the API --------------------------------------------------------------------------------
    service = "machinelearning"

    def authorizations(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        """Every Amazon ML action on an ``mlmodel`` (the service authorization reference)."""
        return [
            (f"machinelearning:{operation}", arn("machinelearning", f"mlmodel/{params.get('MLModelId')}"), {})
        ]

    def route(self, method: str, path: str, headers: dict[str, str]) -> tuple[str, str]:
        return headers.get("x-amz-target", "").rsplit(".", 1)[-1], ""

    def answer(
        self, operation: str, target: str, method: str, path: str, body: bytes, execution: str | None
    ) -> tuple[int, dict[str, str], str]:
        params = json.loads(body or b"{}")
        model_id = str(params.get("MLModelId", ""))
        if model_id not in self.models:
            return json_error(
                Fault(operation, "ResourceNotFoundException"), f"No MLModel with id {model_id} exists"
            )
        if operation == "CreateRealtimeEndpoint":
            if self.fleet.status(model_id) in (life.GONE, life.FAILED):
                self.start_creating(model_id, execution)
            return self._ok({"MLModelId": model_id, "RealtimeEndpointInfo": self._info(model_id)})
        if operation == "DeleteRealtimeEndpoint":
            status = self.fleet.status(model_id)
            if status in (life.READY, life.FAILED):
                self.start_deleting(model_id, execution)
            elif status == life.CREATING:
                return json_error(
                    Fault(operation, "InvalidInputException"), f"The endpoint of {model_id} is being created"
                )
            return self._ok({"MLModelId": model_id, "RealtimeEndpointInfo": self._info(model_id)})
        if operation == "GetMLModel":
            return self._ok(
                {
                    "MLModelId": model_id,
                    "Name": model_id,
                    "Status": "COMPLETED",
                    "MLModelType": "BINARY",
                    "EndpointInfo": self._info(model_id),
                }
            )
        return json_error(Fault(operation, "InvalidInputException"), f"unsupported operation {operation}")

    def _info(self, model_id: str) -> dict[str, Any]:
        status = _STATUS[self.fleet.status(model_id)]
        info: dict[str, Any] = {
            "EndpointStatus": status,
            "PeakRequestsPerSecond": PEAK_RPS if status != "NONE" else 0,
        }
        timeline = self.fleet.endpoints.get(model_id)
        if status != "NONE" and timeline is not None:
            info["EndpointUrl"] = ENDPOINT_URL
            info["CreatedAt"] = timeline.create_at or 0
        return info

    @staticmethod
    def _ok(body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(body)


SIMULATOR = AmlEmulator
