"""The requests table in DynamoDB (deployed, and in the local runner against moto).

Exactly one execution can win a claim, even when duplicates start at the same instant: the
claim is a conditional ``PutItem`` (``attribute_not_exists`` or already this owner's, so a retried
step keeps its claim). Items expire by DynamoDB TTL on ``expiresAt``.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from controller import aws
from controller.store.base import COMPLETED, IN_PROGRESS, Claim, Parked

_CONFLICT = "ConditionalCheckFailedException"


class DynamoDBStore:
    """:class:`~controller.store.base.RequestStore` on one DynamoDB table."""

    def __init__(self, table: str) -> None:
        self.table = table

    def _get(self, key: str) -> dict[str, Any] | None:
        item = (
            aws.client("dynamodb")
            .get_item(TableName=self.table, Key={"requestId": {"S": key}}, ConsistentRead=True)
            .get("Item")
        )
        return dict(item) if item else None

    def claim(self, request_id: str, owner: str, *, now: int, expires_at: int) -> Claim:
        try:
            aws.client("dynamodb").put_item(
                TableName=self.table,
                Item={
                    "requestId": {"S": request_id},
                    "executionArn": {"S": owner},
                    "status": {"S": IN_PROGRESS},
                    "claimedAt": {"N": str(now)},
                    "expiresAt": {"N": str(expires_at)},
                },
                ConditionExpression="attribute_not_exists(requestId) OR executionArn = :me",
                ExpressionAttributeValues={":me": {"S": owner}},
            )
        except ClientError as exc:
            if aws.error_code(exc) != _CONFLICT:
                raise
            held = self.lookup(request_id)
            if held is not None:
                return held
            return self.claim(request_id, owner, now=now, expires_at=expires_at)  # expired meanwhile
        return Claim(owner=owner, status=IN_PROGRESS)

    def lookup(self, request_id: str) -> Claim | None:
        item = self._get(request_id)
        if not item:
            return None
        publication = item.get("publication", {}).get("S")
        return Claim(
            owner=item["executionArn"]["S"],
            status=item["status"]["S"],
            publication=json.loads(publication) if publication else None,
        )

    def complete(self, request_id: str, owner: str, publication: dict[str, Any]) -> None:
        try:
            aws.client("dynamodb").update_item(
                TableName=self.table,
                Key={"requestId": {"S": request_id}},
                UpdateExpression="SET #s = :done, publication = :p",
                ConditionExpression="executionArn = :me",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":done": {"S": COMPLETED},
                    ":p": {"S": json.dumps(publication, separators=(",", ":"))},
                    ":me": {"S": owner},
                },
            )
        except ClientError as exc:
            if aws.error_code(exc) != _CONFLICT:
                raise  # a claim that is not ours (expired and taken) keeps its own outcome

    def park(self, key: str, token: str, state: dict[str, Any], *, now: int, expires_at: int) -> None:
        aws.client("dynamodb").put_item(
            TableName=self.table,
            Item={
                "requestId": {"S": key},
                "token": {"S": token},
                "state": {"S": json.dumps(state, separators=(",", ":"))},
                "parkedAt": {"N": str(now)},
                "expiresAt": {"N": str(expires_at)},
            },
        )

    def parked(self, key: str) -> Parked | None:
        item = self._get(key)
        if not item or "token" not in item:
            return None
        return Parked(token=item["token"]["S"], state=json.loads(item["state"]["S"]))

    def take(self, key: str, token: str) -> bool:
        try:
            aws.client("dynamodb").delete_item(
                TableName=self.table,
                Key={"requestId": {"S": key}},
                ConditionExpression="#t = :token",
                ExpressionAttributeNames={"#t": "token"},
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except ClientError as exc:
            if aws.error_code(exc) == _CONFLICT:
                return False
            raise
        return True

    def own(self, key: str, request_id: str, *, now: int) -> None:
        aws.client("dynamodb").put_item(
            TableName=self.table,
            Item={"requestId": {"S": key}, "createdBy": {"S": request_id}, "createdAt": {"N": str(now)}},
        )

    def owner(self, key: str) -> str | None:
        item = self._get(key)
        return item["createdBy"]["S"] if item and "createdBy" in item else None

    def disown(self, key: str) -> None:
        aws.client("dynamodb").delete_item(TableName=self.table, Key={"requestId": {"S": key}})
