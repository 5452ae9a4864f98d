"""Instance quotas: a request is refused before anything is created when the account's quota for
the instances it needs has no room for them (``QuotaExceeded``).

What a type's provider says (its ``instance_needs``): which quotas a request draws on, by quota
name (SageMaker's are "<instance type> for endpoint usage"), how many instances each needs at the
request's peak and why, and what is in use now. This module finds each quota's value in Service
Quotas and compares: ``usage + need > value`` is refused, naming the quota, its code, the value,
the usage and the need.

Where the values come from. ``ListServiceQuotas`` "lists the applied quota values for the specified
AWS service ... If the applied quota value is not available for a quota, the quota is not
retrieved" (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html):
a quota never raised may be missing there, so ``ListAWSDefaultServiceQuotas`` gives the default of
the others. Both pages through the service's quotas (SageMaker has hundreds, 100 a page) and take
no resource in IAM (the Service Authorization Reference lists none for either action), so the
function is granted them on ``*``. One listing serves the function's process for
:data:`CACHE_SECONDS`: quotas change when someone raises one, rarely, and a thousand operations at
once then cost a few listings, not a thousand (a value raised meanwhile is seen within that time;
a stale one can only refuse early or let the service's own ``ResourceLimitExceeded`` answer,
which ends the same way).

What is in use comes from the provider as a :class:`Usage`; a reading cut short (the service
throttled it half way) is a lower bound: it can still prove there is no room (``at least N in use``),
and where it cannot the request goes on and the service's own check decides: a busy account's
throttling never fails a request here.

The check is a courtesy, not the guarantee: another team may take the room between the check and
the create. The service's own refusal (``ResourceLimitExceeded``) still ends as ``QuotaExceeded``,
rolled back, with the service's message (each provider maps it).

Deployed with ``-c quotaCheck=false`` (for accounts whose policies forbid ``servicequotas:*``) the
function is not granted Service Quotas and :data:`SWITCH` says ``off``: no check, no call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from controller import aws, clock
from controller.errors import ProviderError, QuotaExceeded

logger = Logger(child=True)

#: The function's environment variable: ``off`` when the deployment turned the check off.
SWITCH = "QUOTA_CHECK"
#: How long one listing of a service's quotas serves a warm function.
CACHE_SECONDS = 300
PAGE = 100


@dataclass(frozen=True)
class Quota:
    name: str
    code: str
    value: float


@dataclass(frozen=True)
class Need:
    """``count`` instances of the quota ``name``, at the request's peak; ``why`` says how that
    peak comes about (``"the new fleet beside the old (blue/green)"``)."""

    name: str
    count: int
    why: str = ""


@dataclass(frozen=True)
class Usage:
    """Instances in use, by quota name; ``complete`` is false when the reading stopped short
    (throttled, or the service failed half way): then each count is a lower bound."""

    counts: Mapping[str, int]
    complete: bool = True


def enabled() -> bool:
    return os.environ.get(SWITCH, "on").strip().lower() not in {"off", "false", "0", "no"}


#: Listings by service code: when listed, with which client (a new client, e.g. the local
#: runner's next world, lists again), and the quotas by name.
_CACHE: dict[str, tuple[float, object, dict[str, Quota]]] = {}
_LOCK = threading.Lock()


def quotas(service_code: str) -> dict[str, Quota]:
    """``service_code``'s quotas by name: applied values over defaults; listed once per
    :data:`CACHE_SECONDS`."""
    now = clock.now()
    client = aws.client("service-quotas")
    with _LOCK:
        held = _CACHE.get(service_code)
        if held is not None and held[1] is client and now - held[0] < CACHE_SECONDS:
            return held[2]
    found: dict[str, Quota] = {}
    for operation in ("list_aws_default_service_quotas", "list_service_quotas"):  # applied last: wins
        try:
            pages = list(
                client.get_paginator(operation).paginate(
                    ServiceCode=service_code, PaginationConfig={"PageSize": PAGE}
                )
            )
        except ClientError as exc:
            if aws.error_code(exc) != "NoSuchResourceException":
                raise
            # Service Quotas does not hold the service's quotas here: nothing to check against
            # (the service's own ResourceLimitExceeded still answers).
            logger.warning(
                "no quotas listed", extra={"service_code": service_code, "error": aws.error_message(exc)}
            )
            pages = []
        for page in pages:
            for quota in page.get("Quotas", []):
                if "QuotaName" in quota and "Value" in quota:
                    found[str(quota["QuotaName"])] = Quota(
                        name=str(quota["QuotaName"]),
                        code=str(quota.get("QuotaCode", "")),
                        value=quota["Value"],
                    )
    with _LOCK:
        _CACHE[service_code] = (now, client, found)
    return found


def check(service_code: str, needs: Iterable[Need], usage: Callable[[], Usage | Mapping[str, int]]) -> None:
    """Refuse (``QuotaExceeded``) when a quota of ``needs`` has no room; ``usage``: what is in use
    (a :class:`Usage`, or counts by quota name: a complete reading), read only when some need fits
    its quota on its own. Nothing else is called."""
    wanted = [need for need in needs if need.count > 0]
    if not wanted or not enabled():
        return
    try:
        known = quotas(service_code)
        in_use: Usage | None = None
        short: list[tuple[Quota, int | None, Need]] = []
        for need in wanted:
            quota = known.get(need.name)
            if quota is None:  # Service Quotas does not know it: the service's own check answers
                logger.info("no quota to check", extra={"quota": need.name})
                continue
            if need.count > quota.value:
                short.append((quota, None, need))
                continue
            if in_use is None:
                read = usage()
                in_use = read if isinstance(read, Usage) else Usage(read)
            used = in_use.counts.get(need.name, 0)
            if used + need.count > quota.value:
                short.append((quota, used, need))
            elif not in_use.complete:
                logger.info(
                    "usage read in part: the service's own check decides",
                    extra={"quota": need.name, "at_least_in_use": used, "need": need.count},
                )
    except ClientError as exc:
        if aws.is_transient(exc):
            raise aws.transient(exc, f"quota check: {aws.error_code(exc)}: {aws.error_message(exc)}") from exc
        raise ProviderError(
            f"quota check: {aws.error_code(exc)}: {aws.error_message(exc)} (the function reads Service "
            "Quotas before it creates instances; where policies forbid servicequotas:*, deploy with "
            "-c quotaCheck=false)"
        ) from exc
    if short:
        partial = in_use is not None and not in_use.complete
        raise QuotaExceeded("; ".join(_said(quota, used, need, partial) for quota, used, need in short))


def _said(quota: Quota, used: int | None, need: Need, partial: bool = False) -> str:
    value = f"{quota.value:g}"
    why = f" ({need.why})" if need.why else ""
    if used is None:
        return (
            f"quota '{quota.name}' ({quota.code}) is {value}; this request needs {need.count}{why}, "
            "more than the quota itself"
        )
    in_use = f"at least {used} in use" if partial else f"{used} in use"
    return (
        f"quota '{quota.name}' ({quota.code}) is {value}, {in_use}; this request needs "
        f"{need.count} more{why}: {used + need.count} > {value}"
    )
