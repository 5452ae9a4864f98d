"""Readiness from SageMaker's state-change events: reading the event, the waiting step, the resume.

The waiting step parks its task token; whoever sees the endpoint settle first takes the token and
resumes the execution. Duplicated, stale, out-of-order and foreign events change nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from controller import clock, idempotency, ledger, task_tokens
from controller.providers.base import Status
from controller.providers.sagemaker import SageMakerProvider
from tests.unit.conftest import EXECUTION, REQUEST_ID, invoke
from tests.unit.conftest import state_change_event as event
from tests.unit.conftest import waiting_state as state

NAME = "churn-prod"
read_state_change = SageMakerProvider().read_state_change


@pytest.fixture
def world(sagemaker_endpoint: dict[str, Any]) -> dict[str, Any]:
    return sagemaker_endpoint


def park(token: str = "token-1", **overrides: Any) -> str:
    key = task_tokens.key("sagemaker", NAME)
    task_tokens.park(key, token, state(**overrides), clock.now() + 3600)
    return key


# -- reading the event ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "status", "spelled"),
    [
        ("IN_SERVICE", Status.READY, "InService"),
        ("InService", Status.READY, "InService"),
        ("FAILED", Status.FAILED, "Failed"),
        ("UPDATE_ROLLBACK_FAILED", Status.FAILED, "UpdateRollbackFailed"),
        ("CREATING", Status.CREATING, "Creating"),
        ("DELETING", Status.DELETING, "Deleting"),
        ("DELETED", Status.ABSENT, "Deleted"),
    ],
)
def test_both_spellings_of_a_status_are_read(raw: str, status: Status, spelled: str) -> None:
    change = read_state_change(event(raw))
    assert change is not None
    assert (change.endpoint_id, change.status, change.provider_status, change.owner) == (
        NAME,
        status,
        spelled,
        REQUEST_ID,
    )


def test_other_events_are_not_state_changes() -> None:
    assert read_state_change({**event(), "source": "aws.ec2"}) is None
    assert read_state_change({**event(), "detail-type": "SageMaker Endpoint Config State Change"}) is None
    assert read_state_change({**event(), "detail": {"EndpointStatus": "IN_SERVICE"}}) is None


@pytest.mark.parametrize("raw", ["Baking", "BAKING"])
def test_a_deployment_event_reads_as_the_update_s_phase(raw: str) -> None:
    # The documented example (automating-sagemaker-with-eventbridge.html) spells it "Baking".
    change = read_state_change(deployment_event(raw))
    assert change is not None
    assert (change.endpoint_id, change.status, change.provider_status) == (
        NAME,
        Status.CREATING,
        "Updating (Baking)",
    )


def deployment_event(phase: str) -> dict[str, Any]:
    """A ``SageMaker Endpoint Deployment State Change`` of an update in ``phase``."""
    base = event("UPDATING")
    pending = {
        "EndpointConfigName": "cfg-v2",
        "ProductionVariants": [{"VariantName": "v", "VariantStatus": [{"Status": phase}]}],
    }
    detail = {**base["detail"], "PendingDeploymentSummary": pending}
    return {**base, "detail-type": "SageMaker Endpoint Deployment State Change", "detail": detail}


def deploying(world: dict[str, Any], phase: str) -> None:
    """The endpoint updating to ``cfg-v2``, its new fleet in ``phase``."""
    world["endpoint"].endpoint_status = "Updating"
    world["endpoint"].pending_deployment_summary = {
        "EndpointConfigName": "cfg-v2",
        "ProductionVariants": [{"VariantName": "v", "VariantStatus": [{"Status": phase}]}],
    }


def updating(**overrides: Any) -> dict[str, Any]:
    """The waiting state of an update of the endpoint to ``cfg-v2``."""
    change = {"previous": "cfg", "requested": "cfg-v2"}
    return {"action": "update", "change": change, "created": [], **overrides}


# -- resume ----------------------------------------------------------------------------------------
def test_an_in_service_event_resumes_the_waiting_lifecycle_with_its_publication(
    world: dict[str, Any],
) -> None:
    key = park()
    result = invoke(event("IN_SERVICE"))
    assert result == {"resumed": EXECUTION, "by": "event", "providerStatus": "InService", "verdict": "ready"}
    [(token, output)] = world["resumed"]
    assert token == "token-1"
    assert output["verdict"] == "ready" and output["detailType"] == "Endpoint Ready"
    assert output["detail"]["status"] == "READY" and output["detail"]["endpointId"] == NAME
    assert task_tokens.lookup(key) is None  # taken


def test_a_duplicated_event_resumes_once(world: dict[str, Any]) -> None:
    park()
    invoke(event("IN_SERVICE"))
    second = invoke(event("IN_SERVICE"))
    assert "ignored" in second and len(world["resumed"]) == 1


def test_a_stale_terminal_event_changes_nothing_while_the_service_says_creating(
    world: dict[str, Any],
) -> None:
    world["endpoint"].endpoint_status = "Creating"  # e.g. the FAILED of an earlier incarnation
    key = park()
    result = invoke(event("FAILED"))
    assert result == {"ignored": f"{NAME} is still Creating"}
    assert world["resumed"] == [] and task_tokens.lookup(key) is not None


def test_a_non_terminal_event_is_ignored_without_a_look(world: dict[str, Any]) -> None:
    key = park()
    assert "ignored" in invoke(event("CREATING"))
    assert world["resumed"] == [] and task_tokens.lookup(key) is not None


def test_an_event_of_another_requests_endpoint_is_ignored(world: dict[str, Any]) -> None:
    key = park()
    result = invoke(event("IN_SERVICE", owner="someone-else"))
    assert result == {"ignored": f"{NAME} belongs to request someone-else"}
    assert world["resumed"] == [] and task_tokens.lookup(key) is not None


def test_an_event_nobody_waits_for_is_ignored(world: dict[str, Any]) -> None:
    assert invoke(event("IN_SERVICE")) == {"ignored": f"no lifecycle waits for {NAME}"}


def test_a_failed_event_resumes_toward_the_rollback(world: dict[str, Any]) -> None:
    world["endpoint"].endpoint_status = "Failed"
    world["endpoint"].failure_reason = "ping failed"
    park()
    invoke(event("FAILED"))
    [(_, output)] = world["resumed"]
    assert output["verdict"] == "failed" and "detail" not in output
    assert (
        output["failure"]["code"] == "EndpointCreationFailed"
        and "ping failed" in output["failure"]["message"]
    )


# -- an update's phases -------------------------------------------------------------------------------
def test_a_new_phase_resumes_the_waiting_update_with_wait_after_one_look(world: dict[str, Any]) -> None:
    deploying(world, "Baking")
    key = park(**updating(providerStatus="Updating (ActivatingTraffic)", wait=900))
    result = invoke(deployment_event("Baking"))
    assert result == {
        "resumed": EXECUTION,
        "by": "event",
        "providerStatus": "Updating (Baking)",
        "verdict": "wait",
    }
    [(token, output)] = world["resumed"]
    assert token == "token-1" and task_tokens.lookup(key) is None
    # the same state, its new phase, and the event fallback's period before the next look
    assert output["verdict"] == "wait" and output["providerStatus"] == "Updating (Baking)"
    assert output["wait"] == 900 and output["change"]["requested"] == "cfg-v2"
    assert "detail" not in output and "failure" not in output


def test_a_duplicate_of_the_recorded_phase_changes_nothing_without_a_look(world: dict[str, Any]) -> None:
    world["endpoint"].endpoint_status = "InService"  # a look would find the update settled
    key = park(**updating(providerStatus="Updating (Baking)"))
    assert invoke(deployment_event("Baking")) == {"ignored": "Updating (Baking) is recorded"}
    assert world["resumed"] == [] and task_tokens.lookup(key) is not None


def test_a_late_copy_of_an_earlier_phase_changes_nothing(world: dict[str, Any]) -> None:
    deploying(world, "Baking")
    key = park(**updating(providerStatus="Updating (Baking)"))
    assert invoke(deployment_event("Creating")) == {"ignored": f"{NAME} is still Updating (Baking)"}
    assert world["resumed"] == [] and task_tokens.lookup(key) is not None


def test_the_wait_after_a_new_phase_is_cut_to_the_deadline(world: dict[str, Any]) -> None:
    deploying(world, "Baking")
    park(**updating(providerStatus="Updating (Creating)", deadline=clock.now() + 100))
    invoke(deployment_event("Baking"))
    [(_, output)] = world["resumed"]
    assert output["verdict"] == "wait" and 99 <= output["wait"] <= 100


def test_a_phase_event_of_a_finished_update_resumes_with_the_outcome(world: dict[str, Any]) -> None:
    world["endpoint"].endpoint_config_name = "cfg-v2"  # InService on the requested config
    park(**updating(providerStatus="Updating (ActivatingTraffic)"))
    invoke(deployment_event("Baking"))  # delivered late: the update has settled since
    [(_, output)] = world["resumed"]
    assert output["verdict"] == "ready" and output["detailType"] == "Endpoint Updated"


def test_a_rolling_back_event_is_a_phase_of_the_update(world: dict[str, Any]) -> None:
    deploying(world, "Baking")
    world["endpoint"].endpoint_status = "RollingBack"
    park(**updating(providerStatus="Updating (Baking)"))
    result = invoke(event("ROLLING_BACK"))
    assert result["verdict"] == "wait" and result["providerStatus"] == "RollingBack (Baking)"


def test_await_records_a_phase_its_input_has_not_seen(world: dict[str, Any]) -> None:
    deploying(world, "Creating")
    result = invoke({"step": "await", "state": state(**updating(providerStatus="Updating")), "token": "t-5"})
    assert result == {
        "resumed": EXECUTION,
        "by": "look",
        "providerStatus": "Updating (Creating)",
        "verdict": "wait",
    }
    [(token, output)] = world["resumed"]
    assert token == "t-5" and output["providerStatus"] == "Updating (Creating)" and output["wait"] == 900
    assert task_tokens.lookup(task_tokens.key("sagemaker", NAME)) is None


def test_await_in_a_recorded_phase_parks_and_waits(world: dict[str, Any]) -> None:
    deploying(world, "Baking")
    result = invoke(
        {"step": "await", "state": state(**updating(providerStatus="Updating (Baking)")), "token": "t-6"}
    )
    assert result == {"waiting": EXECUTION, "providerStatus": "Updating (Baking)", "verdict": "wait"}
    assert world["resumed"] == []


def test_a_token_that_timed_out_meanwhile_is_left_to_the_retry(world: dict[str, Any]) -> None:
    park()
    world["answer"]["ok"] = False
    assert "ignored" in invoke(event("IN_SERVICE"))


@pytest.mark.parametrize("status", ["IN_SERVICE", "FAILED"])
def test_an_event_after_the_execution_was_stopped_records_no_outcome(
    world: dict[str, Any], status: str
) -> None:
    # Stopped while it waited: the token stays parked, its task no longer waits. A ready endpoint's
    # outcome is not recorded (no claim to replay "Endpoint Ready", the ledger stays the clean-up's).
    held()
    key = park()
    world["endpoint"].endpoint_status = "InService" if status == "IN_SERVICE" else "Failed"
    world["answer"]["waiting"] = False
    world["answer"]["ok"] = False  # SendTaskSuccess would say TaskTimedOut too

    result = invoke(event(status))

    assert "ignored" in result
    assert task_tokens.lookup(key) is None  # taken: a later event does not look again
    found = ledger.read(EXECUTION)
    assert found is not None and found.phase == ledger.RUNNING  # its clean-up's to settle
    claim = idempotency.lookup(REQUEST_ID)
    assert claim is not None and (claim.status, claim.publication) == (idempotency.IN_PROGRESS, None)
    if status == "IN_SERVICE":
        assert world["probed"] == ["token-1"] and world["resumed"] == []
    else:  # a failed verdict records nothing: handed over without asking
        assert world["probed"] == []


def test_await_that_finds_the_endpoint_ready_after_a_stop_records_no_outcome(world: dict[str, Any]) -> None:
    held()
    world["answer"]["waiting"] = False
    result = invoke({"step": "await", "state": state(), "token": "token-5"})
    assert result["by"] == "look" and world["resumed"] == []
    claim = idempotency.lookup(REQUEST_ID)
    assert claim is not None and claim.publication is None
    found = ledger.read(EXECUTION)
    assert found is not None and found.phase == ledger.RUNNING


def test_a_waiting_task_is_asked_before_a_ready_outcome_is_recorded(world: dict[str, Any]) -> None:
    held()
    park()
    invoke(event("IN_SERVICE"))
    assert world["probed"] == ["token-1"] and len(world["resumed"]) == 1
    claim = idempotency.lookup(REQUEST_ID)
    assert claim is not None and claim.publication is not None
    found = ledger.read(EXECUTION)
    assert found is not None and found.phase != ledger.RUNNING  # concluded: the ledger closed


def held() -> None:
    """The request claimed by the waiting execution, its ledger open (as validate leaves them)."""
    idempotency.claim(REQUEST_ID, EXECUTION)
    ledger.open_for(
        EXECUTION,
        request_id=REQUEST_ID,
        endpoint_type="sagemaker",
        action="create",
        endpoint_id=NAME,
        deadline=clock.now() + 3600,
    )


# -- await -----------------------------------------------------------------------------------------
def test_await_parks_the_token_while_the_endpoint_is_creating(world: dict[str, Any]) -> None:
    world["endpoint"].endpoint_status = "Creating"
    result = invoke({"step": "await", "state": state(), "token": "token-2"})
    assert result == {"waiting": EXECUTION, "providerStatus": "Creating", "verdict": "wait"}
    parked = task_tokens.lookup(task_tokens.key("sagemaker", NAME))
    assert parked is not None and parked.token == "token-2"
    assert world["resumed"] == []


def test_await_resumes_itself_when_the_endpoint_is_ready_already(world: dict[str, Any]) -> None:
    result = invoke({"step": "await", "state": state(), "token": "token-3"})
    assert result == {"resumed": EXECUTION, "by": "look", "providerStatus": "InService", "verdict": "ready"}
    [(token, output)] = world["resumed"]
    assert token == "token-3" and output["verdict"] == "ready"
    assert task_tokens.lookup(task_tokens.key("sagemaker", NAME)) is None


def test_await_past_the_deadline_resumes_with_a_timeout(world: dict[str, Any]) -> None:
    world["endpoint"].endpoint_status = "Creating"
    late = state(deadline=clock.now() - 1)
    invoke({"step": "await", "state": late, "token": "token-4"})
    [(_, output)] = world["resumed"]
    assert output["verdict"] == "timeout" and output["failure"]["code"] == "EndpointTimeout"


def test_a_newer_token_wins_over_an_older_one(world: dict[str, Any]) -> None:
    key = park("old")
    park("new")
    assert not task_tokens.take(key, "old")
    assert task_tokens.take(key, "new")
