"""What each endpoint type's function may call: only its own service, on scoped resources."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

#: The tag every SageMaker resource the controller creates carries (value: the request id).
OWNER_TAG = "ml-endpoint-controller:request-id"


def sagemaker(function: lambda_.Function) -> None:
    stack = Stack.of(function)
    resources = [
        stack.format_arn(service="sagemaker", resource="endpoint", resource_name="*"),
        stack.format_arn(service="sagemaker", resource="endpoint-config", resource_name="*"),
    ]
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="CreateAndDescribe",
            actions=[
                "sagemaker:CreateEndpoint",
                "sagemaker:CreateEndpointConfig",
                "sagemaker:DescribeEndpoint",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:ListTags",
                "sagemaker:AddTags",
            ],
            resources=resources,
        )
    )
    # Even a bug cannot delete an endpoint or config the controller did not create.
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="DeleteOnlyWhatTheControllerCreated",
            actions=["sagemaker:DeleteEndpoint", "sagemaker:DeleteEndpointConfig"],
            resources=resources,
            conditions={"StringLike": {f"aws:ResourceTag/{OWNER_TAG}": "*"}},
        )
    )


GRANTS: dict[str, Callable[[lambda_.Function], None]] = {"sagemaker": sagemaker}
