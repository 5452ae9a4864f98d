"""Readiness: create the endpoint, then find out when it is ready (or failed, or out of time).

``create`` asks the provider to create it; then either ``check`` looks, repeatedly (a fixed Wait →
Check loop, or Check retrying itself: ``controller.waiting``), or, when the service announces
status changes, ``await`` parks the waiting task's token and ``resume`` hands it back when the
service's state-change event arrives. Whoever sees the endpoint settle reports the verdict: a
ready endpoint carries its publication (the state machine publishes it at once); a failed one goes
on to the rollback.
"""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools import Logger

from controller import adoption, catalog, clock, ledger, metrics, providers, task_tokens, waiting
from controller.aws import translate
from controller.creations import Creations
from controller.errors import (
    ControllerError,
    EndpointCreationFailed,
    EndpointNotReady,
    EndpointTimeout,
    EndpointUpdateFailed,
    Failure,
    TransientServiceError,
    UpdateRolledBack,
)
from controller.providers.base import Observation, Provider, Resource, Status
from controller.state import Change, State
from controller.step_event import StepEvent
from controller.steps.conclusion import conclude

logger = Logger(child=True)


def create(event: StepEvent) -> dict[str, Any]:
    state = event.lifecycle()
    provider = providers.get(state.endpointType)
    try:
        recorded = ledger.read(state.executionArn)  # what an earlier attempt of this step made
    except Exception as exc:
        raise translate(exc, "ledger: read", []) from exc
    created = Creations(provider, state.requestId, state.executionArn, recorded.created if recorded else [])
    act = provider.update if state.action == "update" else provider.create
    try:
        if state.action == "update":
            # Only what the controller owns is updated; ``options.adopt`` takes it over first.
            state.adopted = adoption.admit(state, provider) or None
        creation = act(state.params, state.requestId, created)
    except Exception as exc:
        raise translate(
            exc, f"{provider.service}: {state.action}", [r.model_dump() for r in created]
        ) from exc
    state.created = list(created)
    state.endpointId = creation.endpoint_id
    if creation.change is not None:
        state.change = Change(
            previous=creation.change.previous,
            requested=creation.change.requested,
            scaling=list(creation.change.scaling),
        )
        try:  # a clean-up after a stop says what was asked (``steps.notices``)
            ledger.update(
                state.executionArn,
                change={"previous": state.change.previous, "requested": state.change.requested},
            )
        except Exception as exc:
            raise translate(exc, "ledger: record the update", []) from exc
    _observe(state, creation.observation)
    state.wait = waiting.after_create(state.options, state.wait, state.deadline)
    logger.info("create requested", extra={"resources": [r.label for r in created]})
    return state.model_dump(mode="json", exclude_none=True)


def _observe(state: State, observation: Observation) -> None:
    state.providerStatus = observation.provider_status or state.providerStatus
    state.endpointArn = observation.arn or state.endpointArn
    state.endpointUrl = observation.url or state.endpointUrl
    if observation.outputs is not None:
        state.outputs = {**state.outputs, **observation.outputs.model_dump(mode="json", exclude_none=True)}


def check(event: StepEvent) -> dict[str, Any]:
    """One look at the endpoint, then the verdict and the wait before the next look.

    Adaptive polling retries this step (``EndpointNotReady``) while the deadline is further away
    than the longest retry interval; nearer, and for the fixed cadence and the event path's
    fallback looks, the step sets the exact ``wait`` (cut to the deadline), so no path looks past
    the deadline by more than a second. A look that fails transiently (a throttle, a 5xx) while
    there is time is a look that saw nothing: the wait goes on, and the step's own retry budget,
    meant for one call, is not spent on a wait of hours.
    """
    state = event.lifecycle()
    _next_look(state)
    return _settled(state)


def _next_look(state: State) -> None:
    """:func:`check`'s look: the verdict, and while there is none, the wait before the next look
    (or ``EndpointNotReady``, for Check to retry itself)."""
    metrics.count("Polls", state.endpointType)
    if _look(state):
        return
    options = state.options
    if (
        options.adaptive
        and not options.events
        and state.deadline - clock.now() > options.maxRetryIntervalSeconds
    ):
        raise EndpointNotReady(f"{state.endpointId}: {state.providerStatus}")  # Check retries itself
    if options.events:
        interval = options.eventFallbackSeconds
    elif options.adaptive:
        interval = math.ceil(state.deadline - clock.now())  # the last look: at the deadline
    else:
        interval = options.pollIntervalSeconds
    state.wait = waiting.next_wait(interval, state.deadline)


def _look(state: State) -> bool:
    """:func:`_assess`, with a transient failure before the deadline counted as "still on its way"."""
    try:
        return _assess(state)
    except TransientServiceError as exc:
        if clock.now() >= state.deadline:
            raise
        logger.warning("look failed; the wait goes on", extra={"error": exc.message})
        state.verdict = "wait"
        return False


def _endpoint_resource(state: State, provider: Provider) -> Resource:
    for resource in state.created:
        if resource.id == state.endpointId and provider.is_endpoint(resource):
            return resource
    return Resource(kind=provider.endpoint_kind, id=str(state.endpointId))


def _assess(state: State) -> bool:
    """Describe the endpoint and judge the create: ``True`` once it has an outcome (ready, failed,
    or out of time), recorded in ``state.verdict``; ``False`` while it is still on its way."""
    provider = providers.get(state.endpointType)
    assert state.endpointId is not None
    try:
        observation = provider.describe(_endpoint_resource(state, provider))
    except Exception as exc:
        raise translate(exc, f"{provider.service}: describe", []) from exc
    _observe(state, observation)
    if state.change is not None and _judge_update(state, observation):
        return True
    if state.change is None and observation.status is Status.READY:
        state.verdict = "ready"
        state.readyAt = clock.iso()
    elif state.change is None and observation.status in (Status.FAILED, Status.ABSENT, Status.DELETING):
        state.verdict = "failed"
        reason = observation.reason or (
            "the endpoint disappeared"
            if observation.status is Status.ABSENT
            else f"status {observation.provider_status}"
        )
        state.failure = Failure.of(EndpointCreationFailed(f"{state.endpointId}: {reason}"))
    elif clock.now() >= state.deadline:
        state.verdict = "timeout"
        state.failure = Failure.of(
            EndpointTimeout(
                f"{state.endpointId} not {'updated' if state.change else 'ready'} within "
                f"{state.options.timeoutSeconds} s (status {observation.provider_status})"
            )
        )
    else:
        state.verdict = "wait"
        return False
    return True


def _judge_update(state: State, observation: Observation) -> bool:
    """An update's verdict (docs/updates-and-expiry.md): settled only once no deployment is pending and the
    status is final; a success only when the endpoint serves what was asked. ``False`` while it
    is still on its way (and not past the deadline, which the caller judges)."""
    change = state.change
    assert change is not None
    endpoint = state.endpointId
    settled = (observation.status is Status.READY and not observation.settling) or observation.status in (
        Status.FAILED,
        Status.ABSENT,
        Status.DELETING,
    )
    if settled and change.scaling and change.scalingRestored is None and endpoint is not None:
        provider = providers.get(state.endpointType)
        try:
            change.scalingRestored = provider.settled_update(endpoint, state.executionArn)
        except Exception as exc:
            raise translate(exc, f"{provider.service}: restore autoscaling", []) from exc
    if observation.status is Status.READY and not observation.settling:
        if observation.serving in (None, change.requested):  # None: the service does not say
            state.verdict = "ready"
            state.readyAt = clock.iso()
            return True
        change.reason = observation.reason or "the service gave no reason"
        state.verdict = "failed"
        state.failure = Failure.of(
            UpdateRolledBack(
                f"{endpoint}: the service rolled the update back; it serves {observation.serving} "
                f"again, not {change.requested} ({change.reason})"
            )
        )
        return True
    if observation.status in (Status.FAILED, Status.ABSENT, Status.DELETING):
        change.reason = observation.reason
        status = "absent" if observation.status is Status.ABSENT else observation.provider_status
        state.verdict = "failed"
        state.failure = Failure.of(
            EndpointUpdateFailed(
                f"{endpoint}: after the update to {change.requested} the endpoint is {status}"
                + (f" ({observation.reason})" if observation.reason else "")
            )
        )
        return True
    return False


def _settled(state: State) -> dict[str, Any]:
    """The next state once the create has an outcome: a ready endpoint carries its publication;
    a failed one goes on to the rollback."""
    body = state.model_dump(mode="json", exclude_none=True)
    if state.verdict == "ready":
        return {**body, **conclude(state)}
    return body


def _handed(state: State, token: str) -> dict[str, Any] | None:
    """:func:`_settled`, for the task of ``token``: ``None`` when the verdict is "ready" and that
    task no longer waits (``task_tokens.waits``). A ready endpoint's outcome is recorded as it is
    concluded (the request's claim replays it, the ledger closes); an execution stopped while it
    waited publishes nothing, so its outcome must not be: its clean-up removes what it made and
    announces ``ExecutionAborted`` (``steps.cleanup``). A stop between the probe and the hand-over
    (milliseconds) is the one window left; a failed or timed-out verdict records nothing here."""
    if state.verdict == "ready" and not task_tokens.waits(token):
        logger.info(
            "the waiting task no longer waits: nothing concluded", extra={"status": state.providerStatus}
        )
        return None
    return _settled(state)


def _seen(state: State) -> dict[str, Any]:
    """What a waiting or resuming step saw (for logs and the local runner's progress)."""
    return {"providerStatus": state.providerStatus, "verdict": state.verdict}


# -- await / resume: readiness from the service's state-change events ----------------------------
def await_endpoint(event: StepEvent) -> dict[str, Any]:
    """Park the waiting task's token, then look once: the endpoint may have settled already (or
    the event was lost while an earlier token timed out). Whoever takes the token resumes.

    Step Functions retries the waiting task after each timeout with the same input, so with the
    same timeout (``state.wait``); an attempt that would outlive the deadline by more than a second
    instead looks as ``check`` does and resumes its own token at once with that verdict and a wait
    cut to the deadline (past it, the "timeout" verdict), and the state machine waits again.

    An update whose look finds a phase its input has not recorded (the first look after
    ``UpdateEndpoint``, or one after a lost event) resumes itself with it too (:func:`_phase`).
    """
    state = event.lifecycle()
    token = str(event.token)
    waiter = task_tokens.key(state.endpointType, str(state.endpointId))
    try:
        task_tokens.park(waiter, token, state.model_dump(mode="json", exclude_none=True), state.deadline)
        if clock.now() + (state.wait or 0) > state.deadline + 1:
            _next_look(state)  # past the deadline: the "timeout" verdict, to the rollback
            if task_tokens.take(waiter, token) and (output := _handed(state, token)) is not None:
                task_tokens.resume(token, output)
            return {"resumed": state.executionArn, "by": "deadline", "verdict": state.verdict}
        metrics.count("Polls", state.endpointType)
        recorded = state.providerStatus
        settled = _look(state)  # a failed look leaves the token parked: the fallback looks again
        if settled and task_tokens.take(waiter, token):
            if (output := _handed(state, token)) is not None:
                task_tokens.resume(token, output)
            return {"resumed": state.executionArn, "by": "look", **_seen(state)}
        if not settled and _new_phase(state, recorded) and task_tokens.take(waiter, token):
            task_tokens.resume(token, _phase(state))
            return {"resumed": state.executionArn, "by": "look", **_seen(state)}
    except ControllerError:
        raise
    except Exception as exc:
        raise translate(exc, "await", []) from exc
    logger.info("waiting for the endpoint's state-change event", extra={"status": state.providerStatus})
    return {"waiting": state.executionArn, **_seen(state)}


def event_type(event: dict[str, Any]) -> str | None:
    """The endpoint type whose service published ``event`` (the catalog's event sources)."""
    row = catalog.by_event(event.get("source"), event.get("detail-type"))
    return row.name if row is not None else None


def resume(event: dict[str, Any]) -> dict[str, Any]:
    """A service's state-change event: resume the lifecycle waiting for that endpoint, if any.

    A status that ends the wait counts only once the service confirms it (a describe): a stale or
    out-of-order event then finds the endpoint still on its way and changes nothing. While an
    update deploys, an event reporting a phase the waiting state has not recorded (a
    ``providerStatus`` such as ``Updating (Baking)``) gets the same one look; if the update is
    still on its way in a phase not recorded yet, the waiting task is resumed with the verdict
    ``wait`` (:func:`_phase`), so the phase is in the execution's history (``endpointctl watch``),
    and the state machine waits again. Duplicates of a recorded phase change nothing, without a
    look; late copies of an earlier phase, after one look. A create's own ``Creating`` changes
    nothing.
    """
    endpoint_type = event_type(event)
    change = providers.get(endpoint_type).read_state_change(event) if endpoint_type else None
    if endpoint_type is None or change is None:
        return _ignored(endpoint_type, "not a state-change event")
    waiter = task_tokens.key(endpoint_type, change.endpoint_id)
    parked = task_tokens.lookup(waiter)
    if parked is None:
        return _ignored(endpoint_type, f"no lifecycle waits for {change.endpoint_id}")
    state = State.model_validate(parked.state)
    logger.append_keys(execution_arn=state.executionArn, request_id=state.requestId)
    recorded = state.providerStatus
    if change.status is Status.CREATING and (state.change is None or change.provider_status == recorded):
        why = "not a status that ends a create" if state.change is None else f"{recorded} is recorded"
        return _ignored(endpoint_type, why)
    if change.owner is not None and state.action != "update" and change.owner != state.requestId:
        # (an update's endpoint carries the tag of the request that created it)
        return _ignored(endpoint_type, f"{change.endpoint_id} belongs to request {change.owner}")
    if _assess(state):
        output = None  # concluded once the token is taken and its task still waits
    elif _new_phase(state, recorded):
        output = _phase(state)
    else:
        return _ignored(endpoint_type, f"{change.endpoint_id} is still {state.providerStatus}")
    if not task_tokens.take(waiter, parked.token):
        return _ignored(endpoint_type, "already resumed")
    if output is None and (output := _handed(state, parked.token)) is None:
        return _ignored(
            endpoint_type, "the waiting task no longer waits (its execution stopped or it timed out)"
        )
    if not task_tokens.resume(parked.token, output):
        return _ignored(endpoint_type, "the waiting task timed out; its retry looks for itself")
    logger.info("resumed by a state-change event", extra={"status": change.provider_status})
    metrics.count("ResumedByEvent", endpoint_type)
    return {"resumed": state.executionArn, "by": "event", **_seen(state)}


def _new_phase(state: State, recorded: str | None) -> bool:
    """A look found an update still on its way (``_assess`` said so) in a phase the waiting state
    had not recorded."""
    return state.change is not None and state.verdict == "wait" and state.providerStatus != recorded


def _phase(state: State) -> dict[str, Any]:
    """The waiting task's output for an update in a new phase: the same state with its new
    ``providerStatus``, the verdict ``wait`` and, as ``check`` sets it on the event path, a wait of
    the event fallback's period cut to the deadline: ``EndpointReady?`` sends it back to
    ``AwaitEndpoint``, which parks a new token and looks once (a change in between is not lost)."""
    state.wait = waiting.next_wait(state.options.eventFallbackSeconds, state.deadline)
    return state.model_dump(mode="json", exclude_none=True)


def _ignored(endpoint_type: str | None, why: str) -> dict[str, Any]:
    metrics.count("StateChangeEventsIgnored", endpoint_type)
    return {"ignored": why}
