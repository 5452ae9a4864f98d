"""What the local runner needs from a simulated endpoint service: the :class:`Simulator` protocol.

The runner (``endpointctl.runner``) builds one simulator per endpoint type of the catalog, from
the scenario's key of that type, and drives every one the same way:

1. ``serve(stack)`` before moto starts: start what runs outside moto (a loopback HTTP service for
   a service moto lacks) and return the environment that points clients at it;
2. ``install(stack)`` once moto runs: patch moto's backend, or hook the SDK;
3. ``seed()`` once the stack is staged: the scenario's pre-existing resources;
4. per request, ``prepare(request)``: the prerequisites it names exist (unless the scenario says
   they are missing);
5. for the result, ``remaining()`` (what exists now) and ``terminal_times(execution)`` (when what
   an execution asked for reached its terminal status).

A simulator that announces status changes publishes its events through ``publish`` (the runner's
default bus). Each simulated rule should follow the service's documented behaviour, and cite it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from endpointctl.sim.calls import CallLog
from endpointctl.sim.iam import Authorization
from endpointctl.sim.scenario import ScenarioModel, read
from endpointctl.sim.virtual_clock import VirtualClock


@dataclass(frozen=True)
class DemoScene:
    """One scene of ``endpointctl local demo``: a request and how the service behaves."""

    title: str
    request: dict[str, Any]
    scenario: dict[str, Any] | None = None
    #: A request the controller refuses (shown after every type's own scenes).
    refused: bool = False


class Simulator(Protocol):
    #: Its catalog name, which is also its key in a scenario.
    endpoint_type: ClassVar[str]
    #: The botocore name of the service it simulates, which names its calls (``sagemaker:...``).
    service: ClassVar[str]
    #: The operations of ``service`` it answers when another simulator simulates the same service
    #: (inference components are SageMaker's); empty: all of them (:func:`endpointctl.sim.answering`).
    operations: ClassVar[frozenset[str]]
    #: Other services it simulates alongside ``service`` (botocore names), whose calls it logs too.
    also_simulates: ClassVar[frozenset[str]]
    #: CDK context the local synth gives its type (placeholders for settings a deploy must give).
    local_context: ClassVar[dict[str, Any]]
    #: The model of its scenario key (every key typed; no other keys).
    Scenario: ClassVar[type[ScenarioModel]]
    #: The ``params`` of a small valid create request (``endpointctl bench``).
    sample_params: ClassVar[dict[str, Any]]
    #: The ``params`` of an update of the ``sample_params`` endpoint (``endpointctl bench``);
    #: ``None`` for a type without update.
    sample_update: ClassVar[dict[str, Any] | None]
    #: Whether it publishes state-change events (then the scenario key ``emitEvents`` turns them off).
    emits_events: ClassVar[bool]
    #: ``endpointctl local demo``'s scenes for this type.
    demo: ClassVar[tuple[DemoScene, ...]]
    #: Where its events go (the runner's default bus); ``None``: nowhere.
    publish: Callable[[dict[str, Any]], None] | None

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        """``scenario``: its scenario key's value (JSON, checked against ``Scenario``)."""
        ...

    def serve(self, stack: ExitStack) -> dict[str, str]: ...

    def install(self, stack: ExitStack) -> None: ...

    def seed(self) -> None: ...

    def prepare(self, request: Any) -> None: ...

    def remaining(self) -> dict[str, list[str]]: ...

    def terminal_times(self, execution: str) -> list[float]: ...

    def authorizations(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        """What IAM authorizes a call of its service with: ``(action, resource ARN, context)``
        each, as the service authorization reference and the service's docs say."""
        ...

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """The tags of one of its resources (``None``: it has none, or it does not exist)."""
        ...

    def on_behalf(self, service: str, operation: str, params: dict[str, Any]) -> list[Authorization]:
        """What a call of *another* service (Application Auto Scaling, say) is also authorized
        with because that service acts on this one's resources with the caller's permissions."""
        ...


class SimulatorBase:
    """Defaults for the optional parts of :class:`Simulator` (nothing to serve, install or seed),
    and the scenario read into :attr:`scenario` (a ``ScenarioError`` names what is wrong)."""

    endpoint_type: ClassVar[str] = ""
    service: ClassVar[str] = ""
    operations: ClassVar[frozenset[str]] = frozenset()
    also_simulates: ClassVar[frozenset[str]] = frozenset()
    local_context: ClassVar[dict[str, Any]] = {}
    Scenario: ClassVar[type[ScenarioModel]] = ScenarioModel
    emits_events: ClassVar[bool] = False
    sample_update: ClassVar[dict[str, Any] | None] = None
    demo: ClassVar[tuple[DemoScene, ...]] = ()

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        self.scenario: Any = (
            scenario
            if isinstance(scenario, self.Scenario)
            else read(self.Scenario, scenario, self.endpoint_type)
        )
        self.clock, self.log = clock, log
        self.publish: Callable[[dict[str, Any]], None] | None = None

    def serve(self, stack: ExitStack) -> dict[str, str]:
        return {}

    def install(self, stack: ExitStack) -> None:
        return None

    def seed(self) -> None:
        return None

    def authorizations(self, operation: str, params: dict[str, Any]) -> list[Authorization]:
        return [(f"{self.service}:{operation}", "*", {})]

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        return None

    def on_behalf(self, service: str, operation: str, params: dict[str, Any]) -> list[Authorization]:
        return []
