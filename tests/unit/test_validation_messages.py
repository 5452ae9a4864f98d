"""Refusals in the project's own words (issue 15, item 6), and ``endpointctl validate``.

An ``InvalidRequest`` says what is wrong and what was given (``must be an integer (got a string)``),
never pydantic's ``Input should be ...``; each field once; an unknown member names the one it
resembles. ``endpointctl validate`` (and ``submit`` before it sends) judges a request with the
Validate step's own code, offline: what it accepts, the controller accepts.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from controller import aws, catalog, clock
from controller.errors import InvalidRequest
from controller.step_event import StepEvent
from controller.steps.intake import validate
from endpointctl import project_root
from endpointctl.cli import main
from endpointctl.validate import check

TYPES = ", ".join(catalog.names())

EXECUTION = {"Id": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1", "Name": "run-1"}
SAGEMAKER = {"EndpointName": "churn-prod", "EndpointConfigName": "churn-config-v3"}


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    importlib.import_module("controller.handlers")  # the lifecycle's parent logger
    clock.use(lambda: 1_767_225_600.0)

    def no_aws(service: str) -> Any:
        raise AssertionError(f"validation must not call AWS (asked for a {service} client)")

    monkeypatch.setattr(aws, "client", no_aws)
    yield
    clock.use(None)


def refusal(document: Any, endpoint_type: str = "sagemaker") -> str:
    event = {"step": "validate", "endpointType": endpoint_type, "input": document, "execution": EXECUTION}
    with pytest.raises(InvalidRequest) as caught:
        validate(StepEvent.model_validate(event))
    return caught.value.message


def request(**fields: Any) -> dict[str, Any]:
    return {"endpointType": "sagemaker", "params": dict(SAGEMAKER), **fields}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (request(action="destroy"), "action: must be one of create, update, delete (got 'destroy')"),
        (
            request(options={"timeoutSeconds": "abc"}),
            "options.timeoutSeconds: must be an integer (got a string)",
        ),
        (request(options={"timeoutSeconds": -1}), "options.timeoutSeconds: must be greater than 0 (got -1)"),
        (
            request(options={"pollIntervalSeconds": 99999}),
            "options.pollIntervalSeconds: must be at most 3600 (got 99999)",
        ),
        (request(options={"rollback": "yes"}), "options.rollback: must be true or false (got a string)"),
        (request(options="fast"), "options: must be an object (got a string)"),
        (
            request(options={"timeoutSecond": 60}),
            "options.timeoutSecond: is not a field of options; did you mean timeoutSeconds?",
        ),
        (request(requestID="x"), "requestID: is not a field of the request; did you mean requestId?"),
        (
            request(requestId="a b"),
            "requestId: must match the pattern ^[A-Za-z0-9_.:/=+@-]{1,128}$",
        ),
        (request(endpointType=5), f"endpointType: must be one of {TYPES} (got 5)"),
        (request(endpointType="s3"), f"endpointType: must be one of {TYPES} (got 's3')"),
        ({"endpointType": "sagemaker", "params": "x"}, "params: must be an object (got a string)"),
        (
            request(params={**SAGEMAKER, "Tag": []}),
            "params.Tag: is not a field of CreateEndpointInput; did you mean Tags?",
        ),
        (
            request(params={**SAGEMAKER, "EndpointName": 7}),
            "params.EndpointName: must be a string (got 7)",
        ),
        ("text", "request: must be a JSON object (got a string)"),
        (
            {"detail-type": "Endpoint Request", "detail": "{bad"},
            "detail: is not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2)",
        ),
    ],
)
def test_a_refusal_is_in_the_projects_words(document: Any, message: str) -> None:
    assert refusal(document) == message


def test_a_field_two_checks_find_broken_is_named_once() -> None:
    # The common fields' model and the provider both see that params is not an object.
    assert (
        refusal({"endpointType": "sagemaker", "params": ["x"]}) == "params: must be an object (got an array)"
    )


def test_an_enum_of_the_service_model_says_what_was_given() -> None:
    routing = {"Type": "FAST", "WaitIntervalInSeconds": 60}
    params = {
        **SAGEMAKER,
        "DeploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}},
    }
    assert "must be one of ALL_AT_ONCE, CANARY, LINEAR (got 'FAST')" in refusal(request(params=params))


# -- endpointctl validate ---------------------------------------------------------------------------
SAMPLES = sorted((project_root() / "events").glob("*.json"))
BROKEN = [
    request(action="destroy"),
    request(options={"pollIntervalSeconds": 1, "timeoutSeconds": 86400}),  # too many looks
    request(params={"EndpointName": "-bad"}),
    {"endpointType": "aml", "action": "update", "params": {"MLModelId": "m"}},
    {"endpointType": "neptune", "params": {}},
    {"detail-type": "Endpoint Request", "detail": request(options={"rollback": 1})},
    [1],
    "text",
]


def accepted_by_the_controller(document: Any) -> bool:
    from controller.request import peek

    inner = peek(document)
    kind = inner.get("endpointType") if isinstance(inner, dict) else None
    machine = kind if kind in catalog.names() else "sagemaker"
    try:
        refusal_free = validate(
            StepEvent.model_validate(
                {"step": "validate", "endpointType": machine, "input": document, "execution": EXECUTION}
            )
        )
    except InvalidRequest:
        return False
    return bool(refusal_free)


@pytest.mark.parametrize(
    "document",
    [*(json.loads(path.read_text()) for path in SAMPLES if path.name != "two-endpoints.json"), *BROKEN],
)
def test_validate_judges_as_the_controller_does(document: Any) -> None:
    assert check(document).valid == accepted_by_the_controller(document)


def write(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "request.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_validate_prints_valid_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(project_root() / "events" / "sagemaker-create.json")]) == 0
    assert capsys.readouterr().out == "valid: create sagemaker churn-prod\n"


def test_validate_names_every_broken_field_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = request(options={"timeoutSeconds": "abc", "rollback": "no"})
    document["params"]["EndpointName"] = "-bad"
    assert main(["validate", write(tmp_path, document)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "invalid: create sagemaker -bad",
        "  options.timeoutSeconds: must be an integer (got a string)",
        "  options.rollback: must be true or false (got a string)",
        "  params.EndpointName: must match the pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ]


def test_validate_refuses_a_neptune_create_that_asks_for_an_update(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((project_root() / "events" / "neptune-create.json").read_text())
    document["params"]["update"] = True
    assert main(["validate", write(tmp_path, document)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "invalid: create neptune fraud-graph",
        "  params.update: a create makes a new endpoint; an update is action: update (leave update out)",
    ]


def test_validate_an_array_shows_each_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = [request(), 5, {"endpointType": "aml", "params": {"MLModelId": "m"}}]
    assert main(["validate", write(tmp_path, document)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "[0] valid: create sagemaker churn-prod",
        "[1] invalid: not a request (a JSON object is expected)",
        "  request: must be a JSON object (got 5)",
        "[2] valid: create aml m",
    ]


def test_validate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--json", write(tmp_path, request(action="destroy"))]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] is False
    assert verdict["errors"] == [
        {"field": "action", "problem": "must be one of create, update, delete (got 'destroy')"}
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n  "action": create\n}', "not valid JSON (Expecting value at line 2, column 13)"),
        ("", "the file is empty"),
        ("[" * 100_000 + "]" * 100_000, "nested more than 100 levels deep"),
        ("[]", "the array is empty"),
    ],
    ids=["bad-json", "empty-file", "deep", "empty-array"],
)
def test_validate_an_unreadable_file_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    assert main(["validate", write(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_submit_refuses_an_invalid_request_without_calling_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    def no_session(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an invalid request must not reach AWS")

    monkeypatch.setattr(boto3, "Session", no_session)
    document = request(options={"timeoutSeconds": 0})
    for extra in ([], ["--direct"]):
        assert main(["submit", write(tmp_path, document), *extra]) == 1
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith("endpointctl: request ") and "is invalid, not sent" in err[0]
        assert err[1:] == ["  options.timeoutSeconds: must be greater than 0 (got 0)"]
