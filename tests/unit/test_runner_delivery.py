"""The events the runner's default bus builds and sends (endpointctl/runner/delivery.py): their
documented shapes and limits, and what a target is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from endpointctl.errors import UsageError
from endpointctl.runner import delivery


def described(**extra: Any) -> dict[str, Any]:
    return {
        "executionArn": "arn:aws:states:us-east-1:123456789012:execution:M:e1",
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:M",
        "name": "e1",
        "input": '{"a": 1}',
        **extra,
    }


def test_a_running_execution_has_no_stop_date_nor_output() -> None:
    event = delivery.execution_status_change(described(), status="RUNNING", started=10.5, stopped=None)
    assert event["detail"]["startDate"] == 10500
    assert (event["detail"]["stopDate"], event["detail"]["output"], event["detail"]["outputDetails"]) == (
        None,
        None,
        None,
    )
    assert "error" not in event["detail"]


def test_output_only_when_succeeded() -> None:
    event = delivery.execution_status_change(
        described(output='{"b": 2}'), status="FAILED", started=0, stopped=1, error="E", cause="C"
    )
    assert (event["detail"]["output"], event["detail"]["error"], event["detail"]["cause"]) == (None, "E", "C")


def test_over_248_kib_the_output_then_the_input_are_left_out() -> None:
    big = json.dumps({"x": "y" * 260_000})
    event = delivery.execution_status_change(described(output=big), status="SUCCEEDED", started=0, stopped=1)
    detail = event["detail"]
    assert (detail["output"], detail["outputDetails"]) == (None, {"included": False})
    assert (detail["input"], detail["inputDetails"]) == ('{"a": 1}', {"included": True})

    half = json.dumps({"x": "y" * 130_000})
    event = delivery.execution_status_change(
        described(input=half, output=half), status="SUCCEEDED", started=0, stopped=1
    )
    detail = event["detail"]
    assert (detail["input"], detail["inputDetails"]) == (None, {"included": False})
    assert (detail["output"], detail["outputDetails"]) == (half, {"included": True})


def test_the_scheduled_event() -> None:
    event = delivery.scheduled_event("arn:aws:events:us-east-1:123456789012:rule/R", 0)
    assert (event["source"], event["detail-type"], event["resources"], event["detail"]) == (
        "aws.events",
        "Scheduled Event",
        ["arn:aws:events:us-east-1:123456789012:rule/R"],
        {},
    )
    assert event["time"] == "1970-01-01T00:00:00Z"


def test_a_targets_input_replaces_the_event_and_its_input_path_picks_a_part() -> None:
    event = {"detail": {"items": [{"id": "a"}]}, "source": "s"}
    assert delivery._payload({"Input": '{"step":"sweep"}'}, event) == '{"step":"sweep"}'
    assert json.loads(delivery._payload({"InputPath": "$.detail.items[0]"}, event) or "") == {"id": "a"}
    assert json.loads(delivery._payload({"InputPath": "$"}, event) or "") == event
    assert delivery._payload({"InputPath": "$.nothing"}, event) is None
    assert json.loads(delivery._payload({}, event) or "") == event


@pytest.mark.parametrize(
    "target",
    [
        {"Id": "T", "Input": "{", "Arn": "x"},
        {"Id": "T", "Input": "{}", "InputPath": "$", "Arn": "x"},
        {"Id": "T", "InputTransformer": {"InputTemplate": "<a>"}, "Arn": "x"},
        {"Id": "T", "InputPath": "$..detail", "Arn": "x"},
    ],
)
def test_target_inputs_the_runner_refuses(target: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        delivery._check_input(target, "rule/R")
