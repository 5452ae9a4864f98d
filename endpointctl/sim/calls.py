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

    @property
    def execution(self) -> str | None:
        return getattr(self.local, "execution", None)

    @execution.setter
    def execution(self, value: str | None) -> None:
        self.local.execution = value

    def record(self, call: str, execution: str | None = None, *, error: str | None = None) -> int:
        """Log a call (``error``: the code it was answered with); its index, for :meth:`failed`."""
        with self.lock:
            self.entries.append((execution or self.execution, call))
            index = len(self.entries) - 1
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
            self.entries = [(new if owner == old else owner, call) for owner, call in self.entries]

    def calls(self, execution: str | None = None) -> list[str]:
        return [call for owner, call in self.entries if execution is None or owner == execution]

    def failures(self, execution: str | None = None) -> list[dict[str, str]]:
        """The failed calls of ``execution``, in order: ``{"call": ..., "error": ...}``."""
        with self.lock:
            return [
                {"call": call, "error": self.errors[index]}
                for index, (owner, call) in enumerate(self.entries)
                if index in self.errors and (execution is None or owner == execution)
            ]
