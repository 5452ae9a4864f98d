"""The controller's notion of "now".

Deployed, it is the wall clock. The local runner swaps in its virtual clock (``use``), so deadlines
and timestamps follow simulated time while an hour-long lifecycle runs in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], float] = time.time


def use(source: Callable[[], float] | None) -> None:
    """Read time from ``source`` (epoch seconds); ``None`` restores the wall clock."""
    global _source
    _source = source or time.time


def now() -> float:
    """Seconds since the epoch."""
    return _source()


def iso(epoch: float | None = None) -> str:
    """An ISO-8601 UTC timestamp with a ``Z`` suffix."""
    moment = datetime.fromtimestamp(now() if epoch is None else epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
