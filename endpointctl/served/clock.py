"""The wall clock, in the virtual clock's shape: what the simulators, the bus and the scheduler
read when the simulated world is served in real time (``endpointctl local deploy --keep``).

``now`` is ``time.time()``; ``sleep`` really sleeps (a ``wake`` ends it early); ``call_at`` runs its
action on a timer thread of its own at that wall-clock moment. There is nothing to coordinate:
``started``/``finished``/``advance`` do nothing, as time moves on whatever the executions do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from endpointctl.sim.virtual_clock import VirtualClock


class RealClock(VirtualClock):
    def __init__(self) -> None:
        super().__init__(start=time.time())
        self._timers_live: set[threading.Timer] = set()
        self._sleepers_by_key: dict[int, list[threading.Event]] = {}
        self._guard = threading.Lock()

    def now(self) -> float:
        return time.time()

    def started(self) -> None:
        return None

    def finished(self) -> None:
        return None

    def advance(self, seconds: float) -> None:
        return None

    def close(self) -> None:
        """Timers not yet fired never fire; sleepers return at once."""
        with self._guard:
            self._closed = True
            for timer in self._timers_live:
                timer.cancel()
            self._timers_live.clear()
            for events in self._sleepers_by_key.values():
                for event in events:
                    event.set()

    def sleep(self, seconds: float, *, key: object = None, ready: Callable[[], bool] | None = None) -> bool:
        """Sleep ``seconds`` of real time; ``True`` when woken early by ``wake(key)`` (or when
        ``ready()`` already holds)."""
        if self._closed:
            return False
        if ready is not None and ready():
            return True
        if seconds <= 0:
            return False
        event = threading.Event()
        with self._guard:
            self._sleepers_by_key.setdefault(id(key), []).append(event)
        try:
            return event.wait(seconds) and not self._closed
        finally:
            with self._guard:
                waiting = self._sleepers_by_key.get(id(key), [])
                if event in waiting:
                    waiting.remove(event)
                if not waiting:
                    self._sleepers_by_key.pop(id(key), None)

    def wake(self, key: object) -> None:
        if key is None:
            return
        with self._guard:
            for event in self._sleepers_by_key.get(id(key), []):
                event.set()

    def call_at(self, at: float, action: Callable[[], None]) -> None:
        """Run ``action`` at wall-clock moment ``at`` (at once if it has passed)."""
        with self._guard:
            if self._closed:
                return
            timer: threading.Timer

            def fire() -> None:
                with self._guard:
                    self._timers_live.discard(timer)
                    if self._closed:
                        return
                action()

            timer = threading.Timer(max(0.0, at - time.time()), fire)
            timer.daemon = True
            self._timers_live.add(timer)
            timer.start()
