"""A SageMaker endpoint is not deleted under the controller's inference components: a delete lists
the components its endpoint hosts and reads their tags (``controller/providers/sagemaker/components.py``)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra import nag
from infra.nag import NagArns


def grant(function: lambda_.Function) -> None:
    """``ListInferenceComponents`` (no resource type: "*") and ``ListTags`` on components."""
    stack = Stack.of(function)
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="FindHostedInferenceComponents",
            actions=["sagemaker:ListInferenceComponents"],
            resources=["*"],
        )
    )
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadHostedInferenceComponentTags",
            actions=["sagemaker:ListTags"],
            resources=[
                stack.format_arn(service="sagemaker", resource="inference-component", resource_name="*")
            ],
        )
    )


def acknowledge(function: lambda_.Function, arns: NagArns) -> None:
    nag.ack(
        function.role,
        f"IAM5[Resource::{arns.arn('sagemaker', 'inference-component/*')}]",
        "A delete reads the tags of the inference components its endpoint hosts (named by "
        "SageMaker's list), to refuse deleting an endpoint under the controller's components: "
        "sagemaker:ListTags only, this account and region.",
    )
