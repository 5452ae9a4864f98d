"""Neptune ML endpoints: everything the infrastructure knows about this type.

Neptune's data API is reachable only inside the cluster's VPC, so this type has context of its
own: the cluster's URL (``neptuneEndpoint``, its function's ``NEPTUNE_ENDPOINT``), its resource id
(``neptuneClusterResourceId``, which scopes the grant) and its network (``neptuneVpcId``,
``neptuneSubnetIds``, ``neptuneSecurityGroupId``: all three or none), where its function runs.
A deployment that lists ``neptune`` in ``endpointTypes`` must give the URL and the resource id
(the synth fails naming what is missing); without the network the function runs outside the VPC,
with a synth warning.

In a VPC, its function's own role (``infra/function.py``) gets exactly the network-interface
permissions Lambda documents, scoped to the cluster's subnets, VPC and security group: CDK attaches
the managed ``AWSLambdaVPCAccessExecutionRole`` only to roles it creates itself.
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

    #: What a deployment of this type cannot do without (see :meth:`require`).
    REQUIRED = ("neptuneEndpoint", "neptuneClusterResourceId")

    def require(self) -> None:
        """The cluster's URL and resource id: without them the function can reach no cluster and
        its grant names none."""
        given = {"neptuneEndpoint": self.endpoint, "neptuneClusterResourceId": self.cluster_resource_id}
        missing = [key for key in self.REQUIRED if not given[key]]
        if missing:
            raise ConfigError(
                "context endpointTypes lists neptune, which needs "
                f"{' and '.join(self.REQUIRED)}: missing {', '.join(missing)}"
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
        problems: list[str] = []  # every problem at once, one line each
        if self.endpoint and not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/?$", self.endpoint):
            problems.append(
                f"context neptuneEndpoint={self.endpoint!r}: use the cluster's https URL "
                "(https://my-cluster.cluster-xxxx.us-east-1.neptune.amazonaws.com:8182)"
            )
        if self.cluster_resource_id and not re.match(r"^cluster-[A-Z0-9]+$", self.cluster_resource_id):
            problems.append(
                f"context neptuneClusterResourceId={self.cluster_resource_id!r}: the cluster's resource id "
                "(cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ), not its name"
            )
        if self.vpc_id and not re.match(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", self.vpc_id):
            problems.append(f"context neptuneVpcId={self.vpc_id!r}: a VPC id (vpc-0123abcd)")
        for subnet in self.subnet_ids:
            if not re.match(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", subnet):
                problems.append(f"context neptuneSubnetIds: {subnet!r} is not a subnet id (subnet-0123abcd)")
        if self.security_group_id and not re.match(
            r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$", self.security_group_id
        ):
            problems.append(
                f"context neptuneSecurityGroupId={self.security_group_id!r}: a security group id (sg-0123abcd)"
            )
        network = [self.vpc_id, self.subnet_ids, self.security_group_id]
        if any(network) and not all(network):
            problems.append(
                "context neptuneVpcId, neptuneSubnetIds and neptuneSecurityGroupId go together: give all three"
            )
        if problems:
            raise ConfigError.of(problems)

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
    #: The function's network-interface policy, when it runs in a VPC.
    _network_policy: iam.Policy | None = None
    # Neptune ML deploys a SageMaker endpoint underneath: at least as slow.
    poll_policy = backoff_after(120)

    def grant(self, function: lambda_.Function) -> None:
        stack = Stack.of(function)
        self._grant_network_interfaces(function)
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

    def _grant_network_interfaces(self, function: lambda_.Function) -> None:
        """In the cluster's VPC, the role may create and manage its function's network interfaces:
        the six actions Lambda documents for a function in a VPC ("Attaching Lambda functions to
        an Amazon VPC", execution role permissions:
        https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions),
        ``ec2:DescribeNetworkInterfaces`` and ``ec2:DescribeSubnets`` on ``*`` (their only resource),
        ``ec2:CreateNetworkInterface`` in the cluster's subnets with its security group (the subnet
        and security-group resources of that action; the new network interface itself carries no
        subnet or VPC key to condition on), and the others on this account's network interfaces in
        the cluster's subnets and VPC (the ``ec2:Subnet`` and ``ec2:Vpc`` condition keys of an
        existing network interface:
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html). The
        local runner asks the same questions with the context AWS supplies
        (endpointctl/runner/iam/network.py), and refuses a template whose role would fail them.

        A policy of its own, which the function depends on: CloudFormation must not create a
        function in a VPC before its role may create the network interfaces ("The provided
        execution role does not have permissions to call CreateNetworkInterface on EC2")."""
        settings = self.settings
        if (
            not (settings.vpc_id and settings.subnet_ids and settings.security_group_id)
            or function.role is None
        ):
            return
        stack = Stack.of(function)

        def ec2_arn(resource: str, name: str) -> str:
            return stack.format_arn(service="ec2", resource=resource, resource_name=name)

        subnets = [ec2_arn("subnet", subnet) for subnet in settings.subnet_ids]
        in_the_vpc = {"ArnEquals": {"ec2:Subnet": subnets, "ec2:Vpc": ec2_arn("vpc", settings.vpc_id)}}
        network_interfaces = ec2_arn("network-interface", "*")
        policy = iam.Policy(
            stack,
            "NeptuneFunctionNetworkInterfaces",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(
                    sid="DescribeNetworkInterfaces",
                    actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                    resources=["*"],
                ),
                # The new network interface carries no ec2:Subnet or ec2:Vpc key (the reference
                # lists only aws:RequestTag, aws:TagKeys and ec2:NetworkInterfaceID for it), so a
                # condition on those would never allow it: the subnets and the group it is created
                # in (next statement) are what keep it in the cluster's VPC.
                iam.PolicyStatement(
                    sid="CreateNetworkInterfaces",
                    actions=["ec2:CreateNetworkInterface"],
                    resources=[network_interfaces],
                ),
                iam.PolicyStatement(
                    sid="CreateNetworkInterfaceWithItsSubnetsAndGroup",
                    actions=["ec2:CreateNetworkInterface"],
                    resources=[*subnets, ec2_arn("security-group", str(settings.security_group_id))],
                ),
                iam.PolicyStatement(
                    sid="ManageItsNetworkInterfaces",
                    actions=[
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=[network_interfaces],
                    conditions=in_the_vpc,
                ),
            ],
        )
        function.node.add_dependency(policy)
        self._network_policy = policy

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
        policy = self._network_policy
        if policy is not None:
            nag.ack(
                policy,
                "IAM5[Resource::*]",
                "ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which Lambda needs for a function "
                "in a VPC, support no resource-level permissions: '*' is their only resource (Lambda's "
                "VPC execution-role permissions; the Service Authorization Reference for Amazon EC2).",
            )
            nag.ack(
                policy,
                f"IAM5[Resource::{arns.arn('ec2', 'network-interface/*')}]",
                "Lambda creates and deletes the function's network interfaces, whose ids are not known "
                "in advance; the ARN is this account and region, and the ec2:Subnet / ec2:Vpc "
                "conditions keep them to the Neptune cluster's subnets and VPC.",
            )
