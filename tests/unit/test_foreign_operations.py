"""Waiting for an operation that is not the controller's (``Provider.occupied``, used by
``steps.intake.take_turn``): which service statuses an update waits out, per type, and how the
turn waits (keeping the lease), gives up (``EndpointBusy``) and translates the service's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from controller import clock, ledger, providers, turns
from controller.errors import ProviderError, ServiceThrottled, TransientServiceError
from controller.providers.base import Observation, Provider, Resource, Status
from controller.providers.neptune import NeptuneProvider, normalize
from controller.providers.sagemaker import SageMakerProvider
from controller.providers.sagemaker.update import under_way
from controller.state import State
from controller.steps.intake import take_turn
from tests.unit.conftest import ENDPOINT_NAME, EXECUTION

OTHER = EXECUTION.replace("run-1", "run-2")


# -- SageMaker ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "busy"),
    [
        ("Creating", True),
        ("Updating", True),
        ("SystemUpdating", True),
        ("RollingBack", True),
        ("Deleting", True),
        ("InService", False),
        ("Failed", False),  # the update goes on and fails as it always did
        ("UpdateRollbackFailed", False),
        ("OutOfService", False),  # no operation that waiting would end
    ],
)
def test_sagemaker_an_update_waits_out_the_statuses_of_an_operation_under_way(
    sagemaker_endpoint: dict[str, Any], status: str, busy: bool
) -> None:
    sagemaker_endpoint["endpoint"].endpoint_status = status
    assert SageMakerProvider().occupied("update", ENDPOINT_NAME) == (status if busy else None)


def test_sagemaker_a_pending_deployment_is_under_way_whatever_the_status() -> None:
    pending = {
        "EndpointConfigName": "cfg-2",
        "ProductionVariants": [{"VariantName": "v", "VariantStatus": [{"Status": "Baking"}]}],
    }
    assert (
        under_way({"EndpointStatus": "Updating", "PendingDeploymentSummary": pending}) == "Updating (Baking)"
    )
    assert under_way(
        {"EndpointStatus": "InService", "PendingDeploymentSummary": {"EndpointConfigName": "x"}}
    ) == ("InService (a deployment pending)")
    assert under_way({"EndpointStatus": "InService"}) is None
    assert under_way(None) is None


def test_sagemaker_an_absent_endpoint_is_left_to_the_update(sagemaker_endpoint: dict[str, Any]) -> None:
    assert SageMakerProvider().occupied("update", "no-such-endpoint") is None  # update: EndpointNotFound


@pytest.mark.parametrize("action", ["create", "delete"])
def test_sagemaker_other_actions_ask_nothing(monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    def described(self: Any, name: str) -> Any:
        raise AssertionError("no call")

    monkeypatch.setattr(SageMakerProvider, "_described", described)
    assert SageMakerProvider().occupied(action, ENDPOINT_NAME) is None


# -- Neptune ML, and the default ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "busy"),
    [
        ("Creating", True),
        ("Updating", True),
        ("Deleting", True),
        ("InService", False),
        ("Failed", False),  # update answers EndpointUpdateFailed, as before
        (None, False),  # absent: update answers EndpointNotFound
    ],
)
def test_neptune_an_update_waits_while_the_endpoint_is_on_its_way(
    monkeypatch: pytest.MonkeyPatch, status: str | None, busy: bool
) -> None:
    looked: list[str] = []

    def describe(self: Any, resource: Resource) -> Observation:
        looked.append(resource.id)
        if status is None:
            return Observation(status=Status.ABSENT)
        return Observation(status=normalize(status), provider_status=status)

    monkeypatch.setattr(NeptuneProvider, "describe", describe)
    assert NeptuneProvider().occupied("update", "np-1") == (status if busy else None)
    assert NeptuneProvider().occupied("create", "np-1") is None
    assert looked == ["np-1"]  # only the update looked


def test_a_type_that_says_nothing_asks_nothing() -> None:
    aml = providers.get("aml")
    assert type(aml).occupied is Provider.occupied
    assert aml.occupied("update", "model-1") is None


# -- the turn -------------------------------------------------------------------------------------
class Busy(SageMakerProvider):
    """SageMaker whose endpoint shows someone else's operation (``answers``, one per look)."""

    def __init__(self, *answers: str | Exception | None) -> None:
        self.answers = list(answers)
        self.asked = 0

    def occupied(self, action: str, endpoint_id: str) -> str | None:
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def update_state(timeout: int = 3600, **overrides: Any) -> State:
    now = clock.now()
    body: dict[str, Any] = {
        "requestId": "req-1",
        "action": "update",
        "endpointType": "sagemaker",
        "params": {"EndpointName": ENDPOINT_NAME, "EndpointConfigName": "cfg-2"},
        "options": {"pollIntervalSeconds": 30, "timeoutSeconds": timeout, "rollback": True},
        "executionArn": EXECUTION,
        "startedAt": clock.iso(now),
        "deadline": now + timeout,
        "endpointId": ENDPOINT_NAME,
        "wait": 7,
    }
    return State.model_validate(body | overrides)


def open_ledger(execution: str) -> None:
    ledger.open_for(
        execution,
        request_id=f"req-{execution}",
        endpoint_type="sagemaker",
        action="update",
        endpoint_id=ENDPOINT_NAME,
        deadline=10**10,
    )


def test_an_update_waits_for_a_foreign_operation_keeping_the_lease_then_goes_on() -> None:
    open_ledger(EXECUTION)
    provider = Busy("Updating", None)
    waiting = take_turn(update_state(), provider)
    assert (waiting["verdict"], waiting["wait"], waiting["firstWait"]) == ("queued", turns.TURN_SECONDS, 7)
    key = turns.key(provider, ENDPOINT_NAME)
    assert turns.take(key, OTHER) == EXECUTION  # the controller's next request queues behind it
    going = take_turn(State.model_validate(waiting), provider)
    assert (going["verdict"], going["wait"]) == ("wait", 7)  # its first look, as planned
    assert provider.asked == 2


def test_a_foreign_operation_past_the_deadline_is_endpoint_busy() -> None:
    state = update_state(timeout=300, deadline=clock.now() - 1)
    busy = take_turn(state, Busy("RollingBack"))
    assert busy["verdict"] == "busy"
    assert busy["failure"] == {
        "code": "EndpointBusy",
        "message": f"{ENDPOINT_NAME} is RollingBack with an operation that is not this controller's, "
        "still under way after 300 s",
        "fields": [],
    }


def test_the_wait_is_cut_to_the_deadline() -> None:
    waiting = take_turn(update_state(deadline=clock.now() + 4.2), Busy("Updating"))
    assert (waiting["verdict"], waiting["wait"]) == ("queued", 5)


def test_while_the_controller_holds_the_endpoint_the_service_is_not_asked() -> None:
    open_ledger(OTHER)
    provider = Busy()
    assert turns.take(turns.key(provider, ENDPOINT_NAME), OTHER) is None
    waiting = take_turn(update_state(), provider)
    assert waiting["verdict"] == "queued" and provider.asked == 0


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        ("ThrottlingException", ServiceThrottled),
        ("InternalFailure", TransientServiceError),
        ("AccessDeniedException", ProviderError),
    ],
)
def test_the_services_errors_are_translated(code: str, raised: type[Exception]) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "no"}}, "DescribeEndpoint")
    with pytest.raises(raised) as found:
        take_turn(update_state(), Busy(error))
    assert f"turn: sagemaker status of {ENDPOINT_NAME} failed: {code}" in str(found.value)
    assert type(found.value) is raised
