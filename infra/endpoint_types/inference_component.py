"""SageMaker inference components: everything the infrastructure knows about this type.

Its function may create, describe, list and tag inference components of this account and region,
and update or delete only those carrying the controller's ownership tag and no other stack's tag
(``ml-endpoint-controller:stack``), as the SageMaker type does for endpoints. It reads the endpoint
a component is placed on (``DescribeEndpoint``: it must be ``InService``) and never changes it.
``CreateInferenceComponent`` is authorized on the component and on its endpoint (the Service
Authorization Reference lists both resource types); it takes no role, so there is no
``iam:PassRole`` (the component runs with the endpoint's execution role).

SageMaker publishes no EventBridge events for inference components: the type has no
``stateChanges`` and is polled. Copy-count autoscaling (Application Auto Scaling targets
``inference-component/<name>``) is taken off for an update and put back after it, like the
SageMaker type's variants.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra import autoscaling, nag
from infra.catalog import OWNER_TAG, STACK_TAG
from infra.endpoint_types.base import EndpointTypeInfra, TypeSettings
from infra.nag import NagArns
from infra.polling import backoff_after

#: The alarms Application Auto Scaling makes for a component's target tracking policy
#: (``TargetTracking-inference-component/<name>-AlarmHigh-<uuid>``, ``...-AlarmLow-...``).
TRACKING_ALARMS = "TargetTracking-inference-component/*"


class InferenceComponentInfra(EndpointTypeInfra[TypeSettings]):
    name = "inference-component"
    # A component pulls its container and model onto instances the endpoint already has: a few
    # minutes, rarely under two.
    poll_policy = backoff_after(120)

    def grant(self, function: lambda_.Function) -> None:
        stack = Stack.of(function)
        components = stack.format_arn(service="sagemaker", resource="inference-component", resource_name="*")
        endpoints = stack.format_arn(service="sagemaker", resource="endpoint", resource_name="*")
        this_stack = {f"aws:ResourceTag/{STACK_TAG}": stack.stack_name}
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="InferenceComponents",
                actions=[
                    "sagemaker:CreateInferenceComponent",
                    "sagemaker:DescribeInferenceComponent",
                    "sagemaker:ListTags",
                ],
                resources=[components],
            )
        )
        # The endpoint a component is placed on: read, and named by CreateInferenceComponent.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="HostEndpoints",
                actions=["sagemaker:CreateInferenceComponent", "sagemaker:DescribeEndpoint"],
                resources=[endpoints],
            )
        )
        # Looks at many components of one endpoint share one list (providers/inference_component/
        # looks.py). ListInferenceComponents has no resource type: only "*".
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ListInferenceComponents", actions=["sagemaker:ListInferenceComponents"], resources=["*"]
            )
        )
        # A create tags what it makes; an update with options.adopt tags the component it takes
        # over. Never one that carries another stack's tag, never with another stack's tag.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="TagComponentsOnlyForThisStack",
                actions=["sagemaker:AddTags"],
                resources=[components],
                conditions={
                    "StringEqualsIfExists": {**this_stack, f"aws:RequestTag/{STACK_TAG}": stack.stack_name}
                },
            )
        )
        # Updates and deletes only of components that carry the ownership tag and no other stack's.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ChangeOnlyComponentsTheControllerOwns",
                actions=[
                    "sagemaker:UpdateInferenceComponent",
                    "sagemaker:UpdateInferenceComponentRuntimeConfig",
                    "sagemaker:DeleteInferenceComponent",
                ],
                resources=[components],
                conditions={
                    "StringLike": {f"aws:ResourceTag/{OWNER_TAG}": "*"},
                    "StringEqualsIfExists": this_stack,
                },
            )
        )
        # Copy-count autoscaling kept across updates (providers/inference_component/scaling.py).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ReadComponentScaling",
                actions=[
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:DescribeScalingPolicies",
                ],
                resources=["*"],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="KeepComponentScaling",
                actions=[
                    "application-autoscaling:RegisterScalableTarget",
                    "application-autoscaling:DeregisterScalableTarget",
                    "application-autoscaling:PutScalingPolicy",
                ],
                resources=[
                    stack.format_arn(
                        service="application-autoscaling", resource="scalable-target", resource_name="*"
                    )
                ],
            )
        )
        # Application Auto Scaling acts with its caller's permissions (https://docs.aws.amazon.com/
        # autoscaling/application/userguide/security_iam_id-based-policy-examples.html): registering
        # a component again reads it and sets its copy count (granted above, on owned components),
        # and a target tracking policy's alarms are created and deleted with it.
        autoscaling.grant_tracking_alarms(function, sid="ComponentScalingAlarms", alarms=TRACKING_ALARMS)
        # A rolling update's rollback alarms (DeploymentConfig.AutoRollbackConfiguration), and the
        # service-linked role a registration may create (infra/autoscaling.py).
        autoscaling.grant_rollback_alarms(function)
        autoscaling.grant_service_linked_role(function)

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        if function.role is None:
            return
        for kind, what in (
            ("inference-component", "inference components are named by each request"),
            ("endpoint", "the endpoint a component is placed on is named by each request (read only)"),
        ):
            nag.ack(
                function.role,
                f"IAM5[Resource::{arns.arn('sagemaker', f'{kind}/*')}]",
                f"SageMaker {what}, so the name is a wildcard; the ARN is this account and region, and "
                "updates and deletes of components additionally require the controller's ownership tag "
                "and no other stack's tag (aws:ResourceTag conditions).",
            )
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('cloudwatch', f'alarm:{TRACKING_ALARMS}')}]",
            "The alarms Application Auto Scaling makes for a component's target tracking policy, named by "
            "the service (TargetTracking-inference-component/<name>-Alarm...-<uuid>): created and deleted "
            "with the caller's permissions when scaling is put back or taken off; only those alarms.",
        )
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('cloudwatch', 'alarm:*')}]",
            "A rolling update's rollback alarms are each request's own (DeploymentConfig."
            "AutoRollbackConfiguration); SageMaker reads them with the caller's permissions: "
            "cloudwatch:DescribeAlarms only, this account and region.",
        )
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('application-autoscaling', 'scalable-target/*')}]",
            "Scalable targets' ARNs carry ids Application Auto Scaling assigns, unknown until registered: "
            "an update takes a component's copy-count scaling off and registers it again; this account "
            "and region only.",
        )
