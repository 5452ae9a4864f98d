"""Running the scale bench's waves in the local runner, and reading what each operation did.

One world (:class:`~endpointctl.runner.LocalRunner`, every endpoint type's state machine deployed)
runs the first wave (the endpoints the updates and deletes need, together), arms the failing share,
then starts the measured wave together and waits for all of it. Another, smaller world runs each
kind of operation alone, one after the other (:func:`alone`): what an operation costs with nothing
else running, which the table's figures are compared with.

The controller's DynamoDB calls are not endpoint-service calls, so the runner does not log them;
:class:`TableMeter` puts them in the world's call log too (``dynamodb:<Operation>``, with their
request units), so that they belong to the execution that made them as every other call does (an
event delivery's to the execution it resumed).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from controller.aws import THROTTLING_CODES  # the controller's own: what it retries as throttling
from endpointctl.scale_bench.plan import Operation

#: An execution's error that says it ran out of retries against throttling.
THROTTLED = re.compile(r"throttl|toomanyrequests|rate exceeded|requestlimitexceeded|slowdown", re.IGNORECASE)
#: DynamoDB's operations that write, and that read (the others, such as ``DescribeTable``, are free).
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})


@dataclass
class Measured:
    """What one operation's execution did."""

    endpoint_type: str
    kind: str
    status: str
    error: str | None
    cause: str | None
    transitions: int
    #: ``(function, wall seconds, CPU seconds)`` of each Lambda invocation.
    invocations: list[tuple[str, float, float]]
    #: Its endpoint-service calls (``service:Operation``), and how many were throttled.
    calls: list[str]
    throttled_calls: int
    dynamodb_calls: int
    read_units: float
    write_units: float
    #: ``PutEvents`` entries it published (the notifications, EventBridge custom events).
    events: int
    #: Virtual seconds from the service's terminal status to the execution's end (``None``: none).
    latency: float | None
    #: The injected refusal it failed with, if it did.
    refused_with: str | None = None
    #: The calls answered ``ThrottlingException`` (``service:Operation``), one entry each.
    throttled: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """``ok``, ``intended`` (the failing share), ``throttled`` (out of retries), or ``other``."""
        if self.status == "SUCCEEDED":
            return "ok"
        said = f"{self.error or ''} {self.cause or ''}"
        if THROTTLED.search(said):
            return "throttled"
        if self.refused_with and self.refused_with in said:
            return "intended"
        return "other"


@dataclass
class TableMeter:
    """The controller's DynamoDB calls in the world's call log, with the request units each is
    billed (by index in the log).

    On-demand billing (aws.amazon.com/dynamodb/pricing/on-demand): a write is one write request
    unit per 1 KB of item, a strongly consistent read one read request unit per 4 KB, an eventually
    consistent one half that, a transactional one twice. The item sizes are estimated from what
    crosses the wire: a write's request body, a read's response body (both carry some JSON beyond
    the item, so the estimate errs high). A call IAM denied is not billed.
    """

    log: Any
    units: dict[int, tuple[float, float]] = field(default_factory=dict)

    def install(self, session: Any) -> None:
        session.events.register("before-call.dynamodb", self._before)
        session.events.register("after-call.dynamodb", self._after)

    @staticmethod
    def _before(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        body = params.get("body") or b""
        context["scale_bench_sent"] = len(body if isinstance(body, bytes) else str(body).encode())

    def _after(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any
    ) -> None:
        error = (parsed.get("Error") or {}).get("Code") if isinstance(parsed, dict) else None
        index = self.log.record(f"dynamodb:{model.name}", error=error or None)
        if error and "AccessDenied" in str(error):
            return
        params = context.get("endpointctl_params") or {}
        self.units[index] = units(
            model.name,
            sent=int(context.get("scale_bench_sent") or 0),
            received=len(getattr(http_response, "content", b"") or b""),
            consistent=bool(params.get("ConsistentRead")),
        )


def units(operation: str, *, sent: int, received: int, consistent: bool) -> tuple[float, float]:
    """``(read units, write units)`` of one DynamoDB call (:class:`TableMeter` says how)."""
    transactional = 2 if operation.startswith("Transact") else 1
    if operation in WRITES:
        return 0.0, float(max(1, math.ceil(sent / 1024)) * transactional)
    if operation in READS:
        read = max(1, math.ceil(received / 4096)) * transactional
        return (read if consistent or transactional == 2 else read / 2), 0.0
    return 0.0, 0.0


@contextmanager
def world(template: dict[str, Any], scenario: dict[str, Any] | None) -> Iterator[tuple[Any, TableMeter]]:
    """A local runner's world with its DynamoDB calls metered, its handlers' output kept quiet."""
    import boto3

    from controller import aws
    from endpointctl.runner import LocalRunner, quiet_stdout

    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        meter = TableMeter(runner.log)
        meter.install(boto3.DEFAULT_SESSION)
        aws.reset()  # the controller's clients are made again, with the meter's hooks
        yield runner, meter


def arm(runner: Any, faults: dict[str, list[dict[str, Any]]]) -> None:
    """Fail the next calls as each type's scenario ``faults`` say, from now on (the plan each
    simulator read from its scenario key is replaced)."""
    from endpointctl.sim.faults import FaultPlan
    from endpointctl.sim.scenario import FaultSpec

    for endpoint_type, specs in faults.items():
        simulator = runner.simulators[endpoint_type]
        if not isinstance(getattr(simulator, "faults", None), FaultPlan):
            raise RuntimeError(f"the {endpoint_type} simulator has no scenario faults to arm")
        simulator.faults = FaultPlan([FaultSpec.model_validate(spec) for spec in specs])


def measure(
    runner: Any, meter: TableMeter, operations: list[Operation], runs: list[Any], refusals: dict[str, str]
) -> list[Measured]:
    """What each operation's run did, read in one pass over the call log and the notifications
    (``refusals``: type → the error its failing share is refused with)."""
    mine: dict[str | None, list[int]] = {}
    for index, (owner, _) in enumerate(runner.log.entries):
        mine.setdefault(owner, []).append(index)
    published: dict[str, int] = {}
    for event in runner.events:
        detail = event.get("detail")
        if isinstance(detail, dict) and isinstance(detail.get("executionArn"), str):
            published[detail["executionArn"]] = published.get(detail["executionArn"], 0) + 1
    found = []
    for operation, run in zip(operations, runs, strict=True):
        arn = run.execution_arn
        calls, throttled, dynamodb, read, write = [], 0, 0, 0.0, 0.0
        throttled_ops: list[str] = []
        for index in mine.get(arn, []):
            call = runner.log.entries[index][1]
            if call.startswith("dynamodb:"):
                dynamodb += 1
                r, w = meter.units.get(index, (0.0, 0.0))
                read, write = read + r, write + w
                continue
            calls.append(call)
            if runner.log.errors.get(index) in THROTTLING_CODES:
                throttled += 1
                throttled_ops.append(call)
        terminal: list[float] = next(
            (times for sim in runner.simulators.values() if (times := sim.terminal_times(arn))), []
        )
        latency = (run.ended_at - min(terminal)) if terminal and run.ended_at is not None else None
        found.append(
            Measured(
                endpoint_type=operation.endpoint_type,
                kind=operation.kind,
                status=run.status,
                error=run.error,
                cause=run.cause,
                transitions=run.transitions,
                invocations=list(run.invocation_times),
                calls=calls,
                throttled_calls=throttled,
                throttled=throttled_ops,
                dynamodb_calls=dynamodb,
                read_units=read,
                write_units=write,
                events=published.get(arn, 0),
                latency=latency,
                refused_with=refusals.get(operation.endpoint_type),
            )
        )
    return found


@dataclass
class Outside:
    """What no measured execution did while the wave ran, and Lambda and DynamoDB bill all the same:
    each type's sweep, state-change events that resumed no execution (a deployment phase already
    recorded, a duplicate), clean-ups after failed executions."""

    service_calls: int = 0
    dynamodb_calls: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    #: ``(function, wall seconds, CPU seconds, what for)`` of each invocation.
    invocations: list[tuple[str, float, float, str]] = field(default_factory=list)


def unattributed(runner: Any, meter: TableMeter, since: tuple[int, int], runs: set[str]) -> Outside:
    """What was done since ``since`` (the call log's length, the runner's count of invocations no
    run counts) that no run of ``runs`` did."""
    found = Outside(invocations=list(runner.other_invocations[since[1] :]))
    for index in range(since[0], len(runner.log.entries)):
        owner, call = runner.log.entries[index]
        if owner in runs:
            continue
        if call.startswith("dynamodb:"):
            found.dynamodb_calls += 1
            read, write = meter.units.get(index, (0.0, 0.0))
            found.read_units += read
            found.write_units += write
        else:
            found.service_calls += 1
    return found


@dataclass
class Wave:
    """The measured wave: each operation's figures, and the world's around them."""

    measured: list[Measured]
    #: Real seconds from the measured wave's start to its last execution's end.
    wall_seconds: float
    #: The first wave's creates, and how many of them failed (their operations are left out).
    setup: int
    setup_failed: int
    #: What no measured execution did during the wave (:func:`unattributed`).
    outside: Outside
    #: The scenario faults armed for the failing share (type → faults).
    faults: dict[str, list[dict[str, Any]]]
    #: Virtual seconds from the measured wave's start to its last execution's end.
    virtual_seconds: float


def scale(
    template: dict[str, Any],
    operations: list[Operation],
    scenario: dict[str, Any] | None,
    faults: dict[str, list[dict[str, Any]]],
) -> Wave:
    """The first wave, then the failing share armed, then the measured wave: all in one world."""
    with world(template, scenario) as (runner, meter):
        setups = [op for op in operations if op.setup is not None]
        first = runner.start_together([op.setup for op in setups])
        runner.wait(first)
        broken = {id(op) for op, run in zip(setups, first, strict=True) if run.status != "SUCCEEDED"}
        measured_ops = [op for op in operations if id(op) not in broken]
        arm(runner, faults)
        since = (len(runner.log.entries), len(runner.other_invocations))
        begun_virtual = runner.clock.now()
        begun = time.perf_counter()
        runs = runner.start_together([op.request for op in measured_ops])
        runner.wait(runs)
        wall = time.perf_counter() - begun
        ended = max((run.ended_at or begun_virtual for run in runs), default=begun_virtual)
        refusals = {t: specs[0]["error"] for t, specs in faults.items() if specs}
        return Wave(
            measured=measure(runner, meter, measured_ops, runs, refusals),
            wall_seconds=wall,
            setup=len(setups),
            setup_failed=len(broken),
            outside=unattributed(runner, meter, since, {run.execution_arn for run in runs}),
            faults=faults,
            virtual_seconds=ended - begun_virtual,
        )


def alone(
    template: dict[str, Any], operations: list[Operation], scenario: dict[str, Any] | None, *, rounds: int = 2
) -> dict[tuple[str, str], Measured]:
    """One operation of each kind and type in ``operations``, each alone (one after the other, in a
    world of their own, after their endpoints were made): ``(type, kind)`` → what it did. The last
    of ``rounds`` worlds is measured: the first warms the process (imports, models, clients), as a
    warm Lambda function is, or its first invocations' wall time would be mostly imports."""
    found: dict[tuple[str, str], Measured] = {}
    for _ in range(rounds):
        found = _alone_once(template, operations, scenario)
    return found


def _alone_once(
    template: dict[str, Any], operations: list[Operation], scenario: dict[str, Any] | None
) -> dict[tuple[str, str], Measured]:
    firsts: dict[tuple[str, str], Operation] = {}
    for operation in operations:
        firsts.setdefault((operation.endpoint_type, operation.kind), operation)
    chosen = list(firsts.values())
    with world(template, scenario) as (runner, meter):
        setups = [op.setup for op in chosen if op.setup is not None]
        runner.wait(runner.start_together(setups))
        runs = []
        for operation in chosen:
            run = runner.start(operation.request)
            runner.wait([run])
            runs.append(run)
        return {(m.endpoint_type, m.kind): m for m in measure(runner, meter, chosen, runs, {})}
