"""The context is refused with every problem at once, one line each, and a typo of a key is not
ignored in silence (issue 15, item 5): ``cdk synth``, ``python app.py`` and ``endpointctl -c``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import aws_cdk as cdk
import pytest

from endpointctl import project_root
from infra.config import Config
from tests.infra.contexts import problems


def test_every_bad_value_is_named_at_once() -> None:
    assert problems(
        {"logRetentionDays": 999, "maxPollIntervalSeconds": "often", "alarmEmail": "ops", "amlRegion": "mars"}
    ) == [
        "context maxPollIntervalSeconds='often': must be a whole number",
        "context alarmEmail='ops': one e-mail address (ops@example.com)",
        "context logRetentionDays=999: 1 to 365 days",
        "context amlRegion='mars': Amazon ML real-time endpoints exist only in us-east-1 and eu-west-1",
    ]


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("logRetentionDay", "; did you mean logRetentionDays?"),
        ("neptuneEndpont", "; did you mean neptuneEndpoint?"),
        ("sagemakerTimeoutSecond", "; did you mean sagemakerTimeoutSeconds?"),
        ("colour", " (docs/configuration.md lists them)"),
    ],
)
def test_an_unknown_key_is_refused_with_the_one_it_resembles(key: str, hint: str) -> None:
    assert problems({key: 30}) == [f"context {key}: not a context key of this app{hint}"]


def test_the_cdks_own_keys_are_not_refused() -> None:
    context = {
        "@aws-cdk/core:newStyleStackSynthesis": True,
        "aws:cdk:enable-path-metadata": True,
        "acknowledged-issue-numbers": [1],
        "sagemakerTimeoutSeconds": 600,
    }
    cdk_json = json.loads((project_root() / "cdk.json").read_text())["context"]
    assert Config.from_context(cdk.App(context={**cdk_json, **context}).node).type_defaults("sagemaker")


def test_python_app_py_says_each_problem_in_a_line_and_exits_2(tmp_path: Any) -> None:
    context = {"logRetentionDays": 0, "logRetentionDay": 3, "endpointTypes": "sagemaker"}
    done = subprocess.run(
        [sys.executable, "app.py"],
        cwd=project_root(),
        env={**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps(context)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-2:] == [
        "context logRetentionDays=0: 1 to 365 days",
        "context logRetentionDay: not a context key of this app; did you mean logRetentionDays?",
    ]
    assert "Traceback" not in done.stderr


def test_a_types_own_settings_are_each_named_too() -> None:
    """A type's settings (infra/endpoint_types/<type>.py) report every bad key, not the first."""
    found = problems(
        {
            "endpointTypes": "sagemaker,neptune",
            "neptuneEndpoint": "my-cluster",
            "neptuneClusterResourceId": "my-cluster-name",
            "sagemakerExecutionRoleArns": "not-a-role,arn:aws:iam::123456789012:user/bob",
            "sagemakerKmsKeyArns": "alias/mine",
        }
    )
    assert sum("sagemakerExecutionRoleArns" in p for p in found) == 2
    assert any("sagemakerKmsKeyArns" in p for p in found)
    assert any(p.startswith("context neptuneEndpoint=") for p in found)
    assert any(p.startswith("context neptuneClusterResourceId=") for p in found)


def test_python_app_py_alone_builds_what_cdk_json_lists(tmp_path: Any) -> None:
    """Without the CDK CLI (no context passed) ``python app.py`` reads cdk.json's context itself: it
    builds the types cdk.json lists, rather than every catalog type (which fails on Neptune's
    required settings), and given context still wins over cdk.json's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_CONTEXT", "CDK_DEFAULT_"))}

    def synth(outdir: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
        given = {"CDK_CONTEXT_JSON": json.dumps(context)} if context is not None else {}
        done = subprocess.run(
            [sys.executable, "app.py"],
            cwd=project_root(),
            env={**env, "CDK_OUTDIR": str(outdir), **given},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        [stack] = outdir.glob("*.template.json")
        return dict(json.loads(stack.read_text()))

    def functions(template: dict[str, Any]) -> list[str]:
        return sorted(
            r["Properties"]["Description"].split(": ", 1)[1].split()[0]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Lambda::Function"
        )

    listed = json.loads((project_root() / "cdk.json").read_text())["context"]["endpointTypes"]
    assert functions(synth(tmp_path / "alone")) == sorted(listed)
    assert functions(synth(tmp_path / "given", {"endpointTypes": "aml"})) == ["aml"]
