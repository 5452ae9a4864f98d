"""Request validation (docs/requests.md) through the ``validate`` step, sagemaker machine.

Every invalid request must raise ``InvalidRequest`` naming each broken field path; every valid one
returns the lifecycle's initial state. No AWS call may be made while validating.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from controller import aws, clock
from controller.errors import InvalidRequest
from controller.step_event import StepEvent
from controller.steps.intake import validate

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
EXECUTION = {"Id": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1", "Name": "run-1"}
ROUTING = "params.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration"
DROP = object()  # a params value that removes the field from the base request


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    # The lifecycle's logger is a Powertools child logger; its parent lives in the handler module.
    importlib.import_module("controller.handlers")
    clock.use(lambda: NOW)

    def no_aws(service: str) -> Any:
        raise AssertionError(f"validation must not call AWS (asked for a {service} client)")

    monkeypatch.setattr(aws, "client", no_aws)
    yield
    clock.use(None)


# -- helpers -------------------------------------------------------------------------------------
def run(document: Any) -> dict[str, Any]:
    """The state ``validate`` returns for ``document`` as the execution's input."""
    event = {"step": "validate", "endpointType": "sagemaker", "input": document, "execution": EXECUTION}
    return validate(StepEvent.model_validate(event))


def broken(document: Any) -> InvalidRequest:
    """The ``InvalidRequest`` that ``document`` must raise."""
    with pytest.raises(InvalidRequest) as caught:
        run(document)
    return caught.value


def create(params: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A create request: the base params with ``params`` merged in (``DROP`` removes a field)."""
    merged = {"EndpointName": "churn-prod", "EndpointConfigName": "churn-config-v3", **(params or {})}
    document = {"endpointType": "sagemaker", "params": {k: v for k, v in merged.items() if v is not DROP}}
    document.update(top)
    return document


def delete(params: Any, **top: Any) -> dict[str, Any]:
    return {"action": "delete", "endpointType": "sagemaker", "params": params, **top}


def tags(count: int) -> list[dict[str, str]]:
    return [{"Key": f"key-{index}", "Value": "value"} for index in range(count)]


def tag(key: str, value: str = "value") -> dict[str, Any]:
    return {"Tags": [{"Key": key, "Value": value}]}


def blue_green(routing: dict[str, Any] | None = None, **policy: Any) -> dict[str, Any]:
    traffic = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60, **(routing or {})}
    return {"DeploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": traffic, **policy}}}


def rolling(**policy: Any) -> dict[str, Any]:
    batch = {"Type": "INSTANCE_COUNT", "Value": 1}
    return {
        "DeploymentConfig": {
            "RollingUpdatePolicy": {"MaximumBatchSize": batch, "WaitIntervalInSeconds": 60, **policy}
        }
    }


def percent(value: int) -> dict[str, Any]:
    return {"Type": "CAPACITY_PERCENT", "Value": value}


def inline_config(**overrides: Any) -> dict[str, Any]:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "churn-model",
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
    }
    config = {"EndpointConfigName": "churn-config-v3", "ProductionVariants": [variant], **overrides}
    return {"EndpointConfig": {k: v for k, v in config.items() if v is not DROP}}


def event(detail: Any, event_id: str = "6a7e8feb-b491-4cf7-a9f1-bf3703467718") -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Endpoint Request",
        "source": "team.ml",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


# -- one broken rule, one broken field -----------------------------------------------------------
INVALID = [
    # EndpointName: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
    pytest.param(
        create({"EndpointName": "-churn"}), "params.EndpointName", id="endpoint-name-leading-hyphen"
    ),
    pytest.param(
        create({"EndpointName": "churn-"}), "params.EndpointName", id="endpoint-name-trailing-hyphen"
    ),
    pytest.param(
        create({"EndpointName": "churn_prod"}), "params.EndpointName", id="endpoint-name-underscore"
    ),
    pytest.param(create({"EndpointName": "churn prod"}), "params.EndpointName", id="endpoint-name-space"),
    pytest.param(create({"EndpointName": ""}), "params.EndpointName", id="endpoint-name-empty"),
    pytest.param(create({"EndpointName": "a" * 64}), "params.EndpointName", id="endpoint-name-64-chars"),
    pytest.param(create({"EndpointName": 42}), "params.EndpointName", id="endpoint-name-not-a-string"),
    pytest.param(create({"EndpointName": DROP}), "params.EndpointName", id="endpoint-name-missing"),
    # EndpointConfigName
    pytest.param(create({"EndpointConfigName": DROP}), "params.EndpointConfigName", id="config-name-missing"),
    pytest.param(create({"EndpointConfigName": None}), "params.EndpointConfigName", id="config-name-null"),
    pytest.param(
        create({"EndpointConfigName": "c" * 64}), "params.EndpointConfigName", id="config-name-64-chars"
    ),
    # Tags
    pytest.param(create({"Tags": tags(51)}), "params.Tags", id="tags-51-items"),
    pytest.param(create({"Tags": tags(50)}), "params.Tags", id="tags-50-leave-no-room-for-the-ownership-tag"),
    pytest.param(create({"Tags": tags(49)}), "params.Tags", id="tags-49-leave-no-room-for-the-stack-tag"),
    pytest.param(create({"Tags": {"team": "ml"}}), "params.Tags", id="tags-not-a-list"),
    pytest.param(create(tag("")), "params.Tags[0].Key", id="tag-key-empty"),
    pytest.param(create(tag("k" * 129)), "params.Tags[0].Key", id="tag-key-129-chars"),
    pytest.param(create(tag("team", "ml!")), "params.Tags[0].Value", id="tag-value-forbidden-char"),
    pytest.param(create(tag("team", "v" * 257)), "params.Tags[0].Value", id="tag-value-257-chars"),
    pytest.param(create({"Tags": [{"Key": "team"}]}), "params.Tags[0].Value", id="tag-value-missing"),
    pytest.param(create(tag("aws:cost-center")), "params.Tags[0].Key", id="tag-key-reserved-aws-prefix"),
    pytest.param(
        create(tag("AWS:cost-center")), "params.Tags[0].Key", id="tag-key-reserved-aws-prefix-uppercase"
    ),
    pytest.param(
        create(tag("ml-endpoint-controller:request-id", "someone-else")),
        "params.Tags[0].Key",
        id="tag-key-reserved-owner-tag",
    ),
    pytest.param(
        create({"Tags": [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]}),
        "params.Tags[1].Key",
        id="tag-key-duplicate",
    ),
    # unknown fields
    pytest.param(create({"InstanceType": "ml.m5.large"}), "params.InstanceType", id="params-unknown-field"),
    # DeploymentConfig: the service model's enums and ranges
    pytest.param(create(blue_green({"Type": "X"})), f"{ROUTING}.Type", id="routing-type-not-an-enum-value"),
    pytest.param(
        create(blue_green({"WaitIntervalInSeconds": 3601})),
        f"{ROUTING}.WaitIntervalInSeconds",
        id="routing-wait-interval-3601",
    ),
    pytest.param(
        create(blue_green({"WaitIntervalInSeconds": DROP})),
        f"{ROUTING}.WaitIntervalInSeconds",
        id="routing-wait-interval-missing",
    ),
    pytest.param(
        create(blue_green(MaximumExecutionTimeoutInSeconds=599)),
        "params.DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        id="blue-green-max-execution-timeout-599",
    ),
    pytest.param(
        create({"DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": []}}}),
        "params.DeploymentConfig.AutoRollbackConfiguration.Alarms",
        id="auto-rollback-alarms-empty",
    ),
    pytest.param(
        create({"DeploymentConfig": {"Strategy": "fast"}}),
        "params.DeploymentConfig.Strategy",
        id="deployment-config-unknown-field",
    ),
    # DeploymentConfig: the rules CreateEndpoint's documentation states beyond the model
    pytest.param(
        create({"DeploymentConfig": {**blue_green()["DeploymentConfig"], **rolling()["DeploymentConfig"]}}),
        "params.DeploymentConfig",
        id="blue-green-and-rolling-together",
    ),
    pytest.param(
        create(blue_green({"Type": "CANARY"})), f"{ROUTING}.CanarySize", id="canary-without-canary-size"
    ),
    pytest.param(
        create(blue_green({"Type": "LINEAR"})),
        f"{ROUTING}.LinearStepSize",
        id="linear-without-linear-step-size",
    ),
    pytest.param(
        create(blue_green({"Type": "CANARY", "CanarySize": percent(10), "LinearStepSize": percent(10)})),
        f"{ROUTING}.LinearStepSize",
        id="linear-step-size-with-type-canary",
    ),
    pytest.param(
        create(blue_green({"Type": "ALL_AT_ONCE", "CanarySize": percent(10)})),
        f"{ROUTING}.CanarySize",
        id="canary-size-with-type-all-at-once",
    ),
    pytest.param(
        create(blue_green({"Type": "CANARY", "CanarySize": percent(51)})),
        f"{ROUTING}.CanarySize.Value",
        id="canary-size-capacity-percent-51",
    ),
    pytest.param(
        create(blue_green({"Type": "LINEAR", "LinearStepSize": percent(9)})),
        f"{ROUTING}.LinearStepSize.Value",
        id="linear-step-capacity-percent-9",
    ),
    pytest.param(
        create(rolling(MaximumBatchSize=percent(51))),
        "params.DeploymentConfig.RollingUpdatePolicy.MaximumBatchSize.Value",
        id="rolling-batch-capacity-percent-51",
    ),
    pytest.param(
        create(
            blue_green(
                {"WaitIntervalInSeconds": 600},
                TerminationWaitInSeconds=100,
                MaximumExecutionTimeoutInSeconds=700,
            )
        ),
        "params.DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        id="blue-green-max-execution-timeout-not-above-waits",
    ),
    # an inline EndpointConfig
    pytest.param(
        create(inline_config(EndpointConfigName="another-config")),
        "params.EndpointConfig.EndpointConfigName",
        id="inline-config-name-differs",
    ),
    pytest.param(
        create(inline_config(ProductionVariants=DROP)),
        "params.EndpointConfig.ProductionVariants",
        id="inline-config-missing-production-variants",
    ),
    pytest.param(
        create(inline_config(ProductionVariants=[])),
        "params.EndpointConfig.ProductionVariants",
        id="inline-config-empty-production-variants",
    ),
    pytest.param(
        create({"EndpointConfig": "churn-config-v3"}),
        "params.EndpointConfig",
        id="inline-config-not-an-object",
    ),
    # options
    pytest.param(
        create(options={"pollIntervalSeconds": -1}), "options.pollIntervalSeconds", id="options-poll-negative"
    ),
    pytest.param(
        create(options={"pollIntervalSeconds": "30"}), "options.pollIntervalSeconds", id="options-poll-string"
    ),
    pytest.param(create(options={"timeoutSeconds": 0}), "options.timeoutSeconds", id="options-timeout-zero"),
    pytest.param(
        create(options={"timeoutSeconds": 1.5}), "options.timeoutSeconds", id="options-timeout-float"
    ),
    pytest.param(create(options={"rollback": "yes"}), "options.rollback", id="options-rollback-string"),
    pytest.param(create(options={"rollback": 1}), "options.rollback", id="options-rollback-number"),
    pytest.param(create(options={"retries": 3}), "options.retries", id="options-unknown-key"),
    pytest.param(create(options=[30]), "options", id="options-not-an-object"),
    # the request's own fields
    pytest.param(create(action="upgrade"), "action", id="action-unknown"),
    pytest.param(create(endpointType="aml"), "endpointType", id="endpoint-type-of-another-machine"),
    pytest.param(create(endpointType="foo"), "endpointType", id="endpoint-type-unknown"),
    pytest.param({"params": create()["params"]}, "endpointType", id="endpoint-type-missing"),
    pytest.param(create(requestId="order 42"), "requestId", id="request-id-with-space"),
    pytest.param(create(requestId=""), "requestId", id="request-id-empty"),
    pytest.param(create(requestId="r" * 129), "requestId", id="request-id-129-chars"),
    pytest.param(create(priority="high"), "priority", id="request-unknown-field"),
    pytest.param({"endpointType": "sagemaker", "params": ["churn-prod"]}, "params", id="params-a-list"),
    pytest.param({"endpointType": "sagemaker", "params": "churn-prod"}, "params", id="params-a-string"),
    pytest.param({"endpointType": "sagemaker"}, "params", id="params-missing"),
    # the document itself
    pytest.param([create()], "request", id="request-a-json-list"),
    pytest.param("create churn-prod", "request", id="request-a-json-string"),
    pytest.param(None, "request", id="request-null"),
    pytest.param(event("{not json"), "detail", id="event-detail-invalid-json"),
    pytest.param(event(json.dumps([create()])), "request", id="event-detail-json-list"),
    # delete
    pytest.param(delete({}), "params.EndpointName", id="delete-without-endpoint-name"),
    pytest.param(
        delete({"EndpointName": "churn_prod"}), "params.EndpointName", id="delete-endpoint-name-pattern"
    ),
    pytest.param(
        delete({"EndpointName": "x", "DeleteEndpointConfig": "yes"}),
        "params.DeleteEndpointConfig",
        id="delete-endpoint-config-flag-string",
    ),
    pytest.param(
        delete({"EndpointName": "x", "EndpointConfigName": "c"}),
        "params.EndpointConfigName",
        id="delete-with-create-field",
    ),
    pytest.param(delete("x"), "params", id="delete-params-a-string"),
]


@pytest.mark.parametrize(("document", "field"), INVALID)
def test_a_broken_rule_names_its_field(document: Any, field: str) -> None:
    error = broken(document)

    assert error.fields == [field]
    assert field in error.message
    assert error.code == "InvalidRequest"


def test_every_violation_of_one_request_is_reported_together() -> None:
    document = create(
        {
            "EndpointName": "churn_prod",
            "Tags": [{"Key": "", "Value": "ok"}, {"Key": "team", "Value": "a!"}],
            "Color": "red",
        },
        options={"timeoutSeconds": 0, "pollIntervalSeconds": -5},
        requestId="has space",
    )

    error = broken(document)

    assert set(error.fields) == {
        "params.EndpointName",
        "params.Tags[0].Key",
        "params.Tags[1].Value",
        "params.Color",
        "options.timeoutSeconds",
        "options.pollIntervalSeconds",
        "requestId",
    }
    assert len(error.fields) == len(set(error.fields))
    assert all(field in error.message for field in error.fields)


def test_inline_config_errors_are_reported_with_the_endpoint_errors() -> None:
    document = create(
        {"EndpointName": "-x", **inline_config(EndpointConfigName="other", ProductionVariants=DROP)}
    )

    assert set(broken(document).fields) == {
        "params.EndpointName",
        "params.EndpointConfig.EndpointConfigName",
        "params.EndpointConfig.ProductionVariants",
    }


def test_the_error_is_a_json_document_naming_the_fields() -> None:
    body = json.loads(str(broken(create({"EndpointName": "-x"}))))

    assert body["fields"] == ["params.EndpointName"]
    assert "params.EndpointName" in body["message"]


# -- valid requests --------------------------------------------------------------------------------
VALID_PARAMS = [
    pytest.param({}, id="minimal"),
    pytest.param({"EndpointName": "a" * 63}, id="endpoint-name-63-chars"),
    pytest.param({"EndpointName": "a"}, id="endpoint-name-1-char"),
    pytest.param({"EndpointName": "Churn--Prod-2"}, id="endpoint-name-inner-hyphens"),
    pytest.param({"EndpointConfigName": "c" * 63}, id="config-name-63-chars"),
    pytest.param({"Tags": tags(48)}, id="tags-48-leave-room-for-the-ownership-and-stack-tags"),
    pytest.param({"Tags": []}, id="tags-empty"),
    pytest.param(tag("équipe", "équipe données"), id="tag-unicode-letters-and-space"),
    pytest.param(tag("k" * 128, "v" * 256), id="tag-key-128-value-256"),
    pytest.param(tag("team", ""), id="tag-value-empty"),
    pytest.param(tag("a_b.c:d/e=f+g-h@i", "1_2.3:4/5=6+7-8@9"), id="tag-all-allowed-symbols"),
    pytest.param(tag("awsome"), id="tag-key-starting-with-aws-but-not-prefix"),
    pytest.param(blue_green({"Type": "CANARY", "CanarySize": percent(50)}), id="canary-50-percent"),
    pytest.param(blue_green({"Type": "LINEAR", "LinearStepSize": percent(10)}), id="linear-10-percent"),
    pytest.param(
        blue_green({"Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 3}}),
        id="canary-instance-count",
    ),
    pytest.param(
        rolling(MaximumBatchSize=percent(5), RollbackMaximumBatchSize=percent(100)), id="rolling-bounds"
    ),
    pytest.param(
        {"DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}}},
        id="one-alarm",
    ),
    pytest.param(inline_config(), id="inline-config"),
]


@pytest.mark.parametrize("params", VALID_PARAMS)
def test_valid_create_params_are_accepted(params: dict[str, Any]) -> None:
    document = create(params)

    state = run(document)

    assert state["params"] == document["params"]
    assert state["endpointId"] == document["params"]["EndpointName"]


def test_a_minimal_bare_request_gets_the_defaults() -> None:
    state = run(
        {"endpointType": "sagemaker", "params": {"EndpointName": "churn-prod", "EndpointConfigName": "cfg"}}
    )

    assert state["requestId"] == "run-1"  # the execution's name
    assert state["action"] == "create"
    assert state["endpointType"] == "sagemaker"
    assert state["endpointId"] == "churn-prod"
    assert state["options"] == {
        "pollIntervalSeconds": 30,
        "timeoutSeconds": 3600,
        "rollback": True,
        "adaptive": True,
        "events": False,
        "eventFallbackSeconds": 0,
        "allowUnmanagedDeletes": False,
        "maxRetryIntervalSeconds": 30,
        "deleteReplacedConfig": False,
    }
    assert state["executionArn"] == EXECUTION["Id"]
    assert state["startedAt"] == "2026-01-01T00:00:00.000Z"
    assert state["deadline"] == NOW + 3600
    assert 30 <= state["wait"] <= 33  # the first look, jittered up to 10 % later
    assert state["created"] == []
    assert state["verdict"] == "wait"


def test_a_full_request_is_accepted_as_given() -> None:
    params = {
        "EndpointName": "churn-prod",
        "EndpointConfigName": "churn-config-v3",
        "Tags": [{"Key": "team", "Value": "ml"}, {"Key": "équipe", "Value": "équipe données"}],
        **blue_green(
            {"Type": "CANARY", "WaitIntervalInSeconds": 300, "CanarySize": percent(10)},
            TerminationWaitInSeconds=120,
            MaximumExecutionTimeoutInSeconds=1800,
        ),
        **inline_config(Tags=[{"Key": "team", "Value": "ml"}]),
    }
    params["DeploymentConfig"]["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": "churn-5xx"}]}
    document = {
        "action": "create",
        "endpointType": "sagemaker",
        "params": params,
        "options": {"pollIntervalSeconds": 10, "timeoutSeconds": 1200, "rollback": False},
        "requestId": "churn-prod-v3",
    }

    state = run(document)

    assert state["params"] == params
    assert state["requestId"] == "churn-prod-v3"
    assert state["options"] == {
        "pollIntervalSeconds": 10,
        "timeoutSeconds": 1200,
        "rollback": False,
        "adaptive": False,
        "events": False,
        "eventFallbackSeconds": 0,
        "allowUnmanagedDeletes": False,
        "maxRetryIntervalSeconds": 30,
        "deleteReplacedConfig": False,
    }
    assert state["deadline"] == NOW + 1200
    assert state["wait"] == 10


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, {"pollIntervalSeconds": 30, "timeoutSeconds": 3600, "rollback": True}, id="empty"),
        pytest.param(
            {"rollback": False},
            {"pollIntervalSeconds": 30, "timeoutSeconds": 3600, "rollback": False},
            id="rollback-only",
        ),
        pytest.param(
            {"pollIntervalSeconds": 0, "timeoutSeconds": 1800},
            {"pollIntervalSeconds": 0, "timeoutSeconds": 1800, "rollback": True},
            id="poll-zero",
        ),
        pytest.param(
            {"timeoutSeconds": 1},
            {"pollIntervalSeconds": 30, "timeoutSeconds": 1, "rollback": True},
            id="timeout-one",
        ),
    ],
)
def test_options_take_the_defaults_where_unset(options: dict[str, Any], expected: dict[str, Any]) -> None:
    # A fixed cadence only when one was asked for; otherwise the adaptive policy (infra/polling.py).
    assert run(create(options=options))["options"] == {
        **expected,
        "adaptive": "pollIntervalSeconds" not in options,
        "events": False,
        "eventFallbackSeconds": 0,
        "allowUnmanagedDeletes": False,
        "maxRetryIntervalSeconds": 30,
        "deleteReplacedConfig": False,
    }


def test_the_first_wait_is_cut_short_by_the_deadline() -> None:
    state = run(create(options={"pollIntervalSeconds": 60, "timeoutSeconds": 20}))

    assert state["wait"] == 20


def test_a_zero_poll_interval_still_waits_one_second() -> None:
    assert run(create(options={"pollIntervalSeconds": 0, "timeoutSeconds": 600}))["wait"] == 1


@pytest.mark.parametrize(
    ("options", "shortest"),
    [
        pytest.param({"pollIntervalSeconds": 1}, 2, id="one-second-default-hour"),
        pytest.param({"pollIntervalSeconds": 0}, 2, id="zero-default-hour"),
        pytest.param({"pollIntervalSeconds": 30, "timeoutSeconds": 86400}, 44, id="thirty-seconds-a-day"),
    ],
)
def test_a_fixed_cadence_that_would_pass_the_history_quota_is_refused(
    options: dict[str, Any], shortest: int
) -> None:
    """2,000 looks at most (9 history events each; Step Functions fails an execution at 25,000)."""
    with pytest.raises(InvalidRequest) as refused:
        run(create(options=options))
    assert refused.value.fields == ["options.pollIntervalSeconds"]
    assert f"at least {shortest} with timeoutSeconds" in refused.value.message


def test_a_fixed_cadence_of_2000_looks_is_accepted() -> None:
    assert (
        run(create(options={"pollIntervalSeconds": 1, "timeoutSeconds": 2000}))["options"]["timeoutSeconds"]
        == 2000
    )


# -- the request id --------------------------------------------------------------------------------
def test_an_eventbridge_event_is_unwrapped_and_its_id_is_the_request_id() -> None:
    request = create()

    state = run(event(request, event_id="6a7e8feb-b491-4cf7-a9f1-bf3703467718"))

    assert state["requestId"] == "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    assert state["params"] == request["params"]
    assert state["endpointId"] == "churn-prod"


def test_an_eventbridge_detail_given_as_a_json_string_is_read() -> None:
    state = run(event(json.dumps(create()), event_id="ev-1"))

    assert state["requestId"] == "ev-1"
    assert state["endpointId"] == "churn-prod"


def test_an_invalid_request_inside_an_event_names_the_request_fields() -> None:
    assert broken(event(create({"EndpointName": "-x"}))).fields == ["params.EndpointName"]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(create(requestId="churn-prod-v3"), id="bare"),
        pytest.param(event(create(requestId="churn-prod-v3")), id="eventbridge"),
    ],
)
def test_an_explicit_request_id_wins(document: dict[str, Any]) -> None:
    assert run(document)["requestId"] == "churn-prod-v3"


def test_a_request_id_may_use_the_allowed_symbols() -> None:
    request_id = "a-Z_0.9:/=+@" + "x" * 116  # 128 characters

    assert run(create(requestId=request_id))["requestId"] == request_id


# -- delete ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"EndpointName": "x"}, id="name-only"),
        pytest.param({"EndpointName": "x", "DeleteEndpointConfig": True}, id="with-config"),
        pytest.param({"EndpointName": "x", "DeleteEndpointConfig": False}, id="keep-config"),
    ],
)
def test_a_valid_delete_is_accepted(params: dict[str, Any]) -> None:
    state = run(delete(params))

    assert state["action"] == "delete"
    assert state["endpointId"] == "x"
    assert state["params"] == params


# -- regressions (found by review) ----------------------------------------------------------------
@pytest.mark.parametrize("endpoint_type", [["sagemaker"], {"name": "sagemaker"}], ids=["list", "object"])
def test_a_non_string_endpoint_type_is_an_invalid_request(endpoint_type: Any) -> None:
    assert "endpointType" in broken(create(endpointType=endpoint_type)).fields


def test_a_delete_with_a_null_endpoint_name_is_invalid() -> None:
    assert broken(delete({"EndpointName": None})).fields == ["params.EndpointName"]


@pytest.mark.parametrize(
    ("config_tags", "field"),
    [
        pytest.param(
            [{"Key": "aws:team", "Value": "ml"}], "params.EndpointConfig.Tags[0].Key", id="aws-prefix"
        ),
        pytest.param(
            [{"Key": "ml-endpoint-controller:request-id", "Value": "someone-else"}],
            "params.EndpointConfig.Tags[0].Key",
            id="owner-tag",
        ),
        pytest.param(
            [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}],
            "params.EndpointConfig.Tags[1].Key",
            id="duplicate",
        ),
    ],
)
def test_inline_config_tags_follow_the_tag_rules(config_tags: list[dict[str, str]], field: str) -> None:
    assert broken(create(inline_config(Tags=config_tags))).fields == [field]


def test_a_private_use_character_in_a_tag_value_is_invalid() -> None:
    assert broken(create(tag("team", "\ue000"))).fields == ["params.Tags[0].Value"]


# -- issue 24: one wording for every too-many-tags case ---------------------------------------------
@pytest.mark.parametrize("count", [49, 50, 51, 60])
@pytest.mark.parametrize(
    ("where", "field"),
    [({}, "params.Tags"), ({"inline": True}, "params.EndpointConfig.Tags")],
    ids=["endpoint", "inline-config"],
)
def test_too_many_tags_is_said_one_way_whatever_the_count(
    count: int, where: dict[str, Any], field: str
) -> None:
    """49 and 50 tags break the controller's room for its own two; over 50 also break SageMaker's
    limit, which the service model finds in its own words: the request hears one reason, the same
    sentence each time, naming the tags the controller adds (docs/requests.md says the same)."""
    params = inline_config(Tags=tags(count)) if where else {"Tags": tags(count)}
    error = broken(create(params))
    assert error.fields == [field]
    assert json.loads(str(error))["message"] == (
        f"{field}: at most 48 tags of your own (got {count}): SageMaker allows 50 per resource and the "
        "controller adds two, its ownership and stack tags, which it needs to update or remove the "
        "resource (and a managed-by tag while there is room)"
    )


def test_validation_reads_the_model_the_clients_are_built_on() -> None:
    """One decoding of a service's model per function: the validation's comes from the session
    boto3.client() uses (controller.aws.service_model), not from a session of its own."""
    import boto3

    from controller import validation

    validation._service_model.cache_clear()
    validation.operation.cache_clear()
    try:
        boto3.setup_default_session()
        model = validation._service_model("sagemaker")
        client = boto3.client("sagemaker", region_name="us-east-1")
        assert model._service_description is client.meta.service_model._service_description
        assert validation.operation("sagemaker", "CreateEndpoint").name == "CreateEndpoint"
    finally:
        validation._service_model.cache_clear()
        validation.operation.cache_clear()
        boto3.DEFAULT_SESSION = None
