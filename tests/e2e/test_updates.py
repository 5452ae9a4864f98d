"""Day two: ``action: update`` through the synthesized state machines (docs/requests.md, docs/requests.md#the-outcome, docs/updates-and-expiry.md).

SageMaker: a guarded update succeeds only when the endpoint serves the requested config; the
service's own rollback is ``UpdateRolledBack`` (the new config this request made is deleted, the
endpoint kept); ``Failed`` / ``UpdateRollbackFailed`` is ``EndpointUpdateFailed`` (nothing
deleted); an absent endpoint is ``EndpointNotFound``. Neptune ML updates in place; Amazon ML has
no update and is refused.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import Runner

pytestmark = pytest.mark.slow

VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": "m2",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 1,
}
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 300,
        },
        "TerminationWaitInSeconds": 120,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-5xx"}]},
}
CREATE = {
    "endpointType": "sagemaker",
    "params": {"EndpointName": "churn", "EndpointConfigName": "churn-v1"},
    "requestId": "create-1",
}


def update(config: str = "churn-v2", *, inline: bool = True, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "EndpointName": "churn",
        "EndpointConfigName": config,
        "DeploymentConfig": CANARY,
    }
    if inline:
        params["EndpointConfig"] = {"EndpointConfigName": config, "ProductionVariants": [VARIANT]}
    request: dict[str, Any] = {"endpointType": "sagemaker", "action": "update", "params": params}
    request.update(extra)
    return request


def notifications(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["detail-type"], e["detail"]) for e in result["notifications"]["events"]]


@pytest.mark.parametrize(
    "routing",
    [
        {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60},
        {"Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}, "WaitIntervalInSeconds": 60},
        {
            "Type": "LINEAR",
            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
            "WaitIntervalInSeconds": 60,
        },
    ],
)
def test_each_traffic_routing_type_updates_the_endpoint(local_run: Runner, routing: dict[str, Any]) -> None:
    request = update(requestId="u-1")
    request["params"]["DeploymentConfig"] = {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}
    }
    created, updated = local_run([CREATE, request], {"sagemaker": {"update": {"seconds": 900}}})
    assert created["status"] == "SUCCEEDED"
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    [(kind, detail)] = notifications(updated)
    assert kind == "Endpoint Updated"
    assert detail["status"] == "UPDATED" and detail["action"] == "update"
    assert detail["update"] == {"previous": "churn-v1", "requested": "churn-v2"}
    assert updated["output"]["status"] == "UPDATED"
    assert "sagemaker:UpdateEndpoint" in updated["calls"]
    assert "sagemaker:DeleteEndpoint" not in updated["calls"]
    assert updated["remaining"]["sagemaker"]["endpoints"] == ["churn"]
    # it waited for the deployment to settle: the service's own time, not a first look
    assert updated["readyAfterSeconds"] == pytest.approx(900, abs=1)
    assert updated["virtualSeconds"] <= 905


def test_a_rolling_update_succeeds(local_run: Runner) -> None:
    request = update(requestId="u-rolling")
    request["params"]["DeploymentConfig"] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
            "WaitIntervalInSeconds": 60,
        }
    }
    _, updated = local_run([CREATE, request])
    assert updated["status"] == "SUCCEEDED", updated["cause"]


@pytest.mark.parametrize("events", [True, False], ids=["by-event", "by-polling"])
def test_an_automatic_rollback_is_update_rolled_back_and_the_new_config_is_removed(
    local_run: Runner, events: bool
) -> None:
    scenario = {
        "sagemaker": {
            "emitEvents": events,
            "update": {"seconds": 600, "outcome": "RolledBack", "failureReason": "Alarm churn-5xx fired"},
        }
    }
    _, updated = local_run([CREATE, update(requestId="u-rb")], scenario)
    assert updated["status"] == "FAILED" and updated["error"] == "UpdateRolledBack"
    [(kind, detail)] = notifications(updated)
    assert kind == "Endpoint Failed" and detail["error"]["code"] == "UpdateRolledBack"
    assert "Alarm churn-5xx fired" in detail["error"]["message"]
    assert detail["update"] == {
        "previous": "churn-v1",
        "requested": "churn-v2",
        "reason": "Alarm churn-5xx fired",
    }
    assert detail["rollback"]["deleted"] == ["endpoint-config churn-v2"]
    # the endpoint is kept, serving its previous config; the new owned config is gone
    assert updated["remaining"]["sagemaker"] == {
        "endpoints": ["churn"],
        "endpointConfigs": ["churn-v1"],
        "scalableVariants": [],
        "scalingPolicies": [],
    }
    assert "sagemaker:DeleteEndpoint" not in updated["calls"]


def test_a_failure_driven_rollback_of_a_named_config_deletes_nothing(local_run: Runner) -> None:
    scenario = {"sagemaker": {"update": {"seconds": 300, "outcome": "RolledBack"}}}
    _, updated = local_run([CREATE, update("churn-v2", inline=False, requestId="u-named")], scenario)
    assert updated["error"] == "UpdateRolledBack"
    assert "sagemaker:DeleteEndpointConfig" not in updated["calls"]
    assert updated["remaining"]["sagemaker"]["endpointConfigs"] == ["churn-v1", "churn-v2"]


@pytest.mark.parametrize("outcome", ["Failed", "UpdateRollbackFailed"])
def test_a_failed_update_is_endpoint_update_failed_and_nothing_is_deleted(
    local_run: Runner, outcome: str
) -> None:
    _, updated = local_run([CREATE, update(requestId="u-f")], {"sagemaker": {"update": {"outcome": outcome}}})
    assert updated["status"] == "FAILED" and updated["error"] == "EndpointUpdateFailed"
    [(_, detail)] = notifications(updated)
    assert outcome in detail["error"]["message"] and detail["providerStatus"] == outcome
    assert detail["rollback"] == {"attempted": False, "remaining": ["endpoint-config churn-v2"]}
    assert not [c for c in updated["calls"] if c.startswith("sagemaker:Delete")]
    assert updated["remaining"]["sagemaker"] == {
        "endpoints": ["churn"],
        "endpointConfigs": ["churn-v1", "churn-v2"],
        "scalableVariants": [],
        "scalingPolicies": [],
    }


def test_an_absent_endpoint_is_endpoint_not_found_and_nothing_is_made(local_run: Runner) -> None:
    [updated] = local_run([update(requestId="u-absent")])
    assert updated["status"] == "FAILED" and updated["error"] == "EndpointNotFound"
    # the turn's look for an operation under way on it (there is no endpoint), then the update's own
    assert updated["calls"] == ["sagemaker:DescribeEndpoint"] * 2
    assert updated["remaining"]["sagemaker"] == {
        "endpoints": [],
        "endpointConfigs": [],
        "scalableVariants": [],
        "scalingPolicies": [],
    }
    [(kind, detail)] = notifications(updated)
    assert kind == "Endpoint Failed" and "rollback" not in detail


def test_delete_replaced_config_removes_an_owned_config_and_keeps_a_foreign_one(local_run: Runner) -> None:
    first = {
        **CREATE,
        "params": {
            **CREATE["params"],
            "EndpointConfig": {"EndpointConfigName": "churn-v1", "ProductionVariants": [VARIANT]},
        },
    }
    to_v2 = update("churn-v2", requestId="u-2", options={"deleteReplacedConfig": True})
    to_v3 = update("churn-v3", inline=False, requestId="u-3", options={"deleteReplacedConfig": True})
    _, second, third = local_run(
        [first, to_v2, to_v3], {"sagemaker": {"existing": {"endpointConfigs": ["churn-v3"]}}}
    )
    assert second["status"] == "SUCCEEDED", second["cause"]
    [(_, detail)] = notifications(second)
    assert detail["update"]["replacedDeleted"] == "endpoint-config churn-v1"
    assert "churn-v1" not in second["remaining"]["sagemaker"]["endpointConfigs"]
    # churn-v2 was the controller's (made inline by u-2): u-3 replaces it and deletes it
    [(_, detail)] = notifications(third)
    assert detail["update"]["replacedDeleted"] == "endpoint-config churn-v2"
    assert third["remaining"]["sagemaker"]["endpointConfigs"] == ["churn-v3"]


def test_delete_replaced_config_keeps_a_config_the_controller_did_not_create(local_run: Runner) -> None:
    request = update("churn-v2", requestId="u-keep", options={"deleteReplacedConfig": True})
    _, updated = local_run([CREATE, request])  # churn-v1 was prepared, not created by the controller
    [(_, detail)] = notifications(updated)
    assert detail["update"]["replacedKept"] == "endpoint-config churn-v1 (not created by this controller)"
    assert "churn-v1" in updated["remaining"]["sagemaker"]["endpointConfigs"]
    assert "sagemaker:DeleteEndpointConfig" not in updated["calls"]


def test_an_update_sent_during_the_create_waits_its_turn_and_then_applies(template: dict[str, Any]) -> None:
    created, updated = during(
        template, CREATE, update(requestId="u-early"), {"sagemaker": {"createSeconds": 600}}
    )
    assert created["status"] == "SUCCEEDED"
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert notifications(updated)[0][1]["update"] == {"previous": "churn-v1", "requested": "churn-v2"}
    assert updated["calls"].count("sagemaker:UpdateEndpoint") == 1
    assert updated["virtualSeconds"] >= 600


def test_an_update_whose_answer_was_lost_is_not_sent_twice(local_run: Runner) -> None:
    scenario = {
        "sagemaker": {
            "faults": [{"operation": "UpdateEndpoint", "error": "InternalFailure", "applied": True}]
        }
    }
    _, updated = local_run([CREATE, update(requestId="u-lost")], scenario)
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert updated["calls"].count("sagemaker:UpdateEndpoint") == 1
    [(kind, detail)] = notifications(updated)
    assert kind == "Endpoint Updated" and detail["update"]["previous"] == "churn-v1"


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 60},
                    }
                }
            },
            "params.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.CanarySize.Value",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "LINEAR",
                        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 5},
                    }
                }
            },
            "params.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.LinearStepSize.Value",
        ),
        (
            {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 60},
                    "WaitIntervalInSeconds": 60,
                }
            },
            "params.DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 3601}
                }
            },
            "params.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"},
                    "MaximumExecutionTimeoutInSeconds": 599,
                }
            },
            "params.DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"},
                    "TerminationWaitInSeconds": 3601,
                }
            },
            "params.DeploymentConfig.BlueGreenUpdatePolicy.TerminationWaitInSeconds",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"},
                    "MaximumExecutionTimeoutInSeconds": 28801,
                }
            },
            "params.DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        ),
        (
            {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 4},
                    "WaitIntervalInSeconds": 60,
                }
            },
            "params.DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value",
        ),
        (
            {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": f"a{i}"} for i in range(11)]}},
            "params.DeploymentConfig.AutoRollbackConfiguration.Alarms",
        ),
        (
            {"AutoRollbackConfiguration": {"Alarms": []}},
            "params.DeploymentConfig.AutoRollbackConfiguration.Alarms",
        ),
        (
            {
                "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}},
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 60,
                },
            },
            "params.DeploymentConfig",
        ),
    ],
)
def test_each_bad_deployment_config_is_refused_naming_its_field(
    local_run: Runner, deployment: dict[str, Any], field: str
) -> None:
    request = update(requestId="u-bad")
    request["params"]["DeploymentConfig"] = deployment
    [refused] = local_run([request])
    assert refused["error"] == "InvalidRequest"
    [(_, detail)] = notifications(refused)
    assert field in detail["error"]["fields"], detail["error"]
    assert refused["calls"] == []


def test_a_guarded_update_must_keep_the_variant_names(local_run: Runner) -> None:
    request = update(requestId="u-variants")
    request["params"]["EndpointConfig"]["ProductionVariants"] = [{**VARIANT, "VariantName": "Blue"}]
    _, refused = local_run([CREATE, request])
    assert refused["error"] == "InvalidRequest"
    assert "params.EndpointConfigName" in notifications(refused)[0][1]["error"]["fields"]
    assert "sagemaker:CreateEndpointConfig" not in refused["calls"]
    assert "sagemaker:UpdateEndpoint" not in refused["calls"]


def test_update_only_fields_are_refused_elsewhere(local_run: Runner) -> None:
    request = {**CREATE, "options": {"deleteReplacedConfig": True}}
    [refused] = local_run([request])
    assert refused["error"] == "InvalidRequest"
    assert "options.deleteReplacedConfig" in notifications(refused)[0][1]["error"]["fields"]


def test_amazon_ml_has_no_update(local_run: Runner) -> None:
    [refused] = local_run([{"endpointType": "aml", "action": "update", "params": {"MLModelId": "model-1"}}])
    assert refused["error"] == "InvalidRequest"
    [(_, detail)] = notifications(refused)
    assert detail["error"]["fields"] == ["action"] and "no update" in detail["error"]["message"]
    assert refused["calls"] == []


NEPTUNE = {
    "endpointType": "neptune",
    "params": {"id": "np-1", "mlModelTrainingJobId": "job-1"},
    "requestId": "np-c",
}
NEPTUNE_UPDATE = {
    "endpointType": "neptune",
    "action": "update",
    "params": {"id": "np-1", "mlModelTrainingJobId": "job-2"},
    "requestId": "np-u",
}


def test_a_neptune_update_succeeds_in_place(local_run: Runner) -> None:
    _, updated = local_run([NEPTUNE, NEPTUNE_UPDATE], {"neptune": {"update": {"seconds": 400}}})
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    [(kind, detail)] = notifications(updated)
    assert kind == "Endpoint Updated" and detail["update"]["requested"] == "job-2"
    assert updated["readyAfterSeconds"] == pytest.approx(400, abs=1)
    assert "neptunedata:DeleteMLEndpoint" not in updated["calls"]
    assert updated["remaining"]["neptune"]["endpoints"] == ["np-1"]


def test_a_failed_neptune_update_never_deletes_the_endpoint(local_run: Runner) -> None:
    _, updated = local_run([NEPTUNE, NEPTUNE_UPDATE], {"neptune": {"update": {"outcome": "Failed"}}})
    assert updated["error"] == "EndpointUpdateFailed"
    assert "neptunedata:DeleteMLEndpoint" not in updated["calls"]
    assert updated["remaining"]["neptune"]["endpoints"] == ["np-1"]


def test_a_neptune_update_needs_an_id_and_an_endpoint(local_run: Runner) -> None:
    no_id = {**NEPTUNE_UPDATE, "params": {"mlModelTrainingJobId": "job-2"}, "requestId": "np-noid"}
    [refused] = local_run([no_id])
    assert refused["error"] == "InvalidRequest"
    assert "params.id" in notifications(refused)[0][1]["error"]["fields"]
    [absent] = local_run([NEPTUNE_UPDATE])
    assert absent["error"] == "EndpointNotFound"
    assert absent["remaining"]["neptune"]["endpoints"] == []


# -- one operation per endpoint at a time ---------------------------------------------------------
def test_two_updates_sent_together_both_apply_one_after_the_other(local_run: Runner) -> None:
    [created] = local_run([CREATE])
    assert created["status"] == "SUCCEEDED"
    scenario = {
        "sagemaker": {
            "existing": {
                "endpoints": [
                    {
                        "EndpointName": "churn",
                        "EndpointConfigName": "churn-v1",
                        "Tags": [
                            {"Key": "ml-endpoint-controller:request-id", "Value": "create-1"},
                            {"Key": "ml-endpoint-controller:managed-by", "Value": "ml-endpoint-controller"},
                        ],
                    }
                ],
                "endpointConfigs": ["churn-v1"],
            },
            "update": {"seconds": 600},
        }
    }
    first, second = local_run(
        [update("churn-v2", requestId="u-a"), update("churn-v3", requestId="u-b")], scenario, parallel=True
    )
    assert first["status"] == second["status"] == "SUCCEEDED", (first["cause"], second["cause"])
    changes = sorted(
        (notifications(r)[0][1]["update"]["previous"], notifications(r)[0][1]["update"]["requested"])
        for r in (first, second)
    )
    # one ran on the other's result: v1 -> x, then x -> y
    assert changes in (
        [("churn-v1", "churn-v2"), ("churn-v2", "churn-v3")],
        [("churn-v1", "churn-v3"), ("churn-v3", "churn-v2")],
    )
    assert (
        first["calls"].count("sagemaker:UpdateEndpoint") + second["calls"].count("sagemaker:UpdateEndpoint")
        == 2
    )
    later = max(first, second, key=lambda r: r["virtualSeconds"])
    assert later["virtualSeconds"] >= 1200  # it waited for the first update, then made its own


def test_a_delete_sent_during_a_create_runs_after_it(template: dict[str, Any]) -> None:
    delete = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "churn"},
        "requestId": "d-1",
    }
    created, deleted = during(template, CREATE, delete, {"sagemaker": {"createSeconds": 300}})
    assert created["status"] == "SUCCEEDED"
    assert notifications(created)[0][0] == "Endpoint Ready"
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    [(kind, detail)] = notifications(deleted)
    assert kind == "Endpoint Deleted" and not detail.get("alreadyAbsent")
    # it waited its turn without asking the service: its first calls came once the create was done
    # (whether the endpoint hosts the controller's inference components, then the endpoint itself)
    assert deleted["calls"][:2] == ["sagemaker:ListInferenceComponents", "sagemaker:DescribeEndpoint"]
    assert deleted["remaining"]["sagemaker"]["endpoints"] == []


def during(
    template: dict[str, Any], first: dict[str, Any], second: dict[str, Any], scenario: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start ``second`` once ``first`` has been accepted (its validate step answered), both in
    one simulated world; their results."""
    from endpointctl.runner import LocalRunner, quiet_stdout

    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        runner.clock.started()
        runner.clock.started()  # the clock waits for the second too
        one = runner.start(first, registered=True)
        deadline = time.monotonic() + 30
        while not one.progress and time.monotonic() < deadline:
            time.sleep(0.005)
        two = runner.start(second, registered=True)
        runner.wait([one, two])
        return runner.result(one), runner.result(two)


def test_a_request_whose_endpoint_stays_busy_ends_endpoint_busy_having_touched_nothing(
    template: dict[str, Any],
) -> None:
    slow = {**CREATE, "options": {"timeoutSeconds": 3000}}
    waiting = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "churn"},
        "options": {"timeoutSeconds": 120},
        "requestId": "d-busy",
    }
    created, busy = during(template, slow, waiting, {"sagemaker": {"createSeconds": 1800}})
    assert created["status"] == "SUCCEEDED"
    assert busy["status"] == "FAILED" and busy["error"] == "EndpointBusy"
    [(_, detail)] = notifications(busy)
    assert detail["error"]["code"] == "EndpointBusy" and "rollback" not in detail
    assert busy["calls"] == []
    assert busy["virtualSeconds"] <= 125
    assert created["remaining"]["sagemaker"]["endpoints"] == ["churn"]


def test_the_update_sample_reads_as_a_person_would_want(capsys: pytest.CaptureFixture[str]) -> None:
    from endpointctl import project_root
    from endpointctl.cli import main

    events = project_root() / "events"
    scenario = events / "scenarios" / "sagemaker-update-rolled-back.json"
    code = main(["local", "run", str(events / "sagemaker-update-canary.json"), "--scenario", str(scenario)])
    out = capsys.readouterr().out
    assert code == 1
    assert "update sent: churn-config-v3 → churn-config-v4 (created endpoint-config churn-config-v4)" in out
    assert "rollback finished: deleted endpoint-config churn-config-v4" in out
    assert "UpdateRolledBack" in out and "canary's baking period" in out


def test_deployment_events_come_twice_and_out_of_order_and_change_nothing(template: dict[str, Any]) -> None:
    from endpointctl.runner import LocalRunner, quiet_stdout

    with quiet_stdout(), LocalRunner(template, {"sagemaker": {"update": {"seconds": 1000}}}) as runner:
        created = runner.start(CREATE)
        runner.wait([created])
        updated = runner.start(update(requestId="u-events"))
        runner.wait([updated])
        result = runner.result(updated)
        phases = [
            e["detail"]["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["Status"]
            for e in runner.bus.events
            if e["detail-type"] == "SageMaker Endpoint Deployment State Change"
        ]
    # each phase twice; the first phase's copy after the second phase
    assert sorted(phases) == sorted(["Creating", "ActivatingTraffic", "Baking"] * 2)
    assert phases.index("ActivatingTraffic") < len(phases) - 1 - phases[::-1].index("Creating")
    assert result["status"] == "SUCCEEDED", result["cause"]
    assert [e["detail-type"] for e in result["notifications"]["events"]] == ["Endpoint Updated"]
    assert result["readyAfterSeconds"] == pytest.approx(1000, abs=1)


def test_a_polled_update_shows_its_deployment_phases(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from endpointctl import project_root
    from endpointctl.cli import main

    events = project_root() / "events"
    request = json.loads((events / "sagemaker-update-canary.json").read_text())
    request["options"]["pollIntervalSeconds"] = 300
    path = tmp_path / "update.json"
    path.write_text(json.dumps(request))
    scenario = events / "scenarios" / "sagemaker-update-rolled-back.json"
    assert main(["local", "run", str(path), "--scenario", str(scenario)]) == 1
    out = capsys.readouterr().out
    assert "check     Updating (ActivatingTraffic)" in out
    assert "check     Updating (Baking)" in out
    assert "UpdateRolledBack" in out


@pytest.mark.parametrize("shape", ["serverless", "two-variants"])
def test_a_rolling_update_of_a_serverless_or_multi_variant_endpoint_is_refused(
    local_run: Runner, shape: str
) -> None:
    rolling = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        }
    }
    request = update(requestId=f"u-rolling-{shape}")
    request["params"]["DeploymentConfig"] = rolling
    if shape == "serverless":
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": "m2",
            "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
        }
        request["params"]["EndpointConfig"]["ProductionVariants"] = [variant]
    else:
        request["params"]["EndpointConfig"]["ProductionVariants"] = [
            VARIANT,
            {**VARIANT, "VariantName": "Shadow"},
        ]
    _, refused = local_run([CREATE, request])
    assert refused["error"] == "InvalidRequest"
    assert (
        "params.DeploymentConfig.RollingUpdatePolicy"
        in refused["notifications"]["events"][0]["detail"]["error"]["fields"]
    )
    assert (
        "sagemaker:CreateEndpointConfig" not in refused["calls"]
        and "sagemaker:UpdateEndpoint" not in refused["calls"]
    )
