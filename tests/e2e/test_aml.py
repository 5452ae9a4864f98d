"""The Amazon ML lifecycle end to end, against the emulated service on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import detail_type, nothing_deleted, one_notification

pytestmark = pytest.mark.slow


def request(model: str = "ml-churn-2026", **extra: Any) -> dict[str, Any]:
    return {"endpointType": "aml", "params": {"MLModelId": model}, **extra}


def delete(model: str = "ml-churn-2026") -> dict[str, Any]:
    return {"endpointType": "aml", "action": "delete", "params": {"MLModelId": model}}


def left(result: dict[str, Any]) -> list[str]:
    return list(result["remaining"]["aml"]["realtimeEndpoints"])


def test_ready(local_run: Runner) -> None:
    [result] = local_run([request()], {"aml": {"createSeconds": 120}})
    assert result["status"] == "SUCCEEDED"
    detail = one_notification(result)
    assert detail_type(result) == "Endpoint Ready"
    assert detail["status"] == "READY" and detail["providerStatus"] == "READY"
    assert detail["endpointUrl"].startswith("https://realtime.machinelearning.")
    assert detail["peakRequestsPerSecond"] == 200
    assert detail["endpointArn"].endswith(":mlmodel/ml-churn-2026")
    assert result["calls"][:2] == ["machinelearning:GetMLModel", "machinelearning:CreateRealtimeEndpoint"]
    assert result["readyAfterSeconds"] == 120
    assert left(result) == ["ml-churn-2026"]


def test_failed_is_rolled_back(local_run: Runner) -> None:
    [result] = local_run([request()], {"aml": {"createSeconds": 60, "outcome": "FAILED"}})
    assert result["error"] == "EndpointCreationFailed"
    detail = one_notification(result)
    assert detail["rollback"] == {
        "attempted": True,
        "succeeded": True,
        "deleted": ["realtime-endpoint ml-churn-2026"],
    }
    assert result["calls"].count("machinelearning:DeleteRealtimeEndpoint") == 1
    assert left(result) == []


def test_timeout_is_rolled_back_once_the_endpoint_settles(local_run: Runner) -> None:
    [result] = local_run([request(options={"timeoutSeconds": 300})], {"aml": {"createSeconds": 900}})
    assert result["error"] == "EndpointTimeout"
    assert one_notification(result)["rollback"]["succeeded"] is True
    assert result["virtualSeconds"] >= 900
    assert left(result) == []


def test_missing_model_is_prerequisite_not_found(local_run: Runner) -> None:
    [result] = local_run([request()], {"aml": {"missingPrerequisites": True}})
    assert result["error"] == "PrerequisiteNotFound"
    assert result["calls"] == ["machinelearning:GetMLModel"]
    assert "rollback" not in one_notification(result)


def test_existing_endpoint_is_never_touched(local_run: Runner) -> None:
    [result] = local_run([request()], {"aml": {"existing": {"realtimeEndpoints": ["ml-churn-2026"]}}})
    assert result["error"] == "EndpointAlreadyExists"
    assert result["calls"] == ["machinelearning:GetMLModel"]
    assert left(result) == ["ml-churn-2026"]


@pytest.mark.parametrize(
    "fault",
    [
        {"operation": "CreateRealtimeEndpoint", "error": "ThrottlingException", "count": 2},
        {"operation": "CreateRealtimeEndpoint", "error": "InternalServerException", "count": 1},
        {"operation": "GetMLModel", "error": "InternalServerException", "count": 3},
    ],
    ids=["throttled", "5xx-create", "5xx-describe"],
)
def test_transient_errors_are_retried(local_run: Runner, fault: dict[str, Any]) -> None:
    [result] = local_run([request()], {"aml": {"createSeconds": 60, "faults": [fault]}})
    assert result["status"] == "SUCCEEDED", result["cause"]
    assert result["calls"].count("machinelearning:CreateRealtimeEndpoint") == (
        fault["count"] + 1 if fault["operation"] == "CreateRealtimeEndpoint" else 1
    )
    assert left(result) == ["ml-churn-2026"]


def test_invalid_model_id_touches_nothing(local_run: Runner) -> None:
    [result] = local_run([request("not valid!")])
    assert result["error"] == "InvalidRequest"
    assert one_notification(result)["error"]["fields"] == ["params.MLModelId"]
    assert result["calls"] == []


def test_delete_of_an_endpoint_the_controller_did_not_create_is_refused(local_run: Runner) -> None:
    # Amazon ML keeps no tags: ownership is the controller's own durable record of what it created.
    scenario = {"aml": {"existing": {"realtimeEndpoints": ["legacy"]}, "deleteSeconds": 45}}
    refused, absent = local_run([delete("legacy"), delete("ml-churn-2026")], scenario)
    assert (refused["status"], refused["error"]) == ("FAILED", "EndpointNotOwned")
    assert nothing_deleted(refused) and left(refused) == ["legacy"]
    assert absent["status"] == "SUCCEEDED"
    assert one_notification(absent)["alreadyAbsent"] is True
    assert nothing_deleted(absent)


def test_delete_of_its_own_endpoint_waits_for_the_deletion(local_run: Runner) -> None:
    _created, deleted = local_run([request(), delete()], {"aml": {"createSeconds": 30, "deleteSeconds": 45}})
    assert deleted["status"] == "SUCCEEDED"
    assert one_notification(deleted)["alreadyAbsent"] is False
    assert deleted["readyAfterSeconds"] == 45
    assert left(deleted) == []


def test_create_then_delete_in_one_world(local_run: Runner) -> None:
    created, deleted = local_run([request(), delete()], {"aml": {"createSeconds": 30}})
    assert left(created) == ["ml-churn-2026"]
    assert detail_type(deleted) == "Endpoint Deleted"
    assert left(deleted) == []


def test_a_hand_made_event_with_only_detail_type_and_detail_is_accepted(local_run: Runner) -> None:
    event = {"detail-type": "Endpoint Request", "id": "evt-9", "detail": request()}
    [result] = local_run([event], {"aml": {"createSeconds": 30}})
    assert result["status"] == "SUCCEEDED"
    assert one_notification(result)["requestId"] == "evt-9"


def test_an_event_whose_detail_is_not_json_is_invalid(local_run: Runner) -> None:
    event = {"detail-type": "Endpoint Request", "source": "x", "detail": "{not json"}
    [result] = local_run([event])
    assert result["error"] == "InvalidRequest"
    assert one_notification(result)["error"]["fields"] == ["detail"]
    assert result["calls"] == []
