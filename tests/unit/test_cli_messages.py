"""No dead end at the command line (issue 15, item 5): whatever a user types, a one-line message
with the documented exit code (2 for unusable arguments or files), never a traceback. These cases
are refused before anything is synthesized, so they are fast; the ones that need a synth are in
tests/e2e/test_cli.py."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from endpointctl import cli, commands, project_root
from endpointctl.cli import main

OK = {"endpointType": "sagemaker", "params": {"EndpointName": "a", "EndpointConfigName": "b"}}


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["diagram", "--type", "bogus"],
            "diagram --type bogus: not an endpoint type; one of sagemaker, aml, neptune",
        ),
        (["diagram", "--type", "sagemkr"], "did you mean sagemaker?"),
    ],
    ids=["unknown", "typo"],
)
def test_diagram_of_an_unknown_type_exits_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    assert message in one_line(capsys)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested more than 100 levels deep"),
        ('{"a": [' * 101 + "]}" * 101, "nested more than 100 levels deep"),
        ("", "the file is empty"),
        (
            '{"action": "create",\n "params": {,}}',
            "not valid JSON (Expecting property name enclosed in double quotes at line 2, column 13)",
        ),
        (None, "is a directory, not a JSON file"),
    ],
    ids=["100000-deep", "just-too-deep", "empty", "bad-json-line-and-column", "directory"],
)
@pytest.mark.parametrize("command", [["local", "run"], ["validate"], ["submit"]])
def test_an_unusable_request_file_exits_2_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    content: str | None,
    message: str,
) -> None:
    path = str(tmp_path) if content is None else write(tmp_path, "request.json", content)
    assert main([*command, path]) == 2
    assert message in one_line(capsys)


def test_an_unknown_scenario_key_names_the_one_it_resembles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = write(tmp_path, "ok.json", OK)
    scenario = write(tmp_path, "scenario.json", {"sagemker": {}})
    assert main(["local", "run", request, "--scenario", scenario]) == 2
    assert "unknown scenario keys: sagemker (did you mean sagemaker?)" in one_line(capsys)
    nested = write(tmp_path, "nested.json", {"sagemaker": {"createSecond": 5}})
    assert main(["local", "run", request, "--scenario", nested]) == 2
    assert "sagemaker.createSecond: is not a scenario key; did you mean createSeconds?" in one_line(capsys)


@pytest.mark.parametrize(
    "args",
    [
        ["local", "run"],
        ["local", "run", "r.json", "--until", "inf"],
        ["local", "run", "r.json", "--until", "nan"],
        ["local", "run", "r.json", "--until", "-1"],
        ["local", "deploy", "--port", "-5"],
        ["local", "deploy", "--port", "70000"],
        ["list", "--max", "abc"],
        ["watch", "arn", "--interval", "soon"],
        ["bogus"],
        ["watch"],
    ],
    ids=[
        "no-request",
        "until-inf",
        "until-nan",
        "until-negative",
        "port",
        "port-high",
        "max",
        "interval",
        "command",
        "no-execution",
    ],
)
def test_bad_arguments_exit_2_in_one_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = one_line(capsys)
    assert err.startswith("endpointctl") and "--help)" in err
    assert "_positive" not in err and "_seconds" not in err  # argparse's names of our functions


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"endpointctl {version('ml-endpoint-controller')}\n"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["local"],
        ["local", "run"],
        ["local", "demo"],
        ["validate"],
        ["diagram"],
        ["submit"],
        ["watch"],
        ["list"],
        ["describe"],
        ["stop"],
        ["logs"],
        ["local", "env"],
    ],
)
def test_help_has_no_docstring_markup(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit):
        main([*args, "--help"])
    out = capsys.readouterr().out
    assert "``" not in out and ":func:" not in out and "`" not in out, out


def test_local_help_mentions_each_of_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["local", "--help"])
    description = capsys.readouterr().out.split("positional arguments")[0]
    assert all(f"'{name}'" in description for name in ("run", "demo", "deploy"))


def test_top_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 success; 1" in out and "2 unusable arguments or files" in out


@pytest.mark.parametrize(
    ("stderr", "message"),
    [
        (
            "context logRetentionDays=999: 1 to 365 days\ncontext logRetentionDay: not a context key of this app; "
            "did you mean logRetentionDays?",
            "context logRetentionDays=999: 1 to 365 days\ncontext logRetentionDay: not a context key of this app; "
            "did you mean logRetentionDays?",
        ),
        (
            'Traceback (most recent call last):\n  File "app.py", line 1\nValueError: boom',
            "synth failed: ValueError: boom (python app.py shows the whole error)",
        ),
    ],
    ids=["context", "other"],
)
def test_a_failed_synth_says_each_problem_in_a_line(stderr: str, message: str) -> None:
    assert commands.synth_problem(f"synth failed:\n{stderr}") == message


def test_a_usage_error_of_several_problems_prints_a_line_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from endpointctl.errors import UsageError

    def refuse(args: Any) -> int:
        raise UsageError("context a=1: bad\ncontext b: not a context key of this app")

    monkeypatch.setattr(cli, "cmd_diagram", refuse)
    assert main(["diagram"]) == 2
    assert capsys.readouterr().err == (
        "endpointctl: context a=1: bad\nendpointctl: context b: not a context key of this app\n"
    )


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (
            ValueError("Invalid endpoint: notaurl"),
            1,
            "endpointctl: unexpected error: ValueError: Invalid endpoint: notaurl",
        ),
        (KeyboardInterrupt(), 130, "endpointctl: interrupted"),
    ],
    ids=["unforeseen", "ctrl-c"],
)
def test_the_console_script_never_shows_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: BaseException,
    code: int,
    message: str,
) -> None:
    def broken() -> int:
        raise raised

    monkeypatch.setattr(cli, "main", broken)
    monkeypatch.delenv("ENDPOINTCTL_DEBUG", raising=False)
    monkeypatch.setattr("threading.active_count", lambda: 1)  # else run() would os._exit the worker
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == code
    assert one_line(capsys).startswith(message)


def test_pytest_prints_its_summary_line_under_make_test() -> None:
    # `make test` runs `pytest -n 2`; a -q in addopts hid the "N passed" line.
    options = tomllib.loads((project_root() / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-q" not in str(options.get("addopts", "")).split()


def test_a_malformed_endpoint_url_is_an_unusable_argument(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "AWS_ENDPOINT_URL": "notaurl",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:SageMakerLifecycle"
    assert main(["list", "--state-machine", machine]) == 2
    assert "AWS_ENDPOINT_URL must be a URL" in one_line(capsys)
