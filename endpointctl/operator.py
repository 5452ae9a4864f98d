"""Operator commands for a deployed stack: ``submit``, ``watch`` and ``list``.

They find the stack's bus and state machines from its CloudFormation outputs (``--stack``, by
default the ``stackName`` of ``cdk.json``) or take them explicitly (``--bus``, ``--state-machine``),
and use plain boto3 sessions: ``--profile``/``--region`` or the usual environment and config files
(``AWS_ENDPOINT_URL`` included, as boto3 honours it). The logic lives in small functions that take
boto3 clients; the ``cmd_*`` functions only parse, call and print.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from endpointctl.errors import EXIT_FAILED, EXIT_OK, UsageError
from endpointctl.errors import read_json as _read_json

#: Endpoint types and the titles of their stack outputs (``<Title>StateMachineArn``, infra/permissions.py).
TITLES = {"sagemaker": "SageMaker", "aml": "Aml", "neptune": "Neptune"}
#: Where each type's request names its endpoint (CONTRACT §1).
ENDPOINT_ID_PARAM = {"sagemaker": "EndpointName", "aml": "MLModelId", "neptune": "id"}
DEFAULT_STACK = "MlEndpointController"
SOURCE = "endpointctl"
DETAIL_TYPE = "Endpoint Request"  # infra/stack.py REQUEST_DETAIL_TYPE: what the rules match
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
#: Errors that mean "the arguments name nothing usable" (exit 2), not "the operation failed".
NOT_FOUND = {
    "ExecutionDoesNotExist",
    "StateMachineDoesNotExist",
    "InvalidArn",
    "InvalidName",
    "ExecutionAlreadyExists",
    "ResourceNotFoundException",
}


class OperationFailed(Exception):
    """A call that was made properly failed (exit code 1)."""


# -- AWS sessions and the stack's outputs ---------------------------------------------------------
def default_stack_name() -> str:
    """The ``stackName`` of ``cdk.json``'s context (what ``cdk deploy`` names the stack)."""
    try:
        from endpointctl import project_root

        context = json.loads((project_root() / "cdk.json").read_text()).get("context", {})
        return str(context.get("stackName") or DEFAULT_STACK)
    except (RuntimeError, OSError, ValueError, AttributeError):
        return DEFAULT_STACK


def arn_region(arn: str) -> str | None:
    """``arn:aws:states:eu-west-1:…`` → ``eu-west-1``."""
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 and parts[0] == "arn" else None


class Aws:
    """One boto3 session (profile, region); clients per service and region, made once."""

    def __init__(self, profile: str | None = None, region: str | None = None) -> None:
        import boto3
        from botocore.exceptions import ProfileNotFound

        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound as exc:
            raise UsageError(str(exc)) from None
        self.region = region
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """A client; ``region`` (e.g. an ARN's) applies only when ``--region`` was not given."""
        from botocore.exceptions import NoRegionError

        region = self.region or region
        key = (service, region)
        if key not in self._clients:
            try:
                self._clients[key] = self.session.client(service, region_name=region)  # type: ignore[call-overload]
            except NoRegionError:
                raise UsageError(
                    "no AWS region: give --region, or set AWS_REGION or a profile's region"
                ) from None
        return self._clients[key]


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's outputs by key; ``UsageError`` when the stack cannot be read."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        region = cloudformation.meta.region_name
        raise UsageError(
            f"stack {stack} ({region}): {message}; give --stack NAME or explicit --bus/--state-machine"
        ) from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", []) if "OutputKey" in o}


def machines_from_outputs(outputs: dict[str, str]) -> dict[str, str]:
    """Endpoint type → state machine ARN, from ``<Title>StateMachineArn`` outputs."""
    return {
        kind: outputs[f"{title}StateMachineArn"]
        for kind, title in TITLES.items()
        if f"{title}StateMachineArn" in outputs
    }


def machine_type(arn: str) -> str:
    """A state machine's endpoint type guessed from its name (CDK names start with the title)."""
    name = arn.rsplit(":", 1)[-1].lower()
    for kind, title in TITLES.items():
        if name.startswith(title.lower()):
            return kind
    return arn.rsplit(":", 1)[-1]


@dataclass
class Targets:
    """What the commands address: the bus and the state machines by endpoint type."""

    bus: str | None = None
    machines: dict[str, str] = field(default_factory=dict)
    stack: str | None = None


def resolve(
    aws: Aws, stack: str | None, *, bus: str | None = None, machines: list[str] | None = None, need: str
) -> Targets:
    """Explicit values win; the stack's outputs are read when something is still missing (or
    ``--stack`` was given). ``need``: ``bus`` or ``machines``, whichever the command cannot do without."""
    targets = Targets(bus=bus)
    for arn in machines or []:
        kind = machine_type(arn)
        targets.machines[kind if kind not in targets.machines else arn.rsplit(":", 1)[-1]] = arn
    missing = (need == "bus" and not bus) or (need == "machines" and not machines)
    if missing or stack is not None:
        name = stack or default_stack_name()
        outputs = stack_outputs(aws.client("cloudformation"), name)
        targets.stack = name
        targets.bus = targets.bus or outputs.get("EventBusName")
        if not machines:
            targets.machines = machines_from_outputs(outputs)
        if need == "bus" and not targets.bus:
            raise UsageError(f"stack {name} has no EventBusName output; give --bus NAME")
        if need == "machines" and not targets.machines:
            raise UsageError(f"stack {name} has no <Type>StateMachineArn outputs; give --state-machine ARN")
    return targets


# -- requests ------------------------------------------------------------------------------------
def unwrap(document: Any) -> Any:
    """A whole EventBridge event → its ``detail``; a bare request as it is."""
    if isinstance(document, dict) and isinstance(document.get("detail"), dict) and "detail-type" in document:
        return document["detail"]
    return document


def request_of(document: Any, where: str) -> dict[str, Any]:
    """The request to submit (CONTRACT §1), checked just enough to know where it goes."""
    request = unwrap(document)
    if isinstance(request, list):
        raise UsageError(f"{where}: one request per submit, not an array")
    if not isinstance(request, dict):
        raise UsageError(f"{where}: a request must be a JSON object")
    kind = request.get("endpointType")
    if kind not in TITLES:
        shown = "no endpointType" if kind is None else f"endpointType {json.dumps(kind)}"
        raise UsageError(f"{where}: {shown}; it must be one of {', '.join(TITLES)}")
    return request


def endpoint_id(request: Any, output: Any = None) -> str | None:
    """The endpoint a request is about: its type's identifier parameter, else the output's."""
    request = unwrap(request)
    if isinstance(request, dict):
        params = request.get("params")
        key = ENDPOINT_ID_PARAM.get(str(request.get("endpointType")))
        if key and isinstance(params, dict) and isinstance(params.get(key), str):
            return str(params[key])
    if isinstance(output, dict):
        detail = output.get("detail", output)
        if isinstance(detail, dict) and detail.get("endpointId"):
            return str(detail["endpointId"])
    return None


def sanitize_name(text: str, limit: int = 80) -> str:
    """A Step Functions execution name: ``[A-Za-z0-9-_]``, at most ``limit`` characters."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:limit].strip("-")


def execution_name(request: dict[str, Any], now: datetime | None = None) -> str:
    """``<requestId or endpoint id or type>-<UTC timestamp>``, sanitized, ≤ 80 characters."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = sanitize_name(str(request.get("requestId") or endpoint_id(request) or request["endpointType"]))
    base = sanitize_name(base, 80 - len(stamp) - 1)
    return f"{base}-{stamp}" if base else stamp


def _client_error(exc: Exception) -> tuple[str, str]:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code", type(exc).__name__)), str(error.get("Message") or exc)


def put_request(events: Any, bus: str, request: dict[str, Any]) -> str:
    """Put the request on the bus as an ``Endpoint Request`` event; its event id."""
    response = events.put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(request),
                "EventBusName": bus,
            }
        ]
    )
    entry = (response.get("Entries") or [{}])[0]
    if response.get("FailedEntryCount") or not entry.get("EventId"):
        raise OperationFailed(
            f"put-events on bus {bus} failed: {entry.get('ErrorCode', '?')}: {entry.get('ErrorMessage', '')}"
        )
    return str(entry["EventId"])


def start_request(sfn: Any, machine: str, request: dict[str, Any], name: str) -> dict[str, Any]:
    """Start an execution with the request as its input; ``executionArn`` and ``startDate``."""
    from botocore.exceptions import ClientError

    try:
        response = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(request))
    except ClientError as exc:
        code, message = _client_error(exc)
        if code in NOT_FOUND:
            raise UsageError(f"start-execution on {machine}: {code}: {message}") from None
        raise
    return {"executionArn": response["executionArn"], "startDate": response.get("startDate")}


def find_execution(sfn: Any, machine: str, event_id: str, *, timeout: float, interval: float) -> str | None:
    """The execution the bus's rule started for an event (its input is the event, ``id`` included)."""
    deadline = time.monotonic() + timeout
    looked: set[str] = set()
    while True:
        for execution in sfn.list_executions(stateMachineArn=machine, maxResults=25).get("executions", []):
            arn = execution["executionArn"]
            if arn in looked:
                continue
            looked.add(arn)
            described = sfn.describe_execution(executionArn=arn)
            document = _loads(described.get("input"))
            if isinstance(document, dict) and document.get("id") == event_id:
                return str(arn)
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


# -- following an execution ----------------------------------------------------------------------
def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def duration(seconds: float) -> str:
    """``42s``, ``5m03s``, ``1h02m03s``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def iso(moment: Any) -> str | None:
    """A UTC ISO timestamp (``2026-11-22T12:00:05Z``), or None."""
    if not isinstance(moment, datetime):
        return None
    aware: datetime = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def provider_status(output: Any) -> str | None:
    """The service status a state's output carries (``providerStatus``, or its ``detail``'s)."""
    document = _loads(output)
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


def describe(sfn: Any, execution: str) -> dict[str, Any]:
    """describe_execution; ``UsageError`` when there is no such execution."""
    from botocore.exceptions import ClientError, ParamValidationError

    try:
        return dict(sfn.describe_execution(executionArn=execution))
    except ParamValidationError as exc:
        raise UsageError(f"execution {execution}: {exc}") from None
    except ClientError as exc:
        code, message = _client_error(exc)
        if code in NOT_FOUND:
            raise UsageError(f"execution {execution}: {code}: {message}") from None
        raise


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
        "output": _loads(described.get("output")),
        "error": described.get("error"),
        "cause": _loads(described.get("cause")),
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


# -- listing executions --------------------------------------------------------------------------
def recent_executions(
    sfn: Any, machine: str, *, limit: int, status: str | None = None
) -> list[dict[str, Any]]:
    """The most recent ``limit`` executions of a state machine (newest first)."""
    kwargs: dict[str, Any] = {"stateMachineArn": machine, "maxResults": min(limit, 1000)}
    if status:
        kwargs["statusFilter"] = status
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        page = sfn.list_executions(**kwargs)
        found += page.get("executions", [])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    found.sort(key=lambda e: e["startDate"], reverse=True)
    return found[:limit]


def execution_row(
    sfn: Any, kind: str, execution: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """One row of ``list``: the execution with the endpoint its input (or output) names."""
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    request = unwrap(_loads(described.get("input")))
    output = _loads(described.get("output"))
    start, stop = described.get("startDate"), described.get("stopDate")
    seconds = (
        (stop - start).total_seconds() if isinstance(start, datetime) and isinstance(stop, datetime) else None
    )
    request_id = request.get("requestId") if isinstance(request, dict) else None
    return {
        "type": request.get("endpointType", kind) if isinstance(request, dict) else kind,
        "status": described["status"],
        "name": described.get("name") or execution.get("name"),
        "endpointId": endpoint_id(request, output),
        "requestId": request_id,
        "startDate": iso(start),
        "stopDate": iso(stop),
        "durationSeconds": None if seconds is None else round(seconds, 3),
        "executionArn": execution["executionArn"],
        "stateMachineArn": described.get("stateMachineArn"),
    }


def list_rows(
    client_for: Callable[[str], Any], machines: dict[str, str], *, limit: int = 10, status: str | None = None
) -> list[dict[str, Any]]:
    """Rows for each endpoint type's state machine (in type order), newest first.

    ``client_for(machine_arn)`` gives the Step Functions client of that machine's region.
    """
    order = [kind for kind in TITLES if kind in machines] + [kind for kind in machines if kind not in TITLES]
    rows: list[dict[str, Any]] = []
    for kind in order:
        sfn = client_for(machines[kind])
        for execution in recent_executions(sfn, machines[kind], limit=limit, status=status):
            rows.append(execution_row(sfn, kind, execution))
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    """Aligned columns: type, status, name, endpoint, started (UTC), duration."""
    header = ("TYPE", "STATUS", "NAME", "ENDPOINT", "STARTED (UTC)", "DURATION")
    cells = [
        (
            str(row["type"]),
            str(row["status"]),
            str(row["name"]),
            str(row["endpointId"] or "-"),
            str(row["startDate"] or "-"),
            "running"
            if row["status"] == "RUNNING"
            else (duration(row["durationSeconds"]) if row["durationSeconds"] is not None else "-"),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    return [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *cells]
    ]


# -- the commands --------------------------------------------------------------------------------
@contextlib.contextmanager
def _aws_errors() -> Iterator[None]:
    """Missing credentials/region are usage errors (exit 2); a failed call is exit 1 (raised as
    ``OperationFailed``)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise UsageError(
            f"no AWS credentials ({exc}): set a profile (--profile) or the AWS_* variables"
        ) from None
    except (NoRegionError, ProfileNotFound) as exc:
        raise UsageError(str(exc)) from None
    except ClientError as exc:
        code, message = _client_error(exc)
        operation = getattr(exc, "operation_name", "call")
        if message.lstrip().startswith("<"):  # an HTML error page (a proxy, or a local emulator)
            message = "the endpoint answered with an HTML error page"
        hint = ""
        if operation == "PutEvents" and code.startswith("5") and "AWS_ENDPOINT_URL" in os.environ:
            # moto's EventBridge cannot deliver to Step Functions targets: it fails the put.
            hint = " (a local moto deploy cannot start executions from the bus: use submit --direct)"
        raise OperationFailed(f"{operation}: {code}: {message}{hint}") from None
    except BotoCoreError as exc:
        raise OperationFailed(str(exc)) from None


def _run(body: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        try:
            with _aws_errors():
                return body(args)
        except OperationFailed as exc:
            print(f"endpointctl: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            print("endpointctl: interrupted (an execution already started goes on)", file=sys.stderr)
            return 130

    return command


def _aws(args: argparse.Namespace) -> Aws:
    return Aws(args.profile, args.region)


def _watch_result(sfn: Any, execution: str, args: argparse.Namespace) -> int:
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


def cmd_submit(args: argparse.Namespace) -> int:
    request = request_of(_read_json(args.request, "request"), f"request {args.request}")
    kind = request["endpointType"]
    aws = _aws(args)
    explicit = [args.state_machine] if args.state_machine else None
    if args.direct:
        targets = resolve(aws, args.stack, machines=explicit, need="machines")
    else:
        targets = resolve(aws, args.stack, bus=args.bus, machines=explicit, need="bus")
    machine = args.state_machine or targets.machines.get(kind)
    if args.direct and not machine:
        raise UsageError(
            f"stack {targets.stack} has no {TITLES[kind]}StateMachineArn output; give --state-machine ARN"
        )
    endpoint = endpoint_id(request)
    if args.direct:
        assert machine is not None
        name = args.name or execution_name(request)
        sfn = aws.client("stepfunctions", arn_region(machine))
        started = start_request(sfn, machine, request, name)
        record = {
            "executionArn": started["executionArn"],
            "name": name,
            "stateMachineArn": machine,
            "startDate": iso(started["startDate"]),
            "endpointType": kind,
            "endpointId": endpoint,
            "requestId": request.get("requestId") or name,
        }
        if not (args.json and args.watch):
            _print_started(record, args, direct=True)
        return _watch_result(sfn, record["executionArn"], args) if args.watch else EXIT_OK

    assert targets.bus is not None
    if args.watch and not machine:
        raise UsageError("--watch needs the type's state machine: give --stack or --state-machine")
    event_id = put_request(aws.client("events"), targets.bus, request)
    record = {
        "eventId": event_id,
        "eventBusName": targets.bus,
        "stateMachineArn": machine,
        "endpointType": kind,
        "endpointId": endpoint,
        "requestId": request.get("requestId") or event_id,
    }
    if not (args.json and args.watch):
        _print_started(record, args, direct=False)
    if not args.watch:
        return EXIT_OK
    assert machine is not None
    sfn = aws.client("stepfunctions", arn_region(machine))
    found = find_execution(
        sfn, machine, event_id, timeout=args.start_timeout, interval=max(args.interval, 0.5)
    )
    if found is None:
        print(
            f"endpointctl: no execution of {machine} started for event {event_id} within {args.start_timeout:g} s "
            "(see the stack's dead-letter queue)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.json:
        print(f"execution {found}")
    return _watch_result(sfn, found, args)


def _print_started(record: dict[str, Any], args: argparse.Namespace, *, direct: bool) -> None:
    if args.json:
        print(json.dumps(record, indent=2))
        return
    what = f"{record['endpointType']} {record['endpointId'] or '(endpoint id from the service)'}"
    if direct:
        print(f"started {record['executionArn']}")
        print(f"  {what} on {record['stateMachineArn']}")
        given = "" if record["requestId"] != record["name"] else " (defaults to the execution name)"
        print(f"  requestId {record['requestId']}{given}")
        if not args.watch:
            print(f"  follow it: endpointctl watch {record['executionArn']}")
        return
    print(f"put event {record['eventId']} on bus {record['eventBusName']}")
    machine = record["stateMachineArn"] or f"the {TITLES[record['endpointType']]} lifecycle"
    print(f"  {what}: the {record['endpointType']} rule starts {machine}")
    given = "" if record["requestId"] != record["eventId"] else " (defaults to the event id)"
    print(f"  requestId {record['requestId']}{given}")
    if not args.watch:
        print("  see it: endpointctl list" + (f" --stack {args.stack}" if args.stack else ""))


def cmd_watch(args: argparse.Namespace) -> int:
    if not args.execution.startswith("arn:"):
        raise UsageError(f"{args.execution}: give the execution's ARN (arn:aws:states:…:execution:…)")
    sfn = _aws(args).client("stepfunctions", arn_region(args.execution))
    return _watch_result(sfn, args.execution, args)


def cmd_list(args: argparse.Namespace) -> int:
    aws = _aws(args)
    targets = resolve(aws, args.stack, machines=args.state_machine, need="machines")
    rows = list_rows(
        lambda arn: aws.client("stepfunctions", arn_region(arn)),
        targets.machines,
        limit=args.max,
        status=args.status,
    )
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        shown = ", ".join(f"{kind} ({arn.rsplit(':', 1)[-1]})" for kind, arn in targets.machines.items())
        print(f"no {args.status + ' ' if args.status else ''}executions of {shown}")
    else:
        for line in table(rows):
            print(line)
    return EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def register(commands: Any) -> None:
    """Add the operator commands to ``endpointctl``'s sub-command parser."""

    def aws_options(p: argparse.ArgumentParser, *, stack: bool = True) -> None:
        if stack:
            p.add_argument(
                "--stack",
                metavar="NAME",
                default=None,
                help=f"the deployed stack whose outputs to use (default: cdk.json's stackName, {default_stack_name()})",
            )
        p.add_argument("--region", default=None, help="AWS region (default: the profile's or AWS_REGION)")
        p.add_argument("--profile", default=None, help="AWS named profile (default: the environment's)")

    def watch_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--interval", type=_seconds, default=5.0, metavar="SECONDS", help="seconds between polls"
        )
        p.add_argument(
            "--all-states",
            action="store_true",
            help="show every state entered, also choices and a poll loop's repeats",
        )

    submit = commands.add_parser(
        "submit", help="put a request on the deployed controller's bus (or start its state machine)"
    )
    submit.add_argument(
        "request", metavar="REQUEST.json", help="a request, or a whole event whose detail is one"
    )
    submit.add_argument(
        "--direct", action="store_true", help="start the type's state machine, not via the bus"
    )
    submit.add_argument(
        "--bus", metavar="NAME", help="the controller's bus (default: the stack's EventBusName)"
    )
    submit.add_argument(
        "--state-machine",
        metavar="ARN",
        help="the state machine (default: the stack's <Type>StateMachineArn)",
    )
    submit.add_argument(
        "--name", help="--direct: the execution name (default: requestId or endpoint + UTC time)"
    )
    submit.add_argument("--watch", action="store_true", help="follow the started execution to its end")
    submit.add_argument(
        "--start-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="--watch after a bus submit: how long to look for the execution the rule starts",
    )
    submit.add_argument("--json", action="store_true", help="print what was started as JSON")
    watch_options(submit)
    aws_options(submit)
    submit.set_defaults(func=_run(cmd_submit))

    watch = commands.add_parser(
        "watch", help="follow an execution to its end (exit 0 if it succeeded, else 1)"
    )
    watch.add_argument("execution", metavar="EXECUTION_ARN")
    watch.add_argument("--json", action="store_true", help="print the final execution as one JSON object")
    watch_options(watch)
    aws_options(watch, stack=False)
    watch.set_defaults(func=_run(cmd_watch))

    listing = commands.add_parser("list", help="recent executions per endpoint type")
    listing.add_argument(
        "--state-machine",
        action="append",
        metavar="ARN",
        help="a state machine to list (repeatable; default: the stack's three)",
    )
    listing.add_argument(
        "--max", type=_positive, default=10, metavar="N", help="executions per state machine (default 10)"
    )
    listing.add_argument(
        "--status", type=str.upper, choices=STATUSES, help="only executions with this status"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array of the executions")
    aws_options(listing)
    listing.set_defaults(func=_run(cmd_list))
