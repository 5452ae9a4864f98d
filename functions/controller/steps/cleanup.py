"""Clean-up: nothing an execution created is left behind, however the execution ended.

A lifecycle rolls back its own failures. What it cannot do is run after it has ended: a stopped
execution runs no ``Catch``; one that times out, or that Step Functions fails at a quota, ends at
once; a ``RollbackFailed`` ends with something still there. Clean-up picks these up from the
execution's ledger (``controller.ledger``), outside any execution:

- ``execution_ended``: the execution's own status-change event (EventBridge, ``aws.states``,
  ``FAILED`` / ``TIMED_OUT`` / ``ABORTED``). A ledger still ``running`` means the execution ended
  without its outcome: its clean-up starts (``cleaning``) at once.
- ``sweep``: a schedule (every few minutes) visits the type's pending executions and carries each
  clean-up on as far as the service lets it (a SageMaker endpoint cannot be deleted while it is
  still ``Creating``); a ledger ``running`` past the state machine's time limit is an execution
  whose end was never announced (Step Functions sends its status-change events best effort,
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html), and is cleaned up too.

When a clean-up has removed everything, the request gets the one notification its execution never
published, ``Endpoint Failed`` (``ExecutionAborted``, or the code it failed with), its claim is
released (a stopped request may be sent again), and the ledger closes. A clean-up that cannot
finish within the type's teardown bound is announced as ``RollbackFailed`` and, like every
``RollbackFailed``, retried by the sweep until what is left is gone, then announced with
``Endpoint Cleaned Up``. Only what the ledger says the execution created is ever deleted, and a
provider that can check ownership re-checks it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from controller import clock, idempotency, ledger, metrics, notify, providers
from controller.aws import translate
from controller.errors import CONTRACT_CODES, Failure
from controller.outcome import ErrorDetail, publication
from controller.providers.base import Provider, Resource, Status
from controller.request import peek
from controller.state import Teardown
from controller.step_event import StepEvent
from controller.steps import notices
from controller.steps.teardown import advance, held_claims, observe

logger = Logger(child=True)

#: How many pending executions one sweep carries on (the rest wait for the next one).
MAX_PER_SWEEP = 25
#: A ledger still ``running`` this long after the state machine's time limit: its end went unseen.
GRACE_SECONDS = 3600
#: A leftover older than this is counted in ``LeftoversOverADay``, which an alarm watches.
STALE_SECONDS = 86400
_ENDED = ("FAILED", "TIMED_OUT", "ABORTED")


def execution_ended(event: dict[str, Any]) -> dict[str, Any]:
    """A ``Step Functions Execution Status Change`` event of this type's state machine."""
    found_detail = event.get("detail")
    detail: dict[str, Any] = found_detail if isinstance(found_detail, dict) else {}
    arn, status = str(detail.get("executionArn") or ""), str(detail.get("status") or "")
    if not arn or status not in _ENDED:
        return {"ignored": f"execution {arn or '?'} is {status or '?'}"}
    logger.append_keys(execution_arn=arn)
    found = ledger.read(arn)
    if found is None:
        return _ended_before_its_ledger(detail, status)
    if found.phase != ledger.RUNNING:
        return {"ignored": f"{arn} is {found.phase}"}
    failure = _failure(status, detail)
    logger.warning("an execution ended without its outcome", extra={"status": status, "code": failure.code})
    _begin(found, failure)
    return _carry_on(found)


def sweep(event: StepEvent) -> dict[str, Any]:
    """Carry on every pending clean-up of ``event.endpointType`` (a scheduled rule's target):
    those of executions that ended without their outcome at every sweep; what a rollback or a
    clean-up left (``leftover``) on the retry schedule (``ledger.retry_due``). Leftovers older
    than a day are counted (``LeftoversOverADay``; an alarm says so)."""
    limit = event.sweep.executionTimeoutSeconds + GRACE_SECONDS
    visited: list[str] = []
    stale = 0
    for arn in ledger.pending(event.endpointType):
        found = ledger.read(arn)
        if found is None or not found.open:
            ledger.forget_pending(event.endpointType, arn)
            continue
        if found.phase == ledger.LEFTOVER:
            stale += ledger.left_since(found) <= clock.now() - STALE_SECONDS
            if not ledger.retry_due(found):
                continue
        if len(visited) >= MAX_PER_SWEEP:
            continue  # the next sweep's (the rest are still counted)
        if found.phase == ledger.RUNNING:
            if clock.now() < found.started_at + limit:
                continue  # still running, as far as anyone can tell
            _begin(
                found,
                Failure(code="ExecutionAborted", message="the execution ended unseen, without its outcome"),
            )
        visited.append(arn)
        _carry_on(found)
    metrics.leftovers(event.endpointType, stale)
    answer: dict[str, Any] = {"swept": visited}
    if len(visited) == 1:
        answer["cleaned"] = visited[0]  # whose calls these were (the local runner reports them)
    return answer


def _begin(found: ledger.Ledger, failure: Failure) -> None:
    ledger.update(found.execution_arn, phase=ledger.CLEANING, failure=failure.model_dump())
    found.phase, found.failure = ledger.CLEANING, failure.model_dump()


def _failure(status: str, detail: dict[str, Any]) -> Failure:
    if status == "ABORTED":
        return Failure(code="ExecutionAborted", message="the execution was stopped before it finished")
    if status == "TIMED_OUT":
        return Failure(
            code="ExecutionAborted",
            message="the execution reached its state machine's time limit before it finished",
        )
    error, cause = str(detail.get("error") or ""), str(detail.get("cause") or "")
    if error in CONTRACT_CODES:
        return Failure(code=error, message=cause[:1000])
    return Failure(
        code="ProviderError", message=f"the execution failed without its outcome ({error}: {cause[:1000]})"
    )


def _plan(found: ledger.Ledger, provider: Provider) -> Teardown:
    """The clean-up's plan: as the last look left it; else, for a delete, what it had asked the
    service to delete and its endpoint (looked at, never deleted anew: the request was stopped);
    for the rest, what the execution created, with each resource's endpoint (a config is kept
    while an endpoint uses it). A stopped update first waits out its deployment."""
    if found.cleanup:
        return Teardown.model_validate(found.cleanup)
    bound = provider.teardown_bound_seconds
    if found.action == "update":
        bound += provider.deployment_bound_seconds
    if found.action == "delete":  # stopped before it planned (else its plan is in the ledger)
        targets = [Resource(kind=r.kind, id=r.id) for r in found.deleting]
        if found.endpoint_id and all(not provider.is_endpoint(t) for t in targets):
            targets.insert(0, Resource(kind=provider.endpoint_kind, id=found.endpoint_id))
        return Teardown(mode="delete", targets=targets, deadline=clock.now() + bound)
    mine = [*found.created, *held_claims(found, provider)]
    targets = [Resource(kind=r.kind, id=r.id, endpoint=r.endpoint) for r in provider.in_teardown_order(mine)]
    return Teardown(mode="rollback", targets=targets, deadline=clock.now() + bound)


def _carry_on(found: ledger.Ledger) -> dict[str, Any]:
    """Remove as much of what ``found``'s execution created as the service lets us now."""
    # Each line says whose clean-up it is (the sweep visits many): `endpointctl logs` finds them.
    logger.append_keys(execution_arn=found.execution_arn, request_id=found.request_id)
    provider = providers.get(found.endpoint_type)
    plan = _plan(found, provider)
    if found.phase == ledger.LEFTOVER:
        for target in plan.targets:  # ask again for what the service failed to delete before
            if not target.gone:
                target.deleteRequested = False
        plan.reason = None
    try:
        waiting_for = _under_way(found, provider)
        if waiting_for is None and plan.mode == "delete":
            waiting_for = observe(plan, provider, found.execution_arn)
        elif waiting_for is None:
            waiting_for = advance(plan, provider, owner=found.request_id, execution=found.execution_arn)
    except Exception as exc:  # the next sweep tries again
        logger.warning("clean-up could not go on", extra={"error": str(exc)[:500]})
        plan.reason = translate(exc, f"{provider.service}: clean-up", []).message
        return _not_yet(found, plan, str(exc)[:200], refused=True)
    if waiting_for is None:
        notices.finish(found, plan)
        return {"cleaned": found.execution_arn, "done": True, "deleted": plan.deleted}
    return _not_yet(found, plan, waiting_for, refused=plan.reason is not None)


def _not_yet(found: ledger.Ledger, plan: Teardown, waiting_for: str, *, refused: bool) -> dict[str, Any]:
    """The clean-up must wait: past its bound, a stopped execution's is announced
    ``RollbackFailed`` (then retried as a leftover); a leftover the service refused to remove
    (``refused``) is tried again later, on the retry schedule; one on its way out (a delete
    under way) is looked at again at the next sweep. Each pass says what it waits for (its
    execution's ``endpointctl logs`` shows the clean-up going on, not only its start and end)."""
    if found.phase == ledger.CLEANING and clock.now() >= plan.deadline:
        retry = "as a leftover (RollbackFailed announced)"
        notices.give_up_for_now(found, plan, waiting_for)
    elif found.phase == ledger.LEFTOVER and refused:
        retry = "on the leftovers' retry schedule"
        ledger.retry_later(found, cleanup=plan.model_dump(mode="json"))
    else:
        retry = "at the next sweep"
        ledger.update(found.execution_arn, cleanup=plan.model_dump(mode="json"))
    logger.info(
        "the clean-up waits", extra={"waiting_for": waiting_for, "deleted": plan.deleted, "retry": retry}
    )
    return {"cleaned": found.execution_arn, "waiting": waiting_for}


def _under_way(found: ledger.Ledger, provider: Provider) -> str | None:
    """A stopped update's (or delete's) endpoint still in a service operation that the request
    started (a deployment, a deletion): its clean-up waits for it to settle, so it deletes only
    what the endpoint does not serve and says what it does."""
    if found.phase != ledger.CLEANING or found.action not in ("update", "delete") or not found.endpoint_id:
        return None
    seen = provider.describe(Resource(kind=provider.endpoint_kind, id=found.endpoint_id))
    if seen.status in (Status.CREATING, Status.DELETING) or seen.settling:
        return f"{provider.endpoint_kind} {found.endpoint_id} ({seen.provider_status})"
    return None


def _ended_before_its_ledger(detail: dict[str, Any], status: str) -> dict[str, Any]:
    """The execution ended before ``validate`` kept its ledger: it created nothing, but its request
    is still owed an answer (unless it was a repeat of another execution's)."""
    arn = str(detail["executionArn"])
    try:
        raw = json.loads(detail.get("input") or "null")
    except ValueError:
        raw = None
    document = peek(raw)
    fields = document if isinstance(document, dict) else {}
    event_id = raw.get("id") if isinstance(raw, dict) and "detail" in raw else None
    request_id = fields.get("requestId") if isinstance(fields.get("requestId"), str) else None
    request_id = (
        request_id or (event_id if isinstance(event_id, str) else None) or str(detail.get("name") or arn)
    )
    held = idempotency.lookup(request_id)
    if held is not None and held.owner != arn:
        return {"ignored": f"{arn} repeated request {request_id}, which {held.owner} answers"}
    endpoint_type = fields.get("endpointType") if isinstance(fields.get("endpointType"), str) else None
    ledger.closed_for(
        arn, request_id=idempotency.key_text(request_id), endpoint_type=endpoint_type or "unknown"
    )
    failure = _failure(status, detail)
    found = ledger.Ledger(
        arn, request_id, endpoint_type or "unknown", str(fields.get("action") or "create"), ledger.DONE
    )
    result = publication(
        notices.detail(
            found,
            Teardown(mode="rollback", targets=[], deadline=clock.now()),
            status="FAILED",
            error=ErrorDetail(code=failure.code, message=failure.message + "; nothing was created"),
        )
    )
    notify.publish(result)
    if held is not None:
        idempotency.release(request_id, arn)
    return {"cleaned": arn, "done": True, "deleted": []}
