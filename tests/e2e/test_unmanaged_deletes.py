"""``allowUnmanagedDeletes`` (docs/requests.md): a deployment may let ``action: delete`` remove endpoints
the controller did not create. The SageMaker function's own role still may not (its delete
statements need the ownership tag): such a delete assumes the deployment's unmanaged-delete role,
which only the delete step ever uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from endpointctl.runner import run_requests
from endpointctl.template import resources
from tests.e2e.helpers import one_notification
from tests.infra.contexts import CUSTOM

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def allowing(custom_template: dict[str, Any]) -> dict[str, Any]:
    """The tests' shared custom context (tests/infra/contexts.py) sets ``allowUnmanagedDeletes``."""
    assert CUSTOM["allowUnmanagedDeletes"] is True
    return custom_template


def test_the_deployment_adds_a_role_only_the_sagemaker_function_may_assume(allowing: dict[str, Any]) -> None:
    [role] = [r for lid, r in resources(allowing, "AWS::IAM::Role").items() if "UnmanagedDelete" in lid]
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"]["AWS"]["Fn::GetAtt"][0].startswith("SageMakerFunctionRole")


def test_the_role_may_deregister_scalable_targets_and_nothing_else_of_application_auto_scaling(
    allowing: dict[str, Any],
) -> None:
    [policy] = [p for lid, p in resources(allowing, "AWS::IAM::Policy").items() if "UnmanagedDelete" in lid]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    scaling = [s for s in statements if "application-autoscaling" in json.dumps(s["Action"])]
    assert [(s["Sid"], s["Action"]) for s in scaling] == [
        ("DeregisterVariantScaling", "application-autoscaling:DeregisterScalableTarget")
    ]
    assert json.dumps(scaling[0]["Resource"]).endswith(':scalable-target/*"]]}')


def test_a_delete_of_someone_elses_endpoint_is_allowed_by_the_deployment(allowing: dict[str, Any]) -> None:
    scenario = {
        "sagemaker": {"existing": {"endpoints": [{"EndpointName": "legacy", "EndpointConfigName": "shared"}]}}
    }
    request = {
        "action": "delete",
        "endpointType": "sagemaker",
        "params": {"EndpointName": "legacy", "DeleteEndpointConfig": True},
    }

    _, [result] = run_requests(allowing, [request], scenario)

    assert result["status"] == "SUCCEEDED", result["cause"]
    detail = one_notification(result)
    assert detail["status"] == "DELETED" and detail["alreadyAbsent"] is False
    assert (
        "sagemaker:DeleteEndpoint" in result["calls"] and "sagemaker:DeleteEndpointConfig" in result["calls"]
    )
    assert result["remaining"]["sagemaker"] == {
        "endpoints": [],
        "endpointConfigs": [],
        "scalableVariants": [],
        "scalingPolicies": [],
    }


def test_without_the_role_the_same_delete_is_denied_by_iam(allowing: dict[str, Any]) -> None:
    # The same world, the delete step's role taken away: IAM refuses the function's own role.
    text = json.dumps(allowing)
    from controller import catalog

    assert text.count('roleArn\\":') == len(catalog.names())  # one per state machine
    stripped = json.loads(text.replace('roleArn\\":', 'ignored\\":'))
    scenario = {"sagemaker": {"existing": {"endpoints": ["legacy"]}}}
    request = {"action": "delete", "endpointType": "sagemaker", "params": {"EndpointName": "legacy"}}

    _, [result] = run_requests(stripped, [request], scenario)

    assert result["error"] == "ProviderError"
    assert (
        "not authorized to perform: sagemaker:DeleteEndpoint" in one_notification(result)["error"]["message"]
    )
    assert result["remaining"]["sagemaker"]["endpoints"] == ["legacy"]


def test_a_delete_of_someone_elses_scaled_endpoint_deregisters_its_variants(allowing: dict[str, Any]) -> None:
    """SageMaker deregisters a deleted endpoint's scalable targets with the caller's permissions
    ("Update or delete endpoints that use automatic scaling"): the unmanaged-delete role has them."""
    scenario = {
        "sagemaker": {
            "existing": {"endpoints": ["legacy"]},
            "autoScaling": {"legacy": {"AllTraffic": {"MinCapacity": 1, "MaxCapacity": 4}}},
        }
    }
    request = {"action": "delete", "endpointType": "sagemaker", "params": {"EndpointName": "legacy"}}

    _, [result] = run_requests(allowing, [request], scenario)

    assert result["status"] == "SUCCEEDED", result["cause"]
    detail = one_notification(result)
    assert detail["status"] == "DELETED" and detail["alreadyAbsent"] is False
    assert result["calls"].count("sagemaker:DeleteEndpoint") == 1
    assert result["remaining"]["sagemaker"]["endpoints"] == []
    assert result["remaining"]["sagemaker"]["scalableVariants"] == []
