"""One operation per endpoint, also when the other operation is not the controller's
(``EndpointBusy`` in docs/requests.md#the-outcome; docs/updates-and-expiry.md): an update sent while someone else (the console, another tool) is updating
the endpoint waits for that operation to settle, as it waits behind the controller's own, and then
applies; if its own deadline passes first it ends ``EndpointBusy`` having touched nothing.

The foreign operation is started with boto3 straight against the simulated service, inside the
runner's world, just before the controller's request.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow

#: How long any simulated update takes (the foreign one and the controller's).
UPDATE_SECONDS = 600
#: How often a waiting request looks again (``controller.turns.TURN_SECONDS``).
TURN_SECONDS = 30

CREATE = {
    "endpointType": "sagemaker",
    "params": {"EndpointName": "churn", "EndpointConfigName": "churn-v1"},
    "requestId": "create-1",
}
VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": "m2",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 1,
}
SAGEMAKER_WORLD = {
    "sagemaker": {"existing": {"endpointConfigs": ["churn-foreign"]}, "update": {"seconds": UPDATE_SECONDS}}
}


def sagemaker_update(request_id: str, **options: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "endpointType": "sagemaker",
        "action": "update",
        "params": {
            "EndpointName": "churn",
            "EndpointConfigName": "churn-v2",
            "EndpointConfig": {"EndpointConfigName": "churn-v2", "ProductionVariants": [VARIANT]},
        },
        "requestId": request_id,
    }
    if options:
        request["options"] = options
    return request


def during_foreign_sagemaker_update(
    template: dict[str, Any], requests: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The controller creates ``churn``; someone else updates it to ``churn-foreign`` with
    SageMaker's own API; at that moment ``requests`` are sent, one after another. Their results,
    and ``DescribeEndpoint`` of the endpoint at the end."""
    import boto3

    from endpointctl.runner import LocalRunner, quiet_stdout
    from endpointctl.template import REGION

    with quiet_stdout(), LocalRunner(template, SAGEMAKER_WORLD) as runner:
        created = runner.start(CREATE)
        runner.wait([created])
        assert runner.result(created)["status"] == "SUCCEEDED"
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-foreign")
        assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Updating"
        results = []
        for request in requests:
            run = runner.start(request)
            runner.wait([run])
            results.append(runner.result(run))
        return results, dict(sagemaker.describe_endpoint(EndpointName="churn"))


def before_the_update(calls: list[str], operation: str) -> list[str]:
    assert calls.count(operation) == 1, calls
    return calls[: calls.index(operation)]


def test_an_update_during_someone_elses_update_waits_for_it_then_applies(template: dict[str, Any]) -> None:
    [updated], endpoint = during_foreign_sagemaker_update(template, [sagemaker_update("u-after")])

    assert updated["status"] == "SUCCEEDED", updated["cause"]
    detail = one_notification(updated)
    assert updated["notifications"]["events"][0]["detail-type"] == "Endpoint Updated"
    assert detail["status"] == "UPDATED"
    # it read the endpoint once the foreign update had settled: that update's config is what it replaced
    assert detail["update"] == {"previous": "churn-foreign", "requested": "churn-v2"}
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v2")
    assert "PendingDeploymentSummary" not in endpoint
    # while it waited it only looked: one DescribeEndpoint per turn, until the foreign update settled
    # (then whose the endpoint is: its tags; then the account's instances for the quota check)
    made = before_the_update(updated["calls"], "sagemaker:CreateEndpointConfig")
    assert {call for call in made if not call.startswith("service-quotas:")} == {
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListTags",
        "sagemaker:ListEndpoints",
    }
    waiting = made[: made.index("sagemaker:DescribeEndpointConfig")]
    assert len(waiting) >= UPDATE_SECONDS // TURN_SECONDS
    assert "sagemaker:UpdateEndpoint" not in made
    # its own UpdateEndpoint went out only after the foreign one settled: the simulated update takes
    # UPDATE_SECONDS from the call, and it ended at least that long after the foreign update did
    assert updated["readyAfterSeconds"] >= 2 * UPDATE_SECONDS
    assert updated["virtualSeconds"] >= updated["readyAfterSeconds"]
    assert updated["virtualSeconds"] <= 2 * UPDATE_SECONDS + 2 * TURN_SECONDS + 10
    assert not [c for c in updated["calls"] if ":Delete" in c]
    assert updated["remaining"]["sagemaker"]["endpoints"] == ["churn"]


def test_an_update_whose_deadline_passes_first_ends_endpoint_busy_having_touched_nothing(
    template: dict[str, Any],
) -> None:
    busy_request = sagemaker_update("u-busy", timeoutSeconds=300)
    [busy, after], endpoint = during_foreign_sagemaker_update(
        template, [busy_request, sagemaker_update("u-next")]
    )

    assert busy["status"] == "FAILED" and busy["error"] == "EndpointBusy", busy["cause"]
    detail = one_notification(busy)
    assert detail["status"] == "FAILED" and detail["error"]["code"] == "EndpointBusy"
    message = detail["error"]["message"]
    assert "churn is Updating" in message and "not this controller's" in message, message
    assert "rollback" not in detail
    # it only looked: no config made, no update sent, nothing deleted
    assert set(busy["calls"]) == {"sagemaker:DescribeEndpoint"}
    assert busy["calls"].count("sagemaker:DescribeEndpoint") >= 300 // TURN_SECONDS
    assert 300 <= busy["virtualSeconds"] <= 305
    assert busy["remaining"]["sagemaker"]["endpoints"] == ["churn"]
    assert busy["remaining"]["sagemaker"]["endpointConfigs"] == ["churn-foreign", "churn-v1"]

    # it gave the endpoint's lease up: the next request waits for the foreign update only, then applies
    assert after["status"] == "SUCCEEDED", after["cause"]
    assert one_notification(after)["update"] == {"previous": "churn-foreign", "requested": "churn-v2"}
    assert endpoint["EndpointConfigName"] == "churn-v2"


def test_the_free_path_of_an_update_costs_one_read_and_nothing_else(
    local_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look for a foreign operation adds no state, transition or Lambda invocation when the
    endpoint is free: only the read itself (inside Validate)."""
    from controller.providers.base import Provider
    from controller.providers.sagemaker import SageMakerProvider
    from endpointctl.runner import lambdas
    from endpointctl.runner.invoke import call_handler

    steps: list[str] = []

    def counted(function_name: str, event: Any, response_headers: dict[str, str]) -> Any:
        steps.append(str(event.get("step") or event.get("detail-type")) if isinstance(event, dict) else "?")
        return call_handler(function_name, event, response_headers)

    # Counted here: the result's lambdaInvocations may miss a Validate that runs before the runner
    # has registered the execution it just started.
    monkeypatch.setattr(lambdas, "call_handler", counted)
    _, looked = local_run([CREATE, sagemaker_update("u-free")])
    looked_steps, steps[:] = list(steps), []
    monkeypatch.setattr(SageMakerProvider, "occupied", Provider.occupied)  # the default: no call
    _, blind = local_run([CREATE, sagemaker_update("u-free")])

    assert looked["status"] == blind["status"] == "SUCCEEDED", (looked["cause"], blind["cause"])
    assert looked["stateTransitions"] == blind["stateTransitions"]
    assert sorted(looked_steps) == sorted(steps)
    assert "turn" not in steps
    assert looked["calls"] == ["sagemaker:DescribeEndpoint", *blind["calls"]]


# -- Neptune ML ---------------------------------------------------------------------------------------
#: ``np-1``: an endpoint the controller created earlier (its record of it is in the requests table).
NEPTUNE_WORLD = {
    "neptune": {
        "existing": {"endpoints": [{"id": "np-1", "createdBy": "np-create"}]},
        "update": {"seconds": UPDATE_SECONDS},
    }
}


def neptune_update(request_id: str, **options: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "endpointType": "neptune",
        "action": "update",
        "params": {"id": "np-1", "mlModelTrainingJobId": "job-2"},
        "requestId": request_id,
    }
    if options:
        request["options"] = options
    return request


def during_foreign_neptune_update(template: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Someone else updates Neptune ML endpoint ``np-1`` (``CreateMLEndpoint`` with ``update: true``
    through the data API); at that moment ``request`` is sent. Its result."""
    import boto3

    from endpointctl.runner import LocalRunner, quiet_stdout
    from endpointctl.template import REGION

    with quiet_stdout(), LocalRunner(template, NEPTUNE_WORLD) as runner:
        runner.prepare(
            {"endpointType": "neptune", "params": {"id": "np-1", "mlModelTrainingJobId": "job-foreign"}}
        )
        neptune = boto3.client("neptunedata", region_name=REGION)
        neptune.create_ml_endpoint(id="np-1", mlModelTrainingJobId="job-foreign", update=True)
        assert neptune.get_ml_endpoint(id="np-1")["status"] == "Updating"
        run = runner.start(request)
        runner.wait([run])
        return runner.result(run)


def test_a_neptune_update_during_someone_elses_update_waits_for_it_then_applies(
    template: dict[str, Any],
) -> None:
    updated = during_foreign_neptune_update(template, neptune_update("np-after"))

    assert updated["status"] == "SUCCEEDED", updated["cause"]
    detail = one_notification(updated)
    assert updated["notifications"]["events"][0]["detail-type"] == "Endpoint Updated"
    assert detail["update"]["requested"] == "job-2"
    waiting = before_the_update(updated["calls"], "neptunedata:CreateMLEndpoint")
    assert waiting.count("neptunedata:GetMLEndpoint") >= UPDATE_SECONDS // TURN_SECONDS
    # its own update went out after the foreign one settled, and took the service's whole time
    assert updated["readyAfterSeconds"] >= 2 * UPDATE_SECONDS
    assert "neptunedata:DeleteMLEndpoint" not in updated["calls"]
    assert updated["remaining"]["neptune"]["endpoints"] == ["np-1"]


def test_a_neptune_update_whose_deadline_passes_first_ends_endpoint_busy(template: dict[str, Any]) -> None:
    busy = during_foreign_neptune_update(template, neptune_update("np-busy", timeoutSeconds=300))

    assert busy["status"] == "FAILED" and busy["error"] == "EndpointBusy", busy["cause"]
    detail = one_notification(busy)
    message = detail["error"]["message"]
    assert "np-1 is Updating" in message and "not this controller's" in message, message
    assert "rollback" not in detail
    assert set(busy["calls"]) == {"neptunedata:GetMLEndpoint"}
    assert 300 <= busy["virtualSeconds"] <= 305
    assert busy["remaining"]["neptune"]["endpoints"] == ["np-1"]
