"""What each execution created, kept outside the execution: its *ledger*.

A create writes each resource here the moment the service says it exists, before anything else
can fail (``controller.creations``), so what an execution made survives whatever ends it: a retried
step, a Lambda timeout in the middle of a create, an execution stopped in the console or timed out,
Step Functions failing it at a quota. The ledger is one item per execution (its key names the
execution ARN, which every step, the execution's own status-change event and the sweep know):

- ``phase``: ``running`` (written by ``validate``) → ``concluded`` (the execution published its
  outcome; nothing left to do) or ``leftover`` (it ended ``RollbackFailed``: the sweep keeps
  removing what is left) or ``cleaning`` (it ended without an outcome: stopped, timed out, failed
  uncaught; ``controller.steps.cleanup`` removes what it created) → ``done``;
- ``created`` / ``claimed``: the resources it created, and the identities it claimed
  (``controller.ownership``), in order;
- the request's id, type, action and endpoint, and, once known, how it failed.

Every execution whose ledger is not closed is also in its type's *pending set*, the one item the
scheduled sweep reads (no scans or queries). A closed ledger expires after ``RETENTION_SECONDS``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from controller import clock, store
from controller.resources import Resource

RUNNING, CONCLUDED, CLEANING, LEFTOVER, DONE = "running", "concluded", "cleaning", "leftover", "done"
OPEN_PHASES = (RUNNING, CLEANING, LEFTOVER)
RETENTION_SECONDS = 7 * 86400
#: What a rollback or clean-up left (``leftover``) is tried again at the sweep after it was left,
#: then after pauses that double from this one up to ``RETRY_MAX_SECONDS`` (5, 10, 20, 40, 80,
#: 160, 320 minutes, then every 6 hours), for as long as it takes.
RETRY_FIRST_SECONDS = 300
RETRY_MAX_SECONDS = 6 * 3600


def key(execution_arn: str) -> str:
    return f"#execution#{execution_arn}"


def pending_key(endpoint_type: str) -> str:
    return f"#pending#{endpoint_type}"


#: How long a clean-up pass that took an execution's finish (:func:`take_finish`) holds it: past
#: this it is taken for dead (its function stopped before it closed the ledger: the functions'
#: timeout is 60 s) and another pass may finish in its place.
FINISH_LEASE_SECONDS = 180


def take_finish(execution_arn: str) -> bool:
    """Whether this clean-up pass is the one to finish ``execution_arn``'s (publish what its
    request is owed, release its claims, close its ledger). Two passes can reach the finish at
    once, the one the execution's end started and a sweep's, and both would publish: the first
    to write the execution's finish item goes on, the other stops there. A holder older than
    :data:`FINISH_LEASE_SECONDS` is taken over, conditionally on it, so two takers cannot both
    win; one that died after publishing makes the notification go out twice, never not at all."""
    table = store.current()
    lease = f"#finish#{execution_arn}"
    now = clock.now()
    item = {"token": uuid.uuid4().hex, "at": int(now)}
    expires = int(now) + RETENTION_SECONDS
    for _ in range(2):  # the holder's item may expire between the write and the read
        if table.put(lease, item, if_absent_or={}, expires_at=expires):
            return True
        holder = table.get(lease)
        if holder is None:
            continue
        if float(holder.get("at", 0)) > now - FINISH_LEASE_SECONDS:
            return False  # another pass is finishing it now
        return table.put(lease, item, if_match={"token": holder.get("token")}, expires_at=expires)
    return False


@dataclass
class Ledger:
    """One execution's ledger, as read."""

    execution_arn: str
    request_id: str
    endpoint_type: str
    action: str
    phase: str
    endpoint_id: str | None = None
    started_at: float = 0.0
    deadline: float = 0.0
    created: list[Resource] = field(default_factory=list)
    claimed: list[Resource] = field(default_factory=list)
    #: What it asked the service to delete (before the answer: a lost answer is still its delete).
    deleting: list[Resource] = field(default_factory=list)
    #: How it failed, once known (a ``Failure``'s fields), and the clean-up's progress.
    failure: dict[str, Any] | None = None
    cleanup: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.phase in OPEN_PHASES


def open_for(
    execution_arn: str,
    *,
    request_id: str,
    endpoint_type: str,
    action: str,
    endpoint_id: str | None,
    deadline: float,
) -> None:
    """Start the execution's ledger (``validate``, once it holds the request id)."""
    store.current().put(
        key(execution_arn),
        {
            "request": request_id,
            "endpointType": endpoint_type,
            "action": action,
            "endpointId": endpoint_id,
            "phase": RUNNING,
            "startedAt": int(clock.now()),
            "deadline": int(deadline),
            "created": [],
            "claimed": [],
        },
        if_absent_or={},  # a retried validate starts nothing new
    )
    store.current().add_to_set(pending_key(endpoint_type), "executions", {execution_arn})


def closed_for(execution_arn: str, *, request_id: str, endpoint_type: str) -> None:
    """The ledger of an execution that refused its request: closed from the start (nothing to
    clean up, and its answer was its own). A ledger its validate step opened before the refusal
    (nothing claimed or created yet) is closed too: else the clean-up would take the ended
    execution for one without an outcome and answer the request a second time."""
    if not store.current().put(
        key(execution_arn),
        {
            "request": request_id,
            "endpointType": endpoint_type,
            "action": "create",
            "phase": CONCLUDED,
            "startedAt": int(clock.now()),
            "created": [],
            "claimed": [],
        },
        if_absent_or={},
        expires_at=int(clock.now()) + RETENTION_SECONDS,
    ):
        found = read(execution_arn)
        if found is not None and found.phase == RUNNING and not found.created and not found.claimed:
            close(execution_arn, endpoint_type, if_phase=RUNNING)


def read(execution_arn: str) -> Ledger | None:
    item = store.current().get(key(execution_arn))
    if not item or "request" not in item:
        return None
    known = {"request", "endpointType", "action", "endpointId", "phase", "startedAt", "deadline"}
    return Ledger(
        execution_arn=execution_arn,
        request_id=str(item["request"]),
        endpoint_type=str(item["endpointType"]),
        action=str(item["action"]),
        phase=str(item["phase"]),
        endpoint_id=item.get("endpointId"),
        started_at=float(item.get("startedAt", 0)),
        deadline=float(item.get("deadline", 0)),
        created=[Resource.model_validate(r) for r in item.get("created", [])],
        claimed=[Resource.model_validate(r) for r in item.get("claimed", [])],
        deleting=[Resource.model_validate(r) for r in item.get("deleting", [])],
        failure=item.get("failure"),
        cleanup=item.get("cleanup"),
        extra={
            k: v for k, v in item.items() if k not in known | {"created", "claimed", "failure", "cleanup"}
        },
    )


def _resource(resource: Resource) -> dict[str, Any]:
    found = {"kind": resource.kind, "id": resource.id}
    if resource.endpoint:  # a config made for an update: a teardown must know whose it is
        found["endpoint"] = resource.endpoint
    return found


def record_claim(execution_arn: str, resource: Resource) -> None:
    store.current().update(key(execution_arn), append={"claimed": [_resource(resource)]})


def record_created(execution_arn: str, resource: Resource) -> None:
    store.current().update(key(execution_arn), append={"created": [_resource(resource)]})


def record_delete(execution_arn: str, resource: Resource) -> None:
    store.current().update(key(execution_arn), append={"deleting": [_resource(resource)]})


def update(execution_arn: str, **values: Any) -> None:
    """Set ledger attributes (``phase``, ``failure``, ``cleanup``, ``endpointId``)."""
    store.current().update(key(execution_arn), values=values)


def close(
    execution_arn: str,
    endpoint_type: str,
    phase: str = CONCLUDED,
    *,
    if_phase: str | None = None,
    **values: Any,
) -> bool:
    """Nothing more to do for the execution: its ledger leaves the pending set, and expires.
    ``if_phase``: only from that phase (an execution's own outcome closes a ``running`` ledger,
    never one its clean-up has taken over); ``False`` when it was in another."""
    if not store.current().update(
        key(execution_arn),
        values={"phase": phase, "expiresAt": int(clock.now()) + RETENTION_SECONDS, **values},
        if_match={"phase": if_phase} if if_phase else None,
    ):
        return False
    store.current().remove_from_set(pending_key(endpoint_type), "executions", {execution_arn})
    return True


def keep_pending(
    execution_arn: str, endpoint_type: str, phase: str, *, if_phase: str | None = None, **values: Any
) -> bool:
    """The execution is over, but something it created is left: the sweep carries on (a
    ``leftover`` on the retry schedule, from the next sweep on)."""
    if phase == LEFTOVER and "retry" not in values:
        now = int(clock.now())
        values["retry"] = {"attempts": 0, "nextAt": now, "since": now}
    if not store.current().update(
        key(execution_arn),
        values={"phase": phase, **values},
        if_match={"phase": if_phase} if if_phase else None,
    ):
        return False
    store.current().add_to_set(pending_key(endpoint_type), "executions", {execution_arn})
    return True


def retry_later(found: Ledger, **values: Any) -> None:
    """A leftover's try did not remove everything: when the sweep tries next (``retry``: the
    attempts so far, the next moment, and since when it has been left)."""
    retry = dict(found.extra.get("retry") or {})
    now = clock.now()
    attempts = int(retry.get("attempts", 0)) + 1
    pause = min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** (attempts - 1))
    retry = {"attempts": attempts, "nextAt": int(now + pause), "since": int(retry.get("since", now))}
    found.extra["retry"] = retry
    update(found.execution_arn, retry=retry, **values)


def retry_due(found: Ledger) -> bool:
    """Whether the sweep should try ``found``'s leftovers now."""
    retry = found.extra.get("retry") or {}
    return clock.now() >= float(retry.get("nextAt", 0))


def left_since(found: Ledger) -> float:
    """Since when ``found``'s leftovers have been there (its start, if not recorded)."""
    retry = found.extra.get("retry") or {}
    return float(retry.get("since", found.started_at))


def forget_pending(endpoint_type: str, execution_arn: str) -> None:
    """Take an execution whose ledger is closed (or gone) out of the pending set."""
    store.current().remove_from_set(pending_key(endpoint_type), "executions", {execution_arn})


def pending(endpoint_type: str) -> list[str]:
    """The executions of ``endpoint_type`` whose ledger is open (oldest names first)."""
    item = store.current().get(pending_key(endpoint_type)) or {}
    return sorted(item.get("executions", []))
