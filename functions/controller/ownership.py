"""What the controller created: the durable record a delete trusts, for types whose service keeps
no tags (and a second witness for those that do).

``create`` records each endpoint the moment the provider reports it created; a finished teardown
forgets it. ``action: delete`` removes an endpoint only when its provider can tell it is the
controller's (its tags) or this record says so; anything else is ``EndpointNotOwned``, unless the
deployment allows unmanaged deletes (context ``allowUnmanagedDeletes``).
"""

from __future__ import annotations

from controller import clock, store


def key(endpoint_type: str, endpoint_id: str) -> str:
    # Kept in the request table's partition key; the prefix keeps it apart from request ids.
    return f"#owned#{endpoint_type}#{endpoint_id}"


def record(endpoint_type: str, endpoint_id: str, request_id: str) -> None:
    store.current().own(key(endpoint_type, endpoint_id), request_id, now=int(clock.now()))


def creator(endpoint_type: str, endpoint_id: str) -> str | None:
    """The request that created the endpoint, if the controller did."""
    return store.current().owner(key(endpoint_type, endpoint_id))


def forget(endpoint_type: str, endpoint_id: str) -> None:
    store.current().disown(key(endpoint_type, endpoint_id))
