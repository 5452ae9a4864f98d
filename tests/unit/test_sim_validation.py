"""The simulated services' validation (``endpointctl.sim.validation``): a request checked against
the service's botocore model, answered in AWS's words; and an HTTP request read into its members
as the service receives it (JSON body, or REST labels, query string and body)."""

from __future__ import annotations

import json

from endpointctl.sim.validation import SERIALIZATION, VALIDATION, Refusal, refusal, request_params


def test_an_accepted_request_is_not_refused() -> None:
    params = {
        "EndpointConfigName": "llm-v1",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "llm",
                "InstanceType": "ml.p5.48xlarge",
                "InitialInstanceCount": 2,
            }
        ],
        "Tags": [{"Key": "team", "Value": "ml"}],
    }

    assert refusal("sagemaker", "CreateEndpointConfig", params) is None


def test_every_broken_constraint_is_named_with_its_path() -> None:
    params = {
        "EndpointConfigName": "llm-v1",
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large"},
            {"VariantName": "b", "InstanceType": "ml.m5.large", "InitialVariantWeight": -1.5},
        ],
        "Tags": [{"Key": "", "Value": "ml"}],
    }

    found = refusal("sagemaker", "CreateEndpointConfig", params)

    assert found == Refusal(
        VALIDATION,
        "2 validation errors detected: "
        "Value '-1.5' at 'productionVariants.2.member.initialVariantWeight' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0; "
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


def test_a_missing_required_member_is_null() -> None:
    found = refusal("sagemaker", "CreateEndpoint", {"EndpointName": "churn"})

    assert found is not None and found.message == (
        "1 validation error detected: Value null at 'endpointConfigName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_a_member_name_with_two_leading_capitals_keeps_them() -> None:
    found = refusal("machinelearning", "GetMLModel", {"MLModelId": ""}, code="InvalidInputException")

    assert found is not None and found.code == "InvalidInputException"
    assert (
        "at 'MLModelId' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in (found.message)
    )


def test_a_map_names_the_constraint_its_keys_or_values_break() -> None:
    params = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/churn/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "Tags": {"k" * 129: "v", "team": "x" * 257},
    }

    found = refusal("application-autoscaling", "RegisterScalableTarget", params)

    assert found is not None and found.message == (
        "2 validation errors detected: "
        "Value at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 128]; "
        "Value at 'tags' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 256]"
    )


def test_a_value_of_the_wrong_type_is_a_serialization_error() -> None:
    assert refusal("sagemaker", "DescribeEndpoint", {"EndpointName": 7}) == Refusal(
        SERIALIZATION, "NUMBER_VALUE can not be converted to a String"
    )
    tags = refusal(
        "sagemaker", "CreateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c", "Tags": {}}
    )
    config = refusal("sagemaker", "CreateEndpoint", {"EndpointName": "e", "EndpointConfigName": ["c"]})
    count = refusal("sagemaker", "DescribeEndpoint", {"EndpointName": True})

    assert tags == Refusal(SERIALIZATION, "Start of structure or map found where not expected.")
    assert config == Refusal(SERIALIZATION, "Start of list found where not expected")
    assert count == Refusal(SERIALIZATION, "BOOLEAN_VALUE can not be converted to a String")


def test_members_the_model_does_not_have_are_not_judged_nor_are_unknown_operations() -> None:
    assert refusal("sagemaker", "DescribeEndpoint", {"EndpointName": "churn", "Extra": 1}) is None
    assert refusal("sagemaker", "NoSuchOperation", {"x": 1}) is None
    assert refusal("no-such-service", "Anything", {}) is None


def test_a_json_request_is_its_body() -> None:
    body = json.dumps({"EndpointName": "churn"})

    assert request_params("sagemaker", "DescribeEndpoint", "/", {}, body) == {"EndpointName": "churn"}


def test_a_rest_request_is_read_from_its_uri_query_and_body() -> None:
    deleted = request_params(
        "neptunedata",
        "DeleteMLEndpoint",
        "/ml/endpoints/fraud%20graph?clean=true&neptuneIamRoleArn=arn:r",
        {},
        b"",
    )
    created = request_params(
        "neptunedata",
        "CreateMLEndpoint",
        "/ml/endpoints",
        {"Content-Type": "application/json"},
        json.dumps({"id": "fraud", "instanceCount": "two", "unknown": 1}).encode(),
    )

    assert deleted == {"id": "fraud graph", "clean": True, "neptuneIamRoleArn": "arn:r"}
    assert created == {"id": "fraud", "instanceCount": "two"}
    assert refusal("neptunedata", "CreateMLEndpoint", created) == Refusal(
        SERIALIZATION, "STRING_VALUE can not be converted to an Integer"
    )


def test_a_body_that_is_not_json_is_a_serialization_error() -> None:
    params = request_params("sagemaker", "DescribeEndpoint", "/", {}, "{EndpointName: churn")

    found = refusal("sagemaker", "DescribeEndpoint", params)

    assert found is not None and found.code == SERIALIZATION
