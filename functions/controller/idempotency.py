"""At most one lifecycle per ``requestId``: a claim, and the outcome kept for repeats.

Why not Powertools' ``@idempotent`` here: it makes one Lambda *invocation* idempotent, while the
unit of work here is a whole execution that spans many invocations and up to hours. So the same
guarantee is built one level up, on the same mechanism (a conditional write in the requests table,
``controller.store``):

- ``validate`` claims the request id for its execution. Exactly one execution can win, even when
  duplicates start at the same instant; the others become replays.
- ``outcome`` stores the publication (detail, error code, cause) on the claim.
- A replay creates nothing and publishes nothing: it waits for the first execution's outcome and
  ends exactly as that one did, so a request gets one endpoint and one notification however
  often it is delivered. Claims expire after ``RETENTION_SECONDS``.
"""

from __future__ import annotations

from typing import Any

from controller import clock, store
from controller.store import COMPLETED, IN_PROGRESS, Claim

__all__ = ["COMPLETED", "IN_PROGRESS", "RETENTION_SECONDS", "Claim", "claim", "lookup", "record"]

RETENTION_SECONDS = 7 * 86400


def claim(request_id: str, execution_arn: str) -> Claim:
    """Claim ``request_id`` for ``execution_arn``; the current holder if another has it."""
    now = int(clock.now())
    return store.current().claim(request_id, execution_arn, now=now, expires_at=now + RETENTION_SECONDS)


def lookup(request_id: str) -> Claim | None:
    return store.current().lookup(request_id)


def record(request_id: str, execution_arn: str, publication: dict[str, Any]) -> None:
    """Keep how the request ended, for its repeats."""
    store.current().complete(request_id, execution_arn, publication)
