"""The SageMaker lifecycle end to end: the synthesized state machine, run by the local runner.

Each test asserts the outcome (execution status, error code), the notifications on both the bus
and the topic, the service calls made, and what remains in the simulated SageMaker.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import OWNER_TAG, one_notification

pytestmark = pytest.mark.slow


def request(name: str = "churn-prod", config: str = "churn-config-v3", **extra: Any) -> dict[str, Any]:
    params = {"EndpointName": name, "EndpointConfigName": config, "Tags": [{"Key": "team", "Value": "ml"}]}
    params.update(extra.pop("params", {}))
    return {"endpointType": "sagemaker", "params": params, **extra}


def owned_config_request(
    name: str = "fraud-canary", config: str = "fraud-config-v1", **extra: Any
) -> dict[str, Any]:
    inline = {
        "EndpointConfigName": config,
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "fraud-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    }
    return request(name, config, params={"EndpointConfig": inline}, **extra)


def delete_request(name: str = "churn-prod", **params: Any) -> dict[str, Any]:
    return {"action": "delete", "endpointType": "sagemaker", "params": {"EndpointName": name, **params}}


def sagemaker_left(result: dict[str, Any]) -> dict[str, list[str]]:
    """The endpoints and configs left (no variant scales in these scenarios)."""
    left = dict(result["remaining"]["sagemaker"])
    assert left.pop("scalableVariants") == [] and left.pop("scalingPolicies") == []
    return left


def test_ready(local_run: Runner) -> None:
    [result] = local_run(
        [request(options={"pollIntervalSeconds": 30})], {"sagemaker": {"createSeconds": 300}}
    )
    assert result["status"] == "SUCCEEDED" and result["error"] is None
    detail = one_notification(result)
    assert result["notifications"]["events"][0]["detail-type"] == "Endpoint Ready"
    assert detail["status"] == "READY" and detail["providerStatus"] == "InService"
    assert detail["endpointId"] == "churn-prod"
    assert detail["endpointArn"].endswith(":endpoint/churn-prod")
    assert detail["endpointUrl"].startswith("https://runtime.sagemaker.")
    assert "error" not in detail and "rollback" not in detail
    assert result["output"] == detail
    # (Service Quotas' lists come before the create too: tests/e2e/test_quotas.py)
    assert [c for c in result["calls"] if not c.startswith("service-quotas:")][:4] == [
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListEndpoints",  # the instances in use, for the quota check
        "sagemaker:CreateEndpoint",
    ]
    assert result["calls"].count("sagemaker:CreateEndpoint") == 1
    assert "sagemaker:CreateEndpointConfig" not in result["calls"]
    assert result["readyAfterSeconds"] == 300
    assert 300 <= result["virtualSeconds"] <= 330
    # validate, create, 10 checks (the last one, seeing it ready, also writes the outcome)
    assert result["lambdaInvocations"] == 12
    assert result["stateTransitions"] > result["lambdaInvocations"]
    assert sagemaker_left(result) == {"endpoints": ["churn-prod"], "endpointConfigs": ["churn-config-v3"]}
    assert result["remaining"]["aml"] == {"realtimeEndpoints": []}


def test_failed_endpoint_is_rolled_back_with_the_config_it_created(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 120, "outcome": "Failed", "failureReason": "ping failed"}}
    [result] = local_run([owned_config_request()], scenario)
    assert result["status"] == "FAILED" and result["error"] == "EndpointCreationFailed"
    detail = one_notification(result)
    assert detail["status"] == "FAILED"
    assert detail["error"]["code"] == "EndpointCreationFailed" and "ping failed" in detail["error"]["message"]
    assert detail["rollback"] == {
        "attempted": True,
        "succeeded": True,
        "deleted": ["endpoint fraud-canary", "endpoint-config fraud-config-v1"],
    }
    calls = result["calls"]
    assert calls.index("sagemaker:CreateEndpointConfig") < calls.index("sagemaker:CreateEndpoint")
    assert calls.index("sagemaker:DeleteEndpoint") < calls.index("sagemaker:DeleteEndpointConfig")
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": []}
    assert json.loads(result["cause"])["code"] == "EndpointCreationFailed"


def test_failed_endpoint_keeps_a_config_it_did_not_create(local_run: Runner) -> None:
    [result] = local_run([request()], {"sagemaker": {"outcome": "Failed"}})
    assert result["error"] == "EndpointCreationFailed"
    assert one_notification(result)["rollback"]["deleted"] == ["endpoint churn-prod"]
    assert "sagemaker:DeleteEndpointConfig" not in result["calls"]
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": ["churn-config-v3"]}


def test_timeout_rolls_back_once_creating_ends(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 1500, "deleteSeconds": 60}}
    [result] = local_run([request(options={"timeoutSeconds": 600, "pollIntervalSeconds": 60})], scenario)
    assert result["status"] == "FAILED" and result["error"] == "EndpointTimeout"
    detail = one_notification(result)
    assert detail["error"]["code"] == "EndpointTimeout"
    assert detail["rollback"] == {"attempted": True, "succeeded": True, "deleted": ["endpoint churn-prod"]}
    # Never asked to delete while Creating: the one DeleteEndpoint comes after creation ended.
    assert result["calls"].count("sagemaker:DeleteEndpoint") == 1
    assert 1500 + 60 <= result["virtualSeconds"] <= 1500 + 60 + 120
    assert sagemaker_left(result)["endpoints"] == []


def test_rollback_that_cannot_finish_is_rollback_failed(local_run: Runner) -> None:
    scenario = {"sagemaker": {"outcome": "Failed", "createSeconds": 60, "deleteOutcome": "Failed"}}
    [result] = local_run([owned_config_request()], scenario)
    assert result["status"] == "FAILED" and result["error"] == "RollbackFailed"
    detail = one_notification(result)
    assert detail["error"]["code"] == "RollbackFailed"
    assert detail["rollback"]["attempted"] is True and detail["rollback"]["succeeded"] is False
    assert detail["rollback"]["remaining"] == ["endpoint fraud-canary", "endpoint-config fraud-config-v1"]
    assert "fraud-canary" in detail["error"]["message"]
    assert sagemaker_left(result)["endpoints"] == ["fraud-canary"]


def test_rollback_false_leaves_what_was_created(local_run: Runner) -> None:
    [result] = local_run(
        [owned_config_request(options={"rollback": False})], {"sagemaker": {"outcome": "Failed"}}
    )
    assert result["error"] == "EndpointCreationFailed"
    rollback = one_notification(result)["rollback"]
    assert rollback["attempted"] is False
    assert not any(call.startswith("sagemaker:Delete") for call in result["calls"])
    assert sagemaker_left(result) == {"endpoints": ["fraud-canary"], "endpointConfigs": ["fraud-config-v1"]}


def test_pre_existing_endpoint_is_never_touched(local_run: Runner) -> None:
    scenario = {"sagemaker": {"existing": {"endpoints": ["churn-prod"]}}}
    [result] = local_run([request()], scenario)
    assert result["status"] == "FAILED" and result["error"] == "EndpointAlreadyExists"
    detail = one_notification(result)
    assert detail["error"]["code"] == "EndpointAlreadyExists" and "rollback" not in detail
    assert not any(c in result["calls"] for c in ("sagemaker:CreateEndpoint", "sagemaker:DeleteEndpoint"))
    assert "churn-prod" in sagemaker_left(result)["endpoints"]


def test_pre_existing_config_named_inline_is_not_taken_over(local_run: Runner) -> None:
    scenario = {"sagemaker": {"existing": {"endpointConfigs": ["fraud-config-v1"]}}}
    [result] = local_run([owned_config_request()], scenario)
    assert result["error"] == "EndpointAlreadyExists"
    assert not any(c.startswith(("sagemaker:Create", "sagemaker:Delete")) for c in result["calls"])
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": ["fraud-config-v1"]}


def test_missing_config_is_prerequisite_not_found(local_run: Runner) -> None:
    [result] = local_run([request()], {"sagemaker": {"missingPrerequisites": True}})
    assert result["error"] == "PrerequisiteNotFound"
    assert one_notification(result)["error"]["code"] == "PrerequisiteNotFound"
    assert result["calls"] == [
        "sagemaker:DescribeEndpoint",  # create: the name claimed, does it exist already?
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:DescribeEndpoint",  # the rollback: did the claimed name come to exist? (no)
    ]
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": []}


@pytest.mark.parametrize(
    "fault",
    [
        {"operation": "CreateEndpoint", "error": "ThrottlingException", "count": 3},
        {"operation": "CreateEndpoint", "error": "InternalFailure", "count": 2},
        {"operation": "CreateEndpoint", "error": "ServiceUnavailable", "count": 1},
        {
            "operation": "CreateEndpoint",
            "error": "ValidationException",
            "count": 2,
            "message": "Could not find endpoint configuration churn-config-v3",
        },
        {"operation": "DescribeEndpoint", "error": "ThrottlingException", "count": 4},
        {"operation": "DescribeEndpointConfig", "error": "InternalFailure", "count": 1},
    ],
    ids=["throttled", "5xx", "503", "eventual-consistency", "describe-throttled", "describe-config-5xx"],
)
def test_transient_errors_are_retried(local_run: Runner, fault: dict[str, Any]) -> None:
    [result] = local_run([request()], {"sagemaker": {"createSeconds": 120, "faults": [fault]}})
    assert result["status"] == "SUCCEEDED", result["cause"]
    assert one_notification(result)["status"] == "READY"
    assert result["calls"].count(f"sagemaker:{fault['operation']}") >= fault["count"] + 1
    assert result["calls"].count("sagemaker:CreateEndpoint") == (
        fault["count"] + 1 if fault["operation"] == "CreateEndpoint" else 1
    )
    assert sagemaker_left(result)["endpoints"] == ["churn-prod"]


def test_retries_are_bounded_and_end_as_provider_error(local_run: Runner) -> None:
    fault = {"operation": "CreateEndpoint", "error": "ThrottlingException", "count": 50}
    [result] = local_run([request()], {"sagemaker": {"faults": [fault]}})
    assert result["error"] == "ProviderError"
    assert "ThrottlingException" in one_notification(result)["error"]["message"]
    # first attempt + the throttling retrier's MaxAttempts (12; a 5xx gets 6)
    assert result["calls"].count("sagemaker:CreateEndpoint") == 1 + 12
    assert sagemaker_left(result)["endpoints"] == []


@pytest.mark.parametrize("error", ["ResourceLimitExceeded", "AccessDeniedException", "ValidationException"])
def test_errors_no_retry_cures_fail_fast_and_roll_back(local_run: Runner, error: str) -> None:
    fault = {"operation": "CreateEndpoint", "error": error, "count": 1}
    [result] = local_run([owned_config_request()], {"sagemaker": {"faults": [fault]}})
    # the account's limits have their own code; the others are the service's errors
    assert result["error"] == ("QuotaExceeded" if error == "ResourceLimitExceeded" else "ProviderError")
    detail = one_notification(result)
    assert error in detail["error"]["message"]
    assert result["calls"].count("sagemaker:CreateEndpoint") == 1
    assert detail["rollback"]["deleted"] == ["endpoint-config fraud-config-v1"]
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": []}


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        (request(name="-bad"), ["params.EndpointName"]),
        (request(params={"Tags": [{"Key": "", "Value": "x"}]}), ["params.Tags[0].Key"]),
        (request(options={"timeoutSeconds": 0}), ["options.timeoutSeconds"]),
        ({"endpointType": "sagemaker"}, ["params"]),
        ({"endpointType": "nope", "params": {}}, ["endpointType"]),
        ("not an object", ["request"]),
        (request(name="x" * 64, config="-"), ["params.EndpointName", "params.EndpointConfigName"]),
    ],
    ids=["name-pattern", "tag-key", "timeout", "no-params", "unknown-type", "not-object", "two-fields"],
)
def test_invalid_requests_touch_nothing(local_run: Runner, document: Any, fields: list[str]) -> None:
    [result] = local_run([document])
    assert result["status"] == "FAILED" and result["error"] == "InvalidRequest"
    assert result["calls"] == []
    detail = one_notification(result)
    assert detail["error"]["code"] == "InvalidRequest"
    assert set(fields) <= set(detail["error"]["fields"])
    cause = json.loads(result["cause"])
    assert all(field in cause["message"] for field in fields)
    assert sagemaker_left(result)["endpoints"] == []
    # validate, reject; a request of no deployed type goes to the refusals' reject alone
    assert result["lambdaInvocations"] == (1 if "endpointType" in fields or fields == ["request"] else 2)


def test_event_envelope_is_accepted_and_its_id_is_the_request_id(local_run: Runner) -> None:
    event = {
        "version": "0",
        "id": "evt-123",
        "detail-type": "Endpoint Request",
        "source": "test",
        "account": "123456789012",
        "time": "2026-11-22T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": request(),
    }
    [result] = local_run([event], {"sagemaker": {"createSeconds": 60}})
    assert result["status"] == "SUCCEEDED"
    assert one_notification(result)["requestId"] == "evt-123"


def test_delete_existing_endpoint_and_its_config(local_run: Runner) -> None:
    # The controller created both (an inline config), so a delete may remove both.
    results = local_run(
        [
            owned_config_request("churn-prod", "churn-config-v3", requestId="r-1"),
            delete_request(DeleteEndpointConfig=True),
        ],
        {"sagemaker": {"createSeconds": 60, "deleteSeconds": 90}},
    )
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"]
    deleted = results[1]
    detail = one_notification(deleted)
    assert deleted["notifications"]["events"][0]["detail-type"] == "Endpoint Deleted"
    assert detail["status"] == "DELETED" and detail["alreadyAbsent"] is False
    assert deleted["calls"].count("sagemaker:DeleteEndpoint") == 1
    assert deleted["calls"].count("sagemaker:DeleteEndpointConfig") == 1
    assert deleted["virtualSeconds"] >= 90
    assert sagemaker_left(deleted) == {"endpoints": [], "endpointConfigs": []}
    assert sagemaker_left(results[0])["endpoints"] == ["churn-prod"]


def test_delete_of_an_absent_endpoint_succeeds(local_run: Runner) -> None:
    [result] = local_run([delete_request("ghost")])
    assert result["status"] == "SUCCEEDED"
    detail = one_notification(result)
    assert detail["status"] == "DELETED" and detail["alreadyAbsent"] is True
    assert not any(c.startswith("sagemaker:Delete") for c in result["calls"])


def test_delete_of_someone_elses_endpoint_is_refused_and_touches_nothing(local_run: Runner) -> None:
    # Real IAM would refuse it anyway (DeleteOnlyEndpointsTheControllerCreated needs the tag); the
    # controller refuses first, with the contract's code, and calls no Delete.
    scenario = {"sagemaker": {"existing": {"endpoints": ["legacy"], "endpointConfigs": ["shared"]}}}
    [result] = local_run([delete_request("legacy", DeleteEndpointConfig=True)], scenario)
    assert (result["status"], result["error"]) == ("FAILED", "EndpointNotOwned")
    detail = one_notification(result)
    assert (
        detail["error"]["code"] == "EndpointNotOwned"
        and "allowUnmanagedDeletes" in detail["error"]["message"]
    )
    assert not any(":Delete" in call for call in result["calls"])
    assert sagemaker_left(result) == {"endpoints": ["legacy"], "endpointConfigs": ["shared"]}


def test_delete_keeps_a_config_the_controller_did_not_create(local_run: Runner) -> None:
    _created, deleted = local_run(
        [request(requestId="r-2"), delete_request(DeleteEndpointConfig=True)],
        {"sagemaker": {"createSeconds": 60}},
    )
    assert deleted["status"] == "SUCCEEDED"
    detail = one_notification(deleted)
    assert detail["kept"] == ["endpoint-config churn-config-v3 (not created by this controller)"]
    assert deleted["calls"].count("sagemaker:DeleteEndpoint") == 1
    assert "sagemaker:DeleteEndpointConfig" not in deleted["calls"]
    assert sagemaker_left(deleted) == {"endpoints": [], "endpointConfigs": ["churn-config-v3"]}


def test_same_request_twice_creates_one_endpoint_and_one_notification(local_run: Runner) -> None:
    first, second = local_run(
        [request(requestId="same"), request(requestId="same")], {"sagemaker": {"createSeconds": 60}}
    )
    assert first["status"] == second["status"] == "SUCCEEDED"
    assert first["calls"].count("sagemaker:CreateEndpoint") == 1
    assert second["calls"] == []  # a repeat acts on nothing
    assert second["notifications"] == {"events": [], "sns": []}
    assert second["output"] == one_notification(first)  # it reports the first request's outcome
    assert sagemaker_left(second)["endpoints"] == ["churn-prod"]


def test_a_repeat_of_a_failed_request_does_not_try_again(local_run: Runner) -> None:
    first, second = local_run(
        [request(requestId="once"), request(requestId="once")], {"sagemaker": {"outcome": "Failed"}}
    )
    assert first["error"] == second["error"] == "EndpointCreationFailed"
    assert second["cause"] == first["cause"]
    assert second["calls"] == [] and second["notifications"]["events"] == []
    assert sagemaker_left(second)["endpoints"] == []


def test_duplicates_delivered_at_once_create_one_endpoint(local_run: Runner) -> None:
    results = local_run([request(requestId="evt-1")] * 4, {"sagemaker": {"createSeconds": 90}}, parallel=True)
    assert [r["status"] for r in results] == ["SUCCEEDED"] * 4
    assert sum(r["calls"].count("sagemaker:CreateEndpoint") for r in results) == 1
    assert sum(len(r["notifications"]["events"]) for r in results) == 1
    assert sum(len(r["notifications"]["sns"]) for r in results) == 1
    assert len({json.dumps(r["output"], sort_keys=True) for r in results}) == 1
    assert sagemaker_left(results[0])["endpoints"] == ["churn-prod"]


def test_another_request_for_the_same_name_is_refused(local_run: Runner) -> None:
    first, second = local_run(
        [request(requestId="a"), request(requestId="b")], {"sagemaker": {"createSeconds": 60}}
    )
    assert first["status"] == "SUCCEEDED"
    assert second["error"] == "EndpointAlreadyExists"
    assert sagemaker_left(second)["endpoints"] == ["churn-prod"]


def test_rollback_refused_by_the_service_is_rollback_failed(local_run: Runner) -> None:
    fault = {"operation": "DeleteEndpoint", "error": "AccessDeniedException", "count": 1}
    [result] = local_run([owned_config_request()], {"sagemaker": {"outcome": "Failed", "faults": [fault]}})
    assert result["error"] == "RollbackFailed"
    detail = one_notification(result)
    assert detail["rollback"]["succeeded"] is False
    assert detail["rollback"]["remaining"] == ["endpoint fraud-canary", "endpoint-config fraud-config-v1"]
    assert "AccessDeniedException" in detail["error"]["message"]
    assert sagemaker_left(result) == {"endpoints": ["fraud-canary"], "endpointConfigs": ["fraud-config-v1"]}


def test_missing_model_of_an_inline_config_is_prerequisite_not_found(local_run: Runner) -> None:
    [result] = local_run([owned_config_request()], {"sagemaker": {"missingPrerequisites": True}})
    assert result["error"] == "PrerequisiteNotFound"
    assert "fraud-model" in one_notification(result)["error"]["message"]
    assert sagemaker_left(result) == {"endpoints": [], "endpointConfigs": []}


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"deleteOutcome": "Failed"}, "deleting endpoint legacy failed"),
        (
            {"faults": [{"operation": "DeleteEndpoint", "error": "AccessDeniedException", "count": 1}]},
            "AccessDenied",
        ),
    ],
    ids=["delete-failed", "access-denied"],
)
def test_delete_that_cannot_finish_is_a_provider_error(
    local_run: Runner, scenario: dict[str, Any], message: str
) -> None:
    ours = {"EndpointName": "legacy", "Tags": [{"Key": OWNER_TAG, "Value": "earlier"}]}
    scenario = {"sagemaker": {"existing": {"endpoints": [ours]}, **scenario}}
    [result] = local_run([delete_request("legacy")], scenario)
    assert result["status"] == "FAILED" and result["error"] == "ProviderError"
    detail = one_notification(result)
    assert detail["status"] == "FAILED" and message in detail["error"]["message"]
    assert sagemaker_left(result)["endpoints"] == ["legacy"]


def test_each_retry_is_a_billed_transition_and_an_invocation(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 60}}
    throttled = {
        "sagemaker": {
            "createSeconds": 60,
            "faults": [{"operation": "CreateEndpoint", "error": "ThrottlingException", "count": 2}],
        }
    }
    fixed = {"options": {"pollIntervalSeconds": 30}}  # the fixed 30-s loop, for exact counts
    [clean] = local_run([request(**fixed)], scenario)
    [retried] = local_run([request(**fixed)], throttled)
    # validate, action?, create, by event?, (wait, check, ready?) x2, 2 publishes
    assert clean["stateTransitions"] == 12 and clean["lambdaInvocations"] == 4
    assert retried["stateTransitions"] == clean["stateTransitions"] + 2
    assert retried["lambdaInvocations"] == clean["lambdaInvocations"] + 2


def test_waiting_for_the_event_costs_a_fraction_of_the_fixed_loop(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 1800}}
    [by_event] = local_run([request()], scenario)
    [fixed] = local_run([request(options={"pollIntervalSeconds": 30})], scenario)
    assert by_event["status"] == fixed["status"] == "SUCCEEDED"
    # The fixed loop costs three transitions a look (Wait, Check, Choice); waiting for the event
    # costs one transition, plus one per 15-min fallback look.
    assert by_event["stateTransitions"] <= 12 < fixed["stateTransitions"] // 10
    assert by_event["calls"].count("sagemaker:DescribeEndpoint") <= 5
    # ... and notices readiness at once.
    assert by_event["virtualSeconds"] - by_event["readyAfterSeconds"] <= 5
