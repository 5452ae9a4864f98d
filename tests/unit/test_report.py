"""``endpointctl local run`` without ``--json`` (issue 15, item 7): output a person enjoys reading.

Aligned columns, plurals, rounded times, failed and retried calls shown, the error said once, an
array's indices. The runs here are made by hand; tests/e2e/test_cli.py reads real ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from endpointctl.report import duration, left, plural, published, render, said, timeline
from endpointctl.runner.results import Run

ARN = "arn:aws:states:us-east-1:123456789012:execution:SageMakerLifecycle:local-1-abc"
REQUEST = {"endpointType": "sagemaker", "params": {"EndpointName": "churn-prod", "EndpointConfigName": "c"}}


def step(step: str, at: float, **state: Any) -> dict[str, Any]:
    return {"step": step, "at": 1000.0 + at, "state": state}


def result(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "SUCCEEDED",
        "error": None,
        "cause": None,
        "notifications": {"events": [], "sns": []},
        "calls": ["sagemaker:CreateEndpoint"],
        "stateTransitions": 1,
        "lambdaInvocations": 1,
        "virtualSeconds": 308.085,
        "remaining": {"sagemaker": {"endpoints": ["churn-prod"], "endpointConfigs": ["c"]}, "aml": {}},
    }
    return base | fields


def run(*progress: dict[str, Any], request: Any = REQUEST) -> Run:
    return Run(request=request, execution_arn=ARN, started_at=1000.0, progress=list(progress))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.4, "0s"), (42, "42s"), (59.6, "1m00s"), (308.085, "5m08s"), (3725, "1h02m05s")],
)
def test_times_are_rounded_to_the_second(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_counts_are_plural_only_when_more_than_one() -> None:
    assert plural(1, "service call") == "1 service call"
    assert plural(0, "service call") == "0 service calls"
    assert plural(2, "state transition") == "2 state transitions"


def test_the_summary_reads_well() -> None:
    text = render(run(step("validate", 0, requestId="r1", endpointId="churn-prod")), result())
    lines = text.splitlines()
    assert lines[0] == "● create sagemaker churn-prod  (execution local-1-abc)"
    assert "  SUCCEEDED after 5m08s: 1 state transition, 1 Lambda invocation, 1 service call" in lines
    assert "  remaining: sagemaker endpoint churn-prod; sagemaker endpoint config c" in lines
    assert "virtual seconds" not in text and "308.085" not in text


# -- issue 24: the notification said, what the request left told from what was there --------------
def ready_event(arn: str = ARN) -> dict[str, Any]:
    detail = {
        "endpointId": "churn-prod",
        "status": "READY",
        "endpointUrl": "https://runtime/endpoints/churn-prod/invocations",
        "executionArn": arn,
    }
    return {"source": "ml-endpoint-controller", "detail-type": "Endpoint Ready", "detail": detail}


def test_a_successful_run_says_the_notification_it_published_and_where() -> None:
    event = ready_event()
    sent = {"events": [event], "sns": [{"subject": "Endpoint Ready: churn-prod", "message": event["detail"]}]}
    lines = render(run(step("validate", 0, requestId="r1")), result(notifications=sent)).splitlines()
    assert (
        "  notification: Endpoint Ready for churn-prod at https://runtime/endpoints/churn-prod/invocations"
        " (bus and SNS)"
    ) in lines
    # Published on the bus alone (an SNS message missing) is said so; another execution's is not its own.
    alone = result(notifications={"events": [event, ready_event("arn:other")], "sns": []})
    assert published(run(), alone) == [
        "notification: Endpoint Ready for churn-prod at https://runtime/endpoints/churn-prod/invocations"
        " (bus only: no SNS message)"
    ]
    assert published(run(), result()) == ["notification: none from this execution"]


def test_an_update_notification_names_the_config_it_serves_now() -> None:
    detail = {
        "endpointId": "churn-prod",
        "status": "UPDATED",
        "executionArn": ARN,
        "adopted": True,
        "update": {"previous": "churn-config-v3", "requested": "churn-config-v4"},
    }
    event = {"detail-type": "Endpoint Updated", "detail": detail}
    assert published(run(), result(notifications={"events": [event], "sns": [{"message": detail}]})) == [
        "notification: Endpoint Updated for churn-prod: serves churn-config-v4, was churn-config-v3; adopted"
        " (bus and SNS)"
    ]


WORLD = {
    "sagemaker": {"endpoints": [], "endpointConfigs": ["churn-config-v3"]},
    "aml": {"realtimeEndpoints": []},
}


def world(endpoints: list[str], configs: list[str]) -> dict[str, Any]:
    return {
        "sagemaker": {"endpoints": endpoints, "endpointConfigs": configs},
        "aml": {"realtimeEndpoints": []},
    }


def test_what_the_request_left_is_told_from_what_was_there_before_it() -> None:
    made = run()
    made.before, made.after = WORLD, world(["churn-prod"], ["churn-config-v3"])
    assert left(made, result(remaining=made.after)) == [
        "left by this request: sagemaker endpoint churn-prod",
        "there before it: sagemaker endpoint config churn-config-v3",
    ]
    refused = run()  # a refused request "leaves" nothing: the config was the simulated prerequisite
    refused.before = refused.after = WORLD
    assert left(refused, result(remaining=WORLD)) == [
        "left by this request: nothing",
        "there before it: sagemaker endpoint config churn-config-v3",
    ]


def test_an_arrays_result_with_until_names_what_later_requests_made() -> None:
    first = run()  # created a, then b's request made b; --until: every result shows the world at the end
    first.before, first.after = WORLD, world(["a"], ["churn-config-v3"])
    assert left(first, result(remaining=world(["a", "b"], ["churn-config-v3"]))) == [
        "left by this request: sagemaker endpoint a",
        "there before it: sagemaker endpoint config churn-config-v3",
        "made after it, by later requests: sagemaker endpoint b",
    ]


def test_parallel_requests_left_what_they_made_together() -> None:
    together = run()
    together.before, together.together = world([], []), 3
    assert left(together, result(remaining=world(["a", "b", "c"], []))) == [
        "left by these 3 requests together: sagemaker endpoints a, b, c"
    ]


def test_steps_are_aligned_and_a_poll_loop_is_one_line() -> None:
    lines = timeline(
        run(
            step("validate", 0, requestId="r1"),
            step("create", 0, created=[{"kind": "endpoint", "id": "churn-prod"}], providerStatus="Creating"),
            *(step("check", 30 * i, providerStatus="Creating", verdict="wait") for i in range(1, 10)),
            step("check", 300, providerStatus="InService", verdict="ready"),
        )
    )
    assert lines == [
        "     +0s  validate  accepted: requestId r1",
        "     +0s  create    created endpoint churn-prod (Creating)",
        "    +30s  check     Creating (9 times, until +4m30s)",
        "  +5m00s  check     InService → ready",
    ]


def test_failed_and_retried_calls_are_shown_on_their_step() -> None:
    calls = [
        "sagemaker:DescribeEndpoint",
        *["sagemaker:DescribeEndpointConfig", "sagemaker:CreateEndpoint"] * 3,
        "sagemaker:DescribeEndpoint",
    ]
    lines = timeline(
        run(
            step("validate", 0, requestId="r1"),
            step("create", 8, created=[{"kind": "endpoint", "id": "churn-prod"}], providerStatus="Creating"),
        ),
        calls,
    )
    assert (
        lines[1]
        == "  +8s  create    created endpoint churn-prod (Creating); 2 failed CreateEndpoint calls, retried"
    )


def test_calls_that_never_succeeded_are_said_in_the_summary() -> None:
    failed = result(
        status="FAILED",
        error="ProviderError",
        cause='{"errorMessage": "{\\"message\\": \\"retries exhausted: CreateEndpoint failed: ThrottlingException\\"}"}',
        calls=["sagemaker:CreateEndpoint"] * 3,
    )
    text = render(run(step("validate", 0, requestId="r1")), failed)
    assert "  error: ProviderError: retries exhausted: CreateEndpoint failed: ThrottlingException" in text
    assert "  failed calls: 3 failed CreateEndpoint calls" in text


def test_the_error_is_said_once() -> None:
    detail = {"error": {"code": "EndpointCreationFailed", "message": "churn-prod: ping failed"}}
    failed = result(
        status="FAILED", error="EndpointCreationFailed", cause='{"code": "EndpointCreationFailed"}'
    )
    text = render(run(step("outcome", 420, detailType="Endpoint Failed", detail=detail)), failed)
    assert text.count("EndpointCreationFailed") == 1 and "{" not in text


def test_a_refusal_names_each_field_on_a_line_of_its_own() -> None:
    error = {
        "code": "InvalidRequest",
        "message": "params.EndpointConfigName: is required; params.EndpointName: must match x (got '-a; b')",
        "fields": ["params.EndpointConfigName", "params.EndpointName"],
    }
    lines = timeline(run(step("reject", 0, detailType="Endpoint Failed", detail={"error": error})))
    assert lines == [
        "  +0s  reject  Endpoint Failed: InvalidRequest",
        "                 params.EndpointConfigName: is required",
        "                 params.EndpointName: must match x (got '-a; b')",
    ]


def test_an_arrays_requests_show_their_index() -> None:
    assert render(run(), result(), 1).startswith("● [1] create sagemaker churn-prod  (execution")
    assert render(run(request=5), result(), 2).startswith("● [2] not a request: a JSON object is expected")


def test_a_notification_in_a_line() -> None:
    failed = {
        "detail-type": "Endpoint Failed",
        "detail": {
            "endpointId": "fraud-canary",
            "error": {"code": "EndpointCreationFailed", "message": "…"},
            "rollback": {"attempted": True, "succeeded": True, "deleted": ["endpoint fraud-canary"]},
        },
    }
    ready = {
        "detail-type": "Endpoint Ready",
        "detail": {"endpointId": "a", "status": "READY", "endpointUrl": "https://x"},
    }
    assert said(failed) == (
        "notification: Endpoint Failed for fraud-canary: "
        "EndpointCreationFailed; rolled back: deleted endpoint fraud-canary"
    )
    # When the progress's outcome line said the code and the rollback, the notification does not again.
    assert said(failed, told=True) == "notification: Endpoint Failed for fraud-canary"
    assert said(ready) == "notification: Endpoint Ready for a at https://x"


def test_failed_calls_are_named_by_the_error_they_got() -> None:
    """A run's failed calls name their codes: ``(ThrottlingException x2, InternalFailure)``."""
    from endpointctl.report import failed_calls

    calls = ["sagemaker:CreateEndpoint"] * 4 + ["sagemaker:DescribeEndpoint"]
    errors = [
        {"call": "sagemaker:CreateEndpoint", "error": "ThrottlingException"},
        {"call": "sagemaker:CreateEndpoint", "error": "ThrottlingException"},
        {"call": "sagemaker:CreateEndpoint", "error": "InternalFailure"},
    ]
    notes = failed_calls(run(step("validate", 0), step("create", 8)), calls, errors)
    assert notes == {
        1: "3 failed CreateEndpoint calls (ThrottlingException \u00d72, InternalFailure), retried"
    }
