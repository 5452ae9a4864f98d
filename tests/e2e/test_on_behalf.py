"""Calls a service makes with its caller's permissions are authorized like the caller's own: one
allow and one deny per entry of the table in docs/local-runner.md ("What services check on the
caller's behalf"). Each deny removes one statement (by its Sid) from the synthesized template and
runs the same request: it fails as AWS would fail it, naming the action."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from endpointctl.runner import LocalRunner, quiet_stdout, run_requests
from tests.e2e.helpers import OWNER_TAG, one_notification

pytestmark = pytest.mark.slow

TRACKING = {
    "PolicyName": "invocations",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
    },
}
STEP = {
    "PolicyName": "step",
    "PolicyType": "StepScaling",
    "StepScalingPolicyConfiguration": {
        "AdjustmentType": "ChangeInCapacity",
        "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
    },
}
OWNED = {
    "EndpointName": "churn",
    "EndpointConfigName": "churn-v1",
    "Tags": [{"Key": OWNER_TAG, "Value": "c-1"}],
}
SCALED = {
    "existing": {"endpoints": [OWNED]},
    "autoScaling": {
        "churn": {"AllTraffic": {"MinCapacity": 1, "MaxCapacity": 4, "Policies": [TRACKING, STEP]}}
    },
}


def update(instance_type: str = "ml.m5.xlarge", **deployment: Any) -> dict[str, Any]:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "InstanceType": instance_type,
        "InitialInstanceCount": 1,
    }
    params: dict[str, Any] = {
        "EndpointName": "churn",
        "EndpointConfigName": "churn-v2",
        "EndpointConfig": {"EndpointConfigName": "churn-v2", "ProductionVariants": [variant]},
    }
    if deployment:
        params["DeploymentConfig"] = deployment
    return {"endpointType": "sagemaker", "action": "update", "params": params, "requestId": "u-1"}


CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 60,
        }
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-5xx"}]},
}


def without(template: dict[str, Any], sid: str) -> dict[str, Any]:
    """The template with every IAM statement named ``sid`` taken out (one must be)."""
    stripped = copy.deepcopy(template)
    found = 0
    for resource in stripped["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        kept = [s for s in statements if s.get("Sid") != sid]
        found += len(statements) - len(kept)
        resource["Properties"]["PolicyDocument"]["Statement"] = kept
    assert found, f"no statement {sid}"
    return stripped


def run(template: dict[str, Any], requests: list[Any], scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return run_requests(template, requests, {"sagemaker": scenario})[1]


# -- Application Auto Scaling → SageMaker and CloudWatch --------------------------------------------
def test_scaling_with_its_policies_is_taken_off_and_put_back_with_the_callers_permissions(
    template: dict[str, Any],
) -> None:
    [result] = run(template, [update()], SCALED)
    assert result["status"] == "SUCCEEDED", result["cause"]
    assert one_notification(result)["update"]["scalingRestored"] == ["churn/AllTraffic"]
    remaining = result["remaining"]["sagemaker"]
    assert remaining["scalableVariants"] == ["churn/AllTraffic"]
    assert remaining["scalingPolicies"] == ["churn/AllTraffic/invocations", "churn/AllTraffic/step"]


def test_without_the_target_tracking_alarms_scaling_cannot_be_taken_off(template: dict[str, Any]) -> None:
    # deregistering a variant deletes its target tracking alarms: cloudwatch:DeleteAlarms
    [result] = run(without(template, "VariantScalingAlarms"), [update()], SCALED)
    assert result["error"] == "ProviderError"
    assert "cloudwatch:DeleteAlarms" in result["cause"]
    assert "sagemaker:UpdateEndpoint" not in result["calls"]
    remaining = result["remaining"]["sagemaker"]
    assert remaining["scalableVariants"] == ["churn/AllTraffic"] and len(remaining["scalingPolicies"]) == 2


def test_without_the_target_services_permission_scaling_cannot_be_put_back(template: dict[str, Any]) -> None:
    # registering a variant again: Application Auto Scaling checks the caller's SageMaker permissions
    [result] = run(without(template, "VariantScalingOnSageMaker"), [update()], SCALED)
    assert result["status"] == "FAILED"
    assert "sagemaker:UpdateEndpointWeightsAndCapacities" in result["cause"]
    assert result["remaining"]["sagemaker"]["scalableVariants"] == []  # taken off, not put back


def test_a_step_policy_alone_needs_no_alarm_permission(template: dict[str, Any]) -> None:
    step_only = {**SCALED, "autoScaling": {"churn": {"AllTraffic": {"MaxCapacity": 2, "Policies": [STEP]}}}}
    [result] = run(without(template, "VariantScalingAlarms"), [update()], step_only)
    assert result["status"] == "SUCCEEDED", result["cause"]
    assert result["remaining"]["sagemaker"]["scalingPolicies"] == ["churn/AllTraffic/step"]


def test_registering_a_variant_that_does_not_exist_is_refused(template: dict[str, Any]) -> None:
    import boto3
    from botocore.exceptions import ClientError

    with quiet_stdout(), LocalRunner(template, {"sagemaker": {"existing": {"endpoints": [OWNED]}}}):
        client = boto3.client("application-autoscaling", region_name="us-east-1")
        target = {
            "ServiceNamespace": "sagemaker",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        }
        for missing in ("endpoint/churn/variant/Other", "endpoint/nowhere/variant/AllTraffic"):
            with pytest.raises(ClientError) as refused:
                client.register_scalable_target(**target, ResourceId=missing, MinCapacity=1, MaxCapacity=2)
            assert refused.value.response["Error"]["Code"] == "ValidationException"
        with pytest.raises(ClientError) as unregistered:
            client.put_scaling_policy(**target, ResourceId="endpoint/churn/variant/AllTraffic", **TRACKING)
        assert unregistered.value.response["Error"]["Code"] == "ObjectNotFoundException"
        client.register_scalable_target(
            **target, ResourceId="endpoint/churn/variant/AllTraffic", MinCapacity=1, MaxCapacity=2
        )
        client.put_scaling_policy(**target, ResourceId="endpoint/churn/variant/AllTraffic", **TRACKING)


# -- SageMaker → Application Auto Scaling (a delete) and CloudWatch (rollback alarms) ----------------
def test_a_delete_deregisters_scaling_and_its_alarms_with_the_callers_permissions(
    template: dict[str, Any],
) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "churn"},
        "requestId": "d",
    }
    [allowed] = run(template, [delete], SCALED)
    assert allowed["status"] == "SUCCEEDED", allowed["cause"]
    assert allowed["remaining"]["sagemaker"]["scalingPolicies"] == []
    [denied] = run(without(template, "VariantScalingAlarms"), [delete], SCALED)
    assert denied["status"] == "FAILED" and "cloudwatch:DeleteAlarms" in denied["cause"]
    assert denied["remaining"]["sagemaker"]["endpoints"] == ["churn"]


def test_an_updates_rollback_alarms_are_read_with_the_callers_permissions(template: dict[str, Any]) -> None:
    scenario = {"existing": {"endpoints": [OWNED]}}
    [allowed] = run(template, [update("ml.m5.large", **CANARY)], scenario)
    assert allowed["status"] == "SUCCEEDED", allowed["cause"]
    [denied] = run(without(template, "ReadRollbackAlarms"), [update("ml.m5.large", **CANARY)], scenario)
    assert denied["error"] == "ProviderError"
    assert "cloudwatch:DescribeAlarms" in denied["cause"] and "alarm:churn-5xx" in denied["cause"]
    # refused before any deployment: the endpoint still serves its config, the new one is gone
    assert denied["remaining"]["sagemaker"]["endpointConfigs"] == ["churn-v1"]


def test_a_rollback_alarm_that_does_not_exist_is_refused_as_sagemaker_does(template: dict[str, Any]) -> None:
    scenario = {"existing": {"endpoints": [OWNED]}, "alarms": ["some-other-alarm"]}
    [result] = run(template, [update("ml.m5.large", **CANARY)], scenario)
    assert result["error"] == "ProviderError"
    assert "ValidationException" in result["cause"] and "churn-5xx" in result["cause"]
    assert "sagemaker:UpdateEndpoint" in result["calls"]


# -- DynamoDB → KMS ---------------------------------------------------------------------------------
def test_the_requests_table_is_read_with_the_callers_key_permissions(template: dict[str, Any]) -> None:
    create = {
        "endpointType": "sagemaker",
        "params": {"EndpointName": "k", "EndpointConfigName": "k-cfg"},
        "requestId": "k-1",
    }
    [allowed] = run(template, [create], {})
    assert allowed["status"] == "SUCCEEDED"
    [denied] = run(without(template, "RequestsTableKey"), [create], {})
    assert denied["status"] == "FAILED"
    assert "kms:Decrypt" in (denied["cause"] or "")
    assert denied["calls"] == []  # it could not even claim its request id


# -- Lambda in a VPC → EC2 network interfaces, with the function's role -------------------------------
def test_a_function_in_a_vpc_deploys_only_if_its_role_may_make_its_network_interfaces(
    custom_template: dict[str, Any],
) -> None:
    from endpointctl.errors import UsageError

    with quiet_stdout(), LocalRunner(custom_template, {}):  # the deployment's own grants: accepted
        pass
    # as the grant stood before: CreateNetworkInterface on the network interface conditioned on
    # ec2:Subnet / ec2:Vpc, keys AWS does not supply for a new network interface
    before = copy.deepcopy(custom_template)
    for resource in before["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == "CreateNetworkInterfaces":
                    statement["Condition"] = {
                        "ArnEquals": {"ec2:Vpc": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc1234"}
                    }
    refused = r"may not ec2:CreateNetworkInterface on .*network-interface/"
    with pytest.raises(UsageError, match=refused), LocalRunner(before, {}):
        pass
    stripped = without(custom_template, "DescribeNetworkInterfaces")
    with pytest.raises(UsageError, match="may not ec2:DescribeNetworkInterfaces"), LocalRunner(stripped, {}):
        pass


def test_the_runner_denies_what_the_served_world_denies(template: dict[str, Any]) -> None:
    """The same grant taken away (tests/e2e/test_local_deploy_runs.py takes it away in a kept local
    deploy with the IAM API): the runner refuses the create the same way."""
    create = {"endpointType": "sagemaker", "params": {"EndpointName": "d", "EndpointConfigName": "d-cfg"}}
    [denied] = run(without(template, "Endpoints"), [create], {})
    # the rollback's looks (DescribeEndpoint) are denied too: RollbackFailed, in both worlds
    assert denied["status"] == "FAILED" and denied["error"] == "RollbackFailed"
    assert "not authorized to perform: sagemaker:" in denied["cause"]
    assert denied["remaining"]["sagemaker"]["endpoints"] == []


# -- SNS → KMS ------------------------------------------------------------------------------------
def test_publishing_to_the_encrypted_topic_needs_the_callers_key_permissions(
    template: dict[str, Any],
) -> None:
    create = {"endpointType": "sagemaker", "params": {"EndpointName": "n", "EndpointConfigName": "n-cfg"}}
    [allowed] = run(template, [create], {})
    assert allowed["status"] == "SUCCEEDED" and len(allowed["notifications"]["sns"]) == 1
    stripped = copy.deepcopy(template)
    removed = 0
    for lid, resource in stripped["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy" and lid.startswith("SageMakerLifecycleStateMachineRole"):
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            kept = [s for s in statements if s["Action"] != ["kms:Decrypt", "kms:GenerateDataKey"]]
            removed += len(statements) - len(kept)
            resource["Properties"]["PolicyDocument"]["Statement"] = kept
    assert removed == 1
    [denied] = run(stripped, [create], {})
    assert denied["status"] == "FAILED"
    assert "kms:GenerateDataKey" in (denied["cause"] or "")
    assert denied["notifications"]["sns"] == []  # SNS refused the publish: nothing on the topic


def test_without_creating_alarms_a_target_tracking_policy_cannot_be_put_back(
    template: dict[str, Any],
) -> None:
    # the alarms may be deleted (scaling is taken off) but not created (a target tracking policy
    # cannot be put back): cloudwatch:PutMetricAlarm is what PutScalingPolicy checks
    stripped = copy.deepcopy(template)
    for resource in stripped["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == "VariantScalingAlarms":
                    statement["Action"] = ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"]
    [result] = run(stripped, [update()], SCALED)
    assert result["status"] == "FAILED"
    assert "cloudwatch:PutMetricAlarm" in result["cause"]
    # the target is registered again, its policies not (the first one refused stops the rest)
    assert result["remaining"]["sagemaker"]["scalableVariants"] == ["churn/AllTraffic"]
    assert result["remaining"]["sagemaker"]["scalingPolicies"] == []
