"""Whether a request may enter the lifecycle: every rule it must keep, checked with no AWS call.

:func:`examine` is the Validate step's reading of its input (``controller.steps.intake.validate``
raises its errors as one ``InvalidRequest``, then claims the request id and opens the ledger) and
``endpointctl validate``'s, offline: the same code, so a request the command accepts is one the
controller accepts. It reads the envelope (a bare request, or an EventBridge event whose
``detail`` is one), the common fields, the endpoint type's ``params`` (its provider, from
botocore's service model), the options with the deployment's defaults filled in, and the limits
the execution's state imposes (the size of ``params``, the identifier's length).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from controller import catalog, expiry, providers, waiting
from controller.phrasing import given
from controller.providers.base import Provider
from controller.request import ACTIONS, REQUEST_ID_PATTERN, Request, read_common, read_envelope
from controller.state import ResolvedOptions
from controller.step_event import StepEvent
from controller.validation import FieldError

#: The most ``params`` may weigh, as JSON: the lifecycle's state carries them from step to step,
#: and Step Functions fails an execution, uncatchably, when a state's input or output passes
#: 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The state
#: also holds what was created, the endpoint's outputs, a failure's message and a teardown's plan;
#: a quarter of the quota for the request leaves room for all of them.
MAX_PARAMS_BYTES = 64 * 1024

#: The longest endpoint identifier accepted, in bytes of UTF-8, where the service documents no
#: limit (Neptune ML's ``id`` has none in its API reference or service model); SageMaker's and
#: Amazon ML's are far shorter, and their models say so. Bytes, not characters: the identifier is
#: part of the keys the controller keeps for the endpoint in its table (its claim, its turn), and
#: DynamoDB bounds a partition key at 2,048 bytes.
MAX_IDENTIFIER = 1024


@dataclass
class Admission:
    """What :func:`examine` found: the request, or every broken field (``errors``)."""

    #: The bare request (the event's ``detail`` when it came as an event).
    document: Any
    #: The EventBridge event's id, when it came as one (the default request id).
    event_id: str | None = None
    #: The request whose endpoint expired, when this is the controller's own expiry delete.
    expired: str | None = None
    request: Request | None = None
    provider: Provider | None = None
    options: ResolvedOptions | None = None
    errors: list[FieldError] = field(default_factory=list)


def examine(event: StepEvent) -> Admission:
    """Every rule ``event.input`` breaks as a request for ``event.endpointType``'s state machine,
    with the deployment's defaults of ``event`` (``poll``, ``defaults``, ``deletes``). Pure: no AWS
    call, no claim, no ledger; never raises for a bad request."""
    endpoint_type = event.endpointType
    try:
        document, event_id, errors = read_envelope(event.input)
    except Exception as exc:  # a malformed envelope is bad input, never a crash
        problem = f"not a readable EventBridge event ({exc})"
        return Admission(event.input, errors=[FieldError("request", problem)])
    if errors:
        return Admission(document, event_id, errors=errors)
    found = Admission(document, event_id, expired=_expiry_of(event.input, document))
    found.request, errors = read_common(document)
    if isinstance(document, dict):
        errors += _check_type_and_params(document, endpoint_type, event.deployed)
    errors += _event_id(found.request, event_id)
    if errors or found.request is None:
        found.errors = errors
        return found
    found.provider = providers.get(endpoint_type)
    found.options = waiting.resolve(found.request.options, found.request.action, found.provider, event)
    found.errors = waiting.bounds(found.options) + _size(found.request.params)
    return found


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


def not_deployed(endpoint_type: str, deployed: Sequence[str], where: str = "this stack") -> str:
    """What a request of a type the stack does not deploy is told, wherever it is refused: by the
    stack (the refusals' state machine, ``infra/refusals.py``), ``endpointctl submit`` and
    ``endpointctl local run``."""
    return (
        f"the {endpoint_type} type is not deployed in {where} "
        f"(it deploys: {', '.join(deployed)}; context endpointTypes)"
    )


def _type_problem(requested: Any, endpoint_type: str, deployed: Sequence[str]) -> str | None:
    """Why ``requested`` is not a type this state machine (``endpoint_type``; none: the refusals')
    takes, of a stack that deploys ``deployed`` (empty: not known, every type counts)."""
    got = f"(got {given(requested, echo=True)})"
    if not isinstance(requested, str) or requested not in providers.PROVIDERS:
        if deployed:
            return f"must be one of the types this stack deploys: {', '.join(deployed)} {got}"
        return f"must be one of {', '.join(catalog.names())} {got}"
    if deployed and requested not in deployed:
        return not_deployed(requested, deployed)
    if not endpoint_type:
        return f"the {requested} type has a state machine of its own: this one refuses requests of no deployed type"
    if requested != endpoint_type:
        return f"this state machine handles {endpoint_type} {got}"
    return None


def _check_type_and_params(
    document: dict[str, Any], endpoint_type: str, deployed: Sequence[str] = ()
) -> list[FieldError]:
    requested = document.get("endpointType")
    if requested is None:
        return []  # read_common already says it is required
    problem = _type_problem(requested, endpoint_type, deployed)
    if problem is not None:
        return [FieldError("endpointType", problem)]
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
    if isinstance(options, dict) and options.get("adopt") and action != "update":
        errors.append(FieldError("options.adopt", "applies to an update only"))
    identifier = catalog.get(endpoint_type).identifier
    value = document["params"].get(identifier) if isinstance(document["params"], dict) else None
    path = f"params.{identifier}"
    size = len(value.encode("utf-8", "replace")) if isinstance(value, str) else 0
    if size > MAX_IDENTIFIER and all(e.field != path for e in errors):
        errors.append(
            FieldError(
                path,
                f"at most {MAX_IDENTIFIER} bytes of UTF-8: the identifier is carried in every state of "
                f"the execution and keys the controller's records of the endpoint (got {size})",
            )
        )
    return errors
