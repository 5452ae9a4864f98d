"""``endpointctl local deploy``, ``local serve``, ``local destroy`` and ``local env``: the served
world from the command line.

``local deploy`` installs the pinned CDK CLI if it is missing, starts the served world as a child
process, bootstraps and deploys the stack into it, and stops it again, unless ``--keep``: then the
world keeps serving the deployed stack (its state machines execute, its functions run the
controller's handlers) until ``local destroy`` destroys the stack and stops it. ``local serve``
runs the world in the foreground, for a deploy of one's own (``cdk deploy`` with
``AWS_ENDPOINT_URL``). ``local env`` prints the ``export`` line of the kept deploy (``eval`` it), and
``--unset`` the line that forgets it again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from endpointctl.errors import EXIT_FAILED, EXIT_OK, UsageError, read_json

#: Seconds until a polling type's first look in a local deploy (CDK context
#: ``<type>FirstCheckSeconds``; the deployed default, minutes, suits real endpoints, not simulated
#: ones that are ready in seconds). Context given with ``-c`` wins.
LOCAL_FIRST_CHECK_SECONDS = 5


def local_context(given: dict[str, Any]) -> dict[str, Any]:
    """``given`` (``-c``), with a short first look for the types that poll (see above)."""
    from endpointctl.sim import simulators
    from infra.catalog import context_key

    context = {
        context_key(name, "FirstCheckSeconds"): LOCAL_FIRST_CHECK_SECONDS
        for name, kind in simulators().items()
        if not kind.emits_events
    }
    return {**context, **given}


def scenario_file(path: str | None) -> Path | None:
    """The ``--scenario`` file, checked now (a bad one is refused before anything starts)."""
    if path is None:
        return None
    from endpointctl.runner.scenario import read_scenario
    from endpointctl.served.world import live_scenario
    from endpointctl.sim.scenario import ScenarioError

    document = read_json(path, "scenario")
    if not isinstance(document, dict):
        raise UsageError(f"scenario {path}: must be a JSON object")
    try:
        read_scenario(live_scenario(document))
    except ScenarioError as exc:
        raise UsageError(f"scenario: {exc}") from None
    return Path(path)


def _durations(path: Path | None) -> str:
    from endpointctl.served.world import LIVE_DURATIONS

    if path is not None:
        return f"the simulated services behave as {path} says"
    create, delete = LIVE_DURATIONS["createSeconds"], LIVE_DURATIONS["deleteSeconds"]
    return (
        f"simulated endpoints take {create:g} s to create and {delete:g} s to delete (--scenario to "
        "change; a delete ends at the controller's next look, a poll interval after it starts: 30 s, "
        "Amazon ML's 15 s)"
    )


def cmd_deploy(args: argparse.Namespace, given: dict[str, Any]) -> int:
    """``endpointctl local deploy`` (``given``: the ``-c`` context, parsed)."""
    from controller import catalog
    from endpointctl import deploy, node_tools, project_root
    from endpointctl.served import kept as kept_server
    from endpointctl.synth import cache_folder

    root = project_root()
    context = local_context(given)
    scenario = scenario_file(getattr(args, "scenario", None))
    if args.keep:
        _refuse_second(root)
    # Node.js missing or too old, or npm ci failing: node_tools.ToolsMissing, a setup problem (exit 2).
    node_tools.ensure(node_tools.CDK, emit=lambda line: print(line, flush=True), root=root)
    try:
        state = kept_server.state_file(root) if args.keep else None
        server = deploy.start_server(args.port, scenario=scenario, state=state)
    except deploy.DeployError as exc:
        print(f"endpointctl: {exc}", file=sys.stderr)
        return EXIT_FAILED
    keep = False
    try:
        env = deploy.environment(server)
        print(f"simulated account: {server.url} (pid {server.pid})", flush=True)
        started = time.monotonic()
        if cache_folder(root) is None:  # the caches are off: the deploy synthesizes
            print("cdk bootstrap ...", flush=True)
            deploy.bootstrap(root, env)
        elif deploy.cached_assembly(root, context) is not None:
            print("cdk bootstrap (this code and context are synthesized already) ...", flush=True)
            deploy.bootstrap(root, env)
        else:
            print("cdk bootstrap, and cdk synth meanwhile ...", flush=True)
            with ThreadPoolExecutor(max_workers=1) as pool:
                synthesized = pool.submit(deploy.assembly, root, env, context)
                deploy.bootstrap(root, env)
                synthesized.result()
        print("cdk deploy ...", flush=True)
        outputs = deploy.deploy(root, env, context)
        print(f"deployed in {time.monotonic() - started:.0f} s; stack outputs:")
        for key, value in sorted(outputs.items()):
            print(f"  {key} = {value}")
        keep = args.keep
        if keep:
            kept_server.record(root, server, context)
            example = f"events/{next(iter(catalog.names()))}-create.json"
            print()
            print(
                f"The simulated account keeps serving the stack (pid {server.pid}): its state machines run, "
                f"its functions run the controller's handlers, and {_durations(scenario)}. "
                'Point endpointctl, the AWS CLI and boto3 at it (eval "$(endpointctl local env)" says it again):'
            )
            print(f"  {deploy.shell_exports(server)}")
            print(f"  endpointctl submit --watch {example}")
            print(
                "  endpointctl list          (then describe, watch, stop or logs one by its name or requestId)"
            )
            print("  aws stepfunctions list-executions --state-machine-arn <a StateMachineArn above>")
            print("Destroy the stack and stop the server with: endpointctl local destroy")
        return EXIT_OK
    except deploy.DeployError as exc:
        print(f"endpointctl: {exc}", file=sys.stderr)
        tail = server.log_tail()
        if tail.strip():
            print(f"(the server's log ends:)\n{tail}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: stopping the server", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if not keep:
            server.stop()
            server.remove()


def _refuse_second(root: Path) -> None:
    from endpointctl.served import kept as kept_server

    kept = kept_server.recorded(root)
    if kept is None:
        return
    if kept_server.serving(kept.pid):
        raise UsageError(
            f"a kept local deploy is running ({kept.url}, pid {kept.pid}): "
            "stop it first with `endpointctl local destroy`"
        )
    kept_server.stop_recorded(kept)  # a server that died without cleaning up: its folder goes now


def cmd_destroy(args: argparse.Namespace) -> int:
    """``endpointctl local destroy``: ``cdk destroy`` in the kept server, then stop it."""
    from endpointctl import deploy, project_root
    from endpointctl.served import kept as kept_server

    root = project_root()
    kept = kept_server.recorded(root)
    if kept is None:
        raise UsageError("no kept local deploy on record (`endpointctl local deploy --keep` makes one)")
    code = EXIT_OK
    if not kept_server.serving(kept.pid):
        print(f"the kept server (pid {kept.pid}) is not running any more; removing its record")
    elif not args.stop_only:
        print(f"cdk destroy ({kept.url}) ...", flush=True)
        started = time.monotonic()
        try:
            env = deploy.environment(kept.server())
            deploy.destroy(root, env, kept.context)
            print(f"destroyed in {time.monotonic() - started:.0f} s")
        except deploy.DeployError as exc:
            print(f"endpointctl: {exc}", file=sys.stderr)
            code = EXIT_FAILED  # the server stops anyway: everything it held goes with it
    kept_server.stop_recorded(kept)
    kept_server.forget(root, kept)  # a shell still pointed at it hears that it was destroyed
    print(f"stopped the server (pid {kept.pid}) and removed {kept.folder}")
    print(f"a shell pointed at it ({kept.url}) stops with: {kept_server.UNSET}")
    return code


def cmd_env(args: argparse.Namespace) -> int:
    """``endpointctl local env``: the ``export`` line of the running kept deploy (``--unset``: the
    ``unset`` line that undoes it, whatever is on record)."""
    from endpointctl import deploy, project_root
    from endpointctl.served import kept as kept_server

    if args.unset:
        print("unset " + " ".join([*deploy.CREDENTIALS, "AWS_ENDPOINT_URL"]))
        return EXIT_OK
    root = project_root()
    kept = kept_server.recorded(root)
    if kept is None or not kept_server.serving(kept.pid):
        gone = kept_server.destroyed(root)
        state = (
            "the kept local deploy recorded there is not running any more"
            if kept is not None
            else f"the last kept local deploy (port {gone[0]}) was destroyed at {gone[1]}"
            if gone
            else "no kept local deploy is recorded"
        )
        raise UsageError(f"{state}: `endpointctl local deploy --keep` starts one")
    print(deploy.shell_exports(kept.url))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """``endpointctl local serve``: the served world in the foreground until Ctrl-C."""
    from endpointctl import deploy
    from endpointctl.served.server import serve

    path = scenario_file(args.scenario)
    scenario = json.loads(path.read_text()) if path else None
    port = args.port or deploy.free_port()
    print(deploy.shell_exports(f"http://localhost:{port}"), flush=True)
    return serve(port, scenario=scenario)


def register(local: Any, deploy_parser: argparse.ArgumentParser) -> None:
    """Add ``--scenario`` to ``local deploy``, and the ``local serve``, ``local destroy`` and ``local
    env`` commands."""
    scenario_help = "how the simulated services behave (a scenario file, as for local run)"
    deploy_parser.add_argument("--scenario", metavar="SCENARIO.json", help=scenario_help)
    destroy = local.add_parser(
        "destroy",
        help="cdk destroy the stack a `local deploy --keep` left running, and stop its server",
        description=(
            "Destroy the stack that 'local deploy --keep' left running (cdk destroy against its "
            "server), then stop the server and remove its folder. Its record stays, saying it was "
            "destroyed, so that a command still pointed at its port says so."
        ),
    )
    destroy.add_argument(
        "--stop-only", action="store_true", help="only stop the server (everything it held goes with it)"
    )
    destroy.set_defaults(func=cmd_destroy)
    serve = local.add_parser(
        "serve",
        help="serve a simulated account on 127.0.0.1 in the foreground (for cdk deploy of your own)",
        description=(
            "Serve the simulated account (moto's API with executing state machines, the controller's "
            "handlers and the simulated endpoint services) on 127.0.0.1 in the foreground until "
            "Ctrl-C, for a cdk deploy of your own; it prints the export line that points the CDK CLI, "
            "the AWS CLI and endpointctl at it."
        ),
    )
    serve.add_argument("--port", type=int, default=None, help="the port (default: a free one)")
    serve.add_argument("--scenario", metavar="SCENARIO.json", help=scenario_help)
    serve.set_defaults(func=cmd_serve)
    env = local.add_parser(
        "env",
        help="print the export line of the kept local deploy (--unset: the unset line)",
        description=(
            "Print the shell line that points the AWS CLI, boto3 and endpointctl at the running kept "
            "local deploy (export AWS_ENDPOINT_URL=... and test credentials), from its record; eval "
            "it. With --unset, the line that undoes it, for after 'local destroy'. Exit 2 when no kept "
            "deploy is running."
        ),
    )
    env.add_argument("--unset", action="store_true", help="print the unset line instead")
    env.set_defaults(func=cmd_env)
