"""Task tokens of lifecycles waiting for a service's state-change event.

A create that waits for events parks its task token (and the lifecycle state to resume with) under
the endpoint's key, in the requests table (``controller.store``). Whoever sees the endpoint settle
first, the waiting step itself or the event's handler, *takes* the token with a conditional delete
and resumes the execution; everyone else finds nothing to take. So duplicated, late and
out-of-order events are harmless, and a retried waiting step simply parks its new token over the
old one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from controller import aws, clock, store

__all__ = ["RETENTION_SECONDS", "Parked", "key", "lookup", "park", "resume", "take", "waits"]

#: How long a parked token is kept past the request's deadline.
RETENTION_SECONDS = 86400


@dataclass(frozen=True)
class Parked:
    """A waiting lifecycle: its task token and the state to resume it with."""

    token: str
    state: dict[str, Any]


def key(endpoint_type: str, endpoint_id: str) -> str:
    # Kept in the request table's partition key; the prefix keeps it apart from request ids.
    return f"#waiting#{endpoint_type}#{endpoint_id}"


def park(waiter: str, token: str, state: dict[str, Any], deadline: float) -> None:
    """Park ``token`` for ``waiter`` (replacing an earlier token of the same lifecycle)."""
    store.current().put(
        waiter,
        {"token": token, "state": json.dumps(state, separators=(",", ":")), "parkedAt": int(clock.now())},
        expires_at=int(deadline) + RETENTION_SECONDS,
    )


def lookup(waiter: str) -> Parked | None:
    item = store.current().get(waiter)
    if not item or "token" not in item:
        return None
    return Parked(token=str(item["token"]), state=json.loads(item["state"]))


def take(waiter: str, token: str) -> bool:
    """Remove the parked ``token``; ``False`` when it is no longer there (someone took it, or a
    newer token replaced it)."""
    return store.current().delete(waiter, if_match={"token": token})


#: What Step Functions answers a token whose task no longer waits: it timed out, its execution was
#: stopped or timed out (``TaskTimedOut``: "the task associated with the token has already been
#: closed"), or the token is unknown (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html).
_GONE = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


def waits(token: str) -> bool:
    """Whether the task of ``token`` still waits (``SendTaskHeartbeat``, which changes nothing
    else for a task with no ``HeartbeatSeconds``). Asked before a ready endpoint's outcome is
    concluded: a stopped execution publishes nothing, so its outcome must not be recorded (its
    clean-up removes what it made, and the request may be sent again)."""
    try:
        aws.client("stepfunctions").send_task_heartbeat(taskToken=token)
    except ClientError as exc:
        if aws.error_code(exc) in _GONE:
            return False
        raise
    return True


def resume(token: str, output: dict[str, Any]) -> bool:
    """Hand ``output`` to the waiting task; ``False`` when the task no longer waits (timed out)."""
    try:
        aws.client("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps(output, separators=(",", ":"))
        )
    except ClientError as exc:
        if aws.error_code(exc) in _GONE:
            return False
        raise
    return True
