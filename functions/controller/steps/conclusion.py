"""Conclusion: how a request ended, as the notification's detail; and the replay of a repeat.

``conclude`` turns the lifecycle's state into the detail (``controller.outcome``), counts it
(``controller.metrics``) and keeps it on the request's claim, so a repeat of the request
(``replay``) ends exactly as the first execution did, without a second notification.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from controller import clock, expiry, idempotency, ledger, metrics, ownership, providers, turns, waiting
from controller.adoption import adopted
from controller.aws import translate
from controller.errors import NOTHING_CREATED, Failure, ProviderError, caught
from controller.outcome import Detail, ErrorDetail, RollbackDetail, UpdateDetail, publication
from controller.providers.base import Change, Ownership, Provider, Resource, Status
from controller.state import State, Teardown, Verdict
from controller.step_event import StepEvent
from controller.steps.teardown import claim_key, rollback_targets

logger = Logger(child=True)

#: A replayed outcome's verdict, by the first execution's status.
_REPLAYED: dict[str, Verdict] = {
    "READY": "ready",
    "UPDATED": "ready",
    "DELETED": "deleted",
    "FAILED": "failed",
}


def outcome(event: StepEvent) -> dict[str, Any]:
    return conclude(event.lifecycle())


def conclude(state: State) -> dict[str, Any]:
    """How the request ended: the notification's detail, measured and kept for repeats."""
    plan = state.teardown
    teardown_error = caught(state.teardownError)
    failure = state.failure or caught(state.error)
    rollback: RollbackDetail | None = None
    already_absent: bool | None = None
    expires_at: str | None = None

    deleted: list[str] | None = None
    remaining: list[str] | None = None
    if state.action == "delete":
        deleted, remaining = _delete_outcome(state, failure or teardown_error)
        if plan is not None and plan.verdict == "done" and teardown_error is None:
            status = "DELETED"
            already_absent = not plan.deleted
            _cancel_expiry(state)
        else:
            status = "FAILED"
            said = f"deleted: {', '.join(deleted) or 'nothing'}; left: {', '.join(remaining) or 'nothing'}"
            failure = failure or teardown_error
            if failure is None:
                reason = (plan.reason if plan else None) or "the delete did not finish"
                failure = Failure(code="ProviderError", message=f"{reason}; {said}")
            elif plan is not None and plan.deleted:
                failure = Failure(
                    code=failure.code, message=f"{failure.message}; {said}", fields=failure.fields
                )
    elif state.verdict == "ready" and failure is None:
        status = "UPDATED" if state.action == "update" else "READY"
        expires_at = _schedule_expiry(state) if status == "READY" else None
        if status == "UPDATED" and state.options.deleteReplacedConfig:
            _retire_replaced(state)
    else:
        status = "FAILED"
        failure = failure or Failure(code="ProviderError", message="the lifecycle ended early")
        rollback, failure = _rollback_outcome(state, failure, teardown_error)
    retried_at = _retry_expiry(state, failure) if status == "FAILED" and failure else None
    expires_at = expires_at or retried_at
    change = state.change
    if change is not None and change.scaling and change.scalingRestored is None and state.endpointId:
        # An update that ended before it settled (out of time): what it took off goes back.
        try:
            change.scalingRestored = providers.get(state.endpointType).settled_update(
                state.endpointId, state.executionArn
            )
        except Exception as exc:  # reported in the logs; the outcome stands
            logger.warning("could not put back what the update took off", extra={"error": str(exc)})
    detail = Detail(
        requestId=state.expiredRequestId or state.requestId,
        action=state.action,
        endpointType=state.endpointType,
        endpointId=state.endpointId,
        status=status,
        providerStatus=state.providerStatus,
        endpointArn=state.endpointArn,
        endpointUrl=state.endpointUrl if status in ("READY", "UPDATED") else None,
        executionArn=state.executionArn,
        startedAt=state.startedAt,
        finishedAt=clock.iso(),
        alreadyAbsent=already_absent,
        deleted=deleted,
        remaining=remaining,
        kept=_kept(state) or None,
        error=ErrorDetail(code=failure.code, message=failure.message, fields=failure.fields or None)
        if status == "FAILED" and failure
        else None,
        rollback=rollback,
        update=UpdateDetail.model_validate(state.change.model_dump()) if state.change else None,
        reason="expired" if state.expiredRequestId else None,
        expiresAt=expires_at,
        adopted=True if adopted(state) else None,
    )
    logger.info(
        "outcome", extra={"status": status, "error": failure.code if failure and status == "FAILED" else None}
    )
    metrics.outcome(detail)
    result = publication(detail, state.outputs if status == "READY" else None)
    try:
        idempotency.record(state.requestId, state.executionArn, result)
        _settle_ledger(state, failure if status == "FAILED" else None)
        if retried_at is not None:  # the expiry fires again under the same request id
            idempotency.release(state.requestId, state.executionArn)
    except Exception as exc:
        raise translate(exc, "idempotency: record", []) from exc
    return result


def _schedule_expiry(state: State) -> str | None:
    """``expiresAfterSeconds``: schedule the endpoint's delete; the moment, for the notification.
    Scheduling is retried as the step is (a transient failure), so the outcome waits for it."""
    seconds = state.options.expiresAfterSeconds
    if not seconds or state.endpointId is None:
        return None
    provider = providers.get(state.endpointType)
    if not expiry.configured():
        raise ProviderError("expiresAfterSeconds: this deployment has no expiry scheduler configured")
    identity = provider.identity(Resource(kind=provider.endpoint_kind, id=state.endpointId))
    try:
        return expiry.schedule(
            state.endpointType, identity, {provider.identifier: state.endpointId}, state.requestId, seconds
        )
    except Exception as exc:
        raise translate(exc, "scheduler: create the expiry", []) from exc


#: An expiry whose delete failed (refused by the service, the endpoint busy, a deletion that did
#: not finish) fires again this long later, under the same request id, until the endpoint is gone.
EXPIRY_RETRY_SECONDS = 3600
#: Failures no later try would cure: the endpoint is not the controller's, or the delete is invalid.
_EXPIRY_FINAL = ("EndpointNotOwned", "InvalidRequest")


def _retry_expiry(state: State, failure: Failure) -> str | None:
    """An expiry's delete failed: schedule it again (its notification says when, ``expiresAt``)."""
    if state.expiredRequestId is None or state.endpointId is None or failure.code in _EXPIRY_FINAL:
        return None
    provider = providers.get(state.endpointType)
    identity = provider.identity(Resource(kind=provider.endpoint_kind, id=state.endpointId))
    try:
        return expiry.schedule(
            state.endpointType,
            identity,
            {provider.identifier: state.endpointId},
            state.expiredRequestId,
            EXPIRY_RETRY_SECONDS,
        )
    except Exception as exc:
        raise translate(exc, "scheduler: schedule the expiry again", []) from exc


def _cancel_expiry(state: State) -> None:
    """A deleted endpoint expires no more (the expiry's own delete included: it is gone anyway)."""
    provider = providers.get(state.endpointType)
    if state.endpointId is None or not expiry.configured():
        return
    identity = provider.identity(Resource(kind=provider.endpoint_kind, id=state.endpointId))
    try:
        expiry.cancel(state.endpointType, identity)
    except Exception as exc:  # the endpoint is gone: a stray schedule then deletes nothing
        logger.warning("could not remove the expiry schedule", extra={"error": str(exc)})


def _retire_replaced(state: State) -> None:
    """``deleteReplacedConfig``: after a successful update, delete what it replaced, only when
    the controller created it (its ownership tag; the function's IAM policy says the same) and no
    endpoint uses it (``Provider.users``: not the endpoint itself, when the update asked for the
    config it already served; not another endpoint on the same config). A failure to delete is
    reported, and the update still succeeded."""
    provider = providers.get(state.endpointType)
    change = state.change
    assert change is not None and change.requested is not None
    replaced = provider.replaced(Change(previous=change.previous, requested=change.requested))
    if replaced is None:
        return
    try:
        if provider.ownership(replaced) is not Ownership.OWNED:
            change.replacedKept = f"{replaced.label} (not created by this controller)"
            return
        use = provider.users([replaced]).get(replaced.label)
        if use:
            change.replacedKept = f"{replaced.label} (in use: {use})"
            return
        provider.delete(replaced, owner=None)
    except Exception as exc:  # reported; the update itself succeeded
        logger.warning("could not delete the replaced config", extra={"error": str(exc)})
        change.replacedKept = f"{replaced.label} (could not be deleted: {str(exc)[:200]})"
        return
    change.replacedDeleted = replaced.label


def _kept(state: State) -> list[str]:
    """What the request left on purpose, each with why (the detail's ``kept``)."""
    kept = list(state.teardown.kept) if state.teardown is not None else []
    if state.change is not None and state.change.replacedKept:
        kept.append(state.change.replacedKept)
    return kept


def _delete_outcome(state: State, failure: Failure | None) -> tuple[list[str], list[str]]:
    """A delete's ``deleted`` and ``remaining``: its plan's progress; before it had one, the
    endpoint: refused (not owned, busy: it exists, untouched), or, when its first step failed,
    if the service still has it."""
    plan = state.teardown
    if plan is not None:
        return list(plan.deleted), plan.left
    if state.endpointId is None:
        return [], []
    provider = providers.get(state.endpointType)
    endpoint = Resource(kind=provider.endpoint_kind, id=state.endpointId)
    if failure is not None and failure.code in NOTHING_CREATED:
        return [], [endpoint.label]
    try:
        exists = provider.describe(endpoint).status is not Status.ABSENT
    except Exception:  # unknown: say what the request named
        exists = True
    return [], [endpoint.label] if exists else []


def _settle_ledger(state: State, failure: Failure | None) -> None:
    """The execution has its outcome: the claims it took for resources it never made go, and its
    ledger closes; unless its rollback left something, which the sweep then keeps removing."""
    provider = providers.get(state.endpointType)
    if state.endpointId is not None:
        turns.release(turns.key(provider, state.endpointId), state.executionArn)  # the next may go
    found = ledger.read(state.executionArn)
    if found is None or found.phase != ledger.RUNNING:
        return  # a clean-up has taken over (the execution was stopped): it settles the ledger
    made = {(r.kind, r.id) for r in found.created}
    for resource in found.claimed:
        if (resource.kind, resource.id) not in made:
            ownership.release(claim_key(provider, resource), state.executionArn)
    plan = state.teardown
    if failure is not None and failure.code == "RollbackFailed":
        # Whatever stopped the rollback (a service error, a refusal, the retry budget, its bound),
        # what is left is the sweep's to retry (``steps.cleanup``).
        if plan is None or plan.mode != "rollback":
            plan = Teardown(mode="rollback", targets=rollback_targets(state, provider), deadline=clock.now())
        ledger.keep_pending(
            state.executionArn,
            state.endpointType,
            ledger.LEFTOVER,
            if_phase=ledger.RUNNING,
            failure=failure.model_dump(),
            cleanup=plan.model_dump(mode="json"),
        )
        return
    ledger.close(state.executionArn, state.endpointType, if_phase=ledger.RUNNING)


def _rollback_outcome(
    state: State, failure: Failure, teardown_error: Failure | None
) -> tuple[RollbackDetail | None, Failure]:
    """The ``rollback`` of a failed create, and the failure once the rollback is counted in."""
    plan = state.teardown
    provider = providers.get(state.endpointType)
    if failure.code == "EndpointUpdateFailed":
        # Nothing is deleted after a failed update; what it made is named.
        kept = [r.label for r in rollback_targets(state, provider)]
        return (RollbackDetail(attempted=False, remaining=kept) if kept else None), failure
    if plan is None and teardown_error is None:  # rollback: false
        left = [r.label for r in _existing(rollback_targets(state, provider), provider)]
        if failure.code in NOTHING_CREATED and not left:
            return None, failure
        return RollbackDetail(attempted=False, remaining=left or None), failure
    targets = plan.targets if plan is not None else rollback_targets(state, providers.get(state.endpointType))
    if not targets and failure.code in NOTHING_CREATED:
        return None, failure  # nothing was created, nothing to roll back
    left = [t.label for t in targets if not t.gone and not t.kept]
    succeeded = plan is not None and plan.verdict == "done" and teardown_error is None
    if succeeded and failure.code in NOTHING_CREATED and not (plan and plan.deleted) and not left:
        return None, failure  # refused before anything was made: the rollback found nothing
    rollback = RollbackDetail(
        attempted=True,
        succeeded=succeeded,
        deleted=plan.deleted if plan is not None else [],
        remaining=left or None,
        skipped=(plan.skipped if plan is not None else []) or None,
        kept=(plan.kept if plan is not None else []) or None,
    )
    if succeeded:
        return rollback, failure
    reason = teardown_error.message if teardown_error else (plan.reason if plan else "") or "unknown"
    return rollback, Failure(
        code="RollbackFailed",
        message=f"{failure.message}; rollback failed: {reason}; left: {', '.join(left) or 'nothing'}",
    )


def _existing(resources: list[Resource], provider: Provider) -> list[Resource]:
    """Those of ``resources`` the service has: a claim held without a recorded creation may be a
    lost answer (then it exists) or a call the service refused outright (then it does not)."""
    found = []
    for resource in resources:
        try:
            if provider.describe(resource).status is Status.ABSENT:
                continue
        except Exception:  # unknown: name it, as the request may have made it
            pass
        found.append(resource)
    return found


def replay(event: StepEvent) -> dict[str, Any]:
    """A repeat of a request: wait for the first execution's outcome and end as it did."""
    state = event.lifecycle()
    provider = providers.get(state.endpointType)
    try:
        held = idempotency.lookup(state.requestId)
    except Exception as exc:
        raise translate(exc, "idempotency: lookup", []) from exc
    body = state.model_dump(mode="json", exclude_none=True)
    if held is None:
        # The first execution was stopped and cleaned up, and its claim released: this repeat
        # takes the request over from the start (the state machine validates it again).
        logger.info("the first execution gave the request up; this one takes it over")
        return {**body, "verdict": "retake"}
    if held.status == idempotency.COMPLETED and held.publication:
        logger.info("replaying the first execution's outcome", extra={"first_execution": held.owner})
        return {**body, **held.publication, "verdict": _verdict(held.publication)}
    bound = state.deadline + provider.teardown_bound_seconds
    if clock.now() >= bound:
        detail = Detail(
            requestId=state.requestId,
            action=state.action,
            endpointType=state.endpointType,
            endpointId=state.endpointId,
            status="FAILED",
            executionArn=state.executionArn,
            startedAt=state.startedAt,
            finishedAt=clock.iso(),
            error=ErrorDetail(
                code="ProviderError",
                message=f"request {state.requestId} is held by {state.duplicateOf}, which did not finish in time",
            ),
        )
        return {**body, **publication(detail), "verdict": "failed"}
    body["verdict"] = "wait"
    span = state.options.timeoutSeconds + provider.teardown_bound_seconds
    body["wait"] = waiting.loop_wait(state.options.pollIntervalSeconds, span, bound)
    return body


def _verdict(published: dict[str, Any]) -> Verdict:
    status = published.get("detail", {}).get("status")
    return _REPLAYED.get(str(status), "failed")
