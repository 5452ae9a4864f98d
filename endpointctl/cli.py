"""``endpointctl``: the controller's command line.

``endpointctl local run REQUEST.json [--scenario S] [--json] [--parallel]`` runs the synthesized
state machine in-process (CONTRACT §3); ``endpointctl local demo`` is a short tour;
``endpointctl diagram`` prints the state machine as Mermaid.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from endpointctl.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, read_json


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
    except (SynthError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None


def _check_scenario(scenario: Any) -> None:
    """A bad scenario is refused before anything is synthesized or started."""
    from endpointctl.runner.local_runner import read_scenario
    from endpointctl.sim.scenario import ScenarioError

    try:
        read_scenario(scenario)
    except ScenarioError as exc:
        raise UsageError(f"scenario: {exc}") from None


def cmd_local_run(args: argparse.Namespace) -> int:
    document = read_json(args.request, "request")
    scenario = read_json(args.scenario, "scenario") if args.scenario else None
    if scenario is not None and not isinstance(scenario, dict):
        raise UsageError(f"scenario {args.scenario}: must be a JSON object")
    many = isinstance(document, list)
    requests = document if many else [document]
    if not requests:
        raise UsageError(f"request {args.request}: the array is empty")
    _check_scenario(scenario)
    from endpointctl.runner import run_requests

    runs, results = run_requests(
        _template(args), requests, scenario, parallel=args.parallel, until=args.until
    )
    if args.json:
        print(json.dumps(results if many else results[0], indent=2))
    else:
        from endpointctl.report import render

        for run, result in zip(runs, results, strict=True):
            print(render(run, result))
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

    template = _template(args)
    for scene in demo_scenes():
        runs, results = run_requests(template, [scene.request], scene.scenario)
        print(f"## {scene.title}")
        print(render(runs[0], results[0]))
        event = (results[0]["notifications"]["events"] or [{}])[0]
        detail = event.get("detail", {})
        shown = {k: detail[k] for k in ("endpointId", "endpointUrl", "error", "rollback") if k in detail}
        print(f"notification: {event.get('detail-type')} {json.dumps(shown)}")

        print()
    return EXIT_OK


def cmd_diagram(args: argparse.Namespace) -> int:
    from endpointctl.diagram import mermaid
    from endpointctl.template import state_machines

    machines = state_machines(_template(args))
    print(mermaid(machines[args.type or next(iter(machines))].definition))
    return EXIT_OK


def cmd_local_deploy(args: argparse.Namespace) -> int:
    from controller import catalog
    from endpointctl import deploy, project_root

    root = project_root()
    context = _context(args.context)
    try:
        server = deploy.start_server(args.port)
    except deploy.DeployError as exc:
        raise UsageError(str(exc)) from None
    keep = False
    try:
        env = deploy.environment(server)
        print(f"moto server: {server.url} (pid {server.pid})", flush=True)
        started = time.monotonic()
        print("cdk bootstrap ...", flush=True)
        deploy.bootstrap(root, env)
        print("cdk deploy ...", flush=True)
        outputs = deploy.deploy(root, env, context)
        print(f"deployed in {time.monotonic() - started:.0f} s; stack outputs:")
        for key, value in sorted(outputs.items()):
            print(f"  {key} = {value}")
        keep = args.keep
        if keep:
            print()
            print(
                f"The server keeps running (pid {server.pid}). Point the AWS CLI, boto3 and endpointctl at it:"
            )
            print(f"  {deploy.shell_exports(server)}")
            print("  aws stepfunctions list-state-machines")
            print(f"  endpointctl submit --direct events/{next(iter(catalog.names()))}-create.json")
            print(f"Stop it with: kill {server.pid}")
        return EXIT_OK
    except deploy.DeployError as exc:
        print(f"endpointctl: {exc}", file=sys.stderr)
        print(f"(the moto server's log: {server.log})", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: stopping the moto server", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if not keep:
            server.stop()


def cmd_bench(args: argparse.Namespace) -> int:
    from endpointctl import bench, project_root

    print(bench.main(_template(args), project_root(), quick=args.quick))
    return EXIT_OK


def _virtual_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="endpointctl", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = top.add_subparsers(dest="command", required=True)

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

    local = commands.add_parser("local", help="run the synthesized state machines in-process").add_subparsers(
        dest="local", required=True
    )
    run = local.add_parser("run", help="run REQUEST.json (one request or an array) through its state machine")
    run.add_argument("request", metavar="REQUEST.json")
    run.add_argument("--scenario", metavar="SCENARIO.json", help="how the simulated services behave")
    run.add_argument("--json", action="store_true", help="print the result object(s) as JSON")
    run.add_argument("--parallel", action="store_true", help="start an array's requests together")
    run.add_argument(
        "--until",
        type=_virtual_seconds,
        metavar="SECONDS",
        help="keep the simulated world running until this virtual time after the start (expiry, clean-up)",
    )
    common(run)
    run.set_defaults(func=cmd_local_run)
    demo = local.add_parser("demo", help="a short tour: endpoints becoming ready and failing with rollback")
    common(demo)
    demo.set_defaults(func=cmd_local_demo)
    bench = commands.add_parser("bench", help="measure waiting: transitions, invocations, calls, latency")
    bench.add_argument("--quick", action="store_true", help="skip the import-time measurement")
    common(bench)
    bench.set_defaults(func=cmd_bench)
    diagram = commands.add_parser("diagram", help="print a lifecycle state machine as a Mermaid diagram")
    diagram.add_argument("--type", default=None, help="an endpoint type (default: the first one)")
    common(diagram)
    diagram.set_defaults(func=cmd_diagram)
    deploy = local.add_parser(
        "deploy", help="cdk bootstrap + deploy into a moto server on 127.0.0.1 (no AWS account needed)"
    )
    deploy.add_argument("--keep", action="store_true", help="leave the server running and say how to use it")
    deploy.add_argument("--port", type=int, default=None, help="the server's port (default: a free one)")
    deploy.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CDK context, as with cdk deploy -c",
    )
    deploy.set_defaults(func=cmd_local_deploy)
    from endpointctl import ops

    ops.register(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"endpointctl: {exc}", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    """The console script: exit with ``main``'s code even if a stopped execution's thread lingers."""
    import os
    import threading

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if threading.active_count() > 1:
        os._exit(code)  # a daemon thread at interpreter shutdown could lose buffered output
    sys.exit(code)


if __name__ == "__main__":
    run()
