"""Every command the README and docs/ show works as shown: a newcomer who copies one meets no dead end.

The commands come from the fenced ``sh`` / ``bash`` blocks of README.md and docs/*.md (and the
``$ `` lines of ``console`` blocks). Each one is either run for real or checked for being
well formed, by what it needs:

- ``endpointctl local run``, ``endpointctl diagram`` and ``endpointctl validate`` run for real,
  through ``endpointctl``'s entry point in this process, each distinct command once, against the
  cached template: exit 0, or 1 where the command's own comment says ``exit 1``; never a
  traceback. They cost up to a second each, so the docs may show at most :data:`MAX_REAL_RUNS`
  distinct ones.
- every other ``endpointctl`` command (``submit``, ``watch``, ``list`` against a deployed stack,
  ``local deploy``, ``local demo``, ``bench``) is parsed by ``endpointctl``'s own argument parser,
  and the files it names exist;
- ``eval "$(CMD)"`` (a shell pointed at a kept local deploy): ``CMD`` is checked as any command;
- ``make TARGET``: the Makefile has the target; ``. .venv/bin/activate``: the Makefile makes that
  venv;
- ``npx cdk …``: ``bootstrap``, ``deploy``, ``destroy`` or ``diff`` of the CLI ``package.json`` pins
  (never ``npx cdk synth``: the docs say ``make synth``, which installs that CLI first), with
  ``-c`` context that ``infra/config.py`` reads and accepts;
- ``aws SERVICE OPERATION …``: the operation (or waiter) exists in botocore's service model, every
  option is one of its input members or a global option, the required members are given,
  ``--query`` compiles as JMESPath and ``file://`` paths exist.

A command this file does not know how to check fails, naming it: teach it here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from endpointctl import project_root

ROOT = project_root()
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Distinct ``endpointctl`` commands the docs may show that run for real (each costs up to ~1 s).
MAX_REAL_RUNS = 10
#: ``endpointctl`` sub-commands run for real rather than only parsed.
REAL = (("local", "run"), ("diagram",), ("validate",))

_BLOCK = re.compile(r"^```(sh|bash|console)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_SUBST = re.compile(r"^\$\((.*)\)$", re.S)


@dataclass(frozen=True)
class Command:
    """One command as a reader would copy it (continuations joined), and where it is shown."""

    where: str
    code: str
    comment: str

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.code)


def _split_comment(line: str) -> tuple[str, str]:
    """``cmd  # note`` → (``cmd``, ``note``); a ``#`` inside quotes or a word is not a comment."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def _commands_in(path: Path) -> list[Command]:
    text = path.read_text()
    found: list[Command] = []
    for block in _BLOCK.finditer(text):
        language, body = block.groups()
        first = text[: block.start(2)].count("\n") + 1
        lines = body.splitlines()
        i = 0
        while i < len(lines):
            number, line = first + i, lines[i]
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
            if language == "console":
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
            code, comment = _split_comment(line.strip())
            if not code:
                continue
            where = f"{path.relative_to(ROOT)}:{number}"
            # `a && b`: each is a command of its own
            for part in re.split(r"\s&&\s", code):
                found.append(Command(where, part.strip(), comment))
    return found


def _expanded(command: Command) -> Command | None:
    """``VAR=$(cmd)`` → ``cmd``; a plain ``VAR=value`` (a placeholder to fill in) → None."""
    assign = _ASSIGN.match(command.code)
    if not assign:
        return command
    substitution = _SUBST.match(assign.group(2).strip())
    return Command(command.where, substitution.group(1), command.comment) if substitution else None


ALL = [c for c in (_expanded(c) for path in DOCS for c in _commands_in(path)) if c is not None]


def _is_real(argv: list[str]) -> bool:
    return argv[0] == "endpointctl" and any(tuple(argv[1 : 1 + len(r)]) == r for r in REAL)


#: Each distinct command once, where it is first shown.
REAL_RUNS: dict[tuple[str, ...], Command] = {}
for _command in ALL:
    if _is_real(_command.argv):
        REAL_RUNS.setdefault(tuple(_command.argv), _command)
CHECKED = [c for c in ALL if not _is_real(c.argv)]


def _id(command: Command) -> str:
    return f"{command.where} {command.code[:70]}"


# -- what is found ---------------------------------------------------------------------------------
def test_the_docs_show_commands_and_the_quickstart() -> None:
    readme = [c.code for c in ALL if c.where.startswith("README.md")]
    assert "make demo" in readme and "make test" in readme
    assert "endpointctl local run events/sagemaker-create.json" in readme
    assert any("--scenario events/scenarios/sagemaker-failed.json" in c for c in readme)
    assert any(c.startswith("endpointctl local run events/sagemaker-update-canary.json") for c in readme)
    assert ("endpointctl", "local", "run", "events/two-endpoints.json", "--parallel") in REAL_RUNS
    assert len(CHECKED) > 20


def test_real_runs_stay_within_the_suite_budget() -> None:
    assert len(REAL_RUNS) <= MAX_REAL_RUNS, (
        f"the docs show {len(REAL_RUNS)} distinct commands that run for real (local run, diagram, "
        f"validate), more than {MAX_REAL_RUNS}: reuse one already shown, or raise MAX_REAL_RUNS knowingly"
    )


def test_no_bare_cdk_synth() -> None:
    shown = [c for c in ALL if c.argv[:3] == ["npx", "cdk", "synth"]]
    assert not shown, f"show `make synth` (it installs the pinned CLI first), not {[_id(c) for c in shown]}"


# -- run for real ----------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("command", list(REAL_RUNS.values()), ids=_id)
def test_command_runs(
    command: Command,
    template: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``template``: the session's synthesis fills the cache every run here reads. Each runs in
    this process, through ``endpointctl``'s own entry point (``endpointctl.cli.main``, what
    ``python -m endpointctl`` calls), from the checkout as a reader would: a subprocess each would
    add ~1.2 s of imports to every command (``tests/e2e/test_cli.py`` runs the real process, and
    its broken-pipe and traceback handling)."""
    from endpointctl.cli import main

    argv = command.argv
    _check_files(argv, command)
    expected = 1 if re.search(r"\bexit 1\b", command.comment) else 0
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    code = main(argv[1:])
    done = capsys.readouterr()
    assert "Traceback" not in done.err, f"{command.where}: {command.code}\n{done.err[-3000:]}"
    assert code == expected, (
        f"{command.where}: `{command.code}` exited {code}, the docs say {expected}\n"
        f"{done.out[-2000:]}\n{done.err[-2000:]}"
    )
    if "--json" in argv:
        json.loads(done.out)


# -- checked for being well formed -----------------------------------------------------------------
@pytest.mark.parametrize("command", CHECKED, ids=_id)
def test_command_is_well_formed(command: Command) -> None:
    argv = command.argv
    check = CHECKS.get(argv[0])
    assert check is not None, (
        f"{command.where}: no check for `{command.code}`: teach tests/infra/test_docs_commands.py how "
        "to exercise it"
    )
    check(argv, command)


def _check_endpointctl(argv: list[str], command: Command) -> None:
    _check_files(argv, command)
    top = _parser()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            top.parse_args(argv[1:])
    except SystemExit as exc:
        assert exc.code in (0, None), f"{command.where}: `{command.code}`: {err.getvalue().strip()}"


def _check_make(argv: list[str], command: Command) -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", makefile, re.M))
    for target in argv[1:] or ["<none>"]:
        assert target in targets, f"{command.where}: the Makefile has no target {target!r}"


def _check_activate(argv: list[str], command: Command) -> None:
    assert argv[1:] == [".venv/bin/activate"], f"{command.where}: activate the project's venv"
    assert re.search(r"^VENV \?= \.venv$", (ROOT / "Makefile").read_text(), re.M), "the Makefile's venv moved"


CDK_COMMANDS = {"bootstrap", "deploy", "destroy", "diff"}


def _check_npx(argv: list[str], command: Command) -> None:
    assert argv[1] == "cdk", f"{command.where}: only the pinned CDK CLI is run through npx"
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned["aws-cdk"]), "package.json pins one aws-cdk version"
    page = (ROOT / command.where.split(":")[0]).read_text()
    assert "make synth" in page, f"{command.where}: say `make synth` first (it installs the pinned CLI)"
    assert argv[2] in CDK_COMMANDS, f"{command.where}: `cdk {argv[2]}`: show `make synth` for synth"
    context: dict[str, str] = {}
    rest = iter(argv[3:])
    for word in rest:
        assert word in ("-c", "--context"), f"{command.where}: check `cdk {argv[2]} {word}` and allow it here"
        key, _, value = next(rest).partition("=")
        context[key] = value
    _check_context(context, command)


def _check_context(given: dict[str, str], command: Command) -> None:
    """The context as ``cdk`` would pass it (cdk.json's, then ``-c``), read by the stack's own
    config: every key given is one it reads, and its values pass its checks."""
    from infra.config import Config, ConfigError

    base = json.loads((ROOT / "cdk.json").read_text())["context"]
    merged: dict[str, Any] = {**base, **given}
    read: set[str] = set()

    class Node:
        """What ``Config.from_context`` asks of a construct's node."""

        def try_get_context(self, key: str) -> Any:
            read.add(key)
            return merged.get(key)

        def get_all_context(self) -> dict[str, Any]:
            return dict(merged)

    try:
        Config.from_context(Node())  # type: ignore[arg-type]
    except ConfigError as exc:
        pytest.fail(f"{command.where}: `{command.code}`: {exc}")
    unknown = set(given) - read
    assert not unknown, f"{command.where}: context keys the stack does not read: {sorted(unknown)}"


AWS_GLOBALS = {
    "query", "output", "region", "endpoint-url", "profile", "no-paginate", "no-cli-pager",
    "cli-input-json", "max-items", "starting-token", "page-size", "cli-binary-format",
}  # fmt: skip
#: The AWS CLI's own positional arguments, by command: ``aws lambda invoke … OUTFILE`` writes the
#: function's answer there (the CLI's ``lambda invoke`` reference: "outfile (string) Filename where
#: the content will be saved").
AWS_POSITIONALS = {("lambda", "invoke"): 1}
AWS_OUTPUTS = {"json", "text", "table", "yaml", "yaml-stream"}


def _check_aws(argv: list[str], command: Command) -> None:
    import botocore.session
    import jmespath
    from botocore import xform_name

    session = botocore.session.get_session()
    service, operation, *rest = argv[1:]
    model = session.get_service_model(service)
    if operation == "wait":
        waiter_name, *rest = rest
        waiters = {xform_name(name, "-"): name for name in session.get_waiter_model(service).waiter_names}
        assert waiter_name in waiters, f"{command.where}: `aws {service} wait` has no {waiter_name!r}"
        operation_name = session.get_waiter_model(service).get_waiter(waiters[waiter_name]).operation
    else:
        operations = {xform_name(name, "-"): name for name in model.operation_names}
        assert operation in operations, f"{command.where}: `aws {service}` has no operation {operation!r}"
        operation_name = operations[operation]
    shape = model.operation_model(operation_name).input_shape
    members = {xform_name(name, "-"): name for name in (shape.members if shape else {})}
    given: set[str] = set()
    positionals = AWS_POSITIONALS.get((service, operation), 0)
    if positionals:
        assert len(rest) > positionals and not any(w.startswith("--") for w in rest[-positionals:]), (
            f"{command.where}: `aws {service} {operation}` ends with {positionals} positional argument(s)"
        )
        rest = rest[:-positionals]
    words = iter(rest)
    for word in words:
        assert word.startswith("--"), f"{command.where}: unexpected {word!r} in `{command.code}`"
        option = word[2:]
        value = None
        known = option in members or option in AWS_GLOBALS or option.removeprefix("no-") in members
        assert known, f"{command.where}: `aws {service} {operation}` has no option --{option}"
        member = members.get(option) or members.get(option.removeprefix("no-"))
        boolean = member is not None and shape is not None and shape.members[member].type_name == "boolean"
        if not boolean and option != "no-paginate":
            value = next(words, None)
            assert value is not None, f"{command.where}: --{option} needs a value"
        given.add(option.removeprefix("no-"))
        if option == "query":
            try:
                jmespath.compile(value)
            except jmespath.exceptions.JMESPathError as exc:
                pytest.fail(f"{command.where}: --query {value!r}: {exc}")
        if option == "output":
            assert value in AWS_OUTPUTS, f"{command.where}: --output {value}"
        if value and value.startswith("file://"):
            assert (ROOT / value.removeprefix("file://")).is_file(), f"{command.where}: no {value}"
    required = {xform_name(name, "-") for name in (shape.required_members if shape else [])}
    assert required <= given, f"{command.where}: `aws {service} {operation}` needs {sorted(required - given)}"


def _check_eval(argv: list[str], command: Command) -> None:
    substitution = _SUBST.match(argv[1]) if len(argv) == 2 else None
    assert substitution, f'{command.where}: eval only a command\'s output, as eval "$(CMD)"'
    inner = Command(command.where, substitution.group(1), command.comment)
    assert not _is_real(inner.argv), f"{command.where}: eval of a command that runs for real"
    test_command_is_well_formed(inner)


CHECKS = {
    "eval": _check_eval,
    "endpointctl": _check_endpointctl,
    "make": _check_make,
    ".": _check_activate,
    "source": _check_activate,
    "npx": _check_npx,
    "aws": _check_aws,
}


# -- helpers ---------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    from endpointctl import cli

    build = getattr(cli, "parser", None) or getattr(cli, "build_parser", None)
    assert build is not None, "endpointctl.cli no longer has parser(): update _parser() here"
    made = build()
    assert isinstance(made, argparse.ArgumentParser)
    return made


def _check_files(argv: list[str], command: Command) -> None:
    for word in argv[1:]:
        if word.endswith(".json") and not word.startswith("-"):
            assert (ROOT / word).is_file(), f"{command.where}: {word} does not exist"


# -- links -----------------------------------------------------------------------------------------
_LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(
        r"^#+\s+(.*)$", re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S), re.M
    )
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_between_pages_resolve(page: Path) -> None:
    broken = []
    for target in _LINK.findall(page.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: links that lead nowhere: {broken}"
