"""What one execution did, and the ``--json`` object of docs/local-runner.md that reports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Run:
    """What one execution did."""

    request: Any
    execution_arn: str
    started_at: float
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    ended_at: float | None = None
    transitions: int = 0
    history_events: int = 0
    invocations: int = 0
    #: Each of those invocations' handler, timed: ``(function name, wall seconds, CPU seconds of
    #: its thread)``, in real time (what Lambda would bill is the wall time; ``endpointctl bench
    #: --scale`` reads both). Not in the contract's ``--json`` object.
    invocation_times: list[tuple[str, float, float]] = field(default_factory=list)
    #: Which of its calls failed, with the error code each got (``{"call", "error"}``), for the
    #: readable progress; not in the contract's ``--json`` object.
    failed_calls: list[dict[str, str]] = field(default_factory=list)
    #: When the runner stopped it (``abortAtSeconds``) or timed it out, in virtual time.
    stopped_at: float | None = None
    progress: list[dict[str, Any]] = field(default_factory=list)
    #: Calls IAM refused this execution (``endpointctl.runner.iam.authorizer.Denial``).
    denials: list[Any] = field(default_factory=list)
    #: What the simulated services held when the request started and when its execution ended
    #: (``remaining``'s shape), so the readable output can tell what the request left from what
    #: was there before it; not in the contract's ``--json`` object, whose ``remaining`` is the
    #: whole world.
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    #: How many requests started together in the one world (``--parallel``): what appeared during
    #: the run is then theirs together.
    together: int = 1


def history_counts(arn: str) -> tuple[int, int]:
    """Billed transitions (entered states plus retries of a state, each billed again) and the
    number of history events, read from the interpreter's own history (the same events
    ``GetExecutionHistory`` pages through, without serializing them)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from endpointctl.template import ACCOUNT, REGION

    backend = stepfunctions_parser_backends[ACCOUNT][REGION]
    history = backend.get_execution_history(execution_arn=arn)["events"]
    entered = scheduled_extra = 0
    open_state_tasks = 0
    for event in history:
        kind = event["type"]
        if "stateEnteredEventDetails" in event:
            entered += 1
            open_state_tasks = 0
        elif kind in ("LambdaFunctionScheduled", "TaskScheduled"):
            open_state_tasks += 1
            if open_state_tasks > 1:
                scheduled_extra += 1
    return entered + scheduled_extra, len(history)


def request_id(run: Run, events: list[dict[str, Any]]) -> str | None:
    """The request id a run's execution settled on (its notification's, or its validate step's)."""
    for event in events:
        detail = event.get("detail")
        if isinstance(detail, dict) and detail.get("executionArn") == run.execution_arn:
            return str(detail.get("requestId")) if detail.get("requestId") else None
    for entry in run.progress:
        if entry.get("step") == "validate" and isinstance(entry.get("state"), dict):
            found = entry["state"].get("requestId")
            return str(found) if found else None
    return None


def seconds(value: float) -> float | int:
    """Virtual seconds as the result shows them: whole when whole, else to the millisecond."""
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def result(
    run: Run,
    *,
    events: list[dict[str, Any]],
    sns: list[dict[str, Any]],
    calls: list[str],
    terminal: list[float],
    now: float,
    remaining: dict[str, Any],
    later: str | None = None,
    runs: set[str] | None = None,
) -> dict[str, Any]:
    """The ``--json`` object for ``run``: its notifications are those naming its execution, and
    (``later``, a request id) those about that request that no run's execution published."""

    def ours(detail: Any) -> bool:
        if not isinstance(detail, dict):
            return False
        if detail.get("executionArn") == run.execution_arn:
            return True
        return (
            later is not None
            and detail.get("requestId") == later
            and detail.get("executionArn") not in (runs or set())
        )

    mine = [{k: v for k, v in e.items() if k != "bus"} for e in events if ours(e.get("detail"))]
    messages = [m for m in sns if ours(m.get("message"))]
    return {
        "status": run.status,
        "output": run.output,
        "error": run.error,
        "cause": run.cause,
        "notifications": {"events": mine, "sns": messages},
        "calls": calls,
        "stateTransitions": run.transitions,
        "historyEvents": run.history_events,
        "lambdaInvocations": run.invocations,
        "virtualSeconds": seconds((run.ended_at or now) - run.started_at),
        "readyAfterSeconds": seconds(min(terminal) - run.started_at) if terminal else None,
        "remaining": remaining,
    }
