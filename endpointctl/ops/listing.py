"""Listing executions: the most recent ones of each endpoint type's state machine (``list``).

Rows come in catalog order of the endpoint types, newest first within a type; :func:`table` lays
them out as aligned columns, ``--json`` prints them as they are. ``cmd_list`` is the ``list`` command.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from endpointctl.errors import EXIT_OK
from endpointctl.ops.records import duration, endpoint_id, iso, loads, request_in
from endpointctl.ops.session import arn_region, aws_of, resolve, titles


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
    request = request_in(loads(described.get("input")))
    output = loads(described.get("output"))
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
    known = titles()
    order = [kind for kind in known if kind in machines] + [kind for kind in machines if kind not in known]
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


def cmd_list(args: argparse.Namespace) -> int:
    aws = aws_of(args)
    targets = resolve(aws, args.stack, machines=args.state_machine, need="machines")
    rows = list_rows(
        lambda arn: aws.client("stepfunctions", arn_region(arn)),
        targets.readable(),
        limit=args.max,
        status=args.status,
    )
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        shown = ", ".join(f"{kind} ({arn.rsplit(':', 1)[-1]})" for kind, arn in targets.readable().items())
        print(f"no {args.status + ' ' if args.status else ''}executions of {shown}")
    else:
        for line in table(rows):
            print(line)
    return EXIT_OK
