"""Day two you can trust, through the synthesized state machines: a config an endpoint serves or
deploys is never deleted, by any path; a stopped update waits for its deployment before it cleans
up; everything a rollback or clean-up left is retried until it is gone; expiry removes the configs
the controller made for the endpoint; each notification says what is gone, what remains and what
was kept. Each test is a sequence that once broke one of these promises."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from endpointctl.runner import LocalRunner, quiet_stdout
from tests.conftest import Runner
from tests.e2e.helpers import OWNER_TAG, one_notification

pytestmark = pytest.mark.slow


def variant(model: str = "m") -> dict[str, Any]:
    return {
        "VariantName": "AllTraffic",
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }


def create(name: str, config: str, *, inline: bool = True, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"EndpointName": name, "EndpointConfigName": config}
    if inline:
        params["EndpointConfig"] = {"EndpointConfigName": config, "ProductionVariants": [variant()]}
    return {"endpointType": "sagemaker", "params": params, "requestId": f"c-{name}-{config}", **extra}


def update(name: str, config: str, *, inline: bool = True, **extra: Any) -> dict[str, Any]:
    request = create(name, config, inline=inline, **extra)
    request["action"] = "update"
    request["requestId"] = f"u-{name}-{config}"
    return request


CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 300,
        }
    }
}
OWNED_PROD = {
    "EndpointName": "prod",
    "EndpointConfigName": "prod-v1",
    "Tags": [{"Key": OWNER_TAG, "Value": "old"}],
}


def events(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["detail-type"], e["detail"]) for e in result["notifications"]["events"]]


def run_world(
    template: dict[str, Any], requests: list[Any], scenario: dict[str, Any], until: float
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The requests one after another, the world kept to ``until``; the results, and which config
    each endpoint then serves."""
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        results = runner.run(requests, until=until)
        serving = runner.simulators["sagemaker"].serving()  # type: ignore[attr-defined]
    return results, serving


# -- a config in use is never deleted --------------------------------------------------------------
def test_an_update_to_the_config_already_served_deletes_nothing(local_run: Runner) -> None:
    made, updated = local_run(
        [create("sm", "sm-v1"), update("sm", "sm-v1", inline=False, options={"deleteReplacedConfig": True})]
    )
    assert made["status"] == "SUCCEEDED" and updated["status"] == "SUCCEEDED", updated["cause"]
    detail = one_notification(updated)
    assert detail["status"] == "UPDATED"
    assert detail["kept"] == ["endpoint-config sm-v1 (in use: endpoint sm serves it)"]
    assert detail["update"]["replacedKept"] == detail["kept"][0] and "replacedDeleted" not in detail["update"]
    assert "sagemaker:DeleteEndpointConfig" not in updated["calls"]
    assert updated["remaining"]["sagemaker"]["endpointConfigs"] == ["sm-v1"]


def test_delete_replaced_config_keeps_a_config_another_endpoint_serves(local_run: Runner) -> None:
    results = local_run(
        [
            create("sa", "sc-v1"),
            create("sb", "sc-v1", inline=False),
            update("sa", "sc-v2", options={"deleteReplacedConfig": True}),
        ]
    )
    assert [r["status"] for r in results] == ["SUCCEEDED"] * 3
    detail = one_notification(results[2])
    assert detail["update"] == {
        "previous": "sc-v1",
        "requested": "sc-v2",
        "replacedKept": "endpoint-config sc-v1 (in use: endpoint sb serves it)",
    }
    assert detail["kept"] == ["endpoint-config sc-v1 (in use: endpoint sb serves it)"]
    assert results[2]["remaining"]["sagemaker"]["endpointConfigs"] == ["sc-v1", "sc-v2"]
    assert "sagemaker:ListEndpoints" in results[2]["calls"]
    assert "sagemaker:DeleteEndpointConfig" not in results[2]["calls"]


def test_a_delete_with_its_config_keeps_the_config_another_endpoint_serves(local_run: Runner) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "sa", "DeleteEndpointConfig": True},
        "requestId": "d-sa",
    }
    *_, deleted = local_run([create("sa", "sc-v1"), create("sb", "sc-v1", inline=False), delete])
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    detail = one_notification(deleted)
    assert detail["status"] == "DELETED"
    assert detail["deleted"] == ["endpoint sa"] and detail["remaining"] == []
    assert detail["kept"] == ["endpoint-config sc-v1 (in use: endpoint sb serves it)"]
    assert deleted["remaining"]["sagemaker"]["endpoints"] == ["sb"]
    assert deleted["remaining"]["sagemaker"]["endpointConfigs"] == ["sc-v1"]


def test_a_rollback_keeps_its_config_once_another_endpoint_serves_it(template: dict[str, Any]) -> None:
    # sa times out; meanwhile sb was created on sa's inline config: the rollback deletes sa only
    late = {**create("sa", "shared"), "options": {"timeoutSeconds": 200}}
    with quiet_stdout(), LocalRunner(template, {}) as runner:
        runner.clock.started()
        runner.clock.started()  # the clock waits for the second too
        first = runner.start(late, registered=True)
        deadline = time.monotonic() + 30
        while "sagemaker:CreateEndpoint" not in runner.log.calls() and time.monotonic() < deadline:
            time.sleep(0.005)
        second = runner.start(create("sb", "shared", inline=False), registered=True)
        runner.wait([first, second])
        failed, made = runner.result(first), runner.result(second)
        serving = runner.simulators["sagemaker"].serving()  # type: ignore[attr-defined]
    assert made["status"] == "SUCCEEDED"
    assert failed["error"] == "EndpointTimeout"
    rollback = one_notification(failed)["rollback"]
    assert rollback["succeeded"] is True and rollback["deleted"] == ["endpoint sa"]
    assert rollback["kept"] == ["endpoint-config shared (in use: endpoint sb serves it)"]
    assert serving == {"sb": "shared"}


# -- a stopped update waits for its deployment ------------------------------------------------------
@pytest.mark.parametrize("abort_at", [1, 150, 299])
def test_a_stopped_update_waits_for_the_deployment_and_keeps_the_config_it_then_serves(
    template: dict[str, Any], abort_at: int
) -> None:
    scenario = {
        "abortAtSeconds": abort_at,
        "sagemaker": {"existing": {"endpoints": [OWNED_PROD]}, "update": {"seconds": 600}},
    }
    request = update("prod", "prod-v2")
    request["params"]["DeploymentConfig"] = CANARY
    [result], serving = run_world(template, [request], scenario, until=3000)
    assert result["status"] == "ABORTED"
    [(kind, detail)] = events(result)
    assert kind == "Endpoint Failed" and detail["error"]["code"] == "ExecutionAborted"
    # told only once the deployment settled, and what the endpoint then serves
    assert detail["update"] == {"previous": "prod-v1", "requested": "prod-v2", "serving": "prod-v2"}
    assert "prod serves prod-v2" in detail["error"]["message"]
    assert detail["kept"] == ["endpoint-config prod-v2 (in use: endpoint prod serves it)"]
    assert serving == {"prod": "prod-v2"}
    assert set(serving.values()) <= set(result["remaining"]["sagemaker"]["endpointConfigs"])


def test_a_stopped_update_that_sagemaker_rolls_back_removes_its_config(template: dict[str, Any]) -> None:
    scenario = {
        "abortAtSeconds": 100,
        "sagemaker": {
            "existing": {"endpoints": [OWNED_PROD]},
            "update": {"seconds": 600, "outcome": "RolledBack"},
        },
    }
    [result], serving = run_world(template, [update("prod", "prod-v2")], scenario, until=3000)
    detail = one_notification(result)
    assert detail["update"]["serving"] == "prod-v1"
    assert detail["rollback"]["deleted"] == ["endpoint-config prod-v2"]
    assert serving == {"prod": "prod-v1"}
    assert result["remaining"]["sagemaker"]["endpointConfigs"] == ["prod-v1"]


def test_a_stopped_update_to_a_named_config_waits_to_say_what_the_endpoint_serves(
    template: dict[str, Any],
) -> None:
    scenario = {
        "abortAtSeconds": 60,
        "sagemaker": {"existing": {"endpoints": [OWNED_PROD]}, "update": {"seconds": 900}},
    }
    [result], _ = run_world(template, [update("prod", "prod-v2", inline=False)], scenario, until=3000)
    detail = one_notification(result)
    assert detail["update"]["serving"] == "prod-v2" and "rollback" not in detail
    # the clean-up waited for the deployment: the notification came after it had settled
    assert detail["finishedAt"] > detail["startedAt"]


# -- every leftover is retried -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operation", "error", "count"),
    [
        ("DeleteEndpoint", "ValidationException", 2),
        ("DeleteEndpoint", "AccessDeniedException", 4),
        ("DeleteEndpoint", "InternalFailure", 9),  # beyond the teardown's own six retries
        ("DeleteEndpoint", "ResourceLimitExceeded", 1),
        ("DeleteEndpointConfig", "ValidationException", 3),
    ],
)
def test_a_rollback_that_met_a_service_error_is_retried_until_gone(
    local_run: Runner, operation: str, error: str, count: int
) -> None:
    scenario = {
        "sagemaker": {
            "outcome": "Failed",
            "faults": [{"operation": operation, "error": error, "count": count}],
        }
    }
    [result] = local_run([create("fail", "fail-v1")], scenario, until=4000)
    assert result["error"] == "RollbackFailed", result.get("cause")
    (first, failed), (later, cleaned) = events(result)
    assert first == "Endpoint Failed" and failed["rollback"]["succeeded"] is False
    assert failed["rollback"]["remaining"]
    assert error in failed["error"]["message"]
    assert later == "Endpoint Cleaned Up"
    assert sorted(failed["rollback"]["remaining"]) == sorted(
        set(cleaned["rollback"]["deleted"]) - set(failed["rollback"].get("deleted", []))
    )
    assert result["remaining"]["sagemaker"]["endpoints"] == []
    assert result["remaining"]["sagemaker"]["endpointConfigs"] == []
    assert result["calls"].count(f"sagemaker:{operation}") > count


def test_a_neptune_rollback_refused_once_is_retried(local_run: Runner) -> None:
    scenario = {
        "neptune": {
            "outcome": "Failed",
            "faults": [{"operation": "DeleteMLEndpoint", "error": "BadRequestException", "count": 1}],
        }
    }
    request = {
        "endpointType": "neptune",
        "params": {"id": "np-1", "mlModelTrainingJobId": "job"},
        "requestId": "np-1",
    }
    [result] = local_run([request], scenario, until=4000)
    assert [kind for kind, _ in events(result)] == ["Endpoint Failed", "Endpoint Cleaned Up"]
    assert result["remaining"]["neptune"]["endpoints"] == []


def test_leftovers_are_retried_on_a_doubling_schedule(template: dict[str, Any]) -> None:
    # AccessDenied for hours: tries at the failure, at the next sweep, then after about 5, 10, 20,
    # 40 and 80 minutes (then 160, 320, and every 6 hours), each sweep (every 5 minutes) finding
    # most not due
    scenario = {
        "sagemaker": {
            "outcome": "Failed",
            "faults": [{"operation": "DeleteEndpoint", "error": "AccessDeniedException", "count": 6}],
        }
    }
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        deletes: list[float] = []
        record = runner.log.record

        def timed(call: str, execution: str | None = None, *, error: str | None = None) -> int:
            if call == "sagemaker:DeleteEndpoint":
                deletes.append(runner.clock.now())
            return record(call, execution, error=error)

        runner.log.record = timed  # type: ignore[method-assign]
        [result] = runner.run([create("fail", "fail-v1")], until=11500)
    gaps = [round((b - a) / 60) for a, b in itertools.pairwise(deletes)]
    assert len(deletes) == 7  # six refused, the seventh deletes it
    assert gaps[0] <= 5, gaps  # the next sweep
    for gap, expected in zip(gaps[1:], [5, 10, 20, 40, 80], strict=True):
        assert expected <= gap <= expected + 5, gaps
    assert [kind for kind, _ in events(result)] == ["Endpoint Failed", "Endpoint Cleaned Up"]


# -- expiry removes the controller's configs ----------------------------------------------------------
def test_expiry_removes_the_configs_made_for_the_endpoint(local_run: Runner) -> None:
    expiring = {**create("ex", "ex-v1"), "options": {"expiresAfterSeconds": 2000}}
    made, updated = local_run([expiring, update("ex", "ex-v2")], until=5000)
    assert made["status"] == updated["status"] == "SUCCEEDED"
    [(first, _), (kind, expired)] = events(made)
    assert first == "Endpoint Ready"
    assert kind == "Endpoint Deleted" and expired["reason"] == "expired"
    assert sorted(expired["deleted"]) == ["endpoint ex", "endpoint-config ex-v1", "endpoint-config ex-v2"]
    assert expired["remaining"] == []
    assert updated["remaining"]["sagemaker"] == {
        "endpoints": [],
        "endpointConfigs": [],
        "scalableVariants": [],
        "scalingPolicies": [],
    }


def test_expiry_keeps_a_config_another_endpoint_serves(local_run: Runner) -> None:
    expiring = {**create("ex", "ex-v1"), "options": {"expiresAfterSeconds": 2000}}
    made, other = local_run([expiring, create("other", "ex-v1", inline=False)], until=5000)
    [_, (kind, expired)] = events(made)
    assert kind == "Endpoint Deleted"
    assert expired["deleted"] == ["endpoint ex"]
    assert expired["kept"] == ["endpoint-config ex-v1 (in use: endpoint other serves it)"]
    assert other["remaining"]["sagemaker"]["endpointConfigs"] == ["ex-v1"]


# -- what a notification says -------------------------------------------------------------------------
def test_a_delete_whose_config_delete_keeps_failing_says_the_endpoint_is_gone(local_run: Runner) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "dd", "DeleteEndpointConfig": True},
        "requestId": "d-dd",
    }
    scenario = {
        "sagemaker": {
            "faults": [{"operation": "DeleteEndpointConfig", "error": "InternalFailure", "count": 20}]
        }
    }
    _, deleted = local_run([create("dd", "dd-v1"), delete], scenario)
    assert deleted["error"] == "ProviderError"
    detail = one_notification(deleted)
    assert detail["deleted"] == ["endpoint dd"] and detail["remaining"] == ["endpoint-config dd-v1"]
    assert "deleted: endpoint dd; left: endpoint-config dd-v1" in detail["error"]["message"]
    assert deleted["remaining"]["sagemaker"]["endpoints"] == []


def test_a_stopped_delete_says_what_is_gone_and_what_remains(template: dict[str, Any]) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "prod", "DeleteEndpointConfig": True},
        "requestId": "d-prod",
    }
    owned_config = {**OWNED_PROD}
    scenario = {
        "abortAtSeconds": 30,
        "sagemaker": {"deleteSeconds": 120, "existing": {"endpoints": [owned_config]}},
    }
    [result], _ = run_world(template, [delete], scenario, until=1000)
    assert result["status"] == "ABORTED"
    detail = one_notification(result)
    assert detail["error"]["code"] == "ExecutionAborted"
    # the deletion under way was waited for; the config (not the controller's) was kept
    assert detail["deleted"] == ["endpoint prod"] and detail["remaining"] == []
    assert detail["kept"] == ["endpoint-config prod-v1 (not created by this controller)"]
    assert result["remaining"]["sagemaker"]["endpoints"] == []


def test_a_stopped_delete_before_its_deletion_names_what_remains(template: dict[str, Any]) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "prod"},
        "requestId": "d-1",
    }
    scenario = {
        "abortAtSeconds": 1,
        "sagemaker": {
            "existing": {"endpoints": [OWNED_PROD]},
            "faults": [{"operation": "DescribeEndpoint", "error": "ThrottlingException", "count": 3}],
        },
    }
    [result], _ = run_world(template, [delete], scenario, until=1000)
    detail = one_notification(result)
    assert detail["error"]["code"] == "ExecutionAborted"
    assert detail["deleted"] == [] and detail["remaining"] == ["endpoint prod"]


def test_no_rollback_after_a_refused_create_names_nothing_as_remaining(local_run: Runner) -> None:
    request = {**create("rl", "rl-v1", inline=False), "options": {"rollback": False}}
    scenario = {
        "sagemaker": {
            "faults": [{"operation": "CreateEndpoint", "error": "ResourceLimitExceeded", "count": 1}]
        }
    }
    [result] = local_run([request], scenario)
    assert result["error"] == "QuotaExceeded"
    # a refusal that left nothing (the config was there before) has no rollback to speak of
    assert "rollback" not in one_notification(result)
    assert result["remaining"]["sagemaker"]["endpoints"] == []


def test_every_deleted_notification_says_what_is_gone_and_what_remains(local_run: Runner) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "x"},
        "requestId": "d-x",
    }
    _, deleted, again = local_run([create("x", "x-v1"), delete, {**delete, "requestId": "d-x-2"}])
    first = one_notification(deleted)
    assert first["deleted"] == ["endpoint x"] and first["remaining"] == []
    second = one_notification(again)
    assert second["alreadyAbsent"] is True and second["deleted"] == [] and second["remaining"] == []


def test_an_expiry_whose_delete_was_refused_fires_again_an_hour_later(local_run: Runner) -> None:
    expiring = {**create("ex", "ex-v1"), "options": {"expiresAfterSeconds": 600}}
    scenario = {
        "sagemaker": {
            "faults": [{"operation": "DeleteEndpoint", "error": "AccessDeniedException", "count": 1}]
        }
    }
    [made] = local_run([expiring], scenario, until=6000)
    [(ready, _), (refused, failed), (deleted, gone)] = events(made)
    assert (ready, refused, deleted) == ("Endpoint Ready", "Endpoint Failed", "Endpoint Deleted")
    assert failed["reason"] == gone["reason"] == "expired"
    assert failed["requestId"] == gone["requestId"] == expiring["requestId"]
    assert failed["remaining"] == ["endpoint ex", "endpoint-config ex-v1"]
    assert "expiresAt" in failed  # when it tries again
    assert sorted(gone["deleted"]) == ["endpoint ex", "endpoint-config ex-v1"]
    assert made["remaining"]["sagemaker"]["endpoints"] == []
