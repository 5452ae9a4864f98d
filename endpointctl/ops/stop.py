"""Stopping an execution (``stop``): Step Functions' ``StopExecution``, and what follows it.

A stop ends the execution at once, without its outcome. The controller then cleans up after it, as
after any execution that ended without one (``functions/controller/steps/cleanup.py``): the rule on
the state machine's status changes hands the ``ABORTED`` event to the type's function, which waits
for a deployment or deletion under way to settle, deletes what the execution created (never what it
did not), and publishes the request's ``Endpoint Failed`` with ``ExecutionAborted``. The request may
then be sent again with the same requestId. ``stop`` says so; ``describe`` and ``logs`` show it.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from endpointctl.errors import EXIT_OK, OperationFailed
from endpointctl.ops.find import Found, execution_of
from endpointctl.ops.records import describe, iso
from endpointctl.ops.session import arn_region

#: How long ``stop`` waits to see the execution end (Step Functions ends it at once; a local
#: world's interpreter a moment later).
SETTLE_SECONDS = 10.0


def stop(sfn: Any, found: Found, *, cause: str | None = None) -> dict[str, Any]:
    """Stop ``found``; what became of it (``status``: ``ABORTED``, how it ended first, or still
    ``RUNNING`` after :data:`SETTLE_SECONDS`)."""
    kwargs = {"executionArn": found.arn, **({"cause": cause} if cause else {})}
    answer = sfn.stop_execution(**kwargs)
    deadline = time.monotonic() + SETTLE_SECONDS
    after = describe(sfn, found.arn)
    while after.get("status") == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
        after = describe(sfn, found.arn)
    return {
        "executionArn": found.arn,
        "name": found.name,
        "endpointType": found.endpoint_type,
        "requestId": found.request_id,
        "endpointId": found.endpoint,
        "status": after.get("status"),
        "stopDate": iso(after.get("stopDate") or answer.get("stopDate")),
    }


def lines(record: dict[str, Any]) -> list[str]:
    """What ``stop`` says: the stop, the request, and what the controller does next."""
    said = [f"stopped {record['name']} ({record['endpointType']}) at {record['stopDate'] or '?'}"]
    about = f"request {record['requestId']}" + (
        f", endpoint {record['endpointId']}" if record["endpointId"] else ""
    )
    said += [
        f"  {about}",
        "  the controller's clean-up now deletes what this execution created and publishes "
        "Endpoint Failed (ExecutionAborted); the request may be sent again with the same requestId",
        f"  see it: endpointctl describe {record['requestId']}",
    ]
    return said


def cmd_stop(args: argparse.Namespace) -> int:
    aws, found = execution_of(args, args.execution, running=True)
    if found.status != "RUNNING":
        ended = f" at {iso(found.stopped)}" if found.stopped else ""
        raise OperationFailed(
            f"execution {found.name} has already ended ({found.status}{ended}): nothing to stop"
        )
    record = stop(aws.client("stepfunctions", arn_region(found.arn)), found, cause=args.cause)
    if record["status"] == "RUNNING":
        raise OperationFailed(
            f"StopExecution of {found.name} was accepted, but it is still RUNNING after {SETTLE_SECONDS:g} s "
            f"(endpointctl watch {found.name} follows it)"
        )
    if record["status"] != "ABORTED":
        raise OperationFailed(
            f"execution {found.name} ended ({record['status']}) before the stop reached it: nothing was stopped"
        )
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print("\n".join(lines(record)))
    return EXIT_OK
