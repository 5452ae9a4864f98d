"""What one create makes: each identity claimed before the service is asked, each resource
recorded durably the moment it exists.

``controller.steps.readiness.create`` hands a :class:`Creations` to the provider's ``create``. The
provider calls :meth:`Creations.acquire` before it asks the service for a resource, and
:meth:`Creations.append` as soon as the service says it made one. A retried create (after a
throttle, a 5xx, a read timeout that came after the service acted, a Lambda timeout) therefore
recognizes what an earlier attempt made, by the claim it holds, for every type: with or without
tags, and whatever the answer that was lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from controller import ledger, ownership
from controller.errors import EndpointAlreadyExists
from controller.resources import Resource


class Kinds(Protocol):
    """What recording a creation needs of its endpoint type (a ``Provider`` is one): its names,
    and how the service names a resource's identity."""

    @property
    def endpoint_type(self) -> str: ...

    @property
    def service(self) -> str: ...

    @property
    def endpoint_kind(self) -> str: ...

    def identity(self, resource: Resource) -> str: ...

    def is_endpoint(self, resource: Resource) -> bool: ...


class Creations(list[Resource]):
    """The resources one create made, in order (a list, recorded durably as it grows)."""

    def __init__(
        self, provider: Kinds, request_id: str, execution_arn: str, resources: Iterable[Resource] = ()
    ) -> None:
        super().__init__(resources)
        self.provider = provider
        self.request_id = request_id
        self.execution_arn = execution_arn

    def _key(self, resource: Resource) -> str:
        return ownership.key(self.provider.endpoint_type, resource, self.provider.identity(resource))

    def acquire(self, resource: Resource, exists: Callable[[], bool]) -> bool:
        """Claim ``resource``'s identity for this request before creating it.

        ``exists``: whether the service has the resource now. Returns ``True`` when it exists and
        is this request's already (an earlier attempt of this execution made it: append it and go
        on), ``False`` when the caller should create it. Raises ``EndpointAlreadyExists`` when it
        is someone else's: it existed before this request claimed it, another request holds it
        while still running, or another request created it.
        """
        claim_key = self._key(resource)
        held, fresh = ownership.claim(claim_key, self.request_id, self.execution_arn)
        if held.execution_arn != self.execution_arn:
            other = ledger.read(held.execution_arn)
            if other is not None and other.open:
                raise self._taken(resource, held)  # another request is still at work on it
            if exists() or not ownership.take_over(claim_key, held, self.request_id, self.execution_arn):
                raise self._taken(resource, held)  # it made it, or someone else took the claim
            ledger.record_claim(self.execution_arn, resource)  # a stale claim, taken over: absent
            ownership.mark(claim_key, self.execution_arn, ownership.ASKING)
            return False
        if fresh:
            ledger.record_claim(self.execution_arn, resource)
        elif held.state == ownership.CREATED:
            return True
        elif held.state == ownership.ASKING:
            return exists()  # it was absent when the service was asked: what exists now is ours
        if exists():  # taken now, or by an attempt that never looked: it must not exist yet
            ownership.release(claim_key, self.execution_arn)
            raise self._taken(resource, None)
        ownership.mark(claim_key, self.execution_arn, ownership.ASKING)
        return False

    def _taken(self, resource: Resource, held: ownership.Holder | None) -> EndpointAlreadyExists:
        by = f" (it is request {held.request_id}'s)" if held is not None else ""
        return EndpointAlreadyExists(
            f"{self.provider.service} {resource.label} already exists and this request did not create it{by}"
        )

    def append(self, resource: Resource) -> None:
        """``resource`` exists now, made by this request: record it before anything else."""
        if any((r.kind, r.id) == (resource.kind, resource.id) for r in self):
            return
        ledger.record_created(self.execution_arn, resource)
        ownership.mark(self._key(resource), self.execution_arn, ownership.CREATED)
        if resource.endpoint and not self.provider.is_endpoint(resource):  # its expiry removes it too
            endpoint = Resource(kind=self.provider.endpoint_kind, id=resource.endpoint)
            ownership.record_made_for(self.provider.endpoint_type, self.provider.identity(endpoint), resource)
        super().append(resource)
