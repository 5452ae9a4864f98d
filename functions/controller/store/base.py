"""The requests table's records and the protocol every store implements.

Three kinds of item share the table (partition key ``requestId``): a request's *claim* (which
execution holds the request id, and how it ended), a *parked task token* (a lifecycle waiting for
its service's state-change event, keyed by ``controller.task_tokens.key``) and an *ownership
record* (an endpoint the controller created, keyed by ``controller.ownership.key``; it has no
expiry: it is removed when the endpoint is deleted). The logic modules
(``controller.idempotency``, ``controller.task_tokens``) use this protocol only; they never build
a storage request themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

IN_PROGRESS, COMPLETED = "IN_PROGRESS", "COMPLETED"


@dataclass(frozen=True)
class Claim:
    """Who holds a request id, and how it ended if it has."""

    owner: str
    status: str
    publication: dict[str, Any] | None = None


@dataclass(frozen=True)
class Parked:
    """A waiting lifecycle: its task token and the state to resume it with."""

    token: str
    state: dict[str, Any]


class RequestStore(Protocol):
    """Conditional writes on single items; nothing scans or queries."""

    def claim(self, request_id: str, owner: str, *, now: int, expires_at: int) -> Claim:
        """Claim ``request_id`` for ``owner`` unless another owner holds it; the holder after."""
        ...

    def lookup(self, request_id: str) -> Claim | None:
        """The claim of ``request_id``, read consistently; ``None`` when there is none."""
        ...

    def complete(self, request_id: str, owner: str, publication: dict[str, Any]) -> None:
        """Keep how the request ended, if ``owner`` still holds it (else change nothing)."""
        ...

    def park(self, key: str, token: str, state: dict[str, Any], *, now: int, expires_at: int) -> None:
        """Park ``token`` under ``key``, replacing whatever was parked there."""
        ...

    def parked(self, key: str) -> Parked | None:
        """What is parked under ``key``."""
        ...

    def take(self, key: str, token: str) -> bool:
        """Remove ``token`` from ``key``; ``False`` when it is no longer there (someone took it,
        or a newer token replaced it)."""
        ...

    def own(self, key: str, request_id: str, *, now: int) -> None:
        """Record that the controller created the resource of ``key`` (for ``request_id``)."""
        ...

    def owner(self, key: str) -> str | None:
        """The request that created the resource of ``key``; ``None``: not the controller."""
        ...

    def disown(self, key: str) -> None:
        """The resource of ``key`` is gone: forget it."""
        ...
