"""Which endpoints use an endpoint config: the check before any config is deleted.

SageMaker lets a config be deleted while endpoints use it, and warns against it: "You must not
delete an EndpointConfig in use by an endpoint that is live or while the UpdateEndpoint or
CreateEndpoint operations are being performed on the endpoint" (UpdateEndpoint API reference,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html). A config may
be used by any endpoint of the account and region, whoever made it (an endpoint created on
another team's config, an update to the config an endpoint already serves), and the service keeps
no index from a config to its endpoints: ``ListEndpoints`` names the endpoints (100 a page) and
``DescribeEndpoint`` tells which config each serves (``EndpointConfigName``) and which one a
deployment under way is moving it to (``PendingDeploymentSummary.EndpointConfigName``).

So one look costs ⌈N/100⌉ ``ListEndpoints`` and N ``DescribeEndpoint`` calls for N endpoints in
the region, once per teardown step that reaches a config (every config of the step shares it).
An endpoint on the config that is ``InService``, ``Failed``, ``UpdateRollbackFailed`` or
``OutOfService`` *serves* it (the config is kept); one that is being created on it, updated to or
from it, rolled back or deleted is *deploying* it (the teardown waits for it to settle, then looks
again). Names compare as SageMaker compares them, case-insensitively.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from controller import aws
from controller.providers.base import Resource, Usage

#: ``DescribeEndpoint`` statuses in which the endpoint's config is settled (served, not moving).
SETTLED = frozenset({"InService", "Failed", "UpdateRollbackFailed", "OutOfService"})
PAGE = 100


def users(resources: list[Resource], is_missing: Any) -> dict[str, Usage]:
    """Who uses each of ``resources`` (endpoint configs), by label; ``is_missing``: whether a
    ``ClientError`` says the endpoint is gone (one listed, then deleted before its describe)."""
    wanted = {resource.id.lower(): resource.label for resource in resources}
    if not wanted:
        return {}
    serving: dict[str, list[str]] = {}
    deploying: dict[str, list[str]] = {}
    sagemaker = aws.client("sagemaker")
    for page in sagemaker.get_paginator("list_endpoints").paginate(PaginationConfig={"PageSize": PAGE}):
        for summary in page.get("Endpoints", []):
            name = str(summary["EndpointName"])
            try:
                endpoint = sagemaker.describe_endpoint(EndpointName=name)
            except ClientError as exc:
                if is_missing(exc):
                    continue
                raise
            live = str(endpoint.get("EndpointConfigName") or "").lower()
            pending = endpoint.get("PendingDeploymentSummary") or {}
            target = str(pending.get("EndpointConfigName") or "").lower()
            settled = endpoint.get("EndpointStatus") in SETTLED and not pending
            if live in wanted:
                (serving if settled else deploying).setdefault(wanted[live], []).append(name)
            if target in wanted and target != live:
                deploying.setdefault(wanted[target], []).append(name)
    return {
        label: Usage(serving=tuple(serving.get(label, ())), deploying=tuple(deploying.get(label, ())))
        for label in {*serving, *deploying}
    }
