"""Synthesize the CDK app exactly as ``cdk synth`` does, and cache the template.

The cache key covers everything that shapes the template: ``app.py``, ``cdk.json``, every file
under ``infra/`` and ``functions/`` (the asset hash), the context overrides and the library
versions. A run after the first reads the cached template instead of starting jsii again.

Locally every endpoint type is built: cdk.json deploys only the types listed in its
``endpointTypes``, but the local runner, the demo and the tests cover every catalog type, so this
synth lists them all (:func:`local_context`) and gives each the placeholder settings its simulator
declares (``local_context``: e.g. a Neptune cluster's URL and resource id, no VPC: the runner
simulates the service). The caller's own context wins over both.

A synthesis starts jsii and Node and takes seconds (:data:`HOW_LONG`), so :func:`synthesize` says
so in a line before one (on standard error: ``--json`` output on standard output stays one JSON
document), as the Node tools' install does; a cached template is read without a word.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CACHE_DIR_NAME = ".endpointctl-cache"
#: The catalog of endpoint types, in the project.
CATALOG_FILE = Path("functions") / "controller" / "catalog.json"
#: Templates kept in the cache, the most recently used (one per context a user or a test switches
#: between: the test suite alone synthesizes about a dozen, and a synth costs 5-15 s).
CACHE_KEEP = 24
#: What a synthesis takes, as :func:`synthesize` announces it: ``python app.py`` starts jsii and
#: Node; the first one on a machine also unpacks aws-cdk-lib into jsii's package cache.
HOW_LONG = "usually 10-30 s"


class SynthError(RuntimeError):
    """``python app.py`` failed; the message carries its stderr."""


def fingerprint(root: Path, context: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    files = [root / "app.py", root / "cdk.json"]
    for folder in ("infra", "functions"):
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(context, sort_keys=True).encode())
    for package, dist in (("aws_cdk", "aws_cdk_lib"), ("constructs", "constructs")):
        digest.update(_installed(package, dist).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:24]


def _installed(package: str, dist: str) -> str:
    """The installed distribution of ``package`` by the name of its ``dist-info`` folder beside it
    (``aws_cdk_lib-2.275.0.dist-info``): what ``importlib.metadata.version`` says, without its
    ~40 ms of imports on every cached run; ``""`` when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return ""
    found = sorted(p.name for p in Path(spec.origin).parent.parent.glob(f"{dist}-*.dist-info"))
    return " ".join(found)


def local_context(root: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context the local synth adds to ``cdk.json``'s: every type of the project's catalog
    (``functions/controller/catalog.json``, as ``python app.py`` reads it: a type registered in
    this process only is not there), and the placeholder settings of each simulated type (its
    simulator's ``local_context``) that neither ``cdk.json`` nor the caller set (a key they set,
    even to "", stays theirs)."""
    given = {**json.loads((root / "cdk.json").read_text()).get("context", {}), **(overrides or {})}
    extra: dict[str, Any] = {}
    catalog_file = root / CATALOG_FILE
    if catalog_file.is_file():
        extra["endpointTypes"] = [
            row["name"] for row in json.loads(catalog_file.read_text())["endpointTypes"]
        ]
    extra |= {key: value for key, value in _placeholders().items() if key not in given}
    return extra


def _placeholders() -> dict[str, Any]:
    """The settings each simulator's type needs to synthesize (its ``local_context``)."""
    from endpointctl.sim import simulators

    found: dict[str, Any] = {}
    for simulator in simulators().values():
        found |= simulator.local_context
    return found


def cdk_context(root: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context the local synth passes: ``cdk.json``'s, then :func:`local_context`'s, then the
    overrides (like ``-c``)."""
    context = json.loads((root / "cdk.json").read_text()).get("context", {})
    return {**context, **local_context(root, overrides), **(overrides or {})}


def cache_folder(root: Path) -> Path | None:
    """Where the synthesized templates and cloud assemblies are kept: ``.endpointctl-cache/`` of
    the checkout, or ``ENDPOINTCTL_CACHE_DIR`` (an empty value: nowhere, the caches are off)."""
    given = os.environ.get("ENDPOINTCTL_CACHE_DIR")
    if given is not None:
        return Path(given) if given else None
    return root / CACHE_DIR_NAME


def to_stderr(line: str) -> None:
    """Say ``line`` on standard error, unless there is no ``node`` on ``PATH``: then the synthesis
    fails at once, and what the command says instead is what to install (``endpointctl.cli``)."""
    if shutil.which("node") is not None:
        print(line, file=sys.stderr, flush=True)


def announcement(cache: Path | None) -> str:
    """The line said before a synthesis: what runs, roughly how long, and whether it is kept."""
    kept = "; the template is cached for the next run" if cache is not None else ""
    return f"synthesizing the CDK app (python app.py, as cdk synth runs it; {HOW_LONG}{kept}) …"


def synthesize(
    root: Path,
    overrides: dict[str, Any] | None = None,
    *,
    use_cache: bool = True,
    say: Callable[[str], None] = to_stderr,
) -> dict[str, Any]:
    """The stack's CloudFormation template as ``cdk synth`` would write it; ``say`` is told
    :func:`announcement` before a synthesis (none when the cached template is read)."""
    context = cdk_context(root, overrides)
    folder = cache_folder(root)
    cache = folder / f"template-{fingerprint(root, context)}.json" if folder else None
    if cache is None or not use_cache:
        say(announcement(cache))
        return _synthesize(root, context, cache)
    cached = _read_cached(cache)
    if cached is not None:
        return cached
    with one_at_a_time(cache):
        # Another process (a second test worker, a second terminal) may have written it meanwhile:
        # one synthesis per context, the others wait for it rather than run their own.
        cached = _read_cached(cache)
        if cached is not None:
            return cached
        say(announcement(cache))
        return _synthesize(root, context, cache)


@contextlib.contextmanager
def one_at_a_time(cache: Path) -> Iterator[None]:
    """An exclusive lock on ``cache``'s lock file (``fcntl``; where there is none, no lock)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: two processes may both synthesize, as before
        yield
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _synthesize(root: Path, context: dict[str, Any], cache: Path | None) -> dict[str, Any]:
    """``python app.py`` with ``context``, as the CDK CLI runs it; the template, also written to
    ``cache`` when there is one."""
    with tempfile.TemporaryDirectory(prefix="endpointctl-synth-") as outdir:
        env = {
            **os.environ,
            "CDK_OUTDIR": outdir,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        }
        env.pop("CDK_DEFAULT_ACCOUNT", None)
        env.pop("CDK_DEFAULT_REGION", None)
        done = subprocess.run(
            [sys.executable, "app.py"], cwd=root, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SynthError(f"synth failed:\n{done.stderr.strip()[-4000:]}")
        manifest = json.loads((Path(outdir) / "manifest.json").read_text())
        stacks = [
            artifact["properties"]["templateFile"]
            for artifact in manifest["artifacts"].values()
            if artifact.get("type") == "aws:cloudformation:stack"
        ]
        template = json.loads((Path(outdir) / stacks[0]).read_text())
    if cache is not None:
        _write_cached(cache, template)
    return dict(template)


def _read_cached(cache: Path) -> dict[str, Any] | None:
    """The cached template, or None if there is none (or another process just replaced it). A
    template read is marked as used (its modification time), so eviction keeps the ones in use."""
    try:
        template = dict(json.loads(cache.read_text()))
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError):
        os.utime(cache)
    return template


def _write_cached(cache: Path, template: dict[str, Any]) -> None:
    """Write atomically, so a concurrent run reads the old file or the new one, never half of one.

    The most recently used templates stay (tests and users switch between contexts); others go.
    """
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=".template-", dir=cache.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(template, handle)
    os.replace(partial, cache)
    evict(list(cache.parent.glob("template-*.json")), CACHE_KEEP)


def evict(entries: list[Path], keep: int) -> None:
    """Remove all but the ``keep`` most recently used ``entries`` (files or folders; a read marks
    an entry used), each with its lock file (:func:`one_at_a_time`)."""
    for old in sorted(entries, key=_mtime, reverse=True)[keep:]:
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                old.unlink()
        with contextlib.suppress(OSError):
            old.with_suffix(".lock").unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
