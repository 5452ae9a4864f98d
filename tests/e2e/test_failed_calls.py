"""Which of a run's ``calls`` failed, with the error code each got (``Run.failed_calls``, beside
the contract's ``--json`` object), so the readable progress can tell a throttled attempt from a
refused one."""

from __future__ import annotations

from typing import Any

import pytest

from endpointctl.runner import run_requests

pytestmark = pytest.mark.slow


def run(template: dict[str, Any], request: dict[str, Any], scenario: dict[str, Any] | None = None) -> Any:
    """The run (its ``failed_calls``) and its ``--json`` result."""
    runs, results = run_requests(template, [request], scenario)
    return runs[0], results[0]


def test_each_failed_attempt_is_named_with_its_error(template: dict[str, Any]) -> None:
    request = {
        "endpointType": "sagemaker",
        "params": {"EndpointName": "churn", "EndpointConfigName": "churn-v1"},
        "requestId": "failed-calls-1",
    }
    faults = [
        {"operation": "CreateEndpoint", "error": "ThrottlingException", "count": 2},
        {"operation": "CreateEndpoint", "error": "InternalFailure", "count": 1},
    ]
    done, result = run(template, request, {"sagemaker": {"faults": faults}})
    assert result["status"] == "SUCCEEDED"
    assert result["calls"].count("sagemaker:CreateEndpoint") == 4
    assert "failedCalls" not in result  # the contract's object is unchanged
    assert done.failed_calls == [
        {"call": "sagemaker:CreateEndpoint", "error": "ThrottlingException"},
        {"call": "sagemaker:CreateEndpoint", "error": "ThrottlingException"},
        {"call": "sagemaker:CreateEndpoint", "error": "InternalFailure"},
    ]


def test_an_emulated_services_failed_attempts_are_named_too(template: dict[str, Any]) -> None:
    request = {"endpointType": "aml", "params": {"MLModelId": "ml-1"}, "requestId": "failed-calls-2"}
    faults = [{"operation": "CreateRealtimeEndpoint", "error": "InternalServerException", "count": 1}]
    done, result = run(template, request, {"aml": {"faults": faults}})
    assert result["status"] == "SUCCEEDED"
    assert done.failed_calls == [
        {"call": "machinelearning:CreateRealtimeEndpoint", "error": "InternalServerException"}
    ]
    clean, _ = run(template, {**request, "requestId": "failed-calls-3"})
    assert clean.failed_calls == []
