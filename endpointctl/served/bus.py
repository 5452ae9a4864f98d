"""EventBridge in the served world: what moto's EventBridge does not do, done as AWS does it.

- A rule (on any bus) whose pattern matches sends the event to its Step Functions targets
  (``StartExecution``, the event as input: how the controller's request rules start a lifecycle) and,
  asynchronously with Lambda's retries, to its Lambda targets (the handler in-process); its other
  targets go the way moto sends them. moto's own delivery raises for both kinds, and matches a
  schedule's rule (no pattern) to every event.
- An event no target can take goes to the target's dead-letter queue; an event a Lambda target
  took and failed on every attempt (its asynchronous-invocation configuration's retries) goes, as
  Lambda's record, to the function's on-failure destination (``endpointctl.served.cloudformation``
  creates the configuration), or is dropped without one, as Lambda drops it.
- Scheduled rules fire on the wall clock; EventBridge Scheduler's one-time schedules (the
  controller's expiry) put their event on their bus at their moment (``runner.scheduler`` cites).
- Services' events (a simulator's, Step Functions' status changes) go on the default bus.

Every call into moto's backends holds the world's lock (moto is not thread-safe).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, cast
from unittest import mock

from endpointctl.runner import schedules
from endpointctl.runner.delivery import failed_invocation, scheduled_event
from endpointctl.served.clock import RealClock
from endpointctl.template import ACCOUNT, REGION

LOG = logging.getLogger("endpointctl.served")

#: Seconds between Lambda's retries of an asynchronous invocation that failed (EventBridge
#: targets): 1 and 2 minutes, as ``endpointctl.runner.delivery`` cites.
ASYNC_RETRY_SECONDS = 60.0
#: ``invoke(function, payload, response_headers) -> body``: run a function's handler.
Invoke = Callable[[str, Any, dict[str, str]], bytes]


def _service(arn: str) -> str:
    parts = str(arn).split(":")
    return parts[2] if len(parts) > 2 else ""


def _aws_shaped(event: dict[str, Any]) -> dict[str, Any]:
    """moto's event message as EventBridge sends it: ``time`` an ISO timestamp, no moto extras."""
    shaped = {key: value for key, value in event.items() if key != "ingestion-time"}
    if isinstance(shaped.get("time"), int | float):
        shaped["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(shaped["time"])))
    return shaped


def _payload(target: dict[str, Any], event: dict[str, Any]) -> str | None:
    """What a target is sent: its ``Input``, the part at its ``InputPath`` (None: nothing there),
    its ``InputTransformer``'s rendering (moto's), else the whole event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputTransformer" in target:
        from moto.events.utils import EventTemplateParser

        transformer = target["InputTransformer"]
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=cast(Any, event),
        )
        return rendered if isinstance(rendered, str) else json.dumps(rendered)
    found: Any = event
    path = str(target.get("InputPath") or "$")
    for step in path.removeprefix("$").replace("[", ".").replace("]", "").split("."):
        if not step:
            continue
        if isinstance(found, dict) and step in found:
            found = found[step]
        elif isinstance(found, list) and step.isdigit() and int(step) < len(found):
            found = found[int(step)]
        else:
            return None
    return json.dumps(found)


class Bus:
    """EventBridge's deliveries, with ``invoke`` running a function's handler."""

    def __init__(
        self,
        lock: threading.RLock,
        clock: RealClock,
        invoke: Invoke,
        refusal: Callable[[Any, dict[str, Any]], str | None] = lambda rule, target: None,
    ) -> None:
        """``refusal``: why IAM would not let EventBridge deliver to ``target`` of ``rule``
        (``None``: it may)."""
        self.lock, self.clock, self.invoke, self.refusal = lock, clock, invoke, refusal
        self._stopping = threading.Event()
        #: Events no target could take (after Lambda's retries), as sent to the dead-letter queue.
        self.undelivered: list[dict[str, Any]] = []

    def install(self, stack: ExitStack) -> None:
        self._event_targets(stack)
        self._one_time_schedules(stack)
        ticker = threading.Thread(target=self._scheduled_rules, name="scheduled-rules", daemon=True)
        ticker.start()
        stack.callback(self._stopping.set)

    def put_on_default_bus(self, event: dict[str, Any]) -> None:
        """A service's event (a simulator's, Step Functions') on the default bus."""
        entry = {
            "Source": event.get("source"),
            "DetailType": event.get("detail-type"),
            "Detail": json.dumps(event.get("detail", {})),
            "Resources": list(event.get("resources") or []),
            "EventBusName": "default",
        }
        self._put(entry)

    def _put(self, entry: dict[str, Any]) -> None:
        from moto.events.models import events_backends

        try:
            with self.lock:
                events_backends[ACCOUNT][REGION].put_events([entry])
        except Exception:
            LOG.exception("putting %s on %s failed", entry.get("DetailType"), entry.get("EventBusName"))

    def _event_targets(self, stack: ExitStack) -> None:
        """A matching, enabled rule delivers to its Step Functions and Lambda targets (moto's own
        delivery raises for both); its other targets go the way moto sends them."""
        from moto.events.models import Rule

        bus = self
        original = Rule.send_to_targets

        def send_to_targets(rule: Any, event: dict[str, Any], transform_input: bool = True) -> None:
            if rule.state != "ENABLED" or not rule.event_pattern.get_pattern():
                return  # a schedule's rule (no EventPattern) matches no event (runner.delivery cites)
            if not rule.event_pattern.matches_event(event):
                return
            ours = [t for t in rule.targets if _service(t.get("Arn", "")) in ("states", "lambda")]
            others = [t for t in rule.targets if t not in ours]
            for target in ours:
                bus.deliver(rule, target, _aws_shaped(event))
            if others:
                kept, rule.targets = rule.targets, others
                try:
                    original(rule, cast(Any, event), transform_input)
                finally:
                    rule.targets = kept

        stack.enter_context(mock.patch.object(Rule, "send_to_targets", send_to_targets))

    def deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        """Send ``event`` to one target of ``rule``: start the state machine (the payload as its
        input), or invoke the function asynchronously (with Lambda's retries)."""
        payload = _payload(target, event)
        if payload is None:
            self._dead_letter(target, event, "nothing at the target's InputPath")
            return
        refused = self.refusal(rule, target)
        if refused is not None:
            self._dead_letter(target, event, refused)
            return
        if _service(target["Arn"]) == "states":
            from moto.stepfunctions.parser.models import stepfunctions_parser_backends

            try:
                with self.lock:
                    execution = stepfunctions_parser_backends[ACCOUNT][REGION].start_execution(
                        target["Arn"], str(uuid.uuid4()), payload
                    )
                LOG.info(
                    "rule %s started %s for event %s", rule.name, execution.execution_arn, event.get("id")
                )
            except Exception as exc:
                self._dead_letter(target, event, f"StartExecution failed: {exc}")
            return
        threading.Thread(
            target=self._invoke_async, args=(rule, target, payload, event), name="event-delivery", daemon=True
        ).start()

    def _invoke_async(self, rule: Any, target: dict[str, Any], payload: str, event: dict[str, Any]) -> None:
        from endpointctl.served.cloudformation import on_failure_destination

        function = str(target["Arn"]).rsplit(":", 1)[-1]
        with self.lock:
            retries, destination = on_failure_destination(function)
        answer = b""
        for attempt in range(retries + 1):
            if attempt:
                self.clock.sleep(ASYNC_RETRY_SECONDS * attempt)
                if self._stopping.is_set():
                    return
            headers: dict[str, str] = {}
            answer = self.invoke(str(target["Arn"]), payload, headers)
            if "x-amz-function-error" not in headers:
                LOG.info("rule %s delivered %s to %s", rule.name, event.get("detail-type"), target["Arn"])
                return
            LOG.warning("rule %s: %s answered %s", rule.name, target["Arn"], answer[:500].decode())
        LOG.warning("%s failed %s every attempt", function, event.get("id"))
        self.undelivered.append(
            {"event": event, "target": target.get("Arn"), "reason": "the function failed"}
        )
        if destination is not None and ":sqs:" in destination:
            self._send(
                destination, json.dumps(failed_invocation(str(target["Arn"]), payload, answer, retries + 1))
            )

    def _dead_letter(self, target: dict[str, Any], event: dict[str, Any], why: str) -> None:
        LOG.warning("event %s not delivered to %s: %s", event.get("id"), target.get("Arn"), why)
        self.undelivered.append({"event": event, "target": target.get("Arn"), "reason": why})
        queue = (target.get("DeadLetterConfig") or {}).get("Arn")
        if queue:
            self._send(str(queue), json.dumps(event))

    def _send(self, queue: str, body: str) -> None:
        from moto.sqs.models import sqs_backends

        try:
            with self.lock:
                sqs_backends[ACCOUNT][REGION].send_message(queue.rsplit(":", 1)[-1], body)
        except Exception:
            LOG.exception("the queue %s refused the message", queue)

    def _scheduled_rules(self) -> None:
        """Rules with a ``ScheduleExpression`` fire on the wall clock, from when they appear."""
        from moto.events.models import events_backends

        armed: dict[str, tuple[str, Any, float, float]] = {}  # expression, schedule, created, next
        while not self._stopping.wait(1.0):
            with self.lock:
                buses = list(events_backends[ACCOUNT][REGION].event_buses.values())
                rules = [r for bus in buses for r in bus.rules.values() if r.scheduled_expression]
            now = time.time()
            for rule in rules:
                entry = armed.get(rule.arn)
                expression = str(rule.scheduled_expression)
                if entry is None or entry[0] != expression:
                    try:
                        schedule = schedules.parse(expression)
                    except schedules.ScheduleError as exc:
                        LOG.warning("rule %s: %s", rule.name, exc)
                        armed[rule.arn] = (expression, None, now, float("inf"))
                        continue
                    armed[rule.arn] = (
                        expression,
                        schedule,
                        now,
                        schedules.first_firing(schedule, now),
                    )
                    continue
                expression, schedule, created, at = entry
                if now < at or schedule is None:
                    continue
                armed[rule.arn] = (expression, schedule, created, schedule.after(created, at))
                if rule.state == "ENABLED":
                    event = scheduled_event(rule.arn, at)
                    for target in [
                        t for t in rule.targets if _service(t.get("Arn", "")) in ("states", "lambda")
                    ]:
                        self.deliver(rule, target, event)
            for gone in set(armed) - {rule.arn for rule in rules}:
                del armed[gone]

    def _one_time_schedules(self, stack: ExitStack) -> None:
        """EventBridge Scheduler's one-time schedules (the controller's expiry) put their event on
        their bus at their moment, unless deleted or moved before (``runner.scheduler`` cites)."""
        from endpointctl.runner.scheduler import one_time_schedules

        def due(schedule: Any) -> None:
            target = schedule.target
            parameters = target.get("EventBridgeParameters") or {}
            self._put(
                {
                    "Source": parameters.get("Source"),
                    "DetailType": parameters.get("DetailType"),
                    "Detail": target.get("Input") or "{}",
                    "Resources": [schedule.arn],
                    "EventBusName": target.get("Arn"),
                }
            )

        def refused(schedule: Any, exc: ValueError) -> None:
            LOG.warning("schedule %s: %s", schedule.name, exc)

        one_time_schedules(stack, self.clock, due, lock=self.lock, refused=refused)
