"""Shared fixtures: the synthesized template (what ``cdk synth`` produces) and the local runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "MlEndpointController")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "ml-endpoint-controller")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    from endpointctl import project_root
    from endpointctl.synth import synthesize

    return synthesize(project_root())


Runner = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def local_run(template: dict[str, Any]) -> Runner:
    """Run requests through the synthesized state machines: ``local_run([req], scenario)``."""
    from endpointctl.runner import run_requests

    def run(
        requests: list[Any],
        scenario: dict[str, Any] | None = None,
        *,
        parallel: bool = False,
        until: float | None = None,
    ) -> list[dict[str, Any]]:
        return run_requests(template, requests, scenario, parallel=parallel, until=until)[1]

    return run
