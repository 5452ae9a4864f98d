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

**Usage.** SageMaker publishes no usage metric for these quotas (Service Quotas shows none, and
the maintainers said so: "SageMaker does not support showing remaining account quota",
https://github.com/aws/amazon-sagemaker-examples/issues/593), so usage is counted from the
account's endpoints: ``ListEndpoints`` (100 a page), each one's ``DescribeEndpoint`` (its variants'
``CurrentInstanceCount``, and a deployment under way's new fleet in ``PendingDeploymentSummary``,
which both count until it settles) and its config's ``DescribeEndpointConfig`` (the instance type of
each variant, once per config). That is ⌈N/100⌉ + N + (configs) calls for N endpoints, paid only
when a need fits its quota on its own; endpoints that hold no instances (``Failed``, ``Deleting``)
are not counted.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from controller import aws
from controller.quotas import Need

SERVICE_CODE = "sagemaker"
#: The error code of a create or update the quotas have no room for.
LIMIT_EXCEEDED = "ResourceLimitExceeded"
PAGE = 100
#: ``DescribeEndpoint`` statuses whose endpoint holds instances.
HOLDING = frozenset(
    {"Creating", "InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)


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


def usage() -> Counter[str]:
    """Instances the account's endpoints hold now, by quota name."""
    sagemaker = aws.client("sagemaker")
    configs: dict[str, dict[str, str]] = {}  # config name -> variant name -> instance type
    held: Counter[str] = Counter()
    for page in sagemaker.get_paginator("list_endpoints").paginate(PaginationConfig={"PageSize": PAGE}):
        for summary in page.get("Endpoints", []):
            try:
                endpoint = sagemaker.describe_endpoint(EndpointName=summary["EndpointName"])
            except ClientError as exc:
                if "could not find" in aws.error_message(exc).lower():
                    continue  # deleted since the list
                raise
            if endpoint.get("EndpointStatus") not in HOLDING:
                continue
            types = _variant_types(sagemaker, configs, endpoint.get("EndpointConfigName"))
            for variant in endpoint.get("ProductionVariants") or []:
                kind = types.get(str(variant.get("VariantName")))
                if kind and not variant.get("CurrentServerlessConfig"):
                    held[quota_name(kind)] += int(variant.get("CurrentInstanceCount") or 0)
            pending = endpoint.get("PendingDeploymentSummary") or {}
            for variant in pending.get("ProductionVariants") or []:
                if variant.get("InstanceType") and not variant.get("DesiredServerlessConfig"):
                    count = max(
                        int(variant.get("CurrentInstanceCount") or 0),
                        int(variant.get("DesiredInstanceCount") or 0),
                    )
                    held[quota_name(str(variant["InstanceType"]))] += count
    return held


def _variant_types(sagemaker: Any, configs: dict[str, dict[str, str]], name: Any) -> dict[str, str]:
    if not name:
        return {}
    if name not in configs:
        try:
            config = sagemaker.describe_endpoint_config(EndpointConfigName=name)
        except ClientError as exc:
            if "could not find" in aws.error_message(exc).lower():
                config = {}  # deleted under its endpoint: its instances are not told apart
            else:
                raise
        configs[name] = {
            str(v.get("VariantName")): str(v.get("InstanceType"))
            for key in ("ProductionVariants", "ShadowProductionVariants")
            for v in config.get(key) or []
            if v.get("InstanceType")
        }
    return configs[name]
