"""EventBridge Scheduler on the virtual clock: a one-time schedule (``at(...)``, as the controller's
expiry makes them) fires when the clock reaches its moment, if it still exists then (a delete
before it cancels it), and is deleted after it ran (``ActionAfterCompletion: DELETE``). Its
EventBridge target (``EventBridgeParameters``) puts the event on the bus with the schedule's role,
which IAM must allow (``events:PutEvents``); the runner then starts the state machine the bus's
request rule would start, with the whole event as input.

"A one-time schedule ... at(yyyy-mm-ddThh:mm:ss)", in ``ScheduleExpressionTimezone``
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html); other expressions
(rate, cron) are refused here rather than guessed, as nothing in the controller makes them.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Protocol
from unittest import mock

from endpointctl.template import ACCOUNT, REGION

if TYPE_CHECKING:
    from endpointctl.runner.iam.authorizer import Authorizer
    from endpointctl.runner.results import Run
    from endpointctl.sim.virtual_clock import VirtualClock


class LocalRunner(Protocol):
    """What the schedules need of the runner (``endpointctl.runner.local_runner.LocalRunner``),
    which installs them: named here, so the dependency points one way."""

    clock: VirtualClock
    authorizer: Authorizer
    scheduled: set[str]

    def start(self, request: Any, *, registered: bool = False, machine: str | None = None) -> Run: ...

    def wait(self, runs: list[Run]) -> None: ...


_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def moment(expression: str, timezone: str | None) -> float:
    """The epoch second a one-time schedule fires at."""
    found = _AT.match(expression)
    if found is None or (timezone or "UTC") != "UTC":
        raise ValueError(
            f"the runner simulates one-time schedules in UTC only, not {expression!r} ({timezone})"
        )
    return float(calendar.timegm(time.strptime(found.group(1), "%Y-%m-%dT%H:%M:%S")))


def install(stack: ExitStack, runner: LocalRunner) -> None:
    """Schedules fire on ``runner``'s clock; the execution a schedule's event starts is the
    runner's, waited for in the background (its outcome belongs to the world, as a sweep's)."""
    clock = runner.clock

    def may_put(role_arn: str, bus_arn: str) -> bool:
        """IAM allows the schedule's role to put its event on the bus (``events:PutEvents``)."""
        params = {"Entries": [{"EventBusName": bus_arn}]}
        return runner.authorizer.check(role_arn, "events", "PutEvents", params) is None

    def deliver(event: dict[str, Any]) -> None:
        run = runner.start(event)
        runner.scheduled.add(run.execution_arn)
        threading.Thread(target=runner.wait, args=([run],), name="scheduled-request", daemon=True).start()

    def due(schedule: Any) -> None:
        target = schedule.target
        parameters = target.get("EventBridgeParameters") or {}
        if not may_put(str(target.get("RoleArn")), str(target.get("Arn"))):
            return  # the invocation fails: Scheduler's own retries would fail alike
        deliver(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": parameters.get("DetailType"),
                "source": parameters.get("Source"),
                "account": ACCOUNT,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now())),
                "region": REGION,
                "resources": [schedule.arn],
                "detail": json.loads(target.get("Input") or "{}"),
            }
        )

    one_time_schedules(stack, clock, due)


def one_time_schedules(
    stack: ExitStack,
    clock: Any,
    due: Callable[[Any], None],
    *,
    lock: Any = None,
    refused: Callable[[Any, ValueError], None] | None = None,
) -> None:
    """Each schedule created or updated in moto's Scheduler is armed on ``clock`` at its moment;
    then, unless it was deleted or moved in between, it is deleted if its ``ActionAfterCompletion``
    says so and ``due(schedule)`` delivers it. ``lock``: held while the schedule is read (the served
    world's moto lock); ``refused``: told of an expression this module cannot read (else it raises)."""
    from moto.scheduler.models import EventBridgeSchedulerBackend

    original_create = EventBridgeSchedulerBackend.create_schedule
    original_update = EventBridgeSchedulerBackend.update_schedule

    def arm(backend: Any, schedule: Any) -> None:
        try:
            at = moment(schedule.schedule_expression, schedule.schedule_expression_timezone)
        except ValueError as exc:
            if refused is None:
                raise
            refused(schedule, exc)
            return
        expression, group, name = schedule.schedule_expression, schedule.group_name, schedule.name

        def fire() -> None:
            with lock if lock is not None else contextlib.nullcontext():
                try:
                    current = backend.get_schedule(group, name)
                except Exception:
                    return  # deleted before its moment: cancelled
                if current.schedule_expression != expression:
                    return  # moved: its new moment fires instead
                if getattr(current, "action_after_completion", None) == "DELETE":
                    backend.delete_schedule(group, name)
            due(current)

        clock.call_at(at, fire)

    def create(backend: Any, *args: Any, **kwargs: Any) -> Any:
        schedule = original_create(backend, *args, **kwargs)
        arm(backend, schedule)
        return schedule

    def update(backend: Any, *args: Any, **kwargs: Any) -> Any:
        schedule = original_update(backend, *args, **kwargs)
        arm(backend, schedule)
        return schedule

    stack.enter_context(mock.patch.object(EventBridgeSchedulerBackend, "create_schedule", create))
    stack.enter_context(mock.patch.object(EventBridgeSchedulerBackend, "update_schedule", update))
