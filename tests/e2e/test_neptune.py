"""The Neptune ML lifecycle end to end, against the emulated neptunedata API on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import detail_type, nothing_deleted, one_notification

pytestmark = pytest.mark.slow


def request(
    endpoint_id: str | None = "fraud-graph", options: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"mlModelTrainingJobId": "train-42", "modelName": "rgcn", **params}
    if endpoint_id is not None:
        body["id"] = endpoint_id
    document: dict[str, Any] = {"endpointType": "neptune", "params": body}
    if options:
        document["options"] = options
    return document


def delete(endpoint_id: str = "fraud-graph") -> dict[str, Any]:
    return {"endpointType": "neptune", "action": "delete", "params": {"id": endpoint_id}}


def left(result: dict[str, Any]) -> list[str]:
    return list(result["remaining"]["neptune"]["endpoints"])


def test_ready(local_run: Runner) -> None:
    [result] = local_run([request()], {"neptune": {"createSeconds": 600}})
    assert result["status"] == "SUCCEEDED"
    detail = one_notification(result)
    assert detail["status"] == "READY" and detail["providerStatus"] == "InService"
    assert detail["endpointId"] == "fraud-graph"
    assert result["calls"][:3] == [
        "neptunedata:GetMLModelTrainingJob",
        "neptunedata:GetMLEndpoint",
        "neptunedata:CreateMLEndpoint",
    ]
    assert result["readyAfterSeconds"] == 600
    assert left(result) == ["fraud-graph"]


def test_without_an_id_the_services_id_is_used_everywhere(local_run: Runner) -> None:
    [created] = local_run(
        [request(None, options={"pollIntervalSeconds": 60})], {"neptune": {"createSeconds": 120}}
    )
    endpoint_id = one_notification(created)["endpointId"]
    assert endpoint_id and left(created) == [endpoint_id]
    assert created["output"]["endpointId"] == endpoint_id


def test_failed_is_rolled_back(local_run: Runner) -> None:
    scenario = {"neptune": {"createSeconds": 300, "outcome": "Failed", "failureReason": "bad artifacts"}}
    [result] = local_run([request()], scenario)
    assert result["error"] == "EndpointCreationFailed"
    detail = one_notification(result)
    assert "bad artifacts" in detail["error"]["message"]
    assert detail["rollback"] == {
        "attempted": True,
        "succeeded": True,
        "deleted": ["ml-endpoint fraud-graph"],
    }
    assert left(result) == []


def test_timeout_waits_until_neptune_allows_the_delete(local_run: Runner) -> None:
    [result] = local_run(
        [request(options={"timeoutSeconds": 600})], {"neptune": {"createSeconds": 1800, "deleteSeconds": 30}}
    )
    assert result["error"] == "EndpointTimeout"
    assert one_notification(result)["rollback"]["succeeded"] is True
    assert (
        result["calls"].count("neptunedata:DeleteMLEndpoint") == 1
    )  # never refused: not asked while Creating
    assert result["virtualSeconds"] >= 1800 + 30
    assert left(result) == []


def test_transform_job_and_missing_job(local_run: Runner) -> None:
    params = {"mlModelTransformJobId": "xform-1"}
    document = {"endpointType": "neptune", "params": {"id": "g", **params}}
    [result] = local_run([document], {"neptune": {"missingPrerequisites": True}})
    assert result["error"] == "PrerequisiteNotFound"
    assert result["calls"] == ["neptunedata:GetMLModelTransformJob"]
    assert left(result) == []


def test_existing_endpoint_without_update_is_never_touched(local_run: Runner) -> None:
    [result] = local_run([request()], {"neptune": {"existing": {"endpoints": ["fraud-graph"]}}})
    assert result["error"] == "EndpointAlreadyExists"
    assert "neptunedata:CreateMLEndpoint" not in result["calls"] and nothing_deleted(result)
    assert left(result) == ["fraud-graph"]


def update(endpoint_id: str = "fraud-graph", **params: Any) -> dict[str, Any]:
    """An update of ``endpoint_id`` (``CreateMLEndpoint`` with ``update: true``, which the
    controller sends): ``action: update``, never a create."""
    body = {"id": endpoint_id, "mlModelTrainingJobId": "train-43", **params}
    return {"endpointType": "neptune", "action": "update", "params": body}


def test_failed_update_is_reported_and_never_deleted(local_run: Runner) -> None:
    scenario = {"neptune": {"createSeconds": 60, "update": {"outcome": "Failed", "seconds": 240}}}
    _created, result = local_run([request(), update()], scenario)
    assert result["error"] == "EndpointUpdateFailed"
    assert one_notification(result)["status"] == "FAILED"
    assert nothing_deleted(result)
    assert left(result) == ["fraud-graph"]


def test_successful_update(local_run: Runner) -> None:
    _created, result = local_run(
        [request(), update()], {"neptune": {"createSeconds": 60, "update": {"seconds": 90}}}
    )
    assert result["status"] == "SUCCEEDED"
    assert detail_type(result) == "Endpoint Updated"
    assert one_notification(result)["providerStatus"] == "InService"


@pytest.mark.parametrize("existing", [["fraud-graph"], []], ids=["someone-elses-endpoint", "no-endpoint"])
def test_a_create_with_update_true_is_refused_and_touches_nothing(
    local_run: Runner, existing: list[str]
) -> None:
    """``update: true`` makes ``CreateMLEndpoint`` change an existing endpoint: as a create it
    would update someone else's endpoint and announce it ``Endpoint Ready``. An update is
    ``action: update``; a create that asks for one is refused before any call."""
    [result] = local_run([request(update=True)], {"neptune": {"existing": {"endpoints": existing}}})
    assert (result["status"], result["error"]) == ("FAILED", "InvalidRequest")
    detail = one_notification(result)
    assert detail_type(result) == "Endpoint Failed"
    assert detail["error"]["fields"] == ["params.update"]
    assert "action: update" in detail["error"]["message"]
    assert result["calls"] == []
    assert left(result) == existing


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"mlModelTransformJobId": "x"}, ["params.mlModelTrainingJobId", "params.mlModelTransformJobId"]),
        ({"modelName": "gcn"}, ["params.modelName"]),
        ({"instanceCount": 0}, ["params.instanceCount"]),
        ({"instanceType": "m5.large"}, ["params.instanceType"]),
        ({"neptuneIamRoleArn": "NeptuneRole"}, ["params.neptuneIamRoleArn"]),
    ],
    ids=["both-jobs", "model-name", "instance-count", "instance-type", "role-arn"],
)
def test_invalid_requests_touch_nothing(local_run: Runner, params: dict[str, Any], fields: list[str]) -> None:
    [result] = local_run([request(**params)])
    assert result["error"] == "InvalidRequest"
    assert set(fields) <= set(one_notification(result)["error"]["fields"])
    assert result["calls"] == []


def test_throttled_create_is_retried(local_run: Runner) -> None:
    fault = {"operation": "CreateMLEndpoint", "error": "TooManyRequestsException", "count": 2}
    [result] = local_run([request()], {"neptune": {"createSeconds": 60, "faults": [fault]}})
    assert result["status"] == "SUCCEEDED"
    assert result["calls"].count("neptunedata:CreateMLEndpoint") == 3


def test_delete_of_an_endpoint_the_controller_did_not_create_is_refused(local_run: Runner) -> None:
    scenario = {"neptune": {"existing": {"endpoints": ["old-graph"]}, "deleteSeconds": 50}}
    refused, absent = local_run([delete("old-graph"), delete("ghost")], scenario)
    assert (refused["status"], refused["error"]) == ("FAILED", "EndpointNotOwned")
    assert nothing_deleted(refused) and left(refused) == ["old-graph"]
    assert detail_type(absent) == "Endpoint Deleted"
    assert one_notification(absent)["alreadyAbsent"] is True and nothing_deleted(absent)


def test_delete_of_its_own_endpoint_waits_for_the_deletion(local_run: Runner) -> None:
    _created, deleted = local_run(
        [request(), delete()], {"neptune": {"createSeconds": 60, "deleteSeconds": 50}}
    )
    assert detail_type(deleted) == "Endpoint Deleted"
    assert one_notification(deleted)["alreadyAbsent"] is False and deleted["readyAfterSeconds"] == 50
    assert left(deleted) == []
