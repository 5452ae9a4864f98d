"""Following an execution: its history as progress lines, its end as a summary (``watch``).

:func:`follow` polls an execution to its end, turning new history events into progress lines
(:class:`Progress`); :func:`summary` is ``--json``'s object and :func:`final_lines` the text
ending. ``cmd_watch`` is the ``watch`` command (an execution named by its ARN, its name or its
requestId: ``endpointctl.ops.find``); ``submit --watch`` ends in :func:`watch_result` too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from endpointctl.errors import EXIT_FAILED, EXIT_OK
from endpointctl.ops.records import describe, duration, iso, loads
from endpointctl.ops.session import arn_region


def provider_status(output: Any) -> str | None:
    """The service status a state's output carries (``providerStatus``, or its ``detail``'s)."""
    document = loads(output)
    if not isinstance(document, dict):
        return None
    for candidate in (document, document.get("detail")):
        if isinstance(candidate, dict) and isinstance(candidate.get("providerStatus"), str):
            return str(candidate["providerStatus"])
    return None


def progress_line(offset: float, name: str, status: str | None = None, *, running: bool = False) -> str:
    """``+12s    Check  (InService)``: elapsed since the start, the state, the service status."""
    tail = "  …" if running else (f"  ({status})" if status else "")
    return f"{'+' + duration(offset):<7}  {name}{tail}"


def new_history(sfn: Any, execution: str, after: int) -> list[dict[str, Any]]:
    """The history events with an id above ``after``, oldest first.

    Reads newest first and stops at the first page that reaches ``after``, so a long execution's
    history is not read again on every poll (a service that ignores ``reverseOrder`` still works).
    """
    found: dict[int, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"executionArn": execution, "maxResults": 1000, "reverseOrder": True}
    while True:
        page = sfn.get_execution_history(**kwargs)
        reached = False
        for event in page.get("events", []):
            if int(event["id"]) > after:
                found[int(event["id"])] = event
            else:
                reached = True
        if reached or not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return [found[key] for key in sorted(found)]


class Progress:
    """Turns history events into progress lines: one per entered state, shown when it exits (with
    the service status of its output), or with ``…`` while it is still running at a poll.

    Unless ``every``, Choice states (no work of their own) are not shown, nor a state already
    shown with the same service status since the status last changed: a poll loop (Wait, Check,
    Wait, Check …) shows once per status.
    """

    def __init__(self, started: datetime, *, every: bool = False) -> None:
        self.started = started
        self.every = every
        self.last_id = 0
        self.entered = 0
        self.hidden = 0
        self._open: dict[str, float] = {}
        self._choices: set[str] = set()
        self._polls: dict[str, int] = {}
        self._announced: set[str] = set()
        self._seen: set[tuple[str, str | None]] = set()
        self._status: str | None = None

    def _offset(self, event: dict[str, Any]) -> float:
        stamp = event.get("timestamp")
        if not isinstance(stamp, datetime):
            return 0.0
        return (stamp - self.started).total_seconds()

    def _show(self, offset: float, name: str, status: str | None) -> list[str]:
        if status is not None and status != self._status:
            self._status = status
            self._seen.clear()
        key = (name, status)
        if key in self._seen and not self.every:
            self.hidden += 1
            return []
        self._seen.add(key)
        return [progress_line(offset, name, status)]

    def feed(self, events: list[dict[str, Any]]) -> list[str]:
        lines: list[str] = []
        for event in sorted(events, key=lambda e: int(e["id"])):
            if int(event["id"]) <= self.last_id:
                continue
            self.last_id = int(event["id"])
            if "stateEnteredEventDetails" in event:
                self.entered += 1
                name = event["stateEnteredEventDetails"]["name"]
                self._open[name] = self._offset(event)
                if event.get("type") == "ChoiceStateEntered":
                    self._choices.add(name)
            elif "stateExitedEventDetails" in event:
                details = event["stateExitedEventDetails"]
                name = details["name"]
                offset = self._open.pop(name, self._offset(event))
                self._announced.discard(name)
                self._polls.pop(name, None)
                status = provider_status(details.get("output"))
                if name in self._choices and not self.every:
                    self.hidden += 1
                    continue
                lines += self._show(offset, name, status)
        return lines

    def running(self) -> list[str]:
        """States still running at this poll and the one before (e.g. a long task-token wait),
        each announced once with ``…``; quick states are shown only when they exit."""
        lines = []
        shown = {name for name, _ in self._seen}
        for name, offset in self._open.items():
            self._polls[name] = self._polls.get(name, 0) + 1
            if self._polls[name] < 2 or name in self._announced:
                continue
            if self.every or name not in shown | self._choices:
                self._announced.add(name)
                lines.append(progress_line(offset, name, running=True))
        return lines

    def close(self) -> list[str]:
        """The states the execution ended in (a Fail state has no exit event)."""
        lines: list[str] = []
        for name, offset in self._open.items():
            lines += self._show(offset, name, None)
        self._open.clear()
        return lines


def follow(
    sfn: Any,
    execution: str,
    *,
    interval: float = 5.0,
    emit: Callable[[str], None] = print,
    every: bool = False,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Poll an execution to its end, emitting progress lines; its final description.

    ``timeout`` (seconds of real time; None: no limit) returns the still running description.
    """
    described = describe(sfn, execution)
    progress = Progress(described["startDate"], every=every)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        described = describe(sfn, execution)
        for line in progress.feed(new_history(sfn, execution, progress.last_id)):
            emit(line)
        if described["status"] != "RUNNING":
            for line in progress.close():
                emit(line)
            break
        for line in progress.running():
            emit(line)
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(interval)
    described["_progress"] = {"entered": progress.entered, "hidden": progress.hidden}
    return described


def summary(described: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object of a watched execution."""
    start, stop = described.get("startDate"), described.get("stopDate")
    seconds = (
        (stop - start).total_seconds() if isinstance(start, datetime) and isinstance(stop, datetime) else None
    )
    return {
        "executionArn": described.get("executionArn"),
        "stateMachineArn": described.get("stateMachineArn"),
        "name": described.get("name"),
        "status": described.get("status"),
        "startDate": iso(start),
        "stopDate": iso(stop),
        "durationSeconds": None if seconds is None else round(seconds, 3),
        "output": loads(described.get("output")),
        "error": described.get("error"),
        "cause": loads(described.get("cause")),
    }


def final_lines(described: dict[str, Any]) -> list[str]:
    """The end of ``watch``: the status, then the outcome or the error and its cause."""
    result = summary(described)
    took = f" after {duration(result['durationSeconds'])}" if result["durationSeconds"] is not None else ""
    lines = [f"{result['status']}{took}"]
    progress = described.get("_progress")
    if isinstance(progress, dict) and progress.get("entered"):
        hidden = f" ({progress['hidden']} choices and repeats not shown)" if progress.get("hidden") else ""
        lines[0] += f": {progress['entered']} states entered{hidden}"
    output = result["output"]
    detail = output.get("detail", output) if isinstance(output, dict) else None
    if isinstance(detail, dict):
        shown = [f"{key} {detail[key]}" for key in ("status", "endpointId", "endpointUrl") if detail.get(key)]
        if shown:
            lines.append("  " + ", ".join(shown))
    if result["error"] or result["cause"]:
        cause = result["cause"]
        if isinstance(cause, dict):
            lines.append(f"  error {result['error']}: {cause.get('message', json.dumps(cause))}")
            rollback = cause.get("rollback")
            if isinstance(rollback, dict):
                deleted = ", ".join(rollback.get("deleted") or []) or "nothing"
                verdict = "succeeded" if rollback.get("succeeded") else "failed"
                lines.append(f"  rollback {verdict}: deleted {deleted}")
        else:
            lines.append(f"  error {result['error']}: {cause or ''}".rstrip(": "))
    return lines


def not_executing(sfn: Any, execution: str) -> str | None:
    """Why ``execution`` never ends, when its endpoint shows it: a moto server (not AWS) whose Step
    Functions does not execute state machines, as a stock ``moto_server``'s does not: it keeps
    every execution RUNNING and answers its history with a canned one, dated 2020-01-01, before
    the execution started. None for AWS, and whenever the history is the execution's own."""
    import urllib.request
    from urllib.parse import urlsplit

    url = str(getattr(sfn.meta, "endpoint_url", "") or "")
    host = urlsplit(url).hostname or ""
    if not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        return None
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/moto-api/", timeout=2):
            pass  # a moto server
        described = describe(sfn, execution)
        events = sfn.get_execution_history(executionArn=execution, maxResults=1).get("events", [])
    except Exception:  # not a moto server, or it cannot say: no claim
        return None
    started, first = described.get("startDate"), (events[0].get("timestamp") if events else None)
    if described.get("status") != "RUNNING" or not isinstance(started, datetime):
        return None
    if isinstance(first, datetime) and (started - first).total_seconds() > 86400:
        return (
            f"{url} is a moto server that does not execute state machines (its executions stay RUNNING, "
            "with a canned history); `endpointctl local deploy --keep` serves the stack in one that runs them"
        )
    return None


def watch_result(sfn: Any, execution: str, args: argparse.Namespace) -> int:
    """Follow an execution, printing its progress and its end; exit 0 if it succeeded, else 1
    (at once, without following, when its endpoint never runs executions: :func:`not_executing`)."""
    problem = not_executing(sfn, execution)
    if problem is not None:
        print(f"endpointctl: execution {execution} will not end: {problem}", file=sys.stderr)
        return EXIT_FAILED
    stream = sys.stderr if args.json else sys.stdout  # --json: stdout holds only the object

    def emit(line: str) -> None:
        print(line, file=stream, flush=True)

    described = follow(sfn, execution, interval=args.interval, emit=emit, every=args.all_states)
    if args.json:
        print(json.dumps(summary(described), indent=2))
    else:
        for line in final_lines(described):
            print(line)
    return EXIT_OK if described["status"] == "SUCCEEDED" else EXIT_FAILED


def cmd_watch(args: argparse.Namespace) -> int:
    """``watch EXECUTION``: an ARN, an execution's name or a requestId (``endpointctl.ops.find``)."""
    from endpointctl.ops.find import execution_of, is_execution_arn

    aws, found = execution_of(args, args.execution)
    if not is_execution_arn(args.execution):  # say which one it is
        print(f"execution {found.arn}", file=sys.stderr if args.json else sys.stdout, flush=True)
    return watch_result(aws.client("stepfunctions", arn_region(found.arn)), found.arn, args)
