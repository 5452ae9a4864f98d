"""The clean-up's notifications: the one a request is owed when its execution ended without it,
and ``Endpoint Cleaned Up`` once what a ``RollbackFailed`` left is gone (``steps.cleanup`` decides
when; this module says what, and settles the records).

Each says what is gone and what remains: a rollback's in ``rollback``, a delete's in ``deleted`` /
``remaining``; what was left on purpose in ``kept`` (a config an endpoint serves); a stopped
update, which config its endpoint serves once the deployment settled (``update.serving``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from controller import clock, idempotency, ledger, metrics, notify, ownership, providers, turns
from controller.adoption import ADOPTED
from controller.errors import Failure
from controller.outcome import CLEANED_UP, Detail, ErrorDetail, RollbackDetail, UpdateDetail, publication
from controller.providers.base import Resource
from controller.state import Teardown
from controller.steps.teardown import claim_key

logger = Logger(child=True)


def detail(found: ledger.Ledger, plan: Teardown, **fields: Any) -> Detail:
    return Detail(
        requestId=found.request_id,
        action=found.action,
        endpointType=found.endpoint_type,
        endpointId=found.endpoint_id or next((r.id for r in plan.targets), None),
        executionArn=found.execution_arn,
        startedAt=clock.iso(found.started_at) if found.started_at else None,
        finishedAt=clock.iso(),
        adopted=True if found.extra.get(ADOPTED) else None,  # its endpoint stays the controller's
        kept=plan.kept or None,
        **fields,
    )


def finish(found: ledger.Ledger, plan: Teardown) -> None:
    """Everything is gone (or kept on purpose): the one notification the request is owed, then
    the records; by one pass only (``ledger.take_finish``)."""
    if not ledger.take_finish(found.execution_arn):
        logger.info("another clean-up pass is finishing this one", extra={"deleted": plan.deleted})
        return
    provider = providers.get(found.endpoint_type)
    restored: list[str] | None = None
    if found.action == "update" and found.endpoint_id:
        # An update stopped before it settled: what it took off (autoscaling) goes back, and the
        # notification says so (``update.scalingRestored``), as a settled update's does.
        try:
            restored = provider.settled_update(found.endpoint_id, found.execution_arn) or None
        except Exception as exc:  # the sweep's next round tries again only for leftovers
            logger.warning("could not put back what the update took off", extra={"error": str(exc)})
    if found.phase == ledger.LEFTOVER:
        cleaned = detail(
            found,
            plan,
            status="DELETED",
            rollback=RollbackDetail(
                attempted=True, succeeded=True, deleted=plan.deleted or None, kept=plan.kept or None
            ),
        )
        notify.publish(publication(cleaned, detail_type=CLEANED_UP))
        logger.info("what a failed rollback left is gone", extra={"deleted": plan.deleted})
    else:
        _answer(found, plan, restored)
    made = {(r.kind, r.id) for r in found.created}
    for resource in found.claimed:
        if (resource.kind, resource.id) not in made:
            ownership.release(claim_key(provider, resource), found.execution_arn)
    if found.endpoint_id:
        turns.release(turns.key(provider, found.endpoint_id), found.execution_arn)  # the next may go
    ledger.close(found.execution_arn, found.endpoint_type, ledger.DONE)


def _answer(found: ledger.Ledger, plan: Teardown, restored: list[str] | None = None) -> None:
    """The ``Endpoint Failed`` of an execution that ended without its outcome."""
    failure = Failure.model_validate(found.failure or {"code": "ExecutionAborted", "message": ""})
    message, fields = failure.message, dict[str, Any]()
    if plan.mode == "delete":
        fields = {"deleted": list(plan.deleted), "remaining": plan.left}
        message += (
            f"; deleted: {', '.join(plan.deleted) or 'nothing'}; left: {', '.join(plan.left) or 'nothing'}"
        )
    elif plan.targets:
        fields["rollback"] = RollbackDetail(
            attempted=True,
            succeeded=True,
            deleted=plan.deleted or None,
            skipped=plan.skipped or None,
            kept=plan.kept or None,
        )
    if found.action == "update" and found.endpoint_id:
        serving = _serving(found)
        change = found.extra.get("change") or {}
        fields["update"] = UpdateDetail(
            previous=change.get("previous"),
            requested=change.get("requested"),
            serving=serving,
            scalingRestored=restored,
        )
        if serving:
            message += f"; {found.endpoint_id} serves {serving}"
    said = detail(
        found, plan, status="FAILED", error=ErrorDetail(code=failure.code, message=message), **fields
    )
    answer = publication(said)
    notify.publish(answer)
    metrics.outcome(said)
    if failure.code == "ExecutionAborted":
        idempotency.release(found.request_id, found.execution_arn)  # it may be sent again
    else:
        idempotency.record(found.request_id, found.execution_arn, answer)
    logger.info(
        "cleaned up after an execution that ended without its outcome", extra={"deleted": plan.deleted}
    )


def _serving(found: ledger.Ledger) -> str | None:
    """What a stopped update's endpoint serves, its deployment settled (``None``: not said)."""
    provider = providers.get(found.endpoint_type)
    try:
        seen = provider.describe(Resource(kind=provider.endpoint_kind, id=str(found.endpoint_id)))
    except Exception:  # the notification goes out without it
        return None
    return seen.serving


def give_up_for_now(found: ledger.Ledger, plan: Teardown, waiting_for: str) -> None:
    """The clean-up outlived its bound: announced as ``RollbackFailed``; the sweep carries on."""
    failure = Failure.model_validate(found.failure or {"code": "ExecutionAborted", "message": ""})
    left = plan.left
    reason = (
        plan.reason
        or f"{waiting_for} did not finish within {providers.get(found.endpoint_type).teardown_bound_seconds} s"
    )
    said = detail(
        found,
        plan,
        status="FAILED",
        error=ErrorDetail(
            code="RollbackFailed",
            message=f"{failure.message}; clean-up failed: {reason}; left: {', '.join(left) or 'nothing'}",
        ),
        rollback=RollbackDetail(
            attempted=True,
            succeeded=False,
            deleted=plan.deleted or None,
            remaining=left or None,
            kept=plan.kept or None,
        ),
    )
    answer = publication(said)
    notify.publish(answer)
    metrics.outcome(said)
    idempotency.record(found.request_id, found.execution_arn, answer)
    ledger.keep_pending(
        found.execution_arn, found.endpoint_type, ledger.LEFTOVER, cleanup=plan.model_dump(mode="json")
    )
