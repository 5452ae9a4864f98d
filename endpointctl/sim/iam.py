"""What a simulator needs to describe its service's calls to IAM (``Simulator.authorizations``):
the simulated account's ARNs, and the request context of a create with tags."""

from __future__ import annotations

import json
from typing import Any

from endpointctl.template import ACCOUNT, REGION

#: ``(IAM action, resource ARN, request context)``: one authorization a call needs.
Authorization = tuple[str, str, dict[str, Any]]


def arn(service: str, resource: str, region: str = REGION) -> str:
    """An ARN of the simulated account."""
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def tagging(tags: Any) -> dict[str, Any]:
    """The request context of a create with ``Tags`` (a Key/Value list): ``aws:RequestTag/*`` and
    ``aws:TagKeys``."""
    given = {str(t.get("Key")): str(t.get("Value")) for t in tags or [] if isinstance(t, dict)}
    if not given:
        return {}
    return {**{f"aws:RequestTag/{k}": v for k, v in given.items()}, "aws:TagKeys": sorted(given)}


#: Application Auto Scaling's service-linked role per service namespace: its ARN and the service
#: principal it trusts ("Service-linked role ARN reference", https://docs.aws.amazon.com/autoscaling/
#: application/userguide/application-auto-scaling-service-linked-roles.html). "Application Auto
#: Scaling requires permissions to create a service-linked role the first time any user in your
#: AWS account calls RegisterScalableTarget for a given service ... users must have permission for
#: the iam:CreateServiceLinkedRole action" (same page): asked only while the role does not exist.
SCALING_ROLES = {
    "sagemaker": (
        "sagemaker.application-autoscaling.amazonaws.com",
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    ),
}


def scaling_role(namespace: str) -> tuple[str, str] | None:
    """The service-linked role's ARN and service principal for ``namespace`` (``None``: unknown)."""
    known = SCALING_ROLES.get(namespace)
    if known is None:
        return None
    principal, name = known
    return f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{principal}/{name}", principal


def _iam() -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT]["global"]


def role_exists(role_arn: str) -> bool:
    """Whether the simulated account (moto's IAM) has the role ``role_arn``."""
    return any(role.arn == role_arn for role in _iam().get_roles())


def ensure_scaling_role(namespace: str) -> None:
    """What RegisterScalableTarget does first: create the namespace's service-linked role (with its
    documented path and name) unless it exists."""
    linked = scaling_role(namespace)
    if linked is None or role_exists(linked[0]):
        return
    role_arn, principal = linked
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }
    _iam().create_role(
        role_arn.rsplit("/", 1)[1],
        json.dumps(trust),
        f"/aws-service-role/{principal}/",
        None,
        "Application Auto Scaling's service-linked role",
        [],
        None,
    )
