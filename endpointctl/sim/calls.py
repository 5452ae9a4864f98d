"""The call log: every call to the endpoint services, in order, with the execution that made it
(the ``calls`` of ``endpointctl local run --json``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class CallLog:
    """Every call to the endpoint services, in order, with the execution that made it."""

    entries: list[tuple[str | None, str]] = field(default_factory=list)
    local: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def execution(self) -> str | None:
        return getattr(self.local, "execution", None)

    @execution.setter
    def execution(self, value: str | None) -> None:
        self.local.execution = value

    def record(self, call: str, execution: str | None = None) -> None:
        with self.lock:
            self.entries.append((execution or self.execution, call))

    def reassign(self, old: str, new: str | None) -> None:
        """Calls made on behalf of ``old`` (an event delivery) belong to ``new``."""
        with self.lock:
            self.entries = [(new if owner == old else owner, call) for owner, call in self.entries]

    def calls(self, execution: str | None = None) -> list[str]:
        return [call for owner, call in self.entries if execution is None or owner == execution]
