"""Submitting requests: put one on the controller's bus, or start its type's state machine.

A request is checked first as the controller's Validate step checks it (``endpointctl validate``,
offline): one the controller would refuse is not sent. A whole EventBridge event is read as the
controller reads it (:func:`controller.request.peek`). ``cmd_submit`` is the ``submit`` command.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from controller import catalog
from endpointctl.errors import EXIT_FAILED, EXIT_OK, OperationFailed, UsageError, read_json
from endpointctl.ops.follow import watch_result
from endpointctl.ops.records import endpoint_id, iso, loads, request_in
from endpointctl.ops.session import (
    NOT_FOUND,
    Targets,
    arn_region,
    aws_of,
    client_error,
    machine_type,
    resolve,
    titles,
)

SOURCE = "endpointctl"
DETAIL_TYPE = catalog.CONTROLLER.request_detail_type  # what the stack's rules match


def request_of(document: Any, where: str) -> dict[str, Any]:
    """The request to submit (docs/requests.md), checked just enough to know where it goes."""
    request = request_in(_entry_detail(document, where))
    if isinstance(request, list):
        raise UsageError(f"{where}: one request per submit, not an array")
    if not isinstance(request, dict):
        raise UsageError(f"{where}: a request must be a JSON object")
    kind = request.get("endpointType")
    if kind not in catalog.endpoint_types():
        shown = "no endpointType" if kind is None else f"endpointType {json.dumps(kind)}"
        raise UsageError(f"{where}: {shown}; it must be one of {', '.join(catalog.endpoint_types())}")
    return request


def _entry_detail(document: Any, where: str) -> Any:
    """A file of one PutEvents entry (``events/put-events/``) as the event it puts, whose detail is
    the request; submit sends it to the stack's bus itself (or ``--direct``), whatever the entry's
    ``EventBusName``. Anything else as it is."""
    from endpointctl import entries

    unwrapped = entries.unwrap(document)
    items = unwrapped if isinstance(unwrapped, list) else [unwrapped]
    if not any(entries.is_entry(item) for item in items):
        return document
    if len(items) != 1:
        raise UsageError(
            f"{where}: {len(items)} PutEvents entries, and submit sends one request "
            "(aws events put-events --entries file://FILE puts them all)"
        )
    event = entries.event_of(items[0]) if entries.is_entry(items[0]) else None
    if event is None:
        raise UsageError(
            f"{where}: a PutEvents entry whose Detail is not the request as a JSON object (a string)"
        )
    return event


def sanitize_name(text: str, limit: int = 80) -> str:
    """A Step Functions execution name: ``[A-Za-z0-9-_]``, at most ``limit`` characters."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:limit].strip("-")


def execution_name(request: dict[str, Any], now: datetime | None = None) -> str:
    """``<requestId or endpoint id or type>-<UTC timestamp>``, sanitized, ≤ 80 characters."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = sanitize_name(str(request.get("requestId") or endpoint_id(request) or request["endpointType"]))
    base = sanitize_name(base, 80 - len(stamp) - 1)
    return f"{base}-{stamp}" if base else stamp


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
        code, message = client_error(exc)
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
            document = loads(described.get("input"))
            if isinstance(document, dict) and document.get("id") == event_id:
                return str(arn)
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def cmd_submit(args: argparse.Namespace) -> int:
    request = request_of(read_json(args.request, "request"), f"request {args.request}")
    refused = refusal(request, args.request)
    if refused:  # the controller would refuse it: send nothing (endpointctl validate says the same)
        print("\n".join(refused), file=sys.stderr)
        return EXIT_FAILED
    kind = request["endpointType"]
    aws = aws_of(args)
    explicit = [args.state_machine] if args.state_machine else None
    if args.direct:
        targets = resolve(aws, args.stack, machines=explicit, need="machines")
    else:
        targets = resolve(aws, args.stack, bus=args.bus, machines=explicit, need="bus")
    deployed_or_refuse(kind, targets, args.state_machine, args.request)
    machine = args.state_machine or targets.machines.get(kind)
    if args.direct and not machine:
        raise UsageError(
            f"stack {targets.stack} has no {titles()[kind]}StateMachineArn output; give --state-machine ARN"
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
        return watch_result(sfn, record["executionArn"], args) if args.watch else EXIT_OK

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
    return watch_result(sfn, found, args)


def deployed_or_refuse(kind: str, targets: Targets, explicit: str | None, path: str) -> None:
    """A request is not sent to a stack that does not deploy its type (the stack would refuse it:
    ``InvalidRequest`` naming ``endpointType``), nor to another type's ``--state-machine``. What the
    stack deploys is known from its outputs, when they were read; with ``--bus`` alone it is not."""
    if explicit is not None:
        other = machine_type(explicit)
        if other in titles() and other != kind:
            raise UsageError(
                f"request {path} not sent: --state-machine {explicit} is the {other} state machine"
            )
        return
    if targets.stack is not None and targets.machines and kind not in targets.machines:
        from controller.admission import not_deployed

        where = f"stack {targets.stack}"
        raise UsageError(f"request {path} not sent: {not_deployed(kind, list(targets.machines), where)}")


def refusal(request: dict[str, Any], path: str) -> list[str]:
    """Why the controller's Validate step would refuse ``request`` (checked offline, with its own
    code: ``endpointctl validate``), one line per broken field; nothing when it is valid."""
    from endpointctl.validate import check, deployment_defaults

    verdict = check(request, deployment_defaults())
    if verdict.valid:
        return []
    head = f"endpointctl: request {path} is invalid, not sent ({verdict.summary}):"
    return [head, *(f"  {field}: {problem}" for field, problem in verdict.broken)]


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
    kind = record["endpointType"]
    # Without the stack's outputs (--bus alone) what the stack deploys is not known here.
    machine = record["stateMachineArn"] or f"the {titles()[kind]} lifecycle (if the stack deploys {kind})"
    print(f"  {what}: the {kind} rule starts {machine}")
    given = "" if record["requestId"] != record["eventId"] else " (defaults to the event id)"
    print(f"  requestId {record['requestId']}{given}")
    if not args.watch:
        print("  see it: endpointctl list" + (f" --stack {args.stack}" if args.stack else ""))
