"""What Application Auto Scaling and SageMaker do with the caller's permissions, granted alike to
every type whose updates keep a scalable target (taken off and put back) or name rollback alarms.

- A target tracking policy's CloudWatch alarms are created and deleted with the caller's
  permissions ("Permissions required for API actions on target services and CloudWatch",
  https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html),
  named ``TargetTracking-<resource id>-AlarmHigh-<uuid>`` / ``...-AlarmLow-...``.
- Registering a target again may create the service-linked role ("Application Auto Scaling
  requires permissions to create a service-linked role the first time any user in your AWS account
  calls RegisterScalableTarget for a given service",
  https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html):
  only that role, only for that service.
- A guarded update's rollback alarms are read by SageMaker with the caller's permissions ("Ensure
  that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on
  the auto-rollback alarms you specify",
  https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html): each
  request names its own alarms, so any alarm of this account and region, read only.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

SCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
SCALING_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


def alarm_arn(stack: Stack, name: str) -> str:
    """A CloudWatch alarm's ARN (``...:alarm:<name>``: the name after a colon)."""
    return f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:{name}"


def grant_tracking_alarms(function: lambda_.Function, *, sid: str, alarms: str) -> None:
    """The target tracking alarms named ``alarms`` (a pattern): created, deleted, read."""
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid=sid,
            actions=["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
            resources=[alarm_arn(Stack.of(function), alarms)],
        )
    )


def grant_rollback_alarms(function: lambda_.Function) -> None:
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadRollbackAlarms",
            actions=["cloudwatch:DescribeAlarms"],
            resources=[alarm_arn(Stack.of(function), "*")],
        )
    )


def grant_service_linked_role(function: lambda_.Function) -> None:
    stack = Stack.of(function)
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="ScalingServiceLinkedRole",
            actions=["iam:CreateServiceLinkedRole"],
            resources=[
                stack.format_arn(
                    service="iam",
                    region="",
                    resource="role",
                    resource_name=f"aws-service-role/{SCALING_SERVICE}/{SCALING_ROLE}",
                )
            ],
            conditions={"StringEquals": {"iam:AWSServiceName": SCALING_SERVICE}},
        )
    )
