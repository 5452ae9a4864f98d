"""What a SageMaker request needs of the account's instance quotas, and what is in use.

Each instance type has an account-wide quota "<type> for endpoint usage" (Service Quotas, service
code ``sagemaker``; https://docs.aws.amazon.com/general/latest/gr/sagemaker.html), which a
``CreateEndpoint`` or ``UpdateEndpoint`` beyond it meets as ``ResourceLimitExceeded``.

**Need.** A create provisions each variant's ``InitialInstanceCount`` (shadow variants too); a
serverless variant provisions none. An update provisions the new fleet while the old one still
serves: blue/green, SageMaker's default ("By default, SageMaker AI uses blue/green deployment with
all at once traffic shifting when you update an endpoint", and canary and linear shifting are
blue/green too: https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html),
"provisions a new fleet" of the whole new config beside the old one, so its need is the new
fleet; a rolling update "provisions the new fleet in batches" of ``MaximumBatchSize`` (an instance
count, or a percentage of the fleet) and terminates old instances as each batch takes traffic
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-rolling.html), so its need
is one batch, at most the new fleet.

**Usage** (what the account's endpoints hold now) is counted in ``held.py``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from controller.quotas import Need

SERVICE_CODE = "sagemaker"
#: The error code of a create or update the quotas have no room for.
LIMIT_EXCEEDED = "ResourceLimitExceeded"


def quota_name(instance_type: str) -> str:
    return f"{instance_type} for endpoint usage"


def fleet(config: dict[str, Any]) -> Counter[str]:
    """Instances a config provisions, by instance type (serverless variants: none)."""
    counts: Counter[str] = Counter()
    for key in ("ProductionVariants", "ShadowProductionVariants"):
        for variant in config.get(key) or []:
            if (
                isinstance(variant, dict)
                and "ServerlessConfig" not in variant
                and variant.get("InstanceType")
            ):
                counts[str(variant["InstanceType"])] += int(variant.get("InitialInstanceCount") or 0)
    return counts


def create_needs(config: dict[str, Any]) -> list[Need]:
    return [
        Need(quota_name(kind), count, "the new endpoint's instances") for kind, count in fleet(config).items()
    ]


def update_needs(config: dict[str, Any], deployment: dict[str, Any] | None) -> list[Need]:
    """The peak of an update to ``config`` with ``deployment`` (its ``DeploymentConfig``, or the
    endpoint's last one when the request retains it; ``None``: SageMaker's default, blue/green)."""
    new = fleet(config)
    rolling = (deployment or {}).get("RollingUpdatePolicy")
    if not isinstance(rolling, dict):
        return [
            Need(quota_name(kind), count, "blue/green: the whole new fleet beside the old one")
            for kind, count in new.items()
        ]
    size = rolling.get("MaximumBatchSize") or {}
    needs = []
    for kind, count in new.items():
        if size.get("Type") == "CAPACITY_PERCENT":
            batch = math.ceil(count * float(size.get("Value", 100)) / 100)
        else:
            batch = int(size.get("Value", count))
        batch = min(count, max(1, batch))
        needs.append(Need(quota_name(kind), batch, "rolling: one batch beside the old fleet"))
    return needs
