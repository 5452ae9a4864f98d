"""What a simulator needs to describe its service's calls to IAM (``Simulator.authorizations``):
the simulated account's ARNs, and the request context of a create with tags."""

from __future__ import annotations

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
