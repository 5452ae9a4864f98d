"""The provider interface: what the lifecycle needs from an endpoint type.

A provider validates its ``params``, creates the endpoint (recording each resource it creates as
it goes), describes a resource as a normalized :class:`Status`, and deletes a resource. The
lifecycle (``controller.lifecycle``) and the state machine are the same for every type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from controller.validation import FieldError


class Status(StrEnum):
    """A resource's service status, normalized across endpoint types."""

    CREATING = "CREATING"  # on its way (Creating, Updating, SystemUpdating, RollingBack, ...)
    READY = "READY"  # ready for traffic (InService, READY) or, for a config, existing
    FAILED = "FAILED"  # the service gave up on it (Failed, UpdateRollbackFailed, FAILED)
    DELETING = "DELETING"  # being deleted
    ABSENT = "ABSENT"  # does not exist


class Resource(BaseModel):
    """A resource the lifecycle created or deletes (``kind`` is the provider's own word)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    id: str
    deleteRequested: bool = False
    gone: bool = False

    @property
    def label(self) -> str:
        """How notifications name it: ``endpoint churn-prod``, ``endpoint-config churn-v3``."""
        return f"{self.kind} {self.id}"


@dataclass(frozen=True)
class Observation:
    """What describing a resource found."""

    status: Status
    provider_status: str | None = None
    arn: str | None = None
    url: str | None = None
    reason: str | None = None
    extra: dict[str, Any] | None = None


@dataclass(frozen=True)
class StateChange:
    """What a service's status-change event says about one endpoint."""

    endpoint_id: str
    status: Status
    provider_status: str
    #: The request id the endpoint's ownership tag names, when the event carries tags.
    owner: str | None = None


class NotOwned(Exception):
    """The resource does not carry this request's ownership tag: it is left alone."""


class Provider(Protocol):
    """One endpoint type. Implementations live in ``controller.providers.<type>``."""

    endpoint_type: ClassVar[str]
    #: The service's name in calls and IAM (``sagemaker``).
    service: ClassVar[str]
    default_timeout_seconds: ClassVar[int]
    default_poll_seconds: ClassVar[int]
    #: How long a rollback or delete may wait for the service before it counts as failed.
    teardown_bound_seconds: ClassVar[int]

    def validate(self, action: str, params: Any) -> list[FieldError]:
        """Every broken field of ``params`` for ``action`` (empty when valid)."""
        ...

    def endpoint_id(self, action: str, params: dict[str, Any]) -> str | None:
        """The endpoint's identifier as far as the request names it."""
        ...

    def create(
        self, params: dict[str, Any], request_id: str, created: list[Resource]
    ) -> tuple[str, Observation]:
        """Create the endpoint; append each resource to ``created`` as soon as it exists.

        Returns the endpoint id and its first observation. Raises ``EndpointAlreadyExists`` or
        ``PrerequisiteNotFound`` before touching anything, ``TransientServiceError`` when a retry
        may cure it (the retry must be safe: resources this request created are recognized).
        """
        ...

    def describe(self, resource: Resource) -> Observation:
        """The resource's normalized status (``ABSENT`` when it does not exist)."""
        ...

    def delete(self, resource: Resource, *, owner: str | None) -> None:
        """Ask the service to delete ``resource``.

        With ``owner`` set (a rollback), a provider that can check ownership raises
        :class:`NotOwned` rather than delete what that request did not create.
        """
        ...

    def delete_targets(self, params: dict[str, Any]) -> list[Resource]:
        """What an ``action: delete`` request removes, in order."""
        ...
