"""Lost answers (docs/local-runner.md ``faults[].applied``): the call takes effect in the service, then its
answer is an error, a 5xx or the SDK's read timeout. A timeout or a 5xx proves nothing about what
was created (FIELD-NOTES, "Lost answers"); these tests pin what the simulation does, and what the
controller then does where it already copes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Runner
from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow

SAGEMAKER = {"endpointType": "sagemaker", "params": {"EndpointName": "ep", "EndpointConfigName": "cfg"}}
AML = {"endpointType": "aml", "params": {"MLModelId": "m"}}
NEPTUNE = {"endpointType": "neptune", "params": {"id": "g", "mlModelTrainingJobId": "j"}}


def fault(operation: str, error: str, *, applied: bool) -> dict[str, Any]:
    return {"faults": [{"operation": operation, "error": error, "applied": applied}]}


@pytest.mark.parametrize("error", ["InternalFailure", "ReadTimeout"])
def test_sagemaker_a_lost_create_answer_is_recognized_by_its_ownership_tag(
    local_run: Runner, error: str
) -> None:
    [result] = local_run([SAGEMAKER], {"sagemaker": fault("CreateEndpoint", error, applied=True)})

    assert result["status"] == "SUCCEEDED"
    assert one_notification(result)["status"] == "READY"
    # created once, by the lost call; the retry found the endpoint tagged as its own
    assert result["calls"].count("sagemaker:CreateEndpoint") == 1
    assert result["remaining"]["sagemaker"]["endpoints"] == ["ep"]


def test_sagemaker_a_read_timeout_that_did_not_apply_is_retried_after_the_wait(local_run: Runner) -> None:
    [result] = local_run([SAGEMAKER], {"sagemaker": fault("CreateEndpoint", "ReadTimeout", applied=False)})

    assert result["status"] == "SUCCEEDED"
    assert result["calls"].count("sagemaker:CreateEndpoint") == 2
    # the client waited its 20-s read timeout, then the retry's backoff, before creating
    assert result["readyAfterSeconds"] > 320


def test_aml_a_5xx_after_the_create_took_effect_finds_the_endpoint_it_made(local_run: Runner) -> None:
    [result] = local_run(
        [AML], {"aml": fault("CreateRealtimeEndpoint", "InternalServerException", applied=True)}
    )

    assert result["status"] == "SUCCEEDED"
    assert result["calls"].count("machinelearning:CreateRealtimeEndpoint") == 1
    assert result["remaining"]["aml"]["realtimeEndpoints"] == ["m"]


def test_neptune_a_lost_look_is_retried_and_changes_nothing(local_run: Runner) -> None:
    [result] = local_run(
        [NEPTUNE], {"neptune": fault("GetMLEndpoint", "InternalServerException", applied=True)}
    )

    assert result["status"] == "SUCCEEDED"
    assert result["calls"].count("neptunedata:CreateMLEndpoint") == 1


def test_a_sagemaker_read_timeout_holds_up_no_other_lifecycle(template: dict[str, Any]) -> None:
    # Found by the property test: the simulated SageMaker waited out its read timeout holding the
    # runner's moto lock, so no other execution could call a service, none could fall asleep, and
    # the virtual clock froze until the runner's wall-time limit stopped everything.
    from endpointctl.runner import run_requests

    requests = [
        {"endpointType": "sagemaker", "params": {"EndpointName": f"ep-{i}", "EndpointConfigName": "cfg"}}
        for i in range(2)
    ] + [AML]
    scenario = {"sagemaker": {"createSeconds": 300, **fault("CreateEndpoint", "ReadTimeout", applied=True)}}
    _, results = run_requests(template, requests, scenario, parallel=True)

    assert [r["status"] for r in results] == ["SUCCEEDED"] * 3, [r["cause"] for r in results]
    assert sorted(results[0]["remaining"]["sagemaker"]["endpoints"]) == ["ep-0", "ep-1"]
