"""``endpointctl``: the controller's command line.

``endpointctl local run REQUEST.json [--scenario S] [--json] [--parallel]`` runs the synthesized
state machine in-process (CONTRACT §3); ``endpointctl local demo`` is a short tour;
``endpointctl validate`` checks requests offline; ``endpointctl diagram`` prints the state machine
as Mermaid.

Nothing a user can type ends in a traceback: unusable arguments or files are one line each on
stderr (exit 2, :class:`~endpointctl.errors.UsageError`), argparse's own complaints included
(:class:`Parser`), and so is a setup that cannot run the command (no Node.js, or one too old, for
the local runner's IAM evaluator: :func:`_runner_tools`); a reader that stops reading (``| head``)
ends the command quietly; anything unforeseen is one line too (``ENDPOINTCTL_DEBUG=1`` shows its
traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from endpointctl import parsing, use_own_functions
from endpointctl.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, read_json
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


def _context(pairs: list[str]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-c {pair}: use key=value")
        try:
            context[key] = json.loads(value)
        except json.JSONDecodeError:
            context[key] = value
    return context


def _template(args: argparse.Namespace) -> dict[str, Any]:
    from endpointctl import project_root
    from endpointctl.synth import SynthError, synthesize

    try:
        return synthesize(project_root(), _context(args.context), use_cache=not args.no_cache)
    except SynthError as exc:
        from endpointctl import node_tools

        problem = node_tools.node_problem()  # jsii runs aws-cdk-lib under Node
        if problem is not None:
            raise UsageError(
                f"the synth runs aws-cdk-lib on Node.js, and {problem}: install Node.js "
                f"{node_tools.MIN_NODE} or later, then run this again"
            ) from None
        raise UsageError(synth_problem(str(exc))) from None
    except RuntimeError as exc:
        raise UsageError(str(exc)) from None


def synth_problem(message: str) -> str:
    """What a failed synth says, one problem per line: ``app.py`` names each bad context key on a
    line of its own (``context logRetentionDays=999: 1 to 365 days``); for any other failure, the
    last line of its error (``python app.py`` shows the whole of it)."""
    lines = [line.strip() for line in message.splitlines()[1:] if line.strip()]
    context = [line for line in lines if line.startswith("context ")]
    if context:
        return "\n".join(context)
    last = lines[-1] if lines else message
    return f"synth failed: {last} (python app.py shows the whole error)"


def _runner_tools() -> None:
    """What the local runner needs from Node.js, before any work: Node itself, and the IAM
    evaluator it authorizes every call with, installed with ``npm ci`` (a line on stderr saying so)
    when it is missing; else one line saying what to install, exit 2
    (``endpointctl.node_tools`` says why it installs rather than asks, and why Node is checked even
    when the evaluator's decisions are all on disk)."""
    from endpointctl import node_tools

    node_tools.ensure(node_tools.EVALUATOR, emit=lambda line: print(line, file=sys.stderr, flush=True))


def _check_scenario(scenario: Any) -> None:
    """A bad scenario is refused before anything is synthesized or started."""
    from endpointctl.runner.scenario import RUNNER_KEYS, read_scenario
    from endpointctl.sim import simulators
    from endpointctl.sim.scenario import ScenarioError, unknown_keys

    try:
        unknown_keys(scenario or {}, [*simulators(), *RUNNER_KEYS])
        read_scenario(scenario)
    except ScenarioError as exc:
        raise UsageError(f"scenario: {exc}") from None


def cmd_local_run(args: argparse.Namespace) -> int:
    from endpointctl.entries import delivered  # PutEvents entries: the events the bus delivers

    document = delivered(read_json(args.request, "request"), f"request {args.request}")
    scenario = read_json(args.scenario, "scenario") if args.scenario else None
    if scenario is not None and not isinstance(scenario, dict):
        raise UsageError(f"scenario {args.scenario}: must be a JSON object")
    many = isinstance(document, list)
    requests = document if many else [document]
    if not requests:
        raise UsageError(f"request {args.request}: the array is empty")
    _check_scenario(scenario)
    _runner_tools()
    from endpointctl.runner import run_requests

    runs, results = run_requests(
        _template(args), requests, scenario, parallel=args.parallel, until=args.until
    )
    if args.json:
        print(json.dumps(results if many else results[0], indent=2))
    else:
        from endpointctl.report import render

        for index, (run, result) in enumerate(zip(runs, results, strict=True)):
            print(render(run, result, index if many else None))
            print()
    return EXIT_OK if all(r["status"] == "SUCCEEDED" for r in results) else EXIT_FAILED


def demo_scenes() -> list[Any]:
    """The tour: each endpoint type's own scenes (its simulator's), then the refused requests."""
    from endpointctl.sim import simulators

    scenes = [scene for kind in simulators().values() for scene in kind.demo]
    return [s for s in scenes if not s.refused] + [s for s in scenes if s.refused]


def cmd_local_demo(args: argparse.Namespace) -> int:
    from endpointctl.report import render
    from endpointctl.runner import run_requests

    _runner_tools()
    template = _template(args)
    scenes = demo_scenes()
    for number, scene in enumerate(scenes, 1):
        runs, results = run_requests(template, [scene.request], scene.scenario)
        print(f"{number}/{len(scenes)}. {scene.title}")
        print(render(runs[0], results[0]))  # its notification included
        print(flush=True)
    return EXIT_OK


def cmd_diagram(args: argparse.Namespace) -> int:
    from controller import catalog
    from controller.phrasing import suggestion
    from endpointctl.diagram import mermaid
    from endpointctl.template import state_machines

    known = catalog.names()
    if args.type is not None and args.type not in known:  # before the synth: said at once
        raise UsageError(
            f"diagram --type {args.type}: not an endpoint type; one of {', '.join(known)}"
            + suggestion(args.type, known)
        )
    machines = state_machines(_template(args))
    kind = args.type or next(iter(machines))
    if kind not in machines:
        raise UsageError(f"diagram --type {kind}: this synth has no {kind} state machine (-c endpointTypes)")
    print(mermaid(machines[kind].definition))
    return EXIT_OK


def cmd_local_deploy(args: argparse.Namespace) -> int:
    from endpointctl.served.commands import cmd_deploy

    return cmd_deploy(args, _context(args.context))


def cmd_bench(args: argparse.Namespace) -> int:
    from endpointctl import bench, project_root

    _runner_tools()
    if args.scale is not None:
        from endpointctl import scale_bench

        print(scale_bench.main(_template(args), args.scale))
        return EXIT_OK
    print(bench.main(_template(args), project_root(), quick=args.quick))
    return EXIT_OK


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
