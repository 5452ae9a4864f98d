"""What one execution did, and the ``--json`` object of CONTRACT §3 that reports it."""

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
    #: When the runner stopped it (``abortAtSeconds``) or timed it out, in virtual time.
    stopped_at: float | None = None
    progress: list[dict[str, Any]] = field(default_factory=list)


def history_counts(sfn: Any, arn: str) -> tuple[int, int]:
    """Billed transitions (entered states plus retries of a state, each billed again) and the
    number of history events."""
    entered = scheduled_extra = events = 0
    open_state_tasks = 0
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        for event in page["events"]:
            events += 1
            kind = event["type"]
            if "stateEnteredEventDetails" in event:
                entered += 1
                open_state_tasks = 0
            elif kind in ("LambdaFunctionScheduled", "TaskScheduled"):
                open_state_tasks += 1
                if open_state_tasks > 1:
                    scheduled_extra += 1
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return entered + scheduled_extra, events


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
) -> dict[str, Any]:
    """The ``--json`` object for ``run``: its notifications are those naming its execution."""
    arn = run.execution_arn
    mine = [
        {k: v for k, v in e.items() if k != "bus"}
        for e in events
        if isinstance(e.get("detail"), dict) and e["detail"].get("executionArn") == arn
    ]
    messages = [
        m for m in sns if isinstance(m.get("message"), dict) and m["message"].get("executionArn") == arn
    ]
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
