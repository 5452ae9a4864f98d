"""The pinned CDK CLI, installed on demand, and Node's noise kept out of what a user reads.

``package.json`` pins the CLI (``aws-cdk``); ``npm ci`` installs exactly that version into
``node_modules`` the first time something needs it (``make synth``, ``endpointctl local deploy``),
with one line saying so. jsii's end-of-life banner and the AWS SDK's Node-version warning are
filtered from the CLI's output.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

#: ``npm ci`` as the Makefile runs it: the lock file's exact versions, no audit or funding notes.
NPM_CI = ("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")


class CliError(RuntimeError):
    """The CDK CLI could not be installed; the message says why."""


def pinned_cdk_version(root: Path) -> str | None:
    """The CDK CLI version ``package.json`` pins (its ``aws-cdk`` devDependency)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return str(json.loads((root / "package.json").read_text())["devDependencies"]["aws-cdk"])
    return None


def installed_cdk_version(root: Path) -> str | None:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return str(json.loads((root / "node_modules" / "aws-cdk" / "package.json").read_text())["version"])
    return None


def cdk_installed(root: Path) -> bool:
    """``node_modules/.bin/cdk`` is there, at the pinned version."""
    pinned = pinned_cdk_version(root)
    local = root / "node_modules" / ".bin" / "cdk"
    exact = pinned is not None and re.fullmatch(r"\d+(\.\d+)*", pinned) is not None
    return local.exists() and (not exact or installed_cdk_version(root) == pinned)


def ensure_cdk(root: Path, emit: Callable[[str], None] = print) -> bool:
    """Install the pinned CDK CLI with ``npm ci`` unless it is there; whether it installed."""
    if cdk_installed(root):
        return False
    if shutil.which("npm") is None:
        raise CliError("the CDK CLI needs Node.js and npm: install Node.js 20 or later, then run this again")
    emit(f"installing the pinned CDK CLI (aws-cdk {pinned_cdk_version(root) or '?'}) with npm ci …")
    env = {**os.environ, **node_environment()}
    done = subprocess.run(list(NPM_CI), cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (root / "node_modules" / ".bin" / "cdk").exists():
        output = quiet(done.stdout + done.stderr).strip()
        raise CliError(f"npm ci failed (exit {done.returncode}):\n{output[-4000:]}")
    (root / "node_modules" / ".installed").touch()  # the Makefile's mark: make does not run it again
    return True


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
