"""A teardown that finds a name absent frees its claim only when no other execution is at work on
it: found by the property test (tests/e2e/test_leak_properties.py), where a delete freed the claim
of a create whose answer was lost, and the create's retry then took its own endpoint for someone
else's (``EndpointAlreadyExists``) and left it."""

from __future__ import annotations

from controller import ledger, ownership, providers
from controller.providers.base import Resource
from controller.state import Teardown
from controller.steps.teardown import _gone

ENDPOINT = Resource(kind="endpoint", id="ep-a")


def claim_of(execution: str) -> str:
    provider = providers.get("sagemaker")
    key = ownership.key("sagemaker", ENDPOINT, provider.identity(ENDPOINT))
    ownership.claim(key, f"req-{execution}", execution)
    return key


def plan() -> Teardown:
    return Teardown(mode="delete", targets=[ENDPOINT], deadline=10**10)


def open_ledger(execution: str) -> None:
    ledger.open_for(
        execution,
        request_id=f"req-{execution}",
        endpoint_type="sagemaker",
        action="create",
        endpoint_id="ep-a",
        deadline=10**10,
    )


def test_a_delete_leaves_the_claim_of_a_create_still_at_work() -> None:
    key = claim_of("arn-create")
    open_ledger("arn-create")

    _gone(plan(), providers.get("sagemaker"), ENDPOINT, "arn-delete")

    held = ownership.holder(key)
    assert held is not None and held.execution_arn == "arn-create"


def test_a_delete_frees_the_claim_of_a_create_that_ended() -> None:
    key = claim_of("arn-create")  # no open ledger: that execution is over

    _gone(plan(), providers.get("sagemaker"), ENDPOINT, "arn-delete")

    assert ownership.holder(key) is None


def test_a_rollback_frees_its_own_claim() -> None:
    key = claim_of("arn-create")
    open_ledger("arn-create")

    _gone(plan(), providers.get("sagemaker"), ENDPOINT, "arn-create")

    assert ownership.holder(key) is None
