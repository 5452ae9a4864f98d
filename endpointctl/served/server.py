"""The served world's process: moto's HTTP API on loopback in front of a :class:`ServedWorld`.

``python -m endpointctl.served --port P [--dir D] [--scenario FILE] [--state FILE]`` (what
``endpointctl local deploy`` starts, and ``endpointctl local serve`` runs in the foreground). It
answers at ``http://localhost:P`` like ``moto_server`` does, one request at a time, until SIGTERM,
SIGINT or SIGHUP; then it removes ``--dir`` (the folder it was given to own: its log, the CDK CLI's
cache) and ``--state`` if that file still names this process, and exits.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def _remove_owned(folder: Path | None, state: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    if state is not None:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state.read_text()).get("pid") == os.getpid():
                state.unlink()


def serve(
    port: int,
    *,
    host: str = "127.0.0.1",
    scenario: dict[str, Any] | None = None,
    folder: Path | None = None,
    state: Path | None = None,
) -> int:
    """Serve until a signal, then remove what this process owns (a failure leaves ``folder``, and
    the log in it, to whoever started it)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from endpointctl.served.world import ServedWorld

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    class Handler(MotoRequestHandler):  # type: ignore[misc,valid-type]
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK (~40 ms a call), as in sim/emulator.py.
        disable_nagle_algorithm = True

    with ServedWorld(scenario) as world:
        app = world.wsgi(DomainDispatcherApplication(create_backend_app))
        server = make_server(host, port, app, threaded=True, request_handler=Handler)
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        print(f"serving the simulated account on http://localhost:{port}", flush=True)
        stop.wait()
        print("stopping", flush=True)
        server.shutdown()
    _remove_owned(folder, state)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m endpointctl.served", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--scenario", type=Path, help="how the simulated services behave (JSON)")
    parser.add_argument("--dir", type=Path, help="a folder this process owns: removed when it stops")
    parser.add_argument("--state", type=Path, help="removed when it stops, if it still names this process")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        scenario = json.loads(args.scenario.read_text()) if args.scenario else None
        code = serve(args.port, host=args.host, scenario=scenario, folder=args.dir, state=args.state)
    except BaseException as exc:  # the log says why; the parent sees the exit
        import traceback

        traceback.print_exc()
        print(f"endpointctl.served: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        _remove_owned(None, args.state)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # executions' and timers' threads must not keep a stopped server alive
