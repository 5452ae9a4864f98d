"""Request validation (docs/requests.md) through the ``validate`` step, aml and neptune machines.

Every invalid request must raise ``InvalidRequest`` naming each broken field path; every valid one
returns the lifecycle's initial state with the endpoint type's defaults. No AWS call may be made.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from controller import aws, clock
from controller.errors import InvalidRequest
from controller.step_event import StepEvent
from controller.steps.intake import validate

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
EXECUTION = {"Id": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1", "Name": "run-1"}
DROP = object()  # a params value that removes the field from the base request
ROLE = "arn:aws:iam::123456789012:role/NeptuneML"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    # The lifecycle's logger is a Powertools child logger; its parent lives in the handler module.
    importlib.import_module("controller.handlers")
    clock.use(lambda: NOW)

    def no_aws(service: str, **kwargs: Any) -> Any:
        raise AssertionError(f"validation must not call AWS (asked for a {service} client)")

    monkeypatch.setattr(aws, "client", no_aws)
    yield
    clock.use(None)


# -- helpers -------------------------------------------------------------------------------------
def run(document: Any, machine: str) -> dict[str, Any]:
    """The state ``validate`` returns for ``document`` on the ``machine`` state machine."""
    event = {"step": "validate", "endpointType": machine, "input": document, "execution": EXECUTION}
    return validate(StepEvent.model_validate(event))


def broken(document: Any, machine: str) -> InvalidRequest:
    """The ``InvalidRequest`` that ``document`` must raise on ``machine``."""
    with pytest.raises(InvalidRequest) as caught:
        run(document, machine)
    return caught.value


def merged(base: dict[str, Any], params: dict[str, Any] | None) -> dict[str, Any]:
    both = {**base, **(params or {})}
    return {k: v for k, v in both.items() if v is not DROP}


def aml(params: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """An aml create request: ``MLModelId`` m1 with ``params`` merged in (``DROP`` removes)."""
    return {"endpointType": "aml", "params": merged({"MLModelId": "m1"}, params), **top}


def aml_delete(params: Any, **top: Any) -> dict[str, Any]:
    return {"action": "delete", "endpointType": "aml", "params": params, **top}


def neptune(params: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A neptune create request: an id and a training job, with ``params`` merged in."""
    base = {"id": "graph-ep", "mlModelTrainingJobId": "train-1"}
    return {"endpointType": "neptune", "params": merged(base, params), **top}


def neptune_delete(params: Any, **top: Any) -> dict[str, Any]:
    return {"action": "delete", "endpointType": "neptune", "params": params, **top}


# -- aml: one broken rule, one broken field -------------------------------------------------------
AML_INVALID = [
    pytest.param(aml({"MLModelId": DROP}), "params.MLModelId", id="model-id-missing"),
    pytest.param(aml({"MLModelId": None}), "params.MLModelId", id="model-id-null"),
    pytest.param(aml({"MLModelId": ""}), "params.MLModelId", id="model-id-empty"),
    pytest.param(aml({"MLModelId": "m" * 65}), "params.MLModelId", id="model-id-65-chars"),
    pytest.param(aml({"MLModelId": "a b"}), "params.MLModelId", id="model-id-space"),
    pytest.param(aml({"MLModelId": "x!"}), "params.MLModelId", id="model-id-bang"),
    pytest.param(aml({"MLModelId": 42}), "params.MLModelId", id="model-id-a-number"),
    pytest.param(aml({"MLModelId": ["m1"]}), "params.MLModelId", id="model-id-a-list"),
    pytest.param(aml({"EndpointName": "m1"}), "params.EndpointName", id="unknown-param"),
    pytest.param({"endpointType": "aml", "params": "m1"}, "params", id="params-a-string"),
    pytest.param(aml(endpointType="neptune"), "endpointType", id="neptune-request-on-aml-machine"),
    pytest.param(aml(endpointType="sagemaker"), "endpointType", id="sagemaker-request-on-aml-machine"),
    pytest.param(aml_delete({}), "params.MLModelId", id="delete-without-model-id"),
    pytest.param(aml_delete({"MLModelId": "a b"}), "params.MLModelId", id="delete-model-id-pattern"),
    pytest.param(aml_delete({"MLModelId": "m1", "Force": True}), "params.Force", id="delete-unknown-param"),
]


@pytest.mark.parametrize(("document", "field"), AML_INVALID)
def test_aml_a_broken_rule_names_its_field(document: Any, field: str) -> None:
    error = broken(document, "aml")

    assert error.fields == [field]
    assert field in error.message
    assert error.code == "InvalidRequest"


@pytest.mark.parametrize(
    "model_id",
    [
        pytest.param("m" * 64, id="64-chars"),
        pytest.param("ml-Model_1.2", id="all-allowed-symbols"),
        pytest.param("m", id="one-char"),
    ],
)
def test_aml_a_valid_model_id_is_accepted(model_id: str) -> None:
    state = run(aml({"MLModelId": model_id}), "aml")

    assert state["params"] == {"MLModelId": model_id}
    assert state["endpointId"] == model_id
    assert state["endpointType"] == "aml"
    assert state["action"] == "create"


def test_aml_a_minimal_request_gets_the_aml_defaults() -> None:
    state = run(aml(), "aml")

    assert state["options"] == {
        "pollIntervalSeconds": 15,
        "timeoutSeconds": 1800,
        "rollback": True,
        "adaptive": True,
        "events": False,
        "eventFallbackSeconds": 0,
        "allowUnmanagedDeletes": False,
        "maxRetryIntervalSeconds": 30,
        "deleteReplacedConfig": False,
    }
    assert state["deadline"] == NOW + 1800
    assert 15 <= state["wait"] <= 17  # the first look, jittered up to 10 % later
    assert state["requestId"] == "run-1"
    assert state["created"] == []
    assert state["verdict"] == "wait"


def test_aml_explicit_options_win_over_the_defaults() -> None:
    state = run(aml(options={"pollIntervalSeconds": 5, "timeoutSeconds": 600, "rollback": False}), "aml")

    assert state["options"] == {
        "pollIntervalSeconds": 5,
        "timeoutSeconds": 600,
        "rollback": False,
        "adaptive": False,
        "events": False,
        "eventFallbackSeconds": 0,
        "allowUnmanagedDeletes": False,
        "maxRetryIntervalSeconds": 30,
        "deleteReplacedConfig": False,
    }
    assert state["deadline"] == NOW + 600


def test_aml_a_valid_delete_is_accepted() -> None:
    state = run(aml_delete({"MLModelId": "m1"}), "aml")

    assert state["action"] == "delete"
    assert state["endpointId"] == "m1"
    assert state["params"] == {"MLModelId": "m1"}


def test_a_neptune_request_on_the_aml_machine_names_only_the_endpoint_type() -> None:
    # Valid neptune params: only the mismatched type is reported, not the params (read as aml's).
    document = neptune()

    error = broken(document, "aml")

    assert error.fields == ["endpointType"]
    assert "aml" in error.message


def test_aml_every_violation_is_reported_together() -> None:
    error = broken(aml({"MLModelId": "a b", "Extra": 1}, options={"timeoutSeconds": 0}), "aml")

    assert set(error.fields) == {"params.MLModelId", "params.Extra", "options.timeoutSeconds"}


# -- neptune: one broken rule, one broken field ---------------------------------------------------
NEPTUNE_INVALID = [
    pytest.param(
        neptune({"mlModelTransformJobId": "xform-1"}),
        ["params.mlModelTrainingJobId", "params.mlModelTransformJobId"],
        id="both-jobs",
    ),
    pytest.param(neptune({"mlModelTrainingJobId": DROP}), ["params.mlModelTrainingJobId"], id="no-job"),
    pytest.param(
        neptune({"mlModelTrainingJobId": ""}), ["params.mlModelTrainingJobId"], id="training-job-empty"
    ),
    pytest.param(neptune({"modelName": "gcn"}), ["params.modelName"], id="model-name-gcn"),
    pytest.param(neptune({"modelName": "RGCN"}), ["params.modelName"], id="model-name-uppercase"),
    pytest.param(neptune({"instanceCount": 0}), ["params.instanceCount"], id="instance-count-0"),
    pytest.param(neptune({"instanceCount": -1}), ["params.instanceCount"], id="instance-count-negative"),
    pytest.param(neptune({"instanceCount": 1.5}), ["params.instanceCount"], id="instance-count-float"),
    pytest.param(neptune({"instanceCount": True}), ["params.instanceCount"], id="instance-count-boolean"),
    pytest.param(
        neptune({"instanceCount": "2"}),
        ["params.instanceCount"],
        id="instance-count-a-string",
    ),
    pytest.param(
        neptune({"instanceType": 5}),
        ["params.instanceType"],
        id="instance-type-a-number",
    ),
    pytest.param(neptune({"instanceType": "m5.xlarge"}), ["params.instanceType"], id="instance-type-no-ml"),
    pytest.param(
        neptune({"neptuneIamRoleArn": "role/x"}), ["params.neptuneIamRoleArn"], id="role-arn-not-an-arn"
    ),
    pytest.param(
        neptune({"neptuneIamRoleArn": "arn:aws:iam::123456789012:user/x"}),
        ["params.neptuneIamRoleArn"],
        id="role-arn-of-a-user",
    ),
    pytest.param(
        neptune({"volumeEncryptionKMSKey": "not-a-key"}),
        ["params.volumeEncryptionKMSKey"],
        id="kms-key-not-a-key",
    ),
    pytest.param(neptune({"update": "yes"}), ["params.update"], id="update-a-string"),
    pytest.param(neptune({"update": 1}), ["params.update"], id="update-a-number"),
    pytest.param(neptune({"update": True}), ["params.update"], id="create-with-update-true"),
    pytest.param(neptune({"name": "graph-ep"}), ["params.name"], id="unknown-field"),
    pytest.param(neptune({"id": ""}), ["params.id"], id="id-empty"),
    pytest.param(neptune({"id": "   "}), ["params.id"], id="id-blank"),
    pytest.param(neptune({"id": 7}), ["params.id"], id="id-a-number"),
    # 300 characters but 1,200 bytes: the id keys the controller's records (DynamoDB: 2,048 bytes)
    pytest.param(neptune({"id": "\U0001f600" * 300}), ["params.id"], id="id-too-many-bytes"),
    pytest.param({"endpointType": "neptune", "params": ["graph-ep"]}, ["params"], id="params-a-list"),
    pytest.param(neptune(endpointType="aml"), ["endpointType"], id="aml-request-on-neptune-machine"),
    # delete
    pytest.param(neptune_delete({}), ["params.id"], id="delete-without-id"),
    pytest.param(neptune_delete({"id": ""}), ["params.id"], id="delete-id-empty"),
    pytest.param(neptune_delete({"id": 7}), ["params.id"], id="delete-id-a-number"),
    pytest.param(neptune_delete({"id": "x", "clean": True}), ["params.clean"], id="delete-with-clean"),
    pytest.param(
        neptune_delete({"id": "x", "mlModelTrainingJobId": "t"}),
        ["params.mlModelTrainingJobId"],
        id="delete-with-create-field",
    ),
    pytest.param(neptune_delete("x"), ["params"], id="delete-params-a-string"),
]


@pytest.mark.parametrize(("document", "fields"), NEPTUNE_INVALID)
def test_neptune_a_broken_rule_names_its_field(document: Any, fields: list[str]) -> None:
    error = broken(document, "neptune")

    assert error.fields == fields
    assert all(field in error.message for field in fields)
    assert error.code == "InvalidRequest"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"modelName": "rgcn"}, id="model-rgcn"),
        pytest.param({"modelName": "kge"}, id="model-kge"),
        pytest.param({"modelName": "transe"}, id="model-transe"),
        pytest.param({"modelName": "distmult"}, id="model-distmult"),
        pytest.param({"modelName": "rotate"}, id="model-rotate"),
        pytest.param({"instanceCount": 1}, id="instance-count-1"),
        pytest.param({"instanceCount": 4}, id="instance-count-4"),
        pytest.param({"instanceType": "ml.m5.xlarge"}, id="instance-type-m5-xlarge"),
        pytest.param({"instanceType": "ml.g4dn.2xlarge"}, id="instance-type-g4dn-2xlarge"),
        pytest.param({"neptuneIamRoleArn": ROLE}, id="role-arn"),
        pytest.param({"volumeEncryptionKMSKey": KMS_KEY}, id="kms-key-arn"),
        pytest.param({"volumeEncryptionKMSKey": "1234abcd-12ab-34cd-56ef-1234567890ab"}, id="kms-key-id"),
        pytest.param({"volumeEncryptionKMSKey": "alias/neptune-ml"}, id="kms-alias"),
        pytest.param({"update": False}, id="update-false"),
        pytest.param(
            {"mlModelTrainingJobId": DROP, "mlModelTransformJobId": "xform-1"}, id="transform-job-only"
        ),
    ],
)
def test_neptune_a_valid_field_is_accepted(params: dict[str, Any]) -> None:
    document = neptune(params)

    state = run(document, "neptune")

    assert state["params"] == document["params"]
    assert state["endpointId"] == "graph-ep"


def test_neptune_a_full_request_is_accepted_as_given() -> None:
    params = {
        "id": "graph-ep",
        "mlModelTrainingJobId": "train-1",
        "modelName": "rgcn",
        "instanceType": "ml.g4dn.2xlarge",
        "instanceCount": 2,
        "neptuneIamRoleArn": ROLE,
        "update": False,
        "volumeEncryptionKMSKey": KMS_KEY,
    }

    state = run({"endpointType": "neptune", "params": params, "requestId": "graph-v1"}, "neptune")

    assert state["params"] == params
    assert state["requestId"] == "graph-v1"
    assert state["endpointId"] == "graph-ep"


def test_neptune_without_an_id_is_valid_and_has_no_endpoint_id_yet() -> None:
    state = run(neptune({"id": DROP}), "neptune")

    assert state["params"] == {"mlModelTrainingJobId": "train-1"}
    assert state.get("endpointId") is None


def test_neptune_a_minimal_request_gets_the_neptune_defaults() -> None:
    state = run(neptune(), "neptune")

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
    assert state["deadline"] == NOW + 3600
    assert 30 <= state["wait"] <= 33  # the first look, jittered up to 10 % later
    assert state["requestId"] == "run-1"
    assert state["endpointType"] == "neptune"


def test_neptune_a_valid_delete_is_accepted() -> None:
    state = run(neptune_delete({"id": "x"}), "neptune")

    assert state["action"] == "delete"
    assert state["endpointId"] == "x"
    assert state["params"] == {"id": "x"}


def test_neptune_every_violation_is_reported_together() -> None:
    document = neptune(
        {"modelName": "gcn", "instanceCount": 0, "instanceType": "m5.xlarge", "update": "yes", "x": 1}
    )

    error = broken(document, "neptune")

    assert set(error.fields) == {
        "params.modelName",
        "params.instanceCount",
        "params.instanceType",
        "params.update",
        "params.x",
    }
    assert len(error.fields) == len(set(error.fields))
