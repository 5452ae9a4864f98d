"""The lifecycle's state: the document that flows from state to state of the state machine.

Each Lambda step receives it (``{"step": ..., "state": ...}``) and returns the next one. Choice
states read ``verdict``, ``teardown.verdict``, ``action``, ``options.rollback``, ``options.events``,
``duplicateOf`` and ``wait`` (``infra/state_machine.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from controller.errors import Failure
from controller.providers.base import Resource

#: How far a lifecycle has come: still waiting, or how it ended (``ready``, ``failed``,
#: ``timeout``); a repeat's replay ends as its first execution did (``deleted`` for a delete).
#: Before it acts, a request may wait its turn (``queued``: another operation on the endpoint is
#: under way) or give up waiting (``busy``: its deadline passed first).
Verdict = Literal["wait", "ready", "failed", "timeout", "deleted", "queued", "busy"]


class ResolvedOptions(BaseModel):
    """The request's ``options`` with the endpoint type's and the deployment's defaults filled in
    (``controller.waiting.resolve``)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    pollIntervalSeconds: int
    timeoutSeconds: int
    rollback: bool
    #: No fixed interval was asked for: the Check step retries itself (see controller/waiting.py).
    adaptive: bool = False
    #: Adaptive, and the service announces status changes: a create waits for the event (its task
    #: token times out every ``eventFallbackSeconds`` to look for itself).
    events: bool = False
    eventFallbackSeconds: int = 0
    #: Adaptive polling's longest interval: nearer the deadline than this, the wait is exact.
    maxRetryIntervalSeconds: int = 30
    #: The deployment lets a delete remove what the controller did not create (with this role).
    allowUnmanagedDeletes: bool = False
    unmanagedDeleteRoleArn: str | None = None
    #: After a successful update, delete the replaced config if the controller created it.
    deleteReplacedConfig: bool = False
    #: A create: delete the endpoint this long after it became ready.
    expiresAfterSeconds: int | None = None
    #: An update: take the endpoint over if the controller did not create it (``controller.adoption``);
    #: ``True`` or absent (the state of a request that does not ask for it is unchanged).
    adopt: bool | None = None


class Teardown(BaseModel):
    """Progress of a rollback (``mode: rollback``) or of an ``action: delete``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    mode: Literal["rollback", "delete"]
    targets: list[Resource]
    deadline: float
    verdict: Literal["wait", "done", "failed"] = "wait"
    deleted: list[str] = []
    skipped: list[str] = []
    #: What it leaves on purpose, with why: not created by the controller (a delete's config),
    #: or in use by an endpoint (a shared config, ``Provider.users``).
    kept: list[str] = []
    reason: str | None = None
    #: Transient errors met in a row (``steps.teardown``: retried with backoff, then ``failed``).
    attempts: int = 0

    @property
    def left(self) -> list[str]:
        return [target.label for target in self.targets if not target.gone and not target.kept]


class Change(BaseModel):
    """An update's target: what the endpoint served before it (``previous``), what it was asked
    to serve (``requested``), and, once it settled elsewhere, the service's reason."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    previous: str | None = None
    requested: str
    reason: str | None = None
    #: After success with ``deleteReplacedConfig``: what became of the replaced resource.
    replacedDeleted: str | None = None
    replacedKept: str | None = None
    #: Scalable targets taken off for the update (``Provider.update``), and those put back.
    scaling: list[dict[str, Any]] = []
    scalingRestored: list[str] | None = None


class State(BaseModel):
    """Everything the steps know about one request's lifecycle."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    requestId: str
    action: Literal["create", "update", "delete"]
    endpointType: str
    params: dict[str, Any]
    options: ResolvedOptions
    executionArn: str
    startedAt: str
    deadline: float
    endpointId: str | None = None
    endpointArn: str | None = None
    endpointUrl: str | None = None
    providerStatus: str | None = None
    #: The provider's typed outputs (``EndpointOutputs``), published when the endpoint is ready.
    outputs: dict[str, Any] = {}
    created: list[Resource] = []
    #: An update's target (``action: update``).
    change: Change | None = None
    #: ``True``: this update adopted the endpoint (it was not the controller's until then).
    adopted: bool | None = None
    #: An expiry's delete: the request whose endpoint expired (its notification carries that id).
    expiredRequestId: str | None = None
    verdict: Verdict = "wait"
    wait: int = 1
    #: The first look's wait, kept while the request waits its turn.
    firstWait: int | None = None
    readyAt: str | None = None
    failure: Failure | None = None
    teardown: Teardown | None = None
    #: The execution that holds this request id, when it is not this one (a repeat).
    duplicateOf: str | None = None
    #: ``{"Error": ..., "Cause": ...}`` as a ``Catch`` wrote it: of create/check, of teardown.
    error: dict[str, Any] | None = None
    teardownError: dict[str, Any] | None = None
