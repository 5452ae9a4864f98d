"""The requests table in this process's memory: the same conditions as DynamoDB's, for unit
tests and any code that runs without a table (``controller.store.current``)."""

from __future__ import annotations

import copy
import threading
from typing import Any

from controller.store.base import Item


def _matches(item: Item | None, wanted: Item | None) -> bool:
    return item is not None and all(item.get(k) == v for k, v in (wanted or {}).items())


class InMemoryStore:
    """:class:`~controller.store.base.ItemStore` in a dict (items never expire here)."""

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def keys(self) -> list[str]:
        """Every key held (for tests: what the controller keeps)."""
        with self._lock:
            return sorted(self._items)

    def get(self, key: str) -> Item | None:
        with self._lock:
            return copy.deepcopy(self._items.get(key))

    def put(
        self,
        key: str,
        item: Item,
        *,
        if_absent_or: Item | None = None,
        if_match: Item | None = None,
        expires_at: int | None = None,
    ) -> bool:
        with self._lock:
            held = self._items.get(key)
            if (
                if_absent_or is not None
                and held is not None
                and not (if_absent_or and _matches(held, if_absent_or))
            ):
                return False
            if if_match is not None and not _matches(held, if_match):
                return False
            self._items[key] = copy.deepcopy(item)
            return True

    def update(
        self,
        key: str,
        *,
        values: Item | None = None,
        append: dict[str, list[Any]] | None = None,
        remove: tuple[str, ...] = (),
        if_match: Item | None = None,
    ) -> bool:
        with self._lock:
            held = self._items.get(key)
            if if_match is not None and not _matches(held, if_match):
                return False
            item = held if held is not None else {}
            item.update(copy.deepcopy(values or {}))
            for name, more in (append or {}).items():
                item[name] = [*item.get(name, []), *copy.deepcopy(more)]
            for name in remove:
                item.pop(name, None)
            self._items[key] = item
            return True

    def delete(self, key: str, *, if_match: Item | None = None) -> bool:
        with self._lock:
            held = self._items.get(key)
            if if_match is not None and held is not None and not _matches(held, if_match):
                return False
            if if_match is not None and held is None:
                return False
            self._items.pop(key, None)
            return True

    def add_to_set(self, key: str, attribute: str, values: set[str]) -> None:
        with self._lock:
            item = self._items.setdefault(key, {})
            item[attribute] = sorted(set(item.get(attribute, [])) | values)

    def remove_from_set(self, key: str, attribute: str, values: set[str]) -> None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                left = set(item.get(attribute, [])) - values
                if left:
                    item[attribute] = sorted(left)
                else:
                    item.pop(attribute, None)
