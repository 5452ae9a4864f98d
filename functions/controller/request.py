"""The request (CONTRACT §1): its model, and parsing from a bare request or an EventBridge event.

Parsing answers every problem at once: the envelope, the common fields (this model) and the
endpoint type's ``params`` (its provider, from botocore's service model). The result is either a
valid :class:`Request` or an :class:`~controller.errors.InvalidRequest` naming each broken field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from controller.errors import InvalidRequest
from controller.validation import FieldError

#: Longest poll interval and timeout accepted. A day keeps one execution's history (25,000 events)
#: safe even when polling every second is asked for.
MAX_POLL_SECONDS = 3600
MAX_TIMEOUT_SECONDS = 86400
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:/=+@-]{1,128}$"


class Options(BaseModel):
    """How the lifecycle runs. Unset values take the endpoint type's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pollIntervalSeconds: StrictInt | None = Field(default=None, ge=0, le=MAX_POLL_SECONDS)
    timeoutSeconds: StrictInt | None = Field(default=None, gt=0, le=MAX_TIMEOUT_SECONDS)
    rollback: StrictBool = True


class Request(BaseModel):
    """A valid request. ``params`` has passed its endpoint type's own API rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["create", "delete"] = "create"
    endpointType: str
    params: dict[str, Any]
    options: Options = Options()
    requestId: str | None = Field(default=None, pattern=REQUEST_ID_PATTERN)


class RequestEvent(EventBridgeModel):
    """An EventBridge event (Powertools' model) whose ``detail`` is a request.

    EventBridge always fills every envelope field; a hand-made event (a console execution, a
    test) may carry only ``detail-type`` and ``detail``, so the rest are optional here.
    """

    version: str | None = None  # type: ignore[assignment]
    id: str | None = None  # type: ignore[assignment]
    source: str | None = None  # type: ignore[assignment]
    account: str | None = None  # type: ignore[assignment]
    time: datetime | None = None  # type: ignore[assignment]
    region: str | None = None  # type: ignore[assignment]
    resources: list[str] = []
    detail: Any


def is_event(document: Any) -> bool:
    """Whether ``document`` is a whole EventBridge event rather than a bare request."""
    return isinstance(document, dict) and "detail-type" in document and "detail" in document


def unwrap(document: Any) -> tuple[Any, str | None]:
    """The request inside ``document`` and the event id, if it came as an EventBridge event."""
    if not is_event(document):
        return document, None
    try:
        event = parse(event=document, model=RequestEvent)
    except ValidationError as exc:
        raise_invalid([FieldError(f"event.{e.field}", e.problem) for e in pydantic_errors(exc)])
        raise
    detail = event.detail
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError as exc:
            raise InvalidRequest("detail: is not valid JSON", fields=["detail"]) from exc
    return detail, event.id


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "request"


def pydantic_errors(exc: ValidationError) -> list[FieldError]:
    """Field errors from a pydantic validation error, with contract field paths."""
    errors = []
    for error in exc.errors():
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a field of the request"
        elif error["type"] == "missing":
            message = "is required"
        errors.append(FieldError(_location(tuple(error["loc"])), message))
    return errors


def raise_invalid(errors: list[FieldError]) -> None:
    """Raise one :class:`InvalidRequest` naming every broken field, if there is any."""
    if errors:
        fields = list(dict.fromkeys(error.field for error in errors))
        raise InvalidRequest("; ".join(str(error) for error in errors), fields=fields)


def read_common(document: Any) -> tuple[Request | None, list[FieldError]]:
    """The common fields of a bare request document; ``params`` is checked later, per type."""
    if not isinstance(document, dict):
        return None, [FieldError("request", "must be a JSON object")]
    try:
        return parse(event=document, model=Request), []
    except ValidationError as exc:
        return None, pydantic_errors(exc)
