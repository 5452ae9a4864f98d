"""Intake: read a request, claim its id, and plan the first wait; or answer one that is refused.

Parsing answers every problem at once: the envelope, the common fields and the type's ``params``
(its provider, from botocore's service model). A refused request gets its notification from
``reject`` with every broken field named; nothing was called.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from controller import catalog, clock, idempotency, metrics, providers, waiting
from controller.aws import translate
from controller.errors import CONTRACT_CODES, InvalidRequest, parse_cause
from controller.outcome import Detail, ErrorDetail, publication
from controller.request import raise_invalid, read_common, unwrap
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
    request, errors = read_common(document)
    if isinstance(document, dict):
        errors += _check_type_and_params(document, endpoint_type)
    raise_invalid(errors)
    assert request is not None
    provider = providers.get(endpoint_type)
    options = waiting.resolve(request.options, request.action, provider, event)
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
    )
    state.wait = waiting.first_wait(options, event, state.deadline)
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
    if action not in ("create", "delete") or "params" not in document:
        return []  # reported by read_common
    return providers.get(endpoint_type).validate(action, document["params"])


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
        action=fields.get("action") if fields.get("action") in ("create", "delete") else "create",
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
    logger.warning("request rejected", extra={"code": code, "fields": body.get("fields")})
    metrics.outcome(detail)
    return publication(detail)
