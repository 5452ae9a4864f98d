"""Autoscaling survives updates (docs/updates-and-expiry.md): a variant registered with Application Auto Scaling
whose instance type an update changes is deregistered before ``UpdateEndpoint`` (SageMaker
refuses the update otherwise) and registered again afterwards, with the same limits and policies,
after success and after SageMaker's rollback alike; a delete deregisters the endpoint's variants."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.slow

CREATE = {
    "endpointType": "sagemaker",
    "params": {"EndpointName": "churn", "EndpointConfigName": "churn-v1"},
    "requestId": "create-1",
}
SCALING = {"churn": {"AllTraffic": {"MinCapacity": 2, "MaxCapacity": 6}}}
POLICY = {
    "PolicyName": "churn-invocations",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
    },
}


def update(instance_type: str, request_id: str) -> dict[str, Any]:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "m2",
        "InstanceType": instance_type,
        "InitialInstanceCount": 2,
    }
    return {
        "endpointType": "sagemaker",
        "action": "update",
        "params": {
            "EndpointName": "churn",
            "EndpointConfigName": "churn-v2",
            "EndpointConfig": {"EndpointConfigName": "churn-v2", "ProductionVariants": [variant]},
        },
        "requestId": request_id,
    }


def run_with_policy(
    template: dict[str, Any], scenario: dict[str, Any], request: dict[str, Any]
) -> tuple[dict[str, Any], Any]:
    """Create the endpoint, give its variant a scaling policy, update it; the update's result and
    the variant's scalable target and policies afterwards."""
    import boto3

    from endpointctl.runner import LocalRunner, quiet_stdout
    from endpointctl.template import REGION

    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        created = runner.start(CREATE)
        runner.wait([created])
        client = boto3.client("application-autoscaling", region_name=REGION)
        ids = {
            "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/churn/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        }
        client.put_scaling_policy(**ids, **POLICY)
        updated = runner.start(request)
        runner.wait([updated])
        targets = client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        policies = client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        return runner.result(updated), (targets, policies)


@pytest.mark.parametrize("outcome", ["InService", "RolledBack"])
def test_an_instance_type_change_keeps_the_variants_scaling(template: dict[str, Any], outcome: str) -> None:
    scenario = {"sagemaker": {"autoScaling": SCALING, "update": {"seconds": 600, "outcome": outcome}}}
    result, (targets, policies) = run_with_policy(template, scenario, update("ml.m5.xlarge", f"u-{outcome}"))
    expected_error = None if outcome == "InService" else "UpdateRolledBack"
    assert result["error"] == expected_error, result["cause"]
    detail = result["notifications"]["events"][0]["detail"]
    assert detail["update"]["scalingRestored"] == ["churn/AllTraffic"]
    assert result["remaining"]["sagemaker"]["scalableVariants"] == ["churn/AllTraffic"]
    [target] = targets
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert [(p["PolicyName"], p["PolicyType"]) for p in policies] == [
        ("churn-invocations", "TargetTrackingScaling")
    ]
    assert policies[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0


def test_an_update_that_keeps_the_instance_type_leaves_scaling_alone(local_run: Runner) -> None:
    _, updated = local_run([CREATE, update("ml.m5.large", "u-same")], {"sagemaker": {"autoScaling": SCALING}})
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert "scalingRestored" not in updated["notifications"]["events"][0]["detail"]["update"]
    assert updated["remaining"]["sagemaker"]["scalableVariants"] == ["churn/AllTraffic"]


def test_the_simulated_sagemaker_refuses_what_the_controller_prepares_for(local_run: Runner) -> None:
    # a named config, sent straight to the service by hand would be refused; through the
    # controller the variant is taken off first, so the update applies
    _, updated = local_run(
        [CREATE, update("ml.c5.xlarge", "u-other")], {"sagemaker": {"autoScaling": SCALING}}
    )
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert updated["calls"].count("sagemaker:UpdateEndpoint") == 1


def test_a_delete_deregisters_the_endpoints_variants(local_run: Runner) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "churn"},
        "requestId": "d-1",
    }
    _, deleted = local_run([CREATE, delete], {"sagemaker": {"autoScaling": SCALING}})
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    assert deleted["remaining"]["sagemaker"]["scalableVariants"] == []
    assert deleted["remaining"]["sagemaker"]["endpoints"] == []


def test_a_stopped_update_puts_the_scaling_back(local_run: Runner) -> None:
    scenario = {
        "sagemaker": {"createSeconds": 60, "autoScaling": SCALING, "update": {"seconds": 1000}},
        "abortAtSeconds": 200,
    }
    created, stopped = local_run([CREATE, update("ml.m5.xlarge", "u-stopped")], scenario, until=4000)
    assert created["status"] == "SUCCEEDED"
    assert stopped["status"] == "ABORTED"
    kinds = [
        (e["detail-type"], (e["detail"].get("error") or {}).get("code"))
        for e in stopped["notifications"]["events"]
    ]
    assert kinds == [("Endpoint Failed", "ExecutionAborted")]
    # the clean-up put it back, and its notification says so as a settled update's does
    assert stopped["notifications"]["events"][0]["detail"]["update"]["scalingRestored"] == [
        "churn/AllTraffic"
    ]
    assert stopped["remaining"]["sagemaker"]["scalableVariants"] == ["churn/AllTraffic"]
    assert stopped["remaining"]["sagemaker"]["endpoints"] == ["churn"]


def test_an_update_out_of_time_puts_the_scaling_back(local_run: Runner) -> None:
    late = update("ml.m5.xlarge", "u-late")
    late["options"] = {"timeoutSeconds": 300}
    scenario = {"sagemaker": {"autoScaling": SCALING, "update": {"seconds": 1000}}}
    _, result = local_run([CREATE, late], scenario, until=4000)
    assert result["error"] == "EndpointTimeout", result["cause"]
    # the new config is in use by the endpoint once the deployment finished: kept, and said so
    detail = result["notifications"]["events"][0]["detail"]
    assert detail["rollback"]["kept"] == ["endpoint-config churn-v2 (in use: endpoint churn serves it)"]
    assert detail["kept"] == detail["rollback"]["kept"]
    assert result["remaining"]["sagemaker"]["scalableVariants"] == ["churn/AllTraffic"]


def variant(name: str, instance_type: str = "ml.m5.large") -> dict[str, Any]:
    return {"VariantName": name, "ModelName": "m1", "InstanceType": instance_type, "InitialInstanceCount": 1}


def with_config(config: str, *variants: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A SageMaker request on ``churn`` with an inline config of ``variants``."""
    inline = {"EndpointConfigName": config, "ProductionVariants": list(variants)}
    params = {"EndpointName": "churn", "EndpointConfigName": config, "EndpointConfig": inline}
    return {"endpointType": "sagemaker", "params": params, **fields}


@pytest.mark.parametrize(
    ("outcome", "restored", "left"),
    [
        ("InService", ["churn/blue"], ["churn/blue"]),
        ("RolledBack", ["churn/blue", "churn/green"], ["churn/blue", "churn/green"]),
    ],
)
def test_an_update_that_removes_a_scaled_variant_restores_only_the_variants_served(
    template: dict[str, Any], outcome: str, restored: list[str], left: list[str]
) -> None:
    """``green`` is removed and ``blue`` changes its instance type: both are taken off for the
    update. After success the endpoint serves only ``blue`` (``DescribeEndpoint`` shows the new
    config's variants, as SageMaker's does), so only ``blue``'s scaling comes back; after
    SageMaker's rollback it serves both again, and both come back."""
    import boto3

    from endpointctl.runner import LocalRunner, quiet_stdout
    from endpointctl.template import REGION

    create = with_config("churn-v1", variant("blue"), variant("green"), requestId="c-two")
    update = with_config("churn-v2", variant("blue", "ml.m5.xlarge"), action="update", requestId="u-two")
    scaling = {
        "churn": {"blue": {"MinCapacity": 1, "MaxCapacity": 4}, "green": {"MinCapacity": 1, "MaxCapacity": 3}}
    }
    scenario = {"sagemaker": {"autoScaling": scaling, "update": {"seconds": 600, "outcome": outcome}}}
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        runner.wait([runner.start(create)])
        updated = runner.start(update)
        runner.wait([updated])
        result = runner.result(updated)
        described = boto3.client("sagemaker", region_name=REGION).describe_endpoint(EndpointName="churn")
    assert result["error"] == (None if outcome == "InService" else "UpdateRolledBack"), result["cause"]
    [event] = result["notifications"]["events"]
    assert event["detail"]["update"]["scalingRestored"] == restored
    assert result["remaining"]["sagemaker"]["scalableVariants"] == left
    served = [v["VariantName"] for v in described["ProductionVariants"]]
    assert (described["EndpointConfigName"], served) == (
        ("churn-v2", ["blue"]) if outcome == "InService" else ("churn-v1", ["blue", "green"])
    )
