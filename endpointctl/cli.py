"""``endpointctl``: the controller's command line.

``endpointctl local run REQUEST.json [--scenario S] [--json] [--parallel]`` runs the synthesized
state machine in-process (docs/local-runner.md); ``endpointctl local demo`` is a short tour;
``endpointctl validate`` checks requests offline; ``endpointctl diagram`` prints the state machine
as Mermaid.

Nothing a user can type ends in a traceback: unusable arguments or files are one line each on
stderr (exit 2, :class:`~endpointctl.errors.UsageError`), argparse's own complaints included
(:class:`Parser`), and so is a setup that cannot run the command (no Node.js, or one too old, for
the local runner's IAM evaluator: ``endpointctl.commands``); a reader that stops reading (``| head``)
ends the command quietly; anything unforeseen is one line too (``ENDPOINTCTL_DEBUG=1`` shows its
traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from endpointctl import parsing, use_own_functions
from endpointctl.commands import cmd_bench, cmd_diagram, cmd_local_demo, cmd_local_deploy, cmd_local_run
from endpointctl.errors import EXIT_FAILED, EXIT_USAGE, UsageError
from endpointctl.parsing import Parser, port, usage, virtual_seconds

#: The exit code after the reader of the output went away (``| head``): a shell's for SIGPIPE.
EXIT_PIPE = 141
#: The exit code after Ctrl-C (a shell's for SIGINT).
EXIT_INTERRUPTED = 130

DESCRIPTION = (
    "The ML endpoint controller's command line: run requests through the synthesized state machines "
    "locally, with no AWS account (endpointctl local), check them offline (validate), or send them to "
    "a deployed stack and follow them (submit, watch, list, describe, stop, logs)."
)
EPILOG = (
    "exit codes: 0 success; 1 an execution failed, a request is invalid or an AWS call failed; "
    "2 unusable arguments or files, or no usable Node.js (one line on stderr each); 141 the output's "
    "reader stopped reading (| head). ENDPOINTCTL_DEBUG=1 shows the traceback of an unexpected error."
)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("ml-endpoint-controller")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


class _Version(argparse.Action):
    """``--version``, its number read only when asked (``importlib.metadata`` costs ~25 ms)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"endpointctl {_version()}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="endpointctl", description=DESCRIPTION, epilog=EPILOG)
    top.add_argument("--version", action=_Version, help="show the version and exit")
    top.set_defaults(func=usage(top))
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-c",
            "--context",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="CDK context, as with cdk synth -c",
        )
        p.add_argument(
            "--no-cache", action="store_true", help="synthesize again even if the cached template is current"
        )

    group = commands.add_parser(
        "local",
        help="the controller without an AWS account: run, demo, deploy (and serve, destroy, env)",
        description=(
            "The controller without an AWS account. 'run' runs requests through the synthesized state "
            "machines in-process, against simulated services on a virtual clock; 'demo' is a short tour "
            "of it; 'deploy' deploys the stack with the real CDK CLI into a simulated account on "
            "127.0.0.1 ('serve' and 'destroy' manage that account), where submit, watch and list work "
            "as against AWS; 'env' prints the line that points a shell at it."
        ),
    )
    group.set_defaults(func=usage(group))
    local = group.add_subparsers(dest="local", metavar="COMMAND")
    run = local.add_parser(
        "run",
        help="run REQUEST.json (one request or an array) through its state machine",
        description=(
            "Run REQUEST.json (a request, an EventBridge event whose detail is one, PutEvents entries "
            "whose Detail is one, or a JSON array of them, run one after another in one simulated world) "
            "through its synthesized state machine, "
            "in-process. Exit codes: 0 every execution succeeded, 1 one did not, 2 unusable arguments "
            "or files, or no Node.js for the IAM evaluator (installed with npm ci when missing)."
        ),
    )
    run.add_argument("request", metavar="REQUEST.json")
    run.add_argument("--scenario", metavar="SCENARIO.json", help="how the simulated services behave")
    run.add_argument("--json", action="store_true", help="print the result object(s) as JSON")
    run.add_argument("--parallel", action="store_true", help="start an array's requests together")
    run.add_argument(
        "--until",
        type=virtual_seconds,
        metavar="SECONDS",
        help="keep the simulated world running until this virtual time after the start (expiry, clean-up)",
    )
    common(run)
    run.set_defaults(func=cmd_local_run)
    demo = local.add_parser(
        "demo",
        help="a short tour: endpoints becoming ready and failing with rollback",
        description="A short tour: each endpoint type's endpoint becoming ready, and failing with rollback.",
    )
    common(demo)
    demo.set_defaults(func=cmd_local_demo)
    bench = commands.add_parser(
        "bench",
        help="measure waiting: transitions, invocations, calls, latency",
        description=(
            "Measure what waiting costs: for each endpoint type and a range of service durations, the "
            "state transitions, Lambda invocations, service calls and detection latency of the "
            "controller's adaptive polling next to a fixed 30-s loop, run by the local runner; and the "
            "handler's import time. Prints a Markdown table."
        ),
    )
    bench.add_argument("--quick", action="store_true", help="skip the import-time measurement")
    bench.add_argument(
        "--scale",
        type=parsing.positive,
        default=None,
        metavar="N",
        help=(
            "instead: N lifecycles at once in one simulated world (every type; creates, updates and "
            "deletes; a tenth failing): per kind of operation, outcomes, transitions, invocations, "
            "calls, detection latency and US dollars per operation"
        ),
    )
    common(bench)
    bench.set_defaults(func=cmd_bench)
    diagram = commands.add_parser(
        "diagram",
        help="print a lifecycle state machine as a Mermaid diagram",
        description=(
            "Print an endpoint type's lifecycle state machine, as synthesized, as a Mermaid flowchart "
            "(GitHub renders it in a mermaid code block)."
        ),
    )
    diagram.add_argument(
        "--type", default=None, help="an endpoint type: sagemaker, aml, ... (default: the first synthesized)"
    )
    common(diagram)
    diagram.set_defaults(func=cmd_diagram)
    deploy = local.add_parser(
        "deploy",
        help="cdk bootstrap + deploy into a simulated account on 127.0.0.1 (no AWS account needed)",
        description=(
            "Deploy the stack with the pinned CDK CLI (cdk bootstrap, cdk deploy) into a simulated "
            "account served on 127.0.0.1, and print its outputs; no AWS account needed. The server "
            "stops when the command ends, unless --keep: then it keeps serving the stack (its state "
            "machines run, its functions run the controller's handlers) for submit, watch, list, "
            "describe, stop, logs and the AWS CLI, until 'endpointctl local destroy'."
        ),
    )
    deploy.add_argument(
        "--keep", action="store_true", help="leave the server running the stack and say how to use it"
    )
    deploy.add_argument("--port", type=port, default=None, help="the server's port (default: a free one)")
    deploy.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CDK context, as with cdk deploy -c",
    )
    deploy.set_defaults(func=cmd_local_deploy)
    from endpointctl import served

    served.register(local, deploy)  # local deploy --scenario, local serve, local destroy
    from endpointctl import ops, validate

    validate.register(commands)
    ops.register(commands)

    parsing.finish(top)  # examples, defaults and --output for every command
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        for line in str(exc).splitlines() or [""]:
            print(f"endpointctl: {line}", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    """The console script: exit with ``main``'s code even if a stopped execution's thread lingers;
    quietly when the output's reader went away; in one line when something unforeseen broke."""
    import threading

    # The handlers' environment, as deployed (infra/function.py): the process runs them, and
    # pydantic's search for plugins, at its first model, would read every installed package.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    use_own_functions()
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `endpointctl … | head`: the reader has what it wanted. Later writes (the interpreter's
        # own flush at exit) go nowhere instead of raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_PIPE
    except KeyboardInterrupt:
        print("endpointctl: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("ENDPOINTCTL_DEBUG"):
            raise
        detail = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"endpointctl: unexpected error: {type(exc).__name__}"
            + (f": {detail}" if detail else "")
            + " (ENDPOINTCTL_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        code = EXIT_FAILED
    sys.stderr.flush()
    if threading.active_count() > 1:
        os._exit(code)  # a daemon thread at interpreter shutdown could lose buffered output
    sys.exit(code)


if __name__ == "__main__":
    run()
