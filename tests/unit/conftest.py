"""Shared by the unit tests of the waiting steps: a moto SageMaker endpoint and the handler."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sagemaker.models import sagemaker_backends

from controller import aws, clock, handlers, store, task_tokens
from controller.creations import Creations
from controller.providers.base import Provider, Resource
from controller.providers.sagemaker import MANAGED_TAG, OWNER_TAG

ENDPOINT_NAME = "churn-prod"
REQUEST_ID = "req-1"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:SageMakerLifecycle:run-1"


def creations(
    provider: Provider,
    request_id: str = REQUEST_ID,
    execution: str = EXECUTION,
    resources: Iterable[Resource] = (),
) -> Creations:
    """What ``provider.create`` records into, as ``create`` gives it (one execution's; ``resources``:
    what its ledger holds from earlier attempts)."""
    return Creations(provider, request_id, execution, resources)


def waiting_state(**overrides: Any) -> dict[str, Any]:
    """The state of a SageMaker create waiting for its endpoint (started two minutes ago)."""
    now = clock.now()
    body: dict[str, Any] = {
        "requestId": REQUEST_ID,
        "action": "create",
        "endpointType": "sagemaker",
        "params": {"EndpointName": ENDPOINT_NAME, "EndpointConfigName": "cfg"},
        "options": {
            "pollIntervalSeconds": 30,
            "timeoutSeconds": 3600,
            "rollback": True,
            "adaptive": True,
            "events": True,
            "eventFallbackSeconds": 900,
        },
        "executionArn": EXECUTION,
        "startedAt": clock.iso(now - 120),
        "deadline": now + 3600,
        "endpointId": ENDPOINT_NAME,
        "created": [{"kind": "endpoint", "id": ENDPOINT_NAME}],
        "wait": 900,
    }
    return body | overrides


def state_change_event(
    status: str = "IN_SERVICE", name: str = ENDPOINT_NAME, owner: str | None = REQUEST_ID
) -> dict[str, Any]:
    """A ``SageMaker Endpoint State Change`` event of an endpoint the controller tagged."""
    tags = {MANAGED_TAG: "ml-endpoint-controller"} | ({OWNER_TAG: owner} if owner else {})
    return {
        "version": "0",
        "id": "e-1",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Endpoint State Change",
        "resources": [f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}"],
        "detail": {"EndpointName": name, "EndpointStatus": status, "Tags": tags},
    }


@pytest.fixture
def sagemaker_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto SageMaker with one endpoint (tests set its status); task tokens are parked in this
    process, and resumes are recorded (``resumed``) and answered with ``answer["ok"]``; whether the
    waiting task still waits is asked (``probed``) and answered with ``answer["waiting"]``."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REQUESTS_TABLE", raising=False)
    resumed: list[tuple[str, dict[str, Any]]] = []
    probed: list[str] = []
    answer = {"ok": True, "waiting": True}

    def resume(token: str, output: dict[str, Any]) -> bool:
        resumed.append((token, output))
        return answer["ok"]

    def waits(token: str) -> bool:  # SendTaskHeartbeat: False once the execution was stopped
        probed.append(token)
        return answer["waiting"]

    monkeypatch.setattr(task_tokens, "resume", resume)
    monkeypatch.setattr(task_tokens, "waits", waits)
    with mock_aws():
        aws.reset()
        client = boto3.client("sagemaker", region_name="us-east-1")
        client.create_model(
            ModelName="m",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
            PrimaryContainer={"Image": "m:latest"},
        )
        variant = {
            "VariantName": "v",
            "ModelName": "m",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        }
        client.create_endpoint_config(EndpointConfigName="cfg", ProductionVariants=[variant])
        client.create_endpoint(EndpointName=ENDPOINT_NAME, EndpointConfigName="cfg")
        endpoint = sagemaker_backends["123456789012"]["us-east-1"].endpoints[ENDPOINT_NAME]
        yield {"endpoint": endpoint, "resumed": resumed, "answer": answer, "probed": probed}
    aws.reset()


def invoke(payload: dict[str, Any]) -> Any:
    """The deployed entry point: the handler (Powertools around it), as the rule and state machine
    call it."""
    from endpointctl.runner.invoke import LambdaContext

    return handlers.handler(payload, LambdaContext(function_name="SageMakerFunction"))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _empty_requests_store() -> Iterator[None]:
    """Without a table the steps use the in-memory requests store: each test starts it empty."""
    store.memory.clear()
    yield
    store.memory.clear()
