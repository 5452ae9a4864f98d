"""The virtual clock: Wait states, retry back-off and the simulated services read it.

Sleeping never takes real time. With one execution the clock jumps ahead at once; with several
running together it is a discrete-event scheduler: it advances to the earliest wake-up only when
every running execution is asleep, so concurrent lifecycles interleave as they would in real time.
"""

from __future__ import annotations

import heapq
import itertools
import threading


class VirtualClock:
    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._cond = threading.Condition()
        self._active = 0
        self._sleeping = 0
        self._wakeups: list[tuple[float, int]] = []
        self._seq = itertools.count()
        self._closed = False

    def now(self) -> float:
        return self._now

    def started(self) -> None:
        """An execution began running."""
        with self._cond:
            self._active += 1

    def finished(self) -> None:
        """An execution ended: it will not sleep again."""
        with self._cond:
            self._active = max(0, self._active - 1)
            self._advance()

    def close(self) -> None:
        """The world is over: every sleeper returns at once, and sleeping no longer waits."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of virtual time."""
        if seconds <= 0 or self._closed:
            return
        with self._cond:
            entry = (self._now + seconds, next(self._seq))
            heapq.heappush(self._wakeups, entry)
            self._sleeping += 1
            self._advance()
            while self._now < entry[0] and not self._closed:
                self._cond.wait(timeout=5)
                self._advance()
            self._sleeping -= 1
            self._wakeups.remove(entry)
            heapq.heapify(self._wakeups)

    def advance(self, seconds: float) -> None:
        """Move time on (outside any execution, e.g. between sequential requests)."""
        with self._cond:
            self._now += max(0.0, seconds)

    def _advance(self) -> None:
        # Everyone that runs is asleep: jump to the earliest wake-up.
        if self._wakeups and self._sleeping >= max(self._active, 1):
            earliest = self._wakeups[0][0]
            if earliest > self._now:
                self._now = earliest
            self._cond.notify_all()
