"""Refusals and repeats a team meets on day two, end to end through the synthesized definition:
a request id of any size still gets its one refusal, and the same request sent in two spellings
(one relying on the defaults) is one request."""

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


# -- the same request, spelled two ways -----------------------------------------------------------
def put_events_detail(name: str) -> dict[str, Any]:
    """The request inside a ``put-events`` sample: its ``Detail``, as the bus hands it on."""
    [entry] = json.loads((EVENTS / "put-events" / name).read_text())
    return dict(json.loads(entry["Detail"]))


def replays(first: dict[str, Any], again: dict[str, Any]) -> None:
    """``again`` was a repeat of ``first``: the same ending, and nothing of its own."""
    assert first["status"] == "SUCCEEDED", first["cause"]
    assert detail_type(first) == "Endpoint Ready"
    one_notification(first)
    assert (again["status"], again["output"]) == (first["status"], first["output"])
    assert again["notifications"] == {"events": [], "sns": []}
    assert again["calls"] == []
    assert again["remaining"]["sagemaker"]["endpoints"] == ["churn-prod"]


def test_the_console_sample_and_the_put_events_sample_are_one_request(local_run: Runner) -> None:
    """``events/sagemaker-create.json`` says ``"action": "create"``; the ``put-events`` sample's
    ``Detail`` leaves it to the default. Same ``requestId``, same request: the second replays."""
    console, bus = sample("sagemaker-create.json"), put_events_detail("sagemaker-create.json")
    assert console["action"] == "create" and "action" not in bus
    assert console["requestId"] == bus["requestId"]
    first, again = local_run([console, bus])
    replays(first, again)


def test_the_put_events_sample_as_a_whole_event_replays_the_console_sample(local_run: Runner) -> None:
    event = sample("sagemaker-eventbridge-event.json") | {
        "detail": put_events_detail("sagemaker-create.json")
    }
    first, again = local_run([sample("sagemaker-create.json"), event])
    replays(first, again)


def test_an_option_spelled_at_its_default_is_the_same_request(local_run: Runner) -> None:
    plain = sample("sagemaker-create.json")
    spelled = plain | {"options": {"rollback": True, "deleteReplacedConfig": False}}
    first, again = local_run([plain, spelled])
    replays(first, again)


@pytest.mark.parametrize(
    "change",
    [
        {"params": {"EndpointName": "churn-prod", "EndpointConfigName": "churn-config-v4"}},
        {"options": {"rollback": False}},
        {"options": {"timeoutSeconds": 1800}},
    ],
    ids=["another-config", "no-rollback", "another-timeout"],
)
def test_a_different_request_under_the_same_id_is_still_refused(
    local_run: Runner, change: dict[str, Any]
) -> None:
    first, different = local_run([sample("sagemaker-create.json"), sample("sagemaker-create.json") | change])
    assert first["status"] == "SUCCEEDED"
    assert (different["status"], different["error"]) == ("FAILED", "InvalidRequest")
    detail = one_notification(different)
    assert detail["error"]["fields"] == ["requestId"]
    assert "already used for a different request" in detail["error"]["message"]
    assert different["calls"] == []
    assert different["remaining"]["sagemaker"]["endpoints"] == ["churn-prod"]
