"""The default bus: the services' events and the schedules, delivered to the synthesized rules.

moto's EventBridge does not deliver to targets the way the controller needs, so the runner does:
every rule on the default bus whose pattern matches (moto's own ``EventPattern`` matcher) sends the
event to its Lambda targets, which run the real handler. EventBridge invokes a Lambda target
asynchronously, so a function error is retried twice, 1 and 2 minutes later, then the event is
given up: "If the function returns an error, by default Lambda attempts to run it two more times,
with a one-minute wait between the first two attempts, and two minutes between the second and
third attempts" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
A function's asynchronous-invocation configuration (``AWS::Lambda::EventInvokeConfig``) sets how
many retries, and where the record of an event the function failed on every time goes (its
on-failure destination: ``gave_up`` sends it there).

What reaches the bus:

- the simulated services' state-change events (``put``, e.g. SageMaker's);
- Step Functions' ``Step Functions Execution Status Change`` events, one per status an execution
  takes (``execution_status_change``; the runner puts them when an execution starts and ends);
- the schedules: a rule with a ``ScheduleExpression`` fires on the virtual clock
  (``start_schedules``, the expressions read by ``endpointctl.runner.schedules``) and sends the
  ``Scheduled Event`` to its own targets.

A target gets the event, or its ``Input`` (constant JSON) instead, or the part at its
``InputPath`` (``_check_input`` cites the API reference; an ``InputTransformer`` is refused).

Patterns are resolved once, after staging (so a ``Ref`` to a state machine is its ARN); a rule
without ``EventPattern`` (a schedule only) matches no event: "Rules with EventPatterns are
triggered when a matching event is observed. Rules with ScheduleExpressions self-trigger based on
the given schedule. A rule can have both"
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html).

Every event reaches the bus from a clock timer (``call_at``: a service's moment, ``later``, a
schedule's), never from the thread that caused it: AWS delivers these events asynchronously, and
"Events might be delivered out of order"
(https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from endpointctl.errors import UsageError
from endpointctl.runner import schedules
from endpointctl.runner.moto_patches import Invoke
from endpointctl.runner.staging import AsyncInvoke
from endpointctl.sim.virtual_clock import VirtualClock
from endpointctl.template import ACCOUNT, REGION, Resolver

#: Lambda's retries of an asynchronous invocation that failed (EventBridge targets are async).
ASYNC_RETRIES = 2
#: "If the combined escaped input and escaped output sent to EventBridge exceeds 248 KiB, then the
#: input will be excluded. Similarly, if the escaped output exceeds 248 KiB, then the output will be
#: excluded" (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html).
STATUS_CHANGE_PAYLOAD_BYTES = 248 * 1024

STATUS_CHANGE = "Step Functions Execution Status Change"
SCHEDULED_EVENT = "Scheduled Event"


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def _escaped_size(text: str | None) -> int:
    return 0 if text is None else len(json.dumps(text).encode("utf-8"))


def execution_status_change(
    described: dict[str, Any],
    *,
    status: str,
    started: float,
    stopped: float | None,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """The ``Step Functions Execution Status Change`` event of one execution, as AWS documents it
    (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html, "Events
    detail reference"): ``source`` ``aws.states``, ``resources`` the execution's ARN, and a
    ``detail`` of ``executionArn``, ``stateMachineArn``, ``name``, ``status`` (``RUNNING``,
    ``SUCCEEDED``, ``FAILED``, ``TIMED_OUT``, ``ABORTED``), ``startDate`` and ``stopDate`` in
    epoch milliseconds (``stopDate`` null while running), ``input`` with ``inputDetails``
    (``{"included": true}``) and ``output`` with ``outputDetails`` (null unless it succeeded).
    "The detail section in the event data provides the same information as the
    DescribeExecution API" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html),
    so ``error`` and ``cause`` are there when DescribeExecution has them, and only then: the
    documented structure does not list them, so a reader must not count on them.

    Delivery: Step Functions sends these "on a best-effort basis. Events might be delivered out of
    order" (eventbridge-integration.html above); "Best effort delivery means that the service
    attempts to send all events to EventBridge, but in some rare cases an event might not be
    delivered" (https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html). So
    they are not at-least-once: one can be lost. And a Lambda target may see one twice: "Even if
    your function doesn't return an error, it's possible for it to receive the same event from
    Lambda multiple times because the queue itself is eventually consistent"
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). The runner
    delivers each exactly once; a handler of these must be idempotent and must not be the only
    thing that notices an execution's end.

    Size: over 248 KiB of escaped input and output, the input is left out (``inputDetails.included``
    false); over 248 KiB of escaped output alone, the output is too."""
    text_input = described.get("input")
    text_output = described.get("output") if status == "SUCCEEDED" else None
    input_details: dict[str, bool] | None = {"included": True}
    output_details: dict[str, bool] | None = {"included": True} if status == "SUCCEEDED" else None
    if _escaped_size(text_output) > STATUS_CHANGE_PAYLOAD_BYTES:
        text_output, output_details = None, {"included": False}
    if _escaped_size(text_input) + _escaped_size(text_output) > STATUS_CHANGE_PAYLOAD_BYTES:
        text_input, input_details = None, {"included": False}
    arn = str(described["executionArn"])
    detail: dict[str, Any] = {
        "executionArn": arn,
        "stateMachineArn": described["stateMachineArn"],
        "name": described["name"],
        "status": status,
        "startDate": round(started * 1000),
        "stopDate": None if stopped is None else round(stopped * 1000),
        "input": text_input,
        "inputDetails": input_details,
        "output": text_output,
        "outputDetails": output_details,
    }
    if error is not None:
        detail["error"] = error
    if cause is not None:
        detail["cause"] = cause
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": STATUS_CHANGE,
        "source": "aws.states",
        "account": ACCOUNT,
        "time": _iso(started if stopped is None else stopped),
        "region": REGION,
        "resources": [arn],
        "detail": detail,
    }


def failed_invocation(
    function_arn: str, payload: str, answer: bytes, attempts: int, moment: float
) -> dict[str, Any]:
    """Lambda's record of an asynchronous invocation that failed every attempt, as it sends it to
    the function's on-failure destination ("Capturing records of Lambda asynchronous invocations",
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): the request
    (``requestPayload``), why it was given up (``requestContext.condition`` ``RetriesExhausted``,
    the number of attempts) and the function's error (``responseContext``, ``responsePayload``)."""
    try:
        response: Any = json.loads(answer or b"null")
    except ValueError:
        response = answer.decode(errors="replace")
    return {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment)),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": json.loads(payload),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": response,
    }


def scheduled_event(rule_arn: str, moment: float) -> dict[str, Any]:
    """The event a schedule sends its targets, as AWS documents it: ``source`` ``aws.events``,
    ``detail-type`` ``Scheduled Event``, ``resources`` the rule's ARN, ``detail`` ``{}``
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/event-reference.html, "Scheduled
    Event"; its delivery type is "Best effort",
    https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-events.html)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SCHEDULED_EVENT,
        "source": "aws.events",
        "account": ACCOUNT,
        "time": _iso(moment),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


class DefaultBus:
    def __init__(
        self,
        rules: list[dict[str, Any]],
        resolve: Resolver,
        invoke: Invoke,
        clock: VirtualClock,
        may_invoke: Callable[[dict[str, Any], str], bool] = lambda rule, function: True,
        rule_arns: dict[int, str] | None = None,
        async_invoke: dict[str, AsyncInvoke] | None = None,
        gave_up: Callable[[str, str, bytes, int], None] | None = None,
    ) -> None:
        """``rules``: the default bus's rules as synthesized (``resolve`` resolves their intrinsics,
        so it must know every staged resource: build the bus after staging). ``may_invoke(rule,
        function_arn)``: whether EventBridge may invoke the function for that rule (its resource
        policy, ``AWS::Lambda::Permission``); a refused target fails like a function error.
        ``rule_arns``: a rule's properties' id → its ARN (what a scheduled event names).
        ``async_invoke``: function name → its asynchronous-invocation configuration; ``gave_up(
        function_name, payload, answer, attempts)``: an event the function failed on every attempt
        (Lambda then sends its record to the function's on-failure destination)."""
        from moto.events.models import EventPattern

        self.rules, self.resolve, self.invoke, self.clock = rules, resolve, invoke, clock
        self.may_invoke = may_invoke
        self.rule_arns = rule_arns or {}
        self.async_invoke = async_invoke or {}
        self.gave_up = gave_up
        #: Every event put on the bus (services', Step Functions', schedules'), and deliveries given up.
        self.events: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        #: Each rule with a pattern, and its pattern resolved and loaded once.
        self._patterns: list[tuple[dict[str, Any], Any]] = []
        for rule in rules:
            if "EventPattern" not in rule:
                continue
            pattern = rule["EventPattern"]
            try:
                resolved = self.resolve(json.loads(pattern) if isinstance(pattern, str) else pattern)
            except KeyError as exc:
                where = self.rule_arns.get(id(rule), "a default-bus rule")
                raise UsageError(
                    f"{where}: its EventPattern names {exc}, which the runner did not stage"
                ) from None
            self._patterns.append((rule, EventPattern.load(json.dumps(resolved))))
        #: Every rule's Lambda targets: ARN and target, resolved once.
        self._functions: dict[int, list[tuple[str, dict[str, Any]]]] = {}
        for rule in rules:
            self._functions[id(rule)] = []
            for target in rule.get("Targets", []):
                target = self.resolve(target)
                if ":lambda:" in str(target["Arn"]):
                    _check_input(target, self.rule_arns.get(id(rule), "a rule"))
                    self._functions[id(rule)].append((str(target["Arn"]), target))

    def put(self, event: dict[str, Any]) -> None:
        """Put an event on the default bus: matching rules send it to their targets."""
        self._route(event)

    def later(self, at: float, event: dict[str, Any]) -> None:
        """Put ``event`` on the bus when the virtual clock reaches ``at`` (the service sends it
        asynchronously)."""
        self.clock.call_at(at, lambda: self._route(event))

    def _route(self, event: dict[str, Any], *, besides: dict[str, Any] | None = None) -> None:
        with self._lock:
            self.events.append(event)
        for rule, pattern in self._patterns:
            if rule is not besides and pattern.matches_event(event):
                for arn, target in self._functions[id(rule)]:
                    self._to_function(rule, arn, target, event)

    # -- schedules ------------------------------------------------------------------------------
    def scheduled_rules(self) -> list[tuple[dict[str, Any], schedules.Schedule]]:
        """The rules with a ``ScheduleExpression``, each with its schedule (``ScheduleError`` for
        an expression EventBridge refuses or the runner does not simulate)."""
        found = []
        for rule in self.rules:
            if "ScheduleExpression" in rule:
                expression = self.resolve(rule["ScheduleExpression"])
                try:
                    found.append((rule, schedules.parse(expression)))
                except schedules.ScheduleError as exc:
                    arn = self.rule_arns.get(id(rule), "a rule")
                    raise schedules.ScheduleError(f"{arn.rsplit('/', 1)[-1]}: {exc}") from None
        return found

    def start_schedules(self, created: float) -> None:
        """Every schedule runs from ``created`` (when the stack was made) on the virtual clock.

        A firing is a clock timer: it runs only while the simulated world runs (an execution, or
        ``keep_running``) and never moves time on by itself, so an idle world stays idle."""
        for rule, schedule in self.scheduled_rules():
            self._arm(rule, schedule, created, schedules.first_firing(schedule, created))

    def _arm(self, rule: dict[str, Any], schedule: schedules.Schedule, created: float, at: float) -> None:
        def fire() -> None:
            self._arm(rule, schedule, created, schedule.after(created, at))
            self.fire(rule, at)

        self.clock.call_at(at, fire)

    def fire(self, rule: dict[str, Any], at: float) -> None:
        """The schedule of ``rule`` fires at ``at``: its ``Scheduled Event`` goes to the rule's own
        targets; like every event of EventBridge itself it is also on the default bus ("These
        events are automatically sent to the default event bus as with any other AWS service",
        https://docs.aws.amazon.com/eventbridge/latest/userguide/event-reference.html), so other
        rules whose pattern matches get it too."""
        event = scheduled_event(self.rule_arns.get(id(rule), ""), at)
        for arn, target in self._functions[id(rule)]:
            self._to_function(rule, arn, target, event)
        self._route(event, besides=rule)

    # -- Lambda targets ---------------------------------------------------------------------------
    def _to_function(
        self, rule: dict[str, Any], arn: str, target: dict[str, Any], event: dict[str, Any], attempt: int = 0
    ) -> None:
        headers: dict[str, str] = {}
        payload = _payload(target, event)
        name, answer = arn.rsplit(":", 1)[-1], b""
        if payload is None:
            headers["x-amz-function-error"] = "InputPath"  # nothing at the target's InputPath
        elif self.may_invoke(rule, arn):
            answer = self.invoke(name, payload, headers)
        else:
            headers["x-amz-function-error"] = "AccessDenied"
        error = headers.get("x-amz-function-error")
        if error is None:
            return
        configured = self.async_invoke.get(name)
        retries = configured.retries if configured is not None else ASYNC_RETRIES
        if attempt < retries and payload is not None:
            later = self.clock.now() + 60 * (attempt + 1)
            self.clock.call_at(later, lambda: self._to_function(rule, arn, target, event, attempt + 1))
            return
        with self._lock:
            self.failures.append({"event": event, "target": arn})
        if error not in ("InputPath", "AccessDenied") and payload is not None and self.gave_up is not None:
            self.gave_up(name, payload, answer, attempt + 1)  # Lambda took it: the function failed


#: ``InputPath``: the JSONPath forms the runner reads (``$``, dot notation, array indices).
_PATH = re.compile(r"\$((\.[A-Za-z0-9_-]+)|(\[\d+\]))*")
_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]")


def _check_input(target: dict[str, Any], rule: str) -> None:
    """A target's ``Input``/``InputPath`` as EventBridge takes them: "Input and InputPath are
    mutually-exclusive and optional parameters of a target"; ``Input`` is "Valid JSON text passed
    to the target. In this case, nothing from the event itself is passed to the target"
    (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html). The runner
    refuses an ``InputTransformer`` (it does not simulate one) and an ``InputPath`` beyond dot
    notation and array indices."""
    name = f"{rule}: target {target.get('Id')}"
    given = [key for key in ("Input", "InputPath", "InputTransformer") if key in target]
    if len(given) > 1:
        raise UsageError(f"{name} has {' and '.join(given)}; at most one is allowed")
    if "InputTransformer" in target:
        raise UsageError(f"{name}: the runner does not simulate InputTransformer")
    if "Input" in target:
        try:
            json.loads(str(target["Input"]))
        except ValueError:
            raise UsageError(f"{name}: Input is not valid JSON text") from None
    if "InputPath" in target and not _PATH.fullmatch(str(target["InputPath"])):
        raise UsageError(f"{name}: the runner reads an InputPath of dot notation and indices, like $.detail")


def _payload(target: dict[str, Any], event: dict[str, Any]) -> str | None:
    """What a target is sent for ``event``: its ``Input`` instead, the part of the event at its
    ``InputPath`` (``None``: nothing there), else the whole event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" not in target:
        return json.dumps(event)
    found: Any = event
    for name, index in _STEP.findall(str(target["InputPath"])):
        if name and isinstance(found, dict) and name in found:
            found = found[name]
        elif index and isinstance(found, list) and int(index) < len(found):
            found = found[int(index)]
        else:
            return None
    return json.dumps(found)
