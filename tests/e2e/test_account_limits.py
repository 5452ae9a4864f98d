"""The account's limits in the simulated world, through the synthesized state machines: SageMaker's
instance quotas (``sagemaker.quotas``: a create or an update beyond them refused with
``ResourceLimitExceeded``, existing endpoints counted), Service Quotas serving them, and API rate
limits (``sagemaker.rateLimits``) that throttle calls the controller's retries then get through.

The refusals tested here are SageMaker's own, so the controller's check before it creates anything
(``tests/e2e/test_quotas.py``) is switched off where it would answer first: the deployment of
``tests.infra.contexts.CUSTOM`` (``quotaCheck: false``) runs them, and SageMaker's message is what the
notification carries (``QuotaExceeded``)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from endpointctl.report import render
from endpointctl.runner import LocalRunner, quiet_stdout, run_requests
from tests.conftest import Runner
from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow

G5 = "ml.g5.xlarge"
ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
}


def variant(count: int, kind: str = G5) -> dict[str, Any]:
    return {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "InstanceType": kind,
        "InitialInstanceCount": count,
    }


def request(
    name: str, config: str, count: int, *, action: str = "create", kind: str = G5, **params: Any
) -> dict[str, Any]:
    return {
        "endpointType": "sagemaker",
        "action": action,
        "requestId": f"{action}-{name}-{config}",
        "params": {
            "EndpointName": name,
            "EndpointConfigName": config,
            "EndpointConfig": {"EndpointConfigName": config, "ProductionVariants": [variant(count, kind)]},
            **params,
        },
    }


def limit_message(kind: str, quota: int, held: int, need: int) -> str:
    return (
        f"The account-level service limit '{kind} for endpoint usage' is {quota} Instances, with current "
        f"utilization of {held} Instances and a request delta of {need} Instances."
    )


# -- instance quotas ---------------------------------------------------------------------------------
def test_a_create_that_fits_is_created(local_run: Runner) -> None:
    [result] = local_run([request("fits", "fits-v1", 2)], {"sagemaker": {"quotas": {G5: 2}}})
    assert result["status"] == "SUCCEEDED"
    assert result["remaining"]["sagemaker"]["endpoints"] == ["fits"]


def test_a_create_beyond_the_quota_fails_with_sagemakers_message_and_leaves_nothing(
    custom_template: dict[str, Any],
) -> None:
    [run], [result] = run_requests(
        custom_template, [request("big", "big-v1", 2)], {"sagemaker": {"quotas": {G5: 1}}}
    )
    assert (result["status"], result["error"]) == ("FAILED", "QuotaExceeded")
    detail = one_notification(result)
    assert limit_message(G5, 1, 0, 2) in detail["error"]["message"]
    assert {"call": "sagemaker:CreateEndpoint", "error": "ResourceLimitExceeded"} in run.failed_calls
    assert result["remaining"]["sagemaker"]["endpoints"] == []
    assert result["remaining"]["sagemaker"]["endpointConfigs"] == []  # rolled back


def test_existing_endpoints_instances_count_as_usage(custom_template: dict[str, Any]) -> None:
    # the scenario's endpoint runs on a config the world makes for it: one ml.m5.large
    theirs = {"EndpointName": "theirs", "EndpointConfigName": "theirs-v1"}
    scenario = {"sagemaker": {"quotas": {"ml.m5.large": 2}, "existing": {"endpoints": [theirs]}}}
    _, (refused, fits) = run_requests(
        custom_template,
        [request("two", "two-v1", 2, kind="ml.m5.large"), request("one", "one-v1", 1, kind="ml.m5.large")],
        scenario,
    )
    assert refused["status"] == "FAILED"
    assert limit_message("ml.m5.large", 2, 1, 2) in one_notification(refused)["error"]["message"]
    assert fits["status"] == "SUCCEEDED"
    assert fits["remaining"]["sagemaker"]["endpoints"] == ["one", "theirs"]


def test_an_update_that_fits_the_fleet_but_not_blue_greens_peak_is_refused(
    custom_template: dict[str, Any],
) -> None:
    # two instances run; the new config has two as well: blue/green needs four at its peak, the quota is 3
    scenario = {"sagemaker": {"quotas": {G5: 3}}}
    runs, [made, updated] = run_requests(
        custom_template, [request("ep", "ep-v1", 2), request("ep", "ep-v2", 2, action="update")], scenario
    )
    assert made["status"] == "SUCCEEDED" and updated["status"] == "FAILED"
    assert limit_message(G5, 3, 2, 2) in one_notification(updated)["error"]["message"]
    assert {"call": "sagemaker:UpdateEndpoint", "error": "ResourceLimitExceeded"} in runs[1].failed_calls
    assert updated["remaining"]["sagemaker"]["endpointConfigs"] == ["ep-v1"]  # still served, the new one gone


def test_the_same_update_rolling_one_instance_at_a_time_is_accepted(template: dict[str, Any]) -> None:
    scenario = {"sagemaker": {"quotas": {G5: 3}}}
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        made, updated = runner.run(
            [request("ep", "ep-v1", 2), request("ep", "ep-v2", 2, action="update", DeploymentConfig=ROLLING)]
        )
        usage = runner.simulators["sagemaker"].usage()  # type: ignore[attr-defined]
    assert made["status"] == updated["status"] == "SUCCEEDED"
    assert one_notification(updated)["status"] == "UPDATED"
    assert usage == {G5: 2}  # the new fleet only, once it settled


# -- Service Quotas ------------------------------------------------------------------------------------
def test_service_quotas_serves_the_scenarios_quotas_and_iam_authorizes_its_calls(
    template: dict[str, Any],
) -> None:
    with quiet_stdout(), LocalRunner(template, {"sagemaker": {"quotas": {G5: 4}}}) as runner:
        client = boto3.client("service-quotas", region_name="us-east-1")
        [applied] = client.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
        defaults = [
            quota
            for page in client.get_paginator("list_aws_default_service_quotas").paginate(
                ServiceCode="sagemaker"
            )
            for quota in page["Quotas"]
        ]
        got = client.get_service_quota(ServiceCode="sagemaker", QuotaCode=applied["QuotaCode"])["Quota"]
        # a caller without Service Quotas grants (a role with no policy) is refused, as IAM refuses it
        role = "arn:aws:iam::123456789012:role/no-grants"
        with (
            runner.authorizer.calling_as(role),
            pytest.raises(client.exceptions.AccessDeniedException) as denied,
        ):
            client.get_service_quota(ServiceCode="sagemaker", QuotaCode=applied["QuotaCode"])
        # one granted GetServiceQuota on SageMaker's quotas (the quota resource) gets it, and no list
        scoped = "arn:aws:iam::123456789012:role/sagemaker-quotas"
        runner.authorizer.policies.identity[scoped] = [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "servicequotas:GetServiceQuota",
                        "Resource": "arn:aws:servicequotas:*:*:sagemaker/*",
                    }
                ],
            }
        ]
        with runner.authorizer.calling_as(scoped):
            client.get_service_quota(ServiceCode="sagemaker", QuotaCode=applied["QuotaCode"])
            with pytest.raises(client.exceptions.AccessDeniedException):
                client.list_service_quotas(ServiceCode="sagemaker")
        failures = runner.log.failures()
    assert (applied["QuotaName"], applied["Value"], got["Value"]) == (f"{G5} for endpoint usage", 4.0, 4.0)
    assert (
        applied["QuotaArn"]
        == f"arn:aws:servicequotas:us-east-1:123456789012:sagemaker/{applied['QuotaCode']}"
    )
    g5 = next(q for q in defaults if q["QuotaName"] == f"{G5} for endpoint usage")
    assert (g5["QuotaCode"], g5["Value"]) == (applied["QuotaCode"], 1000.0)
    message = denied.value.response["Error"]["Message"]
    assert f"servicequotas:GetServiceQuota on resource: {applied['QuotaArn']}" in message
    assert failures == [
        {"call": "service-quotas:GetServiceQuota", "error": "AccessDeniedException"},
        {"call": "service-quotas:ListServiceQuotas", "error": "AccessDeniedException"},
    ]


# -- rate limits ---------------------------------------------------------------------------------------
def test_throttled_looks_are_retried_to_success_and_counted(template: dict[str, Any]) -> None:
    scenario = {"sagemaker": {"rateLimits": {"DescribeEndpoint": 1}}}
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        [result] = runner.run([request("slow", "slow-v1", 1)])
        [run] = runner.runs()
        throttled = runner.simulators["sagemaker"].throttled()  # type: ignore[attr-defined]
    assert result["status"] == "SUCCEEDED"
    assert throttled["DescribeEndpoint"] >= 1
    failed = [f for f in run.failed_calls if f["error"] == "ThrottlingException"]
    assert (
        failed
        == [{"call": "sagemaker:DescribeEndpoint", "error": "ThrottlingException"}]
        * throttled["DescribeEndpoint"]
    )
    assert result["calls"].count("sagemaker:DescribeEndpoint") > throttled["DescribeEndpoint"]
    assert "throttled: sagemaker:DescribeEndpoint" in render(run, result)


def test_creates_at_once_beyond_the_rate_are_throttled_then_retried(template: dict[str, Any]) -> None:
    requests = [request(name, f"{name}-v1", 1) for name in ("p", "q", "r")]
    runs, results = run_requests(
        template, requests, {"sagemaker": {"rateLimits": {"CreateEndpoint": 1}}}, parallel=True
    )
    assert [r["status"] for r in results] == ["SUCCEEDED"] * 3
    throttled = [f for run in runs for f in run.failed_calls if f["error"] == "ThrottlingException"]
    assert len(throttled) >= 2  # three at one instant, one a second
    assert {f["call"] for f in throttled} == {"sagemaker:CreateEndpoint"}
    assert results[-1]["remaining"]["sagemaker"]["endpoints"] == ["p", "q", "r"]
