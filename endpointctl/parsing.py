"""How ``endpointctl`` reads its arguments and shows its help: every complaint in one line, every
command's ``--help`` with a description, examples and the defaults of its options, and every command
that can print JSON taking ``--output json|table``.

- :class:`Parser`: argparse, its complaints in one line with exit code 2, help without docstring
  markup; :func:`usage` answers a command group named without a command (bare ``endpointctl``) with
  its whole help, on stderr with exit 2 (argparse's convention for a missing argument, with the
  help in place of a one-line complaint);
- the argument types (:func:`virtual_seconds`, :func:`port`) say what is wrong in words;
- :class:`Formatter` wraps prose but keeps the examples' lines as written, and says an option's
  default where its help does not already (``(default: 5.0)``).
- :data:`EXAMPLES`: each command's examples, here in one place (``tests/unit/test_cli_help.py``
  parses every one with ``endpointctl``'s parser, as ``tests/infra/test_docs_commands.py`` does the
  docs' commands).
- :func:`finish` runs once on the built parser: the examples as each command's epilog, the
  formatter, and ``--output json|table`` beside every ``--json`` (the spelling of kubectl and the
  AWS CLI; ``--json`` stays, as its alias, and both set ``args.json``).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from endpointctl.errors import EXIT_USAGE

#: Each command's examples (its words after ``endpointctl``), shown under its ``--help``.
EXAMPLES: dict[tuple[str, ...], tuple[str, ...]] = {
    (): (
        "endpointctl local run events/sagemaker-create.json",
        "endpointctl local deploy --keep",
        "endpointctl submit --watch events/sagemaker-create.json",
    ),
    ("local",): (
        "endpointctl local run events/sagemaker-create.json",
        "endpointctl local demo",
        "endpointctl local deploy --keep",
    ),
    ("local", "run"): (
        "endpointctl local run events/sagemaker-create.json",
        "endpointctl local run events/sagemaker-create.json --scenario events/scenarios/sagemaker-failed.json",
        "endpointctl local run events/two-endpoints.json --parallel --output json",
    ),
    ("local", "demo"): ("endpointctl local demo",),
    ("local", "deploy"): (
        "endpointctl local deploy",
        "endpointctl local deploy --keep",
        "endpointctl local deploy --keep --scenario events/scenarios/sagemaker-failed.json",
        "endpointctl local deploy -c endpointTypes=sagemaker,aml",
    ),
    ("local", "destroy"): ("endpointctl local destroy", "endpointctl local destroy --stop-only"),
    ("local", "serve"): ("endpointctl local serve --port 5000",),
    ("local", "env"): (
        'eval "$(endpointctl local env)"',
        'eval "$(endpointctl local env --unset)"',
    ),
    ("bench",): ("endpointctl bench", "endpointctl bench --quick", "endpointctl bench --scale 100"),
    ("diagram",): ("endpointctl diagram", "endpointctl diagram --type aml -c endpointTypes=sagemaker,aml"),
    ("validate",): (
        "endpointctl validate events/sagemaker-create.json",
        "endpointctl validate events/sagemaker-create.json --output json",
    ),
    ("submit",): (
        "endpointctl submit events/sagemaker-create.json",
        "endpointctl submit --direct --watch events/sagemaker-create.json",
        "endpointctl submit events/aml-create.json --stack MlEndpointController --output json",
    ),
    ("watch",): (
        "endpointctl watch churn-prod-2026-11-22",
        "endpointctl watch churn-prod-2026-11-22-20261122T120000Z --interval 2",
        "endpointctl watch arn:aws:states:us-east-1:123456789012:execution:SageMakerLifecycle:run-1 --output json",
    ),
    ("list",): (
        "endpointctl list",
        "endpointctl list --status FAILED --max 20",
        "endpointctl list --stack MlEndpointController --output json",
    ),
    ("describe",): (
        "endpointctl describe churn-prod-2026-11-22",
        "endpointctl describe churn-prod",
        "endpointctl describe churn-prod --output json",
    ),
    ("stop",): (
        "endpointctl stop churn-prod-2026-11-22",
        'endpointctl stop churn-prod-2026-11-22-20261122T120000Z --cause "wrong instance type"',
    ),
    ("logs",): (
        "endpointctl logs churn-prod-2026-11-22",
        "endpointctl logs churn-prod-2026-11-22-20261122T120000Z --output json",
    ),
}

OUTPUTS = ("json", "table")


def plain(text: str) -> str:
    """Docstring markup as help text shows it: ``x`` and :func:`x` become x, `x` becomes 'x'."""
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)
    text = re.sub(r"``([^`]*)``", r"\1", text)
    return re.sub(r"`([^`]*)`", r"'\1'", text)


class Parser(argparse.ArgumentParser):
    """argparse, with its complaints in one line (``endpointctl local run: the following arguments
    are required: REQUEST.json (see endpointctl local run --help)``), exit code 2, and help text
    without docstring markup."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def format_help(self) -> str:
        return plain(super().format_help())


def usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """The command of a group named without one of its commands (bare ``endpointctl``,
    ``endpointctl local``): the group's whole help, on stderr, exit 2."""

    def command(args: argparse.Namespace) -> int:
        print(parser.format_help(), end="", file=sys.stderr)
        return EXIT_USAGE

    return command


def seconds(text: str) -> float:
    """A number of seconds, not negative (virtual ones for ``--until``, real ones for ``--interval``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


#: ``--until``'s type (virtual seconds): the same check.
virtual_seconds = seconds


def positive(text: str) -> int:
    """A whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1 to 65535)")
    return value


class Formatter(argparse.HelpFormatter):
    """Prose wrapped to the terminal; a line that starts with a space (an example) kept as written;
    an option's default said where its help does not say it."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            if line.startswith(" ") or not line.strip():
                lines.append(indent + line if line.strip() else "")
            else:
                lines.append(textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent))
        return "\n".join(lines)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        trivial = default in (None, False, argparse.SUPPRESS) or default == [] or default == ""
        if action.option_strings and not trivial and "default" not in text and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


class _Output(argparse.Action):
    """``--output json|table``: sets ``json`` as ``--json`` does."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        namespace.json = values == "json"


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the tree with its command path (``()`` for ``endpointctl`` itself)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from commands(child, (*path, name))


def finish(top: argparse.ArgumentParser) -> None:
    """Examples, the formatter and ``--output`` for every command of ``top`` (see the docstring)."""
    for path, parser in commands(top):
        parser.formatter_class = Formatter
        examples = EXAMPLES.get(path, ())
        if examples:
            shown = "examples:\n" + "\n".join(f"  {example}" for example in examples)
            parser.epilog = f"{shown}\n\n{parser.epilog}" if parser.epilog else shown
        flags = {option: action for action in parser._actions for option in action.option_strings}
        json_flag = flags.get("--json")
        if json_flag is not None and "--output" not in flags:
            json_flag.help = f"{json_flag.help or 'print JSON'} (the same as --output json)"
            parser.add_argument(
                "--output",
                choices=OUTPUTS,
                action=_Output,
                default="table",
                help="json: the result as JSON, for scripts; table: readable lines",
            )


def example_commands() -> Sequence[tuple[tuple[str, ...], str]]:
    """Every example with its command path: what a test parses."""
    return [(path, example) for path, examples in EXAMPLES.items() for example in examples]
