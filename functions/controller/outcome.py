"""The notification (docs/requests.md#the-outcome): its model, and the step result that publishes it."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

DETAIL_TYPES = {
    "READY": "Endpoint Ready",
    "UPDATED": "Endpoint Updated",
    "DELETED": "Endpoint Deleted",
    "FAILED": "Endpoint Failed",
}
#: Later, once what a ``RollbackFailed`` request (or a stopped execution) left has been removed.
CLEANED_UP = "Endpoint Cleaned Up"
#: How much of a value a notification repeats (an identifier, a message): requests are bounded by
#: validation, but a refused one may carry anything, and a detail must stay far below Step
#: Functions' 256 KiB and EventBridge's 256 KB per entry.
ECHO_LIMIT = 1024

#: SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less
#: than 100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). SNS
#: also replaces a subject holding non-ASCII characters with an error text (the SNS message
#: validation rules, https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-validation-truncation.html),
#: so the subject keeps printable ASCII only.
SUBJECT_MAX_LENGTH = 99


def sns_subject(text: str) -> str:
    """``text`` as a subject SNS accepts: whitespace and control characters (line breaks included)
    become one space, other non-ASCII characters ``?``, and the result is cut to 99 characters."""
    cleaned = "".join(
        ch if " " <= ch <= "~" else " " if ch.isspace() or not ch.isprintable() else "?" for ch in text
    )
    return " ".join(cleaned.split())[:SUBJECT_MAX_LENGTH].rstrip()


class ErrorDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    message: str
    fields: list[str] | None = None


class RollbackDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)

    attempted: bool
    succeeded: bool | None = None
    deleted: list[str] | None = None
    remaining: list[str] | None = None
    skipped: list[str] | None = None
    #: What this request created and left because an endpoint uses it (with who does).
    kept: list[str] | None = None


class UpdateDetail(BaseModel):
    """An update's before and after: what the endpoint served (``previous``), what was asked
    (``requested``), the service's reason when it settled elsewhere, and what became of the
    replaced config under ``deleteReplacedConfig``."""

    model_config = ConfigDict(defer_build=True)

    previous: str | None = None
    requested: str | None = None
    reason: str | None = None
    replacedDeleted: str | None = None
    replacedKept: str | None = None
    #: Variants whose autoscaling was taken off for the update and registered again.
    scalingRestored: list[str] | None = None
    #: The config the endpoint serves once its deployment settled, when the execution ended
    #: before it could say (a stopped update, cleaned up after the deployment).
    serving: str | None = None


class Detail(BaseModel):
    """The ``detail`` of the EventBridge event and the SNS message.

    A ready endpoint's detail also carries its type's typed outputs (``EndpointOutputs``, e.g.
    Amazon ML's ``peakRequestsPerSecond``): see :func:`publication`.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    requestId: str | None
    action: str | None
    endpointType: str | None
    endpointId: str | None = None
    status: Literal["READY", "UPDATED", "DELETED", "FAILED"]
    providerStatus: str | None = None
    endpointArn: str | None = None
    endpointUrl: str | None = None
    executionArn: str | None = None
    startedAt: str | None = None
    finishedAt: str
    alreadyAbsent: bool | None = None
    #: A delete (``action: delete``, an expiry, or the clean-up of a stopped one): what is gone
    #: and what remains. A rollback says the same in ``rollback``.
    deleted: list[str] | None = None
    remaining: list[str] | None = None
    #: What any path left on purpose, each with why: an endpoint serves it (a config in use is
    #: never deleted), or the controller did not create it.
    kept: list[str] | None = None
    #: ``expired``: a delete the controller made when the endpoint's expiry came.
    reason: str | None = None
    #: A ready endpoint with ``expiresAfterSeconds``: when its delete is scheduled (UTC).
    expiresAt: str | None = None
    #: An update with ``options.adopt`` that took over an endpoint the controller did not create
    #: (present only then): from now on the controller treats it as its own.
    adopted: bool | None = None
    error: ErrorDetail | None = None
    rollback: RollbackDetail | None = None
    update: UpdateDetail | None = None


class Publication(BaseModel):
    """What the Outcome step returns: the detail and how the execution ends.

    The state machine publishes ``detail`` (EventBridge ``detailType`` / SNS ``subject``), then
    succeeds with ``detail`` as output or fails with ``errorCode`` and ``cause``.
    """

    model_config = ConfigDict(defer_build=True)

    detail: dict[str, Any]
    detailType: str
    subject: str
    ok: bool
    errorCode: str | None = None
    cause: str | None = None


def bounded(value: Any, limit: int = ECHO_LIMIT) -> Any:
    """``value`` safe to publish: every string valid Unicode (a lone surrogate, which JSON can carry
    but EventBridge and SNS refuse, becomes U+FFFD) and at most ``limit`` characters long."""
    if isinstance(value, str):
        text = value.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(value) else value
        return text if len(text) <= limit else text[: limit - 1] + "…"
    if isinstance(value, list):
        return [bounded(v, limit) for v in value]
    if isinstance(value, dict):
        return {bounded(k, limit): bounded(v, limit) for k, v in value.items()}
    return value


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def publication(
    detail: Detail, outputs: dict[str, Any] | None = None, detail_type: str | None = None
) -> dict[str, Any]:
    """The step result for ``detail`` (with a ready endpoint's ``outputs`` in it); ``detail_type``:
    another than the status's own (``CLEANED_UP``)."""
    body = bounded(detail.model_dump(mode="json", exclude_none=True))
    body |= {key: value for key, value in (outputs or {}).items() if key not in body}
    detail_type = detail_type or DETAIL_TYPES[detail.status]
    cause = None
    if detail.error is not None:
        cause = json.dumps(
            {k: v for k, v in body["error"].items()}
            | ({"rollback": body["rollback"]} if "rollback" in body else {}),
            separators=(",", ":"),
        )
    endpoint = detail.endpointId or "request"
    return Publication(
        detail=body,
        detailType=detail_type,
        subject=sns_subject(f"{detail_type}: {endpoint}"),
        ok=detail.error is None,
        errorCode=detail.error.code if detail.error else None,
        cause=cause,
    ).model_dump(mode="json")
