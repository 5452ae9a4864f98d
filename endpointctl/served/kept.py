"""A server ``endpointctl local deploy --keep`` left running: its record (``local destroy`` and a
second ``--keep`` read it), and how it is recognized and stopped."""

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
