"""The role of SageMaker deletes of what the controller did not create (``allowUnmanagedDeletes``):
only the delete step assumes it, never a rollback, whose deletes need the ownership tag."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.autoscaling import alarm_arn
from infra.endpoint_types.sagemaker.alarms import TRACKING_ALARMS


def delete_role(scope: Construct, function: lambda_.Function, *, title: str) -> iam.Role:
    assert function.role is not None
    stack = Stack.of(scope)
    role = iam.Role(
        scope,
        f"{title}UnmanagedDeleteRole",
        assumed_by=iam.ArnPrincipal(function.role.role_arn),
        description="ml-endpoint-controller: deletes of SageMaker endpoints it did not create (allowUnmanagedDeletes)",
    )
    # One statement per resource type: each action takes only its own (the Service
    # Authorization Reference: DeleteEndpoint and DescribeEndpoint act on `endpoint`,
    # DeleteEndpointConfig on `endpoint-config`); tests/infra/test_iam_reference.py checks it.
    role.add_to_policy(
        iam.PolicyStatement(
            sid="DeleteEndpoints",
            actions=["sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint"],
            resources=[stack.format_arn(service="sagemaker", resource="endpoint", resource_name="*")],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="DeleteEndpointConfigs",
            actions=["sagemaker:DeleteEndpointConfig"],
            resources=[stack.format_arn(service="sagemaker", resource="endpoint-config", resource_name="*")],
        )
    )
    # SageMaker deregisters a deleted endpoint's variants from Application Auto Scaling with
    # the caller's permissions ("Update or delete endpoints that use automatic scaling",
    # https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html): without
    # this, deleting an endpoint that scales is AccessDenied and the endpoint stays. Only
    # deregistering, on the one resource type the reference lists for it (scalable-target).
    role.add_to_policy(
        iam.PolicyStatement(
            sid="DeregisterVariantScaling",
            actions=["application-autoscaling:DeregisterScalableTarget"],
            resources=[
                stack.format_arn(
                    service="application-autoscaling", resource="scalable-target", resource_name="*"
                )
            ],
        )
    )
    # ... and deregistering a variant whose target tracking policy has alarms deletes those
    # alarms, again with the caller's permissions (Application Auto Scaling's CloudWatch part).
    role.add_to_policy(
        iam.PolicyStatement(
            sid="DeleteVariantScalingAlarms",
            actions=["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
            resources=[alarm_arn(stack, TRACKING_ALARMS)],
        )
    )
    role.grant_assume_role(function.role)
    return role
