"""``endpointctl local deploy``: the real CDK CLI deploys the stack into a simulated account on loopback.

No AWS account: the served world (``endpointctl.served``: moto's API with the state machines
executing, the project's handlers running in-process and the simulated endpoint services) runs on
127.0.0.1 on an ephemeral port, and the pinned CDK CLI (``node_modules/.bin/cdk``, installed with
``npm ci`` on first use: ``endpointctl.node_tools``) bootstraps and deploys into it with the standard ``AWS_ENDPOINT_URL``.
The server is this command's own child process: it is stopped on exit or Ctrl-C (that process,
nothing broader) and its temporary folder removed, unless ``--keep`` leaves it running; then it
removes its folder itself when it stops (``endpointctl local destroy``, or a signal; its record is
``endpointctl.served.kept``'s). The cloud assembly of each code and context is synthesized once and
kept (:func:`assembly`), so a second deploy or a destroy deploys it as it is.
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

from endpointctl import node_tools
from endpointctl.node_tools import node_environment, quiet
from endpointctl.synth import cache_folder, evict, fingerprint, one_at_a_time

ACCOUNT = "123456789012"
REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}
#: The served world's module (``python -m``): also how a recorded pid is recognized as ours.
SERVED_MODULE = "endpointctl.served"
#: How long the server may take to answer after it starts.
START_SECONDS = 60


class DeployError(RuntimeError):
    """A step of the local deploy failed; the message says which and carries the CLI's output."""


# -- the server -----------------------------------------------------------------------------------
@dataclass
class MotoServer:
    """The served world's process on 127.0.0.1 (an ephemeral port unless one is given), and the
    temporary folder it owns (its log, the CDK CLI's cache)."""

    port: int
    process: subprocess.Popen[bytes] | None
    log: Path

    @property
    def folder(self) -> Path:
        return self.log.parent

    @property
    def url(self) -> str:
        # "localhost", not "127.0.0.1": moto would read the template bucket's host as "127".
        return f"http://localhost:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def remove(self) -> None:
        """Remove its folder (the server removes it too when it stops; this covers a crash)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    port: int | None = None, *, scenario: Path | None = None, state: Path | None = None
) -> MotoServer:
    """Start the served world in a temporary folder of its own and wait until it answers."""
    port = port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="endpointctl-moto-"))
    log = folder / f"server-{port}.log"
    command = [sys.executable, "-m", SERVED_MODULE, "--port", str(port), "--dir", str(folder)]
    if scenario is not None:
        command += ["--scenario", str(scenario.resolve())]
    if state is not None:
        command += ["--state", str(state)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches endpointctl, which stops the server itself
        )
    server = MotoServer(port=port, process=process, log=log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail(40)
            server.remove()
            raise DeployError(f"the server exited at once:\n{tail}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2),
        ):
            return server
        time.sleep(0.2)
    server.stop()
    server.remove()
    raise DeployError(f"the server did not answer on port {port} within {START_SECONDS} s")


@contextlib.contextmanager
def running_server(port: int | None = None, *, keep: bool = False) -> Iterator[MotoServer]:
    server = start_server(port)
    try:
        yield server
    finally:
        if not keep:
            server.stop()
            server.remove()


def environment(server: MotoServer) -> dict[str, str]:
    """What the CDK CLI (and boto3) need to talk to the server instead of AWS."""
    venv_bin = str(Path(sys.executable).parent)
    home = server.folder / "cdk-home"  # the CLI's cache and notices: per server, not ~/.cdk
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **CREDENTIALS,
        **node_environment(),
        "AWS_ENDPOINT_URL": server.url,
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_HOME": str(home),
        # cdk.json runs `python3 app.py`: this interpreter's venv must come first.
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CDK_DEFAULT_ACCOUNT"):
        env.pop(name, None)
    for name in [n for n in env if n.startswith("AWS_ENDPOINT_URL_")]:
        env.pop(name)  # a per-service endpoint would bypass the server
    return env


# -- the CDK CLI's steps --------------------------------------------------------------------------
def cdk_command(root: Path) -> list[str]:
    local = root / "node_modules" / ".bin" / "cdk"
    if local.exists():
        return [str(local)]
    raise DeployError("the pinned CDK CLI is not installed: run `npm ci` (or `make synth`) first")


def context_args(context: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in context.items():
        text = value if isinstance(value, str) else json.dumps(value)
        args += ["-c", f"{key}={text}"]
    return args


def cdk(root: Path, env: dict[str, str], *args: str, step: str, cwd: Path | None = None) -> str:
    """Run the pinned CDK CLI (in ``cwd``, by default the project); its combined output (Node's
    noise left out), or ``DeployError`` naming ``step``."""
    done = subprocess.run(
        [*cdk_command(root), *args], cwd=cwd or root, env=env, capture_output=True, text=True, check=False
    )
    output = quiet(done.stdout + done.stderr)
    if done.returncode != 0:
        raise DeployError(f"cdk {step} failed (exit {done.returncode}):\n{output.strip()[-4000:]}")
    return output


def bootstrap(root: Path, env: dict[str, str]) -> None:
    """``cdk bootstrap`` of the simulated account, run outside the project.

    In a folder with a ``cdk.json`` the CLI synthesizes the app before it bootstraps, even for an
    explicit ``aws://ACCOUNT/REGION`` (its ``--verbose`` log shows ``python3 app.py`` running,
    about 5 s of the 7.5 s it took here); the bootstrap stack needs nothing of the app (this
    ``cdk.json`` sets no bootstrap qualifier), so it runs in an empty folder and takes ~2.5 s.
    """
    with tempfile.TemporaryDirectory(prefix="endpointctl-bootstrap-") as empty:
        cdk(root, env, "bootstrap", f"aws://{ACCOUNT}/{REGION}", step="bootstrap", cwd=Path(empty))


#: Cloud assemblies kept in the cache (the most recently used): a deploy, a changed deploy, and a
#: few contexts more.
ASSEMBLIES_KEPT = 4


@contextlib.contextmanager
def assembled(root: Path, env: dict[str, str], context: dict[str, Any]) -> Iterator[Path]:
    """The cloud assembly ``cdk synth`` writes for ``context`` in the simulated account, as the
    pinned CLI writes it: :func:`assembly`'s cached one, or (the caches off) one synthesized for
    this use and removed after it."""
    if cache_folder(root) is not None:
        yield assembly(root, env, context)
        return
    with tempfile.TemporaryDirectory(prefix="endpointctl-assembly-") as work:
        out = Path(work) / "cdk.out"
        cdk(root, env, "synth", "--quiet", "--output", str(out), *context_args(context), step="synth")
        yield out


def assembly(root: Path, env: dict[str, str], context: dict[str, Any]) -> Path:
    """The cloud assembly ``cdk synth`` writes for ``context`` in the simulated account, kept in
    the cache (``.endpointctl-cache/assembly-*``; :func:`endpointctl.synth.cache_folder`).

    Its key is :func:`endpointctl.synth.fingerprint`'s (``app.py``, ``cdk.json``, ``infra/``,
    ``functions/``, the libraries) plus the context, the account and region the CLI gives the app,
    and the CLI's version: a deploy or destroy of unchanged code and context deploys the same
    assembly instead of synthesizing it again (``cdk deploy --app DIR``). Written to a temporary
    folder and renamed into place, so a concurrent reader sees a whole assembly or none.
    """
    target = _assembly_path(root, context)
    if target is None:
        raise DeployError("the caches are off (ENDPOINTCTL_CACHE_DIR is empty): use assembled()")
    if (target / "manifest.json").is_file():
        with contextlib.suppress(OSError):
            os.utime(target)
        return target
    with one_at_a_time(target):  # a second deploy of the same code and context waits for this one
        if not (target / "manifest.json").is_file():
            _synthesize_into(root, env, context, target)
    return target


def _synthesize_into(root: Path, env: dict[str, str], context: dict[str, Any], target: Path) -> None:
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".assembly-", dir=folder))
    try:
        cdk(root, env, "synth", "--quiet", "--output", str(partial), *context_args(context), step="synth")
        try:
            partial.rename(target)
        except OSError:  # another process put the same assembly there first
            if not (target / "manifest.json").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    evict([p for p in folder.glob("assembly-*") if p.is_dir()], ASSEMBLIES_KEPT)


def cached_assembly(root: Path, context: dict[str, Any]) -> Path | None:
    """:func:`assembly`'s folder if it is in the cache already, else None."""
    target = _assembly_path(root, context)
    return target if target is not None and (target / "manifest.json").is_file() else None


def _assembly_path(root: Path, context: dict[str, Any]) -> Path | None:
    folder = cache_folder(root)
    if folder is None:
        return None
    key = {
        "cli": context,
        "account": ACCOUNT,
        "region": REGION,
        "cdk": node_tools.pinned_version(root, "aws-cdk"),
    }
    return folder / f"assembly-{fingerprint(root, key)}"


def deploy(root: Path, env: dict[str, str], context: dict[str, Any]) -> dict[str, str]:
    """``cdk deploy`` of the cloud assembly (:func:`assembled`; direct: moto's change-set path
    loses outputs); the stack's outputs."""
    with (
        assembled(root, env, context) as source,
        tempfile.TemporaryDirectory(prefix="endpointctl-deploy-") as work,
    ):
        outputs_file = Path(work) / "outputs.json"
        cdk(
            root,
            env,
            "deploy",
            "--all",
            "--app",
            str(source),
            "--method=direct",
            "--no-previous-parameters",
            "--require-approval",
            "never",
            "--progress",
            "events",
            "--outputs-file",
            str(outputs_file),
            step="deploy",
        )
        outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}
    return {key: str(value) for stack in outputs.values() for key, value in stack.items()}


def destroy(root: Path, env: dict[str, str], context: dict[str, Any]) -> None:
    """``cdk destroy`` of the stack the cloud assembly names (the deploy's, unless the code
    changed since: then the one the code now synthesizes, as a plain ``cdk destroy`` would)."""
    with assembled(root, env, context) as source:
        cdk(root, env, "destroy", "--app", str(source), "--all", "--force", step="destroy")


def shell_exports(server: MotoServer | str) -> str:
    """How to point the AWS CLI, boto3 and ``endpointctl`` at a kept server (or at ``url``)."""
    pairs = {**CREDENTIALS, "AWS_ENDPOINT_URL": server if isinstance(server, str) else server.url}
    return "export " + " ".join(f"{key}={value}" for key, value in pairs.items())


def node_available() -> bool:
    return shutil.which("node") is not None
