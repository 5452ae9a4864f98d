"""PutEvents entries: what ``aws events put-events --entries file://…`` sends (``events/put-events/``).

Such a file is a JSON array of ``PutEventsRequestEntry`` objects (``Source``, ``DetailType``,
``Detail``: the request as a JSON *string*, ``EventBusName``), or a whole PutEvents request
(``{"Entries": [...]}``, what ``--cli-input-json`` reads). ``endpointctl validate``, ``local run``
and ``submit`` read each entry as the event EventBridge delivers for it, whose ``detail`` is the
request, after checking what would keep it from reaching the controller: PutEvents fails an entry
without ``Source``, ``DetailType`` or ``Detail``, or whose ``Detail`` is not a JSON object; an entry
without ``EventBusName`` goes to the default bus, and one of another detail-type matches none of
the controller's rules (the entry's fields as the EventBridge API reference,
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html, and
botocore's model of it describe them).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from controller import catalog
from endpointctl.errors import UsageError

#: What PutEvents needs of every entry (it fails an entry without one of them).
REQUIRED = ("Source", "DetailType", "Detail")
#: The detail-type the controller's rules match.
REQUEST_DETAIL_TYPE: str = catalog.CONTROLLER.request_detail_type


def is_entry(item: Any) -> bool:
    """Whether ``item`` is a PutEvents entry (PascalCase ``Detail``/``DetailType``), not a request
    or an event (whose members are ``detail`` and ``detail-type``)."""
    return isinstance(item, dict) and ("Detail" in item or "DetailType" in item)


def unwrap(document: Any) -> Any:
    """A whole PutEvents request (``{"Entries": [...]}``) as its array of entries; anything else as it is."""
    if (
        isinstance(document, dict)
        and isinstance(document.get("Entries"), list)
        and set(document)
        <= {
            "Entries",
            "EndpointId",
        }
    ):
        return document["Entries"]
    return document


def problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, problem)`` for what would keep ``entry``'s request from the controller."""
    found = [
        (name, "is required: PutEvents fails an entry without it")
        for name in REQUIRED
        if not isinstance(entry.get(name), str) or not entry[name]
    ]
    if isinstance(entry.get("Detail"), str) and entry["Detail"] and _detail(entry) is None:
        found.append(
            ("Detail", "must be a JSON object, as a string: PutEvents fails the entry (MalformedDetail)")
        )
    kind = entry.get("DetailType")
    if isinstance(kind, str) and kind and kind != REQUEST_DETAIL_TYPE:
        found.append(
            (
                "DetailType",
                f"must be {REQUEST_DETAIL_TYPE!r}, the detail-type of the controller's rules "
                f"(got {kind!r}): no rule would take it",
            )
        )
    if not entry.get("EventBusName"):
        found.append(
            (
                "EventBusName",
                "is required here: without it the event goes to the default bus, where no rule of the "
                "controller listens (the stack's EventBusName output names its bus)",
            )
        )
    return found


def _detail(entry: dict[str, Any]) -> dict[str, Any] | None:
    try:
        detail = json.loads(entry["Detail"])
    except (TypeError, ValueError, RecursionError):
        return None
    return detail if isinstance(detail, dict) else None


def event_of(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The event EventBridge delivers to a rule's target for ``entry`` (its ``detail`` the parsed
    ``Detail``, a fresh ``id``), or ``None`` when its ``Detail`` is not a JSON object."""
    from endpointctl.template import ACCOUNT, REGION

    detail = _detail(entry)
    if detail is None:
        return None
    when = entry.get("Time")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry.get("DetailType"),
        "source": entry.get("Source"),
        "account": ACCOUNT,
        "time": when if isinstance(when, str) else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": list(entry.get("Resources") or []),
        "detail": detail,
    }


def delivered(document: Any, where: str) -> Any:
    """``document`` (a request, an event, an array of them, or of PutEvents entries) with each entry
    replaced by the event the bus delivers for it; ``UsageError`` naming what keeps an entry from
    being delivered to the controller at all."""
    document = unwrap(document)
    items = document if isinstance(document, list) else [document]
    found = []
    for index, item in enumerate(items):
        if not is_entry(item):
            found.append(item)
            continue
        label = f"{where}, entry [{index}]" if isinstance(document, list) else where
        wrong = problems(item)
        event = event_of(item)
        if wrong or event is None:
            raise UsageError("\n".join(f"{label}: {field}: {problem}" for field, problem in wrong))
        found.append(event)
    return found if isinstance(document, list) else found[0]
