"""Expiry's share of the stack (``functions/controller/expiry.py`` does the work): the role
EventBridge Scheduler assumes to put an expiry's delete request on the controller's bus, and each
function's right to create and delete its endpoints' one-time schedules and to pass that role.

"The execution role you use for EventBridge Scheduler ... must have a trust policy that allows
EventBridge Scheduler to assume the role" (principal ``scheduler.amazonaws.com``, scoped here by
``aws:SourceAccount``), and an EventBridge target needs ``events:PutEvents`` on the bus
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html). Schedules go in the
``default`` group, named ``expire-<type>-<hash>``: the function's grants name only those.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: The functions' environment (``controller.expiry``).
BUS_ARN_VARIABLE = "EXPIRY_BUS_ARN"
ROLE_ARN_VARIABLE = "EXPIRY_ROLE_ARN"


class Expiry(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bus: events.IEventBus) -> None:
        super().__init__(scope, construct_id)
        self._bus = bus
        account = Stack.of(self).account
        self.role = iam.Role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler puts expired endpoints' delete requests on the controller's bus",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
            ),
        )
        bus.grant_put_events_to(self.role)

    def grant(self, function: lambda_.Function, endpoint_type: str) -> None:
        stack = Stack.of(function)
        schedules = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"default/expire-{endpoint_type}-*"
        )
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
