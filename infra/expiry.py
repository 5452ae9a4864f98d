"""Expiry's share of the stack (``functions/controller/expiry.py`` does the work): the stack's own
EventBridge Scheduler schedule group, the role Scheduler assumes to put an expiry's delete request
on the controller's bus, and each function's right to create and delete its endpoints' one-time
schedules in that group and to pass that role.

"The execution role you use for EventBridge Scheduler ... must have a trust policy that allows
EventBridge Scheduler to assume the role" (principal ``scheduler.amazonaws.com``, scoped here by
``aws:SourceAccount``), and an EventBridge target needs ``events:PutEvents`` on the bus
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html).

Schedules are named ``expire-<type>-<hash>`` of the endpoint, the same in every stack, so each
stack keeps them in a schedule group of its own, named after the stack ("A schedule group is an
Amazon EventBridge Scheduler resource you use to organize your schedules"; its ``Name``: 1-64 of
``[0-9a-zA-Z-_.]``, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedulegroup.html),
and a schedule's ARN, which IAM scopes, is ``…:schedule/<group>/<name>``
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html).
A function's grants name only its own type's schedules in its own stack's group: one stack can
neither replace nor cancel another's expiry. Deleting the stack deletes the group, and with it the
schedules still waiting. The group is named (not a CloudFormation ``Ref``), as the bus is: stock
moto's CloudFormation, which ``endpointctl local deploy`` uses, has no schedule groups (the served
world creates them, ``endpointctl/served/cloudformation.py``).
"""

from __future__ import annotations

import hashlib

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra import nag
from infra.nag import NagArns

#: The functions' environment (``controller.expiry``).
BUS_ARN_VARIABLE = "EXPIRY_BUS_ARN"
ROLE_ARN_VARIABLE = "EXPIRY_ROLE_ARN"
GROUP_VARIABLE = "EXPIRY_SCHEDULE_GROUP"
#: A schedule group's name: 1-64 of ``[0-9a-zA-Z-_.]`` (CreateScheduleGroup's ``Name``).
GROUP_NAME_LENGTH = 64


def group_name(stack_name: str) -> str:
    """The stack's schedule group: its name (stack names are unique in an account and region, and
    are letters, digits and hyphens), shortened with a hash of the whole when it is too long."""
    if len(stack_name) <= GROUP_NAME_LENGTH:
        return stack_name
    digest = hashlib.sha256(stack_name.encode()).hexdigest()[:8]
    return f"{stack_name[: GROUP_NAME_LENGTH - 9]}-{digest}"


class Expiry(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bus: events.IEventBus) -> None:
        super().__init__(scope, construct_id)
        self._bus = bus
        stack = Stack.of(self)
        self.group_name = group_name(stack.stack_name)
        self.group = scheduler.CfnScheduleGroup(self, "Schedules", name=self.group_name)
        self.role = iam.Role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler puts expired endpoints' delete requests on the controller's bus",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
        )
        bus.grant_put_events_to(self.role)

    def grant(self, function: lambda_.Function, endpoint_type: str) -> None:
        stack = Stack.of(function)
        names = f"{self.group_name}/expire-{endpoint_type}-*"
        schedules = stack.format_arn(service="scheduler", resource="schedule", resource_name=names)
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ExpirySchedules",
                actions=["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
                resources=[schedules],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="PassTheSchedulerRole",
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        function.add_environment(BUS_ARN_VARIABLE, self._bus.event_bus_arn)
        function.add_environment(ROLE_ARN_VARIABLE, self.role.role_arn)
        function.add_environment(GROUP_VARIABLE, self.group_name)
        # The schedule's name is the endpoint's (a hash); the group and the type's prefix are fixed.
        nag.ack(
            function.role,  # type: ignore[arg-type]
            f"IAM5[Resource::{NagArns.of(stack).arn('scheduler', f'schedule/{names}')}]",
            "Expiry schedules are named after each endpoint (expire-<type>-<hash>, infra/expiry.py): "
            "the function may create and delete only its own type's, in its own stack's schedule "
            "group, in this account and region.",
        )
