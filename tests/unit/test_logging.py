"""Logs carry identifiers (execution ARN, request id), never request payloads at INFO."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from controller import handlers

SECRET = "s3cr3t-tag-value-9f2"
EXECUTION = {"Id": "arn:aws:states:us-east-1:123456789012:execution:SageMaker:run-7", "Name": "run-7"}


def invoke(payload: dict[str, Any]) -> Any:
    from endpointctl.runner.invoke import LambdaContext

    return handlers.handler(payload, LambdaContext(function_name="SageMakerFunction"))  # type: ignore[arg-type]


def request(**params: Any) -> dict[str, Any]:
    return {
        "endpointType": "sagemaker",
        "requestId": "req-logs",
        "params": {
            "EndpointName": "churn-prod",
            "EndpointConfigName": "churn-config-v3",
            "Tags": [{"Key": "owner-token", "Value": SECRET}],
            **params,
        },
    }


@pytest.fixture(autouse=True)
def _no_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_TABLE", raising=False)


def _records(caplog: pytest.LogCaptureFixture) -> str:
    """The log lines as deployed: each record through the Powertools JSON formatter."""
    formatter = handlers.logger.registered_formatter
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_an_accepted_request_logs_its_ids_not_its_params(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    state = invoke(
        {"step": "validate", "endpointType": "sagemaker", "input": request(), "execution": EXECUTION}
    )
    assert state["requestId"] == "req-logs"
    text = _records(caplog)
    assert "request accepted" in text
    assert "req-logs" in text and EXECUTION["Id"] in text
    assert SECRET not in text


def test_a_rejected_request_logs_the_broken_field_names_not_their_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bad = request(EndpointName=f"bad name {SECRET}")
    with pytest.raises(Exception, match=r"InvalidRequest|EndpointName"):
        invoke({"step": "validate", "endpointType": "sagemaker", "input": bad, "execution": EXECUTION})
    assert SECRET not in _records(caplog)
