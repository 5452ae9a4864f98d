"""``allowUnmanagedDeletes`` (CONTRACT §1): a deployment may let ``action: delete`` remove endpoints
the controller did not create. The SageMaker function's own role still may not (its delete
statements need the ownership tag): such a delete assumes the deployment's unmanaged-delete role,
which only the delete step ever uses."""

from __future__ import annotations

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
    }


def test_without_the_role_the_same_delete_is_denied_by_iam(allowing: dict[str, Any]) -> None:
    # The same world, the delete step's role taken away: IAM refuses the function's own role.
    import json

    text = json.dumps(allowing)
    assert text.count('roleArn\\":') == 3  # one per state machine
    stripped = json.loads(text.replace('roleArn\\":', 'ignored\\":'))
    scenario = {"sagemaker": {"existing": {"endpoints": ["legacy"]}}}
    request = {"action": "delete", "endpointType": "sagemaker", "params": {"EndpointName": "legacy"}}

    _, [result] = run_requests(stripped, [request], scenario)

    assert result["error"] == "ProviderError"
    assert (
        "not authorized to perform: sagemaker:DeleteEndpoint" in one_notification(result)["error"]["message"]
    )
    assert result["remaining"]["sagemaker"]["endpoints"] == ["legacy"]
