"""The lifecycle's steps, the same for every endpoint type.

``run_step`` is what the Lambda handler calls: ``{"step": name, ...}`` in, the next state out.
Steps: ``validate`` → ``create`` → ``check`` (repeated) or ``await`` (a parked task token, resumed
by ``resume`` when the service's state-change event arrives) → published when ready, else
``teardown`` (repeated) rolls back what was created → ``outcome``; ``action: delete`` goes straight
to ``teardown``; ``reject`` reports a request that could not be read.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from controller import clock, idempotency, providers, waiters
from controller.aws import translate
from controller.errors import (
    CONTRACT_CODES,
    NOTHING_CREATED,
    ControllerError,
    EndpointCreationFailed,
    EndpointNotReady,
    EndpointTimeout,
    InvalidRequest,
    ProviderError,
    parse_cause,
)
from controller.outcome import Detail, ErrorDetail, RollbackDetail, publication
from controller.providers.base import NotOwned, Observation, Provider, Resource, StateChange, Status
from controller.request import raise_invalid, read_common, unwrap
from controller.state import Failure, Settings, State, Teardown
from controller.validation import FieldError

logger = Logger(child=True)
metrics = Metrics()  # shares the handler's metric set; flushed by its log_metrics decorator


def _measure(detail: Detail | None = None, *, endpoint_type: str | None = None, count: str = "") -> None:
    """EMF metrics per endpoint type: outcomes, error codes (``RollbackFailed`` counts rollback
    failures), rollbacks, time to ready; or, without ``detail``, one ``count`` (``Polls``,
    ``ResumedByEvent``, ``StateChangeEventsIgnored``). The dimension comes before any metric."""
    endpoint_type = detail.endpointType if detail is not None else endpoint_type
    metrics.add_dimension(name="EndpointType", value=str(endpoint_type or "unknown"))
    if count:
        metrics.add_metric(name=count, unit=MetricUnit.Count, value=1)
    if detail is None:
        return
    metrics.add_metric(name=f"Endpoint{detail.status.title()}", unit=MetricUnit.Count, value=1)
    if detail.error is not None:
        metrics.add_metric(name=detail.error.code, unit=MetricUnit.Count, value=1)
    if detail.rollback is not None and detail.rollback.attempted:
        metrics.add_metric(name="Rollbacks", unit=MetricUnit.Count, value=1)
    if detail.status == "READY" and detail.startedAt:
        started = datetime.fromisoformat(detail.startedAt.replace("Z", "+00:00")).timestamp()
        metrics.add_metric(name="TimeToReadySeconds", unit=MetricUnit.Seconds, value=clock.now() - started)


def _next_wait(poll_seconds: int, deadline: float) -> int:
    """Seconds until the next look: the poll interval, cut short by the deadline (at least 1)."""
    return max(1, min(poll_seconds, math.ceil(deadline - clock.now())))


# -- validate / reject -------------------------------------------------------------------------
def validate(event: dict[str, Any]) -> dict[str, Any]:
    endpoint_type: str = event["endpointType"]
    execution = event.get("execution") or {}
    try:
        document, event_id = unwrap(event.get("input"))
    except InvalidRequest:
        raise
    except Exception as exc:  # a malformed envelope is bad input, never a crash
        raise InvalidRequest(
            f"request: not a readable EventBridge event ({exc})", fields=["request"]
        ) from exc
    request, errors = read_common(document)
    if isinstance(document, dict):
        errors += _check_type_and_params(document, endpoint_type)
    raise_invalid(errors)
    assert request is not None
    provider = providers.get(endpoint_type)
    options = request.options
    settings = Settings(
        pollIntervalSeconds=options.pollIntervalSeconds
        if options.pollIntervalSeconds is not None
        else provider.default_poll_seconds,
        timeoutSeconds=options.timeoutSeconds
        or int((event.get("defaults") or {}).get("timeoutSeconds") or 0)
        or provider.default_timeout_seconds,
        rollback=options.rollback,
        adaptive=options.pollIntervalSeconds is None,
    )
    fallback = int((event.get("poll") or {}).get("eventFallbackSeconds") or 0)
    if settings.adaptive and fallback > 0 and request.action == "create":
        settings.events, settings.eventFallbackSeconds = True, fallback
    now = clock.now()
    state = State(
        requestId=request.requestId or event_id or str(execution.get("Name") or "unnamed"),
        action=request.action,
        endpointType=endpoint_type,
        params=request.params,
        options=settings,
        executionArn=str(execution.get("Id", "")),
        startedAt=clock.iso(now),
        deadline=now + settings.timeoutSeconds,
        endpointId=provider.endpoint_id(request.action, request.params),
    )
    first_check = int((event.get("poll") or {}).get("firstCheckSeconds") or settings.pollIntervalSeconds)
    if settings.adaptive:
        first_check = max(1, round(first_check * random.uniform(1.0, 1.1)))  # out of lockstep
    state.wait = _next_wait(
        first_check if settings.adaptive else settings.pollIntervalSeconds, state.deadline
    )
    logger.append_keys(request_id=state.requestId)
    try:
        held = idempotency.claim(state.requestId, state.executionArn)
    except Exception as exc:
        raise translate(exc, "idempotency: claim", []) from exc
    if held.owner != state.executionArn:
        state.duplicateOf = held.owner
        logger.info("repeat of an earlier request", extra={"first_execution": held.owner})
        return state.model_dump(mode="json", exclude_none=True)
    logger.info("request accepted", extra={"action": state.action, "endpoint_id": state.endpointId})
    return state.model_dump(mode="json", exclude_none=True)


def _check_type_and_params(document: dict[str, Any], endpoint_type: str) -> list[FieldError]:
    requested = document.get("endpointType")
    if requested is None:
        return []  # read_common already says it is required
    if not isinstance(requested, str):
        return [FieldError("endpointType", f"must be one of {', '.join(providers.PROVIDERS)}")]
    if requested != endpoint_type:
        known = ", ".join(providers.PROVIDERS)
        where = (
            f"this state machine handles {endpoint_type}"
            if requested in providers.PROVIDERS
            else f"must be one of {known}"
        )
        return [FieldError("endpointType", f"{where} (got {requested!r})")]
    action = document.get("action", "create")
    if action not in ("create", "delete") or "params" not in document:
        return []  # reported by read_common
    return providers.get(endpoint_type).validate(action, document["params"])


def reject(event: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a request that failed validation (or could not be read at all)."""
    error = event.get("error") or {}
    body = parse_cause(error.get("Cause"))
    name = str(error.get("Error", "InvalidRequest"))
    code = name if name in CONTRACT_CODES else "ProviderError"
    document: Any = event.get("input")
    try:
        document, event_id = unwrap(document)
    except Exception:
        event_id = None
    fields = document if isinstance(document, dict) else {}
    execution = event.get("execution") or {}
    params = fields.get("params") if isinstance(fields.get("params"), dict) else {}
    request_id = fields.get("requestId") if isinstance(fields.get("requestId"), str) else None
    endpoint_type = event.get("endpointType")
    provider = providers.get(str(endpoint_type)) if endpoint_type in providers.PROVIDERS else None
    detail = Detail(
        requestId=request_id or event_id or execution.get("Name"),
        action=fields.get("action") if fields.get("action") in ("create", "delete") else "create",
        endpointType=fields.get("endpointType")
        if isinstance(fields.get("endpointType"), str)
        else endpoint_type,
        endpointId=provider.endpoint_id("create", params or {}) if provider else None,
        status="FAILED",
        executionArn=execution.get("Id"),
        startedAt=clock.iso(),
        finishedAt=clock.iso(),
        error=ErrorDetail(code=code, message=str(body.get("message", "")), fields=body.get("fields")),
    )
    logger.warning("request rejected", extra={"code": code, "fields": body.get("fields")})
    _measure(detail)
    return publication(detail)


# -- create / check ------------------------------------------------------------------------------
def create(event: dict[str, Any]) -> dict[str, Any]:
    state = State.model_validate(event["state"])
    provider = providers.get(state.endpointType)
    created: list[Resource] = []
    try:
        endpoint_id, observation = provider.create(state.params, state.requestId, created)
    except Exception as exc:
        raise translate(exc, f"{provider.service}: create", [r.model_dump() for r in created]) from exc
    first_wait = state.wait  # the first look, as validate planned it
    state.created = created
    state.endpointId = endpoint_id
    if (observation.extra or {}).get("preExisting"):
        state.notOwned = [f"{provider.endpoint_type} endpoint {endpoint_id} (pre-existing, updated in place)"]
    _observe(state, observation)
    if state.options.events:
        interval = state.options.eventFallbackSeconds  # the waiting task's timeout
    elif state.options.adaptive:
        interval = first_wait
    else:
        interval = state.options.pollIntervalSeconds
    state.wait = _next_wait(interval, state.deadline)
    logger.info("create requested", extra={"resources": [r.label for r in created]})
    return state.model_dump(mode="json", exclude_none=True)


def _observe(state: State, observation: Observation) -> None:
    state.providerStatus = observation.provider_status or state.providerStatus
    state.endpointArn = observation.arn or state.endpointArn
    state.endpointUrl = observation.url or state.endpointUrl
    extra = observation.extra or {}
    if isinstance(extra.get("peakRequestsPerSecond"), int):
        state.peakRequestsPerSecond = extra["peakRequestsPerSecond"]


def check(event: dict[str, Any]) -> dict[str, Any]:
    state = State.model_validate(event["state"])
    _measure(endpoint_type=state.endpointType, count="Polls")
    if _assess(state):
        return _settled(state)
    if state.options.adaptive:
        # Still on its way: the state machine retries this step with capped backoff.
        raise EndpointNotReady(f"{state.endpointId}: {state.providerStatus}")
    state.wait = _next_wait(state.options.pollIntervalSeconds, state.deadline)
    return state.model_dump(mode="json", exclude_none=True)


def _assess(state: State) -> bool:
    """Describe the endpoint and judge the create: ``True`` once it has an outcome (ready, failed,
    or out of time), recorded in ``state.verdict``; ``False`` while it is still on its way."""
    provider = providers.get(state.endpointType)
    assert state.endpointId is not None
    try:
        observation = provider.describe(_endpoint_resource(state))
    except Exception as exc:
        raise translate(exc, f"{provider.service}: describe", []) from exc
    _observe(state, observation)
    if observation.status is Status.READY:
        state.verdict = "ready"
        state.readyAt = clock.iso()
    elif observation.status in (Status.FAILED, Status.ABSENT, Status.DELETING):
        state.verdict = "failed"
        reason = observation.reason or (
            "the endpoint disappeared"
            if observation.status is Status.ABSENT
            else f"status {observation.provider_status}"
        )
        state.failure = _failure(EndpointCreationFailed(f"{state.endpointId}: {reason}"))
    elif clock.now() >= state.deadline:
        state.verdict = "timeout"
        state.failure = _failure(
            EndpointTimeout(
                f"{state.endpointId} not ready within {state.options.timeoutSeconds} s "
                f"(status {observation.provider_status})"
            )
        )
    else:
        state.verdict = "wait"
        return False
    return True


def _settled(state: State) -> dict[str, Any]:
    """The next state once the create has an outcome: a ready endpoint carries its publication
    (the state machine publishes it at once); a failed one goes on to the rollback."""
    body = state.model_dump(mode="json", exclude_none=True)
    if state.verdict == "ready":
        return {**body, **_conclude(state)}
    return body


# -- await / resume: readiness from the service's state-change events ----------------------------
def await_endpoint(event: dict[str, Any]) -> dict[str, Any]:
    """Park the waiting task's token, then look once: the endpoint may have settled already (or
    the event was lost while an earlier token timed out). Whoever takes the token resumes."""
    state = State.model_validate(event["state"])
    token = str(event["token"])
    waiter = waiters.key(state.endpointType, str(state.endpointId))
    try:
        waiters.park(waiter, token, state.model_dump(mode="json", exclude_none=True), state.deadline)
        _measure(endpoint_type=state.endpointType, count="Polls")
        settled = _assess(state)
        if settled and waiters.take(waiter, token):
            waiters.resume(token, _settled(state))
            return {"resumed": state.executionArn, "by": "look", **_seen(state)}
    except ControllerError:
        raise
    except Exception as exc:
        raise translate(exc, "await", []) from exc
    logger.info("waiting for the endpoint's state-change event", extra={"status": state.providerStatus})
    return {"waiting": state.executionArn, **_seen(state)}


def resume(event: dict[str, Any]) -> dict[str, Any]:
    """A service's state-change event: resume the lifecycle waiting for that endpoint, if any.

    Only a status that ends a create counts, and only once the service confirms it (a describe):
    a stale or out-of-order event then finds the endpoint still on its way and changes nothing.
    """
    endpoint_type = EVENT_SOURCES.get(str(event.get("source")))
    change = _read_state_change(endpoint_type, event)
    if endpoint_type is None or change is None or change.status is Status.CREATING:
        _measure(endpoint_type=endpoint_type, count="StateChangeEventsIgnored")
        return {"ignored": "not a status that ends a create"}
    waiter = waiters.key(endpoint_type, change.endpoint_id)
    parked = waiters.lookup(waiter)
    if parked is None:
        _measure(endpoint_type=endpoint_type, count="StateChangeEventsIgnored")
        return {"ignored": f"no lifecycle waits for {change.endpoint_id}"}
    state = State.model_validate(parked.state)
    logger.append_keys(execution_arn=state.executionArn, request_id=state.requestId)
    if change.owner is not None and change.owner != state.requestId:
        _measure(endpoint_type=endpoint_type, count="StateChangeEventsIgnored")
        return {"ignored": f"{change.endpoint_id} belongs to request {change.owner}"}
    if not _assess(state):
        _measure(endpoint_type=endpoint_type, count="StateChangeEventsIgnored")
        return {"ignored": f"{change.endpoint_id} is still {state.providerStatus}"}
    if not waiters.take(waiter, parked.token):
        _measure(endpoint_type=endpoint_type, count="StateChangeEventsIgnored")
        return {"ignored": "already resumed"}
    if not waiters.resume(parked.token, _settled(state)):
        _measure(endpoint_type=endpoint_type, count="StateChangeEventsIgnored")
        return {"ignored": "the waiting task timed out; its retry looks for itself"}
    logger.info("resumed by a state-change event", extra={"status": change.provider_status})
    _measure(endpoint_type=endpoint_type, count="ResumedByEvent")
    return {"resumed": state.executionArn, "by": "event", **_seen(state)}


def _seen(state: State) -> dict[str, Any]:
    """What a waiting or resuming step saw (for logs and the local runner's progress)."""
    return {"providerStatus": state.providerStatus, "verdict": state.verdict}


def _read_state_change(endpoint_type: str | None, event: dict[str, Any]) -> StateChange | None:
    if endpoint_type == "sagemaker":
        from controller.providers.sagemaker import read_state_change

        return read_state_change(event)
    return None


#: Event sources of the services that announce status changes, and their endpoint type.
EVENT_SOURCES = {"aws.sagemaker": "sagemaker"}


def _endpoint_resource(state: State) -> Resource:
    for resource in state.created:
        if resource.id == state.endpointId and resource.kind != "endpoint-config":
            return resource
    return Resource(kind="endpoint", id=str(state.endpointId))


def _failure(error: ControllerError) -> Failure:
    return Failure(code=error.code, message=error.message, fields=error.fields)


def _caught(error: dict[str, Any] | None) -> Failure | None:
    """The failure a ``Catch`` recorded (``{"Error", "Cause"}``), in contract terms."""
    if not error:
        return None
    name = str(error.get("Error", ""))
    body = parse_cause(error.get("Cause"))
    message = str(body.get("message", ""))
    if name in CONTRACT_CODES:
        return Failure(code=name, message=message, fields=body.get("fields") or [])
    if name == "TransientServiceError":
        return Failure(code="ProviderError", message=f"retries exhausted: {message}")
    return Failure(code="ProviderError", message=f"{name}: {message}".strip(": "))


# -- teardown: rollback and delete ---------------------------------------------------------------
def teardown(event: dict[str, Any]) -> dict[str, Any]:
    state = State.model_validate(event["state"])
    provider = providers.get(state.endpointType)
    if state.teardown is None:
        state.teardown = _plan_teardown(state, provider)
    plan = state.teardown
    owner = state.requestId if plan.mode == "rollback" else None
    try:
        pending = _advance(plan, provider, owner)
    except Exception as exc:
        raise translate(exc, f"{provider.service}: {plan.mode}", []) from exc
    if not pending:
        plan.verdict = "done"
    elif clock.now() >= plan.deadline:
        plan.verdict = "failed"
        plan.reason = plan.reason or f"{pending} did not finish within {provider.teardown_bound_seconds} s"
    else:
        plan.verdict = "wait"
        state.wait = _next_wait(state.options.pollIntervalSeconds, plan.deadline)
    if plan.verdict != "wait":
        logger.info(f"{plan.mode} {plan.verdict}", extra={"deleted": plan.deleted, "left": plan.left})
    return state.model_dump(mode="json", exclude_none=True)


def _plan_teardown(state: State, provider: Provider) -> Teardown:
    deadline = clock.now() + provider.teardown_bound_seconds
    if state.action == "delete":
        try:
            targets = provider.delete_targets(state.params)
        except Exception as exc:
            raise translate(exc, f"{provider.service}: delete", []) from exc
        return Teardown(mode="delete", targets=targets, deadline=deadline)
    state.failure = state.failure or _caught(state.error)
    return Teardown(mode="rollback", targets=_rollback_targets(state), deadline=deadline)


def _rollback_targets(state: State) -> list[Resource]:
    """What this request created: recorded by ``create``, or carried by its error's cause."""
    targets = list(state.created)
    if state.error:
        for item in parse_cause(state.error.get("Cause")).get("created", []):
            resource = Resource.model_validate(item)
            if all((r.kind, r.id) != (resource.kind, resource.id) for r in targets):
                targets.append(resource)
    # Delete the endpoint before its config: a config must not be deleted while in use.
    return sorted(targets, key=lambda r: r.kind == "endpoint-config")


def _advance(plan: Teardown, provider: Provider, owner: str | None) -> str | None:
    """Move the teardown on as far as it goes now; the label of what it waits for, if any."""
    for target in plan.targets:
        if target.gone:
            continue
        observation = provider.describe(target)
        if observation.status is Status.ABSENT:
            _gone(plan, target)
            continue
        if target.deleteRequested and observation.status is Status.FAILED:
            plan.reason = (
                f"deleting {target.label} failed: {observation.reason or observation.provider_status}"
            )
            plan.deadline = clock.now()  # nothing more to wait for
            return target.label
        if observation.status in (Status.CREATING, Status.DELETING):
            return target.label  # not deletable yet, or on its way out
        try:
            provider.delete(target, owner=owner)
        except NotOwned as exc:
            target.gone = True
            plan.skipped.append(f"{target.label} ({exc})")
            continue
        target.deleteRequested = True
        if provider.describe(target).status is not Status.ABSENT:
            return target.label
        _gone(plan, target)
    return None


def _gone(plan: Teardown, target: Resource) -> None:
    target.gone = True
    if target.deleteRequested:
        plan.deleted.append(target.label)


# -- outcome ---------------------------------------------------------------------------------------
def outcome(event: dict[str, Any]) -> dict[str, Any]:
    return _conclude(State.model_validate(event["state"]))


def _conclude(state: State) -> dict[str, Any]:
    """How the request ended: the notification's detail, measured and kept for repeats."""
    plan = state.teardown
    teardown_error = _caught(state.teardownError)
    failure = state.failure or _caught(state.error)
    rollback: RollbackDetail | None = None
    already_absent: bool | None = None

    if state.action == "delete":
        if plan is not None and plan.verdict == "done" and teardown_error is None:
            status = "DELETED"
            already_absent = not plan.deleted
        else:
            status = "FAILED"
            left = ", ".join(plan.left) if plan else state.endpointId
            failure = (
                failure
                or teardown_error
                or Failure(
                    code="ProviderError", message=(plan.reason if plan else None) or f"{left} was not deleted"
                )
            )
    elif state.verdict == "ready" and failure is None:
        status = "READY"
    else:
        status = "FAILED"
        failure = failure or Failure(code="ProviderError", message="the lifecycle ended early")
        rollback, failure = _rollback_outcome(state, failure, teardown_error)
    detail = Detail(
        requestId=state.requestId,
        action=state.action,
        endpointType=state.endpointType,
        endpointId=state.endpointId,
        status=status,
        providerStatus=state.providerStatus,
        endpointArn=state.endpointArn,
        endpointUrl=state.endpointUrl if status == "READY" else None,
        peakRequestsPerSecond=state.peakRequestsPerSecond if status == "READY" else None,
        executionArn=state.executionArn,
        startedAt=state.startedAt,
        finishedAt=clock.iso(),
        alreadyAbsent=already_absent,
        error=ErrorDetail(code=failure.code, message=failure.message, fields=failure.fields or None)
        if status == "FAILED" and failure
        else None,
        rollback=rollback,
    )
    logger.info(
        "outcome", extra={"status": status, "error": failure.code if failure and status == "FAILED" else None}
    )
    _measure(detail)
    result = publication(detail)
    try:
        idempotency.record(state.requestId, state.executionArn, result)
    except Exception as exc:
        raise translate(exc, "idempotency: record", []) from exc
    return result


def replay(event: dict[str, Any]) -> dict[str, Any]:
    """A repeat of a request: wait for the first execution's outcome and end as it did."""
    state = State.model_validate(event["state"])
    provider = providers.get(state.endpointType)
    try:
        held = idempotency.lookup(state.requestId)
    except Exception as exc:
        raise translate(exc, "idempotency: lookup", []) from exc
    body = state.model_dump(mode="json", exclude_none=True)
    if held is not None and held.status == idempotency.COMPLETED and held.publication:
        logger.info("replaying the first execution's outcome", extra={"first_execution": held.owner})
        return {**body, **held.publication, "verdict": "ready"}
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
        return {**body, **publication(detail), "verdict": "ready"}
    body["verdict"] = "wait"
    body["wait"] = _next_wait(state.options.pollIntervalSeconds, bound)
    return body


def _rollback_outcome(
    state: State, failure: Failure, teardown_error: Failure | None
) -> tuple[RollbackDetail | None, Failure]:
    """The ``rollback`` of a failed create, and the failure once the rollback is counted in."""
    plan = state.teardown
    if plan is None and teardown_error is None:  # rollback: false
        if failure.code in NOTHING_CREATED and not state.created:
            return None, failure
        return RollbackDetail(attempted=False, remaining=[r.label for r in state.created] or None), failure
    targets = plan.targets if plan is not None else _rollback_targets(state)
    if not targets and failure.code in NOTHING_CREATED:
        return None, failure  # nothing was created, nothing to roll back
    left = [t.label for t in targets if not t.gone]
    succeeded = plan is not None and plan.verdict == "done" and teardown_error is None
    rollback = RollbackDetail(
        attempted=True,
        succeeded=succeeded,
        deleted=plan.deleted if plan is not None else [],
        remaining=left or None,
        skipped=((plan.skipped if plan is not None else []) + state.notOwned) or None,
    )
    if succeeded:
        return rollback, failure
    reason = teardown_error.message if teardown_error else (plan.reason if plan else "") or "unknown"
    return rollback, Failure(
        code="RollbackFailed",
        message=f"{failure.message}; rollback failed: {reason}; left: {', '.join(left) or 'nothing'}",
    )


STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "validate": validate,
    "reject": reject,
    "create": create,
    "check": check,
    "await": await_endpoint,
    "teardown": teardown,
    "outcome": outcome,
    "replay": replay,
}


def run_step(event: dict[str, Any]) -> dict[str, Any]:
    """Run the step the state machine names in ``event["step"]``, or handle a service's event."""
    if "step" not in event and "detail-type" in event:
        logger.append_keys(step="resume", event_id=event.get("id"))
        return resume(event)
    step = STEPS.get(str(event.get("step")))
    if step is None:
        raise ProviderError(f"unknown step {event.get('step')!r}")
    state = event.get("state") or {}
    execution = event.get("execution") or {}
    execution_arn = state.get("executionArn") or execution.get("Id")
    logger.append_keys(step=event.get("step"), execution_arn=execution_arn, request_id=state.get("requestId"))
    logger.set_correlation_id(execution_arn)
    return step(event)
