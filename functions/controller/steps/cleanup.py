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

from controller import clock, idempotency, ledger, metrics, notify, ownership, providers, turns
from controller.adoption import ADOPTED
from controller.errors import CONTRACT_CODES, Failure
from controller.outcome import CLEANED_UP, Detail, ErrorDetail, RollbackDetail, publication
from controller.providers.base import Resource
from controller.request import peek
from controller.state import Teardown
from controller.step_event import StepEvent
from controller.steps.teardown import advance, claim_key, held_claims

logger = Logger(child=True)

#: How many pending executions one sweep carries on (the rest wait for the next one).
MAX_PER_SWEEP = 25
#: A ledger still ``running`` this long after the state machine's time limit: its end went unseen.
GRACE_SECONDS = 3600
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
    """Carry on every pending clean-up of ``event.endpointType`` (a scheduled rule's target)."""
    limit = event.sweep.executionTimeoutSeconds + GRACE_SECONDS
    visited: list[str] = []
    for arn in ledger.pending(event.endpointType):
        if len(visited) >= MAX_PER_SWEEP:
            break
        found = ledger.read(arn)
        if found is None or not found.open:
            ledger.forget_pending(event.endpointType, arn)
            continue
        if found.phase == ledger.RUNNING:
            if clock.now() < found.started_at + limit:
                continue  # still running, as far as anyone can tell
            _begin(
                found,
                Failure(code="ExecutionAborted", message="the execution ended unseen, without its outcome"),
            )
        visited.append(arn)
        _carry_on(found)
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


def _carry_on(found: ledger.Ledger) -> dict[str, Any]:
    """Remove as much of what ``found``'s execution created as the service lets us now."""
    provider = providers.get(found.endpoint_type)
    if found.cleanup:
        plan = Teardown.model_validate(found.cleanup)
    else:
        mine = [*found.created, *held_claims(found, provider)]
        targets = [Resource(kind=r.kind, id=r.id) for r in provider.in_teardown_order(mine)]
        plan = Teardown(
            mode="rollback", targets=targets, deadline=clock.now() + provider.teardown_bound_seconds
        )
    if found.phase == ledger.LEFTOVER:
        for target in plan.targets:  # ask again for what the service failed to delete before
            if not target.gone:
                target.deleteRequested = False
        plan.reason = None
    try:
        waiting_for = advance(plan, provider, owner=found.request_id, execution=found.execution_arn)
    except Exception as exc:  # the next sweep tries again
        logger.warning("clean-up could not go on", extra={"error": str(exc)[:500]})
        ledger.update(found.execution_arn, cleanup=plan.model_dump(mode="json"))
        return {"cleaned": found.execution_arn, "waiting": str(exc)[:200]}
    if waiting_for is None:
        _finish(found, plan)
        return {"cleaned": found.execution_arn, "done": True, "deleted": plan.deleted}
    if found.phase == ledger.CLEANING and clock.now() >= plan.deadline:
        _give_up_for_now(found, plan, waiting_for)
    else:
        ledger.update(found.execution_arn, cleanup=plan.model_dump(mode="json"))
    return {"cleaned": found.execution_arn, "waiting": waiting_for}


def _detail(found: ledger.Ledger, plan: Teardown, **fields: Any) -> Detail:
    return Detail(
        requestId=found.request_id,
        action=found.action,
        endpointType=found.endpoint_type,
        endpointId=found.endpoint_id or next((r.id for r in plan.targets), None),
        executionArn=found.execution_arn,
        startedAt=clock.iso(found.started_at) if found.started_at else None,
        finishedAt=clock.iso(),
        adopted=True if found.extra.get(ADOPTED) else None,  # its endpoint stays the controller's
        **fields,
    )


def _finish(found: ledger.Ledger, plan: Teardown) -> None:
    """Everything is gone: the one notification the request is owed, then the records."""
    provider = providers.get(found.endpoint_type)
    if found.action == "update" and found.endpoint_id:
        # An update stopped before it settled: what it took off (autoscaling) goes back.
        try:
            provider.settled_update(found.endpoint_id, found.execution_arn)
        except Exception as exc:  # the sweep's next round tries again only for leftovers
            logger.warning("could not put back what the update took off", extra={"error": str(exc)})
    if found.phase == ledger.LEFTOVER:
        detail = _detail(
            found,
            plan,
            status="DELETED",
            rollback=RollbackDetail(attempted=True, succeeded=True, deleted=plan.deleted or None),
        )
        notify.publish(publication(detail, detail_type=CLEANED_UP))
        logger.info("what a failed rollback left is gone", extra={"deleted": plan.deleted})
    else:
        failure = Failure.model_validate(found.failure or {"code": "ExecutionAborted", "message": ""})
        rollback = (
            RollbackDetail(
                attempted=True, succeeded=True, deleted=plan.deleted or None, skipped=plan.skipped or None
            )
            if plan.targets
            else None
        )
        detail = _detail(
            found,
            plan,
            status="FAILED",
            error=ErrorDetail(code=failure.code, message=failure.message),
            rollback=rollback,
        )
        answer = publication(detail)
        notify.publish(answer)
        metrics.outcome(detail)
        if failure.code == "ExecutionAborted":
            idempotency.release(found.request_id, found.execution_arn)  # it may be sent again
        else:
            idempotency.record(found.request_id, found.execution_arn, answer)
        logger.info(
            "cleaned up after an execution that ended without its outcome", extra={"deleted": plan.deleted}
        )
    made = {(r.kind, r.id) for r in found.created}
    for resource in found.claimed:
        if (resource.kind, resource.id) not in made:
            ownership.release(claim_key(provider, resource), found.execution_arn)
    if found.endpoint_id:
        turns.release(turns.key(provider, found.endpoint_id), found.execution_arn)  # the next may go
    ledger.close(found.execution_arn, found.endpoint_type, ledger.DONE)


def _give_up_for_now(found: ledger.Ledger, plan: Teardown, waiting_for: str) -> None:
    """The clean-up outlived its bound: announced as ``RollbackFailed``; the sweep carries on."""
    failure = Failure.model_validate(found.failure or {"code": "ExecutionAborted", "message": ""})
    left = plan.left
    reason = (
        plan.reason
        or f"{waiting_for} did not finish within {providers.get(found.endpoint_type).teardown_bound_seconds} s"
    )
    detail = _detail(
        found,
        plan,
        status="FAILED",
        error=ErrorDetail(
            code="RollbackFailed",
            message=f"{failure.message}; clean-up failed: {reason}; left: {', '.join(left) or 'nothing'}",
        ),
        rollback=RollbackDetail(
            attempted=True, succeeded=False, deleted=plan.deleted or None, remaining=left or None
        ),
    )
    answer = publication(detail)
    notify.publish(answer)
    metrics.outcome(detail)
    idempotency.record(found.request_id, found.execution_arn, answer)
    ledger.keep_pending(
        found.execution_arn, found.endpoint_type, ledger.LEFTOVER, cleanup=plan.model_dump(mode="json")
    )


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
    ledger.closed_for(arn, request_id=request_id, endpoint_type=endpoint_type or "unknown")
    failure = _failure(status, detail)
    found = ledger.Ledger(
        arn, request_id, endpoint_type or "unknown", str(fields.get("action") or "create"), ledger.DONE
    )
    result = publication(
        _detail(
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
