"""The runner's default bus delivers what AWS delivers there (endpointctl/runner/delivery.py):
Step Functions' ``Step Functions Execution Status Change`` events, one per status an execution
takes, at the virtual moment it took it; schedules (``rate(...)``, ``cron(...)``) firing on the
virtual clock while the simulated world runs; both through the rules' patterns to Lambda targets,
with EventBridge's permission to invoke them checked. Also: a request whose ``endpointType`` is
not a string goes to the lifecycle that rejects it, and nothing crashes on the way.

Most tests use a small template of their own (state machines of Pass, Wait, Fail and Succeed
states, one function, rules), so they show the runner's behaviour and nothing of the controller's
handlers: the handler is replaced by one that records what it is sent."""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from endpointctl.runner import LocalRunner, invoke, lambdas, quiet_stdout
from endpointctl.runner.delivery import SCHEDULED_EVENT, STATUS_CHANGE
from endpointctl.template import ACCOUNT, REGION

pytestmark = pytest.mark.slow

FUNCTION = "SweepFunction"
MACHINES = {"sagemaker": "SageMakerMachine", "aml": "AmlMachine"}
FAILURES = ["FAILED", "TIMED_OUT", "ABORTED"]


def _machine(endpoint_type: str, wait_seconds: int, end: dict[str, Any]) -> dict[str, Any]:
    definition = {
        "StartAt": "Type",
        "States": {
            "Type": {"Type": "Pass", "Parameters": {"endpointType": endpoint_type}, "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": wait_seconds, "Next": "End"},
            "End": end,
        },
    }
    return {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "DefinitionString": json.dumps(definition, separators=(",", ":")),
            "RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]},
        },
    }


def world(
    *,
    wait_seconds: int = 600,
    sagemaker_end: dict[str, Any] | None = None,
    rules: dict[str, dict[str, Any]] | None = None,
    permitted: bool = True,
) -> dict[str, Any]:
    """A template of two state machines (``sagemaker``: Pass, Wait ``wait_seconds``, then Fail;
    ``aml``: the same, then Succeed), one function and ``rules`` (logical id → properties) on the
    default bus, each allowed to invoke the function unless not ``permitted``."""
    fail = {"Type": "Fail", "Error": "Boom", "Cause": "the wait ended badly"}
    resources: dict[str, Any] = {
        "MachineRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "FunctionRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        FUNCTION: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Role": {"Fn::GetAtt": ["FunctionRole", "Arn"]},
                "Handler": "x.handler",
                "Timeout": 60,
            },
        },
        MACHINES["sagemaker"]: _machine("sagemaker", wait_seconds, sagemaker_end or fail),
        MACHINES["aml"]: _machine("aml", wait_seconds, {"Type": "Succeed"}),
    }
    for lid, properties in (rules or {}).items():
        resources[lid] = {"Type": "AWS::Events::Rule", "Properties": properties}
        if permitted:
            resources[f"{lid}Permission"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": [FUNCTION, "Arn"]},
                    "Principal": "events.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": [lid, "Arn"]},
                },
            }
    return {"Resources": resources}


def to_function(**properties: Any) -> dict[str, Any]:
    return {
        "State": "ENABLED",
        "Targets": [{"Arn": {"Fn::GetAtt": [FUNCTION, "Arn"]}, "Id": "T"}],
        **properties,
    }


def failures_of(machine: str) -> dict[str, Any]:
    """The pattern the stack's clean-up rule uses: this state machine's executions that did not succeed."""
    return {
        "source": ["aws.states"],
        "detail-type": [STATUS_CHANGE],
        "detail": {"status": FAILURES, "stateMachineArn": [{"Ref": machine}]},
    }


def request(endpoint_type: str = "sagemaker", name: str = "a") -> dict[str, Any]:
    return {"endpointType": endpoint_type, "params": {"EndpointName": name}, "requestId": f"req-{name}"}


class Recorder:
    """Stands in for the handler: records each event a rule delivers, with the virtual time."""

    def __init__(self) -> None:
        self.runner: LocalRunner | None = None
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self.answer: Any = {"ignored": "recorded by the test"}

    def __call__(self, function_name: str, event: dict[str, Any], headers: dict[str, str]) -> Any:
        assert self.runner is not None
        self.seen.append((self.runner.clock.now(), event))
        return self.answer(event) if callable(self.answer) else self.answer

    def of(self, detail_type: str) -> list[tuple[float, dict[str, Any]]]:
        return [(at, event) for at, event in self.seen if event.get("detail-type") == detail_type]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recording = Recorder()
    monkeypatch.setattr(lambdas, "call_handler", recording)
    yield recording


def run_world(
    template: dict[str, Any],
    recorder: Recorder,
    requests: list[Any],
    scenario: dict[str, Any] | None = None,
    *,
    parallel: bool = False,
    until: float | None = None,
) -> tuple[LocalRunner, float, list[dict[str, Any]]]:
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        recorder.runner = runner
        begun = runner.clock.now()
        run = runner.run_parallel if parallel else runner.run
        found = run(requests, until=until)
    return runner, begun, found


# -- Step Functions Execution Status Change -------------------------------------------------------
def test_a_failed_execution_is_announced_once_with_the_documented_fields(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    runner, begun, [result] = run_world(template, recorder, [request()], until=3600)

    assert (result["status"], result["error"]) == ("FAILED", "Boom")
    [(at, event)] = recorder.of(STATUS_CHANGE)
    assert at == begun + 600  # delivered at the moment it ended
    run = runner.runs()[0]
    machine = runner.arns["sagemaker"]
    assert event["source"] == "aws.states" and event["resources"] == [run.execution_arn]
    assert (event["account"], event["region"], event["version"]) == (ACCOUNT, REGION, "0")
    assert event["time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(begun + 600))
    assert event["detail"] == {
        "executionArn": run.execution_arn,
        "stateMachineArn": machine,
        "name": run.execution_arn.rsplit(":", 1)[-1],
        "status": "FAILED",
        "startDate": int(begun * 1000),
        "stopDate": int((begun + 600) * 1000),
        "input": json.dumps(request()),  # as StartExecution was given it
        "inputDetails": {"included": True},
        "output": None,
        "outputDetails": None,
        "error": "Boom",
        "cause": "the wait ended badly",
    }
    assert json.loads(event["detail"]["input"]) == request()
    assert result["lambdaInvocations"] == 0  # the delivery is not the execution's


def test_a_succeeded_execution_has_its_output_and_no_error(recorder: Recorder) -> None:
    everything = {"source": ["aws.states"], "detail-type": [STATUS_CHANGE]}
    template = world(sagemaker_end={"Type": "Succeed"}, rules={"All": to_function(EventPattern=everything)})

    _, begun, [result] = run_world(template, recorder, [request()], until=700)

    assert result["status"] == "SUCCEEDED"
    statuses = [(at - begun, event["detail"]["status"]) for at, event in recorder.of(STATUS_CHANGE)]
    assert statuses == [(0, "RUNNING"), (600, "SUCCEEDED")]  # one per status the execution took
    started, ended = (event["detail"] for _, event in recorder.of(STATUS_CHANGE))
    assert (started["stopDate"], started["output"], started["outputDetails"]) == (None, None, None)
    assert json.loads(ended["output"]) == {"endpointType": "sagemaker"}
    assert ended["outputDetails"] == {"included": True}
    assert "error" not in ended and "cause" not in ended


def test_a_pattern_that_does_not_match_is_not_delivered(recorder: Recorder) -> None:
    template = world(
        rules={
            "OtherMachine": to_function(EventPattern=failures_of(MACHINES["aml"])),
            "OtherStatus": to_function(
                EventPattern={"source": ["aws.states"], "detail": {"status": ["SUCCEEDED"]}}
            ),
            "OtherSource": to_function(EventPattern={"source": ["aws.sagemaker"]}),
        }
    )

    _, _, [result] = run_world(template, recorder, [request()], until=3600)

    assert result["status"] == "FAILED"
    assert recorder.seen == []


def test_a_stop_by_abort_at_seconds_is_announced_aborted_at_its_moment(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    _, begun, [result] = run_world(template, recorder, [request()], {"abortAtSeconds": 100}, until=3600)

    assert (result["status"], result["virtualSeconds"]) == ("ABORTED", 100)
    [(at, event)] = recorder.of(STATUS_CHANGE)
    assert at == begun + 100
    detail = event["detail"]
    assert detail["status"] == "ABORTED"
    assert detail["stopDate"] - detail["startDate"] == 100_000


def test_the_state_machine_timeout_is_announced_timed_out(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        runner.timeouts = dict.fromkeys(runner.timeouts, 250)
        begun = runner.clock.now()
        [result] = runner.run([request()], until=3600)

    assert (result["status"], result["virtualSeconds"]) == ("TIMED_OUT", 250)
    [(at, event)] = recorder.of(STATUS_CHANGE)
    assert (at - begun, event["detail"]["status"]) == (250, "TIMED_OUT")


def test_a_limit_failure_is_announced_with_its_error(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})
    big = request()
    big["params"]["padding"] = '"' * 64_000  # 128 KB of input, 256 KB once escaped for the event
    machine = template["Resources"][MACHINES["sagemaker"]]["Properties"]
    definition = json.loads(machine["DefinitionString"])
    definition["States"]["Type"]["Parameters"]["input.$"] = "$"
    definition["States"]["End"] = {
        "Type": "Pass",
        "Parameters": {"big.$": "States.Array($, $, $)"},
        "End": True,
    }
    machine["DefinitionString"] = json.dumps(definition, separators=(",", ":"))

    _, _, [result] = run_world(template, recorder, [big], until=3600)

    assert (result["status"], result["error"]) == ("FAILED", "States.DataLimitExceeded")
    [(_, event)] = recorder.of(STATUS_CHANGE)
    assert (event["detail"]["error"], event["detail"]["cause"]) == (result["error"], result["cause"])
    # More than 248 KiB of escaped input: left out of the event, as Step Functions does.
    assert (event["detail"]["input"], event["detail"]["inputDetails"]) == (None, {"included": False})


def test_parallel_executions_each_announce_their_end_once(recorder: Recorder) -> None:
    everything = {"source": ["aws.states"], "detail-type": [STATUS_CHANGE]}
    template = world(rules={"All": to_function(EventPattern=everything)})
    requests = [request("sagemaker", "a"), request("aml", "b"), request("sagemaker", "c")]

    runner, _, results = run_world(template, recorder, requests, parallel=True, until=3600)

    assert [r["status"] for r in results] == ["FAILED", "SUCCEEDED", "FAILED"]
    ends = [
        event["detail"] for _, event in recorder.of(STATUS_CHANGE) if event["detail"]["status"] != "RUNNING"
    ]
    assert sorted(d["executionArn"] for d in ends) == sorted(run.execution_arn for run in runner.runs())
    assert {(d["stopDate"] - d["startDate"]) for d in ends} == {600_000}
    assert len(recorder.of(STATUS_CHANGE)) == 6  # and each its RUNNING


def test_sequential_executions_are_each_announced_at_their_own_end(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    _, begun, results = run_world(template, recorder, [request("sagemaker", "a"), request("sagemaker", "b")])

    assert [r["status"] for r in results] == ["FAILED", "FAILED"]
    # The first is delivered while the second runs; the second's end is the world's end (no --until).
    assert [at - begun for at, _ in recorder.of(STATUS_CHANGE)] == [600]


def test_a_local_runner_timeout_is_announced_aborted(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        run = runner.start(request())
        runner._stop_too_slow([run])  # what wait() does when the wall-time limit passes
        runner.keep_running(runner.clock.now() + 10)

    [(_, event)] = recorder.of(STATUS_CHANGE)
    assert event["detail"]["status"] == "ABORTED"
    assert event["detail"]["error"] == "LocalRunnerTimeout"


def test_a_pattern_naming_the_machine_by_ref_resolves_to_its_arn(recorder: Recorder) -> None:
    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    with quiet_stdout(), LocalRunner(template) as runner:
        assert runner.bus is not None
        [(_, pattern)] = runner.bus._patterns
        assert runner.arns["sagemaker"] in json.dumps(pattern._pattern)


# -- deliveries and the runs they belong to ---------------------------------------------------------
def test_a_clean_up_is_attributed_to_the_execution_it_names(recorder: Recorder) -> None:
    import boto3

    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})
    template["Resources"]["FunctionRole"]["Properties"]["Policies"] = [
        {
            "PolicyName": "look",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sagemaker:ListEndpoints", "Resource": "*"}],
            },
        }
    ]

    def clean(event: dict[str, Any]) -> Any:
        boto3.client("sagemaker", region_name=REGION).list_endpoints()
        return {"cleaned": event["detail"]["executionArn"], "deleted": []}

    recorder.answer = clean

    _, _, [result] = run_world(template, recorder, [request()], until=3600)

    assert result["calls"] == ["sagemaker:ListEndpoints"]
    assert result["lambdaInvocations"] == 0


def test_calls_of_a_delivery_that_names_no_run_belong_to_none(recorder: Recorder) -> None:
    import boto3

    template = world(rules={"CleanUp": to_function(EventPattern=failures_of(MACHINES["sagemaker"]))})

    def look(event: dict[str, Any]) -> Any:
        with contextlib.suppress(Exception):  # denied: the role may not
            boto3.client("sagemaker", region_name=REGION).list_endpoints()
        return {"ignored": "nothing to clean"}

    recorder.answer = look

    _, _, [result] = run_world(template, recorder, [request()], until=3600)

    assert len(recorder.of(STATUS_CHANGE)) == 1
    assert (result["calls"], result["lambdaInvocations"]) == ([], 0)


# -- schedules ----------------------------------------------------------------------------------------
def test_a_rate_schedule_fires_every_period_from_one_period_after_the_start(recorder: Recorder) -> None:
    template = world(rules={"Sweep": to_function(ScheduleExpression="rate(5 minutes)")})

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        begun = runner.clock.now()
        runner.keep_running(begun + 299)
        assert recorder.seen == []  # not before one period
        runner.keep_running(begun + 3600)
        rule_arn = runner.staged.rule_arns[id(template["Resources"]["Sweep"]["Properties"])]

    fired = recorder.of(SCHEDULED_EVENT)
    assert [at - begun for at, _ in fired] == [300 * k for k in range(1, 13)]
    event = fired[0][1]
    assert rule_arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/Sweep"
    assert {k: v for k, v in event.items() if k not in ("id", "time")} == {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }
    assert event["time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(begun + 300))


def test_an_idle_world_does_not_move_on_for_a_schedule(recorder: Recorder) -> None:
    template = world(rules={"Sweep": to_function(ScheduleExpression="rate(1 minute)")})

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        begun = runner.clock.now()
        time.sleep(0.2)  # no execution, nobody asleep: time stands still
        assert (runner.clock.now(), recorder.seen) == (begun, [])


def test_a_schedule_interleaves_with_a_running_execution(recorder: Recorder) -> None:
    template = world(
        wait_seconds=1000,
        rules={
            "Sweep": to_function(ScheduleExpression="rate(1 hour)"),
            "Often": to_function(ScheduleExpression="rate(1 minute)"),
        },
    )

    _, begun, [result] = run_world(template, recorder, [request()])

    assert result["virtualSeconds"] == 1000
    fired = [at - begun for at, _ in recorder.of(SCHEDULED_EVENT)]
    assert fired == [60 * k for k in range(1, 17)]  # 16 minutes pass during it; no hour does
    assert result["lambdaInvocations"] == 0  # the sweeps are not the execution's


def test_a_schedule_fires_through_until_with_executions_before(recorder: Recorder) -> None:
    template = world(wait_seconds=100, rules={"Sweep": to_function(ScheduleExpression="rate(5 minutes)")})

    _, _, [result] = run_world(template, recorder, [request()], until=3600)

    assert result["virtualSeconds"] == 100
    assert len(recorder.of(SCHEDULED_EVENT)) == 12


def test_a_cron_schedule_fires_at_its_minutes(recorder: Recorder) -> None:
    template = world(rules={"Quarterly": to_function(ScheduleExpression="cron(0/15 * * * ? *)")})

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        begun = runner.clock.now()
        runner.keep_running(begun + 3600)

    fired = [at for at, _ in recorder.of(SCHEDULED_EVENT)]
    assert len(fired) == 4 and all(at % 900 == 0 for at in fired)


def test_a_schedule_without_permission_is_refused_by_iam(recorder: Recorder) -> None:
    template = world(rules={"Sweep": to_function(ScheduleExpression="rate(5 minutes)")}, permitted=False)

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        runner.keep_running(runner.clock.now() + 900)
        assert runner.bus is not None
        failures = len(runner.bus.failures)

    assert recorder.seen == []
    assert failures >= 1  # given up after Lambda's two retries


def test_a_schedule_the_runner_cannot_read_is_refused() -> None:
    from endpointctl.errors import UsageError

    for expression in ("rate(5 minute)", "rate(0 minutes)", "cron(0 10 * * * *)", "cron(0 10 L * ? *)"):
        template = world(rules={"Sweep": to_function(ScheduleExpression=expression)})
        with pytest.raises(UsageError, match="schedule"), quiet_stdout(), LocalRunner(template):
            pass


def test_a_schedule_on_a_custom_bus_is_refused() -> None:
    from endpointctl.errors import UsageError

    template = world(rules={"Sweep": to_function(ScheduleExpression="rate(5 minutes)", EventBusName="mine")})
    with pytest.raises(UsageError, match="default event bus"), quiet_stdout(), LocalRunner(template):
        pass


def test_a_day_of_five_minute_sweeps_costs_little_wall_time(recorder: Recorder) -> None:
    template = world(rules={"Sweep": to_function(ScheduleExpression="rate(5 minutes)")})

    with quiet_stdout(), LocalRunner(template) as runner:
        recorder.runner = runner
        began = time.monotonic()
        runner.keep_running(runner.clock.now() + 86400)
        took = time.monotonic() - began

    assert len(recorder.of(SCHEDULED_EVENT)) == 288
    print(f"288 sweeps over a virtual day: {took:.2f} s of wall time ({took / 288 * 1000:.1f} ms each)")
    assert took < 30


# -- the real template --------------------------------------------------------------------------------
def real_with_cleanup(template: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The synthesized template, with a clean-up rule of every status change of its sagemaker
    lifecycle sent to the sagemaker function (as the stack's next rules will be)."""
    from endpointctl.template import resources, state_machines

    found = copy.deepcopy(template)
    machine = state_machines(found)["sagemaker"].logical_id
    function = next(
        lid for lid in resources(found, "AWS::Lambda::Function") if lid.startswith("SageMakerFunction")
    )
    pattern = {
        "source": ["aws.states"],
        "detail-type": [STATUS_CHANGE],
        "detail": {"stateMachineArn": [{"Ref": machine}]},
    }
    found["Resources"]["TestCleanUp"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": pattern,
            "State": "ENABLED",
            "Targets": [{"Arn": {"Fn::GetAtt": [function, "Arn"]}, "Id": "T"}],
        },
    }
    found["Resources"]["TestCleanUpPermission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": ["TestCleanUp", "Arn"]},
        },
    }
    return found, function


def test_the_synthesized_lifecycle_announces_its_end(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    found, _ = real_with_cleanup(template)
    real = invoke.call_handler
    seen: list[dict[str, Any]] = []

    def spy(function_name: str, event: dict[str, Any], headers: dict[str, str]) -> Any:
        if event.get("detail-type") == STATUS_CHANGE:
            seen.append(event)
            return {"ignored": "recorded by the test"}
        return real(function_name, event, headers)

    monkeypatch.setattr(lambdas, "call_handler", spy)
    document = {"endpointType": "sagemaker", "params": {"EndpointName": "e", "EndpointConfigName": "e-cfg"}}

    with (
        quiet_stdout(),
        LocalRunner(found, {"sagemaker": {"createSeconds": 600}, "abortAtSeconds": 120}) as runner,
    ):
        [result] = runner.run([document], until=1800)

    # ABORTED at 120 s, unless the lifecycle ended first: either way, announced once as it ended
    # (the stack's own clean-up rule may get the same event too: count each event once).
    events = list({e["id"]: e for e in seen}.values())
    assert [e["detail"]["status"] for e in events] == ["RUNNING", result["status"]]
    assert {e["detail"]["stateMachineArn"] for e in seen} == {runner.arns["sagemaker"]}


@pytest.mark.parametrize("endpoint_type", [["sagemaker", "aml"], {"type": "sagemaker"}, [], 7, None])
def test_a_request_of_no_string_type_goes_to_the_refusals(
    template: dict[str, Any], endpoint_type: Any
) -> None:
    with quiet_stdout(), LocalRunner(template) as runner:
        document = {"endpointType": endpoint_type, "params": {}}
        refusals = runner.staged.refusals
        assert refusals is not None and refusals not in runner.arns.values()
        assert runner.machine_for(document) == refusals
        assert runner.machine_for({"detail": document}) == refusals


def test_a_request_of_an_array_type_runs_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from endpointctl.cli import main

    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"endpointType": ["sagemaker", "aml"], "params": {}}))

    code = main(["local", "run", str(path), "--json"])

    result = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and result["status"] in ("SUCCEEDED", "FAILED")  # ran, and did not crash
    assert result["calls"] == []  # nothing was created for it
