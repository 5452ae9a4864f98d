"""Shared fixtures: the synthesized templates (what ``cdk synth`` produces: with the default context,
and with ``tests.infra.contexts.CUSTOM``) and the local runner."""

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


@pytest.fixture(scope="session")
def custom_template() -> dict[str, Any]:
    """The template of ``tests.infra.contexts.CUSTOM``: every optional setting at once, one synth
    (its docstring says why one) for the tests that read a setting off its default."""
    from endpointctl import project_root
    from endpointctl.synth import synthesize
    from tests.infra.contexts import CUSTOM

    return synthesize(project_root(), CUSTOM)


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
