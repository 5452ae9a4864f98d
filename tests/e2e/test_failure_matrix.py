"""docs/requests.md#the-outcome, row by row, for every endpoint type, with faults injected through the scenario.

Each case asserts the execution's status and error code, exactly one notification (bus and
topic), what the controller called, and what remains in the simulated services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Kind:
    """How one endpoint type is asked for, named in calls and listed in ``remaining``."""

    name: str
    params: dict[str, Any]
    create_op: str
    delete_op: str
    describe_op: str
    remaining_key: str
    endpoint_id: str
    failed: str
    throttle: str
    server_error: str
    refused: str
    #: The endpoint someone else's resources live on (inference components: ``existing`` items
    #: are objects naming their endpoint); ``None``: ``existing`` lists names.
    host: str | None = None

    def existing(self, name: str) -> dict[str, Any]:
        """The scenario's ``existing`` key with someone else's ``name``."""
        if self.host is None:
            return {self.remaining_key: [name]}
        return {self.remaining_key: [{self.identifier: name, "EndpointName": self.host}]}

    @property
    def identifier(self) -> str:
        from controller import catalog

        return catalog.get(self.name).identifier

    def request(self, **extra: Any) -> dict[str, Any]:
        return {"endpointType": self.name, "params": dict(self.params), **extra}

    def left(self, result: dict[str, Any]) -> list[str]:
        return list(result["remaining"][self.name][self.remaining_key])

    def calls(self, result: dict[str, Any], operation: str) -> int:
        return int(result["calls"].count(operation))


KINDS = [
    Kind(
        "sagemaker",
        {"EndpointName": "ep", "EndpointConfigName": "cfg"},
        "sagemaker:CreateEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:DescribeEndpoint",
        "endpoints",
        "ep",
        "Failed",
        "ThrottlingException",
        "InternalFailure",
        "ResourceLimitExceeded",
    ),
    Kind(
        "aml",
        {"MLModelId": "ep"},
        "machinelearning:CreateRealtimeEndpoint",
        "machinelearning:DeleteRealtimeEndpoint",
        "machinelearning:GetMLModel",
        "realtimeEndpoints",
        "ep",
        "FAILED",
        "ThrottlingException",
        "InternalServerException",
        "InvalidInputException",
    ),
    Kind(
        "neptune",
        {"id": "ep", "mlModelTrainingJobId": "job-1"},
        "neptunedata:CreateMLEndpoint",
        "neptunedata:DeleteMLEndpoint",
        "neptunedata:GetMLEndpoint",
        "endpoints",
        "ep",
        "Failed",
        "TooManyRequestsException",
        "InternalServerException",
        "ConstraintViolationException",
    ),
    Kind(
        "inference-component",
        {
            "InferenceComponentName": "ep",
            "EndpointName": "host",
            "VariantName": "AllTraffic",
            "Specification": {
                "ModelName": "model",
                "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024},
            },
            "RuntimeConfig": {"CopyCount": 1},
        },
        "sagemaker:CreateInferenceComponent",
        "sagemaker:DeleteInferenceComponent",
        "sagemaker:DescribeInferenceComponent",
        "components",
        "ep",
        "Failed",
        "ThrottlingException",
        "InternalFailure",
        "ResourceLimitExceeded",
        host="host",
    ),
]
IDS = [k.name for k in KINDS]


def test_every_endpoint_type_of_the_catalog_is_in_the_matrix() -> None:
    from controller import catalog

    assert list(catalog.names()) == IDS, "a new endpoint type needs its Kind row here"


def scenario(kind: Kind, **settings: Any) -> dict[str, Any]:
    return {kind.name: {"createSeconds": 120, "deleteSeconds": 30, **settings}}


def failed(result: dict[str, Any], code: str) -> dict[str, Any]:
    assert result["status"] == "FAILED" and result["error"] == code, result["cause"]
    detail = one_notification(result)
    assert detail["status"] == "FAILED" and detail["error"]["code"] == code
    return detail


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_invalid_request(local_run: Runner, kind: Kind) -> None:
    [result] = local_run([{**kind.request(), "params": {"Nope": 1}}])
    detail = failed(result, "InvalidRequest")
    assert "params.Nope" in detail["error"]["fields"]
    assert result["calls"] == []


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_already_exists(local_run: Runner, kind: Kind) -> None:
    [result] = local_run([kind.request()], scenario(kind, existing=kind.existing("ep")))
    detail = failed(result, "EndpointAlreadyExists")
    assert "rollback" not in detail
    assert kind.calls(result, kind.create_op) == 0 and kind.calls(result, kind.delete_op) == 0
    assert kind.left(result) == ["ep"]


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_prerequisite_not_found(local_run: Runner, kind: Kind) -> None:
    [result] = local_run([kind.request()], scenario(kind, missingPrerequisites=True))
    failed(result, "PrerequisiteNotFound")
    assert kind.calls(result, kind.create_op) == 0
    assert kind.left(result) == []


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_creation_failed_is_rolled_back(local_run: Runner, kind: Kind) -> None:
    [result] = local_run([kind.request()], scenario(kind, outcome=kind.failed))
    detail = failed(result, "EndpointCreationFailed")
    assert detail["rollback"]["attempted"] is True and detail["rollback"]["succeeded"] is True
    assert kind.calls(result, kind.delete_op) == 1
    assert kind.left(result) == []
    assert result["readyAfterSeconds"] == 120


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_timeout_is_rolled_back(local_run: Runner, kind: Kind) -> None:
    [result] = local_run([kind.request(options={"timeoutSeconds": 60})], scenario(kind, createSeconds=400))
    detail = failed(result, "EndpointTimeout")
    assert detail["rollback"]["succeeded"] is True
    assert kind.calls(result, kind.delete_op) == 1  # after the endpoint left its creating state
    assert result["virtualSeconds"] >= 400 + 30
    assert kind.left(result) == []


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_provider_error_that_no_retry_cures(local_run: Runner, kind: Kind) -> None:
    fault = {"operation": kind.create_op.split(":")[1], "error": kind.refused, "count": 1}
    [result] = local_run([kind.request()], scenario(kind, faults=[fault]))
    # SageMaker's refusal of an endpoint for the account's instance limits is the quota's, by name
    # (an inference component's ResourceLimitExceeded may be any of its limits: a service error)
    detail = failed(result, "QuotaExceeded" if kind.name == "sagemaker" else "ProviderError")
    assert kind.refused in detail["error"]["message"]
    assert kind.calls(result, kind.create_op) == 1  # not retried
    assert kind.left(result) == []


@pytest.mark.parametrize(("error_of", "attempts"), [("throttle", 1 + 12), ("server_error", 1 + 6)])
@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_retries_exhausted_is_provider_error(
    local_run: Runner, kind: Kind, error_of: str, attempts: int
) -> None:
    # throttling (the service pacing a burst) is retried twelve times, a 5xx six
    fault = {"operation": kind.create_op.split(":")[1], "error": getattr(kind, error_of), "count": 99}
    [result] = local_run([kind.request()], scenario(kind, faults=[fault]))
    detail = failed(result, "ProviderError")
    assert "retries exhausted" in detail["error"]["message"]
    assert kind.calls(result, kind.create_op) == attempts  # the first attempt and the retries
    assert kind.left(result) == []


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
@pytest.mark.parametrize("error_of", ["throttle", "server_error"])
def test_throttling_and_5xx_are_cured_by_retries(local_run: Runner, kind: Kind, error_of: str) -> None:
    faults = [
        {"operation": kind.create_op.split(":")[1], "error": getattr(kind, error_of), "count": 2},
        {"operation": kind.describe_op.split(":")[1], "error": getattr(kind, error_of), "count": 2},
    ]
    [result] = local_run([kind.request()], scenario(kind, faults=faults))
    assert result["status"] == "SUCCEEDED", result["cause"]
    assert one_notification(result)["status"] == "READY"
    assert kind.calls(result, kind.create_op) >= 1
    assert kind.left(result) == ["ep"]


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_rollback_failed_names_what_is_left(local_run: Runner, kind: Kind) -> None:
    if kind.host is not None:
        pytest.skip("a component's delete has no failed outcome (InferenceComponentStatus: no DeleteFailed)")
    [result] = local_run([kind.request()], scenario(kind, outcome=kind.failed, deleteOutcome="Failed"))
    detail = failed(result, "RollbackFailed")
    assert detail["rollback"]["succeeded"] is False
    assert any("ep" in item for item in detail["rollback"]["remaining"])
    assert kind.left(result) == ["ep"]


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_rollback_refused_is_rollback_failed(local_run: Runner, kind: Kind) -> None:
    fault = {"operation": kind.delete_op.split(":")[1], "error": "AccessDeniedException", "count": 5}
    [result] = local_run([kind.request()], scenario(kind, outcome=kind.failed, faults=[fault]))
    detail = failed(result, "RollbackFailed")
    assert "AccessDeniedException" in detail["error"]["message"]
    assert kind.left(result) == ["ep"]


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_rollback_false_leaves_the_endpoint(local_run: Runner, kind: Kind) -> None:
    [result] = local_run([kind.request(options={"rollback": False})], scenario(kind, outcome=kind.failed))
    detail = failed(result, "EndpointCreationFailed")
    assert detail["rollback"]["attempted"] is False
    assert kind.calls(result, kind.delete_op) == 0
    assert kind.left(result) == ["ep"]


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_duplicate_request_creates_once(local_run: Runner, kind: Kind) -> None:
    first, repeat = local_run([kind.request(requestId="r-1"), kind.request(requestId="r-1")], scenario(kind))
    assert first["status"] == repeat["status"] == "SUCCEEDED"
    assert kind.calls(first, kind.create_op) == 1 and repeat["calls"] == []
    assert repeat["notifications"]["events"] == [] and repeat["output"] == one_notification(first)
    assert kind.left(repeat) == ["ep"]


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_foreign_endpoint_survives_a_failed_neighbour(local_run: Runner, kind: Kind) -> None:
    [result] = local_run(
        [kind.request()], scenario(kind, outcome=kind.failed, existing=kind.existing("theirs"))
    )
    failed(result, "EndpointCreationFailed")
    assert kind.left(result) == ["theirs"]


def test_fifty_concurrent_lifecycles_mixing_outcomes(local_run: Runner) -> None:
    requests: list[dict[str, Any]] = []
    kinds = []
    for i in range(50):
        # every type, inference components among them: all of theirs on one endpoint, "host"
        kind = KINDS[i % len(KINDS)]
        kinds.append(kind)
        params = {k: (f"{v}-{i}" if k == kind.identifier else v) for k, v in kind.params.items()}
        document: dict[str, Any] = {"endpointType": kind.name, "params": params}
        if i % 10 == 7:
            document["options"] = {"timeoutSeconds": 100}  # times out: rolled back
        if i % 10 == 9:
            document["params"] = {"bad": True}  # invalid: touches nothing
        if i % 10 == 3:
            document["requestId"] = "dup"  # five requests share one request id
        requests.append(document)
    world = {
        "sagemaker": {"createSeconds": 300},
        "aml": {"createSeconds": 200},
        "neptune": {"createSeconds": 250},
        "inference-component": {"createSeconds": 280},
    }
    results = local_run(requests, world, parallel=True)
    notified = [len(r["notifications"]["events"]) for r in results]
    dup = [i for i, d in enumerate(requests) if d.get("requestId") == "dup"]
    # five different requests share one request id: the first goes on, the others are refused
    # (InvalidRequest naming requestId, docs/requests.md), each with a notification of its own
    assert all(n == 1 for n in notified)
    assert all(len(r["notifications"]["events"]) == len(r["notifications"]["sns"]) for r in results)
    winners = [i for i in dup if results[i]["status"] == "SUCCEEDED"]
    assert len(winners) == 1, [results[i]["error"] for i in dup]
    for i in set(dup) - set(winners):
        detail = results[i]["notifications"]["events"][0]["detail"]
        assert (detail["error"]["code"], detail["error"]["fields"]) == ("InvalidRequest", ["requestId"])
        assert not any(":Create" in call for call in results[i]["calls"])
    for i, result in enumerate(results):
        if i in dup:
            continue
        if i % 10 == 9:
            assert result["error"] == "InvalidRequest" and result["calls"] == []
        elif i % 10 == 7:
            assert result["error"] == "EndpointTimeout"
        else:
            assert result["status"] == "SUCCEEDED", (i, result["cause"])
    remaining = results[0]["remaining"]
    live = (
        set(remaining["sagemaker"]["endpoints"])
        | set(remaining["aml"]["realtimeEndpoints"])
        | set(remaining["neptune"]["endpoints"])
        | set(remaining["inference-component"]["components"])
    )
    assert "host" in live  # the components' endpoint is never the controller's to delete
    live.discard("host")

    def name(i: int) -> str:
        return str(requests[i]["params"].get(kinds[i].identifier))

    ready = {name(i) for i in range(50) if i % 10 not in (7, 9) and i not in dup}
    assert ready <= live  # every ready endpoint stays; nothing rolled back or invalid does
    assert live - ready == {name(winners[0])}  # and the one request of the shared id
