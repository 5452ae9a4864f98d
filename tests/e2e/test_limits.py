"""The runner enforces Step Functions' limits as AWS does (endpointctl/runner/limits.py): 25,000
history events and 256 KiB payloads fail an execution uncaught; a stop or the state machine's own
timeout ends it at once, with no ``Catch``. These are what the controller must survive by design;
here they are shown to happen, as they would in AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from endpointctl.cli import main
from endpointctl.runner import limits
from tests.conftest import Runner

pytestmark = pytest.mark.slow


def sagemaker(name: str = "lim", **options: Any) -> dict[str, Any]:
    return {
        "endpointType": "sagemaker",
        "params": {"EndpointName": name, "EndpointConfigName": f"{name}-cfg"},
        "requestId": f"req-{name}",
        **({"options": options} if options else {}),
    }


def test_the_limits_are_the_documented_ones() -> None:
    assert (limits.HISTORY_EVENTS, limits.PAYLOAD_BYTES) == (25_000, 262_144)


def test_history_events_are_counted(local_run: Runner) -> None:
    [result] = local_run([sagemaker()], {"sagemaker": {"createSeconds": 300}})
    assert result["status"] == "SUCCEEDED"
    # ExecutionStarted, then per state entered/exited, Lambda scheduled/started/succeeded, ...
    assert 15 <= result["historyEvents"] <= 40, result["historyEvents"]


def test_the_history_limit_fails_the_execution_uncaught(
    local_run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "HISTORY_EVENTS", 300)  # the controller's bounds keep it below 25,000
    request = sagemaker(pollIntervalSeconds=1, timeoutSeconds=1800)

    [result] = local_run([request], {"sagemaker": {"createSeconds": 3000}})

    assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")
    assert result["cause"] == "The execution reached the maximum number of history events (25000)."
    assert result["historyEvents"] == 300
    assert result["notifications"] == {"events": [], "sns": []}  # no Catch, no notification
    assert result["remaining"]["sagemaker"]["endpoints"] == ["lim"]  # and no rollback


def test_a_state_over_256_kib_fails_the_execution_uncaught(local_run: Runner) -> None:
    request = sagemaker()
    request["padding"] = ""
    request["padding"] = "p" * (limits.PAYLOAD_BYTES - 100 - len(json.dumps(request)))
    assert limits.PAYLOAD_BYTES - 200 < len(json.dumps(request).encode()) < limits.PAYLOAD_BYTES
    # StartExecution takes it; the first task's input (the execution input and more) is too big

    [result] = local_run([request])

    assert (result["status"], result["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert "262144" in result["cause"]
    assert result["notifications"] == {"events": [], "sns": []}


def test_a_request_over_256_kib_cannot_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = sagemaker()
    request["requestId"] = "r" * 300_000
    path = tmp_path / "big.json"
    path.write_text(json.dumps(request))

    code = main(["local", "run", str(path), "--json"])

    assert code == 2
    assert "StartExecution accepts" in capsys.readouterr().err


def test_a_stop_ends_the_execution_at_once_with_no_catch(local_run: Runner) -> None:
    [result] = local_run([sagemaker()], {"sagemaker": {"createSeconds": 600}, "abortAtSeconds": 100})

    assert result["status"] == "ABORTED"
    assert result["virtualSeconds"] == 100
    assert result["notifications"] == {"events": [], "sns": []}
    assert result["remaining"]["sagemaker"]["endpoints"] == ["lim"]  # what AWS leaves after a stop


def test_a_stop_during_a_wait_state_ends_it_at_once(local_run: Runner) -> None:
    request = sagemaker(pollIntervalSeconds=300)
    [result] = local_run([request], {"sagemaker": {"createSeconds": 1200}, "abortAtSeconds": 50})
    assert (result["status"], result["virtualSeconds"]) == ("ABORTED", 50)


def test_the_state_machine_timeout_ends_it_in_virtual_time(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from endpointctl.runner import LocalRunner, quiet_stdout

    with quiet_stdout(), LocalRunner(template, {"sagemaker": {"createSeconds": 1200}}) as runner:
        assert set(runner.timeouts.values()) == {27 * 3600}  # the construct's TimeoutSeconds
        runner.timeouts = dict.fromkeys(runner.timeouts, 500)
        [result] = runner.run([sagemaker()])

    assert (result["status"], result["virtualSeconds"]) == ("TIMED_OUT", 500)
    assert result["notifications"] == {"events": [], "sns": []}


def test_an_invocation_past_its_functions_timeout_fails_as_lambda_unknown(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from endpointctl.runner import LocalRunner, lambdas, quiet_stdout

    real = lambdas.call_handler

    def slow(function_name: str, event: dict[str, Any], headers: dict[str, str]) -> Any:
        if event.get("step") == "create":
            runner.clock.sleep(61)  # e.g. three read timeouts in one step: past the 60-s timeout
        return real(function_name, event, headers)

    monkeypatch.setattr(lambdas, "call_handler", slow)
    with quiet_stdout(), LocalRunner(template, {"sagemaker": {"createSeconds": 300}}) as runner:
        assert set(runner.staged.timeouts.values()) == {60}  # the template's function Timeout
        [result] = runner.run([sagemaker()])

    detail = result["notifications"]["events"][0]["detail"]
    assert result["status"] == "FAILED"
    assert detail["error"]["code"] == "ProviderError"
    assert (
        "Lambda.Unknown" in detail["error"]["message"]
        and "timed out after 60.00" in detail["error"]["message"]
    )
