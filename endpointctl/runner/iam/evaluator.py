"""The IAM policy evaluator: AWS's evaluation logic, from a maintained implementation.

``evaluate.mjs`` runs ``@cloud-copilot/iam-simulate`` (pinned in ``package.json``; installed by
``npm ci``): identity policies and resource policies, every condition operator, the same-account
rules and KMS key policies' own trust rules. Why that one: it is the maintained, complete
evaluator in the registries (moto's IAM access control evaluates actions and resources but no
``Condition`` except in trust policies; the Python packages available lint or summarize policies,
or ask AWS's own simulator online). It runs as one Node process per Python process, answering one
JSON line per request; decisions are cached, since a run asks the same questions again and again.

The decisions also stay on disk (:class:`Decisions`, in ``.endpointctl-cache/iam/``): a decision is
a pure function of the question as the evaluator receives it (the policies, the request, its
context) and of the evaluator (``iam-simulate``'s installed version and ``evaluate.mjs``), which
key it; so a run whose questions were all answered before does not start Node at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("evaluate.mjs")
ALLOWED = "Allowed"


class EvaluatorMissing(RuntimeError):
    """The IAM evaluator cannot run (no Node, or ``npm ci`` not done). The commands never meet it:
    they check both first, and install the evaluator (``endpointctl.node_tools``)."""


@dataclass(frozen=True)
class IamRequest:
    """One authorization question: may ``principal`` do ``action`` on ``resource``?"""

    principal: str
    action: str
    resource: str
    context: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    #: The resource's own policy (an SNS topic's, a KMS key's, a function's), if it has one.
    resource_policy: str | None = None

    def simulation(self, identity_policies: list[dict[str, Any]], account: str) -> dict[str, Any]:
        return {
            "identityPolicies": [
                {"name": f"policy{i}", "policy": policy} for i, policy in enumerate(identity_policies)
            ],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
            **({"resourcePolicy": json.loads(self.resource_policy)} if self.resource_policy else {}),
            "request": {
                "principal": self.principal,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": account},
                "contextVariables": {k: list(v) if isinstance(v, tuple) else v for k, v in self.context},
            },
        }


class Decisions:
    """Decisions kept on disk, one JSON line each, keyed by a hash of the question as Node gets it
    (``{"k": ..., "r": "Allowed"}``), in one of 256 files by the key's first two characters: a
    run reads only the files of the questions it asks (one file of every decision grew with each
    run to megabytes, read whole by every later run: ~160 ms at 22,000 decisions). Lines are
    appended with one ``write`` of an ``O_APPEND`` descriptor, so processes sharing a file
    (``pytest -n``) do not interleave them; a line that cannot be read is ignored. The folder is
    for one evaluator (its name holds the evaluator's version and script hash); a file starts over
    past ``MAX_BYTES``."""

    MAX_BYTES = 64 * 1024  # per file: 16 MiB in all

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: dict[str, dict[str, str]] = {}

    @classmethod
    def for_evaluator(cls, node_modules: Path, folder: Path) -> Decisions | None:
        """The store of the installed evaluator; ``None`` when it is not installed (then Node's
        absence is reported as before)."""
        try:
            package = json.loads(
                (node_modules / "@cloud-copilot" / "iam-simulate" / "package.json").read_text()
            )
            salt = hashlib.sha256(f"{package['version']}\0".encode() + SCRIPT.read_bytes()).hexdigest()[:16]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cls(folder / "iam" / f"decisions-{salt}")

    @staticmethod
    def key(line: str) -> str:
        return hashlib.sha256(line.encode()).hexdigest()

    def shard(self, key: str) -> Path:
        """The file that holds ``key``'s decision."""
        return self.path / f"{key[:2]}.jsonl"

    def get(self, key: str) -> str | None:
        shard = self.shard(key)
        known = self._known.get(shard.name)
        if known is None:
            known = self._known[shard.name] = self._read(shard)
        return known.get(key)

    def put(self, key: str, result: str) -> None:
        shard = self.shard(key)
        if shard.name in self._known:
            self._known[shard.name][key] = result
        data = (json.dumps({"k": key, "r": result}) + "\n").encode()
        with contextlib.suppress(OSError):
            shard.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(shard, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size > self.MAX_BYTES:
                    os.ftruncate(fd, 0)
                os.write(fd, data)
            finally:
                os.close(fd)

    @staticmethod
    def _read(shard: Path) -> dict[str, str]:
        """The shard's decisions, the last line of a key winning: every line as :meth:`put` writes
        it, found in one pass of a regular expression (a ``json.loads`` per line took ~2 ms a
        shard, ~30 shards a run); any other line, a torn one too, is ignored."""
        try:
            text = shard.read_text()
        except (OSError, ValueError):
            return {}
        return dict(_LINE.findall(text))


_RESULTS = {"Allowed", "ImplicitlyDenied", "ExplicitlyDenied"}
#: A line as ``put`` writes it (``json.dumps`` of ``{"k": <key>, "r": <result>}``; a key is a
#: sha256 in hex, :meth:`Decisions.key`, which JSON writes as it is).
_LINE = re.compile(r'^\{"k": "([^"\\\n]+)", "r": "(' + "|".join(sorted(_RESULTS)) + r')"\}$', re.M)


class Evaluator:
    """The Node process, started on first use (a question the disk store cannot answer);
    thread-safe; decisions cached by question."""

    def __init__(self, node_modules: Path, decisions: Decisions | None = None) -> None:
        self._node_modules = node_modules
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._ids = 0
        self._cache: dict[tuple[Any, ...], str] = {}
        self._decisions = decisions
        #: Questions Node answered in this process (the others came from memory or disk).
        self.asked = 0

    def _start(self) -> subprocess.Popen[str]:
        from endpointctl import node_tools

        problem = node_tools.node_problem()
        if problem is not None:
            raise EvaluatorMissing(node_tools.needs_node(node_tools.EVALUATOR, problem))
        if not (self._node_modules / "@cloud-copilot" / "iam-simulate").is_dir():
            raise EvaluatorMissing(
                "the local runner's IAM evaluator is not installed: run `npm ci` (or `make demo`)"
            )
        return subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def close(self) -> None:
        """Stop the Node process, if it runs (it is started again when needed)."""
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.stdin is not None:
            process.stdin.close()  # the script's loop ends with its input
            process.wait(timeout=10)

    def decide(self, request: IamRequest, identity_policies: list[dict[str, Any]], account: str) -> str:
        """``Allowed``, ``ImplicitlyDenied`` or ``ExplicitlyDenied``."""
        key = (request, json.dumps(identity_policies, sort_keys=True), account)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            simulation = json.dumps(request.simulation(identity_policies, account), sort_keys=True)
            stored = None
            if self._decisions is not None:
                stored = Decisions.key(simulation)
                known = self._decisions.get(stored)
                if known is not None:
                    self._cache[key] = known
                    return known
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            self._ids += 1
            self.asked += 1
            line = f'{{"id": {self._ids}, "simulation": {simulation}}}'
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            answer = json.loads(self._process.stdout.readline() or "{}")
            if answer.get("result") is None:
                raise RuntimeError(f"the IAM evaluator could not decide {request}: {answer.get('errors')}")
            self._cache[key] = str(answer["result"])
            if stored is not None and self._cache[key] in _RESULTS:
                self._decisions.put(stored, self._cache[key])  # type: ignore[union-attr]
            return self._cache[key]


@cache
def shared() -> Evaluator:
    """The evaluator of this process (one Node process, whatever the number of runners), with the
    decisions on disk in the checkout's cache (``endpointctl.runner.warm.cache_dir``)."""
    from endpointctl import project_root
    from endpointctl.runner.warm import cache_dir

    node_modules = project_root() / "node_modules"
    folder = cache_dir()
    return Evaluator(node_modules, Decisions.for_evaluator(node_modules, folder) if folder else None)
