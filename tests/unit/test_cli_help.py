"""Every command's ``--help`` has a description, examples that parse, and its options' defaults;
every command that prints JSON takes ``--output json|table`` (``--json`` its alias); bare
``endpointctl`` prints its help (issue 24)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from endpointctl import cli, parsing

TREE = list(parsing.commands(cli.parser()))
LEAVES = [
    (path, p)
    for path, p in TREE
    if not any(other[: len(path)] == path and other != path for other, _ in TREE)
]


def _id(path: tuple[str, ...]) -> str:
    return " ".join(path) or "endpointctl"


@pytest.mark.parametrize(("path", "command"), TREE, ids=[_id(path) for path, _ in TREE])
def test_every_command_has_a_description_examples_and_defaults(
    path: tuple[str, ...], command: argparse.ArgumentParser
) -> None:
    text = command.format_help()
    assert command.description, f"endpointctl {_id(path)}: no description"
    assert "examples:\n  " in text, f"endpointctl {_id(path)}: no examples"
    for action in command._actions:
        trivial = action.default in (None, False, argparse.SUPPRESS, [])
        if action.option_strings and not trivial and action.help != argparse.SUPPRESS:
            assert "default" in (command._get_formatter()._expand_help(action) if action.help else ""), (
                f"endpointctl {_id(path)} {action.option_strings[0]}: its default is not said"
            )


@pytest.mark.parametrize(("path", "example"), parsing.example_commands(), ids=lambda v: str(v)[:60])
def test_every_example_parses(path: tuple[str, ...], example: str) -> None:
    assert path in dict(TREE), f"examples for a command that does not exist: {path}"
    words = shlex.split(re.sub(r'^eval "\$\((.*)\)"$', r"\1", example))
    assert words[: 1 + len(path)] == ["endpointctl", *path], example
    for word in words:
        if word.endswith(".json"):
            assert (Path(cli.__file__).parent.parent / word).is_file(), f"{example}: no {word}"
    cli.parser().parse_args(words[1:])


#: The least each command that prints JSON needs besides its options.
MINIMAL = {
    ("list",): [],
    ("watch",): ["x"],
    ("describe",): ["x"],
    ("logs",): ["x"],
    ("stop",): ["x"],
    ("submit",): ["r.json"],
    ("validate",): ["r.json"],
    ("local", "run"): ["r.json"],
}


def test_every_json_flag_has_output_as_its_long_form() -> None:
    with_json = {path for path, p in LEAVES if any("--json" in a.option_strings for a in p._actions)}
    assert with_json == set(MINIMAL)
    top = cli.parser()
    for path in with_json:
        assert top.parse_args([*path, *MINIMAL[path], "--output", "json"]).json, path
        assert not top.parse_args([*path, *MINIMAL[path], "--output", "table"]).json, path
        assert top.parse_args([*path, *MINIMAL[path], "--json"]).json, path
        assert not top.parse_args([*path, *MINIMAL[path]]).json, path


def test_bare_endpointctl_prints_its_help_on_stderr_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: endpointctl") and "examples:" in err
    assert cli.main(["local"]) == 2
    assert capsys.readouterr().err.startswith("usage: endpointctl local")
