"""A clean-up's finish happens once: two passes that reach it together (the pass the execution's
end started and a sweep's) publish the request's notification once between them; a pass that died
holding the finish is taken over once its hold is stale, never sooner."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller import clock, ledger, notify, store
from controller.resources import Resource
from controller.state import Teardown
from controller.steps import notices
from controller.store import InMemoryStore

ARN = "arn:aws:states:us-east-1:123456789012:execution:SageMaker:stopped-1"
NOW = 1_767_225_600.0


@pytest.fixture(autouse=True)
def _world(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    monkeypatch.delenv("REQUESTS_TABLE", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")
    monkeypatch.setattr(store, "memory", InMemoryStore())
    clock.use(lambda: NOW)
    yield []
    clock.use(None)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []
    lock = threading.Lock()

    def publish(publication: Any) -> None:
        with lock:
            sent.append(publication)

    monkeypatch.setattr(notify, "publish", publish)
    return sent


def _cleaning() -> ledger.Ledger:
    ledger.open_for(
        ARN,
        request_id="stopped-1",
        endpoint_type="sagemaker",
        action="create",
        endpoint_id=None,
        deadline=NOW,
    )
    ledger.update(ARN, phase=ledger.CLEANING, failure={"code": "ExecutionAborted", "message": "stopped"})
    found = ledger.read(ARN)
    assert found is not None
    return found


def _plan() -> Teardown:
    target = Resource(kind="endpoint", id="fraud-canary", gone=True)
    return Teardown(mode="rollback", targets=[target], deadline=NOW, deleted=["endpoint fraud-canary"])


def test_two_passes_one_after_the_other_publish_once(published: list[Any]) -> None:
    first, second = _cleaning(), _cleaning()  # both read the ledger while it was cleaning
    notices.finish(first, _plan())
    notices.finish(second, _plan())
    assert len(published) == 1
    closed = ledger.read(ARN)
    assert closed is not None and closed.phase == ledger.DONE


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=2, max_value=6))
def test_passes_racing_to_the_finish_publish_once(passes: int) -> None:
    """Every pass read the ledger as cleaning and reaches the finish at the same moment."""
    store.memory.clear()
    sent: list[Any] = []
    original = notify.publish
    notify.publish = sent.append  # type: ignore[assignment]
    try:
        found = [_cleaning() for _ in range(passes)]
        start = threading.Barrier(passes)

        def run(mine: ledger.Ledger) -> None:
            start.wait()
            notices.finish(mine, _plan())

        threads = [threading.Thread(target=run, args=(f,)) for f in found]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        notify.publish = original  # type: ignore[assignment]
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("held_for", "takes_over"),
    [(0, False), (ledger.FINISH_LEASE_SECONDS - 1, False), (ledger.FINISH_LEASE_SECONDS + 1, True)],
)
def test_a_pass_that_died_holding_the_finish_is_taken_over_once_stale(
    published: list[Any], held_for: int, takes_over: bool
) -> None:
    found = _cleaning()
    assert ledger.take_finish(ARN)  # a pass took it, then its function stopped
    clock.use(lambda: NOW + held_for)
    notices.finish(found, _plan())
    assert len(published) == (1 if takes_over else 0)
    assert ledger.take_finish(ARN) is False  # whoever holds it now, fresh, keeps it
