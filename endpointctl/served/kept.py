"""A server ``endpointctl local deploy --keep`` left running: its record (``local destroy``, ``local
env`` and a second ``--keep`` read it), how it is recognized and stopped, and what a command that
cannot reach ``AWS_ENDPOINT_URL`` says about it (:func:`dead_endpoint`).

After ``local destroy`` the record says so (:func:`forget`: its port and when), so that a shell
still pointed at the port hears that the deploy was destroyed, not merely that nothing answers."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from endpointctl.deploy import SERVED_MODULE, MotoServer

#: Where a kept server is recorded (``local destroy`` reads it); the variable overrides the path.
STATE_VARIABLE = "ENDPOINTCTL_LOCAL_STATE"


@dataclass
class Kept:
    """A server ``local deploy --keep`` left running, as recorded for ``local destroy``."""

    pid: int
    port: int
    folder: str
    context: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def server(self) -> MotoServer:
        return MotoServer(port=self.port, process=None, log=Path(self.folder) / f"server-{self.port}.log")


def state_file(root: Path) -> Path:
    from endpointctl.synth import CACHE_DIR_NAME

    given = os.environ.get(STATE_VARIABLE)
    return Path(given) if given else root / CACHE_DIR_NAME / "local-deploy.json"


def record(root: Path, server: MotoServer, context: dict[str, Any]) -> Path:
    path = state_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = Kept(pid=server.pid, port=server.port, folder=str(server.folder), context=context)
    path.write_text(json.dumps(asdict(kept), indent=2))
    return path


def forget(root: Path, kept: Kept) -> None:
    """What ``local destroy`` leaves on record: the port it served on, and when it was destroyed."""
    from datetime import UTC, datetime

    path = state_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(json.dumps({"destroyed": {"port": kept.port, "at": when}}, indent=2))


def destroyed(root: Path) -> tuple[int, str] | None:
    """The port and time of the last destroyed kept deploy, if that is what the record says."""
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError, AttributeError):
        gone = json.loads(state_file(root).read_text())["destroyed"]
        return int(gone["port"]), str(gone["at"])
    return None


UNSET = 'eval "$(endpointctl local env --unset)"'


def dead_endpoint(root: Path, url: str) -> str:
    """Why nothing answers at ``url`` (the ``AWS_ENDPOINT_URL`` a command used), as far as the
    kept deploy's record tells, and what to do: point the shell elsewhere, or deploy again."""
    from urllib.parse import urlsplit

    try:
        port = urlsplit(url).port
    except ValueError:
        port = None
    kept = recorded(root)
    again = "`endpointctl local deploy --keep` starts a new one"
    if kept is None:
        gone = destroyed(root)
        if gone is not None:
            where = "on this port" if gone[0] == port else f"on port {gone[0]}"
            return f"the kept local deploy {where} was destroyed at {gone[1]}: {UNSET} stops using it, or {again}"
        return f"no kept local deploy is recorded: {UNSET} stops using {url}, or {again}"
    if not serving(kept.pid):
        return (
            f"the kept local deploy recorded on port {kept.port} is not running any more: "
            f"`endpointctl local destroy` removes its record, then {again}"
        )
    if kept.port != port:
        return f'the kept local deploy is on port {kept.port}, not {port}: eval "$(endpointctl local env)" points at it'
    return f"the kept local deploy on port {kept.port} (pid {kept.pid}) is running but did not answer"


def recorded(root: Path) -> Kept | None:
    """The kept server on record (whether or not it still runs); None if there is none."""
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        data = json.loads(state_file(root).read_text())
        return Kept(
            pid=int(data["pid"]), port=int(data["port"]), folder=str(data["folder"]), context=data["context"]
        )
    return None


def serving(pid: int) -> bool:
    """``pid`` is a running served world (not a process that reused the number)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(pid, 0)
            return True  # no /proc: trust the record
        return False
    return SERVED_MODULE.encode() in command


def stop_recorded(kept: Kept, timeout: float = 15) -> None:
    """Stop a kept server (SIGTERM: it removes its folder and the record), then make sure both are gone."""
    if serving(kept.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(kept.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while serving(kept.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if serving(kept.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(kept.pid, signal.SIGKILL)
    shutil.rmtree(kept.folder, ignore_errors=True)
