"""What ``endpointctl bench --scale N`` runs: the measured wave of N operations, the first wave that
makes the endpoints its updates and deletes need, the failing share, and the rate limits.

The mix: operation ``i`` is of endpoint type ``i mod T`` (the catalog's T types, in order), and of
the kinds that type has (create, update when its simulator has a ``sample_update``, delete) in turn.
Each names an endpoint of its own: the simulator's sample request with the identifier (the
catalog's ``identifier``) suffixed ``-<i>``; the rest of the sample (a SageMaker config, a Neptune
training job, an inference component's endpoint) is shared, as a platform team's endpoints share
their configs and hosts. Updates and deletes need their endpoint to exist: a first wave creates
those, all together, in the same world; it is not measured.

The failing share (:data:`FAILING_SHARE` of the measured creates and updates) is the scenario's
``faults``: of each type's call that asks the service for the change (:func:`change_call`, e.g.
SageMaker's ``CreateEndpoint``), ``count`` calls fail with a refusal the service documents for it
(:func:`refusal_code`, e.g. ``ResourceLimitExceeded``, which no retry cures), spread over the wave
with ``every``. The controller's ``Create`` step then fails with ``ProviderError`` and its execution
goes through ``RollBack?`` → ``Teardown`` to ``Failed``. A simulator's ``outcome`` (an endpoint
that ends ``Failed``) applies to every endpoint of its type, so it cannot make a share fail in one
world; the share failing here fails early, before the endpoint exists, and its teardown finds
nothing of its own to delete. The faults are armed once the first wave is over (its creates make
the same calls). Deletes are not failed: there is nothing to roll back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The share of the measured creates and updates that fails (then rolls back).
FAILING_SHARE = 0.10

#: The simulated SageMaker's request rates, in calls per virtual second per operation, above which
#: it answers ``ThrottlingException`` (scenario key ``sagemaker.rateLimits``, where the simulator
#: has it). SageMaker publishes no per-operation API rates: its quotas page lists resources and
#: instances, and throttling shows only as "Rate exceeded" (re:Post knowledge center,
#: "sagemaker-python-throttlingexception"). A conservative guess on the pattern AWS documents for
#: EC2 ("Request throttling for the Amazon EC2 API": a token bucket per account, Region and API;
#: ``DescribeHosts``, a non-mutating action, refills 20 tokens a second): 20 a second for the
#: reads, a quarter of that for the calls that change something.
SAGEMAKER_RATE_LIMITS: dict[str, float] = {
    "DescribeEndpoint": 20,
    "DescribeEndpointConfig": 20,
    "DescribeInferenceComponent": 20,
    "ListEndpoints": 20,
    "ListInferenceComponents": 20,
    "ListTags": 20,
    "AddTags": 5,
    "CreateEndpoint": 5,
    "CreateEndpointConfig": 5,
    "UpdateEndpoint": 5,
    "DeleteEndpoint": 5,
    "DeleteEndpointConfig": 5,
    "CreateInferenceComponent": 5,
    "UpdateInferenceComponent": 5,
    "DeleteInferenceComponent": 5,
}

#: Operation names that only read (a change call is the first call that is none of these).
READS = ("Describe", "Get", "List")
#: Error codes a retry may cure, or that mean something else than a refusal: never the failing share's.
NOT_REFUSALS = ("NotFound", "Throttl", "TooMany", "Internal", "Timeout", "Unavailable")
#: The refusals preferred, in order, among those an operation documents.
PREFERRED_REFUSALS = ("Limit", "BadRequest", "InvalidInput", "Precondition")


@dataclass(frozen=True)
class Operation:
    """One operation of the measured wave."""

    index: int
    endpoint_type: str
    kind: str  # create, update or delete
    request: dict[str, Any]
    #: The create of the first wave that makes its endpoint (updates and deletes).
    setup: dict[str, Any] | None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.endpoint_type}"


def kinds(simulator: Any) -> tuple[str, ...]:
    """The kinds of operation a type has: an update only where its simulator samples one."""
    return ("create", "update", "delete") if simulator.sample_update is not None else ("create", "delete")


def plan(n: int) -> list[Operation]:
    """The measured wave of ``n`` operations: a mix of every type and of its kinds."""
    from controller import catalog
    from endpointctl.sim import simulators

    kinds_of = {name: kinds(sim) for name, sim in simulators().items()}
    types = list(kinds_of)
    operations = []
    for index in range(n):
        endpoint_type = types[index % len(types)]
        simulator = simulators()[endpoint_type]
        kind = kinds_of[endpoint_type][(index // len(types)) % len(kinds_of[endpoint_type])]
        identifier = catalog.get(endpoint_type).identifier
        name = f"{simulator.sample_params[identifier]}-{index}"
        create = _request(endpoint_type, "create", {**simulator.sample_params, identifier: name})
        if kind == "create":
            operations.append(Operation(index, endpoint_type, kind, create, None))
        elif kind == "update":
            update = {**(simulator.sample_update or {}), identifier: name}
            operations.append(
                Operation(index, endpoint_type, kind, _request(endpoint_type, kind, update), create)
            )
        else:
            operations.append(
                Operation(
                    index, endpoint_type, kind, _request(endpoint_type, kind, {identifier: name}), create
                )
            )
    return operations


def _request(endpoint_type: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"endpointType": endpoint_type, "action": action, "params": params}


def apportion(counts: dict[Any, int], share: float) -> dict[Any, int]:
    """How many of each group fail: ``round(share * total)`` in all, shared in proportion to the
    groups' sizes by largest remainder (Hamilton's method), ties to the larger group, then the
    first; never more than a group holds."""
    total = sum(counts.values())
    failing = min(total, math.floor(share * total + 0.5))
    if failing == 0:
        return {group: 0 for group in counts}
    exact = {group: failing * count / total for group, count in counts.items()}
    given = {group: min(counts[group], math.floor(value)) for group, value in exact.items()}
    order = sorted(counts, key=lambda g: (-(exact[g] - math.floor(exact[g])), -counts[g]))
    for group in order:
        if sum(given.values()) >= failing:
            break
        if given[group] < counts[group]:
            given[group] += 1
    return given


def refusal_code(service: str, operation: str) -> str:
    """An error the service documents for ``operation`` (botocore's model) that refuses it for good:
    a limit if there is one, else a bad request; ``ValidationException`` when it documents none."""
    from endpointctl.sim.validation import operation_model

    model = operation_model(service, operation)
    documented = [shape.name for shape in model.error_shapes] if model is not None else []
    refusals = [code for code in documented if not any(word in code for word in NOT_REFUSALS)]
    for word in PREFERRED_REFUSALS:
        for code in refusals:
            if word in code:
                return code
    return refusals[0] if refusals else "ValidationException"


def change_call(calls: Iterable[str]) -> str | None:
    """The call that asks the service for the change: the first of ``calls``
    (``service:Operation``, as the call log has them) that does not only read."""
    for call in calls:
        _, _, operation = call.partition(":")
        if not operation.startswith(READS):
            return call
    return None


def failing_faults(
    operations: list[Operation], change_calls: dict[tuple[str, str], str], share: float = FAILING_SHARE
) -> dict[str, list[dict[str, Any]]]:
    """Each type's scenario ``faults`` that fail its share of the measured creates and updates
    (``change_calls``: ``(type, kind)`` → ``service:Operation``, its change call). Kinds that
    share a call (a Neptune update is a ``CreateMLEndpoint`` too) share its faults."""
    counts: dict[tuple[str, str], int] = {}
    for operation in operations:
        if operation.kind in ("create", "update"):
            key = (operation.endpoint_type, operation.kind)
            counts[key] = counts.get(key, 0) + 1
    failing = apportion(counts, share)
    calls: dict[tuple[str, str], list[int]] = {}  # (type, service:Operation) -> [failing, calls]
    for key, count in counts.items():
        call = change_calls.get(key)
        if call is None:
            continue
        tally = calls.setdefault((key[0], call), [0, 0])
        tally[0] += failing[key]
        tally[1] += count
    faults: dict[str, list[dict[str, Any]]] = {}
    for (endpoint_type, call), (fail, made) in calls.items():
        if not fail:
            continue
        service, _, name = call.partition(":")
        faults.setdefault(endpoint_type, []).append(
            {
                "operation": name,
                "error": refusal_code(service, name),
                "message": "simulated by endpointctl bench --scale: the failing share",
                "count": fail,
                "every": max(1, made // fail),
            }
        )
    return faults


def rate_limits_accepted() -> bool:
    """Whether the simulated SageMaker's scenario model has a ``rateLimits`` key (feature-detected:
    the bench runs before and after that key exists)."""
    from endpointctl.sim import simulators

    model = simulators()["sagemaker"].Scenario if "sagemaker" in simulators() else None
    return model is not None and "rateLimits" in getattr(model, "model_fields", {})


def scenario(rate_limits: dict[str, float] | None = None) -> dict[str, Any]:
    """The world's scenario: every simulator's defaults, and SageMaker's rate limits where its
    scenario model accepts them (checked against the model: a key of another shape is left out)."""
    from endpointctl.runner.scenario import read_scenario
    from endpointctl.sim.scenario import ScenarioError

    limits = SAGEMAKER_RATE_LIMITS if rate_limits is None else rate_limits
    if not limits or not rate_limits_accepted():
        return {}
    found = {"sagemaker": {"rateLimits": dict(limits)}}
    try:
        read_scenario(found)
    except ScenarioError:
        return {}
    return found
