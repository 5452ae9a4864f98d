"""No setup trap (issue 23, item 5): the commands that run the local runner need Node.js and the IAM
evaluator ``package.json`` pins. They install the evaluator with ``npm ci`` when it is missing (one
line saying so, then the run), and when they cannot (no Node, Node too old, no npm, ``npm ci``
failing) they say what to install in one line with exit code 2: never a FAILED run, never a
traceback. ``node`` and ``npm`` are stand-ins on ``PATH`` here (no network), except for the run
after an install, which uses the checkout's real evaluator."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from endpointctl import node_tools, project_root
from endpointctl.cli import main

SAMPLE = str(project_root() / "events" / "sagemaker-create.json")
PINNED = node_tools.pinned_version(project_root(), node_tools.EVALUATOR.package)
INSTALLING = (
    f"installing the local runner's IAM evaluator (@cloud-copilot/iam-simulate {PINNED}) and the other "
    "pinned Node tools with npm ci (once; usually under a minute) …"
)
NO_NODE = (
    "endpointctl: the local runner's IAM evaluator runs on Node.js 18 or later, and there is no `node` "
    "on PATH: install Node.js 18 or later (it comes with npm), then run this again"
)
#: npm 11's answer to ``npm ci`` with no network (the stack lines shortened).
OFFLINE = """npm error code EAI_AGAIN
npm error syscall getaddrinfo
npm error errno EAI_AGAIN
npm error FetchError: request to https://registry.npmjs.org/aws-cdk failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org
npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/node_modules/minipass-fetch/lib/index.js:130:14)
npm error }
npm error
npm error If you are behind a proxy, please make sure that the 'proxy' config is set properly.  See: 'npm help config'
npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-02T19_08_52_067Z-debug-0.log
"""


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout as ``pip install -e .`` leaves it: ``package.json`` and its lock, no
    ``node_modules``. The commands install the Node tools here (the run itself, and the synth,
    still use the real checkout)."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(project_root() / name, root / name)
    monkeypatch.setattr(node_tools, "project_root", lambda: root)
    return root


def stand_ins(tmp_path: Path, **scripts: str) -> Path:
    """A folder of executable shell scripts (``node="echo v16.20.2"``) to put on ``PATH``."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


def npm_installing(calls: Path) -> str:
    """A stand-in ``npm`` that records its arguments in ``calls`` and installs the evaluator as
    ``npm ci`` would (in its working directory, the checkout)."""
    package = "node_modules/@cloud-copilot/iam-simulate"
    return (
        f'echo "$@" >> {calls}\n'
        f"mkdir -p {package}\n"
        f"""echo '{{"version": "{PINNED}"}}' > {package}/package.json"""
    )


def stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return err.splitlines()


# -- (a) no node on PATH ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [["local", "run", SAMPLE], ["local", "demo"], ["bench", "--quick"]],
    ids=["run", "demo", "bench"],
)
@pytest.mark.parametrize("checkout", ["fresh", "installed"])
def test_without_node_a_runner_command_says_what_to_install(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    checkout: str,
    command: list[str],
) -> None:
    """Whether the evaluator is still to be installed or installed already (its decisions perhaps
    all on disk: Node is asked for anyway, see ``endpointctl.node_tools``)."""
    if checkout == "fresh":
        request.getfixturevalue("fresh")
    monkeypatch.setenv("PATH", str(stand_ins(tmp_path)))
    assert main(command) == 2
    assert stderr_lines(capsys) == [NO_NODE]


# -- (b) node too old -------------------------------------------------------------------------------
def test_a_node_too_old_is_named_with_its_version(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "npm-calls"
    monkeypatch.setenv("PATH", str(stand_ins(tmp_path, node="echo v16.20.2", npm=npm_installing(calls))))
    assert main(["local", "run", SAMPLE]) == 2
    assert stderr_lines(capsys) == [
        "endpointctl: the local runner's IAM evaluator runs on Node.js 18 or later, and the `node` on PATH "
        "is v16.20.2: install Node.js 18 or later (it comes with npm), then run this again"
    ]
    assert not calls.exists()  # nothing installed for a Node that could not run it


# -- (c) node_modules missing, npm there: installed once, then the run ----------------------------
@pytest.mark.skipif(
    not node_tools.installed(project_root(), node_tools.EVALUATOR) or node_tools.node_problem() is not None,
    reason="the run after the install uses the checkout's own evaluator (Node.js and npm ci)",
)
def test_a_missing_evaluator_is_installed_once_then_the_run_goes_on(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = tmp_path / "npm-calls"
    npm = stand_ins(tmp_path, npm=npm_installing(calls))
    monkeypatch.setenv("PATH", f"{npm}:{Path(shutil.which('node') or 'node').parent}")
    assert main(["local", "run", SAMPLE]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [INSTALLING]
    assert "SUCCEEDED after 5m00s" in captured.out
    assert calls.read_text().splitlines() == ["ci --no-audit --no-fund --loglevel=error"]
    assert (fresh / "node_modules" / ".installed").exists()  # make does not run npm ci again

    assert main(["local", "run", SAMPLE]) == 0  # installed: not again
    assert capsys.readouterr().err == "" and len(calls.read_text().splitlines()) == 1


# -- (d) npm ci failing, or no npm ------------------------------------------------------------------
def test_a_failing_npm_ci_says_why_in_one_line(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    npm = "".join(f"echo {shlex.quote(line)} >&2\n" for line in OFFLINE.splitlines()) + "exit 1"
    monkeypatch.setenv("PATH", str(stand_ins(tmp_path, node="echo v20.20.2", npm=npm)))
    assert main(["local", "run", SAMPLE]) == 2
    assert stderr_lines(capsys) == [
        INSTALLING,
        "endpointctl: npm ci could not install the local runner's IAM evaluator (FetchError: request to "
        "https://registry.npmjs.org/aws-cdk failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org): "
        f"run `npm ci` in {fresh} to see why, then run this again",
    ]
    assert not (fresh / "node_modules" / ".installed").exists()


def test_without_npm_the_evaluator_cannot_be_installed(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(stand_ins(tmp_path, node="echo v22.1.0")))
    assert main(["local", "run", SAMPLE]) == 2
    assert stderr_lines(capsys) == [
        "endpointctl: the local runner's IAM evaluator is not installed, and there is no `npm` on PATH to "
        "install it with: install npm (it comes with Node.js), then run this again"
    ]


# -- the other commands that need Node --------------------------------------------------------------
def test_local_deploy_without_node_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(stand_ins(tmp_path)))
    assert main(["local", "deploy"]) == 2
    assert stderr_lines(capsys) == [
        "endpointctl: the CDK CLI runs on Node.js 18 or later, and there is no `node` on PATH: "
        "install Node.js 18 or later (it comes with npm), then run this again"
    ]


def test_a_synth_without_node_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """jsii runs aws-cdk-lib under Node: without it, ``python app.py`` fails deep in jsii."""
    monkeypatch.setenv("PATH", str(stand_ins(tmp_path)))
    assert main(["diagram", "--no-cache"]) == 2
    assert stderr_lines(capsys) == [
        "endpointctl: the synth runs aws-cdk-lib on Node.js, and there is no `node` on PATH: "
        "install Node.js 18 or later, then run this again"
    ]
