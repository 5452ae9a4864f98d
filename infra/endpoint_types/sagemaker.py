"""SageMaker real-time endpoints: everything the infrastructure knows about this type.

Its function may create, describe and tag endpoints and endpoint configs of this account and
region, and delete only those carrying the controller's ownership tag. SageMaker announces
endpoint status changes, so a create waits for them (the rule's source and detail-type are the
catalog row's; the detail filter is here) rather than polling. No context of its own.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra import nag
from infra.catalog import MANAGED_TAG, MANAGED_VALUE, OWNER_TAG
from infra.endpoint_types.base import EndpointTypeInfra, TypeSettings
from infra.nag import NagArns
from infra.polling import backoff_after

#: The resource kinds the function creates, as their ARNs name them.
KINDS = ("endpoint", "endpoint-config")


class SageMakerInfra(EndpointTypeInfra[TypeSettings]):
    name = "sagemaker"
    # Real-time endpoints provision instances and pull a container: not ready in under 2 min.
    # (Used only when events are off, i.e. never by default; kept for symmetry.)
    poll_policy = backoff_after(120)
    state_change_detail = {
        # Upper snake case in the events; DescribeEndpoint's spelling tolerated too. Other changes
        # (an endpoint deleted under a waiting create, say) are caught by the fallback look.
        "EndpointStatus": ["IN_SERVICE", "FAILED", "InService", "Failed"],
        # The tag the provider puts on every endpoint it creates (controller/providers/sagemaker.py).
        "Tags": {MANAGED_TAG: [MANAGED_VALUE]},
    }

    def grant(self, function: lambda_.Function) -> None:
        stack = Stack.of(function)
        resources = [
            stack.format_arn(service="sagemaker", resource=kind, resource_name="*") for kind in KINDS
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

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        if function.role is None:
            return
        for kind in KINDS:
            nag.ack(
                function.role,
                f"IAM5[Resource::{arns.arn('sagemaker', f'{kind}/*')}]",
                f"SageMaker {kind}s are named by each request, so the name is a wildcard; the ARN "
                "is this account and region, and deletes additionally require the controller's "
                "ownership tag (aws:ResourceTag condition).",
            )
