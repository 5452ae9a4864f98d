"""Intake: read a request, claim its id, and plan the first wait; or answer one that is refused.

Parsing answers every problem at once: the envelope, the common fields and the type's ``params``
(its provider, from botocore's service model). A refused request gets its notification from
``reject`` with every broken field named; nothing was called.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from aws_lambda_powertools import Logger

from controller import catalog, clock, expiry, idempotency, ledger, metrics, providers, turns, waiting
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
from controller.request import ACTIONS, REQUEST_ID_PATTERN, Request, raise_invalid, read_common, unwrap
from controller.state import State
from controller.step_event import StepEvent
from controller.validation import FieldError

logger = Logger(child=True)


def validate(event: StepEvent) -> dict[str, Any]:
    endpoint_type = event.endpointType
    try:
        document, event_id = unwrap(event.input)
    except InvalidRequest:
        raise
    except Exception as exc:  # a malformed envelope is bad input, never a crash
        raise InvalidRequest(
            f"request: not a readable EventBridge event ({exc})", fields=["request"]
        ) from exc
    expired = _expiry_of(event.input, document)
    request, errors = read_common(document)
    if isinstance(document, dict):
        errors += _check_type_and_params(document, endpoint_type)
    errors += _event_id(request, event_id)
    raise_invalid(errors)
    assert request is not None
    provider = providers.get(endpoint_type)
    options = waiting.resolve(request.options, request.action, provider, event)
    raise_invalid(waiting.bounds(options) + _size(request.params))
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
    mine = idempotency.fingerprint(document)
    try:
        held = idempotency.claim(state.requestId, state.executionArn, mine)
    except Exception as exc:
        raise translate(exc, "idempotency: claim", []) from exc
    if held.owner != state.executionArn:
        if held.fingerprint is not None and held.fingerprint != mine:
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


def _expiry_of(envelope: Any, document: Any) -> str | None:
    """The request whose endpoint expired, when this is the controller's own expiry delete (an
    event from :data:`controller.expiry.SOURCE`); its reserved member is taken out of the
    request, which is then read as any other."""
    if not (
        isinstance(envelope, dict) and envelope.get("source") == expiry.SOURCE and isinstance(document, dict)
    ):
        return None
    original = document.pop(expiry.EXPIRED_REQUEST, None)
    return original if isinstance(original, str) else None


#: The most ``params`` may weigh, as JSON: the lifecycle's state carries them from step to step,
#: and Step Functions fails an execution, uncatchably, when a state's input or output passes
#: 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The state
#: also holds what was created, the endpoint's outputs, a failure's message and a teardown's plan;
#: a quarter of the quota for the request leaves room for all of them.
MAX_PARAMS_BYTES = 64 * 1024


def _size(params: dict[str, Any]) -> list[FieldError]:
    size = len(json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace"))
    if size <= MAX_PARAMS_BYTES:
        return []
    return [
        FieldError(
            "params",
            f"is {size} bytes of JSON; at most {MAX_PARAMS_BYTES} fit in one execution's state "
            "(Step Functions' 256 KiB per state)",
        )
    ]


def _event_id(request: Request | None, event_id: str | None) -> list[FieldError]:
    """The event id is the request id of a request that names none: it must be one."""
    if request is None or request.requestId is not None or event_id is None:
        return []
    if re.fullmatch(REQUEST_ID_PATTERN, event_id):
        return []
    return [
        FieldError(
            "id", f"is the request id when the request names none, so it must match {REQUEST_ID_PATTERN}"
        )
    ]


def _check_type_and_params(document: dict[str, Any], endpoint_type: str) -> list[FieldError]:
    requested = document.get("endpointType")
    if requested is None:
        return []  # read_common already says it is required
    known = ", ".join(catalog.names())
    if not isinstance(requested, str):
        return [FieldError("endpointType", f"must be one of {known}")]
    if requested != endpoint_type:
        where = (
            f"this state machine handles {endpoint_type}"
            if requested in providers.PROVIDERS
            else f"must be one of {known}"
        )
        return [FieldError("endpointType", f"{where} (got {requested!r})")]
    action = document.get("action", "create")
    if action not in ACTIONS or "params" not in document:
        return []  # reported by read_common
    provider = providers.get(endpoint_type)
    if action == "update" and not provider.supports_update:
        return [
            FieldError(
                "action",
                f"{endpoint_type} endpoints have no update (the service has no operation that changes "
                "a live endpoint): delete it and create it anew",
            )
        ]
    errors = provider.validate(action, document["params"])
    options = document.get("options")
    if isinstance(options, dict) and options.get("deleteReplacedConfig") and action != "update":
        errors.append(FieldError("options.deleteReplacedConfig", "applies to an update only"))
    if isinstance(options, dict) and options.get("expiresAfterSeconds") is not None and action != "create":
        errors.append(FieldError("options.expiresAfterSeconds", "applies to a create only"))
    identifier = catalog.get(endpoint_type).identifier
    value = document["params"].get(identifier) if isinstance(document["params"], dict) else None
    path = f"params.{identifier}"
    if isinstance(value, str) and len(value) > MAX_IDENTIFIER and all(e.field != path for e in errors):
        errors.append(
            FieldError(
                path,
                f"at most {MAX_IDENTIFIER} characters: the identifier is carried in every state of the "
                f"execution, which Step Functions bounds at 256 KiB (got {len(value)})",
            )
        )
    return errors


#: The longest endpoint identifier accepted where the service documents no limit (Neptune ML's
#: ``id`` has none in its API reference or service model); SageMaker's and Amazon ML's are far
#: shorter, and their models say so.
MAX_IDENTIFIER = 1024


def reject(event: StepEvent) -> dict[str, Any]:
    """The outcome of a request that failed validation (or could not be read at all)."""
    error = event.error or {}
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
    provider = providers.get(endpoint_type) if endpoint_type in providers.PROVIDERS else None
    detail = Detail(
        requestId=request_id or event_id or event.execution.Name or None,
        action=fields.get("action") if fields.get("action") in ACTIONS else "create",
        endpointType=fields.get("endpointType")
        if isinstance(fields.get("endpointType"), str)
        else endpoint_type,
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


def _first_refusal(event: StepEvent, request_id: str | None) -> str:
    """The execution that answers this refusal: the first to refuse this very input under this
    request id (an EventBridge event's id travels with every delivery of it)."""
    execution = event.execution.Id
    key = f"#refused#{idempotency.fingerprint(event.input)}#{request_id or execution}"
    try:
        held = idempotency.claim(key, execution)
        ledger.closed_for(execution, request_id=request_id or key, endpoint_type=event.endpointType)
    except Exception as exc:
        raise translate(exc, "idempotency: claim", []) from exc
    return held.owner
