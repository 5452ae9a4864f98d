"""``endpointctl local deploy``: the real CDK CLI deploys the stack into a moto server on loopback.

No AWS account: a moto server (``moto[server]``) runs on 127.0.0.1 on an ephemeral port, and the
pinned CDK CLI (``node_modules/.bin/cdk``) bootstraps and deploys into it with the standard
``AWS_ENDPOINT_URL``. The server is this command's own child process: it is stopped on exit or
Ctrl-C (that process, nothing broader), unless ``--keep`` leaves it running.

What moto holds afterwards is the deployed stack: functions with the real asset, state machines
with resolved definitions, the bus, rules, topics, alarms and outputs. (State machines created
through moto's CloudFormation do not execute; the local runner proves behaviour.)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


class DeployError(RuntimeError):
    """A step of the local deploy failed; the message says which and carries the CLI's output."""


@dataclass
class MotoServer:
    """A moto server process on 127.0.0.1 (an ephemeral port unless one is given)."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        # "localhost", not "127.0.0.1": moto would read the template bucket's host as "127".
        return f"http://localhost:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int | None = None, log_dir: Path | None = None) -> MotoServer:
    """Start moto's server and wait until it answers."""
    port = port or free_port()
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="endpointctl-moto-"))
    log = log_dir / f"moto-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches endpointctl, which stops the server itself
    )
    server = MotoServer(port=port, process=process, log=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeployError(f"the moto server exited at once:\n{log.read_text()[-2000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2),
        ):
            return server
        time.sleep(0.2)
    server.stop()
    raise DeployError(f"the moto server did not answer on port {port} within 30 s")


@contextlib.contextmanager
def running_server(port: int | None = None, *, keep: bool = False) -> Iterator[MotoServer]:
    server = start_server(port)
    try:
        yield server
    finally:
        if not keep:
            server.stop()


def environment(server: MotoServer) -> dict[str, str]:
    """What the CDK CLI (and boto3) need to talk to the moto server instead of AWS."""
    venv_bin = str(Path(sys.executable).parent)
    home = server.log.parent / "cdk-home"  # the CLI's cache and notices: per server, not ~/.cdk
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": server.url,
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_HOME": str(home),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        # cdk.json runs `python3 app.py`: this interpreter's venv must come first.
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CDK_DEFAULT_ACCOUNT"):
        env.pop(name, None)
    return env


def cdk_command(root: Path) -> list[str]:
    local = root / "node_modules" / ".bin" / "cdk"
    if local.exists():
        return [str(local)]
    raise DeployError("the pinned CDK CLI is not installed: run `npm ci` (or `make test`) first")


def context_args(context: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in context.items():
        text = value if isinstance(value, str) else json.dumps(value)
        args += ["-c", f"{key}={text}"]
    return args


def cdk(root: Path, env: dict[str, str], *args: str, step: str) -> str:
    """Run the pinned CDK CLI; its combined output, or ``DeployError`` naming ``step``."""
    done = subprocess.run(
        [*cdk_command(root), *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise DeployError(f"cdk {step} failed (exit {done.returncode}):\n{output.strip()[-4000:]}")
    return output


def bootstrap(root: Path, env: dict[str, str]) -> None:
    cdk(root, env, "bootstrap", f"aws://{ACCOUNT}/{REGION}", step="bootstrap")


def deploy(root: Path, env: dict[str, str], context: dict[str, Any]) -> dict[str, str]:
    """``cdk deploy`` (direct: moto's change-set path loses outputs); the stack's outputs."""
    with tempfile.TemporaryDirectory(prefix="endpointctl-deploy-") as work:
        outputs_file = Path(work) / "outputs.json"
        cdk(
            root,
            env,
            "deploy",
            "--all",
            "--method=direct",
            "--no-previous-parameters",
            "--require-approval",
            "never",
            "--progress",
            "events",
            "--output",
            str(Path(work) / "cdk.out"),
            "--outputs-file",
            str(outputs_file),
            *context_args(context),
            step="deploy",
        )
        outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}
    return {key: str(value) for stack in outputs.values() for key, value in stack.items()}


def destroy(root: Path, env: dict[str, str], context: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="endpointctl-destroy-") as work:
        cdk(
            root,
            env,
            "destroy",
            "--all",
            "--force",
            "--output",
            str(Path(work) / "cdk.out"),
            *context_args(context),
            step="destroy",
        )


def shell_exports(server: MotoServer) -> str:
    """How to point the AWS CLI, boto3 and ``endpointctl`` at a kept server."""
    pairs = {**CREDENTIALS, "AWS_ENDPOINT_URL": server.url}
    return "export " + " ".join(f"{key}={value}" for key, value in pairs.items())


def node_available() -> bool:
    return shutil.which("node") is not None
