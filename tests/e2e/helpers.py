"""Assertions shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

#: The tag every SageMaker resource the controller creates carries (a scenario's ``existing``
#: endpoint with it is one the controller created earlier).
OWNER_TAG = "ml-endpoint-controller:request-id"


def one_notification(result: dict[str, Any]) -> dict[str, Any]:
    """Exactly one notification, the same detail on EventBridge and SNS; returns the detail."""
    events, sns = result["notifications"]["events"], result["notifications"]["sns"]
    assert len(events) == 1 and len(sns) == 1, result["notifications"]
    assert events[0]["source"] == "ml-endpoint-controller"
    assert events[0]["detail"] == sns[0]["message"]
    return dict(events[0]["detail"])


def detail_type(result: dict[str, Any]) -> str:
    return str(result["notifications"]["events"][0]["detail-type"])


def nothing_deleted(result: dict[str, Any]) -> bool:
    return not any(":Delete" in call for call in result["calls"])
