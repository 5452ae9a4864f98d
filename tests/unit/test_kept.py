"""The kept local deploy's record after the fact (issue 24): ``local env`` prints the line that points
a shell at it (``--unset`` the one that undoes it), and a command that cannot reach
``AWS_ENDPOINT_URL`` says what the record knows: nothing, a server that died, another port, or a
deploy destroyed (and when), with the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from endpointctl import cli
from endpointctl.served import kept


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "local-deploy.json"
    monkeypatch.setenv(kept.STATE_VARIABLE, str(path))
    return path


def test_a_dead_endpoint_names_the_kept_deploys_state_and_the_fix(state: Path, tmp_path: Path) -> None:
    root = tmp_path
    unset = 'eval "$(endpointctl local env --unset)"'
    said = kept.dead_endpoint(root, "http://localhost:4000")
    assert (
        said.startswith("no kept local deploy is recorded: ")
        and unset in said
        and "local deploy --keep" in said
    )
    record = kept.Kept(pid=2**22 + 7, port=4000, folder=str(tmp_path / "gone"), context={})
    state.write_text(json.dumps(record.__dict__))
    said = kept.dead_endpoint(root, "http://localhost:4000")
    assert said.startswith("the kept local deploy recorded on port 4000 is not running any more")
    kept.forget(root, record)
    assert kept.recorded(root) is None and kept.destroyed(root) is not None
    said = kept.dead_endpoint(root, "http://localhost:4000")
    assert (
        re.match(r"the kept local deploy on this port was destroyed at 20\d\d-\d\d-\d\dT", said)
        and unset in said
    )
    assert "on port 4000 was destroyed" in kept.dead_endpoint(root, "http://localhost:4001")


def test_local_env_prints_the_exports_of_a_running_kept_deploy(
    state: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["local", "env"]) == 2
    assert capsys.readouterr().err == (
        "endpointctl: no kept local deploy is recorded: `endpointctl local deploy --keep` starts one\n"
    )
    state.write_text(json.dumps({"pid": 1, "port": 4321, "folder": "/nowhere", "context": {}}))
    monkeypatch.setattr(kept, "serving", lambda pid: True)
    assert cli.main(["local", "env"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("export AWS_ACCESS_KEY_ID=testing ") and line.endswith(
        " AWS_ENDPOINT_URL=http://localhost:4321\n"
    )
    assert cli.main(["local", "env", "--unset"]) == 0
    assert capsys.readouterr().out == (
        "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL\n"
    )
