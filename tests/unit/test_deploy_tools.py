"""The local deploy's tools that need no Node.js: installing the pinned CDK CLI on demand (with a
stand-in ``npm``), and leaving Node's noise out of what the user sees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from endpointctl import cdk_cli, deploy, project_root


def test_the_pinned_cli_is_installed_on_demand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout without node_modules: ``ensure_cdk`` says so in one line and runs ``npm ci`` (here
    a stand-in that creates the CLI), then marks node_modules installed for make; once the pinned
    version is there it does nothing."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy(project_root() / name, tmp_path / name)
    fake = tmp_path / "bin"
    fake.mkdir()
    version = cdk_cli.pinned_cdk_version(tmp_path)
    (fake / "npm").write_text(
        "#!/bin/sh\n"
        'echo "$@" > npm-args\n'
        "mkdir -p node_modules/.bin node_modules/aws-cdk\n"
        "touch node_modules/.bin/cdk\n"
        f"""echo '{{"version": "{version}"}}' > node_modules/aws-cdk/package.json\n"""
    )
    (fake / "npm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    said: list[str] = []
    assert deploy.ensure_cdk(tmp_path, said.append) is True
    assert said == [f"installing the pinned CDK CLI (aws-cdk {version}) with npm ci …"]
    assert (tmp_path / "npm-args").read_text().split() == [
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]
    assert (tmp_path / "node_modules" / ".installed").exists()
    assert deploy.ensure_cdk(tmp_path, said.append) is False and len(said) == 1


def test_node_noise_is_left_out() -> None:
    text = "\n".join(
        [
            "b'!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\\n'",
            "b'!!  Node 20 is end-of-life and not supported anymore by this software since 2026-10-30.  !!\\n'",
            "(node:20978) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)",
            "versions published after the first week of January 2027",
            "will require node >=22. You are running node v20.20.2.",
            "(Use `node --trace-warnings ...` to show where the warning was created)",
            "/tmp/tmpnyi5rg7v/lib/program.js",
            " ⏳  Bootstrapping environment aws://123456789012/us-east-1...",
            "✅  Environment aws://123456789012/us-east-1 bootstrapped.",
        ]
    )
    assert cdk_cli.quiet(text).splitlines() == [
        " ⏳  Bootstrapping environment aws://123456789012/us-east-1...",
        "✅  Environment aws://123456789012/us-east-1 bootstrapped.",
    ]
