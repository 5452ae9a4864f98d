"""The function's log lines for one execution (``logs``), from CloudWatch Logs.

Each endpoint type's function logs JSON lines (Powertools) that carry the ``execution_arn`` of the
execution they work for (``controller.dispatch``; the clean-up after a stopped execution too,
``controller.steps.cleanup``). The functions are those the execution's state machine invokes (the
Lambda tasks of its definition), each with its own log group (``infra/function.py``), named by the
function's ``LoggingConfig.LogGroup``. The lines come from ``FilterLogEvents`` with the filter
pattern ``"<execution ARN>"`` (a quoted term: the events that contain it) from a minute before the
execution started on, with no end (its clean-up logs after it ended); a line that only names a
longer ARN (another execution whose name starts with this one's) is dropped here.

The served world of ``endpointctl local deploy --keep`` writes its handlers' lines into the same
log groups (``endpointctl.served.logs``), so this works against it as against AWS.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from endpointctl.errors import EXIT_OK
from endpointctl.ops.find import Found, execution_of
from endpointctl.ops.session import arn_region

#: A line's keys the table shows in columns of their own or leaves out (Powertools' and Lambda's
#: own: the same on every line of an invocation).
SHOWN_APART = frozenset(
    {
        "level", "location", "message", "timestamp", "service", "step", "execution_arn",
        "correlation_id", "cold_start", "function_name", "function_memory_size", "function_arn",
        "function_request_id", "xray_trace_id", "sampling_rate",
    }
)  # fmt: skip
#: How far before the execution's start the lines are looked for (clocks differ a little).
LEAD_MS = 60_000


def functions_of(definition: Any) -> list[str]:
    """The functions a state machine definition invokes (name or ARN, as written), in order: a
    task whose resource is a function, or Lambda's ``Invoke`` integration with its ``FunctionName``."""
    found: list[str] = []

    def visit(states: Any) -> None:
        if not isinstance(states, dict):
            return
        for state in states.values():
            if not isinstance(state, dict):
                continue
            resource = str(state.get("Resource", ""))
            parameters = state.get("Parameters") or state.get("Arguments") or {}
            if re.match(r"^arn:[^:]+:lambda:", resource):
                found.append(resource)
            elif re.match(r"^arn:[^:]+:states:::lambda:invoke", resource):
                name = parameters.get("FunctionName") if isinstance(parameters, dict) else None
                if isinstance(name, str):
                    found.append(name)
            for branch in state.get("Branches") or []:
                visit(branch.get("States") if isinstance(branch, dict) else None)
            for key in ("Iterator", "ItemProcessor"):
                inner = state.get(key)
                visit(inner.get("States") if isinstance(inner, dict) else None)

    document = json.loads(definition) if isinstance(definition, str) else definition
    visit(document.get("States") if isinstance(document, dict) else None)
    return list(dict.fromkeys(found))


def machine_functions(sfn: Any, machine: str) -> list[str]:
    """The functions of a state machine (``DescribeStateMachine``'s definition)."""
    return functions_of(sfn.describe_state_machine(stateMachineArn=machine).get("definition"))


def log_group(lambda_client: Any, function: str) -> str:
    """A function's log group: its ``LoggingConfig.LogGroup``, else Lambda's default."""
    configuration = lambda_client.get_function_configuration(FunctionName=function)
    group = (configuration.get("LoggingConfig") or {}).get("LogGroup")
    return str(group or f"/aws/lambda/{configuration.get('FunctionName') or function.rsplit(':', 1)[-1]}")


def filtered(logs: Any, group: str, execution_arn: str, start_ms: int) -> Iterator[dict[str, Any]]:
    """The group's events that name ``execution_arn`` (and not only a longer ARN), from ``start_ms``."""
    exact = re.compile(re.escape(execution_arn) + r"(?![A-Za-z0-9_-])")
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": f'"{execution_arn}"',
        "startTime": start_ms,
    }
    while True:
        page = logs.filter_log_events(**kwargs)
        for event in page.get("events", []):
            if exact.search(str(event.get("message", ""))):
                yield {**event, "logGroupName": group}
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def log_lines(aws: Any, found: Found) -> tuple[list[str], list[dict[str, Any]]]:
    """The log groups looked in, and the execution's lines in them, oldest first."""
    region = arn_region(found.arn)
    functions = machine_functions(aws.client("stepfunctions", region), found.machine)
    groups = [log_group(aws.client("lambda", arn_region(fn) or region), fn) for fn in functions]
    start = found.started.timestamp() * 1000 if found.started else 0
    logs = aws.client("logs", region)
    events = [
        event
        for group in dict.fromkeys(groups)
        for event in filtered(logs, group, found.arn, max(0, int(start) - LEAD_MS))
    ]
    events.sort(key=lambda e: (int(e.get("timestamp", 0)), str(e.get("eventId", ""))))
    return list(dict.fromkeys(groups)), [row(event) for event in events]


def row(event: dict[str, Any]) -> dict[str, Any]:
    """One line of ``--output json``: when, where, and the message (an object for a JSON line)."""
    stamp = datetime.fromtimestamp(int(event.get("timestamp", 0)) / 1000, UTC)
    message: Any = str(event.get("message", "")).rstrip("\n")
    try:
        parsed = json.loads(message)
        message = parsed if isinstance(parsed, dict) else message
    except ValueError:
        pass
    return {
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        "logGroupName": event.get("logGroupName"),
        "logStreamName": event.get("logStreamName"),
        "message": message,
    }


def text(line: dict[str, Any]) -> str:
    """``2026-11-22T12:00:01.234Z  INFO     validate  request accepted  action=create …``."""
    clock = str(line["timestamp"])
    message = line["message"]
    if not isinstance(message, dict):
        return f"{clock}  {message}"
    extra = " ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value)}"
        for key, value in message.items()
        if key not in SHOWN_APART and value is not None
    )
    level, step = str(message.get("level", "")), str(message.get("step") or "-")
    return f"{clock}  {level:<7}  {step:<8}  {message.get('message', '')}" + (f"  {extra}" if extra else "")


def cmd_logs(args: argparse.Namespace) -> int:
    aws, found = execution_of(args, args.execution)
    groups, lines = log_lines(aws, found)
    if args.json:
        print(json.dumps(lines, indent=2))
        return EXIT_OK
    where = ", ".join(groups) or "no log group (its state machine invokes no function)"
    print(f"{found.name} ({found.kind}, {found.status}): {len(lines)} lines in {where}")
    if lines:
        print(f"{'TIME (UTC)':<24}  {'LEVEL':<7}  {'STEP':<8}  MESSAGE")
    for line in lines:
        print(text(line))
    return EXIT_OK
