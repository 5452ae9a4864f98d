"""Request-id claims: what makes two documents the same request (their defaults filled in), and
how a request id of any size keys the requests table (a valid one as it is, anything longer, the id
of a request refused for its size or an EventBridge event id standing in for one, as its hash, so a
refusal and a clean-up can still keep their records and answer it: DynamoDB refuses a partition key
over 2,048 bytes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from controller import aws, idempotency, store
from controller.request import REQUEST_ID_PATTERN, Request

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:SageMakerLifecycle:run-1"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The requests table in moto's DynamoDB, which enforces DynamoDB's key limits."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        aws.reset()
        boto3.client("dynamodb").create_table(
            TableName="requests",
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setenv(store.TABLE_ENV, "requests")
        yield "requests"
    aws.reset()


def test_a_valid_request_id_is_its_own_key() -> None:
    request_id = "churn-prod-2026-11-22:" + "a" * 100
    assert idempotency.key_text(request_id) == request_id


@pytest.mark.parametrize(
    "request_id",
    ["r" * 257, "r" * 2000, "r" * 100_000, "é" * 200, "bad\ud800id"],
    ids=["257", "2000", "100000", "multibyte-400-bytes", "lone-surrogate"],
)
def test_what_no_key_can_hold_is_kept_as_its_hash(request_id: str) -> None:
    key = idempotency.key_text(request_id)
    assert key == idempotency.key_text(request_id)  # a redelivery finds the same record
    assert key.startswith("#sha256#") and len(key.encode()) <= idempotency.KEY_TEXT_BYTES
    assert not re.fullmatch(REQUEST_ID_PATTERN, key)  # never the key of a valid request id
    assert idempotency.key_text(request_id + "x") != key


def test_a_request_id_of_any_size_is_claimed_looked_up_and_released_in_dynamodb(table: str) -> None:
    request_id = "r" * 100_000
    assert idempotency.claim(request_id, EXECUTION, "f1").owner == EXECUTION
    held = idempotency.lookup(request_id)
    assert held is not None and (held.owner, held.fingerprint) == (EXECUTION, "f1")
    assert idempotency.claim(request_id, "arn:another", "f2").owner == EXECUTION
    idempotency.release(request_id, EXECUTION)
    assert idempotency.lookup(request_id) is None


BASE: dict[str, Any] = {
    "endpointType": "sagemaker",
    "params": {"EndpointName": "churn-prod", "EndpointConfigName": "churn-config-v3"},
    "requestId": "churn-prod-2026-11-22",
}


def fingerprint(**changes: Any) -> str:
    return idempotency.of_request(Request.model_validate(BASE | changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"action": "create"},
        {"options": {}},
        {"options": {"rollback": True}},
        {"options": {"rollback": True, "deleteReplacedConfig": False}},
        {"options": {"pollIntervalSeconds": None}},
    ],
    ids=["action-create", "empty-options", "rollback-true", "two-defaults", "null-poll-interval"],
)
def test_a_default_spelled_out_is_the_same_request(changes: dict[str, Any]) -> None:
    assert fingerprint(**changes) == fingerprint()


@pytest.mark.parametrize(
    "changes",
    [
        {"action": "delete", "params": {"EndpointName": "churn-prod"}},
        {"options": {"rollback": False}},
        {"options": {"timeoutSeconds": 3600}},
        {"params": {"EndpointName": "churn-prod", "EndpointConfigName": "churn-config-v4"}},
        {"requestId": "churn-prod-2026-11-23"},
    ],
    ids=["another-action", "no-rollback", "a-timeout", "another-config", "another-id"],
)
def test_anything_else_is_a_different_request(changes: dict[str, Any]) -> None:
    assert fingerprint(**changes) != fingerprint()


def test_a_fingerprint_kept_before_defaults_were_filled_in_still_knows_the_same_document() -> None:
    document = BASE | {"action": "create"}
    request = Request.model_validate(document)
    assert idempotency.same_request(idempotency.fingerprint(document), request, document)
    assert idempotency.same_request(None, request, document)
    other = Request.model_validate(BASE | {"options": {"rollback": False}})
    assert not idempotency.same_request(idempotency.of_request(other), request, document)
