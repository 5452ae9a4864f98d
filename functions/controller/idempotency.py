"""At most one lifecycle per ``requestId``: a claim, and the outcome kept for repeats.

Why not Powertools' ``@idempotent`` here: it makes one Lambda *invocation* idempotent, while the
unit of work here is a whole execution that spans many invocations and up to hours. So the same
guarantee is built one level up, with the same mechanism (a DynamoDB conditional write):

- ``validate`` claims the request id for its execution (``attribute_not_exists`` or already
  ours, so a retried step keeps its claim). Exactly one execution can win, even when duplicates
  start at the same instant; the others become replays.
- ``outcome`` stores the publication (detail, error code, cause) on the claim.
- A replay creates nothing and publishes nothing: it waits for the first execution's outcome and
  ends exactly as that one did, so a request gets one endpoint and one notification however
  often it is delivered. Claims expire after ``RETENTION_SECONDS`` (DynamoDB TTL).

Without ``IDEMPOTENCY_TABLE`` (unit tests) every claim is granted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from controller import aws, clock

TABLE_ENV = "IDEMPOTENCY_TABLE"
RETENTION_SECONDS = 7 * 86400
IN_PROGRESS, COMPLETED = "IN_PROGRESS", "COMPLETED"


@dataclass(frozen=True)
class Claim:
    """Who holds a request id, and how it ended if it has."""

    owner: str
    status: str
    publication: dict[str, Any] | None = None


def table_name() -> str | None:
    """The requests table (claims, outcomes and parked task tokens); ``None`` in unit tests."""
    return os.environ.get(TABLE_ENV) or None


def claim(request_id: str, execution_arn: str) -> Claim:
    """Claim ``request_id`` for ``execution_arn``; the current holder if another has it."""
    table = table_name()
    if table is None:
        return Claim(owner=execution_arn, status=IN_PROGRESS)
    now = int(clock.now())
    try:
        aws.client("dynamodb").put_item(
            TableName=table,
            Item={
                "requestId": {"S": request_id},
                "executionArn": {"S": execution_arn},
                "status": {"S": IN_PROGRESS},
                "claimedAt": {"N": str(now)},
                "expiresAt": {"N": str(now + RETENTION_SECONDS)},
            },
            ConditionExpression="attribute_not_exists(requestId) OR executionArn = :me",
            ExpressionAttributeValues={":me": {"S": execution_arn}},
        )
    except ClientError as exc:
        if aws.error_code(exc) != "ConditionalCheckFailedException":
            raise
        held = lookup(request_id)
        if held is not None:
            return held
        return claim(request_id, execution_arn)  # expired between the two calls
    return Claim(owner=execution_arn, status=IN_PROGRESS)


def lookup(request_id: str) -> Claim | None:
    table = table_name()
    if table is None:
        return None
    item = (
        aws.client("dynamodb")
        .get_item(TableName=table, Key={"requestId": {"S": request_id}}, ConsistentRead=True)
        .get("Item")
    )
    if not item:
        return None
    publication = item.get("publication", {}).get("S")
    return Claim(
        owner=item["executionArn"]["S"],
        status=item["status"]["S"],
        publication=json.loads(publication) if publication else None,
    )


def record(request_id: str, execution_arn: str, publication: dict[str, Any]) -> None:
    """Keep how the request ended, for its repeats."""
    table = table_name()
    if table is None:
        return
    try:
        aws.client("dynamodb").update_item(
            TableName=table,
            Key={"requestId": {"S": request_id}},
            UpdateExpression="SET #s = :done, publication = :p",
            ConditionExpression="executionArn = :me",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":done": {"S": COMPLETED},
                ":p": {"S": json.dumps(publication, separators=(",", ":"))},
                ":me": {"S": execution_arn},
            },
        )
    except ClientError as exc:
        if aws.error_code(exc) != "ConditionalCheckFailedException":
            raise  # a claim that is not ours (expired and taken) keeps its own outcome
