"""Neptune ML endpoints: everything the infrastructure knows about this type.

Neptune's data API is reachable only inside the cluster's VPC, so this type has context of its
own: the cluster's URL (``neptuneEndpoint``, its function's ``NEPTUNE_ENDPOINT``), its resource id
(``neptuneClusterResourceId``, which scopes the grant) and its network (``neptuneVpcId``,
``neptuneSubnetIds``, ``neptuneSecurityGroupId``: all three or none), where its function runs.
Without them the stack still synthesizes, with a warning naming what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Self

from aws_cdk import Annotations, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag
from infra.config import ConfigError
from infra.endpoint_types.base import Context, EndpointTypeInfra, Network, TypeSettings
from infra.nag import NagArns
from infra.polling import backoff_after


@dataclass(frozen=True)
class NeptuneSettings(TypeSettings):
    """Where the Neptune cluster is: the data API's URL, its resource id and its network."""

    endpoint: str | None = None
    cluster_resource_id: str | None = None
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_id: str | None = None

    @classmethod
    def from_context(cls, get: Context) -> Self:
        return cls(
            endpoint=get("neptuneEndpoint"),
            cluster_resource_id=get("neptuneClusterResourceId"),
            vpc_id=get("neptuneVpcId"),
            subnet_ids=_list(get("neptuneSubnetIds", [])),
            security_group_id=get("neptuneSecurityGroupId"),
        )

    @property
    def missing(self) -> list[str]:
        """The context keys not given (the stack still synthesizes; the warning names them)."""
        keys = {
            "neptuneEndpoint": self.endpoint,
            "neptuneClusterResourceId": self.cluster_resource_id,
            "neptuneVpcId": self.vpc_id,
            "neptuneSubnetIds": self.subnet_ids,
            "neptuneSecurityGroupId": self.security_group_id,
        }
        return [key for key, value in keys.items() if not value]

    def check(self) -> None:
        if self.endpoint and not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/?$", self.endpoint):
            raise ConfigError(
                f"context neptuneEndpoint={self.endpoint!r}: use the cluster's https URL "
                "(https://my-cluster.cluster-xxxx.us-east-1.neptune.amazonaws.com:8182)"
            )
        if self.cluster_resource_id and not re.match(r"^cluster-[A-Z0-9]+$", self.cluster_resource_id):
            raise ConfigError(
                f"context neptuneClusterResourceId={self.cluster_resource_id!r}: the cluster's resource id "
                "(cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ), not its name"
            )
        if self.vpc_id and not re.match(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", self.vpc_id):
            raise ConfigError(f"context neptuneVpcId={self.vpc_id!r}: a VPC id (vpc-0123abcd)")
        for subnet in self.subnet_ids:
            if not re.match(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", subnet):
                raise ConfigError(
                    f"context neptuneSubnetIds: {subnet!r} is not a subnet id (subnet-0123abcd)"
                )
        if self.security_group_id and not re.match(
            r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$", self.security_group_id
        ):
            raise ConfigError(
                f"context neptuneSecurityGroupId={self.security_group_id!r}: a security group id (sg-0123abcd)"
            )
        network = [self.vpc_id, self.subnet_ids, self.security_group_id]
        if any(network) and not all(network):
            raise ConfigError(
                "context neptuneVpcId, neptuneSubnetIds and neptuneSecurityGroupId go together: give all three"
            )

    @property
    def cluster(self) -> str:
        """The cluster the grant names: the given one, or any."""
        return self.cluster_resource_id or "cluster-*"


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part) for part in value)
    raise ConfigError(f"context neptuneSubnetIds={value!r}: a list or a comma-separated string of subnet ids")


class NeptuneInfra(EndpointTypeInfra[NeptuneSettings]):
    name = "neptune"
    settings_type = NeptuneSettings
    # Neptune ML deploys a SageMaker endpoint underneath: at least as slow.
    poll_policy = backoff_after(120)

    def grant(self, function: lambda_.Function) -> None:
        stack = Stack.of(function)
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
                resources=[
                    stack.format_arn(service="neptune-db", resource=self.settings.cluster, resource_name="*")
                ],
            )
        )

    def environment(self) -> dict[str, str]:
        endpoint = self.settings.endpoint
        return {"NEPTUNE_ENDPOINT": endpoint} if endpoint else {}

    def network(self, scope: Construct) -> Network | None:
        """The function runs in the cluster's VPC (Neptune is reachable only there)."""
        settings = self.settings
        if settings.missing:
            Annotations.of(scope).add_warning_v2(
                "ml-endpoint-controller:neptune-context",
                "Neptune ML endpoints need context "
                + ", ".join(settings.missing)
                + ": without it the neptune function has no cluster endpoint and runs outside the VPC "
                "(deployable, but it cannot reach Neptune).",
            )
        if not (settings.vpc_id and settings.subnet_ids and settings.security_group_id):
            return None
        subnets = [
            ec2.Subnet.from_subnet_id(scope, f"NeptuneSubnet{i}", s)
            for i, s in enumerate(settings.subnet_ids)
        ]
        vpc = ec2.Vpc.from_vpc_attributes(
            scope,
            "NeptuneVpc",
            vpc_id=settings.vpc_id,
            availability_zones=[Fn.select(i, Fn.get_azs()) for i in range(len(subnets))],
            private_subnet_ids=list(settings.subnet_ids),
        )
        group = ec2.SecurityGroup.from_security_group_id(
            scope, "NeptuneSecurityGroup", settings.security_group_id
        )
        return Network(vpc=vpc, subnets=ec2.SubnetSelection(subnets=subnets), security_groups=(group,))

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        if function.role is None:
            return
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('neptune-db', f'{self.settings.cluster}/*')}]",
            "neptune-db data actions are granted on a cluster's resource ARN followed by '/*' (the "
            "form Neptune IAM auth requires); with context neptuneClusterResourceId it is that "
            "one cluster.",
        )
        if self.settings.vpc_id:
            nag.ack(
                function.role,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
                "A function in the Neptune cluster's VPC needs the ENI permissions of this AWS managed "
                "policy (ec2 network-interface actions that take no resource-level scoping).",
            )
