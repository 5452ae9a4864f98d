"""What happened to a request, or to an endpoint (``describe``): the requests, their executions, what
was published for each, and what exists now.

- The executions are found as ``watch`` finds one (``endpointctl.ops.find``): by requestId or by the
  endpoint they are about, among each state machine's most recent executions, or by name or ARN
  (then the other executions of that request are shown with it).
- What was published: the notification an execution publishes is its outcome, which its own record
  carries (Step Functions' ``DescribeExecution``): a successful execution's output is the
  notification's detail; a failed one's error is the notification's ``error.code`` and its cause the
  ``error.message`` and ``rollback``. An execution that ended without its outcome (stopped, timed
  out, or failed outside the controller's codes) published nothing itself: the controller's clean-up
  publishes its ``Endpoint Failed`` once it has removed what the execution created (its log lines
  show it: ``endpointctl logs``).
- What exists now: the endpoint described by the service, as the controller's own provider of its
  type describes it (``controller.providers``), with the caller's credentials and the deployed
  function's settings (its environment: a type's region or endpoint URL). When the service cannot
  be reached from here (Neptune ML answers inside its VPC only), it says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest import mock

from endpointctl.errors import EXIT_OK, UsageError
from endpointctl.ops.find import Found, finder_of, is_execution_arn, machine_of, searched
from endpointctl.ops.logs import machine_functions
from endpointctl.ops.records import duration, iso, loads
from endpointctl.ops.session import REFUSED, arn_region, aws_of, machine_type, resolve


def notification(found: Found) -> dict[str, Any]:
    """What ``found`` published, read from its own record (see the module's docstring)."""
    from controller import catalog
    from controller.outcome import DETAIL_TYPES

    status, error = found.status, found.described.get("error")
    if status == "RUNNING":
        return {"published": None, "note": "still running: nothing published yet"}
    output = found.output
    if status == "SUCCEEDED" and isinstance(output, dict):
        kind = DETAIL_TYPES.get(str(output.get("status")))
        return {"published": kind, "detail": output, "from": "the execution's output"}
    if status == "FAILED" and error in catalog.CONTROLLER.error_codes:
        cause = loads(found.described.get("cause"))
        cause = cause if isinstance(cause, dict) else {"message": cause}
        detail = {"status": "FAILED", "error": {"code": error, "message": cause.get("message")}}
        detail |= {key: value for key, value in cause.items() if key not in ("code", "message")}
        return {
            "published": DETAIL_TYPES["FAILED"],
            "detail": detail,
            "from": "the execution's error and cause",
        }
    if status in ("ABORTED", "TIMED_OUT"):
        why = "it was stopped" if status == "ABORTED" else "it reached its state machine's time limit"
        code = "ExecutionAborted"
    else:
        why, code = f"it failed outside the controller's codes ({error})", "the code it failed with"
    return {
        "published": None,
        "note": f"{why}; the controller's clean-up publishes Endpoint Failed ({code}) once what it "
        "created is gone (endpointctl logs shows the clean-up)",
    }


@contextlib.contextmanager
def as_deployed(region: str | None, variables: dict[str, str], profile: str | None) -> Iterator[None]:
    """The controller's code, run here as the deployed function runs it: its environment, this
    region, the caller's credentials (``--profile``), its clients made afresh and forgotten after."""
    import boto3

    from controller import aws

    keep = {k: v for k, v in variables.items() if not k.startswith("AWS_")}  # Lambda's own, not ours
    region_env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region} if region else {}
    session = boto3.DEFAULT_SESSION
    with mock.patch.dict(os.environ, {**keep, **region_env}):
        aws.reset()
        if profile:
            boto3.setup_default_session(profile_name=profile)
        try:
            yield
        finally:
            boto3.DEFAULT_SESSION = session
            aws.reset()


def endpoint_now(aws: Any, kind: str, endpoint: str, machine: str, profile: str | None) -> dict[str, Any]:
    """The endpoint as the service describes it now (``status`` None: it could not be described)."""
    from controller import providers
    from controller.providers.base import Resource

    region = arn_region(machine)
    shown: dict[str, Any] = {"endpointType": kind, "endpointId": endpoint, "status": None}
    try:
        provider = providers.get(kind)
    except KeyError:
        return {**shown, "note": f"{kind} is not an endpoint type of this controller"}
    shown["from"] = f"{provider.service}, as the controller's {kind} provider reads it"
    variables: dict[str, str] = {}
    with contextlib.suppress(Exception):  # no function to read: the provider's defaults
        function = machine_functions(aws.client("stepfunctions", region), machine)[0]
        configuration = aws.client("lambda", arn_region(function) or region).get_function_configuration(
            FunctionName=function
        )
        variables = dict((configuration.get("Environment") or {}).get("Variables") or {})
    try:
        with as_deployed(region, variables, profile):
            seen = provider.describe(Resource(kind=provider.endpoint_kind, id=endpoint))
    except Exception as exc:  # a denial, a service out of reach: said, not fatal
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {**shown, "note": f"could not be described from here: {detail}"}
    shown |= {"status": str(seen.status), "providerStatus": seen.provider_status}
    if seen.reason:
        shown["reason"] = seen.reason
    return shown


def execution_record(found: Found) -> dict[str, Any]:
    start, stop = found.started, found.stopped
    seconds = (
        (stop - start).total_seconds() if isinstance(start, datetime) and isinstance(stop, datetime) else None
    )
    record: dict[str, Any] = {
        "name": found.name,
        "status": found.status,
        "startDate": iso(start),
        "stopDate": iso(stop),
        "durationSeconds": None if seconds is None else round(seconds, 3),
        "executionArn": found.arn,
        "error": found.described.get("error"),
    }
    return record | {"notification": notification(found)}


def report(
    aws: Any, machines: dict[str, str], ref: str, *, search: int, profile: str | None
) -> dict[str, Any]:
    """The ``--output json`` object of ``describe REF``."""
    finder = finder_of(aws, machines, search)
    how, found = finder.find(ref, endpoint=True)
    if how in ("ARN", "name") and found:  # that execution's request, with all its executions
        request_id = found[0].request_id
        found = found + [f for f in finder.recent() if f.request_id == request_id and f.arn != found[0].arn]
    if not found:
        raise UsageError(f"{ref}: no execution has this requestId, endpoint or name ({searched(finder)})")
    requests: dict[str, dict[str, Any]] = {}
    for execution in sorted(found, key=lambda f: f.started.timestamp() if f.started else 0.0):
        request = execution.request or {}
        entry = requests.setdefault(
            execution.request_id,
            {
                "requestId": execution.request_id,
                "action": request.get("action", "create" if request else None),
                "endpointType": execution.endpoint_type,
                "endpointId": execution.endpoint,
                "request": request or execution.document,
                "executions": [],
            },
        )
        entry["endpointId"] = entry["endpointId"] or execution.endpoint
        entry["executions"].append(execution_record(execution))
    # The refusals' executions created nothing and were handled by no type's lifecycle: no "now".
    endpoints = {
        (f.endpoint_type, f.endpoint): f.machine
        for f in found
        if f.endpoint is not None and f.kind != REFUSED
    }  # newest execution's machine last: dict order keeps the first key, the value is the last
    return {
        "query": ref,
        "matchedBy": how,
        "requests": list(requests.values()),
        "endpoints": [
            endpoint_now(aws, kind, endpoint, machine, profile)
            for (kind, endpoint), machine in endpoints.items()
        ],
    }


def lines(described: dict[str, Any]) -> list[str]:
    """The readable ``describe``: a block per request, then each endpoint as it is now."""
    requests = described["requests"]
    count = sum(len(request["executions"]) for request in requests)
    said = [
        f"{described['query']} ({described['matchedBy']}): {len(requests)} request"
        f"{'s' if len(requests) != 1 else ''}, {count} execution{'s' if count != 1 else ''}",
        "",
    ]
    for request in requests:
        what = " ".join(
            str(w) for w in (request["action"], request["endpointType"], request["endpointId"]) if w
        )
        said.append(f"request {request['requestId']}: {what}")
        rows = [("EXECUTION", "STATUS", "STARTED (UTC)", "STOPPED (UTC)", "DURATION")]
        for execution in request["executions"]:
            took = execution["durationSeconds"]
            rows.append(
                (
                    execution["name"],
                    execution["status"],
                    execution["startDate"] or "-",
                    execution["stopDate"] or "-",
                    "running"
                    if execution["status"] == "RUNNING"
                    else (duration(took) if took is not None else "-"),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        said += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        for execution in request["executions"]:
            said.append(f"  {execution['name']}: {published(execution['notification'])}")
        said.append("")
    for endpoint in described["endpoints"]:
        head = f"now: {endpoint['endpointType']} endpoint {endpoint['endpointId']}"
        if endpoint["status"] is None:
            said.append(f"{head}: {endpoint.get('note', 'not described')}")
            continue
        state = (
            "does not exist"
            if endpoint["status"] == "ABSENT"
            else f"is {endpoint['providerStatus']} ({endpoint['status']})"
        )
        reason = f"; {endpoint['reason']}" if endpoint.get("reason") else ""
        said.append(f"{head} {state}{reason}: {endpoint['from']}")
    return said


def published(shown: dict[str, Any]) -> str:
    """``published Endpoint Ready: status READY, endpointUrl … (from the execution's output)``."""
    if not shown.get("published"):
        return f"published nothing itself: {shown.get('note', '')}"
    detail = shown.get("detail") or {}
    parts = [f"status {detail['status']}"] if detail.get("status") else []
    error = detail.get("error")
    if isinstance(error, dict):
        parts.append(f"error {error.get('code')}: {error.get('message')}")
    rollback = detail.get("rollback")
    if isinstance(rollback, dict):
        deleted = ", ".join(rollback.get("deleted") or []) or "nothing"
        parts.append(f"rollback {'succeeded' if rollback.get('succeeded') else 'failed'} (deleted {deleted})")
    if detail.get("endpointUrl"):
        parts.append(f"endpointUrl {detail['endpointUrl']}")
    return f"published {shown['published']}: {', '.join(parts)} (from {shown['from']})"


def cmd_describe(args: argparse.Namespace) -> int:
    aws = aws_of(args)
    if is_execution_arn(args.what) and not (args.stack or args.state_machine):
        machine = machine_of(args.what)  # an ARN names its state machine: no stack to read
        machines = {machine_type(machine): machine}
    else:
        machines = resolve(aws, args.stack, machines=args.state_machine, need="machines").readable()
    described = report(aws, machines, args.what, search=args.search, profile=args.profile)
    if args.json:
        print(json.dumps(described, indent=2))
    else:
        print("\n".join(lines(described)).rstrip())
    return EXIT_OK
