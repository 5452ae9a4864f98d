"""A request of a type the stack does not deploy is answered by the stack itself: the catch-all rule
starts the refusals' state machine (infra/refusals.py), which publishes its one ``Endpoint Failed``
(``InvalidRequest`` naming ``endpointType``, saying what the stack deploys) and creates nothing,
rather than let another type's lifecycle handle it. Requests of a deployed type are unaffected;
those of no type, or of an unknown one, are refused the same way.

Through the local runner, on the template of a stack that deploys SageMaker only (what cdk.json
deploys; `-c endpointTypes=sagemaker`, one synth shared with tests/e2e/test_cli.py's command).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from endpointctl import project_root
from endpointctl.runner import LocalRunner, quiet_stdout
from tests.e2e.helpers import one_notification

pytestmark = pytest.mark.slow
EVENTS = project_root() / "events"
#: The context of a stack that deploys SageMaker only, as `-c endpointTypes=sagemaker` gives it.
SAGEMAKER_ONLY = {"endpointTypes": "sagemaker"}
NOT_DEPLOYED = "the aml type is not deployed in this stack (it deploys: sagemaker; context endpointTypes)"


@pytest.fixture(scope="module")
def sagemaker_only() -> dict[str, Any]:
    from endpointctl.synth import synthesize

    return synthesize(project_root(), SAGEMAKER_ONLY)


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def test_a_type_the_stack_does_not_deploy_is_refused_by_the_stack_itself(
    sagemaker_only: dict[str, Any],
) -> None:
    aml = sample("aml-create.json")
    event = {"id": "evt-aml-1", "detail-type": "Endpoint Request", "source": "x", "detail": aml}
    unknown = {"endpointType": "redshift", "params": {}}
    untyped = {"params": {"EndpointName": "e", "EndpointConfigName": "e-config"}}
    with quiet_stdout(), LocalRunner(sagemaker_only) as runner:
        refusals = runner.staged.refusals
        assert refusals is not None and set(runner.arns) == {"sagemaker"}
        results = runner.run([aml, event, event, unknown, untyped, sample("sagemaker-create.json")])
        machines = {run.execution_arn: run.execution_arn.split(":")[-2] for run in runner.runs()}
    refused, as_event, again, of_unknown, of_none, deployed = results

    # the aml request: its own Endpoint Failed, from the refusals' machine, nothing created or called
    detail = one_notification(refused)
    assert (refused["status"], refused["error"]) == ("FAILED", "InvalidRequest")
    assert detail["error"] == {
        "code": "InvalidRequest",
        "message": f"endpointType: {NOT_DEPLOYED}",
        "fields": ["endpointType"],
    }
    assert (detail["endpointType"], detail["endpointId"], detail["requestId"]) == (
        "aml",
        "ml-churn-2026",
        "aml-churn-2026-11-22",
    )
    assert refused["calls"] == [] and refused["remaining"]["aml"]["realtimeEndpoints"] == []
    assert refused["lambdaInvocations"] == 1  # Reject only: no Validate, no lifecycle
    assert machines[detail["executionArn"]].startswith("RefusalsStateMachine")

    # the same event twice (a redelivery): answered once
    assert one_notification(as_event)["error"]["message"] == f"endpointType: {NOT_DEPLOYED}"
    assert again["error"] == "InvalidRequest" and again["notifications"] == {"events": [], "sns": []}

    # no type, or an unknown one: refused the same way, naming endpointType
    assert one_notification(of_unknown)["error"]["message"] == (
        "endpointType: must be one of the types this stack deploys: sagemaker (got 'redshift')"
    )
    assert one_notification(of_none)["error"]["fields"] == ["endpointType"]
    for result in (as_event, of_unknown, of_none):
        assert machines[one_notification(result)["executionArn"]].startswith("RefusalsStateMachine")

    # a request of the deployed type is unaffected
    assert deployed["status"] == "SUCCEEDED" and one_notification(deployed)["status"] == "READY"
    assert machines[one_notification(deployed)["executionArn"]].startswith("SageMakerLifecycle")


def test_a_lifecycle_started_with_a_type_the_stack_does_not_deploy_says_so(
    sagemaker_only: dict[str, Any],
) -> None:
    """A console execution of the SageMaker lifecycle with an aml request: the same answer."""
    with quiet_stdout(), LocalRunner(sagemaker_only) as runner:
        run = runner.start(sample("aml-create.json"), machine=runner.arns["sagemaker"])
        runner.wait([run])
        result = runner.result(run)
    assert one_notification(result)["error"]["message"] == f"endpointType: {NOT_DEPLOYED}"
    assert result["calls"] == []


def test_an_event_that_reaches_a_lifecycle_and_the_refusals_is_answered_once(
    sagemaker_only: dict[str, Any],
) -> None:
    """``endpointType: ["sagemaker", "aml"]`` matches both the SageMaker rule (an array matches when
    one of its values does) and the catch-all (``aml`` is not deployed): two executions, one answer."""
    event = {
        "id": "22222222-3333-4444-5555-666666666666",
        "detail-type": "Endpoint Request",
        "source": "someone",
        "detail": {"endpointType": ["sagemaker", "aml"], "params": {}},
    }
    with quiet_stdout(), LocalRunner(sagemaker_only) as runner:
        assert runner.staged.refusals is not None
        runs = [runner.start(event, machine=m) for m in (runner.arns["sagemaker"], runner.staged.refusals)]
        runner.wait(runs)
        answers = [e for e in runner.events if e["detail-type"] == "Endpoint Failed"]
    assert [run.status for run in runs] == ["FAILED", "FAILED"]
    assert len(answers) == 1 and answers[0]["detail"]["error"]["fields"] == ["endpointType"]
