"""At most one lifecycle per ``requestId``: a claim, and the outcome kept for repeats.

Why not Powertools' ``@idempotent`` here: it makes one Lambda *invocation* idempotent, while the
unit of work here is a whole execution that spans many invocations and up to hours. So the same
guarantee is built one level up, on the same mechanism (a conditional write in the requests table,
``controller.store``):

- ``validate`` claims the request id for its execution, with the request's *fingerprint*
  (:func:`of_request`: a hash of the request as read, its defaults filled in). Exactly one
  execution can win, even when duplicates start at the same instant; the others become replays,
  and one whose fingerprint differs is a *different* request reusing the id: refused
  (``InvalidRequest`` naming ``requestId``).
- ``outcome`` stores the publication (detail, error code, cause) on the claim.
- A replay creates nothing and publishes nothing: it waits for the first execution's outcome and
  ends exactly as that one did, so a request gets one endpoint and one notification however
  often it is delivered. Claims expire after ``RETENTION_SECONDS``.
- The claim of an execution that was stopped (or timed out) is *released* once its clean-up has
  removed what it created (``controller.steps.cleanup``): a resend of the request then runs anew,
  and a repeat that was waiting for it takes over.

A request id is at most 128 characters once validated, but the id of a refused request (its
``requestId``, or the EventBridge event id standing in for one) may be of any size, and the
refusal and the clean-up still key their records by it: :func:`key_text` keeps what goes into a
key within DynamoDB's 2,048 bytes of partition key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from controller import clock, store
from controller.request import Request

__all__ = [
    "COMPLETED",
    "IN_PROGRESS",
    "RETENTION_SECONDS",
    "Claim",
    "claim",
    "fingerprint",
    "key_text",
    "lookup",
    "of_request",
    "same_request",
]

IN_PROGRESS, COMPLETED = "IN_PROGRESS", "COMPLETED"
RETENTION_SECONDS = 7 * 86400
#: The most bytes of a request id a key keeps as they are: a valid id (at most 128 characters)
#: always fits; a longer one is kept as its hash, and the key stays far below DynamoDB's 2,048
#: bytes of partition key (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
KEY_TEXT_BYTES = 256


def key_text(request_id: str) -> str:
    """``request_id`` as a key (or part of one) holds it: as it is when it fits in
    ``KEY_TEXT_BYTES`` and is valid Unicode, else ``#sha256#`` and its hash (a ``#`` is in no valid
    request id, so the hashed form never meets a real one; a lone surrogate, which JSON can carry,
    is no string DynamoDB takes)."""
    raw = request_id.encode("utf-8", "surrogatepass")
    if len(raw) <= KEY_TEXT_BYTES and raw == request_id.encode("utf-8", "replace"):
        return request_id
    return "#sha256#" + hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class Claim:
    """Who holds a request id, what the request was, and how it ended if it has."""

    owner: str
    status: str
    publication: dict[str, Any] | None = None
    fingerprint: str | None = None


def fingerprint(document: Any) -> str:
    """A hash of the request as sent (its JSON, keys sorted): the same request, the same hash."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def of_request(request: Request) -> str:
    """The fingerprint of a request as the controller reads it: two documents are the same request
    when they are equal once the defaults are filled in (``action`` left out is ``create``, an
    option left out equals its default: ``"rollback": true`` or none at all). Values equal to their
    defaults are left out of the hash rather than filled in, so an option added later with a
    default leaves the fingerprints of the requests that do not use it as they were. ``params``
    count as sent: they are the service's own fields, whose defaults are the service's."""
    return fingerprint(request.model_dump(mode="json", exclude_defaults=True))


def same_request(held: str | None, request: Request, document: Any) -> bool:
    """Whether ``request`` (read from ``document``) is the request whose fingerprint is ``held``:
    no fingerprint kept says nothing against it, and one kept by a controller that hashed the
    document as sent (before :func:`of_request`) still recognizes the very same document."""
    return held is None or held in (of_request(request), fingerprint(document))


def claim(request_id: str, execution_arn: str, request_fingerprint: str | None = None) -> Claim:
    """Claim ``request_id`` for ``execution_arn``; the current holder if another has it."""
    now = int(clock.now())
    item: dict[str, Any] = {"executionArn": execution_arn, "status": IN_PROGRESS, "claimedAt": now}
    if request_fingerprint:
        item["fingerprint"] = request_fingerprint
    requests = store.current()
    for _ in range(3):  # a claim released between the write and the read is claimed again
        if requests.put(
            key_text(request_id),
            item,
            if_absent_or={"executionArn": execution_arn},
            expires_at=now + RETENTION_SECONDS,
        ):
            return Claim(owner=execution_arn, status=IN_PROGRESS, fingerprint=request_fingerprint)
        held = lookup(request_id)
        if held is not None:
            return held
    raise RuntimeError(f"request {request_id}: its claim keeps changing")


def lookup(request_id: str) -> Claim | None:
    item = store.current().get(key_text(request_id))
    if not item or "executionArn" not in item:
        return None
    publication = item.get("publication")
    return Claim(
        owner=str(item["executionArn"]),
        status=str(item["status"]),
        publication=json.loads(publication) if publication else None,
        fingerprint=item.get("fingerprint"),
    )


def record(request_id: str, execution_arn: str, publication: dict[str, Any]) -> None:
    """Keep how the request ended, for its repeats (if ``execution_arn`` still holds it)."""
    store.current().update(
        key_text(request_id),
        values={"status": COMPLETED, "publication": json.dumps(publication, separators=(",", ":"))},
        if_match={"executionArn": execution_arn},
    )


def release(request_id: str, execution_arn: str) -> None:
    """Give the request id up (a stopped execution, cleaned up): a resend runs anew."""
    store.current().delete(key_text(request_id), if_match={"executionArn": execution_arn})
