"""What a Lambda task of the state machine sends the function: the step to run and its inputs.

``infra/state_machine.py`` builds these payloads; the dispatcher (``controller.dispatch``) parses
one into a :class:`StepEvent` at the door, so a step reads typed fields, never raw JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from controller.state import State

StepName = Literal[
    "validate", "reject", "turn", "create", "check", "await", "teardown", "outcome", "replay", "sweep"
]


class Execution(BaseModel):
    """The execution's id and name (``$$.Execution``), sent by the steps that start a lifecycle."""

    model_config = ConfigDict(defer_build=True)

    Id: str = ""
    Name: str = ""


class PollSettings(BaseModel):
    """The deployment's waiting policy for this type (``infra/polling.py``), sent to ``validate``."""

    model_config = ConfigDict(defer_build=True)

    firstCheckSeconds: int = 0
    #: Set when the type's service announces status changes: the event fallback's period.
    eventFallbackSeconds: int = 0
    #: The longest interval between two looks of adaptive polling (Check's retry cap).
    maxIntervalSeconds: int = 30


class DeletePolicy(BaseModel):
    """Whether the deployment lets ``action: delete`` remove endpoints the controller did not
    create (context ``allowUnmanagedDeletes``), and the role such deletes use, if the type's own
    role may delete only what the controller created."""

    model_config = ConfigDict(defer_build=True)

    allowUnmanaged: bool = False
    roleArn: str = ""


class Defaults(BaseModel):
    """The deployment's defaults for requests that set none (context ``<type>TimeoutSeconds``)."""

    model_config = ConfigDict(defer_build=True)

    timeoutSeconds: int = 0


class SweepSettings(BaseModel):
    """What the scheduled sweep is told (its rule's constant input): the state machine's time
    limit, past which an execution still marked running has ended unseen."""

    model_config = ConfigDict(defer_build=True)

    executionTimeoutSeconds: int = 27 * 3600


class StepEvent(BaseModel):
    """One step's payload. ``validate`` reads ``input``; ``reject`` reads ``error`` (the ``Catch``
    output, or none: the refusals' state machine) and ``input``; the others read ``state``;
    ``await`` also its task ``token``."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    step: StepName
    #: The state machine's endpoint type (every synthesized payload names it; a resumed state carries its own).
    #: Empty in the refusals' state machine (``infra/refusals.py``), which handles no type.
    endpointType: str = ""
    #: The endpoint types the stack deploys (context ``endpointTypes``), sent to ``validate`` and to
    #: the refusals' ``reject``: a request of another type is refused saying so. Empty: not known
    #: (``endpointctl validate`` checks a request offline, against every type).
    deployed: list[str] = []
    input: Any = None
    error: dict[str, Any] | None = None
    execution: Execution = Field(default_factory=Execution)
    poll: PollSettings = Field(default_factory=PollSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    deletes: DeletePolicy = Field(default_factory=DeletePolicy)
    sweep: SweepSettings = Field(default_factory=SweepSettings)
    state: State | None = None
    token: str | None = None

    def lifecycle(self) -> State:
        """The lifecycle's state (every step after ``validate`` has one)."""
        if self.state is None:
            raise ValueError(f"step {self.step} needs the lifecycle's state")
        return self.state
