"""The requests table in this process's memory: the same rules as DynamoDB's conditional writes,
for unit tests and any code that runs without a table (``controller.store.current``)."""

from __future__ import annotations

import copy
import threading
from typing import Any

from controller.store.base import COMPLETED, IN_PROGRESS, Claim, Parked


class InMemoryStore:
    """:class:`~controller.store.base.RequestStore` in a dict (items never expire here)."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}
        self._parked: dict[str, Parked] = {}
        self._owned: dict[str, str] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._claims.clear()
            self._parked.clear()
            self._owned.clear()

    def claim(self, request_id: str, owner: str, *, now: int, expires_at: int) -> Claim:
        with self._lock:
            held = self._claims.get(request_id)
            if held is not None and held.owner != owner:
                return held
            # As DynamoDB's conditional PutItem: the owner's own claim is written anew.
            self._claims[request_id] = Claim(owner=owner, status=IN_PROGRESS)
            return self._claims[request_id]

    def lookup(self, request_id: str) -> Claim | None:
        with self._lock:
            return copy.deepcopy(self._claims.get(request_id))

    def complete(self, request_id: str, owner: str, publication: dict[str, Any]) -> None:
        with self._lock:
            held = self._claims.get(request_id)
            if held is not None and held.owner == owner:
                self._claims[request_id] = Claim(owner, COMPLETED, copy.deepcopy(publication))

    def park(self, key: str, token: str, state: dict[str, Any], *, now: int, expires_at: int) -> None:
        with self._lock:
            self._parked[key] = Parked(token, copy.deepcopy(state))

    def parked(self, key: str) -> Parked | None:
        with self._lock:
            return copy.deepcopy(self._parked.get(key))

    def take(self, key: str, token: str) -> bool:
        with self._lock:
            held = self._parked.get(key)
            if held is None or held.token != token:
                return False
            del self._parked[key]
            return True

    def own(self, key: str, request_id: str, *, now: int) -> None:
        with self._lock:
            self._owned[key] = request_id

    def owner(self, key: str) -> str | None:
        with self._lock:
            return self._owned.get(key)

    def disown(self, key: str) -> None:
        with self._lock:
            self._owned.pop(key, None)
