"""Property tests of request validation for every endpoint type (hypothesis).

Arbitrary and near-valid documents never raise anything but ``InvalidRequest`` naming fields,
and never reach a service; valid documents always pass.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import controller.handlers  # noqa: F401  (the parent Logger, before the lifecycle's child)
from controller import aws, catalog, clock
from controller.errors import InvalidRequest
from controller.step_event import StepEvent
from controller.steps.intake import validate

TYPES = catalog.names()
EXECUTION = {"Id": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1", "Name": "run-1"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

name = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,30}", fullmatch=True)
tag = st.fixed_dictionaries(
    {
        "Key": st.text(alphabet=string.ascii_letters + "_.:/=+-@", min_size=1, max_size=20).filter(
            lambda k: not k.lower().startswith("aws:")
        ),
        "Value": st.text(alphabet=string.ascii_letters + string.digits + " _.:/=+-@", max_size=30),
    }
)
valid_params = {
    "sagemaker": st.fixed_dictionaries(
        {"EndpointName": name, "EndpointConfigName": name},
        optional={"Tags": st.lists(tag, max_size=5, unique_by=lambda t: t["Key"])},
    ),
    "inference-component": st.fixed_dictionaries(
        {
            "InferenceComponentName": name,
            "EndpointName": name,
            "Specification": st.fixed_dictionaries(
                {
                    "ModelName": name,
                    "ComputeResourceRequirements": st.fixed_dictionaries(
                        {"MinMemoryRequiredInMb": st.integers(128, 65536)},
                        optional={
                            "NumberOfAcceleratorDevicesRequired": st.integers(1, 8),
                            "NumberOfCpuCoresRequired": st.integers(1, 32),
                        },
                    ),
                }
            ),
            "RuntimeConfig": st.fixed_dictionaries({"CopyCount": st.integers(1, 8)}),
        },
        optional={
            "VariantName": name,
            "Tags": st.lists(tag, max_size=5, unique_by=lambda t: t["Key"]),
        },
    ),
    "aml": st.fixed_dictionaries({"MLModelId": st.from_regex(r"[a-zA-Z0-9_.-]{1,64}", fullmatch=True)}),
    "neptune": st.fixed_dictionaries(
        {"mlModelTrainingJobId": st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=20)},
        optional={
            "id": st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=20),
            "modelName": st.sampled_from(["rgcn", "kge", "transe", "distmult", "rotate"]),
            "instanceCount": st.integers(1, 20),
            "instanceType": st.sampled_from(["ml.m5.xlarge", "ml.g4dn.2xlarge", "ml.r5.large"]),
            "update": st.just(False),  # a create with update: true is refused (an update is action: update)
        },
    ),
}


def _within_the_look_bound(options: dict[str, Any]) -> bool:
    """A fixed cadence looks at most 2,000 times before the timeout (controller.waiting); 3,600 s
    is the longest default timeout of any type."""
    if "pollIntervalSeconds" not in options:
        return True
    return math.ceil(options.get("timeoutSeconds", 3600) / max(1, options["pollIntervalSeconds"])) <= 2000


valid_options = st.fixed_dictionaries(
    {},
    optional={
        "pollIntervalSeconds": st.integers(0, 3600),
        "timeoutSeconds": st.integers(1, 86400),
        "rollback": st.booleans(),
    },
).filter(_within_the_look_bound)


@pytest.fixture(autouse=True)
def _no_services(monkeypatch: pytest.MonkeyPatch) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("validation must not call a service")

    monkeypatch.setattr(aws, "client", refuse)
    monkeypatch.delenv("REQUESTS_TABLE", raising=False)
    clock.use(lambda: 1_800_000_000.0)
    yield
    clock.use(None)


def run(endpoint_type: str, document: Any) -> dict[str, Any]:
    return validate(
        StepEvent.model_validate(
            {"step": "validate", "endpointType": endpoint_type, "input": document, "execution": EXECUTION}
        )
    )


def check_refusal(endpoint_type: str, document: Any) -> None:
    try:
        run(endpoint_type, document)
    except InvalidRequest as exc:
        assert exc.fields, "an InvalidRequest names the broken fields"
        assert all(field in exc.message for field in exc.fields)
        # In the project's words (never pydantic's), and one message per field.
        assert not re.search(r"\b(Input|String|Value) should\b|valid dictionary|Field required", exc.message)
        for field in exc.fields:
            assert len(re.findall(rf"(?:^|; ){re.escape(field)}: ", exc.message)) == 1, (field, exc.message)


@SETTINGS
@given(endpoint_type=st.sampled_from(TYPES), document=json_values)
def test_arbitrary_documents_only_ever_fail_as_invalid_request(endpoint_type: str, document: Any) -> None:
    check_refusal(endpoint_type, document)


@SETTINGS
@given(
    endpoint_type=st.sampled_from(TYPES),
    params=st.dictionaries(
        st.sampled_from(
            [
                "EndpointName",
                "EndpointConfigName",
                "Tags",
                "MLModelId",
                "id",
                "mlModelTrainingJobId",
                "mlModelTransformJobId",
                "modelName",
                "instanceCount",
                "instanceType",
                "update",
                "DeploymentConfig",
                "InferenceComponentName",
                "Specification",
                "RuntimeConfig",
                "VariantName",
            ]
        ),
        json_values,
        max_size=6,
    ),
    options=st.dictionaries(
        st.sampled_from(["pollIntervalSeconds", "timeoutSeconds", "rollback", "x"]), json_values, max_size=3
    ),
    action=st.sampled_from(["create", "delete", "update", None, 3]),
)
def test_near_valid_documents_only_ever_fail_as_invalid_request(
    endpoint_type: str, params: dict[str, Any], options: dict[str, Any], action: Any
) -> None:
    document: dict[str, Any] = {"endpointType": endpoint_type, "params": params, "options": options}
    if action is not None:
        document["action"] = action
    check_refusal(endpoint_type, document)


@SETTINGS
@given(data=st.data(), endpoint_type=st.sampled_from(TYPES))
def test_valid_documents_always_pass(data: st.DataObject, endpoint_type: str) -> None:
    params = data.draw(valid_params[endpoint_type])
    options = data.draw(valid_options)
    state = run(endpoint_type, {"endpointType": endpoint_type, "params": params, "options": options})
    assert state["endpointType"] == endpoint_type and state["params"] == params
    assert state["options"]["rollback"] == options.get("rollback", True)


@SETTINGS
@given(data=st.data(), endpoint_type=st.sampled_from(TYPES), wrong=json_values)
def test_one_broken_field_in_a_valid_document_is_named(
    data: st.DataObject, endpoint_type: str, wrong: Any
) -> None:
    params = dict(data.draw(valid_params[endpoint_type]))
    key = data.draw(st.sampled_from(sorted(params)))
    if wrong == params[key] or wrong is None:
        return
    params[key] = wrong
    try:
        run(endpoint_type, {"endpointType": endpoint_type, "params": params})
    except InvalidRequest as exc:
        named = (f"params.{key}", f"params.{key}.", f"params.{key}[")
        assert any(field == named[0] or field.startswith(named[1:]) for field in exc.fields), exc.fields
