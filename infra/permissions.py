"""Per endpoint type: what its function may call (only its own service, on scoped resources),
its environment, and its network placement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import Config

#: The tag every SageMaker resource the controller creates carries (value: the request id).
OWNER_TAG = "ml-endpoint-controller:request-id"
#: ... and this one, with the value ``ml-endpoint-controller``: state-change rules match on it.
MANAGED_TAG = "ml-endpoint-controller:managed-by"


@dataclass(frozen=True)
class StateChangeEvents:
    """A service's status-change events on the default bus, as a rule matches them: only the
    controller's own endpoints (by tag) reaching a status that ends a create."""

    source: str
    detail_type: str
    detail: dict[str, Any]


SAGEMAKER_STATE_CHANGES = StateChangeEvents(
    source="aws.sagemaker",
    detail_type="SageMaker Endpoint State Change",
    detail={
        # Upper snake case in the events; DescribeEndpoint's spelling tolerated too. Other changes
        # (an endpoint deleted under a waiting create, say) are caught by the fallback look.
        "EndpointStatus": ["IN_SERVICE", "FAILED", "InService", "Failed"],
        "Tags": {MANAGED_TAG: ["ml-endpoint-controller"]},
    },
)


def grant_sagemaker(function: lambda_.Function, config: Config) -> None:
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


def grant_aml(function: lambda_.Function, config: Config) -> None:
    stack = Stack.of(function)
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="RealtimeEndpoints",
            actions=[
                "machinelearning:GetMLModel",
                "machinelearning:CreateRealtimeEndpoint",
                "machinelearning:DeleteRealtimeEndpoint",
            ],
            resources=[
                stack.format_arn(
                    service="machinelearning", region=config.aml_region, resource="mlmodel", resource_name="*"
                )
            ],
        )
    )


def grant_neptune(function: lambda_.Function, config: Config) -> None:
    stack = Stack.of(function)
    cluster = config.neptune.cluster_resource_id or "cluster-*"
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="NeptuneMlEndpoints",
            actions=[
                "neptune-db:CreateMLEndpoint",
                "neptune-db:GetMLEndpointStatus",
                "neptune-db:DeleteMLEndpoint",
                "neptune-db:GetMLModelTrainingJobStatus",
                "neptune-db:GetMLModelTransformJobStatus",
            ],
            resources=[stack.format_arn(service="neptune-db", resource=cluster, resource_name="*")],
        )
    )


def aml_environment(config: Config) -> dict[str, str]:
    return {"AML_REGION": config.aml_region}


def neptune_environment(config: Config) -> dict[str, str]:
    return {"NEPTUNE_ENDPOINT": config.neptune.endpoint} if config.neptune.endpoint else {}


def neptune_network(scope: Construct, config: Config) -> dict[str, Any]:
    """The Neptune function runs in the cluster's VPC (Neptune is reachable only there)."""
    neptune = config.neptune
    if neptune.missing:
        Annotations.of(scope).add_warning_v2(
            "ml-endpoint-controller:neptune-context",
            "Neptune ML endpoints need context "
            + ", ".join(neptune.missing)
            + ": without it the neptune function has no cluster endpoint and runs outside the VPC "
            "(deployable, but it cannot reach Neptune).",
        )
    if not (neptune.vpc_id and neptune.subnet_ids and neptune.security_group_id):
        return {}
    subnets = [
        ec2.Subnet.from_subnet_id(scope, f"NeptuneSubnet{i}", s) for i, s in enumerate(neptune.subnet_ids)
    ]
    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "NeptuneVpc",
        vpc_id=neptune.vpc_id,
        availability_zones=[Fn.select(i, Fn.get_azs()) for i in range(len(subnets))],
        private_subnet_ids=list(neptune.subnet_ids),
    )
    group = ec2.SecurityGroup.from_security_group_id(scope, "NeptuneSecurityGroup", neptune.security_group_id)
    return {"vpc": vpc, "vpc_subnets": ec2.SubnetSelection(subnets=subnets), "security_groups": [group]}


@dataclass(frozen=True)
class EndpointTypeInfra:
    """What the stack needs to know about one endpoint type."""

    title: str
    grant: Callable[[lambda_.Function, Config], None]
    environment: Callable[[Config], dict[str, str]] = lambda config: {}
    network: Callable[[Construct, Config], dict[str, Any]] = lambda scope, config: {}
    #: The service announces status changes: creates wait for them instead of polling.
    state_changes: StateChangeEvents | None = None


TYPES: dict[str, EndpointTypeInfra] = {
    "sagemaker": EndpointTypeInfra("SageMaker", grant_sagemaker, state_changes=SAGEMAKER_STATE_CHANGES),
    "aml": EndpointTypeInfra("Aml", grant_aml, aml_environment),
    "neptune": EndpointTypeInfra("Neptune", grant_neptune, neptune_environment, neptune_network),
}
