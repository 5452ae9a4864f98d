"""A ``local run`` scenario file, checked: each endpoint type's part (its simulator's model) and
the runner's own keys (``abortAtSeconds``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from endpointctl.sim import simulators
from endpointctl.sim.scenario import ScenarioError, read, seconds

#: Scenario keys of the runner itself (the others are the endpoint types').
RUNNER_KEYS = ("abortAtSeconds",)


@dataclass(frozen=True)
class Scenario:
    """A scenario file, checked: each endpoint type's part (its simulator's model) and the
    runner's own keys."""

    services: dict[str, Any]
    #: When the runner stops each execution, as an operator would (virtual seconds after its start).
    abort_at: float | None = None


def read_scenario(scenario: Any) -> Scenario:
    """``scenario`` checked at every depth; a ``ScenarioError`` names what is wrong."""
    scenario = {} if scenario is None else scenario
    if not isinstance(scenario, dict):
        raise ScenarioError("the scenario must be a JSON object")
    kinds = simulators()
    unknown = set(scenario) - set(kinds) - set(RUNNER_KEYS)
    if unknown:
        known = ", ".join([*kinds, *RUNNER_KEYS])
        raise ScenarioError(f"unknown scenario keys: {', '.join(sorted(unknown))} (known: {known})")
    services = {name: read(kind.Scenario, scenario.get(name), name) for name, kind in kinds.items()}
    return Scenario(services=services, abort_at=seconds(scenario.get("abortAtSeconds"), "abortAtSeconds"))
