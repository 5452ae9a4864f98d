"""A simulated timeline: the time model the simulated endpoint services share: create, then ready or failed; delete,
then gone or failed, each after a number of virtual seconds."""

from __future__ import annotations

from dataclasses import dataclass

from endpointctl.sim.virtual_clock import VirtualClock

CREATING, READY, FAILED, DELETING, GONE = "CREATING", "READY", "FAILED", "DELETING", "GONE"


@dataclass
class Timeline:
    """One endpoint's life in virtual time; ``status()`` reads it at the clock's now."""

    create_at: float | None  # None: it existed before the run, ready
    create_seconds: float = 0
    ok: bool = True
    execution: str | None = None
    delete_at: float | None = None
    delete_seconds: float = 0
    delete_ok: bool = True
    delete_execution: str | None = None

    def status(self, now: float) -> str:
        if self.delete_at is not None:
            if now < self.delete_at + self.delete_seconds:
                return DELETING
            return GONE if self.delete_ok else FAILED
        if self.create_at is None or now >= self.create_at + self.create_seconds:
            return READY if self.ok else FAILED
        return CREATING

    def terminal_at(self, now: float) -> float | None:
        """When creation reached its terminal status, if it has."""
        if self.create_at is None:
            return None
        at = self.create_at + self.create_seconds
        return at if now >= at else None

    def deleted_at(self, now: float) -> float | None:
        if self.delete_at is None:
            return None
        at = self.delete_at + self.delete_seconds
        return at if now >= at else None


class Fleet:
    """The endpoints of one emulated service, by id."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.endpoints: dict[str, Timeline] = {}

    def status(self, endpoint_id: str) -> str:
        timeline = self.endpoints.get(endpoint_id)
        if timeline is None:
            return GONE
        status = timeline.status(self.clock.now())
        return status

    def live(self) -> list[str]:
        return sorted(i for i, t in self.endpoints.items() if t.status(self.clock.now()) != GONE)

    def terminal_times(self, execution: str) -> list[float]:
        now = self.clock.now()
        created = [
            at
            for t in self.endpoints.values()
            if t.execution == execution and (at := t.terminal_at(now)) is not None
        ]
        if created:
            return created
        return [
            at
            for t in self.endpoints.values()
            if t.delete_execution == execution and (at := t.deleted_at(now)) is not None
        ]
