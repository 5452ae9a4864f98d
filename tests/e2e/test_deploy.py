"""`cdk deploy` proven without an AWS account: the pinned CDK CLI bootstraps, deploys, updates and
destroys the stack in the served world (``endpointctl.served``: moto's API on loopback) and the
account then holds what the stack says.

(This proves the template deploys, updates and goes away cleanly; that the deployed stack runs is
``test_local_deploy_runs.py``'s, and the behaviour in detail is the local runner's.)

cdk.json deploys only the types its ``endpointTypes`` lists; this deploy passes the local synth's
context (``endpointctl.synth.local_context``: every catalog type, Neptune's placeholders), so every
type's resources deploy, as ``TEMPLATE()`` synthesizes them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from endpointctl import deploy, project_root
from endpointctl.synth import local_context
from infra import catalog

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the CDK CLI needs it"),
    pytest.mark.skipif(
        not (project_root() / "node_modules" / ".bin" / "cdk").exists(),
        reason="the pinned CDK CLI is not installed (npm ci)",
    ),
]

#: Every endpoint type, in catalog order, and its title (the prefix of its constructs and outputs).
TYPES = {name: row["title"] for name, row in catalog.rows().items()}
#: What the deploys add to cdk.json's context (the local synth's: every type is built).
LOCAL = local_context(project_root())


def TEMPLATE() -> dict[str, Any]:
    from endpointctl.synth import synthesize

    return synthesize(project_root())


@pytest.fixture(scope="module")
def server() -> Iterator[deploy.MotoServer]:
    with deploy.running_server() as running:
        yield running


def clients(server: deploy.MotoServer) -> Any:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=deploy.REGION
    )

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=server.url)

    return client


def test_bootstrap_deploy_update_destroy(
    server: deploy.MotoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project_root()
    env = deploy.environment(server)
    client = clients(server)
    started = time.monotonic()
    deploy.bootstrap(root, env)
    outputs = deploy.deploy(root, env, LOCAL)
    deployed_in = time.monotonic() - started

    # -- the outputs ---------------------------------------------------------------------------
    assert {
        "EventBusName",
        "NotificationTopicArn",
        "AlarmTopicArn",
        "DeadLetterQueueUrl",
        "FailedInvocationsQueueUrl",
        "DashboardName",
        *(f"{title}StateMachineArn" for title in TYPES.values()),
    } <= set(outputs)
    assert outputs["EventBusName"] == "ml-endpoint-controller"

    # -- functions, with the real asset ----------------------------------------------------------
    lam = client("lambda")
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    by_type = {}
    for endpoint_type, title in TYPES.items():
        [name] = [n for n in functions if f"{title}Function" in n]
        by_type[endpoint_type] = functions[name]
        config = functions[name]
        assert config["Handler"] == "controller.handlers.handler" and config["Runtime"] == "python3.12"
        assert config["Description"] == f"ml-endpoint-controller: {endpoint_type} endpoint lifecycle steps"
    s3 = client("s3")
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("cdk-")]
    archives = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if o["Key"].endswith(".zip")]
    [archive] = archives  # one asset: functions/
    body = s3.get_object(Bucket=bucket, Key=archive)["Body"].read()
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "controller/handlers.py" in names and "controller/providers/sagemaker/__init__.py" in names
    assert not any("__pycache__" in n or n.startswith(("tests/", "infra/")) for n in names)
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert all(f["CodeSha256"] == digest for f in by_type.values())

    # -- state machines reference the deployed functions ------------------------------------------
    sfn = client("stepfunctions")
    for endpoint_type, title in TYPES.items():
        machine = sfn.describe_state_machine(stateMachineArn=outputs[f"{title}StateMachineArn"])
        definition = json.loads(machine["definition"])
        text = json.dumps(definition)
        assert by_type[endpoint_type]["FunctionArn"] in text
        assert all(by_type[other]["FunctionArn"] not in text for other in TYPES if other != endpoint_type)
        assert {"Validate", "Create", "Check", "Teardown", "Outcome", "PublishReady"} <= set(
            definition["States"]
        )
        assert ("AwaitEndpoint" in definition["States"]) == (endpoint_type == "sagemaker")
        assert outputs["NotificationTopicArn"] in text and "ml-endpoint-controller" in text

    # -- the bus, the rules (patterns and targets) -------------------------------------------------
    events = client("events")
    assert events.describe_event_bus(Name="ml-endpoint-controller")["Name"] == "ml-endpoint-controller"
    rules = events.list_rules(EventBusName="ml-endpoint-controller")["Rules"]
    assert len(rules) == len(TYPES) + 1  # one per type, one for unroutable requests
    machines = {outputs[f"{title}StateMachineArn"]: t for t, title in TYPES.items()}
    machines[outputs["RefusalsStateMachineArn"]] = "refusals"  # infra/refusals.py
    routed = {}
    for rule in rules:
        pattern = json.loads(rule["EventPattern"])
        assert pattern["detail-type"] == ["Endpoint Request"]
        [target] = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="ml-endpoint-controller")[
            "Targets"
        ]
        assert target["Arn"] in machines and target["DeadLetterConfig"]["Arn"].endswith(
            outputs["DeadLetterQueueUrl"].rsplit("/", 1)[-1]
        )
        routed[json.dumps(pattern["detail"], sort_keys=True)] = machines[target["Arn"]]
    for endpoint_type in TYPES:
        assert routed[json.dumps({"endpointType": [endpoint_type]})] == endpoint_type
    [unroutable] = [kind for pattern, kind in routed.items() if "$or" in pattern]
    assert unroutable == "refusals"
    [state_changes] = [
        r for r in events.list_rules()["Rules"] if "aws.sagemaker" in r.get("EventPattern", "")
    ]
    [target] = events.list_targets_by_rule(Rule=state_changes["Name"])["Targets"]
    assert target["Arn"] == by_type["sagemaker"]["FunctionArn"]

    # -- topics and alarms ----------------------------------------------------------------------
    sns = client("sns")
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert {outputs["NotificationTopicArn"], outputs["AlarmTopicArn"]} <= topics
    attributes = sns.get_topic_attributes(TopicArn=outputs["NotificationTopicArn"])["Attributes"]
    assert attributes.get("KmsMasterKeyId")
    # moto's CloudFormation accepts alarms (and topic/queue policies) without modelling them: they
    # are held as untyped, complete placeholders. Their properties are pinned by the infra tests.
    summaries = client("cloudformation").list_stack_resources(StackName="MlEndpointController")[
        "StackResourceSummaries"
    ]
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in summaries)
    held = Counter(r["ResourceType"] for r in summaries)
    expected = Counter(r["Type"] for r in TEMPLATE()["Resources"].values())
    for kind in (
        "AWS::Lambda::Function",
        "AWS::StepFunctions::StateMachine",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
        "AWS::SNS::Topic",
        "AWS::KMS::Key",
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
        "AWS::CloudWatch::Dashboard",
        "AWS::IAM::Role",
    ):
        assert held[kind] == expected[kind], kind
    # per type: rollback, leftovers over a day, executions failed / timed out / aborted, function
    # errors; the DLQ, the failed invocations
    alarms = 6 * len(TYPES) + 2
    assert expected["AWS::CloudWatch::Alarm"] == alarms and held[""] >= alarms

    # -- what moto's CloudFormation has no model for, the served world creates as CloudFormation would:
    # the stack's own schedule group, each function's on-failure destination
    scheduler = client("scheduler")
    assert scheduler.get_schedule_group(Name="MlEndpointController")["Name"] == "MlEndpointController"
    failed = outputs["FailedInvocationsQueueUrl"].rsplit("/", 1)[-1]
    for endpoint_type, config in by_type.items():
        invoke = lam.get_function_event_invoke_config(FunctionName=config["FunctionName"])
        assert invoke["MaximumRetryAttempts"] == 2, endpoint_type
        assert invoke["DestinationConfig"]["OnFailure"]["Destination"].endswith(f":{failed}")

    # -- the operator commands find the deployed stack by its outputs --------------------------------
    from endpointctl.cli import main

    for key, value in {**deploy.CREDENTIALS, "AWS_ENDPOINT_URL": server.url}.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["submit", "--direct", "--json", str(root / "events" / "aml-create.json")]) == 0
    started = json.loads(capsys.readouterr().out)
    assert started["executionArn"].startswith(
        outputs["AmlStateMachineArn"].replace(":stateMachine:", ":execution:")
    )
    assert main(["list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    # it runs (the served world executes it), and its first look is 120 s away with this context
    assert listed["type"] == "aml" and listed["status"] == "RUNNING"

    # -- a changed deploy (update) ------------------------------------------------------------------
    mark = time.monotonic()
    changed = {**LOCAL, "eventFallbackSeconds": 600, "alarmEmail": "oncall@example.com"}
    outputs_after = deploy.deploy(root, env, changed)
    updated_in = time.monotonic() - mark
    assert outputs_after["SageMakerStateMachineArn"] == outputs["SageMakerStateMachineArn"]
    definition = sfn.describe_state_machine(stateMachineArn=outputs["SageMakerStateMachineArn"])["definition"]
    assert '"eventFallbackSeconds":600' in definition.replace(" ", "")
    # the e-mail subscription is one more resource in the stack (moto holds it as a placeholder)
    after = client("cloudformation").list_stack_resources(StackName="MlEndpointController")
    assert len(after["StackResourceSummaries"]) == len(summaries) + 1
    stack = client("cloudformation").describe_stacks(StackName="MlEndpointController")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"

    # -- destroy: nothing of the stack is left ----------------------------------------------------------
    mark = time.monotonic()
    deploy.destroy(root, env, changed)
    destroyed_in = time.monotonic() - mark
    cloudformation = client("cloudformation")
    live = [
        s["StackName"]
        for s in cloudformation.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    ]
    assert "MlEndpointController" not in live
    assert sfn.list_state_machines()["stateMachines"] == []
    assert [f for f in lam.list_functions()["Functions"] if "Function" in f["FunctionName"]] == []
    assert "ml-endpoint-controller" not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert [r for r in events.list_rules()["Rules"] if "aws.sagemaker" in r.get("EventPattern", "")] == []
    left = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert not {outputs["NotificationTopicArn"], outputs["AlarmTopicArn"]} & left
    assert [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]] == ["default"]
    print(
        f"deploy cycle: bootstrap + deploy {deployed_in:.0f} s, update {updated_in:.0f} s, "
        f"destroy {destroyed_in:.0f} s"
    )


def test_local_deploy_command_prints_outputs_and_stops_its_server(capsys: pytest.CaptureFixture[str]) -> None:
    import tempfile

    from endpointctl.cli import main

    before = set(Path(tempfile.gettempdir()).glob("endpointctl-moto-*"))
    assert main(["local", "deploy"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "SageMakerStateMachineArn = arn:aws:states:us-east-1:123456789012:stateMachine:" in out
    assert "!!" not in out + captured.err and "program.js" not in out + captured.err  # Node's noise
    url = out.split("simulated account: ", 1)[1].split()[0]
    with pytest.raises(OSError):
        import urllib.request

        urllib.request.urlopen(url.replace("localhost", "127.0.0.1") + "/moto-api/", timeout=2)
    # its temporary folder (the server's log, the CLI's cache) went with it
    port = url.rsplit(":", 1)[1]
    left = set(Path(tempfile.gettempdir()).glob("endpointctl-moto-*")) - before
    assert not [p for p in left if (p / f"server-{port}.log").exists()]
