"""Inference components through the synthesized state machine (docs/requests.md#inference-components): create, update and
delete of components on an endpoint of the simulated SageMaker, which is never touched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow

TYPE = "inference-component"
HOST = "gpu-host"
SPEC = {
    "ModelName": "llama-8b",
    "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 8192},
}
NEW_SPEC = {**SPEC, "ModelName": "llama-8b-v2"}
ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 120,
        "MaximumExecutionTimeoutInSeconds": 1800,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "chat-5xx"}]},
}


def create(name: str = "chat", **extra: Any) -> dict[str, Any]:
    params = {
        "InferenceComponentName": name,
        "EndpointName": HOST,
        "VariantName": "AllTraffic",
        "Specification": SPEC,
        "RuntimeConfig": {"CopyCount": 2},
    }
    return {"endpointType": TYPE, "params": params, "requestId": f"create-{name}", **extra}


def update(**params: Any) -> dict[str, Any]:
    return {"endpointType": TYPE, "action": "update", "params": {"InferenceComponentName": "chat", **params}}


def delete(name: str = "chat") -> dict[str, Any]:
    return {"endpointType": TYPE, "action": "delete", "params": {"InferenceComponentName": name}}


def components(result: dict[str, Any]) -> list[str]:
    return list(result["remaining"][TYPE]["components"])


def failed(result: dict[str, Any], code: str) -> dict[str, Any]:
    assert result["status"] == "FAILED" and result["error"] == code, result["cause"]
    detail = one_notification(result)
    assert detail["error"]["code"] == code
    return detail


def untouched_host(result: dict[str, Any]) -> None:
    assert HOST in result["remaining"]["sagemaker"]["endpoints"]
    assert not any(
        call in result["calls"] for call in ("sagemaker:DeleteEndpoint", "sagemaker:UpdateEndpoint")
    )


def test_create_is_ready_when_every_copy_is_placed(local_run: Runner) -> None:
    [result] = local_run([create()], {TYPE: {"createSeconds": 240}})
    assert result["status"] == "SUCCEEDED", result["cause"]
    detail = one_notification(result)
    assert detail["status"] == "READY" and detail["endpointId"] == "chat"
    assert detail["endpointArn"].endswith(":inference-component/chat")
    assert detail["hostEndpointName"] == HOST and detail["copyCount"] == 2
    assert result["readyAfterSeconds"] == 240
    assert components(result) == ["chat"]
    untouched_host(result)


def test_failed_create_rolls_back_the_component_only(local_run: Runner) -> None:
    [result] = local_run([create()], {TYPE: {"outcome": "Failed", "failureReason": "CUDA out of memory"}})
    detail = failed(result, "EndpointCreationFailed")
    assert "CUDA out of memory" in detail["error"]["message"]
    assert detail["rollback"]["succeeded"] is True
    assert result["calls"].count("sagemaker:DeleteInferenceComponent") == 1
    assert components(result) == []
    untouched_host(result)


def test_a_missing_endpoint_is_a_missing_prerequisite(local_run: Runner) -> None:
    [result] = local_run([create()], {TYPE: {"missingPrerequisites": True}})
    failed(result, "PrerequisiteNotFound")
    assert "sagemaker:CreateInferenceComponent" not in result["calls"]
    assert components(result) == []


def test_rolling_update_succeeds_when_the_new_specification_serves(local_run: Runner) -> None:
    made, updated = local_run(
        [create(), update(Specification=NEW_SPEC, DeploymentConfig=ROLLING)],
        {TYPE: {"update": {"seconds": 900}}},
    )
    assert made["status"] == "SUCCEEDED", made["cause"]
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert one_notification(updated)["status"] == "UPDATED"
    assert "sagemaker:UpdateInferenceComponent" in updated["calls"]
    assert updated["virtualSeconds"] >= 900
    assert components(updated) == ["chat"]
    untouched_host(updated)


def test_an_alarm_rollback_is_update_rolled_back(local_run: Runner) -> None:
    scenario = {TYPE: {"update": {"outcome": "RolledBack", "failureReason": "alarm chat-5xx fired"}}}
    _, updated = local_run([create(), update(Specification=NEW_SPEC, DeploymentConfig=ROLLING)], scenario)
    detail = failed(updated, "UpdateRolledBack")
    assert "alarm chat-5xx fired" in detail["error"]["message"]
    assert "llama-8b " in detail["error"]["message"] and "llama-8b-v2" in detail["error"]["message"]
    assert components(updated) == ["chat"]  # the component is kept
    assert "sagemaker:DeleteInferenceComponent" not in updated["calls"]
    untouched_host(updated)


def test_failed_after_an_update_is_endpoint_update_failed(local_run: Runner) -> None:
    scenario = {TYPE: {"update": {"outcome": "Failed", "failureReason": "image pull failed"}}}
    _, updated = local_run([create(), update(Specification=NEW_SPEC)], scenario)
    detail = failed(updated, "EndpointUpdateFailed")
    assert "image pull failed" in detail["error"]["message"]
    assert components(updated) == ["chat"]
    assert "sagemaker:DeleteInferenceComponent" not in updated["calls"]


def test_a_copy_count_change_alone_uses_the_runtime_config_call(local_run: Runner) -> None:
    _, updated = local_run(
        [create(), update(RuntimeConfig={"CopyCount": 4})], {TYPE: {"update": {"seconds": 120}}}
    )
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert one_notification(updated)["status"] == "UPDATED"
    assert "sagemaker:UpdateInferenceComponentRuntimeConfig" in updated["calls"]
    assert "sagemaker:UpdateInferenceComponent" not in updated["calls"]


def test_delete_removes_an_owned_component_and_never_the_endpoint(local_run: Runner) -> None:
    _, deleted = local_run([create(), delete()])
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    assert one_notification(deleted)["status"] == "DELETED"
    assert components(deleted) == []
    untouched_host(deleted)


def test_someone_elses_component_is_neither_deleted_nor_updated(local_run: Runner) -> None:
    scenario = {
        TYPE: {"existing": {"components": [{"InferenceComponentName": "theirs", "EndpointName": HOST}]}}
    }
    deleted, updated = local_run(
        [
            delete("theirs"),
            {
                **update(RuntimeConfig={"CopyCount": 3}),
                "params": {"InferenceComponentName": "theirs", "RuntimeConfig": {"CopyCount": 3}},
            },
        ],
        scenario,
    )
    failed(deleted, "EndpointNotOwned")
    failed(updated, "EndpointNotOwned")
    for result in (deleted, updated):
        assert not any(
            ":DeleteInferenceComponent" in c or ":UpdateInferenceComponent" in c for c in result["calls"]
        )
    assert components(updated) == ["theirs"]


def test_components_waiting_on_one_endpoint_share_their_looks(local_run: Runner) -> None:
    """Batched polling: while components are being placed, a look reads the endpoint's list
    (ListInferenceComponents), and one list serves every component of the endpoint looked at
    within seconds; each component is described when the list shows it settled."""
    scenario = {TYPE: {"createSeconds": 600}}
    [one] = local_run([create("c0")], scenario)
    many = local_run([create(f"c{i}") for i in range(5)], scenario, parallel=True)
    assert all(r["status"] == "SUCCEEDED" for r in many), [r["cause"] for r in many]

    def count(result: dict[str, Any], op: str) -> int:
        return int(result["calls"].count(f"sagemaker:{op}"))

    # One component: a describe before the create (the claim's look) and one when it settled;
    # every look in between is a list.
    assert count(one, "DescribeInferenceComponent") == 2
    lists_one = count(one, "ListInferenceComponents")
    assert lists_one >= 5
    # Five components on one endpoint: still two describes each, and the lists are shared, so
    # far fewer than five times one component's.
    described = sum(count(r, "DescribeInferenceComponent") for r in many)
    lists = sum(count(r, "ListInferenceComponents") for r in many)
    assert described == 10
    assert lists < 5 * lists_one, (lists, lists_one)
    print(f"one component: {lists_one} lists, 2 describes; five: {lists} lists, {described} describes")


def test_an_endpoint_under_the_controllers_components_is_not_deleted(local_run: Runner) -> None:
    host_delete = {"endpointType": "sagemaker", "action": "delete", "params": {"EndpointName": HOST}}
    _, refused = local_run([create(), host_delete])
    detail = failed(refused, "EndpointBusy")
    assert "chat" in detail["error"]["message"]
    assert "sagemaker:DeleteEndpoint" not in refused["calls"]
    assert components(refused) == ["chat"]
    untouched_host(refused)
