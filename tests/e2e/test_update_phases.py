"""An update's deployment phases on the event path, through the synthesized definition and rule.

SageMaker announces an update's phases with ``SageMaker Endpoint Deployment State Change`` events
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html); the
simulator sends each twice, the copy late, after the next phase's. The waiting ``AwaitEndpoint``
task is resumed with the verdict ``wait`` for each phase it has not recorded (after one describe),
so the execution's history, and ``endpointctl watch`` reading it, show every phase once, in order,
and the outcome is what it was without them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from endpointctl import project_root
from endpointctl.ops import follow
from endpointctl.runner import LocalRunner
from endpointctl.runner.results import Run
from tests.e2e.test_operator import cli, world_of
from tests.e2e.test_sagemaker import request

pytestmark = pytest.mark.slow

EVENTS = project_root() / "events"
PHASES = ["Updating (Creating)", "Updating (ActivatingTraffic)", "Updating (Baking)"]
DEPLOYMENT = "SageMaker Endpoint Deployment State Change"
FALLBACK = 900  # infra/polling.py EVENT_FALLBACK_SECONDS


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def scenario(name: str) -> dict[str, Any]:
    return sample(f"scenarios/{name}")


@contextlib.contextmanager
def canary_update(
    template: dict[str, Any], world: dict[str, Any], *, drop: str | None = None
) -> Iterator[tuple[LocalRunner, Run, dict[str, Any]]]:
    """The sample canary update run to its end in ``world`` (the world kept open for reading);
    ``drop``: a detail-type the default bus loses."""
    with world_of(template, world) as runner:
        bus = runner.bus
        assert bus is not None
        if drop is not None:
            route = bus._route

            def lossy(event: dict[str, Any], **kwargs: Any) -> None:
                if event.get("detail-type") != drop:
                    route(event, **kwargs)

            bus._route = lossy  # type: ignore[method-assign]
        run = runner.start(sample("sagemaker-update-canary.json"))
        runner.wait([run])
        yield runner, run, runner.result(run)


def await_statuses(execution: str) -> list[str | None]:
    """The ``providerStatus`` of each ``AwaitEndpoint`` output in the execution's history, in order."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return [
        follow.provider_status(event["stateExitedEventDetails"].get("output"))
        for event in follow.new_history(sfn, execution, 0)
        if event.get("stateExitedEventDetails", {}).get("name") == "AwaitEndpoint"
    ]


def test_an_update_shows_each_phase_once_in_order_and_ends_as_before(template: dict[str, Any]) -> None:
    with canary_update(template, scenario("sagemaker-existing-endpoint.json")) as (runner, run, result):
        statuses = await_statuses(run.execution_arn)
        assert runner.bus is not None
        phases = [e for e in runner.bus.events if e["detail-type"] == DEPLOYMENT]
    assert len(phases) == 2 * len(PHASES)  # each phase announced twice
    assert statuses == [*PHASES, "InService"]  # each phase once, in order, despite the copies
    assert result["status"] == "SUCCEEDED"
    [event] = result["notifications"]["events"]
    assert event["detail-type"] == "Endpoint Updated" and event["detail"]["status"] == "UPDATED"
    assert result["virtualSeconds"] == result["readyAfterSeconds"] == 1500  # the final event ends it
    # validate, action?, create, by event?, (await, ready?) x 4, publish event, publish to the topic
    assert result["stateTransitions"] == 14


def test_a_rolled_back_update_shows_its_rollback_too(template: dict[str, Any]) -> None:
    with canary_update(template, scenario("sagemaker-update-rolled-back.json")) as (_, run, result):
        statuses = await_statuses(run.execution_arn)
    assert statuses == [*PHASES, "RollingBack (Baking)", "InService"]
    assert result["status"] == "FAILED" and result["error"] == "UpdateRolledBack"
    [event] = result["notifications"]["events"]
    assert event["detail"]["error"]["code"] == "UpdateRolledBack"
    assert event["detail"]["rollback"]["deleted"] == ["endpoint-config churn-config-v4"]
    assert result["virtualSeconds"] == result["readyAfterSeconds"] == 900


def test_deployment_events_alone_show_the_phases_and_the_fallback_finds_the_outcome(
    template: dict[str, Any],
) -> None:
    lost = "SageMaker Endpoint State Change"  # the final IN_SERVICE among them
    with canary_update(template, scenario("sagemaker-existing-endpoint.json"), drop=lost) as (_, run, result):
        statuses = await_statuses(run.execution_arn)
    assert statuses == [*PHASES, "InService"]
    assert result["status"] == "SUCCEEDED"
    assert [e["detail-type"] for e in result["notifications"]["events"]] == ["Endpoint Updated"]
    # Baking was recorded at 750 s; the next look is the fallback's, a timeout and a retry later
    assert result["readyAfterSeconds"] == 1500
    assert result["virtualSeconds"] == pytest.approx(750 + FALLBACK + 1, abs=2)


def test_watch_shows_the_phases_of_an_update_waiting_for_events(template: dict[str, Any]) -> None:
    with canary_update(template, scenario("sagemaker-update-rolled-back.json")) as (_, run, _result):
        code, out, _ = cli("watch", run.execution_arn, "--interval", "0")
    assert code == 1, out
    shown = [line.split(None, 1)[1] for line in out.splitlines() if line.startswith("+")]
    waits = [line for line in shown if line.startswith("AwaitEndpoint")]
    assert waits == [
        "AwaitEndpoint  (Updating (Creating))",
        "AwaitEndpoint  (Updating (ActivatingTraffic))",
        "AwaitEndpoint  (Updating (Baking))",
        "AwaitEndpoint  (RollingBack (Baking))",
        "AwaitEndpoint  (InService)",
    ], out
    assert "error UpdateRolledBack" in out


def test_a_create_pays_nothing_for_its_creating_events(template: dict[str, Any]) -> None:
    with world_of(template, {"sagemaker": {"createSeconds": 600}}) as runner:
        bus = runner.bus
        assert bus is not None
        delivered: list[str] = []
        invoke = bus.invoke

        def spy(function: str, payload: str, headers: dict[str, str]) -> Any:
            body = json.loads(payload)
            if body.get("source") == "aws.sagemaker":
                delivered.append(str(body["detail"]["EndpointStatus"]))
            return invoke(function, payload, headers)

        bus.invoke = spy
        run = runner.start(request())  # the defaults: waiting for events
        runner.wait([run])
        statuses = await_statuses(run.execution_arn)
        published = [e["detail"]["EndpointStatus"] for e in bus.events if e["source"] == "aws.sagemaker"]
        result = runner.result(run)
    assert published == ["CREATING", "IN_SERVICE"]
    assert delivered == ["IN_SERVICE"]  # the rule drops CREATING: no invocation for it
    assert statuses == ["InService"]  # one wait, resumed by the final event
    assert result["stateTransitions"] == 8 and result["lambdaInvocations"] == 4
