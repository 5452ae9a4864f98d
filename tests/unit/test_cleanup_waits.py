"""A clean-up that must wait says so, with what it waits for and when it is tried again: its
execution's log lines (``endpointctl logs``) show it going on between its start and its end."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from controller import clock, handlers, ledger, store
from controller.resources import Resource
from controller.state import Teardown
from controller.steps import cleanup
from controller.store import InMemoryStore

ARN = "arn:aws:states:us-east-1:123456789012:execution:SageMaker:stopped-1"


@pytest.fixture(autouse=True)
def _memory_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("REQUESTS_TABLE", raising=False)
    monkeypatch.setattr(store, "memory", InMemoryStore())
    clock.use(lambda: 1_767_225_600.0)
    yield
    clock.use(None)


def _ledger(phase: str) -> ledger.Ledger:
    return ledger.Ledger(
        execution_arn=ARN,
        request_id="stopped-1",
        endpoint_type="sagemaker",
        action="create",
        phase=phase,
        endpoint_id="fraud-canary",
    )


def _plan(deadline: float) -> Teardown:
    return Teardown(
        mode="rollback",
        targets=[Resource(kind="endpoint", id="fraud-canary")],
        deadline=deadline,
        deleted=["endpoint-config fraud-config"],
    )


def _waits(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = handlers.logger.registered_formatter
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    return [line for line in lines if line["message"] == "the clean-up waits"]


@pytest.mark.parametrize(
    ("phase", "refused", "retry"),
    [
        (ledger.CLEANING, False, "at the next sweep"),  # e.g. the endpoint still being created
        (ledger.CLEANING, True, "at the next sweep"),  # refused, still within its bound
        (ledger.LEFTOVER, True, "on the leftovers' retry schedule"),
        (ledger.LEFTOVER, False, "at the next sweep"),  # a delete on its way out
    ],
)
def test_each_pass_that_waits_says_what_for_and_when_it_goes_on(
    caplog: pytest.LogCaptureFixture, phase: str, refused: bool, retry: str
) -> None:
    caplog.set_level(logging.INFO)
    ledger.open_for(
        ARN,
        request_id="stopped-1",
        endpoint_type="sagemaker",
        action="create",
        endpoint_id="fraud-canary",
        deadline=clock.now() + 3600,
    )
    ledger.update(ARN, phase=phase)
    answer = cleanup._not_yet(
        _ledger(phase), _plan(deadline=clock.now() + 600), "endpoint fraud-canary", refused=refused
    )
    assert answer == {"cleaned": ARN, "waiting": "endpoint fraud-canary"}
    [line] = _waits(caplog)
    assert line["waiting_for"] == "endpoint fraud-canary"
    assert line["deleted"] == ["endpoint-config fraud-config"]
    assert line["retry"] == retry
    # What the line says is what was recorded: the plan kept for the next pass, and a leftover
    # refused again put on its retry schedule.
    stored = ledger.read(ARN)
    assert stored is not None and stored.cleanup is not None
    assert stored.cleanup["deleted"] == ["endpoint-config fraud-config"]
    assert ("retry" in stored.extra) == (retry == "on the leftovers' retry schedule")
