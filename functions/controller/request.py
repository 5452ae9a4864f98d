"""The request (docs/requests.md): its model, and parsing from a bare request or an EventBridge event.

Parsing answers every problem at once: the envelope, the common fields (this model) and the
endpoint type's ``params`` (its provider, from botocore's service model). The result is either a
valid :class:`Request` or an :class:`~controller.errors.InvalidRequest` naming each broken field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from controller.errors import InvalidRequest
from controller.phrasing import given, merge, pydantic_problem
from controller.validation import FieldError

#: Longest poll interval and timeout accepted. These alone do not keep an execution under Step
#: Functions' 25,000 history events: a fixed-cadence look costs about 9 events, so 1-s polling
#: reaches the quota after ~46 minutes (tests/e2e/test_limits.py shows the failure the runner
#: reproduces). Keeping every valid request under it is not yet done here.
MAX_POLL_SECONDS = 3600
MAX_TIMEOUT_SECONDS = 86400
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:/=+@-]{1,128}$"


class Options(BaseModel):
    """How the lifecycle runs. Unset values take the endpoint type's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    pollIntervalSeconds: StrictInt | None = Field(default=None, ge=0, le=MAX_POLL_SECONDS)
    timeoutSeconds: StrictInt | None = Field(default=None, gt=0, le=MAX_TIMEOUT_SECONDS)
    rollback: StrictBool = True
    #: A SageMaker update: once it succeeded, delete the endpoint config it replaced, if the
    #: controller created that config (docs/requests.md).
    deleteReplacedConfig: StrictBool = False
    #: A create: delete the endpoint this long after it became ready (docs/updates-and-expiry.md, at most a year).
    expiresAfterSeconds: StrictInt | None = Field(default=None, gt=0, le=366 * 86400)
    #: An update of an endpoint the controller did not create: take it over first (record it as
    #: the controller's), instead of refusing it as ``EndpointNotOwned`` (``controller.adoption``).
    adopt: StrictBool = False


#: What a request may ask for (docs/requests.md).
ACTIONS = ("create", "update", "delete")


class Request(BaseModel):
    """A valid request. ``params`` has passed its endpoint type's own API rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    action: Literal["create", "update", "delete"] = "create"
    endpointType: str
    params: dict[str, Any]
    options: Options = Field(default_factory=Options)
    requestId: str | None = Field(default=None, pattern=REQUEST_ID_PATTERN)


class RequestEvent(BaseModel):
    """An EventBridge event whose ``detail`` is a request.

    The envelope of Powertools' parser model (``EventBridgeModel``, with its Scheduler fix for
    ``detail``), spelled out so the handler's cold start need not load the parser package.
    EventBridge always fills every envelope field; a hand-made event (a console execution, a
    test) may carry only ``detail-type`` and ``detail``, so the rest are optional here.
    """

    model_config = ConfigDict(validate_by_name=True, defer_build=True)

    version: str | None = None
    id: str | None = None
    source: str | None = None
    account: str | None = None
    time: datetime | None = None
    region: str | None = None
    resources: list[str] = []
    detail_type: str = Field(alias="detail-type")
    detail: Any
    replay_name: str | None = Field(default=None, alias="replay-name")

    @field_validator("detail", mode="before")
    @classmethod
    def _scheduler_detail(cls, value: Any, info: ValidationInfo) -> Any:
        # EventBridge Scheduler sends detail as the string '{}' when there is no payload.
        return {} if info.data.get("source") == "aws.scheduler" and value == "{}" else value


def is_event(document: Any) -> bool:
    """Whether ``document`` is a whole EventBridge event rather than a bare request."""
    return isinstance(document, dict) and "detail-type" in document and "detail" in document


def unwrap(document: Any) -> tuple[Any, str | None]:
    """The request inside ``document`` and the event id, if it came as an EventBridge event."""
    detail, event_id, errors = read_envelope(document)
    raise_invalid(errors)
    return detail, event_id


def read_envelope(document: Any) -> tuple[Any, str | None, list[FieldError]]:
    """Like :func:`unwrap`, but every problem of the envelope as field errors (then the detail is
    whatever could be read of it)."""
    if not is_event(document):
        return document, None, []
    try:
        event = RequestEvent.model_validate(document)
    except ValidationError as exc:
        errors = [FieldError(f"event.{e.field}", e.problem) for e in pydantic_errors(exc, RequestEvent)]
        return document.get("detail"), None, errors
    detail = event.detail
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except json.JSONDecodeError as exc:
            problem = f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            return detail, event.id, [FieldError("detail", problem)]
        except (ValueError, RecursionError):
            return detail, event.id, [FieldError("detail", "is not valid JSON (or is nested too deeply)")]
    return detail, event.id, []


def peek(document: Any) -> Any:
    """The request inside ``document`` as far as it can be read, never raising: for routing and
    display (``endpointctl``, a rejection's notification). :func:`unwrap` is the strict reading."""
    try:
        return read_envelope(document)[0]
    except Exception:  # an envelope no model reads: its detail as it stands
        return document.get("detail") if isinstance(document, dict) else document


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "request"


def _members(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The member names of the object at ``loc`` under ``model`` (for an unknown member's
    suggestion): a nested model's fields, found by following the path's field annotations."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return []
        current = next(
            (t for t in (field.annotation, *getattr(field.annotation, "__args__", ())) if _is_model(t)), None
        )
        if current is None:
            return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def pydantic_errors(exc: ValidationError, model: type[BaseModel] | None = None) -> list[FieldError]:
    """Field errors from a pydantic validation error, with contract field paths, in the project's
    words (``controller.phrasing``); ``model``: the model validated (to suggest a member's name)."""
    errors = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        known = _members(model, loc[:-1]) if model is not None else []
        errors.append(FieldError(_location(loc), pydantic_problem(error, known)))
    return errors


#: How many broken fields a refusal names, and how long each name may be: a refusal repeats its
#: fields in the execution's state and in the notification, which must stay within Step Functions'
#: 256 KiB however large the request (an 80-KB field name, thousands of unknown keys).
MAX_FIELDS_NAMED = 50
MAX_FIELD_NAME = 200


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raise_invalid(errors: list[FieldError]) -> None:
    """Raise one :class:`InvalidRequest` naming every broken field, if there is any, once each
    (``controller.phrasing.merge``; the first ``MAX_FIELDS_NAMED`` of them when there are more, and
    how many more)."""
    errors = merge(errors)
    if errors:
        shown = [
            FieldError(_short(e.field, MAX_FIELD_NAME), _short(e.problem, 4 * MAX_FIELD_NAME)) for e in errors
        ]
        fields = list(dict.fromkeys(error.field for error in shown))
        message = "; ".join(str(error) for error in shown[:MAX_FIELDS_NAMED])
        if len(shown) > MAX_FIELDS_NAMED:
            message += f"; and {len(shown) - MAX_FIELDS_NAMED} more"
        raise InvalidRequest(message, fields=fields[:MAX_FIELDS_NAMED])


def read_common(document: Any) -> tuple[Request | None, list[FieldError]]:
    """The common fields of a bare request document; ``params`` is checked later, per type."""
    if not isinstance(document, dict):
        return None, [FieldError("request", f"must be a JSON object (got {given(document)})")]
    try:
        return Request.model_validate(document), []
    except ValidationError as exc:
        return None, pydantic_errors(exc, Request)
