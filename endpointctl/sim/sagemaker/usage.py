"""What counts against the account's endpoint instance quotas (``quotas.py``), and SageMaker's
``ResourceLimitExceeded`` for a create or an update that would go beyond them.

Usage, per instance type, is the instances of every endpoint in the world: those the controller
creates and the scenario's ``existing`` ones (their config's variants) alike. An endpoint counts
while it is ``Creating``, ``InService``, ``Updating``, ``SystemUpdating`` or ``RollingBack``; one
that is ``Failed``, ``Deleting`` or gone counts nothing, nor does one in another status. A variant
counts its ``InitialInstanceCount`` of its ``InstanceType``; a serverless variant counts nothing.
An endpoint's fleet is recorded when it is created or seeded and when an update settles on a new
one (``EndpointRecord.fleet``), so deleting its config does not free its instances; an endpoint the
simulator did not make itself (one hosting inference components) counts its config's variants, and
an ``existing`` endpoint given by name only (it has no config) holds nothing.

A request that would take a type beyond its quota is refused, before anything is made, with
``ResourceLimitExceeded`` (HTTP 400) in SageMaker's words: "The account-level service limit
'ml.g5.xlarge for endpoint usage' is 1 Instances, with current utilization of 0 Instances and a
request delta of 2 Instances. ..." (the first type, in variant order, that does not fit):

- ``CreateEndpoint``: the delta is its config's whole fleet;
- ``UpdateEndpoint`` with blue/green, the default (no ``DeploymentConfig``) and whatever its
  traffic routing (all at once, canary, linear): "SageMaker AI provisions a new fleet with the
  updates (the green fleet). Then, SageMaker AI shifts traffic from the old fleet (the blue fleet) to
  the green fleet. Once the green fleet operates smoothly ... SageMaker AI terminates the blue fleet"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html; and "If
  no update policy is specified, SageMaker uses a blue/green deployment strategy with all at once
  traffic shifting by default",
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeploymentConfig.html): the delta is
  the new config's whole fleet, on top of a usage that still holds the old one;
- ``UpdateEndpoint`` with a ``RollingUpdatePolicy``: "Batch size for each rolling step to provision
  capacity and turn on traffic on the new endpoint fleet, and terminate capacity on the old endpoint
  fleet. Value must be between 5% to 50% of the variant's total instance count"
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_RollingUpdatePolicy.html): the delta
  is one batch per variant of the new config, ``MaximumBatchSize``'s ``INSTANCE_COUNT`` value, or its
  ``CAPACITY_PERCENT`` of the variant's new instance count rounded up, at least 1 and at most the
  variant's count (variants of one type add up: the stricter reading, as the documents do not say
  whether variants roll together).

While an update is under way the extra instances it provisions (``EndpointRecord.surge``: the
delta above) count beside the old fleet; once it settles only the fleet it left counts: the new one
(``InService``), the old one (rolled back), nothing (``Failed``). ``RetainDeploymentConfig`` reuses
the deployment configuration last given to the endpoint (at its create or an update).
``RetainAllVariantProperties`` is not modelled: the new fleet is the new config's, as the simulated
update serves it (``updates.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import SagemakerClientError

from endpointctl.sim.sagemaker.quotas import Quotas, quota_name

if TYPE_CHECKING:
    from endpointctl.sim.sagemaker import SageMakerSim

#: The statuses whose endpoint holds instances.
HOLDING = frozenset({"Creating", "InService", "Updating", "SystemUpdating", "RollingBack"})


class ResourceLimitExceeded(SagemakerClientError):
    """SageMaker's refusal of what would go beyond an account quota (HTTP 400)."""

    code = "ResourceLimitExceeded"


def fleet(variants: Iterable[dict[str, Any]]) -> Counter[str]:
    """Instances per type that ``variants`` (a config's ``ProductionVariants``) run."""
    found: Counter[str] = Counter()
    for variant in variants:
        kind, count = variant.get("InstanceType"), variant.get("InitialInstanceCount")
        if isinstance(kind, str) and isinstance(count, int) and "ServerlessConfig" not in variant:
            found[kind] += count
    return found


def surge(variants: Iterable[dict[str, Any]], deployment: dict[str, Any] | None) -> Counter[str]:
    """The instances per type an update to ``variants`` provisions beside the old fleet at its peak,
    under ``deployment`` (its ``DeploymentConfig``): the whole new fleet (blue/green), or one batch
    per variant (rolling)."""
    rolling = (deployment or {}).get("RollingUpdatePolicy")
    if not isinstance(rolling, dict):
        return fleet(variants)
    size = rolling.get("MaximumBatchSize") or {}
    found: Counter[str] = Counter()
    for variant in variants:
        for kind, count in fleet([variant]).items():
            value = size.get("Value") or 0
            batch = value if size.get("Type") == "INSTANCE_COUNT" else math.ceil(count * value / 100)
            found[kind] += min(count, max(1, int(batch)))
    return found


def usage(sim: SageMakerSim) -> Counter[str]:
    """Instances per type that the world's endpoints hold now."""
    sim.refresh_all()
    backend = sim.backend()
    found: Counter[str] = Counter()
    for name, endpoint in list(backend.endpoints.items()):
        if endpoint.endpoint_status not in HOLDING:
            continue
        record = sim.timelines.get(name)
        if record is not None and record.fleet is not None:
            found.update(record.fleet)
        else:
            config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
            found.update(fleet(config.production_variants if config is not None else []))
        if record is not None and record.update_at is not None and record.surge:
            found.update(record.surge)
    return found


def check(sim: SageMakerSim, need: Counter[str]) -> None:
    """Refuse (``ResourceLimitExceeded``) a request that needs ``need`` more instances per type
    than the quotas leave."""
    message = refusal(sim.quotas, usage(sim), need)
    if message is not None:
        raise ResourceLimitExceeded(message)


def refusal(quotas: Quotas, held: Counter[str], need: Counter[str]) -> str | None:
    """SageMaker's message for the first type ``need`` takes beyond its quota (``None``: it fits)."""
    for kind, delta in need.items():
        limit = quotas.value(kind)
        if delta > 0 and held[kind] + delta > limit:
            return (
                f"The account-level service limit '{quota_name(kind)}' is {limit} Instances, with current "
                f"utilization of {held[kind]} Instances and a request delta of {delta} Instances. Please use "
                "AWS Service Quotas to request an increase for this quota. If AWS Service Quotas is not "
                "available, contact AWS support to request an increase for this quota."
            )
    return None
