"""SageMaker readiness from its state-change events: the synthesized task-token wait, resumed by
the synthesized EventBridge rule → function, with the timeout fallback for lost or late events.

The simulated SageMaker publishes ``SageMaker Endpoint State Change`` events on the virtual clock
(``emitEvents``, default true); the runner delivers them to whatever the template's default-bus
rules match. ``eventDelaySeconds`` and ``duplicateEvents`` are test-only scenario keys.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import one_notification
from tests.e2e.test_sagemaker import owned_config_request, request, sagemaker_left

pytestmark = pytest.mark.slow

FALLBACK = 900  # infra/polling.py EVENT_FALLBACK_SECONDS


def latency(result: dict[str, Any]) -> float:
    return float(result["virtualSeconds"]) - float(result["readyAfterSeconds"])


def test_ready_the_moment_the_event_arrives(local_run: Runner) -> None:
    [result] = local_run([request()], {"sagemaker": {"createSeconds": 300}})
    assert result["status"] == "SUCCEEDED"
    detail = one_notification(result)
    assert detail["status"] == "READY" and detail["providerStatus"] == "InService"
    assert result["output"] == detail
    assert latency(result) == 0
    # validate, action?, create, by event?, await, ready?, publish event, publish to the topic
    assert result["stateTransitions"] == 8
    # validate, create, await (parks the token, looks once), the event's handler
    assert result["lambdaInvocations"] == 4
    assert [c for c in result["calls"] if not c.startswith("service-quotas:")] == [
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListEndpoints",  # the instances in use, for the quota check
        "sagemaker:CreateEndpoint",
        "sagemaker:DescribeEndpoint",  # await's own look: still Creating
        "sagemaker:DescribeEndpoint",  # the event's handler confirms InService
    ]
    assert sagemaker_left(result) == {"endpoints": ["churn-prod"], "endpointConfigs": ["churn-config-v3"]}


@pytest.mark.parametrize("minutes", [2, 10, 30, 60])
def test_at_most_twelve_transitions_and_five_seconds_whatever_the_creation_time(
    local_run: Runner, minutes: int
) -> None:
    options = {"timeoutSeconds": 2 * 3600}  # the deadline well after the creation: looks only
    [result] = local_run([request(options=options)], {"sagemaker": {"createSeconds": minutes * 60}})
    assert result["status"] == "SUCCEEDED"
    assert result["stateTransitions"] <= 12 and latency(result) <= 5
    # each 15-min fallback look (a timeout, then a retry 1 s later) is one transition, one describe
    looks = math.ceil(minutes * 60 / (FALLBACK + 1)) - 1
    assert result["stateTransitions"] == 8 + looks
    assert result["calls"].count("sagemaker:DescribeEndpoint") == 3 + looks


def test_a_fallback_that_would_outlive_the_deadline_is_cut_to_it(local_run: Runner) -> None:
    # 60 minutes of creation with the default 60-minute timeout: the third fallback look would wait
    # 15 minutes past the deadline, so that attempt resumes itself with a wait cut to the deadline
    # (two more transitions: EndpointReady? and AwaitEndpoint again); the event still ends it.
    [result] = local_run([request()], {"sagemaker": {"createSeconds": 3600}})
    assert result["status"] == "SUCCEEDED" and latency(result) <= 5
    assert result["stateTransitions"] == 8 + 3 + 2


def test_without_events_the_fallback_look_finishes_the_lifecycle(local_run: Runner) -> None:
    [result] = local_run([request()], {"sagemaker": {"createSeconds": 300, "emitEvents": False}})
    assert result["status"] == "SUCCEEDED"
    assert one_notification(result)["status"] == "READY"
    assert result["readyAfterSeconds"] == 300
    assert FALLBACK <= result["virtualSeconds"] <= FALLBACK + 5  # the first fallback look saw it
    assert result["stateTransitions"] == 9 and result["lambdaInvocations"] == 4


def test_without_events_the_deadline_cuts_the_fallback_short(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 300, "emitEvents": False}}
    [result] = local_run([request(options={"timeoutSeconds": 400})], scenario)
    assert result["status"] == "SUCCEEDED"  # looked at the deadline, found it ready
    assert 400 <= result["virtualSeconds"] <= 405


def test_a_late_event_is_overtaken_by_the_fallback_and_then_ignored(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 300, "eventDelaySeconds": 1200}}
    [result] = local_run([request()], scenario)
    assert result["status"] == "SUCCEEDED"
    one_notification(result)  # the late event does not notify again
    assert FALLBACK <= result["virtualSeconds"] <= FALLBACK + 5


def test_duplicated_events_resume_once(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 300, "duplicateEvents": True}}
    [result] = local_run([request()], scenario)
    assert result["status"] == "SUCCEEDED"
    one_notification(result)
    assert latency(result) == 0
    # the duplicate finds no parked token: no describe, no second resume
    assert result["calls"].count("sagemaker:DescribeEndpoint") == 3
    assert result["stateTransitions"] == 8


def test_a_failed_event_rolls_back(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 600, "outcome": "Failed", "failureReason": "ping failed"}}
    [result] = local_run([owned_config_request()], scenario)
    assert result["status"] == "FAILED" and result["error"] == "EndpointCreationFailed"
    detail = one_notification(result)
    assert "ping failed" in detail["error"]["message"]
    assert detail["rollback"]["attempted"] and detail["rollback"]["succeeded"]
    assert detail["rollback"]["deleted"] == ["endpoint fraud-canary", "endpoint-config fraud-config-v1"]
    assert result["readyAfterSeconds"] == 600
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": []}


def test_timeout_while_waiting_for_the_event_rolls_back(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 3000}}
    [result] = local_run([request(options={"timeoutSeconds": 1200})], scenario)
    assert result["status"] == "FAILED" and result["error"] == "EndpointTimeout"
    detail = one_notification(result)
    assert detail["rollback"] == {"attempted": True, "succeeded": True, "deleted": ["endpoint churn-prod"]}
    # the rollback waited for Creating to end (3000 s), then deleted it
    assert result["virtualSeconds"] >= 3000
    assert sagemaker_left(result)["endpoints"] == []


def test_events_resume_the_right_lifecycle_among_concurrent_ones(local_run: Runner) -> None:
    requests = [request(f"churn-{i}", requestId=f"req-{i}") for i in range(4)]
    results = local_run(requests, {"sagemaker": {"createSeconds": 600}}, parallel=True)
    for i, result in enumerate(results):
        assert result["status"] == "SUCCEEDED", result["cause"]
        detail = one_notification(result)
        assert detail["endpointId"] == f"churn-{i}" and detail["requestId"] == f"req-{i}"
        assert result["stateTransitions"] == 8 and latency(result) <= 5


def test_an_explicit_poll_interval_polls_instead(local_run: Runner) -> None:
    [result] = local_run(
        [request(options={"pollIntervalSeconds": 60})], {"sagemaker": {"createSeconds": 300}}
    )
    assert result["status"] == "SUCCEEDED"
    # validate, action?, create, by event?, (wait, check, ready?) x5, 2 publishes
    assert result["stateTransitions"] == 4 + 15 + 2


def test_a_failed_delivery_is_retried_like_an_async_invocation(
    local_run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controller import dispatch
    from controller.errors import TransientServiceError

    original, calls = dispatch.resume, []

    def flaky(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event["detail"]["EndpointStatus"])
        if len(calls) == 1:
            raise TransientServiceError("sagemaker: describe failed: ThrottlingException")
        return original(event)

    monkeypatch.setattr(dispatch, "resume", flaky)
    [result] = local_run([request()], {"sagemaker": {"createSeconds": 300}})
    assert result["status"] == "SUCCEEDED"
    one_notification(result)
    assert calls == ["IN_SERVICE", "IN_SERVICE"]  # Lambda retried the event a minute later
    assert latency(result) == 60
