"""The instance-quota check's grants (functions/controller/quotas.py), for the functions of the
types whose requests draw on instance quotas (``EndpointTypeInfra.instance_quotas``).

With the check on (context ``quotaCheck``, default true) the function may list the service's
quotas: ``servicequotas:ListServiceQuotas`` (applied values) and
``servicequotas:ListAWSDefaultServiceQuotas`` (defaults), read-only, which the Service
Authorization Reference lists with no resource type: only ``*``
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_servicequotas.html).
With it off (accounts whose policies forbid ``servicequotas:*``) the function gets no grant and
its environment says so (``QUOTA_CHECK=off``): it calls nothing and checks nothing; the service's
own ``ResourceLimitExceeded`` still ends as ``QuotaExceeded``, after a rollback.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

#: The function's environment variable (controller.quotas.SWITCH).
SWITCH = "QUOTA_CHECK"


def apply(function: lambda_.Function, *, enabled: bool) -> None:
    """Grant the quota reads and switch the check on, or leave both off."""
    function.add_environment(SWITCH, "on" if enabled else "off")
    if enabled:
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="InstanceQuotas",
                actions=["servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"],
                resources=["*"],
            )
        )
