"""Refusals and repeats a team meets on day two, end to end through the synthesized definition:
a request id of any size still gets its one refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from endpointctl import project_root
from tests.conftest import Runner
from tests.e2e.helpers import detail_type, one_notification

pytestmark = pytest.mark.slow

EVENTS = project_root() / "events"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def nothing_created(result: dict[str, Any]) -> None:
    assert result["calls"] == []
    left = result["remaining"]["sagemaker"]
    assert left["endpoints"] == [] and left["scalableVariants"] == []
    assert left["endpointConfigs"] == ["churn-config-v3"]  # the sample's prerequisite, untouched


# -- a request id of any size ---------------------------------------------------------------------
@pytest.mark.parametrize("length", [129, 2_000, 100_000])
def test_a_request_id_too_long_to_keep_is_refused_with_its_one_notification(
    local_run: Runner, length: int
) -> None:
    document = sample("sagemaker-create.json") | {"requestId": "r" * length}
    first, again = local_run([document, document])
    assert (first["status"], first["error"]) == ("FAILED", "InvalidRequest")
    detail = one_notification(first)
    assert detail_type(first) == "Endpoint Failed"
    assert detail["error"]["code"] == "InvalidRequest" and detail["error"]["fields"] == ["requestId"]
    assert detail["requestId"].startswith("r" * 128)  # as sent (a long one shortened to publish)
    nothing_created(first)
    # the same refused input again is its repeat: the same ending, no second notification
    assert (again["status"], again["error"]) == ("FAILED", "InvalidRequest")
    assert again["notifications"] == {"events": [], "sns": []}
    nothing_created(again)


def test_an_event_whose_id_is_too_long_to_be_the_request_id_is_refused(local_run: Runner) -> None:
    event = sample("sagemaker-eventbridge-event.json") | {"id": "e" * 100_000}
    assert "requestId" not in event["detail"]
    [result] = local_run([event])
    assert (result["status"], result["error"]) == ("FAILED", "InvalidRequest")
    detail = one_notification(result)
    assert detail["error"]["fields"] == ["id"] and "request id" in detail["error"]["message"]
    nothing_created(result)
