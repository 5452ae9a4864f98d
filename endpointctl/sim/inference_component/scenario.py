"""The ``inference-component`` scenario key (docs/local-runner.md), typed and closed, and what the simulator
keeps per component."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from endpointctl.sim.scenario import ScenarioModel, Seconds, ServiceScenario


class ExistingComponent(ScenarioModel):
    """Someone else's component (no controller tags), in service on an endpoint of the simulated
    SageMaker (created in service, for components, when the scenario does not otherwise have it)."""

    InferenceComponentName: str
    EndpointName: str


class ComponentExisting(ScenarioModel):
    components: list[ExistingComponent] = []


class ComponentUpdate(ScenarioModel):
    """How ``UpdateInferenceComponent`` (and ``UpdateInferenceComponentRuntimeConfig``) go:
    ``InService`` with the new specification and copies live; ``RolledBack``: ``InService`` again
    on the previous specification and copy count, with a ``FailureReason``; ``Failed``."""

    seconds: Seconds = 600
    outcome: Literal["InService", "RolledBack", "Failed"] = "InService"
    failureReason: str | None = None


class InferenceComponentScenario(ServiceScenario):
    createSeconds: Seconds = 300
    deleteSeconds: Seconds = 60
    outcome: Literal["InService", "Failed"] = "InService"
    deleteOutcome: Literal["Deleted"] = "Deleted"
    existing: ComponentExisting = ComponentExisting()
    update: ComponentUpdate = ComponentUpdate()


@dataclass
class PendingUpdate:
    """An update under way: when it was sent and what it asks (``None``: that part unchanged)."""

    at: float
    specification: dict[str, Any] | None
    copies: int | None
    deployment: dict[str, Any] | None
    #: Only the copy count (``UpdateInferenceComponentRuntimeConfig``): it always succeeds.
    runtime_only: bool = False


@dataclass
class Component:
    """One inference component: what it was asked to be, what is live, and its timeline."""

    name: str
    arn: str
    endpoint_name: str
    endpoint_arn: str
    variant: str
    #: The live ``Specification`` (or ``Specifications``: the key the request used) as sent.
    spec_key: str
    specification: Any
    desired: int
    current: int
    created: float
    modified: float
    status: str = "Creating"
    failure_reason: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    #: When it is ready (``None``: already settled), and the execution that asked for it.
    ready_at: float | None = None
    execution: str | None = None
    update: PendingUpdate | None = None
    last_deployment: dict[str, Any] | None = None
    delete_at: float | None = None
    delete_execution: str | None = None
