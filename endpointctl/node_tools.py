"""The Node.js tools ``package.json`` pins, installed on demand, and Node's noise kept out of what a
user reads.

Two commands need a pinned tool: ``endpointctl local deploy`` the CDK CLI (``aws-cdk``), and every
command that runs the local runner (``local run``, ``local demo``, ``bench``) the IAM evaluator
(``@cloud-copilot/iam-simulate``, ``endpointctl.runner.iam.evaluator``). One ``npm ci`` installs
both, the lock file's exact versions, into the checkout's ``node_modules``: :func:`ensure` runs it
when the tool a command needs is missing or not the pinned version, after one line saying what it
installs and roughly how long it takes, and marks ``node_modules`` installed for ``make``.

Why install rather than ask. The README's way in, ``make demo``, runs this very ``npm ci``; a user
who came in another way (``pip install -e .``, then ``endpointctl local run``) has said what they
want, and the install is the checkout's own lock file into the checkout's own folder: nothing
global, nothing to choose, the bytes ``make`` would fetch. Asking them to type ``npm ci`` would
only add a round trip (``local deploy`` already installed the CDK CLI so). What a command cannot do
for its user, install Node.js or reach the registry, it says in one line with exit code 2 before
any work (:class:`ToolsMissing`), never as a failed run.

Node itself is checked even when nothing needs installing: a run whose IAM questions were all answered
before does not start Node (the evaluator's decisions on disk), yet which questions a run asks is
known only as it runs, and one that met a new question halfway would fail inside an execution, the
trap this check removes; a changed app cannot be synthesized without Node either (jsii runs
aws-cdk-lib under it). The check is one ``node --version`` (a few milliseconds). Those decisions on
disk never make an install needed: they are keyed by the installed evaluator's version, so there
are none for an evaluator that is not installed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from endpointctl import project_root
from endpointctl.errors import UsageError

#: ``npm ci`` as the Makefile runs it: the lock file's exact versions, no audit or funding notes.
NPM_CI = ("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
#: The oldest Node.js the pinned tools run on (``aws-cdk``'s ``engines``; the evaluator's script
#: and ``iam-simulate`` need no newer one).
MIN_NODE = 18
#: What :func:`ensure` says it takes (about 12 MB downloaded: seconds on a fast line).
HOW_LONG = "once; usually under a minute"


class ToolsMissing(UsageError):
    """A pinned Node tool cannot run here and cannot be installed; the message says what to do
    (exit code 2, one line)."""


@dataclass(frozen=True)
class Tool:
    """One of ``package.json``'s pinned tools, as a command that needs it names it."""

    #: Its npm package (a ``devDependencies`` key).
    package: str
    #: What it is, in a sentence (``the CDK CLI``).
    role: str
    #: The file under ``node_modules`` it runs from, there when it is installed.
    entry: str


CDK = Tool("aws-cdk", "the CDK CLI", ".bin/cdk")
EVALUATOR = Tool(
    "@cloud-copilot/iam-simulate",
    "the local runner's IAM evaluator",
    "@cloud-copilot/iam-simulate/package.json",
)


def pinned_version(root: Path, package: str) -> str | None:
    """The version ``package.json`` pins for ``package`` (a ``devDependencies`` entry)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads((root / "package.json").read_text())["devDependencies"][package])
    return None


def installed_version(root: Path, package: str) -> str | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads((root / "node_modules" / package / "package.json").read_text())["version"])
    return None


def installed(root: Path, tool: Tool) -> bool:
    """``tool`` is in ``node_modules``, at the pinned version when ``package.json`` pins an exact one."""
    pinned = pinned_version(root, tool.package)
    exact = pinned is not None and re.fullmatch(r"\d+(\.\d+)*", pinned) is not None
    there = (root / "node_modules" / tool.entry).exists()
    return there and (not exact or installed_version(root, tool.package) == pinned)


def node_problem() -> str | None:
    """Why the ``node`` on ``PATH`` cannot run the pinned tools (none, or older than
    :data:`MIN_NODE`), or ``None`` when it can."""
    node = shutil.which("node")
    if node is None:
        return "there is no `node` on PATH"
    try:
        said = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`{node} --version` failed ({exc})"
    found = re.match(r"v?(\d+)\.", said)
    if found is None:
        return f"`{node} --version` says {said!r}, not a version"
    if int(found.group(1)) < MIN_NODE:
        return f"the `node` on PATH is {said}"
    return None


def needs_node(tool: Tool, problem: str) -> str:
    """The one line that says ``tool`` needs a newer Node (or one at all), and what to install."""
    return (
        f"{tool.role} runs on Node.js {MIN_NODE} or later, and {problem}: "
        f"install Node.js {MIN_NODE} or later (it comes with npm), then run this again"
    )


def ensure(tool: Tool, emit: Callable[[str], None] = print, root: Path | None = None) -> bool:
    """``tool`` ready to run from ``root`` (the checkout by default): Node.js usable, and ``tool``
    installed with ``npm ci`` (``emit`` saying so first) unless it is there; whether it installed.
    :class:`ToolsMissing` when Node is missing or too old, npm is missing, or ``npm ci`` fails
    (offline, say)."""
    root = project_root() if root is None else root
    problem = node_problem()
    if problem is not None:
        raise ToolsMissing(needs_node(tool, problem))
    if installed(root, tool):
        return False
    with _one_install(root):
        if installed(root, tool):  # another endpointctl installed it meanwhile
            return False
        if shutil.which("npm") is None:
            raise ToolsMissing(
                f"{tool.role} is not installed, and there is no `npm` on PATH to install it with: "
                "install npm (it comes with Node.js), then run this again"
            )
        pinned = pinned_version(root, tool.package) or "?"
        emit(
            f"installing {tool.role} ({tool.package} {pinned}) and the other pinned Node tools "
            f"with npm ci ({HOW_LONG}) …"
        )
        env = {**os.environ, **node_environment()}
        try:
            done = subprocess.run(
                list(NPM_CI), cwd=root, env=env, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise ToolsMissing(
                f"npm ci could not start ({exc}): run `npm ci` in {root}, then run this again"
            ) from None
        if done.returncode != 0 or not installed(root, tool):
            reason = npm_reason(quiet(done.stdout + "\n" + done.stderr)) or f"exit {done.returncode}"
            raise ToolsMissing(
                f"npm ci could not install {tool.role} ({reason}): run `npm ci` in {root} to see why, "
                "then run this again"
            )
    with contextlib.suppress(OSError):
        (root / "node_modules" / ".installed").touch()  # the Makefile's mark: make does not run it again
    return True


@contextlib.contextmanager
def _one_install(root: Path) -> Iterator[None]:
    """One ``npm ci`` at a time in a checkout (two terminals, two test workers): an exclusive
    ``fcntl`` lock on ``package-lock.json``, which ``npm ci`` reads and never writes. Where there is
    no ``fcntl`` or no lock file, no lock."""
    try:
        import fcntl

        lock = open(root / "package-lock.json", "rb")  # noqa: SIM115 (closed below)
    except (ImportError, OSError):
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


#: npm's lines that only classify its error (``npm error code ECONNREFUSED``), and the pointer to its log.
_NPM_DETAIL = re.compile(
    r"^(code|syscall|errno|path|dest)\b|^A complete log|^Log files were not written|^\s*$"
)


def npm_reason(output: str) -> str | None:
    """The line of npm's output that says what went wrong (``FetchError: request to
    https://registry.npmjs.org/aws-cdk failed, reason: getaddrinfo EAI_AGAIN ...``), shortened."""
    for line in output.splitlines():
        text = re.sub(r"^npm (error|ERR!)\s?", "", line).strip()
        if line.startswith("npm ") and text and not _NPM_DETAIL.match(text):
            return text if len(text) <= 200 else text[:199] + "…"
    return None


# -- Node's noise ---------------------------------------------------------------------------------
@functools.cache
def _node_major() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        version = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout
        found = re.match(r"v(\d+)\.", version.strip())
        if found:
            return found.group(1)
    return "20"


def node_environment() -> dict[str, str]:
    """What keeps jsii's end-of-life banner out of a Node child's output (the running Node's major
    version, which is what the variable lists)."""
    return {
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": _node_major(),
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }


#: jsii's banner as the Python runtime echoes it (``b'!!  Node 20 is end-of-life ...  !!\n'``).
_BANNER = re.compile(r"""^\s*(b['"])?!!.*!!(\\n)?(['"])?\s*$|^\s*(b['"])?!{8,}""")
#: The start of a Node warning block about its own version (the AWS SDK's), up to Node's hint.
_NODE_WARNING = re.compile(r"^\(node:\d+\) (\[\w+\] )?Warning: Node\w*(Version|Support)")
_NODE_HINT = re.compile(r"^\(Use `node --trace-")


def quiet(text: str) -> str:
    """``text`` without Node's noise: jsii's end-of-life banner, the AWS SDK's Node-version warning
    block, and the stray line naming jsii's kernel (``.../lib/program.js``)."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if skipping:
            skipping = not _NODE_HINT.match(line)
            continue
        if _NODE_WARNING.match(line):
            skipping = True
            continue
        if _BANNER.match(line) or "program.js" in line:
            continue
        kept.append(line)
    return "\n".join(kept) + ("\n" if kept else "")
