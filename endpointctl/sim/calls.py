"""The call log: every call to the endpoint services, in order, with the execution that made it
(the ``calls`` of ``endpointctl local run --json``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class CallLog:
    """Every call to the endpoint services, in order, with the execution that made it."""

    entries: list[tuple[str | None, str]] = field(default_factory=list)
    #: The error code each failed call was answered with, by its index in :attr:`entries`.
    errors: dict[int, str] = field(default_factory=dict)
    local: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Each owner's indices in :attr:`entries`, in order: an owner's calls, and a reassignment, cost
    #: what it made, not the whole log (a thousand lifecycles make tens of thousands of calls).
    owned: dict[str | None, list[int]] = field(default_factory=dict)

    @property
    def execution(self) -> str | None:
        return getattr(self.local, "execution", None)

    @execution.setter
    def execution(self, value: str | None) -> None:
        self.local.execution = value

    def record(self, call: str, execution: str | None = None, *, error: str | None = None) -> int:
        """Log a call (``error``: the code it was answered with); its index, for :meth:`failed`."""
        with self.lock:
            owner = execution or self.execution
            self.entries.append((owner, call))
            index = len(self.entries) - 1
            self.owned.setdefault(owner, []).append(index)
            if error is not None:
                self.errors[index] = error
            return index

    def failed(self, index: int, error: str) -> None:
        """The call at ``index`` was answered with the error ``error``."""
        with self.lock:
            self.errors[index] = error

    def reassign(self, old: str, new: str | None) -> None:
        """Calls made on behalf of ``old`` (an event delivery) belong to ``new``."""
        with self.lock:
            if old == new:
                return
            moved = self.owned.pop(old, [])
            for index in moved:
                self.entries[index] = (new, self.entries[index][1])
            self.owned.setdefault(new, []).extend(moved)  # read in order (:meth:`_of`)

    def calls(self, execution: str | None = None) -> list[str]:
        if execution is None:
            return [call for _, call in self.entries]
        with self.lock:
            return [self.entries[index][1] for index in self._of(execution)]

    def _of(self, owner: str | None) -> list[int]:
        """``owner``'s indices, in the log's order (a reassignment appends out of order)."""
        return sorted(self.owned.get(owner, []))

    def failures(self, execution: str | None = None) -> list[dict[str, str]]:
        """The failed calls of ``execution``, in order: ``{"call": ..., "error": ...}``."""
        with self.lock:
            indices = range(len(self.entries)) if execution is None else self._of(execution)
            return [
                {"call": self.entries[index][1], "error": self.errors[index]}
                for index in indices
                if index in self.errors
            ]
