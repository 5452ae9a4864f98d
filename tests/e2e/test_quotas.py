"""Within the account's limits: the instance-quota check before anything is created, the service's
own refusal when the room was taken since, the check switched off, and throttling retried.

Each request runs through the synthesized state machines in a simulated world whose Service Quotas
serves the scenario's ``sagemaker.quotas`` and whose SageMaker refuses instances beyond them
(``ResourceLimitExceeded``), as the real one does.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow

G5 = "ml.g5.xlarge"
CREATES = ("sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint")


def variant(count: int, kind: str = G5, name: str = "AllTraffic") -> dict[str, Any]:
    return {"VariantName": name, "ModelName": "m", "InstanceType": kind, "InitialInstanceCount": count}


def create(name: str, count: int, *, kind: str = G5, request_id: str | None = None) -> dict[str, Any]:
    config = f"{name}-v1"
    return {
        "endpointType": "sagemaker",
        "requestId": request_id or f"create-{name}",
        "params": {
            "EndpointName": name,
            "EndpointConfigName": config,
            "EndpointConfig": {"EndpointConfigName": config, "ProductionVariants": [variant(count, kind)]},
        },
    }


def update(name: str, count: int, deployment: dict[str, Any] | None = None) -> dict[str, Any]:
    config = f"{name}-v2"
    params: dict[str, Any] = {
        "EndpointName": name,
        "EndpointConfigName": config,
        "EndpointConfig": {"EndpointConfigName": config, "ProductionVariants": [variant(count)]},
    }
    if deployment is not None:
        params["DeploymentConfig"] = deployment
    return {"endpointType": "sagemaker", "action": "update", "requestId": f"update-{name}", "params": params}


ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
}


def made_calls(result: dict[str, Any]) -> list[str]:
    return [call for call in result["calls"] if call.startswith(CREATES)]


def test_a_create_beyond_the_quota_is_refused_with_nothing_created(local_run: Runner) -> None:
    [result] = local_run([create("big", 3)], {"sagemaker": {"quotas": {G5: 2}}})
    assert result["status"] == "FAILED" and result["error"] == "QuotaExceeded"
    detail = one_notification(result)
    message = detail["error"]["message"]
    assert f"'{G5} for endpoint usage'" in message and "is 2" in message and "needs 3" in message
    assert "rollback" not in detail  # nothing was created: nothing to roll back
    assert made_calls(result) == []
    assert result["remaining"]["sagemaker"]["endpoints"] == []


def test_usage_counts_what_the_account_s_endpoints_hold(local_run: Runner) -> None:
    first, second = local_run([create("a", 2), create("b", 2)], {"sagemaker": {"quotas": {G5: 3}}})
    assert first["status"] == "SUCCEEDED"
    assert second["error"] == "QuotaExceeded"
    assert "2 in use" in one_notification(second)["error"]["message"]
    assert made_calls(second) == []


def test_an_update_that_fits_the_fleet_but_not_blue_green_s_peak_is_refused_and_rolling_goes_on(
    local_run: Runner,
) -> None:
    scenario = {"sagemaker": {"quotas": {G5: 3}}}
    made, blue_green = local_run([create("churn", 2), update("churn", 2)], scenario)
    assert made["status"] == "SUCCEEDED"
    assert blue_green["error"] == "QuotaExceeded"
    message = one_notification(blue_green)["error"]["message"]
    assert "blue/green" in message and "2 in use" in message and "4 > 3" in message
    assert made_calls(blue_green) == []  # no config made, no UpdateEndpoint sent
    made, rolling = local_run([create("churn", 2), update("churn", 2, ROLLING)], scenario)
    assert rolling["status"] == "SUCCEEDED", rolling.get("cause")
    assert "sagemaker:UpdateEndpoint" in rolling["calls"]


def test_room_taken_between_the_check_and_the_create_ends_quota_exceeded_rolled_back(
    local_run: Runner,
) -> None:
    # SageMaker refuses the create itself, as it does when another team took the room since.
    scenario = {
        "sagemaker": {
            "faults": [{"operation": "CreateEndpoint", "error": "ResourceLimitExceeded", "count": 1}]
        }
    }
    [result] = local_run([create("raced", 1)], scenario)
    assert result["error"] == "QuotaExceeded"
    detail = one_notification(result)
    assert detail["rollback"]["succeeded"] is True
    assert detail["rollback"]["deleted"] == ["endpoint-config raced-v1"]
    assert result["remaining"]["sagemaker"]["endpoints"] == []
    assert "raced-v1" not in result["remaining"]["sagemaker"]["endpointConfigs"]


def test_two_creates_racing_for_the_last_room_one_wins_and_nothing_of_the_other_remains(
    local_run: Runner,
) -> None:
    results = local_run(
        [create("left", 2), create("right", 2)], {"sagemaker": {"quotas": {G5: 3}}}, parallel=True
    )
    assert sorted(r["status"] for r in results) == ["FAILED", "SUCCEEDED"]
    [lost] = [r for r in results if r["status"] == "FAILED"]
    assert lost["error"] == "QuotaExceeded"
    [kept] = results[0]["remaining"]["sagemaker"]["endpoints"]
    assert kept in ("left", "right")
    assert [
        c for c in results[0]["remaining"]["sagemaker"]["endpointConfigs"] if c.startswith(("left", "right"))
    ] == [f"{kept}-v1"]


def test_switched_off_the_check_calls_nothing_and_the_service_s_refusal_still_ends_quota_exceeded(
    custom_template: dict[str, Any],
) -> None:
    from endpointctl.runner import run_requests

    # The CUSTOM context deploys with quotaCheck: false (tests/infra/contexts.py).
    _, [result] = run_requests(custom_template, [create("off", 3)], {"sagemaker": {"quotas": {G5: 2}}})
    assert not [c for c in result["calls"] if c.startswith("service-quotas:")]
    assert result["error"] == "QuotaExceeded"
    detail = one_notification(result)
    assert (
        "ResourceLimitExceeded" in detail["error"]["message"]
        or "account-level service limit" in detail["error"]["message"]
    )
    assert detail["rollback"]["succeeded"] is True
    assert result["remaining"]["sagemaker"]["endpoints"] == []


def test_throttling_above_the_rate_is_retried_to_success(template: dict[str, Any]) -> None:
    from endpointctl.runner import run_requests

    # A create's step looks at the endpoint, then (quota check) at each endpoint of the account: at
    # three looks a virtual second, four creates at once are throttled, and a retry keeps what the
    # throttled look had learned (controller/providers/sagemaker/held.py), so each gets through.
    scenario = {"sagemaker": {"quotas": {G5: 10}, "rateLimits": {"DescribeEndpoint": 3, "CreateEndpoint": 1}}}
    runs, results = run_requests(template, [create(f"t{i}", 1) for i in range(4)], scenario, parallel=True)
    assert [r["status"] for r in results] == ["SUCCEEDED"] * 4, [r.get("cause") for r in results]
    assert sorted(results[0]["remaining"]["sagemaker"]["endpoints"]) == ["t0", "t1", "t2", "t3"]
    throttled = {f["call"] for run in runs for f in run.failed_calls if f["error"] == "ThrottlingException"}
    assert throttled == {"sagemaker:DescribeEndpoint", "sagemaker:CreateEndpoint"}
