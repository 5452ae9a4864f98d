"""Teardown: roll back what a failed create made, or carry out an ``action: delete``.

The plan is made once (what this request created, in the provider's teardown order; or the
provider's delete targets), then moved on as far as the service lets it at each step, waiting
between steps while a resource is still being created or deleted, within the provider's bound.
A rollback deletes only what this request created, and a provider that can check ownership
refuses anything else (``NotOwned``: skipped, never deleted).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from controller import adoption, clock, ledger, ownership, providers, waiting
from controller.aws import translate
from controller.errors import ControllerError, EndpointNotOwned, caught, parse_cause
from controller.providers.base import NotOwned, Provider, Resource, Status
from controller.state import State, Teardown
from controller.step_event import StepEvent

logger = Logger(child=True)


def teardown(event: StepEvent) -> dict[str, Any]:
    state = event.lifecycle()
    provider = providers.get(state.endpointType)
    if state.teardown is None:
        state.teardown = _plan(state, provider)
    plan = state.teardown
    owner = state.requestId if plan.mode == "rollback" else None
    try:
        pending = advance(plan, provider, owner, state.options.unmanagedDeleteRoleArn, state.executionArn)
    except Exception as exc:
        raise translate(exc, f"{provider.service}: {plan.mode}", []) from exc
    if not pending:
        plan.verdict = "done"
    elif clock.now() >= plan.deadline:
        plan.verdict = "failed"
        plan.reason = plan.reason or f"{pending} did not finish within {provider.teardown_bound_seconds} s"
    else:
        plan.verdict = "wait"
        state.wait = waiting.loop_wait(
            state.options.pollIntervalSeconds, provider.teardown_bound_seconds, plan.deadline
        )
    if plan.verdict != "wait":
        logger.info(f"{plan.mode} {plan.verdict}", extra={"deleted": plan.deleted, "left": plan.left})
    return state.model_dump(mode="json", exclude_none=True)


def _plan(state: State, provider: Provider) -> Teardown:
    deadline = clock.now() + provider.teardown_bound_seconds
    if state.action == "delete":
        try:
            return _plan_delete(state, provider, deadline)
        except ControllerError:
            raise
        except Exception as exc:
            raise translate(exc, f"{provider.service}: delete", []) from exc
    state.failure = state.failure or caught(state.error)
    targets = rollback_targets(state, provider)
    if state.failure is not None and state.failure.code == "EndpointUpdateFailed":
        # The endpoint is Failed or UpdateRollbackFailed, maybe on the new config: nothing is
        # deleted (CONTRACT §2); the notification names what the update made.
        return Teardown(mode="rollback", targets=[], deadline=deadline, kept=[t.label for t in targets])
    return Teardown(mode="rollback", targets=targets, deadline=deadline)


def _plan_delete(state: State, provider: Provider, deadline: float) -> Teardown:
    """What ``action: delete`` removes: what the controller created. The endpoint of someone else
    is ``EndpointNotOwned`` (before anything is touched) unless the deployment allows unmanaged
    deletes; anything else not the controller's (a config in use by it) is kept, and said so."""
    chosen, kept = [], []
    for target in provider.delete_targets(state.params):
        owned = adoption.owned(provider, target)  # as an update judges it
        if owned is False and state.options.allowUnmanagedDeletes:
            target.unmanaged = True
        elif owned is False and provider.is_endpoint(target):
            raise EndpointNotOwned(
                f"{provider.endpoint_type} {target.label} was not created by this controller, so it "
                "is left alone (a deployment may allow such deletes: context allowUnmanagedDeletes)"
            )
        elif owned is False:
            kept.append(f"{target.label} (not created by this controller)")
            continue
        chosen.append(target)
    return Teardown(mode="delete", targets=chosen, deadline=deadline, kept=kept)


def held_claims(found: ledger.Ledger | None, provider: Provider) -> list[Resource]:
    """The identities ``found``'s execution claimed and still holds without having recorded the
    resource: the service may have made it and the answer been lost (a timeout, a 5xx, a Lambda
    timeout), so a teardown looks, and deletes it if it is there."""
    if found is None:
        return []
    made = {(r.kind, r.id) for r in found.created}
    held = []
    for resource in found.claimed:
        holder = ownership.holder(claim_key(provider, resource))
        if (
            (resource.kind, resource.id) not in made
            and holder
            and holder.execution_arn == found.execution_arn
        ):
            held.append(resource)
    return held


def claim_key(provider: Provider, target: Resource) -> str:
    return ownership.key(provider.endpoint_type, target, provider.identity(target))


def rollback_targets(state: State, provider: Provider) -> list[Resource]:
    """What this request created: the execution's ledger (written the moment each resource
    existed, so it survives a create that never answered), what ``create`` returned, and what its
    error's cause carried; in the order the provider deletes them."""
    found = ledger.read(state.executionArn)
    candidates = [*(found.created if found else []), *state.created, *held_claims(found, provider)]
    if state.error:
        candidates += [
            Resource.model_validate(item) for item in parse_cause(state.error.get("Cause")).get("created", [])
        ]
    targets: list[Resource] = []
    for resource in candidates:
        if all((r.kind, r.id) != (resource.kind, resource.id) for r in targets):
            targets.append(Resource(kind=resource.kind, id=resource.id, endpoint=resource.endpoint))
    return provider.in_teardown_order(targets)


def advance(
    plan: Teardown,
    provider: Provider,
    owner: str | None,
    unmanaged_role: str | None = None,
    execution: str | None = None,
) -> str | None:
    """Move the teardown on as far as it goes now; the label of what it waits for, if any.
    ``unmanaged_role``: the deployment's role for deletes of what the controller did not create.
    ``execution``: whose ledger records each delete before it is asked (a retried step whose
    delete's answer was lost then knows the delete was its own, not an endpoint already gone)."""
    found = ledger.read(execution) if execution else None
    # Deletes this execution may have sent (recorded before each call): one whose answer was lost
    # is still its own when the resource is found gone. Only an answered delete, though, makes a
    # FAILED status the delete's failure: a delete that may never have arrived (its call failed)
    # is sent again, to a resource that may have failed its creation meanwhile.
    asked = {(r.kind, r.id) for r in (found.deleting if found else [])}
    for target in plan.targets:
        if target.gone:
            continue
        observation = provider.describe(target)
        if observation.status is Status.ABSENT:
            _gone(plan, provider, target, execution, asked=(target.kind, target.id) in asked)
            continue
        if target.deleteRequested and observation.status is Status.FAILED:
            plan.reason = (
                f"deleting {target.label} failed: {observation.reason or observation.provider_status}"
            )
            plan.deadline = clock.now()  # nothing more to wait for
            return target.label
        if observation.status in (Status.CREATING, Status.DELETING):
            return target.label  # not deletable yet, or on its way out
        if execution is not None and (target.kind, target.id) not in asked:
            ledger.record_delete(execution, target)
        try:
            provider.delete(target, owner=owner, role_arn=unmanaged_role if target.unmanaged else None)
        except NotOwned as exc:
            target.gone = True
            plan.skipped.append(f"{target.label} ({exc})")
            continue
        target.deleteRequested = True
        if provider.describe(target).status is not Status.ABSENT:
            return target.label
        _gone(plan, provider, target, execution)
    return None


def _gone(
    plan: Teardown, provider: Provider, target: Resource, execution: str | None, *, asked: bool = False
) -> None:
    """``target`` no longer exists: its claim goes too (the name is free for the next create),
    unless another execution still at work holds it: a create that claimed the name and is asking
    the service for it right now (a delete that finds the name absent must not free it under that
    create, whose retry would then take its own endpoint for someone else's).
    ``asked``: this execution may have sent its delete (the answer lost): it counts as deleted."""
    target.gone = True
    if target.deleteRequested or asked:
        plan.deleted.append(target.label)
    key = claim_key(provider, target)
    held = ownership.holder(key)
    if held is None:
        return
    if held.execution_arn != execution:
        holder = ledger.read(held.execution_arn)
        if holder is not None and holder.open:
            return
    ownership.release(key, held.execution_arn)
