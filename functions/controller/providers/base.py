"""The provider interface: everything the lifecycle needs from an endpoint type.

A provider validates its ``params``, creates the endpoint (recording each resource it creates as
it goes), describes a resource as a normalized :class:`Status`, deletes a resource, and declares
the type's facts: which resource kind is the endpoint, the order a teardown deletes its kinds in,
and (optionally) how to read its service's state-change events. The steps
(``controller.steps``) and the state machine are the same for every type; the catalog row
(``controller/catalog.json``) gives the type's name, identifier parameter and event source.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from controller import catalog
from controller.resources import Resource as Resource  # every provider names it: defined apart
from controller.validation import FieldError

if TYPE_CHECKING:
    from controller.creations import Creations


class Status(StrEnum):
    """A resource's service status, normalized across endpoint types."""

    CREATING = "CREATING"  # on its way (Creating, Updating, SystemUpdating, RollingBack, ...)
    READY = "READY"  # ready for traffic (InService, READY) or, for a config, existing
    FAILED = "FAILED"  # the service gave up on it (Failed, UpdateRollbackFailed, FAILED)
    DELETING = "DELETING"  # being deleted
    ABSENT = "ABSENT"  # does not exist


class EndpointOutputs(BaseModel):
    """What a type reports about a ready endpoint beyond status, ARN and URL; published in the
    ``Endpoint Ready`` notification's detail, one member per field. Subclass per type."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


@dataclass(frozen=True)
class Observation:
    """What describing a resource found."""

    status: Status
    provider_status: str | None = None
    arn: str | None = None
    url: str | None = None
    reason: str | None = None
    outputs: EndpointOutputs | None = None
    #: What the endpoint serves (SageMaker: its endpoint config; Neptune ML: its model's job).
    serving: str | None = None
    #: A deployment is still under way, whatever the status says (SageMaker's
    #: ``PendingDeploymentSummary``): an update has not settled yet.
    settling: bool = False


@dataclass(frozen=True)
class Usage:
    """Who uses a resource that endpoints share (a SageMaker endpoint config): the endpoints that
    serve it, and those deploying it (being created on it, updated to it, or deleted)."""

    serving: tuple[str, ...] = ()
    deploying: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.serving or self.deploying)

    def __str__(self) -> str:
        said = []
        if self.serving:
            said.append(f"endpoint {', '.join(self.serving)} serves it")
        if self.deploying:
            said.append(f"endpoint {', '.join(self.deploying)} is deploying it")
        return "; ".join(said)


@dataclass(frozen=True)
class Change:
    """What an update asked for: what the endpoint served before, and what it is to serve."""

    previous: str | None
    requested: str
    #: Scalable targets taken off for the update, to register again once it settled.
    scaling: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Creation:
    """What a create (or an update) did: the endpoint's id and its first observation."""

    endpoint_id: str
    observation: Observation
    #: An update's target (``Provider.update``).
    change: Change | None = None


@dataclass(frozen=True)
class StateChange:
    """What a service's status-change event says about one endpoint."""

    endpoint_id: str
    status: Status
    provider_status: str
    #: The request id the endpoint's ownership tag names, when the event carries tags.
    owner: str | None = None


class Ownership(StrEnum):
    """Whose a resource is, as far as its provider can tell by looking at it."""

    OWNED = "OWNED"  # it carries this controller's ownership tag
    NOT_OWNED = "NOT_OWNED"  # it exists without the tag
    #: it carries the ownership tag of another stack of the controller (its stack tag names that
    #: stack): that deployment's, not this one's, for deletes, updates and adoption alike
    OTHER_STACK = "OTHER_STACK"
    ABSENT = "ABSENT"
    UNKNOWN = "UNKNOWN"  # the service keeps no tags: the controller's own record decides


class NotOwned(Exception):
    """The resource does not carry this request's ownership tag: it is left alone."""


class Provider(ABC):
    """One endpoint type. Implementations live in ``controller.providers.<type>``."""

    endpoint_type: ClassVar[str]
    #: The service's name in calls and messages (its botocore name).
    service: ClassVar[str]
    default_timeout_seconds: ClassVar[int]
    default_poll_seconds: ClassVar[int]
    #: How long a rollback or delete may wait for the service before it counts as failed.
    teardown_bound_seconds: ClassVar[int]
    #: The kind of the resource that is the endpoint (what a create waits for).
    endpoint_kind: ClassVar[str]
    #: Kinds in the order a teardown deletes them (a config after the endpoint that uses it);
    #: kinds not listed go first.
    teardown_order: ClassVar[tuple[str, ...]] = ()
    #: Kinds that any endpoint of the account may use, whoever made them (a SageMaker endpoint
    #: config): never deleted while one does (:meth:`users`).
    shared_kinds: ClassVar[tuple[str, ...]] = ()
    #: The longest a service operation on a live endpoint may run by itself (a deployment): a
    #: clean-up of a stopped update waits that long for it to settle, then its teardown bound.
    deployment_bound_seconds: ClassVar[int] = 0

    @property
    def identifier(self) -> str:
        """The ``params`` member that names the endpoint (the catalog's)."""
        return catalog.get(self.endpoint_type).identifier

    @abstractmethod
    def validate(self, action: str, params: Any) -> list[FieldError]:
        """Every broken field of ``params`` for ``action`` (empty when valid)."""

    def endpoint_id(self, action: str, params: dict[str, Any]) -> str | None:
        """The endpoint's identifier as far as the request names it."""
        value = params.get(self.identifier)
        return value if isinstance(value, str) else None

    @abstractmethod
    def create(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        """Create the endpoint: ``created.acquire`` each resource before asking the service for it
        (``True``: an earlier attempt made it already), ``created.append`` it as soon as it exists.

        Raises ``EndpointAlreadyExists`` or ``PrerequisiteNotFound`` before touching anything,
        ``TransientServiceError`` when a retry may cure it (the retry is safe: the claims recognize
        what an earlier attempt made, even when its answer was lost).
        """

    #: Whether ``action: update`` exists for this type (its service changes a live endpoint).
    supports_update: ClassVar[bool] = False

    def update(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        """Update the live endpoint as ``create`` creates one (``created`` records what the update
        makes, such as a new config, and only that is ever rolled back). Raises
        ``EndpointNotFound`` when there is no endpoint to update, before touching anything."""
        raise NotImplementedError(f"{self.endpoint_type} has no update")

    def settled_update(self, endpoint_id: str, execution_arn: str) -> list[str]:
        """An update has settled (succeeded, rolled back or failed), or its execution ended without
        seeing it settle (the clean-up): put back what ``update`` took off for it, as it recorded
        it under ``execution_arn``, once; what was put back."""
        return []

    def occupied(self, action: str, endpoint_id: str) -> str | None:
        """The endpoint's service status (``Updating``, ``Creating``, ...) when the service shows an
        operation under way on it that ``action`` must wait for before it acts: one that is not
        this controller's (the console, another tool), since its own are ordered by its lease
        (``controller.turns``), which the caller already holds. ``None`` when there is none, when
        the endpoint does not exist (the action itself says so), and by default, without a call:
        only an action the service would refuse on a busy endpoint needs to ask."""
        return None

    def replaced(self, change: Change) -> Resource | None:
        """What a successful update replaced and ``deleteReplacedConfig`` may remove."""
        return None

    def users(self, resources: list[Resource]) -> dict[str, Usage]:
        """For each of ``resources`` (of :attr:`shared_kinds`) that some endpoint of the account
        and region uses, who does, by label; the rest are free to delete. One look serves them
        all (a teardown asks once per step)."""
        return {}

    def identity(self, resource: Resource) -> str:
        """The resource's identity as the service compares names (its claim's key)."""
        return resource.id

    @abstractmethod
    def describe(self, resource: Resource) -> Observation:
        """The resource's normalized status (``ABSENT`` when it does not exist)."""

    @abstractmethod
    def delete(self, resource: Resource, *, owner: str | None, role_arn: str | None = None) -> None:
        """Ask the service to delete ``resource``.

        With ``owner`` set (a rollback), a provider that can check ownership raises
        :class:`NotOwned` rather than delete what that request did not create. ``role_arn``: the
        deployment's role for deleting what the controller did not create (``allowUnmanagedDeletes``),
        for a provider whose own role may delete only the controller's resources.
        """

    def ownership(self, resource: Resource) -> Ownership:
        """Whose ``resource`` is, by its tags; ``UNKNOWN`` for a service that keeps none."""
        return Ownership.UNKNOWN

    def adopt(self, resource: Resource, request_id: str) -> None:
        """Mark ``resource``, an endpoint the controller did not create and an update with
        ``options.adopt`` takes over (``controller.adoption``), as the controller's where the
        service keeps such marks (the tags :meth:`ownership` reads), for request ``request_id``.
        Called after the controller's own claim is recorded and before the update is sent; it may
        be called again for the same request (a retried step). By default nothing: for a service
        that keeps no tags the claim is the record."""
        return None

    def delete_targets(self, params: dict[str, Any]) -> list[Resource]:
        """What an ``action: delete`` request removes, in order: by default, the endpoint."""
        return [Resource(kind=self.endpoint_kind, id=str(params[self.identifier]))]

    def read_state_change(self, event: dict[str, Any]) -> StateChange | None:
        """The endpoint and status a state-change event of the service reports; ``None`` for an
        event this type does not read (and for types whose service announces nothing)."""
        return None

    def is_endpoint(self, resource: Resource) -> bool:
        return resource.kind == self.endpoint_kind

    def in_teardown_order(self, resources: Iterable[Resource]) -> list[Resource]:
        """``resources`` in the order a teardown deletes them (stable within a kind)."""
        order = self.teardown_order
        return sorted(resources, key=lambda r: order.index(r.kind) + 1 if r.kind in order else 0)
