"""Teardown: roll back what a failed create made, or carry out an ``action: delete``.

The plan is made once (what this request created, in the provider's teardown order; or the
provider's delete targets), then moved on as far as the service lets it at each step, waiting
between steps while a resource is still being created or deleted, within the provider's bound.
A rollback deletes only what this request created, and a provider that can check ownership
refuses anything else (``NotOwned``: skipped, never deleted).
"""

from __future__ import annotations

import math
import random
from typing import Any

from aws_lambda_powertools import Logger

from controller import adoption, clock, ledger, ownership, providers, waiting
from controller.aws import translate
from controller.errors import ControllerError, EndpointNotOwned, caught, parse_cause
from controller.providers.base import NotOwned, Ownership, Provider, Resource, Status, Usage
from controller.state import State, Teardown
from controller.step_event import StepEvent

logger = Logger(child=True)


#: Transient errors (throttling, 5xx) a teardown meets in a row before it ends ``failed``: each
#: is waited out in the WaitForDeletion loop with capped exponential backoff and full jitter, so
#: what the teardown had already removed stays recorded in its plan (a step that raised would
#: lose it). Any other error ends the teardown at once, with what it removed and what is left;
#: a rollback's leftovers are then the sweep's to retry (``steps.cleanup``).
TRANSIENT_ATTEMPTS = 6
BACKOFF_CAP_SECONDS = 60


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
        call = getattr(exc, "operation_name", None) or plan.mode  # a ClientError names its call
        _met(state, plan, translate(exc, f"{provider.service}: {call}", []))
        return state.model_dump(mode="json", exclude_none=True)
    plan.attempts = 0
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


def _met(state: State, plan: Teardown, error: ControllerError) -> None:
    """The teardown met ``error``: a transient one is tried again after a pause (while attempts
    and time remain); any other ends it ``failed``, with everything it did so far kept."""
    plan.attempts += 1
    if error.retryable and plan.attempts <= TRANSIENT_ATTEMPTS and clock.now() < plan.deadline:
        plan.verdict = "wait"
        cap = min(BACKOFF_CAP_SECONDS, 2**plan.attempts)
        state.wait = max(1, min(math.ceil(random.uniform(0, cap)), math.ceil(plan.deadline - clock.now())))
        logger.warning(f"{plan.mode} met a transient error", extra={"error": error.message[:500]})
        return
    plan.verdict = "failed"
    plan.reason = error.message if not error.retryable else f"retries exhausted: {error.message}"
    logger.warning(f"{plan.mode} failed", extra={"error": error.message[:500], "left": plan.left})


def _plan(state: State, provider: Provider) -> Teardown:
    deadline = clock.now() + provider.teardown_bound_seconds
    if state.action == "delete":
        try:
            plan = _plan_delete(state, provider, deadline)
            # Kept in the ledger: a clean-up after a stop says what of it is gone and what remains.
            ledger.update(state.executionArn, cleanup=plan.model_dump(mode="json"))
        except ControllerError:
            raise
        except Exception as exc:
            raise translate(exc, f"{provider.service}: delete", []) from exc
        return plan
    state.failure = state.failure or caught(state.error)
    targets = rollback_targets(state, provider)
    if state.failure is not None and state.failure.code == "EndpointUpdateFailed":
        # The endpoint is Failed or UpdateRollbackFailed, maybe on the new config: nothing is
        # deleted; the notification names what the update made (``steps.conclusion``).
        return Teardown(mode="rollback", targets=[], deadline=deadline)
    return Teardown(mode="rollback", targets=targets, deadline=deadline)


def _plan_delete(state: State, provider: Provider, deadline: float) -> Teardown:
    """What ``action: delete`` removes: what the controller created. The endpoint of someone else
    is ``EndpointNotOwned`` (before anything is touched) unless the deployment allows unmanaged
    deletes; anything else not the controller's (a config in use by it) is kept, and said so."""
    chosen, kept = [], []
    targets = provider.delete_targets(state.params)
    if state.expiredRequestId is not None:
        # An expiry removes what the controller made for the endpoint too (its create's config and
        # those of later updates), each only while no endpoint uses it.
        endpoint = next(t for t in targets if provider.is_endpoint(t))
        made = ownership.made_for(provider.endpoint_type, provider.identity(endpoint), endpoint.id)
        targets += [r for r in made if all((t.kind, t.id) != (r.kind, r.id) for t in targets)]
    for target in targets:
        found = adoption.judged(provider, target)  # as an update judges it
        owned = None if found is Ownership.ABSENT else found is Ownership.OWNED
        if owned is False and state.options.allowUnmanagedDeletes:
            target.unmanaged = True
        elif owned is False and provider.is_endpoint(target):
            whose = (
                "belongs to another stack of this controller (its ml-endpoint-controller:stack tag)"
                if found is Ownership.OTHER_STACK
                else "was not created by this controller"
            )
            raise EndpointNotOwned(
                f"{provider.endpoint_type} {target.label} {whose}, so it is left alone (a deployment "
                "may allow such deletes: context allowUnmanagedDeletes)"
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
    delete's answer was lost then knows the delete was its own, not an endpoint already gone).

    A resource that endpoints share (``Provider.shared_kinds``: a SageMaker endpoint config) is
    deleted only when no endpoint of the account uses it (``Provider.users``, asked once per
    step): one deploying it is waited for; one serving it keeps it (``kept``, and said so)."""
    # Deletes this execution may have sent (recorded before each call): one whose answer was lost
    # is still its own when the resource is found gone. Only an answered delete, though, makes a
    # FAILED status the delete's failure: a delete that may never have arrived (its call failed)
    # is sent again, to a resource that may have failed its creation meanwhile.
    asked = _asked(execution)
    usage: dict[str, Usage] | None = None
    for target in plan.targets:
        if target.gone or target.kept:
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
        if target.kind in provider.shared_kinds:
            if usage is None:
                usage = provider.users([t for t in plan.targets if t.kind in provider.shared_kinds])
            use = usage.get(target.label)
            if use is not None and use.deploying:
                plan.reason = f"{target.label} stayed in use: {use}"
                return target.label  # decided once the deployment has settled
            if use is not None:
                target.kept = True
                plan.kept.append(f"{target.label} (in use: {use})")
                continue
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


def observe(plan: Teardown, provider: Provider, execution: str | None) -> str | None:
    """A stopped delete's clean-up: look at what it asked the service to delete (and at its
    endpoint), never asking anew (the request was stopped); the label of what is still on its
    way out, if any. What is gone is counted deleted when this execution had asked for it."""
    asked = _asked(execution)
    for target in plan.targets:
        if target.gone or target.kept:
            continue
        seen = provider.describe(target)
        if seen.status is Status.ABSENT:
            _gone(plan, provider, target, execution, asked=(target.kind, target.id) in asked)
        elif seen.status in (Status.CREATING, Status.DELETING):
            return target.label
    return None


def _asked(execution: str | None) -> set[tuple[str, str]]:
    """What ``execution``'s ledger says it asked the service to delete (kind, id)."""
    found = ledger.read(execution) if execution else None
    return {(r.kind, r.id) for r in (found.deleting if found else [])}


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
    if target.endpoint and not provider.is_endpoint(target):
        endpoint = Resource(kind=provider.endpoint_kind, id=target.endpoint)
        ownership.forget_made_for(provider.endpoint_type, provider.identity(endpoint), target)
    key = claim_key(provider, target)
    held = ownership.holder(key)
    if held is None:
        return
    if held.execution_arn != execution:
        holder = ledger.read(held.execution_arn)
        if holder is not None and holder.open:
            return
    ownership.release(key, held.execution_arn)
