"""One operation per endpoint (``controller.turns``), and the one answer of a request refused
after its ledger was opened (found by the property test: Reject answered, then the clean-up of the
ended execution answered again)."""

from __future__ import annotations

from controller import ledger, providers, turns
from controller.providers.base import Resource

PROVIDER = providers.get("sagemaker")
KEY = turns.key(PROVIDER, "Churn-Prod")


def open_ledger(execution: str) -> None:
    ledger.open_for(
        execution,
        request_id=f"req-{execution}",
        endpoint_type="sagemaker",
        action="update",
        endpoint_id="churn-prod",
        deadline=10**10,
    )


def test_the_lease_is_per_endpoint_identity_and_one_holder_at_a_time() -> None:
    assert turns.key(PROVIDER, "churn-prod") == KEY  # SageMaker names compare case-insensitively
    open_ledger("arn-a")
    open_ledger("arn-b")
    assert turns.take(KEY, "arn-a") is None
    assert turns.take(KEY, "arn-a") is None  # a retried step keeps it
    assert turns.take(KEY, "arn-b") == "arn-a"  # b waits its turn
    turns.release(KEY, "arn-b")  # not b's: nothing happens
    assert turns.take(KEY, "arn-b") == "arn-a"
    turns.release(KEY, "arn-a")
    assert turns.take(KEY, "arn-b") is None


def test_a_lease_whose_holder_ended_is_taken_over() -> None:
    open_ledger("arn-a")
    assert turns.take(KEY, "arn-a") is None
    ledger.close("arn-a", "sagemaker", ledger.DONE)  # stopped and cleaned up, lease never released
    open_ledger("arn-b")
    assert turns.take(KEY, "arn-b") is None
    assert turns.take(KEY, "arn-a") == "arn-b"


def test_a_refusal_after_the_ledger_was_opened_closes_it() -> None:
    open_ledger("arn-a")
    ledger.closed_for("arn-a", request_id="req-arn-a", endpoint_type="sagemaker")
    found = ledger.read("arn-a")
    assert found is not None and not found.open


def test_a_refusal_never_closes_a_ledger_with_claims() -> None:
    open_ledger("arn-a")
    ledger.record_claim("arn-a", Resource(kind=PROVIDER.endpoint_kind, id="churn-prod"))
    ledger.closed_for("arn-a", request_id="req-arn-a", endpoint_type="sagemaker")
    found = ledger.read("arn-a")
    assert found is not None and found.phase == ledger.RUNNING  # the clean-up still owes its teardown
