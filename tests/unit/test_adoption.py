"""Adoption against moto's SageMaker and the in-memory requests table: whose an endpoint is for an
update (``controller.adoption.admit``), and SageMaker's ownership tags (``Provider.adopt``)."""

from __future__ import annotations

from typing import Any

import pytest

from controller import adoption, clock, ledger, ownership, store
from controller.errors import EndpointNotFound, EndpointNotOwned
from controller.providers.base import Resource
from controller.providers.sagemaker import MANAGED_TAG, OWNER_TAG, SageMakerProvider
from controller.state import ResolvedOptions, State
from tests.unit.test_sagemaker_provider import make_config, make_endpoint, sagemaker, tags_of

__all__ = ["sagemaker"]  # the fixture, shared with the provider's tests

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:SageMakerLifecycle:adopt-1"
PROVIDER = SageMakerProvider()


@pytest.fixture(autouse=True)
def table() -> Any:
    store.memory.clear()
    yield store.memory
    store.memory.clear()


def update_state(name: str = "legacy", *, adopt: bool = False, request_id: str = "u-1") -> State:
    now = clock.now()
    ledger.open_for(
        EXECUTION,
        request_id=request_id,
        endpoint_type="sagemaker",
        action="update",
        endpoint_id=name,
        deadline=now + 3600,
    )
    return State(
        requestId=request_id,
        action="update",
        endpointType="sagemaker",
        params={"EndpointName": name, "EndpointConfigName": "legacy-v2"},
        options=ResolvedOptions(
            pollIntervalSeconds=30, timeoutSeconds=3600, rollback=True, adopt=adopt or None
        ),
        executionArn=EXECUTION,
        startedAt=clock.iso(now),
        deadline=now + 3600,
        endpointId=name,
    )


def claim_of(name: str) -> ownership.Holder | None:
    return ownership.holder(adoption.claim_key(PROVIDER, Resource(kind="endpoint", id=name)))


def test_an_endpoint_made_elsewhere_is_not_owned_and_nothing_is_written(sagemaker: Any) -> None:
    make_config(sagemaker, "legacy-v1")
    arn = make_endpoint(sagemaker, "legacy", "legacy-v1", {"team": "other"})

    with pytest.raises(EndpointNotOwned, match=r"options\.adopt"):
        adoption.admit(update_state(), PROVIDER)

    assert tags_of(sagemaker, arn) == {"team": "other"}
    assert claim_of("legacy") is None
    found = ledger.read(EXECUTION)
    assert found is not None and not found.extra.get(adoption.ADOPTED)


def test_an_absent_endpoint_is_endpoint_not_found(sagemaker: Any) -> None:
    with pytest.raises(EndpointNotFound):
        adoption.admit(update_state("ghost", adopt=True), PROVIDER)
    assert claim_of("ghost") is None


def test_adoption_records_claim_ledger_and_tags_and_a_retry_says_the_same(sagemaker: Any) -> None:
    make_config(sagemaker, "legacy-v1")
    arn = make_endpoint(sagemaker, "legacy", "legacy-v1", {"team": "other"})
    state = update_state(adopt=True)

    assert adoption.admit(state, PROVIDER) is True
    assert adoption.admit(state, PROVIDER) is True  # a retried Create step: adopted, nothing doubled

    held = claim_of("legacy")
    assert held is not None and (held.execution_arn, held.state) == (EXECUTION, ownership.CREATED)
    found = ledger.read(EXECUTION)
    assert found is not None and found.extra[adoption.ADOPTED] == "endpoint legacy"
    # never among what the execution created or claimed: no rollback deletes it, no settling frees it
    assert found.created == [] and found.claimed == []
    tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]
    assert len(tags) == 3
    assert tags_of(sagemaker, arn) == {
        "team": "other",
        OWNER_TAG: "u-1",
        MANAGED_TAG: "ml-endpoint-controller",
    }
    assert adoption.adopted(state.model_copy(update={"adopted": None}))


def test_an_endpoint_the_controller_owns_is_not_adopted_again(sagemaker: Any) -> None:
    make_config(sagemaker, "legacy-v1")
    make_endpoint(sagemaker, "legacy", "legacy-v1", {OWNER_TAG: "c-1", MANAGED_TAG: "ml-endpoint-controller"})
    state = update_state(adopt=True)

    assert adoption.admit(state, PROVIDER) is False
    assert claim_of("legacy") is None and not adoption.adopted(state)


def test_a_full_tag_set_leaves_no_room_for_the_ownership_tag(sagemaker: Any) -> None:
    make_config(sagemaker, "legacy-v1")
    full = make_endpoint(sagemaker, "legacy", "legacy-v1", {f"k{i}": "v" for i in range(50)})
    nearly = make_endpoint(sagemaker, "nearly", "legacy-v1", {f"k{i}": "v" for i in range(49)})

    with pytest.raises(EndpointNotOwned, match="50 tags"):
        PROVIDER.adopt(Resource(kind="endpoint", id="legacy"), "u-1")
    PROVIDER.adopt(Resource(kind="endpoint", id="nearly"), "u-1")

    assert OWNER_TAG not in tags_of(sagemaker, full)
    # the ownership tag takes the last place; the managed-by tag has none left
    assert tags_of(sagemaker, nearly)[OWNER_TAG] == "u-1" and MANAGED_TAG not in tags_of(sagemaker, nearly)


def test_an_endpoint_another_stack_owns_is_never_adopted(
    sagemaker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stacks in one account: staging may not take prod's endpoint, even with options.adopt
    (prod's records would still claim it); nothing is written, no tag changes."""
    monkeypatch.setenv("CONTROLLER_STACK_NAME", "MlEndpointControllerStaging")
    make_config(sagemaker, "legacy-v1")
    prods = {OWNER_TAG: "p-1", "ml-endpoint-controller:stack": "MlEndpointController"}
    arn = make_endpoint(sagemaker, "legacy", "legacy-v1", prods)
    state = update_state(adopt=True)

    with pytest.raises(EndpointNotOwned, match="another stack"):
        adoption.admit(state, PROVIDER)

    assert claim_of("legacy") is None and not adoption.adopted(state)
    assert tags_of(sagemaker, arn) == prods


def test_an_adopted_endpoint_carries_this_stacks_tag(sagemaker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLLER_STACK_NAME", "MlEndpointController")
    make_config(sagemaker, "legacy-v1")
    arn = make_endpoint(sagemaker, "legacy", "legacy-v1", {"team": "other"})

    assert adoption.admit(update_state(adopt=True), PROVIDER) is True

    tags = tags_of(sagemaker, arn)
    assert tags[OWNER_TAG] == "u-1" and tags["ml-endpoint-controller:stack"] == "MlEndpointController"
    # with 49 tags there is no room for both of the controller's: refused, nothing changed
    nearly = make_endpoint(sagemaker, "nearly", "legacy-v1", {f"k{i}": "v" for i in range(49)})
    with pytest.raises(EndpointNotOwned, match="49 tags"):
        PROVIDER.adopt(Resource(kind="endpoint", id="nearly"), "u-2")
    assert OWNER_TAG not in tags_of(sagemaker, nearly)
