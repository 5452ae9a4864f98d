"""The toy type's simulator: its home in the local runner. An in-process service (no moto, no
HTTP) on the shared timeline helpers, publishing its state-change events to the runner's bus."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from typing import Any, Literal
from unittest import mock

from endpointctl.sim import SimulatorBase
from endpointctl.sim import timeline as life
from endpointctl.sim.calls import CallLog
from endpointctl.sim.scenario import Seconds, ServiceScenario
from endpointctl.sim.virtual_clock import VirtualClock
from tests.toy import ROW, service

_STATUS = {life.CREATING: "CREATING", life.READY: "READY", life.FAILED: "FAILED", life.DELETING: "DELETING"}


class ToyScenario(ServiceScenario):
    createSeconds: Seconds = 90
    deleteSeconds: Seconds = 20
    outcome: Literal["READY", "FAILED"] = "READY"


class ToySimulator(SimulatorBase):
    endpoint_type = "toy"
    Scenario = ToyScenario
    emits_events = True
    sample_params = {"thingId": "bench"}

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        super().__init__(scenario, clock, log)
        self.create_seconds = self.scenario.createSeconds
        self.delete_seconds = self.scenario.deleteSeconds
        self.ok = self.scenario.outcome == "READY"
        self.fleet = life.Fleet(clock)

    def install(self, stack: ExitStack) -> None:
        stack.enter_context(mock.patch.object(service, "current", self))

    def prepare(self, request: Any) -> None:
        return None  # a toy thing needs nothing to exist first

    def remaining(self) -> dict[str, list[str]]:
        return {"things": self.fleet.live()}

    def terminal_times(self, execution: str) -> list[float]:
        return self.fleet.terminal_times(execution)

    # -- the toy service --------------------------------------------------------------------------
    def create_thing(self, thing_id: str) -> str:
        self.log.record("toy:CreateThing")
        timeline = life.Timeline(
            create_at=self.clock.now(),
            create_seconds=self.create_seconds,
            ok=self.ok,
            execution=self.log.execution,
        )
        self.fleet.endpoints[thing_id] = timeline
        self.clock.call_at(self.clock.now() + self.create_seconds, lambda: self._announce(thing_id, timeline))
        return "CREATING"

    def describe_thing(self, thing_id: str) -> str | None:
        self.log.record("toy:DescribeThing")
        status = self.fleet.status(thing_id)
        return None if status == life.GONE else _STATUS[status]

    def delete_thing(self, thing_id: str) -> None:
        self.log.record("toy:DeleteThing")
        status = self.fleet.status(thing_id)
        if status == life.CREATING:
            raise service.ThingBusy(f"thing {thing_id} is being created")
        timeline = self.fleet.endpoints.get(thing_id)
        if timeline is not None and timeline.delete_at is None:
            timeline.delete_at, timeline.delete_seconds = self.clock.now(), self.delete_seconds
            timeline.delete_execution = self.log.execution

    def _announce(self, thing_id: str, timeline: life.Timeline) -> None:
        if self.publish is None or self.fleet.endpoints.get(thing_id) is not timeline:
            return
        self.publish(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "source": ROW["stateChanges"]["source"],
                "detail-type": ROW["stateChanges"]["detailType"],
                "detail": {"thingId": thing_id, "status": "READY" if timeline.ok else "FAILED"},
            }
        )


SIMULATOR = ToySimulator
