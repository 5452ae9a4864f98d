"""The commands that run the controller here, from the synthesized app: ``local run``, ``local
demo``, ``local deploy``, ``diagram`` and ``bench`` (their arguments are ``endpointctl.cli``'s; the
commands against a deployed stack are ``endpointctl.ops``', the kept local deploy's
``endpointctl.served``').

A setup that cannot run one (no Node.js, or one too old, for the local runner's IAM evaluator:
:func:`_runner_tools`; a synth that fails: :func:`synth_problem`) is one line on stderr, exit 2
(:class:`~endpointctl.errors.UsageError`), as an unusable argument is.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from endpointctl.errors import EXIT_FAILED, EXIT_OK, UsageError, read_json


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
