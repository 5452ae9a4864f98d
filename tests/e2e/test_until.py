"""``endpointctl local run --until SECONDS`` (docs/local-runner.md): the simulated world runs on after the
executions end, so what happens later (a deletion finishing, an expiry, a clean-up) is observable;
``remaining`` is then the world at that time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from endpointctl.cli import main

pytestmark = pytest.mark.slow

OWNED = {
    "EndpointName": "old",
    "EndpointConfigName": "old-cfg",
    "Tags": [{"Key": "ml-endpoint-controller:request-id", "Value": "earlier"}],
}
DELETE = {
    "action": "delete",
    "endpointType": "sagemaker",
    "params": {"EndpointName": "old"},
    "requestId": "del-1",
}
SCENARIO = {"sagemaker": {"existing": {"endpoints": [OWNED]}, "deleteSeconds": 600}, "abortAtSeconds": 30}


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    request, scenario = tmp_path / "request.json", tmp_path / "scenario.json"
    request.write_text(json.dumps(DELETE))
    scenario.write_text(json.dumps(SCENARIO))
    code = main(["local", "run", str(request), "--scenario", str(scenario), "--json", *extra])
    assert code == 1  # stopped: ABORTED
    return json.loads(capsys.readouterr().out)


def test_without_until_the_world_is_shown_as_the_execution_ended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(tmp_path, capsys)
    assert (result["status"], result["virtualSeconds"]) == ("ABORTED", 30)
    assert result["remaining"]["sagemaker"]["endpoints"] == ["old"]  # still Deleting


def test_until_shows_the_world_later(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(tmp_path, capsys, "--until", "1000")
    assert (result["status"], result["virtualSeconds"]) == ("ABORTED", 30)
    assert result["remaining"]["sagemaker"]["endpoints"] == []  # the deletion finished at 600 s


def test_until_takes_only_a_number_of_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["local", "run", "x.json", "--until", "soon"])
    assert exit_.value.code == 2
    assert "--until" in capsys.readouterr().err
