"""What one endpoint type's module provides the stack: the base class it subclasses, once.

A type's module (``infra/endpoint_types/<name>.py``) is the one home of everything about that type
the infrastructure needs:

- the IAM grants of its function (only its own service, on scoped resources);
- its function's environment variables, and its network placement (a VPC, if it needs one);
- its poll-policy defaults (a :class:`~infra.polling.PollPolicy`);
- the detail filter of its service's state-change rule, if the service announces them;
- its cdk-nag acknowledgments (the wildcard resources its grants need, each with its reason);
- its own slice of the CDK context (a :class:`TypeSettings`), read and checked.

What every type shares is not here: the name, title and state-change source / detail-types come
from its catalog row (``infra/catalog.py``); the generic context keys ``<type>TimeoutSeconds`` and
``<type>FirstCheckSeconds`` are read once, for every type, by ``infra/config.py``; the function,
the state machine, the rules and the alarms are built alike for every type by ``infra/stack.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import catalog
from infra.polling import PollPolicy

if TYPE_CHECKING:
    from infra.nag import NagArns


class Context(Protocol):
    """Reads one CDK context key: its value, or ``default`` when it is unset or empty."""

    def __call__(self, key: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class TypeSettings:
    """A type's own context keys: none here. A subclass adds fields, each with a default (a
    ``Config()`` builds without any context), reads them in :meth:`from_context` and checks them in
    :meth:`check`, raising ``infra.config.ConfigError`` that names the key and how to fix it."""

    @classmethod
    def from_context(cls, get: Context) -> Self:
        return cls()

    def check(self) -> None:
        """Nothing to check."""

    def require(self) -> None:
        """What a deployment that builds this type cannot do without: none here. Called only for
        the types ``endpointTypes`` lists; raise ``infra.config.ConfigError`` naming the keys."""


@dataclass(frozen=True)
class Network:
    """Where a function runs when Lambda's own network will not do: subnets of a VPC."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    security_groups: tuple[ec2.ISecurityGroup, ...]


@dataclass(frozen=True)
class StateChangeEvents:
    """A service's status-change events on the default bus, as one rule matches them: its source,
    its detail-types (one or more: a service may announce a deployment's progress apart from the
    endpoint's status) and the type's detail filter (a status that ends a wait, or a deployment
    phase worth recording). Whose endpoint it is the function decides: it resumes only a lifecycle
    of its own that waits for that endpoint."""

    source: str
    detail_types: tuple[str, ...]
    detail: dict[str, Any]


S = TypeVar("S", bound=TypeSettings)


class EndpointTypeInfra(ABC, Generic[S]):
    """One endpoint type's infrastructure, with the deployment's settings for it.

    A subclass sets :attr:`name` (its catalog row), :attr:`settings_type` (if it reads context of
    its own) and :attr:`poll_policy`, and implements :meth:`grant`; the other hooks default to
    "nothing of its own".
    """

    #: The type's catalog row (``infra.catalog.rows()``): its ``endpointType``.
    name: ClassVar[str]
    #: Its slice of the context.
    settings_type: ClassVar[type[TypeSettings]] = TypeSettings
    #: When its lifecycle looks at a new endpoint (``infra/polling.py``); context may override it.
    poll_policy: ClassVar[PollPolicy]
    #: The ``detail`` of its state-change rule's pattern, for all of the row's detail-types (an
    #: ``$or`` when they differ); used only if its catalog row has ``stateChanges`` (the rule's
    #: source and detail-types).
    state_change_detail: ClassVar[dict[str, Any] | None] = None
    #: Its requests provision instances under the account's instance quotas: its function gets
    #: the quota check's grants unless the deployment turns the check off (infra/quotas.py).
    instance_quotas: ClassVar[bool] = False

    def __init__(self, *, settings: S | None = None) -> None:
        chosen = settings if settings is not None else self.settings_type()
        if not isinstance(chosen, self.settings_type):
            raise TypeError(f"{type(self).__name__} takes {self.settings_type.__name__}, not {chosen!r}")
        self.settings: S = chosen  # type: ignore[assignment]

    @property
    def row(self) -> dict[str, Any]:
        return catalog.rows()[self.name]

    @property
    def title(self) -> str:
        """The prefix of its constructs and outputs (``<title>Function``, ``<title>StateMachineArn``)."""
        return str(self.row["title"])

    @property
    def state_changes(self) -> StateChangeEvents | None:
        """The service announces status changes: creates wait for them instead of polling."""
        changes = catalog.state_change_events(self.row)
        if changes is None:
            return None
        source, detail_types = changes
        return StateChangeEvents(
            source=source, detail_types=detail_types, detail=dict(self.state_change_detail or {})
        )

    @abstractmethod
    def grant(self, function: lambda_.Function) -> None:
        """Allow ``function`` exactly the calls of its own service it makes."""

    def environment(self) -> dict[str, str]:
        """Variables of its function beyond the shared ones."""
        return {}

    def network(self, scope: Construct) -> Network | None:
        """Its function's VPC placement (constructs it imports go in ``scope``); ``None``: none."""
        return None

    def unmanaged_delete_role(self, scope: Construct, function: lambda_.Function) -> iam.Role | None:
        """The role a delete of an endpoint the controller did not create assumes, when the type's
        function may itself delete only what the controller created (``allowUnmanagedDeletes``);
        ``None``: the function's own role suffices (the service keeps no tags to condition on)."""
        return None

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        """Its own cdk-nag findings, each through ``infra.nag.ack`` (looked up at call time)."""
