"""Expiry (docs/updates-and-expiry.md): ``options.expiresAfterSeconds`` deletes the endpoint that long after it
became ready (an EventBridge Scheduler one-time schedule, on the runner's virtual clock), announced
as ``Endpoint Deleted`` with ``"reason": "expired"`` under the original ``requestId``; an earlier
delete cancels it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.slow

CREATE = {
    "endpointType": "sagemaker",
    "params": {"EndpointName": "dev-1", "EndpointConfigName": "dev-cfg"},
    "options": {"expiresAfterSeconds": 3600},
    "requestId": "dev-1",
}


def at(detail: dict[str, Any]) -> float:
    return datetime.datetime.fromisoformat(detail["finishedAt"].replace("Z", "+00:00")).timestamp()


def test_an_expiring_endpoint_is_deleted_that_long_after_it_became_ready(local_run: Runner) -> None:
    scenario = {"sagemaker": {"createSeconds": 300, "deleteSeconds": 60}}
    [result] = local_run([CREATE], scenario, until=300 + 3600 + 600)
    assert result["status"] == "SUCCEEDED"
    (ready_type, ready), (deleted_type, deleted) = [
        (e["detail-type"], e["detail"]) for e in result["notifications"]["events"]
    ]
    assert ready_type == "Endpoint Ready" and ready["expiresAt"]
    assert deleted_type == "Endpoint Deleted"
    assert (
        deleted["requestId"] == "dev-1" and deleted["reason"] == "expired" and deleted["status"] == "DELETED"
    )
    assert not deleted.get("alreadyAbsent")
    # the delete began an hour after the endpoint was ready, and took the service's minute
    assert at(deleted) - at(ready) == pytest.approx(3600 + 60, abs=5)
    assert len(result["notifications"]["sns"]) == 2
    assert result["remaining"]["sagemaker"]["endpoints"] == []
    assert result["remaining"]["sagemaker"]["endpointConfigs"] == ["dev-cfg"]  # not the controller's


def test_nothing_expires_before_its_time(local_run: Runner) -> None:
    [result] = local_run([CREATE], {"sagemaker": {"createSeconds": 300}}, until=300 + 3000)
    assert [e["detail-type"] for e in result["notifications"]["events"]] == ["Endpoint Ready"]
    assert result["remaining"]["sagemaker"]["endpoints"] == ["dev-1"]


def test_an_earlier_delete_cancels_the_expiry(local_run: Runner) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "dev-1"},
        "requestId": "d-1",
    }
    recreate = {**CREATE, "options": {}, "requestId": "dev-2"}  # the same name again, without expiry
    created, deleted, again = local_run(
        [CREATE, delete, recreate], {"sagemaker": {"createSeconds": 300}}, until=7200
    )
    assert [e["detail-type"] for e in created["notifications"]["events"]] == ["Endpoint Ready"]
    assert [e["detail-type"] for e in deleted["notifications"]["events"]] == ["Endpoint Deleted"]
    assert again["status"] == "SUCCEEDED"
    # the cancelled expiry did not delete the endpoint made again under the same name
    assert again["remaining"]["sagemaker"]["endpoints"] == ["dev-1"]
    assert all(
        e["detail"].get("reason") != "expired"
        for r in (created, deleted, again)
        for e in r["notifications"]["events"]
    )


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({**CREATE, "options": {"expiresAfterSeconds": 0}}, "options.expiresAfterSeconds"),
        ({**CREATE, "options": {"expiresAfterSeconds": 10**9}}, "options.expiresAfterSeconds"),
        (
            {
                "endpointType": "sagemaker",
                "action": "delete",
                "params": {"EndpointName": "dev-1"},
                "options": {"expiresAfterSeconds": 60},
            },
            "options.expiresAfterSeconds",
        ),
    ],
)
def test_a_bad_expiry_is_refused_naming_it(local_run: Runner, request_: dict[str, Any], field: str) -> None:
    [refused] = local_run([request_])
    assert refused["error"] == "InvalidRequest"
    assert field in refused["notifications"]["events"][0]["detail"]["error"]["fields"]
    assert refused["calls"] == []


def test_neptune_and_aml_endpoints_expire_too(local_run: Runner) -> None:
    neptune = {
        "endpointType": "neptune",
        "params": {"id": "np-dev", "mlModelTrainingJobId": "job"},
        "options": {"expiresAfterSeconds": 600},
        "requestId": "np-dev",
    }
    aml = {
        "endpointType": "aml",
        "params": {"MLModelId": "model-dev"},
        "options": {"expiresAfterSeconds": 600},
        "requestId": "aml-dev",
    }
    results = local_run(
        [neptune, aml], {"neptune": {"createSeconds": 120}, "aml": {"createSeconds": 60}}, until=3000
    )
    for result in results:
        kinds = [(e["detail-type"], e["detail"].get("reason")) for e in result["notifications"]["events"]]
        assert kinds == [("Endpoint Ready", None), ("Endpoint Deleted", "expired")], kinds
    assert results[-1]["remaining"]["neptune"]["endpoints"] == []
    assert results[-1]["remaining"]["aml"]["realtimeEndpoints"] == []


def test_the_expiring_sample_shows_its_later_delete(capsys: pytest.CaptureFixture[str]) -> None:
    from endpointctl import project_root
    from endpointctl.cli import main

    sample = project_root() / "events" / "sagemaker-create-expiring.json"
    assert main(["local", "run", str(sample), "--until", "4200"]) == 0
    captured = capsys.readouterr()
    assert "later: Endpoint Deleted (expired) at " in captured.out
    assert "left by this request: nothing\n" in captured.out  # expired: gone again
    assert "there before it: sagemaker endpoint config churn-config-v3\n" in captured.out
    assert "Warning" not in captured.err
