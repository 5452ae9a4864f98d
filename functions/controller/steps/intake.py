"""Intake: read a request, claim its id, and plan the first wait; or answer one that is refused.

Parsing answers every problem at once: the envelope, the common fields and the type's ``params``
(its provider, from botocore's service model), with no AWS call (``controller.admission.examine``,
which ``endpointctl validate`` runs offline). A refused request gets its notification from
``reject`` with every broken field named; nothing was called.
"""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools import Logger

from controller import clock, idempotency, ledger, metrics, providers, turns, waiting
from controller.admission import examine
from controller.aws import translate
from controller.errors import (
    CONTRACT_CODES,
    ControllerError,
    EndpointBusy,
    Failure,
    InvalidRequest,
    parse_cause,
)
from controller.outcome import Detail, ErrorDetail, publication
from controller.providers.base import Provider
from controller.request import ACTIONS, raise_invalid, unwrap
from controller.state import State
from controller.step_event import StepEvent
from controller.validation import FieldError

logger = Logger(child=True)


def validate(event: StepEvent) -> dict[str, Any]:
    endpoint_type = event.endpointType
    admission = examine(event)  # every rule, with no AWS call (``endpointctl validate`` runs it too)
    raise_invalid(admission.errors)
    request, provider, options = admission.request, admission.provider, admission.options
    assert request is not None and provider is not None and options is not None
    document, event_id, expired = admission.document, admission.event_id, admission.expired
    now = clock.now()
    state = State(
        requestId=request.requestId or event_id or (event.execution.Name or "unnamed"),
        action=request.action,
        endpointType=endpoint_type,
        params=request.params,
        options=options,
        executionArn=event.execution.Id,
        startedAt=clock.iso(now),
        deadline=now + options.timeoutSeconds,
        endpointId=provider.endpoint_id(request.action, request.params),
        expiredRequestId=expired,
    )
    state.wait = waiting.first_wait(options, event, state.deadline)
    logger.append_keys(request_id=state.requestId)
    mine = idempotency.of_request(request)
    try:
        held = idempotency.claim(state.requestId, state.executionArn, mine)
    except Exception as exc:
        raise translate(exc, "idempotency: claim", []) from exc
    if held.owner != state.executionArn:
        if not idempotency.same_request(held.fingerprint, request, document):
            raise InvalidRequest(
                f"requestId: {state.requestId} was already used for a different request "
                "(a request id names one request; send this one with a new requestId)",
                fields=["requestId"],
            )
        state.duplicateOf = held.owner
        logger.info("repeat of an earlier request", extra={"first_execution": held.owner})
        return state.model_dump(mode="json", exclude_none=True)
    try:
        ledger.open_for(
            state.executionArn,
            request_id=state.requestId,
            endpoint_type=endpoint_type,
            action=state.action,
            endpoint_id=state.endpointId,
            deadline=state.deadline,
        )
    except Exception as exc:
        raise translate(exc, "ledger: open", []) from exc
    logger.info("request accepted", extra={"action": state.action, "endpoint_id": state.endpointId})
    try:
        return take_turn(state, provider)
    except ControllerError as exc:
        # The ledger is open: from here on a failure must end through the outcome (one answer,
        # the ledger closed), never through Reject. The Turn step tries again (its own retries,
        # then its Catch to the outcome).
        logger.warning("could not take the endpoint's turn yet", extra={"error": exc.message})
        state.verdict, state.firstWait, state.wait = "queued", state.wait, 1
        return state.model_dump(mode="json", exclude_none=True)


def turn(event: StepEvent) -> dict[str, Any]:
    """A request waiting its turn looks again whether its endpoint is free."""
    state = event.lifecycle()
    return take_turn(state, providers.get(state.endpointType))


def take_turn(state: State, provider: Provider) -> dict[str, Any]:
    """One operation per endpoint (``controller.turns``): take the endpoint's lease and go on
    (``verdict: wait``), or wait for the operation under way (``queued``), or, past the deadline,
    end ``EndpointBusy`` (``busy``) without having touched anything.

    Two operations make a request wait, the same way: another execution of this controller
    holding the lease (seen in the controller's own table), and, once the lease is this
    request's, one the service shows under way on the endpoint that is not the controller's
    (``Provider.occupied``: someone updating it in the console, say), which the service would
    refuse this request's own call for. The lease is kept while waiting on the latter, so the
    controller's later requests queue behind this one. Only that one read of the service is
    added, inside this step, and only where the type says the action needs it (an update)."""
    if state.endpointId is not None:
        under_way = _under_way(state, provider, state.endpointId)
        if under_way is not None:
            left = state.deadline - clock.now()
            if left <= 0:
                state.verdict = "busy"
                state.failure = Failure.of(
                    EndpointBusy(f"{under_way} after {state.options.timeoutSeconds} s")
                )
            else:
                state.verdict = "queued"
                state.firstWait = state.firstWait or state.wait
                state.wait = max(1, min(turns.TURN_SECONDS, math.ceil(left)))
                logger.info("waiting for the operation under way", extra={"under_way": under_way})
            return state.model_dump(mode="json", exclude_none=True)
    if state.verdict == "queued":
        state.verdict, state.wait = "wait", state.firstWait or state.wait
    return state.model_dump(mode="json", exclude_none=True)


def _under_way(state: State, provider: Provider, endpoint_id: str) -> str | None:
    """What this request must wait for before it acts on ``endpoint_id``, said as its
    ``EndpointBusy`` would say it; ``None`` once the lease is its own and nothing else is under way."""
    try:
        holder = turns.take(turns.key(provider, endpoint_id), state.executionArn)
    except Exception as exc:
        raise translate(exc, "turn", []) from exc
    if holder is not None:
        return f"{endpoint_id}: another operation of this controller ({holder}) was still under way"
    try:
        status = provider.occupied(state.action, endpoint_id)
    except Exception as exc:
        raise translate(exc, f"turn: {provider.service} status of {endpoint_id}", []) from exc
    if status is not None:
        return f"{endpoint_id} is {status} with an operation that is not this controller's, still under way"
    return None


def reject(event: StepEvent) -> dict[str, Any]:
    """The outcome of a request that failed validation (or could not be read at all): its
    ``Catch``'s ``error``; or, sent none, of a request that no deployed type's rule takes (the
    refusals' state machine, ``infra/refusals.py``), examined here with every broken field named."""
    error = event.error if event.error is not None else _refusal(event)
    body = parse_cause(error.get("Cause"))
    name = str(error.get("Error", "InvalidRequest"))
    code = name if name in CONTRACT_CODES else "ProviderError"
    try:
        document, event_id = unwrap(event.input)
    except Exception:
        document, event_id = event.input, None
    fields = document if isinstance(document, dict) else {}
    params = fields.get("params") if isinstance(fields.get("params"), dict) else {}
    request_id = fields.get("requestId") if isinstance(fields.get("requestId"), str) else None
    endpoint_type = event.endpointType
    requested = fields.get("endpointType") if isinstance(fields.get("endpointType"), str) else None
    # The endpoint's id as the requested type names it (the refusals' machine handles no type).
    kind = requested if requested is not None and requested in providers.PROVIDERS else endpoint_type
    provider = providers.get(kind) if kind in providers.PROVIDERS else None
    detail = Detail(
        requestId=request_id or event_id or event.execution.Name or None,
        action=fields.get("action") if fields.get("action") in ACTIONS else "create",
        endpointType=requested if requested is not None else endpoint_type,
        endpointId=provider.endpoint_id("create", params or {}) if provider else None,
        status="FAILED",
        executionArn=event.execution.Id or None,
        startedAt=clock.iso(),
        finishedAt=clock.iso(),
        error=ErrorDetail(code=code, message=str(body.get("message", "")), fields=body.get("fields")),
    )
    answer = publication(detail)
    first = _first_refusal(event, detail.requestId)
    if first != event.execution.Id:
        # The same event again (a redelivery, or one request that several rules matched): the
        # first execution answers it; this one ends the same way without a second notification.
        logger.info("repeat of a refused request", extra={"first_execution": first})
        return {**answer, "duplicateOf": first}
    logger.warning("request rejected", extra={"code": code, "fields": body.get("fields")})
    metrics.outcome(detail)
    return answer


def _refusal(event: StepEvent) -> dict[str, Any]:
    """The error of a request the refusals' state machine received, as a ``Catch`` records it:
    every rule it breaks (its type is never one this machine takes), as one ``InvalidRequest``."""
    errors = examine(event).errors or [FieldError("endpointType", "is not a type this stack deploys")]
    try:
        raise_invalid(errors)
    except InvalidRequest as exc:
        return {"Error": exc.code, "Cause": str(exc)}
    raise AssertionError("raise_invalid raises for any error")


def _first_refusal(event: StepEvent, request_id: str | None) -> str:
    """The execution that answers this refusal: the first to refuse this very input under this
    request id (an EventBridge event's id travels with every delivery of it). A request id of any
    size is bounded before it goes into a key (``idempotency.key_text``): a refusal for its size
    is still answered."""
    execution = event.execution.Id
    request_key = idempotency.key_text(request_id) if request_id else None
    key = f"#refused#{idempotency.fingerprint(event.input)}#{request_key or execution}"
    try:
        held = idempotency.claim(key, execution)
        ledger.closed_for(execution, request_id=request_key or key, endpoint_type=event.endpointType)
    except Exception as exc:
        raise translate(exc, "idempotency: claim", []) from exc
    return held.owner
