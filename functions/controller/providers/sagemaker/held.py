"""What the account's SageMaker endpoints hold now, by instance quota: the other half of the
quota check (``instances.py`` says what a request needs).

SageMaker publishes no usage metric for these quotas (Service Quotas shows none, and the
maintainers said so: "SageMaker does not support showing remaining account quota",
https://github.com/aws/amazon-sagemaker-examples/issues/593), so usage is counted from the
account's endpoints: ``ListEndpoints`` (100 a page), each one's ``DescribeEndpoint`` (its variants'
``CurrentInstanceCount``, and a deployment under way's new fleet in ``PendingDeploymentSummary``,
which both count until it settles) and its config's ``DescribeEndpointConfig`` (the instance type of
each variant). Endpoints that hold no instances (``Failed``, ``Deleting``, …) are not counted.

**What a warm function remembers.** Described naively that is ⌈N/100⌉ + 2N calls for N endpoints
on every check, and N operations at once make N² of them, well past SageMaker's request rates. So a
warm function keeps what it learned:

- an endpoint's instances, while ``ListEndpoints`` shows it with the same ``EndpointStatus`` and
  ``LastModifiedTime`` ("Timestamp when the endpoint was last modified",
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_EndpointSummary.html; a change of
  capacity, as auto scaling's ``UpdateEndpointWeightsAndCapacities``, makes it ``Updating``:
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html)
  and for at most :data:`LOOK_SECONDS`;
- a config's instance types for :data:`CONFIG_SECONDS` (a config cannot be changed, only deleted
  and made again under its name).

A check then costs ⌈N/100⌉ list pages and one look at each endpoint that changed since. A reading
that SageMaker throttles (or fails with a 5xx) stops there: what it counted is a lower bound
(``Usage.complete`` false), which can still refuse, and what it learned serves the next reading,
which goes on from there. So a burst of checks in a busy account costs at most one throttled call
per reading and never fails a request. And a reading serves every check of the
next :data:`READING_SECONDS` (a burst of requests shares one; concurrent checks wait for the one
under way rather than read again). What is remembered can be stale by a change the listing does not
show or by what happened within those seconds; SageMaker's own ``ResourceLimitExceeded`` still
answers a request the check let through (``QuotaExceeded``, rolled back). Times are the
controller's clock (``controller.clock``: the local runner's virtual one).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from controller import aws, clock
from controller.providers.sagemaker.instances import quota_name
from controller.quotas import Usage

PAGE = 100
#: ``DescribeEndpoint`` statuses whose endpoint holds instances.
HOLDING = frozenset(
    {"Creating", "InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)
#: A reading of the account serves the checks of this long after it.
READING_SECONDS = 5.0
#: An unchanged endpoint is described again after this long all the same.
LOOK_SECONDS = 60.0
#: A config's instance types are read again after this long.
CONFIG_SECONDS = 300.0


@dataclass(frozen=True)
class _Look:
    at: float
    status: str
    modified: Any
    held: Counter[str]


class _Memory:
    """What one client's looks learned (a new client, e.g. the local runner's next world, starts
    afresh)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.endpoints: dict[str, _Look] = {}
        self.configs: dict[str, tuple[float, dict[str, str]]] = {}
        self.reading: tuple[float, Usage] | None = None
        #: Held while the account is read: one reading at a time.
        self.reading_lock = threading.Lock()


_MEMORY: _Memory | None = None
_LOCK = threading.Lock()


def _memory(client: Any) -> _Memory:
    global _MEMORY
    with _LOCK:
        if _MEMORY is None or _MEMORY.client is not client:
            _MEMORY = _Memory(client)
        return _MEMORY


def held() -> Usage:
    """Instances the account's endpoints hold now, by quota name."""
    sagemaker = aws.client("sagemaker")
    memory = _memory(sagemaker)
    with memory.reading_lock:
        if memory.reading is None or clock.now() - memory.reading[0] >= READING_SECONDS:
            memory.reading = (clock.now(), _read(sagemaker, memory))
        return memory.reading[1]


def _read(sagemaker: Any, memory: _Memory) -> Usage:
    counts: Counter[str] = Counter()
    try:
        _count(sagemaker, memory, counts)
    except ClientError as exc:
        if not aws.is_transient(exc):
            raise
        return Usage(counts=counts, complete=False)  # the next reading goes on from what it learned
    return Usage(counts=counts)


def _count(sagemaker: Any, memory: _Memory, counts: Counter[str]) -> None:
    listed: set[str] = set()
    for page in sagemaker.get_paginator("list_endpoints").paginate(PaginationConfig={"PageSize": PAGE}):
        for summary in page.get("Endpoints", []):
            name, status = str(summary["EndpointName"]), str(summary.get("EndpointStatus"))
            listed.add(name)
            if status not in HOLDING:
                continue
            look = memory.endpoints.get(name)
            now = clock.now()
            if (
                look is None
                or (look.status, look.modified) != (status, summary.get("LastModifiedTime"))
                or now - look.at >= LOOK_SECONDS
            ):
                look = _describe(sagemaker, memory, name, now)
                if look is None:
                    continue  # deleted since the list
                memory.endpoints[name] = look
            counts.update(look.held)
    for name in set(memory.endpoints) - listed:
        memory.endpoints.pop(name, None)


def _describe(sagemaker: Any, memory: _Memory, name: str, now: float) -> _Look | None:
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as exc:
        if "could not find" in aws.error_message(exc).lower():
            return None
        raise
    holds: Counter[str] = Counter()
    status = str(endpoint.get("EndpointStatus"))
    if status in HOLDING:
        types = _variant_types(sagemaker, memory, endpoint.get("EndpointConfigName"), now)
        for variant in endpoint.get("ProductionVariants") or []:
            kind = types.get(str(variant.get("VariantName")))
            if kind and not variant.get("CurrentServerlessConfig"):
                holds[quota_name(kind)] += int(variant.get("CurrentInstanceCount") or 0)
        pending = endpoint.get("PendingDeploymentSummary") or {}
        for variant in pending.get("ProductionVariants") or []:
            if variant.get("InstanceType") and not variant.get("DesiredServerlessConfig"):
                count = max(
                    int(variant.get("CurrentInstanceCount") or 0),
                    int(variant.get("DesiredInstanceCount") or 0),
                )
                holds[quota_name(str(variant["InstanceType"]))] += count
    return _Look(at=now, status=status, modified=endpoint.get("LastModifiedTime"), held=holds)


def _variant_types(sagemaker: Any, memory: _Memory, name: Any, now: float) -> dict[str, str]:
    """Variant name -> instance type of the config ``name``."""
    if not name:
        return {}
    known = memory.configs.get(name)
    if known is not None and now - known[0] < CONFIG_SECONDS:
        return known[1]
    try:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=name)
    except ClientError as exc:
        if "could not find" in aws.error_message(exc).lower():
            return {}  # deleted under its endpoint: its instances are not told apart (not kept)
        raise
    types = {
        str(v.get("VariantName")): str(v.get("InstanceType"))
        for key in ("ProductionVariants", "ShadowProductionVariants")
        for v in config.get(key) or []
        if v.get("InstanceType")
    }
    memory.configs[name] = (now, types)
    return types
