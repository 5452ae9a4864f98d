"""The operator commands (`submit`, `watch`, `list`) against a mocked AWS: real executions of the
synthesized state machines in moto (the local runner's world), a mocked CloudFormation stack."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from controller import catalog
from endpointctl import project_root
from endpointctl.cli import main
from endpointctl.ops import follow, listing, session, submit
from endpointctl.runner import LocalRunner, quiet_stdout

pytestmark = pytest.mark.slow
EVENTS = project_root() / "events"
BUS = "ml-endpoint-controller"  # the template's bus, created in moto by the world
FAILING = {"sagemaker": {"outcome": "Failed", "createSeconds": 60}}


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def cli(*args: str) -> tuple[int, str, str]:
    """``endpointctl ARGS`` → exit code, stdout, stderr. Inside a world stdout is redirected (the
    handlers log and emit metrics there), so the command's output is caught here, not by capsys;
    handler lines (JSON) that land in it while an execution runs are dropped."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    text = "".join(line for line in out.getvalue().splitlines(keepends=True) if not line.startswith('{"'))
    return code, text, err.getvalue()


@contextlib.contextmanager
def world_of(template: dict[str, Any], scenario: dict[str, Any] | None = None) -> Iterator[LocalRunner]:
    with quiet_stdout(), LocalRunner(template, scenario) as world:
        yield world


@pytest.fixture
def world(template: dict[str, Any]) -> Iterator[LocalRunner]:
    with world_of(template) as made:
        yield made


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


# -- watch ---------------------------------------------------------------------------------------
def test_watch_follows_a_running_execution_to_succeeded(world: LocalRunner) -> None:
    run = world.start(sample("sagemaker-create.json"))
    code, out, _ = cli("watch", run.execution_arn, "--interval", "0.05")
    world.wait([run])
    assert code == 0
    lines = out.splitlines()
    states = [line.split()[1] for line in lines if line.startswith("+")]
    # The sample relies on the defaults: SageMaker's state-change event ends the wait.
    for state in ("Validate", "Create", "AwaitEndpoint", "PublishReady", "NotifyReady"):
        assert state in states, out
    assert states.index("Validate") < states.index("Create") < states.index("PublishReady")
    assert any(line.startswith("+") and line.endswith("AwaitEndpoint  (InService)") for line in lines), out
    assert "SUCCEEDED after" in out
    assert "status READY, endpointId churn-prod, endpointUrl https://" in out
    assert "Action?" not in states  # choices only with --all-states


def test_watch_a_failed_execution_exits_1_with_error_and_rollback(template: dict[str, Any]) -> None:
    with world_of(template, FAILING) as world:
        run = world.start(sample("sagemaker-create-fixed-cadence.json"))  # polled: Check sees it fail
        code, out, _ = cli("watch", run.execution_arn, "--interval", "0.05")
        world.wait([run])
    assert code == 1
    assert "Check  (Failed)" in out and "Teardown" in out
    assert "FAILED after" in out
    assert "error EndpointCreationFailed: churn-prod: simulated: the endpoint failed to start" in out
    assert "rollback succeeded: deleted endpoint churn-prod" in out


def test_watch_json_and_all_states(world: LocalRunner) -> None:
    run = world.start(sample("aml-create.json"))
    world.wait([run])
    code, out, _ = cli("watch", run.execution_arn, "--interval", "0", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["status"] == "SUCCEEDED" and result["executionArn"] == run.execution_arn
    assert result["output"]["endpointId"] == "ml-churn-2026" and result["error"] is None
    assert result["startDate"].endswith("Z") and result["durationSeconds"] >= 0

    _, every, _ = cli("watch", run.execution_arn, "--interval", "0", "--all-states")
    _, collapsed, _ = cli("watch", run.execution_arn, "--interval", "0")
    assert len(every.splitlines()) > len(collapsed.splitlines())
    assert "choices and repeats not shown" in collapsed


def test_watch_unknown_execution_exits_2(world: LocalRunner) -> None:
    machine = world.arns["sagemaker"]
    missing = machine.replace(":stateMachine:", ":execution:") + ":no-such-run"
    code, _, err = cli("watch", missing, "--interval", "0")
    assert code == 2
    assert "ExecutionDoesNotExist" in err and err.count("\n") == 1
    code, _, err = cli("watch", "not-a-run", "--state-machine", machine)
    assert code == 2 and err.startswith("endpointctl: not-a-run: no execution has this name or requestId")
    assert err.count("\n") == 1


# -- finding one request: watch, stop and describe by name or requestId ---------------------------
def test_watch_and_describe_find_executions_by_name_request_id_or_endpoint(template: dict[str, Any]) -> None:
    refused = sample("sagemaker-create.json")
    refused = {
        **refused,
        "requestId": "fraud-1",
        "params": {**refused["params"], "EndpointConfigName": "bad!"},
    }
    with world_of(template) as world:
        [first] = world.run([sample("sagemaker-create.json")])
        world.run([sample("sagemaker-create.json")])  # sent again: a second execution, replayed
        world.run([refused])  # InvalidRequest: refused, about the same endpoint
        machines = ["--state-machine", world.arns["sagemaker"], "--state-machine", world.arns["aml"]]
        name = first["output"]["executionArn"].rsplit(":", 1)[-1]
        by_name = cli("watch", name, *machines, "--interval", "0", "--json")
        ambiguous = cli("watch", "churn-prod-2026-11-22", *machines, "--interval", "0")
        by_request = cli("watch", "fraud-1", *machines, "--interval", "0")
        described = cli("describe", "churn-prod", *machines)
        as_json = cli("describe", "fraud-1", *machines, "--json")
    code, out, err = by_name
    assert code == 0 and json.loads(out)["name"] == name and err.startswith("execution arn:aws:states:")
    code, _, err = ambiguous
    assert code == 2 and err.count("\n") == 1
    assert (
        "churn-prod-2026-11-22 (requestId) names 2 executions: " in err
        and f"{name} (sagemaker, SUCCEEDED" in err
    )
    code, out, _ = by_request
    assert code == 1 and out.startswith("execution arn:aws:states:") and "error InvalidRequest: " in out

    code, out, _ = described
    lines = out.splitlines()
    assert code == 0 and lines[0] == "churn-prod (endpoint): 2 requests, 3 executions"
    assert "request churn-prod-2026-11-22: create sagemaker churn-prod" in lines
    assert "request fraud-1: create sagemaker churn-prod" in lines
    assert sum("published Endpoint Ready: status READY" in line for line in lines) == 2
    assert any(
        "published Endpoint Failed: status FAILED, error InvalidRequest: params.EndpointConfigName: " in line
        and "(from the execution's error and cause)" in line
        for line in lines
    )
    assert (
        lines[-1]
        == "now: sagemaker endpoint churn-prod is InService (READY): sagemaker, as the controller's sagemaker provider reads it"
    )
    code, out, _ = as_json
    report = json.loads(out)
    assert code == 0 and report["matchedBy"] == "requestId"
    [request] = report["requests"]
    assert request["request"]["requestId"] == "fraud-1" and request["action"] == "create"
    [execution] = request["executions"]
    assert execution["status"] == "FAILED" and execution["notification"]["published"] == "Endpoint Failed"
    assert report["endpoints"] == [
        {
            "endpointType": "sagemaker",
            "endpointId": "churn-prod",
            "status": "READY",
            "from": "sagemaker, as the controller's sagemaker provider reads it",
            "providerStatus": "InService",
        }
    ]


def test_stop_by_request_id_stops_the_running_execution(world: LocalRunner) -> None:
    request = sample("aml-create.json")
    machines = ["--state-machine", world.arns["aml"]]
    world.clock.started()  # the clock holds (one more runs than sleeps) until the stop is in
    try:
        run = world.start(request)
        # ... and the stop comes once it waits (the command runs in this process: not while a step
        # of the execution is running in it)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            e["type"] == "WaitStateEntered"
            for e in world.sfn.get_execution_history(executionArn=run.execution_arn)["events"]
        ):
            time.sleep(0.05)
        code, out, err = cli("stop", request["requestId"], *machines, "--cause", "wrong model")
    finally:
        world.clock.finished()
    world.wait([run])
    again, _, refused = cli("stop", request["requestId"], *machines)
    assert code == 0, (err, world.result(run).get("error"), world.result(run).get("cause"))
    assert out.startswith(f"stopped {run.execution_arn.rsplit(':', 1)[-1]} (aml) at ")
    assert "publishes Endpoint Failed (ExecutionAborted)" in out
    assert f"see it: endpointctl describe {request['requestId']}" in out
    described = world.sfn.describe_execution(executionArn=run.execution_arn)
    assert described["status"] == "ABORTED"  # (moto keeps no cause; Step Functions keeps --cause)
    assert again == 1 and "has already ended (ABORTED at " in refused and refused.count("\n") == 1


# -- list ----------------------------------------------------------------------------------------
def test_list_shows_recent_executions_per_type(template: dict[str, Any]) -> None:
    refused_aml = {**sample("aml-create.json"), "requestId": "aml-2", "params": {"MLModelId": "bad id!"}}
    with world_of(template) as world:
        world.run(
            [sample("sagemaker-create.json"), sample("aml-create.json"), sample("sagemaker-delete.json")]
        )
        world.run([refused_aml])  # refused: InvalidRequest
        machines = ["--state-machine", world.arns["sagemaker"], "--state-machine", world.arns["aml"]]
        code, out, _ = cli("list", *machines)
        _, as_json, _ = cli("list", *machines, "--json")
        _, failed, _ = cli("list", *machines, "--status", "failed", "--json")
        _, one, _ = cli("list", *machines, "--max", "1", "--json")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["TYPE", "STATUS", "NAME", "ENDPOINT", "STARTED", "(UTC)", "DURATION"]
    assert [row.split()[0] for row in rows] == ["sagemaker", "sagemaker", "aml", "aml"]
    assert all(row.split()[1] in ("SUCCEEDED", "FAILED") for row in rows)
    assert sum("churn-prod" in row for row in rows) == 2 and any("ml-churn-2026" in row for row in rows)
    listed = json.loads(as_json)
    assert {(r["type"], r["endpointId"], r["status"]) for r in listed} == {
        ("sagemaker", "churn-prod", "SUCCEEDED"),
        ("aml", "ml-churn-2026", "SUCCEEDED"),
        ("aml", "bad id!", "FAILED"),
    }
    sagemaker = [r for r in listed if r["type"] == "sagemaker"]
    assert sagemaker[0]["startDate"] >= sagemaker[1]["startDate"]  # newest first
    assert all(r["durationSeconds"] is not None and r["startDate"].endswith("Z") for r in listed)
    assert [r["endpointId"] for r in json.loads(failed)] == ["bad id!"]
    assert len(json.loads(one)) == 2  # one per state machine


def test_list_of_a_state_machine_without_executions(world: LocalRunner) -> None:
    code, out, _ = cli("list", "--state-machine", world.arns["neptune"])
    assert code == 0 and out.startswith("no executions of neptune")


# -- submit --------------------------------------------------------------------------------------
def test_submit_direct_starts_an_execution_that_watch_follows(world: LocalRunner, tmp_path: Path) -> None:
    request = sample("sagemaker-create.json")
    world.prepare(request)  # its endpoint config exists
    path = write(tmp_path, "request.json", request)
    code, out, _ = cli("submit", "--direct", path, "--state-machine", world.arns["sagemaker"], "--json")
    assert code == 0
    started = json.loads(out)
    arn = started["executionArn"]
    assert arn.startswith(world.arns["sagemaker"].replace(":stateMachine:", ":execution:") + ":")
    assert started["name"].startswith("churn-prod-2026-11-22-") and len(started["name"]) <= 80
    assert started["requestId"] == "churn-prod-2026-11-22" and started["endpointId"] == "churn-prod"
    code, out, _ = cli("watch", arn, "--interval", "0.05")
    assert code == 0 and "SUCCEEDED" in out and "AwaitEndpoint  (InService)" in out


def test_submit_direct_watch_and_name(template: dict[str, Any], tmp_path: Path) -> None:
    request = sample("sagemaker-create.json")
    with world_of(template, FAILING) as world:
        world.prepare(request)
        path = write(tmp_path, "request.json", request)
        machine = ["--state-machine", world.arns["sagemaker"]]
        code, out, _ = cli(
            "submit", "--direct", path, *machine, "--name", "run-1", "--watch", "--interval", "0.05"
        )
        again, _, err = cli("submit", "--direct", path, *machine, "--name", "run-1")
    assert code == 1
    assert out.startswith("started arn:aws:states:us-east-1:123456789012:execution:")
    assert ":run-1\n" in out and "EndpointCreationFailed" in out and "FAILED after" in out
    assert again == 2 and "ExecutionAlreadyExists" in err


def test_submit_puts_the_request_on_the_bus(world: LocalRunner, tmp_path: Path) -> None:
    request = sample("aml-create.json")
    path = write(tmp_path, "request.json", request)
    code, out, _ = cli("submit", path, "--bus", BUS, "--state-machine", world.arns["aml"])
    assert code == 0
    [put] = [e for e in world.events if e["source"] == "endpointctl"]
    assert put == {"source": "endpointctl", "detail-type": "Endpoint Request", "detail": request, "bus": BUS}
    first = out.splitlines()[0]
    assert first.startswith("put event ") and first.endswith(f" on bus {BUS}")
    assert f"the aml rule starts {world.arns['aml']}" in out
    assert "requestId aml-churn-2026-11-22\n" in out


def test_submit_a_whole_event_sends_its_detail(world: LocalRunner) -> None:
    event = sample("sagemaker-eventbridge-event.json")
    code, out, _ = cli("submit", str(EVENTS / "sagemaker-eventbridge-event.json"), "--bus", BUS, "--json")
    assert code == 0
    sent = json.loads(out)
    assert sent["eventBusName"] == BUS and sent["endpointType"] == "sagemaker"
    assert sent["requestId"] == sent["eventId"]  # none given: the rule's execution uses the event id
    assert sent["stateMachineArn"] is None  # only --bus: no stack read
    [put] = [e for e in world.events if e["source"] == "endpointctl"]
    assert put["detail"] == event["detail"] and put["detail-type"] == "Endpoint Request"
    code, out, _ = cli("submit", str(EVENTS / "sagemaker-eventbridge-event.json"), "--bus", BUS)
    assert "(defaults to the event id)" in out


def test_submit_to_a_missing_bus_fails(world: LocalRunner) -> None:
    code, _, err = cli("submit", str(EVENTS / "aml-create.json"), "--bus", "no-such-bus")
    assert code in (1, 2) and "no-such-bus" in err and err.count("\n") == 1


def test_submit_watch_via_bus_looks_for_the_rules_execution(world: LocalRunner) -> None:
    # moto does not deliver custom-bus events to state machines: no execution turns up.
    args = ["--bus", BUS, "--state-machine", world.arns["aml"], "--start-timeout", "0", "--interval", "0"]
    code, out, err = cli("submit", str(EVENTS / "aml-create.json"), *args, "--watch")
    assert code == 1 and out.startswith("put event ")
    assert "no execution of" in err and "dead-letter queue" in err
    code, _, err = cli("submit", str(EVENTS / "aml-create.json"), "--bus", BUS, "--watch")
    assert code == 2 and "--watch needs the type's state machine" in err


def test_find_execution_matches_the_event_id(world: LocalRunner) -> None:
    event = {**sample("sagemaker-eventbridge-event.json"), "id": "evt-123"}
    world.prepare(event)
    arn = world.sfn.start_execution(
        stateMachineArn=world.arns["sagemaker"], name="from-rule", input=json.dumps(event)
    )["executionArn"]
    assert submit.find_execution(world.sfn, world.arns["sagemaker"], "evt-123", timeout=0, interval=0) == arn
    assert submit.find_execution(world.sfn, world.arns["sagemaker"], "other", timeout=0, interval=0) is None
    code, out, _ = cli("watch", arn, "--interval", "0.05")
    assert code == 0 and "SUCCEEDED" in out


# -- the stack's outputs -------------------------------------------------------------------------
def fake_stack(world: LocalRunner, name: str, kinds: tuple[str, ...] | None = None) -> None:
    """A stack named ``name`` whose outputs are the world's bus and state machines (of ``kinds``
    only, when given: a stack that deploys just those types)."""
    import boto3

    outputs = {
        f"{row.title}StateMachineArn": {"Value": world.arns[kind]}
        for kind, row in catalog.endpoint_types().items()
        if kinds is None or kind in kinds
    }
    outputs["EventBusName"] = {"Value": BUS}
    body = {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName=name, TemplateBody=json.dumps(body)
    )


def test_stack_outputs_resolve_bus_and_state_machines(world: LocalRunner, tmp_path: Path) -> None:
    fake_stack(world, "Ops")
    world.run([sample("aml-create.json")])
    code, out, _ = cli("list", "--stack", "Ops", "--json")
    assert code == 0
    assert [(r["type"], r["endpointId"]) for r in json.loads(out)] == [("aml", "ml-churn-2026")]
    code, out, _ = cli("submit", str(EVENTS / "neptune-create.json"), "--stack", "Ops")
    assert code == 0 and f"on bus {BUS}" in out and f"the neptune rule starts {world.arns['neptune']}" in out
    request = {"endpointType": "aml", "params": {"MLModelId": "ml-second"}}  # no requestId
    world.prepare(request)
    path = write(tmp_path, "aml.json", request)
    code, out, _ = cli("submit", "--direct", path, "--stack", "Ops", "--watch", "--interval", "0.05")
    assert code == 0 and out.startswith(
        f"started {world.arns['aml'].replace(':stateMachine:', ':execution:')}"
    )
    assert ":ml-second-2026" in out.splitlines()[0]  # named after the endpoint and the time
    assert "(defaults to the execution name)" in out and "SUCCEEDED" in out


def test_submit_of_a_type_the_stack_does_not_deploy_sends_nothing(world: LocalRunner, tmp_path: Path) -> None:
    """Through the bus, --direct or --watch: the stack's outputs say it deploys SageMaker only, so
    an aml request is not sent (the stack would refuse it), in one line, exit 2."""
    fake_stack(world, "SageMakerOnly", ("sagemaker",))
    aml = str(EVENTS / "aml-create.json")
    said = (
        f"endpointctl: request {aml} not sent: the aml type is not deployed in stack SageMakerOnly "
        "(it deploys: sagemaker; context endpointTypes)\n"
    )
    for mode in ([], ["--direct"], ["--watch"], ["--direct", "--watch"], ["--bus", BUS]):
        code, out, err = cli("submit", aml, "--stack", "SageMakerOnly", *mode)
        assert (code, out, err) == (2, "", said), mode
    sagemaker = world.arns["sagemaker"]
    code, out, err = cli("submit", aml, "--direct", "--state-machine", sagemaker)
    assert (code, out) == (2, "")
    assert (
        err
        == f"endpointctl: request {aml} not sent: --state-machine {sagemaker} is the sagemaker state machine\n"
    )
    assert not [e for e in world.events if e["source"] == "endpointctl"]
    assert world.sfn.list_executions(stateMachineArn=world.arns["sagemaker"])["executions"] == []
    # a type it deploys goes as before
    request = sample("sagemaker-create.json")
    world.prepare(request)
    code, out, _ = cli("submit", write(tmp_path, "sm.json", request), "--stack", "SageMakerOnly")
    assert code == 0 and f"the sagemaker rule starts {world.arns['sagemaker']}" in out


def test_submit_a_put_events_entry_sends_its_detail(world: LocalRunner, tmp_path: Path) -> None:
    """A file of one PutEvents entry (events/put-events/) is submitted as its Detail's request; a
    file of several says what it is."""
    path = EVENTS / "put-events" / "aml-create.json"
    [entry] = json.loads(path.read_text())
    code, out, _ = cli("submit", str(path), "--bus", BUS, "--json")
    assert code == 0, out
    assert json.loads(out)["endpointId"] == "ml-churn-2026"
    [put] = [e for e in world.events if e["source"] == "endpointctl"]
    assert put["detail"] == json.loads(entry["Detail"]) and put["detail-type"] == "Endpoint Request"
    two = write(tmp_path, "two.json", [entry, entry])
    code, _, err = cli("submit", two, "--bus", BUS)
    assert code == 2 and err == (
        f"endpointctl: request {two}: 2 PutEvents entries, and submit sends one request "
        "(aws events put-events --entries file://FILE puts them all)\n"
    )


def test_default_stack_is_cdk_json_stack_name(world: LocalRunner) -> None:
    assert session.default_stack_name() == "MlEndpointController"
    code, _, err = cli("list")
    assert code == 2
    assert err.startswith("endpointctl: stack MlEndpointController (us-east-1): ") and err.count("\n") == 1
    fake_stack(world, "MlEndpointController")
    code, out, _ = cli("list", "--json")
    assert code == 0 and json.loads(out) == []


def test_missing_stack_exits_2(world: LocalRunner) -> None:
    for args in (["list", "--stack", "Nope"], ["submit", str(EVENTS / "aml-create.json"), "--stack", "Nope"]):
        code, _, err = cli(*args)
        assert code == 2
        assert "stack Nope" in err and "does not exist" in err and err.count("\n") == 1


# -- unusable arguments (no AWS call is made) ----------------------------------------------------
@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "no such file"),
        (
            {"endpointType": "s3", "params": {}},
            'endpointType "s3"; it must be one of sagemaker, aml, neptune',
        ),
        ({"params": {"EndpointName": "x"}}, "no endpointType"),
        ([{"endpointType": "aml"}], "one request per submit"),
        ("text", "must be a JSON object"),
        ({"detail-type": "Endpoint Request", "detail": {"endpointType": "x"}}, 'endpointType "x"'),
    ],
    ids=["missing-file", "unknown-type", "no-type", "array", "not-an-object", "event-unknown-type"],
)
def test_unusable_requests_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, message: str
) -> None:
    path = str(tmp_path / "missing.json") if document is None else write(tmp_path, "r.json", document)
    for extra in ([], ["--direct"]):
        code = main(["submit", path, *extra])
        err = capsys.readouterr().err
        assert code == 2
        assert message in err and err.count("\n") == 1


def test_no_region_or_unknown_profile_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    assert main(["list", "--stack", "Ops"]) == 2
    assert "no AWS region" in capsys.readouterr().err
    assert main(["list", "--profile", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err


# -- the pure parts ------------------------------------------------------------------------------
def test_titles_match_the_stack(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    types = catalog.endpoint_types()
    assert types
    for row in types.values():
        assert f"{row.title}StateMachineArn" in outputs, sorted(outputs)
    values = {key: f"value-of-{key}" for key in outputs}  # as CloudFormation resolves them
    assert session.machines_from_outputs(values) == {
        kind: f"value-of-{row.title}StateMachineArn" for kind, row in types.items()
    }


def test_names_and_endpoint_ids() -> None:
    now = datetime(2026, 11, 22, 12, 0, 5, tzinfo=UTC)
    assert (
        submit.execution_name({"endpointType": "aml", "requestId": "a b/c"}, now) == "a-b-c-20261122T120005Z"
    )
    assert submit.execution_name({"endpointType": "neptune", "params": {}}, now) == "neptune-20261122T120005Z"
    long = submit.execution_name({"endpointType": "aml", "requestId": "x" * 200}, now)
    assert len(long) == 80 and long.endswith("-20261122T120005Z")
    assert submit.endpoint_id({"endpointType": "neptune", "params": {"id": "g"}}) == "g"
    assert submit.endpoint_id({"endpointType": "neptune", "params": {}}, {"endpointId": "svc-1"}) == "svc-1"
    event = {
        "detail-type": "Endpoint Request",
        "detail": {"endpointType": "aml", "params": {"MLModelId": "m"}},
    }
    assert submit.endpoint_id(event) == "m"
    assert session.machine_type("arn:aws:states:eu-west-1:1:stateMachine:NeptuneLifecycleSM-AbC") == "neptune"
    assert session.arn_region("arn:aws:states:eu-west-1:1:execution:M:n") == "eu-west-1"
    assert [follow.duration(s) for s in (0, 59, 61, 3725)] == ["0s", "59s", "1m01s", "1h02m05s"]


def test_history_is_read_newest_first_until_the_last_seen_event() -> None:
    start = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)

    def event(i: int, kind: str, name: str, output: Any = None) -> dict[str, Any]:
        key = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
        details: dict[str, Any] = {"name": name}
        if output is not None:
            details["output"] = json.dumps(output)
        return {"id": i, "type": kind, "timestamp": start + timedelta(seconds=i), key: details}

    history = [
        event(1, "TaskStateEntered", "Validate"),
        event(2, "TaskStateExited", "Validate", {}),
        event(3, "TaskStateEntered", "Check"),
        event(4, "TaskStateExited", "Check", {"providerStatus": "Creating"}),
        event(5, "ChoiceStateEntered", "Ready?"),
        event(6, "ChoiceStateExited", "Ready?", {"providerStatus": "Creating"}),
        event(7, "TaskStateEntered", "Check"),
        event(8, "TaskStateExited", "Check", {"providerStatus": "Creating"}),
        event(9, "TaskStateEntered", "Check"),
        event(75, "TaskStateExited", "Check", {"detail": {"providerStatus": "InService"}}),
    ]

    class Sfn:
        calls: list[dict[str, Any]] = []

        def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(kwargs)
            newest = sorted(history, key=lambda e: -int(e["id"]))
            page = int(kwargs.get("nextToken", 0))
            chunk = newest[page * 3 : page * 3 + 3]
            more = page * 3 + 3 < len(newest)
            return {"events": chunk, **({"nextToken": str(page + 1)} if more else {})}

    sfn = Sfn()
    assert [e["id"] for e in follow.new_history(sfn, "arn", 0)] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 75]
    assert len(sfn.calls) == 4 and all(c["reverseOrder"] for c in sfn.calls)
    sfn.calls.clear()
    assert [e["id"] for e in follow.new_history(sfn, "arn", 8)] == [9, 75]
    assert len(sfn.calls) == 1  # the first page reached event 8

    progress = follow.Progress(start)
    first = progress.feed(history[:9])
    assert first == ["+1s      Validate", "+3s      Check  (Creating)"]  # the choice and the repeat hidden
    assert progress.running() == []  # Check is open, but already shown with this status
    assert progress.feed(history[9:]) == ["+9s      Check  (InService)"]
    assert progress.close() == [] and progress.entered == 5 and progress.hidden == 2

    every = follow.Progress(start, every=True)
    assert len(every.feed(history[:8])) == 4
    assert every.running() == []
    every.feed([event(9, "TaskStateEntered", "Check")])
    assert every.running() == []  # a state shows as running once it is still open at a second poll
    assert every.running() == ["+9s      Check  …"]
    assert every.running() == []


def test_table_rows() -> None:
    rows = [
        {"type": "aml", "status": "RUNNING", "name": "n1", "endpointId": None, "startDate": "2026-11-22T12:00:00Z",
         "durationSeconds": None},
        {"type": "aml", "status": "SUCCEEDED", "name": "n2", "endpointId": "m", "startDate": "2026-11-22T11:00:00Z",
         "durationSeconds": 125.5},
    ]  # fmt: skip
    header, running, done = listing.table(rows)
    assert header.split()[:4] == ["TYPE", "STATUS", "NAME", "ENDPOINT"]
    assert running.split() == ["aml", "RUNNING", "n1", "-", "2026-11-22T12:00:00Z", "running"]
    assert done.split() == ["aml", "SUCCEEDED", "n2", "m", "2026-11-22T11:00:00Z", "2m05s"]
