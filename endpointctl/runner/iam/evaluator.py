"""The IAM policy evaluator: AWS's evaluation logic, from a maintained implementation.

``evaluate.mjs`` runs ``@cloud-copilot/iam-simulate`` (pinned in ``package.json``; installed by
``npm ci``): identity policies and resource policies, every condition operator, the same-account
rules and KMS key policies' own trust rules. Why that one: it is the maintained, complete
evaluator in the registries (moto's IAM access control evaluates actions and resources but no
``Condition`` except in trust policies; the Python packages available lint or summarize policies,
or ask AWS's own simulator online). It runs as one Node process per Python process, answering one
JSON line per request; decisions are cached, since a run asks the same questions again and again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("evaluate.mjs")
ALLOWED = "Allowed"


class EvaluatorMissing(RuntimeError):
    """The IAM evaluator cannot run (no Node, or ``npm ci`` not done)."""


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


class Evaluator:
    """The Node process, started on first use; thread-safe; decisions cached by question."""

    def __init__(self, node_modules: Path) -> None:
        self._node_modules = node_modules
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._ids = 0
        self._cache: dict[tuple[Any, ...], str] = {}

    def _start(self) -> subprocess.Popen[str]:
        node = shutil.which("node")
        if node is None:
            raise EvaluatorMissing("the local runner evaluates IAM with Node.js: install Node >= 18")
        if not (self._node_modules / "@cloud-copilot" / "iam-simulate").is_dir():
            raise EvaluatorMissing(
                "the local runner's IAM evaluator is not installed: run `npm ci` (or `make demo`)"
            )
        return subprocess.Popen(
            [node, str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def decide(self, request: IamRequest, identity_policies: list[dict[str, Any]], account: str) -> str:
        """``Allowed``, ``ImplicitlyDenied`` or ``ExplicitlyDenied``."""
        key = (request, json.dumps(identity_policies, sort_keys=True), account)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            self._ids += 1
            line = json.dumps({"id": self._ids, "simulation": request.simulation(identity_policies, account)})
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            answer = json.loads(self._process.stdout.readline() or "{}")
            if answer.get("result") is None:
                raise RuntimeError(f"the IAM evaluator could not decide {request}: {answer.get('errors')}")
            self._cache[key] = str(answer["result"])
            return self._cache[key]


@cache
def shared() -> Evaluator:
    """The evaluator of this process (one Node process, whatever the number of runners)."""
    from endpointctl import project_root

    return Evaluator(project_root() / "node_modules")
