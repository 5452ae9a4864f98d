"""Two stacks of the controller in one account and region (prod and staging): each keeps to what it
made. What a stack creates or adopts carries its stack's tag (``ml-endpoint-controller:stack``), an
endpoint another stack made is not this one's (a delete and an update refuse it, even with
``options.adopt``), and each stack's expiry schedules live in a schedule group of its own."""

from __future__ import annotations

from typing import Any

import pytest

from endpointctl.runner import LocalRunner, quiet_stdout
from tests.conftest import Runner
from tests.e2e.helpers import OWNER_TAG

pytestmark = pytest.mark.slow

STACK_TAG = "ml-endpoint-controller:stack"
#: The local runner's stack (cdk.json's stackName), and another one in the same account.
STACK, STAGING = "MlEndpointController", "MlEndpointControllerStaging"


def stagings(name: str) -> dict[str, Any]:
    """A scenario with an endpoint the staging stack created (its ownership and stack tags)."""
    tags = [{"Key": OWNER_TAG, "Value": "staging-1"}, {"Key": STACK_TAG, "Value": STAGING}]
    existing = {"EndpointName": name, "EndpointConfigName": f"{name}-v1", "Tags": tags}
    return {"sagemaker": {"existing": {"endpoints": [existing], "endpointConfigs": [f"{name}-v1"]}}}


def test_a_delete_leaves_another_stacks_endpoint_alone(local_run: Runner) -> None:
    delete = {"endpointType": "sagemaker", "action": "delete", "params": {"EndpointName": "churn-staging"}}

    [result] = local_run([delete], stagings("churn-staging"))

    assert result["error"] == "EndpointNotOwned"
    message = result["notifications"]["events"][0]["detail"]["error"]["message"]
    assert "another stack of this controller" in message
    assert "sagemaker:DeleteEndpoint" not in result["calls"]
    assert result["remaining"]["sagemaker"]["endpoints"] == ["churn-staging"]


def test_an_update_never_adopts_another_stacks_endpoint(local_run: Runner) -> None:
    update = {
        "endpointType": "sagemaker",
        "action": "update",
        "params": {"EndpointName": "churn-staging", "EndpointConfigName": "churn-staging-v2"},
        "options": {"adopt": True},
    }
    scenario = stagings("churn-staging")
    scenario["sagemaker"]["existing"]["endpointConfigs"].append("churn-staging-v2")

    [result] = local_run([update], scenario)

    assert result["error"] == "EndpointNotOwned"
    assert not {"sagemaker:UpdateEndpoint", "sagemaker:AddTags"} & set(result["calls"])


def test_what_a_stack_creates_carries_its_tag_and_its_expiry_its_own_schedule_group(
    template: dict[str, Any],
) -> None:
    import boto3

    create = {
        "endpointType": "sagemaker",
        "params": {"EndpointName": "dev-1", "EndpointConfigName": "dev-1-cfg"},
        "options": {"expiresAfterSeconds": 3600},
        "requestId": "dev-1",
    }
    with quiet_stdout(), LocalRunner(template, {"sagemaker": {"createSeconds": 300}}) as runner:
        [result] = runner.run([create])
        backend = runner.simulators["sagemaker"].backend()  # type: ignore[attr-defined]
        tags = {t["Key"]: t["Value"] for t in backend.endpoints["dev-1"].tags}
        scheduler = boto3.client("scheduler", region_name="us-east-1")
        ours = scheduler.list_schedules(GroupName=STACK)["Schedules"]
        default = scheduler.list_schedules(GroupName="default")["Schedules"]

    assert result["status"] == "SUCCEEDED"
    assert tags[OWNER_TAG] == "dev-1" and tags[STACK_TAG] == STACK
    [schedule] = ours
    assert schedule["Name"].startswith("expire-sagemaker-") and default == []
