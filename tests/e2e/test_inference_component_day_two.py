"""Inference components on day two, through the synthesized state machine (issue 25): scale to zero
kept across updates, lost answers of every mutating call, stopped creates and updates, expiry, and
twenty components placed at once on one endpoint (the batched poll's cost)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import one_notification
from tests.e2e.test_inference_component import HOST, NEW_SPEC, TYPE, components, create, delete, update

pytestmark = pytest.mark.slow

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "inference-component/chat",
    "ScalableDimension": DIMENSION,
}
POLICY = {
    "PolicyName": "chat-invocations",
    "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 5.0,
        "CustomizedMetricSpecification": {
            "MetricName": "ConcurrentRequestsPerCopy",
            "Namespace": "AWS/SageMaker",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": "chat"}],
            "Statistic": "Average",
        },
    },
}


def events(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["detail-type"], e["detail"]) for e in result["notifications"]["events"]]


def host_untouched(result: dict[str, Any]) -> None:
    assert HOST in result["remaining"]["sagemaker"]["endpoints"]
    assert not any(c in result["calls"] for c in ("sagemaker:DeleteEndpoint", "sagemaker:UpdateEndpoint"))


@contextmanager
def world(template: dict[str, Any], scenario: dict[str, Any]) -> Iterator[Any]:
    from endpointctl.runner import LocalRunner, quiet_stdout

    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        yield runner


def run_one(runner: Any, request: dict[str, Any]) -> dict[str, Any]:
    run = runner.start(request)
    runner.wait([run])
    return dict(runner.result(run))


# -- 1. scale to zero kept across an update -----------------------------------------------------------
@pytest.mark.parametrize(("outcome", "error"), [("InService", None), ("RolledBack", "UpdateRolledBack")])
def test_a_scale_to_zero_target_survives_an_update(
    template: dict[str, Any], outcome: str, error: str | None
) -> None:
    import boto3

    from endpointctl.template import REGION

    scenario = {
        TYPE: {"update": {"seconds": 600, "outcome": outcome, "failureReason": "alarm chat-5xx fired"}}
    }
    with world(template, scenario) as runner:
        made = run_one(runner, create())
        assert made["status"] == "SUCCEEDED", made["cause"]
        scaling = boto3.client("application-autoscaling", region_name=REGION)
        scaling.register_scalable_target(**TARGET, MinCapacity=0, MaxCapacity=4)
        scaling.put_scaling_policy(**TARGET, **POLICY)
        updated = run_one(runner, {**update(Specification=NEW_SPEC), "requestId": f"u-{outcome}"})
        targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]

    assert updated["error"] == error, updated["cause"]
    detail = one_notification(updated)
    assert detail["status"] == ("UPDATED" if error is None else "FAILED")
    assert detail["update"]["scalingRestored"] == ["chat"]
    # taken off once before the update, registered again once after it, with the same limits
    assert updated["calls"].count("sagemaker:UpdateInferenceComponent") == 1
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("inference-component/chat", 0, 4)
    ]
    assert [(p["ResourceId"], p["PolicyName"], p["PolicyType"]) for p in policies] == [
        ("inference-component/chat", "chat-invocations", "TargetTrackingScaling")
    ]
    assert policies[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 5.0
    assert components(updated) == ["chat"]
    assert "sagemaker:DeleteInferenceComponent" not in updated["calls"]
    host_untouched(updated)


# -- 2. a lost answer on each mutating call ----------------------------------------------------------
LOST = [
    ("CreateInferenceComponent", [], create(), "READY", ["chat"]),
    ("UpdateInferenceComponent", [create()], update(Specification=NEW_SPEC), "UPDATED", ["chat"]),
    (
        "UpdateInferenceComponentRuntimeConfig",
        [create()],
        update(RuntimeConfig={"CopyCount": 3}),
        "UPDATED",
        ["chat"],
    ),
    ("DeleteInferenceComponent", [create()], delete(), "DELETED", []),
]


@pytest.mark.parametrize("error", ["InternalFailure", "ReadTimeout"])
@pytest.mark.parametrize(
    ("operation", "before", "request_", "status", "left"), LOST, ids=[x[0] for x in LOST]
)
def test_a_lost_answer_changes_nothing_twice(
    local_run: Runner,
    operation: str,
    before: list[dict[str, Any]],
    request_: dict[str, Any],
    status: str,
    left: list[str],
    error: str,
) -> None:
    scenario = {
        TYPE: {
            "update": {"seconds": 300},
            "faults": [{"operation": operation, "error": error, "applied": True}],
        }
    }
    *earlier, result = local_run([*before, {**request_, "requestId": "r-lost"}], scenario)
    assert all(r["status"] == "SUCCEEDED" for r in earlier)
    assert result["status"] == "SUCCEEDED", (result["error"], result["cause"])
    detail = one_notification(result)
    assert detail["status"] == status and detail["requestId"] == "r-lost"
    # the lost call took effect once: no second component, no second deployment
    assert result["calls"].count(f"sagemaker:{operation}") == 1, result["calls"]
    for other in (
        "CreateInferenceComponent",
        "UpdateInferenceComponent",
        "UpdateInferenceComponentRuntimeConfig",
    ):
        if other != operation:
            assert f"sagemaker:{other}" not in result["calls"], result["calls"]
    assert components(result) == left
    host_untouched(result)
    if status == "UPDATED":
        assert "rollback" not in detail


# -- 3. a stopped create / update -------------------------------------------------------------------
def test_a_stopped_create_removes_the_component_only_and_may_be_sent_again(template: dict[str, Any]) -> None:
    theirs = {"existing": {"components": [{"InferenceComponentName": "theirs", "EndpointName": HOST}]}}
    with world(template, {TYPE: {"createSeconds": 600, **theirs}, "abortAtSeconds": 100}) as runner:
        stopped = run_one(runner, create())
        runner.keep_running(runner.clock.now() + 2000)
        stopped = dict(runner.result(runner.runs()[0], later=True))
        runner.abort_at = None
        again = run_one(runner, create())

    assert stopped["status"] == "ABORTED"
    [(kind, detail)] = events(stopped)
    assert kind == "Endpoint Failed" and detail["error"]["code"] == "ExecutionAborted"
    assert detail["rollback"]["succeeded"] is True
    assert detail["rollback"]["deleted"] == ["inference-component chat"]
    assert stopped["calls"].count("sagemaker:DeleteInferenceComponent") == 1
    assert components(stopped) == ["theirs"]  # the neighbour on the same endpoint stays
    host_untouched(stopped)
    assert again["status"] == "SUCCEEDED", again["cause"]
    assert [k for k, _ in events(again)] == ["Endpoint Ready"]
    assert components(again) == ["chat", "theirs"]
    host_untouched(again)


@pytest.mark.parametrize("update_", [update(Specification=NEW_SPEC), update(RuntimeConfig={"CopyCount": 3})])
def test_a_stopped_update_deletes_nothing_and_may_be_sent_again(
    template: dict[str, Any], update_: dict[str, Any]
) -> None:
    import boto3

    from endpointctl.template import REGION

    with world(template, {TYPE: {"update": {"seconds": 600}}}) as runner:
        made = run_one(runner, create())
        scaling = boto3.client("application-autoscaling", region_name=REGION)
        scaling.register_scalable_target(**TARGET, MinCapacity=0, MaxCapacity=4)
        runner.abort_at = 100
        request = {**update_, "requestId": "u-stop"}
        run = runner.start(request)
        runner.wait([run])
        runner.abort_at = None
        runner.keep_running(runner.clock.now() + 3000)
        stopped = dict(runner.result(run, later=True))
        kept = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        again = run_one(runner, request)

    assert made["status"] == "SUCCEEDED"
    assert stopped["status"] == "ABORTED"
    [(kind, detail)] = events(stopped)
    assert kind == "Endpoint Failed" and detail["error"]["code"] == "ExecutionAborted"
    assert not (detail.get("rollback") or {}).get("deleted"), detail
    # the clean-up waited for the deployment, said what the component then serves, and put the
    # copy-count target it had taken off back, scale to zero included
    assert detail["update"]["serving"] == detail["update"]["requested"], detail
    assert detail["update"]["scalingRestored"] == ["chat"], detail
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in kept] == [(0, 4)]
    assert "sagemaker:DeleteInferenceComponent" not in stopped["calls"]
    assert components(stopped) == ["chat"]
    host_untouched(stopped)
    # the same request again: one notification of its own, the component still there
    assert again["status"] == "SUCCEEDED", again["cause"]
    assert [k for k, _ in events(again)] == ["Endpoint Updated"]
    assert components(again) == ["chat"]
    assert "sagemaker:DeleteInferenceComponent" not in again["calls"]


# -- 4. expiry ----------------------------------------------------------------------------------------
def test_an_expiring_component_is_deleted_when_it_expires(local_run: Runner) -> None:
    request = create(options={"expiresAfterSeconds": 3600})
    [result] = local_run(
        [request], {TYPE: {"createSeconds": 300, "deleteSeconds": 60}}, until=300 + 3600 + 600
    )
    assert result["status"] == "SUCCEEDED", result["cause"]
    (ready_type, ready), (deleted_type, deleted) = events(result)
    assert ready_type == "Endpoint Ready" and ready["expiresAt"]
    assert deleted_type == "Endpoint Deleted"
    assert deleted["requestId"] == "create-chat" and deleted["reason"] == "expired"
    assert deleted["status"] == "DELETED" and deleted["endpointType"] == TYPE
    assert not deleted.get("alreadyAbsent")
    assert len(result["notifications"]["sns"]) == 2
    assert components(result) == []
    host_untouched(result)


def test_an_expiring_component_is_not_deleted_before_its_time(local_run: Runner) -> None:
    request = create(options={"expiresAfterSeconds": 3600})
    [result] = local_run([request], {TYPE: {"createSeconds": 300}}, until=300 + 3000)
    assert [k for k, _ in events(result)] == ["Endpoint Ready"]
    assert components(result) == ["chat"]


# -- 5. twenty components at once on one endpoint -----------------------------------------------------
def test_twenty_components_on_one_endpoint_share_their_looks(local_run: Runner) -> None:
    scenario = {TYPE: {"createSeconds": 600}}

    def looks(results: list[dict[str, Any]]) -> tuple[int, int]:
        calls = [c for r in results for c in r["calls"]]
        return calls.count("sagemaker:ListInferenceComponents"), calls.count(
            "sagemaker:DescribeInferenceComponent"
        )

    [one] = local_run([create("c0")], scenario)
    assert one["status"] == "SUCCEEDED", one["cause"]
    many = local_run([create(f"c{i}") for i in range(20)], scenario, parallel=True)
    assert [r["status"] for r in many] == ["SUCCEEDED"] * 20, [r["cause"] for r in many]
    assert all(one_notification(r)["status"] == "READY" for r in many)
    assert sorted(components(many[-1])) == sorted(f"c{i}" for i in range(20))
    (lists_one, described_one), (lists, described) = looks([one]), looks(many)
    numbers = f"1 component: {lists_one} lists + {described_one} describes; 20: {lists} lists + {described} describes"
    print(numbers)
    assert lists_one >= 5, numbers  # the component was polled for its 600 s
    assert described == 20 * described_one, numbers  # a verdict still comes from a describe each
    assert lists < 3 * lists_one, numbers
    assert lists + described < 5 * (lists_one + described_one), numbers
