"""Reading what Step Functions and a request say: the small readers every operator command shares
(``watch``, ``list``, ``describe``, ``stop``, ``logs``, ``submit`` and the finder), so that none
of them imports another command's module to read a record."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from controller import catalog
from endpointctl.errors import UsageError
from endpointctl.ops.session import NOT_FOUND, client_error


def loads(text: Any) -> Any:
    """A JSON string's document (the text itself when it is not JSON); anything else as it is."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def duration(seconds: float) -> str:
    """``42s``, ``5m03s``, ``1h02m03s``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def iso(moment: Any) -> str | None:
    """A UTC ISO timestamp (``2026-11-22T12:00:05Z``), or None."""
    if not isinstance(moment, datetime):
        return None
    aware: datetime = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(sfn: Any, execution: str) -> dict[str, Any]:
    """describe_execution; ``UsageError`` when there is no such execution."""
    from botocore.exceptions import ClientError, ParamValidationError

    try:
        return dict(sfn.describe_execution(executionArn=execution))
    except ParamValidationError as exc:
        raise UsageError(f"execution {execution}: {exc}") from None
    except ClientError as exc:
        code, message = client_error(exc)
        if code in NOT_FOUND:
            raise UsageError(f"execution {execution}: {code}: {message}") from None
        raise


def identifier_of(endpoint_type: str) -> str | None:
    """The ``params`` member that names an endpoint of this type (docs/requests.md); None if unknown."""
    row = catalog.endpoint_types().get(endpoint_type)
    return row.identifier if row else None


def request_in(document: Any) -> Any:
    """The request inside a whole EventBridge event (its ``detail``, as the controller reads it) or
    a bare request as it is; an event whose detail is not a JSON object stays the whole event."""
    from controller.request import peek  # pydantic: loaded only when a request is read

    request = peek(document)
    return request if isinstance(request, dict) else document


def endpoint_id(request: Any, output: Any = None) -> str | None:
    """The endpoint a request is about: its type's identifier parameter, else the output's."""
    request = request_in(request)
    if isinstance(request, dict):
        params = request.get("params")
        key = identifier_of(str(request.get("endpointType")))
        if key and isinstance(params, dict) and isinstance(params.get(key), str):
            return str(params[key])
    if isinstance(output, dict):
        detail = output.get("detail", output)
        if isinstance(detail, dict) and detail.get("endpointId"):
            return str(detail["endpointId"])
    return None
