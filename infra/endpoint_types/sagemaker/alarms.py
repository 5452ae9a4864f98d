"""CloudWatch alarms the SageMaker type's grants name."""

from __future__ import annotations

from aws_cdk import Stack

#: The alarms Application Auto Scaling makes for a variant's target tracking policy
#: (``TargetTracking-endpoint/<name>/variant/<variant>-AlarmHigh-<uuid>``, ``...-AlarmLow-...``).
TRACKING_ALARMS = "TargetTracking-endpoint/*"


def alarm_arn(stack: Stack, name: str) -> str:
    """A CloudWatch alarm's ARN (``...:alarm:<name>``: the name after a colon)."""
    return f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:{name}"
