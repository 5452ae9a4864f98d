"""The state machine diagram in docs/state-machine.md is generated from the synthesized definition;
keep them in sync. (Every command the README and docs/ show is checked by test_docs_commands.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from endpointctl import project_root
from endpointctl.diagram import mermaid
from endpointctl.template import state_machines


def test_state_machine_diagram_matches_the_synthesized_definition(template: dict[str, Any]) -> None:
    page = (project_root() / "docs" / "state-machine.md").read_text()
    block = re.search(r"<!-- diagram:sagemaker -->\n```mermaid\n(.*?)\n```\n<!-- /diagram -->", page, re.S)
    assert block, "docs/state-machine.md lost its diagram block"
    expected = mermaid(state_machines(template)["sagemaker"].definition)
    assert block.group(1) == expected, (
        "docs/state-machine.md's diagram is stale: run `endpointctl diagram` and paste it between the markers"
    )


def test_readme_commands_exist() -> None:
    readme = (project_root() / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (project_root() / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.skipif(
    shutil.which("npx") is None or not (project_root() / "node_modules" / "aws-cdk").is_dir(),
    reason="the pinned CDK CLI is not installed (run `npm ci`)",
)
def test_npx_cdk_synth_works_offline(tmp_path: Path) -> None:
    """``npx cdk synth`` as a newcomer types it, with no npm cache or CDK settings of their own
    (an empty HOME): npx finds the pinned CLI offline and the CLI synthesizes cdk.json's app.

    jsii's package cache (where it extracts aws-cdk-lib's 37 MB tarball once per user) stays the
    real one: under an empty HOME each run would extract it again (~6 s of a cold suite)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CDK_DISABLE_VERSION_CHECK": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(_jsii_package_cache()),
    }
    done = subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "--output", str(tmp_path / "out"), "--no-notices"],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "MlEndpointController.template.json").is_file()


def _jsii_package_cache() -> Path:
    """Where jsii keeps extracted packages for this user (its default: ~/.cache/aws/jsii/package-cache
    on Linux, unless ``JSII_RUNTIME_PACKAGE_CACHE_ROOT`` says otherwise)."""
    import os

    given = os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT")
    return Path(given) if given else Path.home() / ".cache" / "aws" / "jsii" / "package-cache"


# -- issue 24: every timing figure comes from a benchmark the docs name ------------------------------
def test_the_docs_quote_bench_and_the_synthesis_as_they_speak() -> None:
    """What ``endpointctl bench`` and a synthesis say about their own duration is what the docs
    quote, and the docs' bench table has every row bench prints."""
    from endpointctl import bench, synth

    waiting = (project_root() / "docs" / "waiting.md").read_text()
    assert f'"{bench.ROWS_TAKE}"' in waiting and f'"{bench.TIMINGS_TAKE}"' in waiting
    assert all(line in waiting.splitlines() for line in bench.HEADER)
    rows = [line for line in waiting.splitlines() if re.match(r"^\| [a-z].* \| \d+ min \|", line)]
    assert len(rows) == bench.planned_rows(), (
        "docs/waiting.md's table lacks rows: paste `endpointctl bench`'s"
    )
    assert f'"{synth.HOW_LONG}"' in (project_root() / "docs" / "local-runner.md").read_text()


def test_a_measured_time_names_its_benchmark_and_the_load() -> None:
    """A paragraph that says how long something took or takes (``took 1.44 s``, ``takes about
    11 s``, ``~8 s``, ``takes about 4 minutes``, ``costs a cold run 6-8 s``) names the command that measured it (in backticks) and the machine's load
    average: a figure without them cannot be checked. (Virtual times, limits and the simulated
    services' durations are not measurements.)"""
    measured = re.compile(
        r"\b(took|takes|costs?)( about| a cold run)? \d+([.-]\d+)? s\b"
        r"|\b(took|takes) about \d+ minutes|~ ?\d+(\.\d+)? ?s\b"
    )
    for page in [project_root() / "README.md", *sorted((project_root() / "docs").glob("*.md"))]:
        for paragraph in (" ".join(p.split()) for p in re.split(r"\n\s*\n", page.read_text())):
            if measured.search(paragraph):
                where = f"{page.name}: {paragraph[:80]!r}"
                assert "load average" in paragraph, f"{where} quotes a time without the load"
                assert re.search(r"`endpointctl [a-z]", paragraph), (
                    f"{where} names no command that measured it"
                )
