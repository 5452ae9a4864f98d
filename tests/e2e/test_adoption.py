"""An update acts only on what the controller owns (docs/requests.md, docs/requests.md#the-outcome ``EndpointNotOwned``): an
endpoint it neither created nor adopted is refused, untouched, unless the request says
``options.adopt: true``; adopting records the endpoint as the controller's (its claim and, for
SageMaker, its ownership tags) before the update is sent, so a later delete treats it as the
controller's own, and no failure of the adopting update deletes it.

Every request runs through the synthesized state machines, every call authorized against the
synthesized IAM: the function's role may send ``UpdateEndpoint`` only to an endpoint that carries
the ownership tag.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.helpers import OWNER_TAG, detail_type, nothing_deleted, one_notification

pytestmark = pytest.mark.slow

MANAGED_TAG = "ml-endpoint-controller:managed-by"
VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": "m2",
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 1,
}
#: ``legacy``: made elsewhere (by hand, another tool), on a config of its own, with a tag of its owner.
FOREIGN = {
    "EndpointName": "legacy",
    "EndpointConfigName": "legacy-v1",
    "Tags": [{"Key": "team", "Value": "other"}],
}


def world(**sagemaker: Any) -> dict[str, Any]:
    return {"sagemaker": {"existing": {"endpoints": [FOREIGN]}, "update": {"seconds": 300}, **sagemaker}}


def update(
    request_id: str, config: str = "legacy-v2", *, adopt: bool | None = None, **options: Any
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "endpointType": "sagemaker",
        "action": "update",
        "params": {
            "EndpointName": "legacy",
            "EndpointConfigName": config,
            "EndpointConfig": {"EndpointConfigName": config, "ProductionVariants": [VARIANT]},
        },
        "requestId": request_id,
    }
    if adopt is not None:
        options["adopt"] = adopt
    if options:
        request["options"] = options
    return request


def delete(request_id: str, name: str = "legacy") -> dict[str, Any]:
    return {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": name},
        "requestId": request_id,
    }


def run_and_look(
    template: dict[str, Any], requests: list[dict[str, Any]], scenario: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, str]]:
    """The results, and the endpoint ``legacy`` at the end (``DescribeEndpoint``, ``ListTags``)."""
    import boto3
    from botocore.exceptions import ClientError

    from endpointctl.runner import LocalRunner, quiet_stdout
    from endpointctl.template import REGION

    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        results = runner.run(requests)
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        try:
            endpoint = dict(sagemaker.describe_endpoint(EndpointName="legacy"))
        except ClientError:
            return results, None, {}
        tags = sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    return results, endpoint, {t["Key"]: t["Value"] for t in tags}


# -- not owned: refused, untouched ----------------------------------------------------------------
def test_an_update_of_an_endpoint_the_controller_did_not_create_is_endpoint_not_owned(
    template: dict[str, Any],
) -> None:
    [refused], endpoint, tags = run_and_look(template, [update("u-foreign")], world())

    assert (refused["status"], refused["error"]) == ("FAILED", "EndpointNotOwned"), refused["cause"]
    detail = one_notification(refused)
    assert detail_type(refused) == "Endpoint Failed"
    assert detail["status"] == "FAILED" and detail["action"] == "update"
    assert detail["endpointId"] == "legacy" and detail["error"]["code"] == "EndpointNotOwned"
    assert "options.adopt" in detail["error"]["message"]
    assert "rollback" not in detail and "adopted" not in detail
    # it only looked: no config made, no tag added, no update sent, no scaling touched
    assert set(refused["calls"]) <= {"sagemaker:DescribeEndpoint", "sagemaker:ListTags"}, refused["calls"]
    assert refused["remaining"]["sagemaker"] == {
        "endpoints": ["legacy"],
        "endpointConfigs": ["legacy-v1"],
        "scalableVariants": [],
        "scalingPolicies": [],
    }
    assert endpoint is not None and endpoint["EndpointConfigName"] == "legacy-v1"
    assert endpoint["EndpointStatus"] == "InService"
    assert tags == {"team": "other"}


def test_a_refused_update_leaves_the_scaling_of_its_variants_alone(local_run: Any) -> None:
    scenario = world(autoScaling={"legacy": {"AllTraffic": {"MinCapacity": 1, "MaxCapacity": 4}}})
    request = update("u-scaled")
    request["params"]["EndpointConfig"]["ProductionVariants"] = [{**VARIANT, "InstanceType": "ml.c5.xlarge"}]

    [refused] = local_run([request], scenario)

    assert refused["error"] == "EndpointNotOwned"
    assert not [c for c in refused["calls"] if c.startswith("application-autoscaling:")]
    assert refused["remaining"]["sagemaker"]["scalableVariants"] == ["legacy/AllTraffic"]


# -- adopted: the controller's from then on ---------------------------------------------------------
def test_an_adopting_update_tags_the_endpoint_first_and_a_later_delete_is_allowed(
    template: dict[str, Any],
) -> None:
    [updated, deleted], _, _ = run_and_look(
        template, [update("u-adopt", adopt=True), delete("d-adopted")], world()
    )

    assert updated["status"] == "SUCCEEDED", updated["cause"]
    detail = one_notification(updated)
    assert detail_type(updated) == "Endpoint Updated"
    assert detail["status"] == "UPDATED" and detail["adopted"] is True
    assert detail["update"] == {"previous": "legacy-v1", "requested": "legacy-v2"}
    calls = updated["calls"]
    assert calls.index("sagemaker:AddTags") < calls.index("sagemaker:UpdateEndpoint")
    assert nothing_deleted(updated)

    # the controller's own now: deleted without allowUnmanagedDeletes
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    assert detail_type(deleted) == "Endpoint Deleted"
    assert one_notification(deleted)["alreadyAbsent"] is False
    assert deleted["remaining"]["sagemaker"]["endpoints"] == []


def test_the_adopted_endpoint_carries_the_adopting_requests_tags(template: dict[str, Any]) -> None:
    [updated], endpoint, tags = run_and_look(template, [update("u-adopt", adopt=True)], world())

    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert endpoint is not None and endpoint["EndpointConfigName"] == "legacy-v2"
    # its owner's tag kept; the controller's added (SageMaker's ListTags), this stack's name among them
    assert tags == {
        "team": "other",
        OWNER_TAG: "u-adopt",
        "ml-endpoint-controller:stack": "MlEndpointController",
        MANAGED_TAG: "ml-endpoint-controller",
    }


def test_an_update_that_sagemaker_rolls_back_keeps_the_adopted_endpoint_and_its_ownership(
    template: dict[str, Any],
) -> None:
    scenario = world(update={"seconds": 600, "outcome": "RolledBack", "failureReason": "Alarm legacy-5xx"})
    [rolled_back, second], endpoint, tags = run_and_look(
        template, [update("u-rb", adopt=True), update("u-again", "legacy-v3")], scenario
    )

    assert rolled_back["error"] == "UpdateRolledBack", rolled_back["cause"]
    detail = one_notification(rolled_back)
    assert detail["adopted"] is True
    assert detail["rollback"]["deleted"] == ["endpoint-config legacy-v2"]  # what the update made
    assert "sagemaker:DeleteEndpoint" not in rolled_back["calls"]
    assert rolled_back["remaining"]["sagemaker"]["endpoints"] == ["legacy"]
    # still the controller's: the next update (without adopt) goes ahead, and adopts nothing
    assert second["error"] == "UpdateRolledBack", second["cause"]
    assert "adopted" not in one_notification(second) and "sagemaker:AddTags" not in second["calls"]
    assert endpoint is not None and endpoint["EndpointConfigName"] == "legacy-v1"
    assert tags[OWNER_TAG] == "u-rb"


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        (world(update={"seconds": 600, "outcome": "Failed"}), "EndpointUpdateFailed"),
        (world(faults=[{"operation": "UpdateEndpoint", "error": "ValidationException"}]), "ProviderError"),
    ],
    ids=["endpoint-failed", "update-refused"],
)
def test_a_failed_adopting_update_never_deletes_the_endpoint_and_keeps_its_ownership(
    template: dict[str, Any], scenario: dict[str, Any], code: str
) -> None:
    [failed, deleted], _, _ = run_and_look(
        template, [update("u-fail", adopt=True), delete("d-after")], scenario
    )

    assert failed["error"] == code, failed["cause"]
    detail = one_notification(failed)
    # said also when the Create step itself failed after adopting (its ledger says so)
    assert detail["adopted"] is True
    assert "sagemaker:DeleteEndpoint" not in failed["calls"]
    assert failed["remaining"]["sagemaker"]["endpoints"] == ["legacy"]
    assert "sagemaker:AddTags" in failed["calls"]
    # the claim was neither rolled back nor released: a delete finds it the controller's
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    assert detail_type(deleted) == "Endpoint Deleted"
    assert deleted["remaining"]["sagemaker"]["endpoints"] == []


def test_a_stopped_adopting_update_is_cleaned_up_without_deleting_the_endpoint(local_run: Any) -> None:
    scenario = {**world(), "abortAtSeconds": 100}

    [stopped] = local_run([update("u-stopped", adopt=True)], scenario, until=3000)

    assert stopped["status"] == "ABORTED"
    detail = one_notification(stopped)  # the clean-up's
    assert detail["error"]["code"] == "ExecutionAborted" and detail["adopted"] is True
    assert "sagemaker:DeleteEndpoint" not in stopped["calls"]
    assert stopped["remaining"]["sagemaker"]["endpoints"] == ["legacy"]


def test_adopting_an_endpoint_the_controller_created_is_just_an_update(local_run: Any) -> None:
    create = {
        "endpointType": "sagemaker",
        "params": {"EndpointName": "legacy", "EndpointConfigName": "legacy-v1"},
        "requestId": "c-own",
    }
    scenario = {"sagemaker": {"existing": {"endpointConfigs": ["legacy-v1"]}, "update": {"seconds": 300}}}
    _, adopting, plain = local_run(
        [create, update("u-own", adopt=True), update("u-plain", "legacy-v3")], scenario
    )

    assert adopting["status"] == "SUCCEEDED", adopting["cause"]
    assert "adopted" not in one_notification(adopting)
    assert "sagemaker:AddTags" not in adopting["calls"]
    # an update of its own endpoint without adopt: as before, no `adopted`
    assert plain["status"] == "SUCCEEDED", plain["cause"]
    assert "adopted" not in one_notification(plain)
    assert plain["remaining"]["sagemaker"]["endpoints"] == ["legacy"]


def test_an_update_of_an_absent_endpoint_stays_endpoint_not_found(local_run: Any) -> None:
    [absent] = local_run([update("u-absent", adopt=True)], {})

    assert absent["error"] == "EndpointNotFound"
    assert "adopted" not in one_notification(absent)
    assert absent["remaining"]["sagemaker"]["endpoints"] == []


@pytest.mark.parametrize("action", ["create", "delete"])
def test_adopt_applies_to_an_update_only(local_run: Any, action: str) -> None:
    params = (
        {"EndpointName": "legacy", "EndpointConfigName": "legacy-v1"}
        if action == "create"
        else {"EndpointName": "legacy"}
    )
    request = {"endpointType": "sagemaker", "action": action, "params": params, "options": {"adopt": True}}

    [refused] = local_run([request], world())

    assert refused["error"] == "InvalidRequest"
    detail = one_notification(refused)
    assert detail["error"]["fields"] == ["options.adopt"]
    assert refused["calls"] == []


# -- IAM: the function's role updates only tagged endpoints --------------------------------------
def test_without_the_functions_guard_iam_denies_the_update_of_an_untagged_endpoint(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from controller import adoption

    monkeypatch.setattr(adoption, "admit", lambda state, provider: False)  # the guard removed
    [denied], endpoint, _ = run_and_look(template, [update("u-unguarded")], world())

    assert denied["error"] == "ProviderError", denied["cause"]
    message = one_notification(denied)["error"]["message"]
    assert "not authorized to perform: sagemaker:UpdateEndpoint" in message, message
    assert endpoint is not None and endpoint["EndpointConfigName"] == "legacy-v1"


# -- Neptune ML: ownership is the controller's claim ------------------------------------------------
NEPTUNE_WORLD = {"neptune": {"existing": {"endpoints": ["graph"]}, "update": {"seconds": 300}}}


def neptune_update(request_id: str, **options: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "endpointType": "neptune",
        "action": "update",
        "params": {"id": "graph", "mlModelTrainingJobId": "job-2"},
        "requestId": request_id,
    }
    if options:
        request["options"] = options
    return request


def test_a_neptune_update_of_an_endpoint_made_elsewhere_is_endpoint_not_owned(local_run: Any) -> None:
    [refused] = local_run([neptune_update("n-foreign")], NEPTUNE_WORLD)

    assert refused["error"] == "EndpointNotOwned", refused["cause"]
    detail = one_notification(refused)
    assert detail["error"]["code"] == "EndpointNotOwned" and "options.adopt" in detail["error"]["message"]
    assert set(refused["calls"]) == {"neptunedata:GetMLEndpoint"}
    assert refused["remaining"]["neptune"]["endpoints"] == ["graph"]


def test_a_neptune_adoption_updates_the_endpoint_then_a_delete_is_allowed(local_run: Any) -> None:
    deletion = {
        "endpointType": "neptune",
        "action": "delete",
        "params": {"id": "graph"},
        "requestId": "n-delete",
    }
    updated, deleted = local_run([neptune_update("n-adopt", adopt=True), deletion], NEPTUNE_WORLD)

    assert updated["status"] == "SUCCEEDED", updated["cause"]
    detail = one_notification(updated)
    assert detail_type(updated) == "Endpoint Updated" and detail["adopted"] is True
    assert "neptunedata:CreateMLEndpoint" in updated["calls"] and nothing_deleted(updated)
    assert deleted["status"] == "SUCCEEDED", deleted["cause"]
    assert detail_type(deleted) == "Endpoint Deleted" and one_notification(deleted)["alreadyAbsent"] is False
    assert deleted["remaining"]["neptune"]["endpoints"] == []


def test_the_adopt_option_is_in_the_request_model() -> None:
    from controller.request import Options

    assert Options().adopt is False
    assert json.loads(Options(adopt=True).model_dump_json())["adopt"] is True
