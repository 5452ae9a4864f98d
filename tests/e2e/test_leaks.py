"""Nothing lost, nothing foreign touched: each leak a strict simulation showed, through the
synthesized definitions, with the runner's ``applied`` faults, ``abortAtSeconds`` and ``until``.

The numbers are the points of the issue that found them: 1 a transient error after an inline
config, 2 lost answers, 3 deadlines on every wait path, 4 Step Functions' quotas, 5 stopped
executions, 6 what a ``RollbackFailed`` leaves, 7 a reused request id, 8 two creates of one
identity, 9 requests that fan out, 10 misreports, 11 retry budgets over a long wait.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import OWNER_TAG, one_notification

pytestmark = pytest.mark.slow

JOB = "train-1"


def sagemaker(name: str = "ep", **extra: Any) -> dict[str, Any]:
    return {
        "endpointType": "sagemaker",
        "params": {"EndpointName": name, "EndpointConfigName": f"{name}-cfg"},
        **extra,
    }


def inline(name: str = "ep", tags: int = 0, **extra: Any) -> dict[str, Any]:
    config = {
        "EndpointConfigName": f"{name}-cfg",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    }
    if tags:
        config["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(tags)]
    request = sagemaker(name, **extra)
    request["params"]["EndpointConfig"] = config
    return request


def aml(model: str = "m", **extra: Any) -> dict[str, Any]:
    return {"endpointType": "aml", "params": {"MLModelId": model}, **extra}


def neptune(endpoint_id: str | None = "g", **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"mlModelTrainingJobId": JOB}
    if endpoint_id is not None:
        params["id"] = endpoint_id
    return {"endpointType": "neptune", "params": params, **extra}


def faults(*items: dict[str, Any]) -> dict[str, Any]:
    return {"faults": list(items)}


def fault(
    operation: str,
    error: str,
    *,
    applied: bool = False,
    count: int = 1,
    message: str | None = None,
    every: int = 1,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "operation": operation,
        "error": error,
        "applied": applied,
        "count": count,
        "every": every,
    }
    if message:
        found["message"] = message
    return found


def left(result: dict[str, Any]) -> dict[str, list[str]]:
    """The endpoints left in each service (SageMaker's configs: ``configs``)."""
    remaining = result["remaining"]
    return {
        "sagemaker": remaining["sagemaker"]["endpoints"],
        "aml": remaining["aml"]["realtimeEndpoints"],
        "neptune": remaining["neptune"]["endpoints"],
    }


def configs(result: dict[str, Any]) -> list[str]:
    return list(result["remaining"]["sagemaker"]["endpointConfigs"])


def notifications(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["detail-type"], e["detail"]) for e in result["notifications"]["events"]]


# -- 1. a transient error after the inline config was created ------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        fault("CreateEndpoint", "InternalFailure"),
        fault(
            "CreateEndpoint", "ValidationException", message="Could not find endpoint configuration ep-cfg."
        ),
    ],
    ids=["internal-failure", "eventually-consistent-config"],
)
def test_a_retried_create_keeps_its_inline_config_and_ends_ready(
    local_run: Runner, error: dict[str, Any]
) -> None:
    [result] = local_run([inline(tags=48)], {"sagemaker": faults(error)})

    assert one_notification(result)["status"] == "READY"
    assert result["calls"].count("sagemaker:CreateEndpointConfig") == 1
    assert result["calls"].count("sagemaker:CreateEndpoint") == 2
    assert left(result)["sagemaker"] == ["ep"]
    assert configs(result) == ["ep-cfg"]


def test_fifty_tags_of_ones_own_leave_no_room_for_ownership_and_are_refused(local_run: Runner) -> None:
    [result] = local_run([inline(tags=50)])

    detail = one_notification(result)
    assert detail["error"]["code"] == "InvalidRequest"
    assert detail["error"]["fields"] == ["params.EndpointConfig.Tags"]
    assert result["calls"] == []


# -- 2. lost answers: the call took effect, the answer was an error ---------------------------------
@pytest.mark.parametrize("error", ["InternalServerException", "ReadTimeout"])
@pytest.mark.parametrize("endpoint_id", [None, "g"], ids=["derived-id", "given-id"])
def test_neptune_a_lost_create_answer_finds_its_own_endpoint(
    local_run: Runner, error: str, endpoint_id: str | None
) -> None:
    [result] = local_run(
        [neptune(endpoint_id)], {"neptune": faults(fault("CreateMLEndpoint", error, applied=True))}
    )

    detail = one_notification(result)
    assert detail["status"] == "READY", detail
    assert result["calls"].count("neptunedata:CreateMLEndpoint") == 1
    assert left(result)["neptune"] == [detail["endpointId"]]  # one endpoint, its own


@pytest.mark.parametrize("error", ["InternalServerException", "ReadTimeout"])
def test_aml_a_lost_create_answer_finds_its_own_endpoint(local_run: Runner, error: str) -> None:
    [result] = local_run([aml()], {"aml": faults(fault("CreateRealtimeEndpoint", error, applied=True))})

    assert one_notification(result)["status"] == "READY"
    assert result["calls"].count("machinelearning:CreateRealtimeEndpoint") == 1
    assert left(result)["aml"] == ["m"]


@pytest.mark.parametrize("error", ["InternalFailure", "ReadTimeout"])
def test_sagemaker_a_lost_create_answer_with_many_tags_finds_its_own_endpoint(
    local_run: Runner, error: str
) -> None:
    request = sagemaker()
    request["params"]["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(48)]
    [result] = local_run([request], {"sagemaker": faults(fault("CreateEndpoint", error, applied=True))})

    assert one_notification(result)["status"] == "READY"
    assert result["calls"].count("sagemaker:CreateEndpoint") == 1
    assert left(result)["sagemaker"] == ["ep"]


@pytest.mark.parametrize(
    ("request_", "operation"),
    [
        (
            {"endpointType": "sagemaker", "action": "delete", "params": {"EndpointName": "ep"}},
            "sagemaker:DeleteEndpoint",
        ),
        (
            {"endpointType": "aml", "action": "delete", "params": {"MLModelId": "m"}},
            "machinelearning:DeleteRealtimeEndpoint",
        ),
        (
            {"endpointType": "neptune", "action": "delete", "params": {"id": "g"}},
            "neptunedata:DeleteMLEndpoint",
        ),
    ],
    ids=["sagemaker", "aml", "neptune"],
)
def test_a_delete_whose_answer_was_lost_is_still_its_delete(
    local_run: Runner, request_: dict[str, Any], operation: str
) -> None:
    create = {"sagemaker": sagemaker(), "aml": aml(), "neptune": neptune()}[request_["endpointType"]]
    name = operation.split(":")[1]
    scenario = {request_["endpointType"]: faults(fault(name, "ReadTimeout", applied=True))}

    created, deleted = local_run([create, request_], scenario)

    assert one_notification(created)["status"] == "READY"
    detail = one_notification(deleted)
    assert detail["status"] == "DELETED"
    assert detail.get("alreadyAbsent") is False  # this request deleted it; the answer was lost
    assert deleted["calls"].count(operation) == 1
    assert left(deleted)[request_["endpointType"]] == []


# -- 3. deadlines, on every wait path -------------------------------------------------------------------------
def test_the_event_path_honours_the_timeout(local_run: Runner) -> None:
    [result] = local_run(
        [sagemaker(options={"timeoutSeconds": 1000})], {"sagemaker": {"createSeconds": 1500}}
    )

    detail = one_notification(result)
    assert detail["error"]["code"] == "EndpointTimeout"
    assert "not ready within 1000 s" in detail["error"]["message"]
    # then it waited for Creating to end (SageMaker refuses before) and deleted it
    assert result["calls"].count("sagemaker:DeleteEndpoint") == 1
    assert result["remaining"]["sagemaker"]["endpoints"] == []


@pytest.mark.parametrize(
    "request_",
    [aml(options={"timeoutSeconds": 200}), neptune(options={"timeoutSeconds": 200})],
    ids=["aml", "neptune"],
)
def test_adaptive_polling_looks_at_the_deadline_not_after_it(
    local_run: Runner, request_: dict[str, Any]
) -> None:
    kind = request_["endpointType"]
    [result] = local_run([request_], {kind: {"createSeconds": 400, "deleteSeconds": 0}})

    detail = one_notification(result)
    assert detail["error"]["code"] == "EndpointTimeout"
    message = detail["error"]["message"]
    assert "not ready within 200 s" in message


def test_the_timeout_is_detected_within_seconds_of_the_deadline(template: dict[str, Any]) -> None:
    from endpointctl.runner import LocalRunner, quiet_stdout

    with (
        quiet_stdout(),
        LocalRunner(
            template, {"aml": {"createSeconds": 5000}, "sagemaker": {"createSeconds": 5000}}
        ) as world,
    ):
        for request in (aml(options={"timeoutSeconds": 200}), sagemaker(options={"timeoutSeconds": 1000})):
            run = world.start(request)
            world.wait([run])
            seen = [p["at"] - run.started_at for p in run.progress if p["state"].get("verdict") == "timeout"]
            deadline = request["options"]["timeoutSeconds"]
            assert seen and deadline <= seen[0] <= deadline + 5, (request["endpointType"], seen)


# -- 4. Step Functions' quotas --------------------------------------------------------------------------------
def test_one_second_polling_for_an_hour_is_refused_up_front(local_run: Runner) -> None:
    [result] = local_run([aml(options={"pollIntervalSeconds": 1, "timeoutSeconds": 3600})])

    detail = one_notification(result)
    assert detail["error"]["fields"] == ["options.pollIntervalSeconds"]
    assert "at least 2" in detail["error"]["message"]
    assert result["calls"] == []


def test_a_one_second_polled_rollback_of_a_slow_delete_stays_within_the_history_quota(
    local_run: Runner,
) -> None:
    request = aml(options={"pollIntervalSeconds": 1, "timeoutSeconds": 600})
    [result] = local_run(
        [request], {"aml": {"createSeconds": 300, "outcome": "FAILED", "deleteSeconds": 3000}}
    )

    detail = one_notification(result)
    assert detail["error"]["code"] == "EndpointCreationFailed"
    assert detail["rollback"]["succeeded"] is True
    assert result["historyEvents"] < 25_000
    assert left(result)["aml"] == []


def test_an_execution_failed_by_the_history_quota_is_cleaned_up_and_announced(
    local_run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from endpointctl.runner import limits

    monkeypatch.setattr(limits, "HISTORY_EVENTS", 300)  # as if a lifecycle had reached 25,000
    request = sagemaker(requestId="r-quota", options={"pollIntervalSeconds": 1, "timeoutSeconds": 1800})
    [result] = local_run([request], {"sagemaker": {"createSeconds": 3000}}, until=8000)

    assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")  # no Catch ran
    [(kind, detail)] = notifications(result)
    assert kind == "Endpoint Failed" and detail["requestId"] == "r-quota"
    assert detail["error"]["code"] == "ProviderError" and "States.Runtime" in detail["error"]["message"]
    assert detail["rollback"]["succeeded"] is True
    assert left(result)["sagemaker"] == []


def test_an_80_kb_field_name_is_refused_with_a_notification(local_run: Runner) -> None:
    request = sagemaker()
    request["params"]["F" * 80_000] = 1

    [result] = local_run([request])

    detail = one_notification(result)
    assert detail["error"]["code"] == "InvalidRequest"
    assert len(detail["error"]["fields"][0]) <= 200
    assert result["status"] == "FAILED" and result["error"] == "InvalidRequest"
    assert result["calls"] == []


def test_a_60000_character_neptune_id_is_refused_before_anything_is_created(local_run: Runner) -> None:
    [result] = local_run([neptune("x" * 60_000)])

    detail = one_notification(result)
    assert detail["error"]["fields"] == ["params.id"]
    assert result["calls"] == []
    assert left(result)["neptune"] == []


# -- 5. stopped executions ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_",
    [sagemaker(requestId="r-stop"), aml(requestId="r-stop"), neptune(requestId="r-stop")],
    ids=["sagemaker", "aml", "neptune"],
)
def test_a_stopped_execution_is_cleaned_up_and_announced_once(
    local_run: Runner, request_: dict[str, Any]
) -> None:
    kind = request_["endpointType"]
    [result] = local_run([request_], {kind: {"createSeconds": 600}, "abortAtSeconds": 100}, until=3000)

    assert result["status"] == "ABORTED"
    [(kind_of_event, detail)] = notifications(result)
    assert kind_of_event == "Endpoint Failed"
    assert detail["error"]["code"] == "ExecutionAborted"
    assert detail["requestId"] == "r-stop"
    assert detail["rollback"]["succeeded"] is True
    assert left(result)[kind] == []


def test_a_stopped_request_may_be_sent_again(template: dict[str, Any]) -> None:
    from endpointctl.runner import LocalRunner, quiet_stdout

    with (
        quiet_stdout(),
        LocalRunner(template, {"aml": {"createSeconds": 600}, "abortAtSeconds": 100}) as world,
    ):
        first = world.start(aml(requestId="r-again"))
        world.wait([first])
        world.abort_at = None  # only the first is stopped
        again = world.start(aml(requestId="r-again"))
        world.wait([again])
        stopped, resent = world.result(first), world.result(again)

    assert stopped["status"] == "ABORTED"
    assert [(k, d["error"]["code"]) for k, d in notifications(stopped)] == [
        ("Endpoint Failed", "ExecutionAborted")
    ]
    # the repeat waited for the clean-up to give the request up, then took it over and made it
    assert resent["status"] == "SUCCEEDED"
    assert [k for k, _ in notifications(resent)] == ["Endpoint Ready"]
    assert left(resent)["aml"] == ["m"]


# -- 6. what a RollbackFailed leaves is retried until it is gone ------------------------------------------
def test_what_a_failed_rollback_left_is_removed_later_and_announced(local_run: Runner) -> None:
    request = neptune(options={"timeoutSeconds": 900}, requestId="r-slow")
    [result] = local_run([request], {"neptune": {"createSeconds": 12_000}}, until=20_000)

    kinds = [k for k, _ in notifications(result)]
    assert kinds == ["Endpoint Failed", "Endpoint Cleaned Up"]
    failed, cleaned = (d for _, d in notifications(result))
    assert failed["error"]["code"] == "RollbackFailed"
    assert cleaned["requestId"] == "r-slow"
    assert cleaned["rollback"]["deleted"] == ["ml-endpoint g"]
    assert left(result)["neptune"] == []


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (aml(), "InternalServerException"),
        (neptune(), "InternalFailureException"),
        (sagemaker(), "InternalFailure"),
    ],
    ids=["aml", "neptune", "sagemaker"],
)
def test_a_rollback_whose_delete_met_a_5xx_sends_it_again(
    local_run: Runner, request_: dict[str, Any], error: str
) -> None:
    # Found by the property test: the delete was recorded as sent before its call, the call failed,
    # and the retried step took the endpoint's FAILED status (its failed creation) for a failed
    # delete: RollbackFailed, and the sweep never sent the delete either.
    kind = request_["endpointType"]
    operation = {
        "aml": "DeleteRealtimeEndpoint",
        "neptune": "DeleteMLEndpoint",
        "sagemaker": "DeleteEndpoint",
    }
    outcome = {"aml": "FAILED", "neptune": "Failed", "sagemaker": "Failed"}[kind]
    scenario = {kind: {"createSeconds": 300, "outcome": outcome, **faults(fault(operation[kind], error))}}

    [result] = local_run([request_], scenario)

    detail = one_notification(result)
    assert detail["error"]["code"] == "EndpointCreationFailed"
    assert detail["rollback"]["succeeded"] is True and detail["rollback"]["deleted"]
    service = {"aml": "machinelearning", "neptune": "neptunedata", "sagemaker": "sagemaker"}[kind]
    assert result["calls"].count(f"{service}:{operation[kind]}") == 2  # the failed one, then again
    assert left(result)[kind] == []


# -- 7. a request id reused for a different request -----------------------------------------------------------
@pytest.mark.parametrize(
    "second",
    [
        aml(requestId="r-1"),
        {
            "endpointType": "sagemaker",
            "action": "delete",
            "params": {"EndpointName": "ep"},
            "requestId": "r-1",
        },
    ],
    ids=["another-type", "a-delete"],
)
def test_a_request_id_reused_for_another_request_is_refused(
    local_run: Runner, second: dict[str, Any]
) -> None:
    first, reused = local_run([sagemaker(requestId="r-1"), second])

    assert one_notification(first)["status"] == "READY"
    detail = one_notification(reused)
    assert detail["error"]["code"] == "InvalidRequest"
    assert detail["error"]["fields"] == ["requestId"]
    assert reused["remaining"]["sagemaker"]["endpoints"] == ["ep"]
    assert not any(":Delete" in call for call in reused["calls"])


# -- 8. two creates of one identity at once ----------------------------------------------------------------
@pytest.mark.parametrize(
    "request_", [aml(), neptune(), inline()], ids=["aml-model", "neptune-id", "sagemaker-name"]
)
def test_two_creates_of_one_identity_end_with_one_owner(local_run: Runner, request_: dict[str, Any]) -> None:
    kind = request_["endpointType"]
    one, two = local_run([{**request_, "requestId": "a"}, {**request_, "requestId": "b"}], parallel=True)

    outcomes = sorted([one_notification(one)["status"], one_notification(two)["status"]])
    assert outcomes == ["FAILED", "READY"]
    loser = one if one_notification(one)["status"] == "FAILED" else two
    assert one_notification(loser)["error"]["code"] == "EndpointAlreadyExists"
    assert not any(":Delete" in call for call in loser["calls"])
    assert len(left(one)[kind]) == 1


# -- 9. requests that could fan out --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", [["sagemaker", "aml"], {"type": "sagemaker"}, []], ids=["array", "object", "empty"]
)
def test_an_endpoint_type_that_is_not_a_string_is_refused(local_run: Runner, value: Any) -> None:
    [result] = local_run([{"endpointType": value, "params": {}}])

    detail = one_notification(result)
    assert detail["error"]["code"] == "InvalidRequest"
    assert "endpointType" in detail["error"]["fields"]


def test_one_event_that_reaches_two_state_machines_is_answered_once(template: dict[str, Any]) -> None:
    from endpointctl.runner import LocalRunner, quiet_stdout

    event = {
        "version": "0",
        "id": "11111111-2222-3333-4444-555555555555",
        "detail-type": "Endpoint Request",
        "source": "someone",
        "detail": {"endpointType": ["sagemaker", "aml"], "params": {}},
    }
    with quiet_stdout(), LocalRunner(template) as world:
        runs = [world.start(event, machine=world.arns[kind]) for kind in ("sagemaker", "aml")]
        world.wait(runs)
        answers = [e for e in world.events if e["detail-type"] == "Endpoint Failed"]
    assert [r.status for r in runs] == ["FAILED", "FAILED"]
    assert len(answers) == 1


def test_an_invalid_request_delivered_twice_is_answered_once(template: dict[str, Any]) -> None:
    from endpointctl.runner import LocalRunner, quiet_stdout

    event = {
        "id": "aaaaaaaa-2222-3333-4444-555555555555",
        "detail-type": "Endpoint Request",
        "detail": {"endpointType": "aml", "params": {}},
    }
    with quiet_stdout(), LocalRunner(template) as world:
        runs = [world.start(event), world.start(event)]
        world.wait(runs)
        answers = [e for e in world.events if e["detail-type"] == "Endpoint Failed"]
    assert len(answers) == 1


# -- 10. misreports --------------------------------------------------------------------------------------------
def test_rollback_false_names_the_inline_config_it_leaves(local_run: Runner) -> None:
    [result] = local_run([inline(options={"rollback": False})], {"sagemaker": {"outcome": "Failed"}})

    detail = one_notification(result)
    assert detail["rollback"] == {"attempted": False, "remaining": ["endpoint ep", "endpoint-config ep-cfg"]}
    assert left(result)["sagemaker"] == ["ep"]
    assert configs(result) == ["ep-cfg"]


def test_the_loser_of_two_creates_sharing_an_inline_config_is_told_it_exists(local_run: Runner) -> None:
    one, two = local_run(
        [inline("a") | {"requestId": "a"}, _same_config(inline("b"), "a-cfg") | {"requestId": "b"}],
        parallel=True,
    )

    codes = sorted(one_notification(r).get("error", {}).get("code", "READY") for r in (one, two))
    assert codes == ["EndpointAlreadyExists", "READY"]


def _same_config(request: dict[str, Any], config: str) -> dict[str, Any]:
    request["params"]["EndpointConfigName"] = config
    request["params"]["EndpointConfig"]["EndpointConfigName"] = config
    return request


def test_delete_endpoint_config_keeps_a_config_the_controller_did_not_create(local_run: Runner) -> None:
    existing = {
        "endpoints": [
            {
                "EndpointName": "ours",
                "EndpointConfigName": "shared",
                "Tags": [{"Key": OWNER_TAG, "Value": "r-0"}],
            },
            {"EndpointName": "theirs", "EndpointConfigName": "shared"},
        ],
        "endpointConfigs": ["shared"],
    }
    request = {
        "endpointType": "sagemaker",
        "action": "delete",
        "params": {"EndpointName": "ours", "DeleteEndpointConfig": True},
    }

    [result] = local_run([request], {"sagemaker": {"existing": existing}})

    detail = one_notification(result)
    assert detail["status"] == "DELETED"
    assert detail["kept"] == ["endpoint-config shared (not created by this controller)"]
    assert "sagemaker:DeleteEndpointConfig" not in result["calls"]
    assert "theirs" in result["remaining"]["sagemaker"]["endpoints"]


def test_a_name_with_a_lone_surrogate_is_refused_and_its_refusal_published(local_run: Runner) -> None:
    [result] = local_run([sagemaker("bad\ud800name")])

    detail = one_notification(result)
    assert detail["error"]["code"] == "InvalidRequest"
    assert "\ud800" not in detail["endpointId"]


def test_an_event_id_that_cannot_be_a_request_id_is_refused(local_run: Runner) -> None:
    event = {"id": "x" * 300, "detail-type": "Endpoint Request", "detail": sagemaker()}

    [result] = local_run([event])

    detail = one_notification(result)
    assert detail["error"]["fields"] == ["id"]
    assert result["calls"] == []


def test_forty_eight_user_tags_still_wait_for_the_event(local_run: Runner) -> None:
    request = sagemaker()
    request["params"]["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(48)]

    [result] = local_run([request], {"sagemaker": {"createSeconds": 300}})

    assert one_notification(result)["status"] == "READY"
    assert result["virtualSeconds"] < 310  # resumed by the state-change event, not a fallback look


# -- 11. retry budgets over a long wait ------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_", [aml(options={"timeoutSeconds": 3600}), neptune()], ids=["aml", "neptune"]
)
def test_throttles_spread_over_a_long_wait_do_not_fail_a_healthy_endpoint(
    local_run: Runner, request_: dict[str, Any]
) -> None:
    kind = request_["endpointType"]
    look = {"aml": "GetMLModel", "neptune": "GetMLEndpoint"}[kind]
    error = {"aml": "ThrottlingException", "neptune": "TooManyRequestsException"}[kind]
    # every other look is throttled, for an hour of waiting: far more than one step's 6 retries
    scenario = {kind: {"createSeconds": 3000, "faults": [fault(look, error, count=60, every=2)]}}

    [result] = local_run([request_], scenario)

    assert one_notification(result)["status"] == "READY"
    assert left(result)[kind]


def test_a_create_stopped_while_it_waits_for_the_event_concludes_nothing_when_it_comes(
    local_run: Runner,
) -> None:
    # SageMaker announces InService at 600 s, after the stop at 100 s: the parked token is still
    # there, its task no longer waits (SendTaskHeartbeat says so). Nothing is concluded for the
    # stopped execution: before, the event recorded "Endpoint Ready" for the request and scheduled
    # its expiry, whose delete then ran as a second answer ("Endpoint Deleted", expired).
    request = sagemaker(requestId="r-stop-event", options={"expiresAfterSeconds": 60})
    [result] = local_run([request], {"sagemaker": {"createSeconds": 600}, "abortAtSeconds": 100}, until=4000)

    assert result["status"] == "ABORTED"
    [(kind, detail)] = notifications(result)
    assert (kind, detail["error"]["code"]) == ("Endpoint Failed", "ExecutionAborted")
    assert detail["rollback"]["deleted"] == ["endpoint ep"]
    assert left(result)["sagemaker"] == []
