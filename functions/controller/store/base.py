"""The requests table's protocol: single items, written under conditions.

Every record the controller keeps lives in one DynamoDB table (partition key ``requestId``),
each kind under a key of its own shape, built by the module that owns it:

- a request's *claim* (``controller.idempotency``: the request id itself): which execution holds
  the request id, what the request was, and how it ended;
- a *parked task token* (``controller.task_tokens``): a lifecycle waiting for its service's event;
- an *endpoint claim* (``controller.ownership``): which request owns an endpoint's identity (or
  an endpoint config's), taken before the service is asked to create it;
- an execution's *ledger* (``controller.ledger``): what the execution created, written the moment
  each resource exists, and how far its clean-up has come;
- a type's *pending set* (``controller.ledger``): the executions whose ledger is not closed yet,
  which the scheduled sweep visits.

The logic modules use this protocol only; none builds a storage request itself. Nothing scans or
queries: every read is one item by its key, read consistently.
"""

from __future__ import annotations

from typing import Any, Protocol

#: An item's attributes: JSON-like values (strings, whole numbers, booleans, lists, objects).
Item = dict[str, Any]


class ItemStore(Protocol):
    """Single-item reads and conditional writes (DynamoDB's, and the same rules in memory)."""

    def get(self, key: str) -> Item | None:
        """The item under ``key`` (without its key), read consistently; ``None``: there is none."""
        ...

    def put(
        self,
        key: str,
        item: Item,
        *,
        if_absent_or: Item | None = None,
        if_match: Item | None = None,
        expires_at: int | None = None,
    ) -> bool:
        """Write the whole item. ``if_absent_or``: only when there is no item, or it has these
        attribute values (``{}``: only when there is none); ``if_match``: only when the item exists
        with these values. ``False`` when the condition stopped the write. ``expires_at``: epoch
        seconds after which the table may drop the item (DynamoDB TTL)."""
        ...

    def update(
        self,
        key: str,
        *,
        values: Item | None = None,
        append: dict[str, list[Any]] | None = None,
        remove: tuple[str, ...] = (),
        if_match: Item | None = None,
    ) -> bool:
        """Set ``values``, append to the lists in ``append`` (created when missing) and remove the
        attributes in ``remove``, creating the item if there is none (unless ``if_match`` is given:
        then only when the item exists with those values). ``False`` when the condition failed."""
        ...

    def delete(self, key: str, *, if_match: Item | None = None) -> bool:
        """Delete the item (``if_match``: only when it has these values). ``False`` when the
        condition failed; deleting nothing is not a failure."""
        ...

    def add_to_set(self, key: str, attribute: str, values: set[str]) -> None:
        """Add ``values`` to the string set ``attribute`` (atomic; the set is created if missing)."""
        ...

    def remove_from_set(self, key: str, attribute: str, values: set[str]) -> None:
        """Remove ``values`` from the string set ``attribute`` (atomic)."""
        ...
