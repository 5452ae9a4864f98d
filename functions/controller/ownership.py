"""Whose an endpoint is: one claim per endpoint identity, taken before the service is asked.

Before a create asks the service for an endpoint (or a SageMaker endpoint config), it *claims* the
resource's identity for its execution with a conditional write (``controller.creations``): of two
creates of one name, one Amazon ML model or one Neptune ``id`` at the same moment, exactly one
holds the claim and the other ends ``EndpointAlreadyExists``, having touched nothing. The claim
outlives the execution: once the resource exists it is the durable record that the controller
created it (``state: created``), which a later ``action: delete`` trusts for types whose service
keeps no tags (and as a second witness beside SageMaker's tags). It goes when the resource is
deleted, or when the claiming execution ends without creating it.

A claim whose execution has ended (its ledger is closed) while its resource no longer exists (an
operator deleted it by hand) is stale: the next create takes it over, conditionally on the old
holder, so two racing takers still cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller import clock, store
from controller.resources import Resource

#: A claim's states: taken (the resource's absence not yet seen), *asking* (it was absent when
#: looked at under the claim, and the service is being asked: whatever exists now is this
#: claim's), created.
CLAIMED, ASKING, CREATED = "claimed", "asking", "created"


@dataclass(frozen=True)
class Holder:
    """Who holds an identity's claim, and whether the resource was created under it."""

    request_id: str
    execution_arn: str
    state: str


def key(endpoint_type: str, resource: Resource, identity: str) -> str:
    # Kept in the request table's partition key; the prefix keeps it apart from request ids.
    return f"#endpoint#{endpoint_type}#{resource.kind}#{identity}"


def _holder(item: dict[str, object] | None) -> Holder | None:
    if not item or "executionArn" not in item:
        return None
    return Holder(str(item["request"]), str(item["executionArn"]), str(item.get("state", CLAIMED)))


def claim(claim_key: str, request_id: str, execution_arn: str) -> tuple[Holder, bool]:
    """Claim the identity for ``execution_arn``: the holder afterwards (this execution's own, from
    an earlier attempt, or another's), and whether this call took it."""
    item = {"request": request_id, "executionArn": execution_arn, "state": CLAIMED, "at": int(clock.now())}
    for _ in range(3):  # released between the write and the read: claim again
        if store.current().put(claim_key, item, if_absent_or={}):
            return Holder(request_id, execution_arn, CLAIMED), True
        current = holder(claim_key)
        if current is not None:
            return current, False
    raise RuntimeError(f"{claim_key}: its claim keeps changing")


def holder(claim_key: str) -> Holder | None:
    return _holder(store.current().get(claim_key))


def take_over(claim_key: str, stale: Holder, request_id: str, execution_arn: str) -> bool:
    """Take a stale claim from ``stale`` (only if it still holds it)."""
    item = {"request": request_id, "executionArn": execution_arn, "state": CLAIMED, "at": int(clock.now())}
    return store.current().put(claim_key, item, if_match={"executionArn": stale.execution_arn})


def mark(claim_key: str, execution_arn: str, state: str) -> None:
    """Move the claim ``execution_arn`` holds on to ``state`` (``ASKING``, ``CREATED``)."""
    store.current().update(claim_key, values={"state": state}, if_match={"executionArn": execution_arn})


def release(claim_key: str, execution_arn: str) -> None:
    """Give the claim up (the resource is gone, or was never created), if ``execution_arn`` holds it."""
    store.current().delete(claim_key, if_match={"executionArn": execution_arn})


# -- what the controller made for an endpoint ----------------------------------------------------
# Besides the endpoint itself, a create or an update may make resources for it (a SageMaker
# endpoint config, inline in the request). Each is recorded under the endpoint's identity the
# moment it exists (``controller.creations``), so the endpoint's expiry removes them too (each
# only when no endpoint uses it); a resource deleted by any path leaves the record.


def made_for_key(endpoint_type: str, identity: str) -> str:
    return f"#made-for#{endpoint_type}#{identity}"


def record_made_for(endpoint_type: str, identity: str, resource: Resource) -> None:
    store.current().add_to_set(made_for_key(endpoint_type, identity), "resources", {_entry(resource)})


def made_for(endpoint_type: str, identity: str, endpoint: str) -> list[Resource]:
    """What the controller made for the endpoint (``endpoint``: its name, as the resources name it)."""
    item = store.current().get(made_for_key(endpoint_type, identity)) or {}
    found = []
    for entry in sorted(item.get("resources", [])):
        kind, _, name = str(entry).partition("/")
        found.append(Resource(kind=kind, id=name, endpoint=endpoint))
    return found


def forget_made_for(endpoint_type: str, identity: str, resource: Resource) -> None:
    store.current().remove_from_set(made_for_key(endpoint_type, identity), "resources", {_entry(resource)})


def _entry(resource: Resource) -> str:
    return f"{resource.kind}/{resource.id}"
