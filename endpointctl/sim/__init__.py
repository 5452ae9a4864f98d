"""The simulated endpoint services of the local runner, one per endpoint type.

A catalog type's simulator is the ``SIMULATOR`` class of ``endpointctl.sim.<name>`` (hyphens as underscores:
``inference_component`` for ``inference-component``); code outside
this package (a test's own endpoint type) adds one with :func:`register`. Every simulator conforms
to :class:`~endpointctl.sim.base.Simulator`; the runner loops over :func:`simulators` and names
none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module

from controller import catalog
from endpointctl.sim.base import DemoScene, Simulator, SimulatorBase

__all__ = [
    "DemoScene",
    "Simulator",
    "SimulatorBase",
    "answering",
    "logged_services",
    "register",
    "simulators",
    "unregister",
]

_REGISTERED: dict[str, type[Simulator]] = {}


def simulators() -> dict[str, type[Simulator]]:
    """Endpoint type → its simulator class, in catalog order."""
    found = {}
    for name in catalog.names():
        if name not in _REGISTERED:
            _REGISTERED[name] = import_module(f"{__name__}.{name.replace('-', '_')}").SIMULATOR
        found[name] = _REGISTERED[name]
    return found


def answering(found: Iterable[Simulator], service: str, operation: str) -> Simulator | None:
    """Which of the simulators ``found`` answers ``service``'s ``operation``: the one that names it
    in its ``operations`` (two simulate SageMaker: endpoints and inference components), else the
    first of the service that names none."""
    of_service = [sim for sim in found if sim.service == service]
    named = [sim for sim in of_service if operation in getattr(sim, "operations", ())]
    return next(iter(named or [sim for sim in of_service if not getattr(sim, "operations", ())]), None)


def logged_services(found: Iterable[Simulator]) -> set[str]:
    """The services whose calls the simulators ``found`` log (their own, and those they also
    simulate): a call IAM denies is logged too, as a call made."""
    return {name for sim in found for name in {sim.service, *getattr(sim, "also_simulates", ())}}


def register(simulator: type[Simulator]) -> None:
    """Use ``simulator`` for its ``endpoint_type`` (whose catalog row must exist)."""
    catalog.get(simulator.endpoint_type)
    _REGISTERED[simulator.endpoint_type] = simulator


def unregister(endpoint_type: str) -> None:
    _REGISTERED.pop(endpoint_type, None)
