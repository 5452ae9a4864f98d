"""The virtual clock: Wait states, retry back-off, task-token waits and the simulated services
read it.

Sleeping never takes real time. With one execution the clock jumps ahead at once; with several
running together it is a discrete-event scheduler: it advances to the earliest wake-up only when
every running execution is asleep, so concurrent lifecycles interleave as they would in real time.
Timers (``call_at``) are the simulated services' own moments, such as a state-change event: when
one is the earliest thing due, the clock stops there and runs it (as a running party) before
moving on. A sleeper may be woken early (``wake``): a task token resumed before its timeout.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Sleeper:
    at: float
    key: object
    woken: bool = False


class VirtualClock:
    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._cond = threading.Condition()
        self._active = 0
        self._sleeping = 0
        self._wakeups: list[tuple[float, int]] = []
        self._sleepers: dict[int, _Sleeper] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._closed = False
        self._firing: set[threading.Thread] = set()

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
            self._timers.clear()
            self._cond.notify_all()

    def drain(self, timeout: float = 10.0) -> None:
        """Close, then wait (at most ``timeout`` seconds) for the timers already running: a timer's
        action (an event's delivery, a schedule's invocation) that outlived its world would call
        the services after the world restored the environment, with no credentials and into the
        next world's client caches."""
        self.close()
        with self._cond:
            firing = list(self._firing)
        for thread in firing:
            thread.join(timeout)

    def sleep(self, seconds: float, *, key: object = None, ready: Callable[[], bool] | None = None) -> bool:
        """Sleep ``seconds`` of virtual time; ``True`` when woken early by ``wake(key)`` (or when
        ``ready()`` already holds)."""
        if self._closed:
            return False
        with self._cond:
            if ready is not None and ready():
                return True
            if seconds <= 0:
                return False
            seq = next(self._seq)
            sleeper = _Sleeper(at=self._now + seconds, key=key)
            self._sleepers[seq] = sleeper
            heapq.heappush(self._wakeups, (sleeper.at, seq))
            self._sleeping += 1
            self._advance()
            # Until its moment, and until every timer due by then has run (a timer that moved the
            # clock to this very moment must not leave the others of that moment behind).
            while (
                (self._now < sleeper.at or self._due(sleeper.at)) and not self._closed and not sleeper.woken
            ):
                self._cond.wait(timeout=5)
                self._advance()
            if not sleeper.woken:
                self._forget(seq)
            return sleeper.woken

    def wake(self, key: object) -> None:
        """Wake whoever sleeps on ``key`` now (before the clock can move on)."""
        with self._cond:
            for seq, sleeper in list(self._sleepers.items()):
                if sleeper.key is key and key is not None:
                    sleeper.woken = True
                    self._forget(seq)
            self._cond.notify_all()

    def call_at(self, at: float, action: Callable[[], None]) -> None:
        """Run ``action`` when the virtual clock reaches ``at`` (on a thread of its own)."""
        with self._cond:
            if not self._closed:
                heapq.heappush(self._timers, (at, next(self._seq), action))
                self._advance()

    def advance(self, seconds: float) -> None:
        """Move time on (outside any execution, e.g. between sequential requests)."""
        with self._cond:
            self._now += max(0.0, seconds)

    def _due(self, at: float) -> bool:
        """A timer is due at or before ``at`` (timers of a moment run before its sleepers wake)."""
        return bool(self._timers) and self._timers[0][0] <= at

    def _forget(self, seq: int) -> None:
        self._sleepers.pop(seq, None)
        self._sleeping -= 1
        self._wakeups = [entry for entry in self._wakeups if entry[1] != seq]
        heapq.heapify(self._wakeups)

    def _advance(self) -> None:
        # Everyone that runs is asleep: run the earliest timer, or jump to the earliest wake-up.
        if self._closed or self._sleeping < max(self._active, 1):
            return
        wake_at = self._wakeups[0][0] if self._wakeups else None
        if self._timers and (wake_at is None or self._timers[0][0] <= wake_at):
            at, _, action = heapq.heappop(self._timers)
            self._now = max(self._now, at)
            self._active += 1  # the timer runs: nobody moves time until it is done
            thread = threading.Thread(target=self._fire, args=(action,), daemon=True)
            self._firing.add(thread)
            thread.start()
            return
        if wake_at is not None:
            if wake_at > self._now:
                self._now = wake_at
            self._cond.notify_all()

    def _fire(self, action: Callable[[], None]) -> None:
        try:
            action()
        finally:
            with self._cond:
                self._firing.discard(threading.current_thread())
                self._active -= 1
                self._advance()
                self._cond.notify_all()
