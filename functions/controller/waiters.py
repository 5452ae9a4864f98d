"""Lifecycles waiting for a service's state-change event: parked task tokens.

A create that waits for events parks its task token (and the lifecycle state to resume with) under
the endpoint's key, in the same table as the request claims. Whoever sees the endpoint settle first,
the waiting step itself or the event's handler, *takes* the token with a conditional delete and
resumes the execution; everyone else finds nothing to take. So duplicated, late and out-of-order
events are harmless, and a retried waiting step simply parks its new token over the old one.

Without ``IDEMPOTENCY_TABLE`` (unit tests) tokens are parked in this process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from controller import aws, clock
from controller.idempotency import table_name

#: How long a parked token is kept past the request's deadline (DynamoDB TTL).
RETENTION_SECONDS = 86400

_LOCAL: dict[str, tuple[str, str]] = {}


@dataclass(frozen=True)
class Parked:
    token: str
    state: dict[str, Any]


def key(endpoint_type: str, endpoint_id: str) -> str:
    # Kept in the request table's partition key; the prefix keeps it apart from request ids.
    return f"#waiting#{endpoint_type}#{endpoint_id}"


def park(waiter: str, token: str, state: dict[str, Any], deadline: float) -> None:
    """Park ``token`` for ``waiter`` (replacing an earlier token of the same lifecycle)."""
    body = json.dumps(state, separators=(",", ":"))
    table = table_name()
    if table is None:
        _LOCAL[waiter] = (token, body)
        return
    aws.client("dynamodb").put_item(
        TableName=table,
        Item={
            "requestId": {"S": waiter},
            "token": {"S": token},
            "state": {"S": body},
            "parkedAt": {"N": str(int(clock.now()))},
            "expiresAt": {"N": str(int(deadline) + RETENTION_SECONDS)},
        },
    )


def lookup(waiter: str) -> Parked | None:
    table = table_name()
    if table is None:
        held = _LOCAL.get(waiter)
        return Parked(held[0], json.loads(held[1])) if held else None
    item = (
        aws.client("dynamodb")
        .get_item(TableName=table, Key={"requestId": {"S": waiter}}, ConsistentRead=True)
        .get("Item")
    )
    if not item or "token" not in item:
        return None
    return Parked(token=item["token"]["S"], state=json.loads(item["state"]["S"]))


def take(waiter: str, token: str) -> bool:
    """Remove the parked ``token``; ``False`` when it is no longer there (someone took it, or a
    newer token replaced it)."""
    table = table_name()
    if table is None:
        held = _LOCAL.get(waiter)
        if held is None or held[0] != token:
            return False
        del _LOCAL[waiter]
        return True
    try:
        aws.client("dynamodb").delete_item(
            TableName=table,
            Key={"requestId": {"S": waiter}},
            ConditionExpression="#t = :token",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues={":token": {"S": token}},
        )
    except ClientError as exc:
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def resume(token: str, output: dict[str, Any]) -> bool:
    """Hand ``output`` to the waiting task; ``False`` when the task no longer waits (timed out)."""
    try:
        aws.client("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps(output, separators=(",", ":"))
        )
    except ClientError as exc:
        if aws.error_code(exc) in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            return False
        raise
    return True
