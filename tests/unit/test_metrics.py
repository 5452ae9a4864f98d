"""The functions' Powertools metrics (EMF), as one invocation of the handler flushes them.

Every metric is counted per stack and endpoint type (dimensions ``StackName`` and ``EndpointType``,
next to Powertools' ``service``); the dashboard and the alarms (infra/monitoring.py) read exactly
these names.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from controller import clock, handlers, task_tokens
from controller.errors import EndpointNotReady
from tests.unit.conftest import EXECUTION, invoke
from tests.unit.conftest import state_change_event as state_change
from tests.unit.conftest import waiting_state as state

NAME = "churn-prod"
NAMESPACE = "MlEndpointController"
STACK = "MlEndpointController"


@pytest.fixture(autouse=True)
def stack(monkeypatch: pytest.MonkeyPatch) -> str:
    """The function's stack, as infra/function.py sets it."""
    monkeypatch.setenv("CONTROLLER_STACK_NAME", STACK)
    return STACK


@pytest.fixture
def world(sagemaker_endpoint: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ml-endpoint-controller")
    handlers.metrics.clear_metrics()  # nothing left over from steps run without the handler
    return sagemaker_endpoint


def emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The one EMF document the invocation flushed: its metric values, checked for its form."""
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(documents) == 1, documents
    [document] = documents
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    # One dimension set: the stack and the type next to the service, so the dashboard's queries
    # and the alarms find every metric, and only their own stack's.
    assert [sorted(d) for d in directive["Dimensions"]] == [["EndpointType", "StackName", "service"]]
    assert document["service"] == "ml-endpoint-controller"
    assert document["StackName"] == os.environ["CONTROLLER_STACK_NAME"]
    names = [m["Name"] for m in directive["Metrics"]]
    return {"EndpointType": document["EndpointType"]} | {name: total(document[name]) for name in names}


def total(value: float | list[float]) -> float:
    """A metric's value as Powertools writes it: one value, or the values added in the invocation."""
    return sum(value) if isinstance(value, list) else value


# -- check: one look per invocation --------------------------------------------------------------
def test_a_check_that_finds_the_endpoint_on_its_way_counts_a_poll_and_a_handled_error(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    world["endpoint"].endpoint_status = "Creating"
    polling = state(options={**state()["options"], "events": False})  # adaptive polling, no events
    with pytest.raises(EndpointNotReady):
        invoke({"step": "check", "state": polling, "endpointType": "sagemaker"})
    # HandledErrors: the state machine retries "not ready"; the Lambda-errors alarm subtracts it.
    assert emitted(capsys) == {"EndpointType": "sagemaker", "Polls": 1, "HandledErrors": 1}


def test_a_check_that_finds_the_endpoint_ready_counts_the_poll_the_outcome_and_time_to_ready(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    result = invoke({"step": "check", "state": state(), "endpointType": "sagemaker"})
    assert result["detail"]["status"] == "READY"
    metrics = emitted(capsys)
    assert metrics.pop("TimeToReadySeconds") >= 120
    assert metrics == {"EndpointType": "sagemaker", "Polls": 1, "EndpointReady": 1}


def test_a_fixed_interval_check_counts_a_poll_without_an_error(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    world["endpoint"].endpoint_status = "Creating"
    fixed = state(options={"pollIntervalSeconds": 30, "timeoutSeconds": 3600, "rollback": True})
    assert invoke({"step": "check", "state": fixed, "endpointType": "sagemaker"})["verdict"] == "wait"
    assert emitted(capsys) == {"EndpointType": "sagemaker", "Polls": 1}


# -- await and resume ----------------------------------------------------------------------------
def test_await_counts_its_look(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    world["endpoint"].endpoint_status = "Creating"
    result = invoke({"step": "await", "state": state(), "token": "t", "endpointType": "sagemaker"})
    assert result["waiting"] == EXECUTION
    assert emitted(capsys) == {"EndpointType": "sagemaker", "Polls": 1}


def test_a_resuming_event_counts_as_resumed_by_event(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    task_tokens.park(task_tokens.key("sagemaker", NAME), "t", state(), clock.now() + 3600)
    capsys.readouterr()
    assert invoke(state_change("IN_SERVICE"))["resumed"] == EXECUTION
    metrics = emitted(capsys)
    metrics.pop("TimeToReadySeconds")
    assert metrics == {"EndpointType": "sagemaker", "ResumedByEvent": 1, "EndpointReady": 1}


@pytest.mark.parametrize(
    "case", ["not terminal", "nobody waits", "another request", "still creating", "token timed out"]
)
def test_every_ignored_state_change_event_is_counted(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], case: str
) -> None:
    if case != "nobody waits":
        task_tokens.park(task_tokens.key("sagemaker", NAME), "t", state(), clock.now() + 3600)
    event = state_change("CREATING" if case == "not terminal" else "IN_SERVICE")
    if case == "another request":
        event = state_change(owner="someone-else")
    if case == "still creating":
        world["endpoint"].endpoint_status = "Creating"
    if case == "token timed out":
        world["answer"]["ok"] = False
    capsys.readouterr()
    assert "ignored" in invoke(event)
    metrics = emitted(capsys)
    metrics.pop("EndpointReady", None)  # a timed-out token: the outcome was concluded, not sent
    metrics.pop("TimeToReadySeconds", None)
    assert metrics == {"EndpointType": "sagemaker", "StateChangeEventsIgnored": 1}


# -- outcomes: error codes, rollbacks --------------------------------------------------------------
def test_a_rejected_request_counts_a_failure_and_its_error_code(capsys: pytest.CaptureFixture[str]) -> None:
    handlers.metrics.clear_metrics()
    error = {"Error": "InvalidRequest", "Cause": json.dumps({"message": "bad", "fields": ["params"]})}
    request = {"requestId": "r", "action": "create", "endpointType": "aml", "params": {}}
    invoke({"step": "reject", "error": error, "input": request, "endpointType": "aml"})
    assert emitted(capsys) == {"EndpointType": "aml", "EndpointFailed": 1, "InvalidRequest": 1}


def test_a_rollback_that_could_not_finish_counts_rollback_failed(capsys: pytest.CaptureFixture[str]) -> None:
    """``RollbackFailed`` is the one name of rollback failures (the alarm per type reads it)."""
    handlers.metrics.clear_metrics()
    failed = state(
        endpointType="neptune",
        failure={"code": "EndpointCreationFailed", "message": "boom"},
        teardown={
            "mode": "rollback",
            "targets": [{"kind": "endpoint", "id": NAME}],
            "deadline": clock.now(),
            "verdict": "failed",
            "reason": "still deleting",
        },
    )
    result = invoke({"step": "outcome", "state": failed, "endpointType": "neptune"})
    assert result["errorCode"] == "RollbackFailed"
    assert result["detail"]["rollback"]["remaining"]
    assert emitted(capsys) == {
        "EndpointType": "neptune",
        "EndpointFailed": 1,
        "RollbackFailed": 1,
        "Rollbacks": 1,
    }


def test_each_stack_counts_under_its_own_name(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stacks in one account share the namespace and the service: a staging stack's counts are
    apart from prod's by StackName (infra/monitoring.py reads each stack's own)."""
    world["endpoint"].endpoint_status = "Creating"
    for stack in ("MlEndpointController", "MlEndpointControllerStaging"):
        monkeypatch.setenv("CONTROLLER_STACK_NAME", stack)
        invoke({"step": "await", "state": state(), "token": stack, "endpointType": "sagemaker"})
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [d["StackName"] for d in documents] == ["MlEndpointController", "MlEndpointControllerStaging"]


def test_metrics_are_flushed_per_invocation(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    world["endpoint"].endpoint_status = "Creating"
    invoke({"step": "await", "state": state(), "token": "t", "endpointType": "sagemaker"})
    invoke({"step": "await", "state": state(), "token": "t2", "endpointType": "sagemaker"})
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [total(d["Polls"]) for d in documents] == [1, 1]


def test_a_step_without_metrics_logs_no_powertools_warning(tmp_path: Any) -> None:
    # Deployed, every validate or create would otherwise write a UserWarning to the function's log.
    import os
    import subprocess
    import sys
    from pathlib import Path

    functions = Path(__file__).resolve().parents[2] / "functions"
    script = (
        "from controller import handlers\n"
        "@handlers.metrics.log_metrics\n"
        "def step(event, context):\n"
        "    return {}\n"
        "step({}, None)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(functions),
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
        "POWERTOOLS_SERVICE_NAME": "ml-endpoint-controller",
    }
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "No application metrics" not in done.stderr
