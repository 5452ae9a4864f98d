"""The lifecycle's state: the document that flows from state to state of the state machine.

Each Lambda step receives it (``{"step": ..., "state": ...}``) and returns the next one. Choice
states read ``verdict``, ``teardown.verdict``, ``action``, ``options.rollback``, ``wait`` and
``error.Error`` (written by ``Catch`` with ``ResultPath: $.error``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from controller.providers.base import Resource


class Settings(BaseModel):
    """The request's options with the endpoint type's defaults filled in."""

    model_config = ConfigDict(extra="forbid")

    pollIntervalSeconds: int
    timeoutSeconds: int
    rollback: bool
    #: No fixed interval was asked for: the Check step retries itself (see infra/polling.py).
    adaptive: bool = False
    #: Adaptive, and the service announces status changes: a create waits for the event (its task
    #: token times out every ``eventFallbackSeconds`` to look for itself).
    events: bool = False
    eventFallbackSeconds: int = 0


class Failure(BaseModel):
    """A failure in contract terms: one of the error codes, a message, the broken fields."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    fields: list[str] = []


class Teardown(BaseModel):
    """Progress of a rollback (``mode: rollback``) or of an ``action: delete``."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["rollback", "delete"]
    targets: list[Resource]
    deadline: float
    verdict: Literal["wait", "done", "failed"] = "wait"
    deleted: list[str] = []
    skipped: list[str] = []
    reason: str | None = None

    @property
    def left(self) -> list[str]:
        return [target.label for target in self.targets if not target.gone]


class State(BaseModel):
    """Everything the steps know about one request's lifecycle."""

    model_config = ConfigDict(extra="ignore")

    requestId: str
    action: Literal["create", "delete"]
    endpointType: str
    params: dict[str, Any]
    options: Settings
    executionArn: str
    startedAt: str
    deadline: float
    endpointId: str | None = None
    endpointArn: str | None = None
    endpointUrl: str | None = None
    providerStatus: str | None = None
    peakRequestsPerSecond: int | None = None
    created: list[Resource] = []
    #: Resources this request changed but does not own (a Neptune ``update``): never deleted.
    notOwned: list[str] = []
    verdict: Literal["wait", "ready", "failed", "timeout"] = "wait"
    wait: int = 1
    readyAt: str | None = None
    failure: Failure | None = None
    teardown: Teardown | None = None
    #: The execution that holds this request id, when it is not this one (a repeat).
    duplicateOf: str | None = None
    #: ``{"Error": ..., "Cause": ...}`` as a ``Catch`` wrote it: of create/check, of teardown.
    error: dict[str, Any] | None = None
    teardownError: dict[str, Any] | None = None
