"""Lambda in a VPC: the network interfaces Lambda makes with the function's own role.

"Lambda uses your function's permissions to create and manage network interfaces", and the
execution role needs ``ec2:CreateNetworkInterface``, ``ec2:DescribeNetworkInterfaces``,
``ec2:DescribeSubnets``, ``ec2:DeleteNetworkInterface``, ``ec2:AssignPrivateIpAddresses`` and
``ec2:UnassignPrivateIpAddresses`` ("Giving Lambda functions access to resources in an Amazon VPC",
execution role permissions, https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
Without them CloudFormation fails creating the function ("The provided execution role does not
have permissions to call CreateNetworkInterface on EC2"), so the runner refuses such a template
before anything runs, as a deploy would fail.

Each question carries the request context AWS supplies, per the Service Authorization Reference's
condition keys of each action's resource types (``list_amazonec2.html``):
``CreateNetworkInterface`` is authorized on the new network interface (keys: ``aws:RequestTag``,
``aws:TagKeys``, ``ec2:NetworkInterfaceID``: *no* ``ec2:Subnet`` or ``ec2:Vpc``, so a policy
conditioned on those for the network interface never allows it), on each subnet (``ec2:Vpc``,
``ec2:SubnetID``) and on the security group (``ec2:Vpc``, ``ec2:SecurityGroupID``); the actions
on an existing network interface carry ``ec2:Subnet`` and ``ec2:Vpc``; the two describes have no
resource type (``*``).
"""

from __future__ import annotations

from typing import Any

from endpointctl.errors import UsageError
from endpointctl.runner.iam.authorizer import Authorizer
from endpointctl.runner.iam.policies import role_arn
from endpointctl.sim.iam import Authorization, arn
from endpointctl.template import Resolver, resources

#: A network interface Lambda would create (its id is EC2's; one stands in for it).
_ENI = "network-interface/eni-0123456789abcdef0"
_EXISTING = ("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")


def functions_in_a_vpc(
    template: dict[str, Any], resolve: Resolver
) -> list[tuple[str, str, list[Authorization]]]:
    """Each function of the template that runs in a VPC: its logical id, its role's ARN, and the
    authorizations Lambda needs of that role for its network interfaces."""
    found = []
    for lid, function in resources(template, "AWS::Lambda::Function").items():
        properties = function["Properties"]
        config = properties.get("VpcConfig")
        role = properties.get("Role")
        if not config or not (isinstance(role, dict) and "Fn::GetAtt" in role):
            continue
        vpc = arn("ec2", f"vpc/{(function.get('Metadata') or {}).get('VpcId', 'vpc-unknown')}")
        subnets = [arn("ec2", f"subnet/{resolve(s)}") for s in config.get("SubnetIds", [])]
        groups = [arn("ec2", f"security-group/{resolve(g)}") for g in config.get("SecurityGroupIds", [])]
        eni = arn("ec2", _ENI)
        needed: list[Authorization] = [
            ("ec2:CreateNetworkInterface", eni, {}),
            *[
                (
                    "ec2:CreateNetworkInterface",
                    subnet,
                    {"ec2:Vpc": vpc, "ec2:SubnetID": subnet.rsplit("/", 1)[1]},
                )
                for subnet in subnets
            ],
            *[("ec2:CreateNetworkInterface", group, {"ec2:Vpc": vpc}) for group in groups],
            ("ec2:DescribeNetworkInterfaces", "*", {}),
            ("ec2:DescribeSubnets", "*", {}),
            *[(action, eni, {"ec2:Subnet": subnets[0], "ec2:Vpc": vpc}) for action in _EXISTING if subnets],
        ]
        found.append((lid, role_arn(role["Fn::GetAtt"][0]), needed))
    return found


def check(template: dict[str, Any], resolve: Resolver, authorizer: Authorizer) -> None:
    """Refuse a template whose function in a VPC could not make its network interfaces."""
    for lid, role, needed in functions_in_a_vpc(template, resolve):
        for action, resource, context in needed:
            operation = action.split(":")[1]
            if authorizer.check(role, "ec2", operation, {}, needed=[(action, resource, context)]):
                raise UsageError(
                    f"the template would not deploy: {lid} runs in a VPC, and its role may not "
                    f'{action} on {resource} (Lambda: "The provided execution role does not have '
                    f'permissions to call {operation} on EC2")'
                )
