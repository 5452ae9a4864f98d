"""`endpointctl local deploy --keep` serves a stack that really runs: the state machines the real CDK
CLI deployed execute, their functions run the controller's handlers, the bus's rules start them,
and the simulated SageMaker makes an endpoint ready in seconds (real time). The operator commands
and the AWS API (boto3, as the AWS CLI calls it) work against it: `describe` a request and its
endpoint, `stop` one (the controller's clean-up follows), its function's lines with `logs` (CloudWatch
Logs, as the served world writes them); `local destroy` ends it all, and a shell still pointed at it
hears so.

And a stock moto server, whose executions never run, makes `watch` say so and exit, not hang.

One test does the whole kept-deploy cycle (one deploy: with `-n 2`, tests of a module may land on
different workers, each of which would deploy again).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import boto3
import pytest

from endpointctl import deploy, project_root
from endpointctl.served import kept as kept_server

ROOT = project_root()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the CDK CLI needs it"),
]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(name, None)
    return {**env, **extra}


def endpointctl(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "endpointctl", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def exports(out: str) -> dict[str, str]:
    [line] = [line.strip() for line in out.splitlines() if line.strip().startswith("export AWS_")]
    return dict(pair.split("=", 1) for pair in shlex.split(line)[1:])


def request(name: str) -> dict[str, Any]:
    return {
        "action": "create",
        "endpointType": "sagemaker",
        "params": {"EndpointName": name, "EndpointConfigName": f"{name}-config"},
        "requestId": f"{name}-request",
    }


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.replace("localhost", "127.0.0.1") + "/moto-api/", timeout=2):
            return True
    except OSError:
        return False


def test_kept_local_deploy_runs_requests_end_to_end(tmp_path: Path) -> None:
    state = tmp_path / "local-deploy.json"
    base = environment(**{kept_server.STATE_VARIABLE: str(state)})
    mark = time.monotonic()
    # Endpoints ready in 8 s rather than the served world's 5, through `local deploy --scenario` as
    # a user would slow them down or speed them up: a stop (a fresh `endpointctl stop` process, slow
    # to start on a loaded machine) must reach an execution while it still waits.
    scenario = tmp_path / "slow.json"
    scenario.write_text(json.dumps({"sagemaker": {"createSeconds": 8}}))
    done = endpointctl("local", "deploy", "--keep", "--scenario", str(scenario), env=base, timeout=240)
    deployed_in = time.monotonic() - mark
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(state.read_text())
    folder = Path(record["folder"])
    try:
        # -- what the deploy says, and nothing of Node's noise ------------------------------------
        out = done.stdout
        assert "SageMakerStateMachineArn = arn:aws:states:us-east-1:123456789012:stateMachine:" in out
        assert "its state machines run" in out and "endpointctl local destroy" in out
        assert f"the simulated services behave as {scenario} says" in out
        assert "endpointctl submit --watch events/sagemaker-create.json" in out
        assert "!!" not in done.stdout + done.stderr and "program.js" not in done.stdout + done.stderr
        env = {**base, **exports(out)}
        again_exports = endpointctl("local", "env", env=base)
        assert again_exports.returncode == 0 and exports(again_exports.stdout) == exports(out)
        assert env["AWS_ENDPOINT_URL"] == f"http://localhost:{record['port']}" and answers(
            env["AWS_ENDPOINT_URL"]
        )
        assert folder.is_dir() and folder.name.startswith("endpointctl-moto-")

        # -- submit through the bus and watch it to READY, while the AWS API starts two more --------
        path = tmp_path / "request.json"
        path.write_text(json.dumps(request("served-bus")))
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=deploy.REGION
        )
        url = env["AWS_ENDPOINT_URL"]
        sfn = session.client("stepfunctions", endpoint_url=url)
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in session.client("cloudformation", endpoint_url=url).describe_stacks(
                StackName="MlEndpointController"
            )["Stacks"][0]["Outputs"]
        }
        machine = outputs["SageMakerStateMachineArn"]
        mark = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as pool:
            submitted = pool.submit(
                endpointctl,
                "submit",
                "--watch",
                "--json",
                "--interval",
                "0.5",
                str(path),
                env=env,
                timeout=90,
            )
            # what `aws stepfunctions start-execution` and `aws events put-events` call
            # ... one of them expiring: its schedule goes in the stack's own schedule group
            expiring = {**request("served-direct"), "options": {"expiresAfterSeconds": 3600}}
            direct = sfn.start_execution(
                stateMachineArn=machine, name="served-direct", input=json.dumps(expiring)
            )["executionArn"]
            put = session.client("events", endpoint_url=url).put_events(
                Entries=[
                    {
                        "EventBusName": outputs["EventBusName"],
                        "Source": "com.example.ml-platform",
                        "DetailType": "Endpoint Request",
                        "Detail": json.dumps(request("served-put")),
                    }
                ]
            )
            assert put["FailedEntryCount"] == 0
            watched = submitted.result()
        ready_in = time.monotonic() - mark
        assert watched.returncode == 0, watched.stdout + watched.stderr
        summary = json.loads(watched.stdout)
        assert summary["status"] == "SUCCEEDED"
        assert summary["output"]["status"] == "READY" and summary["output"]["endpointId"] == "served-bus"
        assert "AwaitEndpoint  (InService)" in watched.stderr  # the progress: the event resumed it
        arn = summary["executionArn"]

        deadline = time.monotonic() + 30
        while (
            sfn.describe_execution(executionArn=direct)["status"] == "RUNNING" and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        assert sfn.describe_execution(executionArn=direct)["status"] == "SUCCEEDED"
        again = endpointctl("watch", "served-direct", "--output", "json", env=env)  # by its name
        assert again.returncode == 0 and json.loads(again.stdout)["status"] == "SUCCEEDED"
        assert again.stderr.startswith(f"execution {direct}")
        scheduler = session.client("scheduler", endpoint_url=url)
        [expiry] = scheduler.list_schedules(GroupName="MlEndpointController")["Schedules"]
        assert expiry["Name"].startswith("expire-sagemaker-")
        assert scheduler.list_schedules(GroupName="default")["Schedules"] == []

        # -- list shows them; the simulated SageMaker holds the endpoints ---------------------------
        deadline = time.monotonic() + 30
        while True:
            listed = endpointctl("list", "--json", env=env)
            assert listed.returncode == 0, listed.stderr
            rows = {row["endpointId"]: row for row in json.loads(listed.stdout)}
            if rows.get("served-put", {}).get("status") != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert {k: rows[k]["status"] for k in ("served-bus", "served-direct", "served-put")} == dict.fromkeys(
            ("served-bus", "served-direct", "served-put"), "SUCCEEDED"
        )
        assert rows["served-bus"]["executionArn"] == arn and rows["served-bus"]["type"] == "sagemaker"
        sagemaker = session.client("sagemaker", endpoint_url=url)
        for name in ("served-bus", "served-direct", "served-put"):
            assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"

        # -- describe: the request by its endpoint, what it published, the endpoint now -------------
        shown = endpointctl("describe", "served-bus", env=env)
        assert shown.returncode == 0, shown.stderr
        said = shown.stdout.splitlines()
        assert said[0] == "served-bus (endpoint): 1 request, 1 execution"
        assert "request served-bus-request: create sagemaker served-bus" in said
        assert any(
            line.endswith("(from the execution's output)") and "published Endpoint Ready" in line
            for line in said
        )
        assert said[-1].startswith("now: sagemaker endpoint served-bus is InService (READY)")

        # -- a stop ends an execution waiting on its task token at once ------------------------------
        stopped = sfn.start_execution(
            stateMachineArn=machine, name="served-stop", input=json.dumps(request("served-stop"))
        )["executionArn"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(  # waiting on its task token
            e.get("stateEnteredEventDetails", {}).get("name") == "AwaitEndpoint"
            for e in sfn.get_execution_history(executionArn=stopped)["events"]
        ):
            time.sleep(0.1)
        halted = endpointctl("stop", "served-stop-request", env=env)  # by its requestId
        assert halted.returncode == 0, halted.stdout + halted.stderr
        assert halted.stdout.startswith("stopped served-stop (sagemaker) at ")
        assert sfn.describe_execution(executionArn=stopped)["status"] == "ABORTED"
        # ... and the controller's clean-up takes it over: its function's log lines say so
        deadline = time.monotonic() + 20
        while True:
            lines = endpointctl("logs", "served-stop", "--json", env=env)
            assert lines.returncode == 0, lines.stderr
            logged = json.loads(lines.stdout)
            if (
                any(line["message"].get("message") == "the clean-up waits" for line in logged)
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.5)
        steps = [line["message"].get("step") for line in logged]
        assert steps[:3] == ["validate", "create", "await"] and "cleanup" in steps, steps
        # The endpoint was still being created: the clean-up says what it waits for, and when.
        waits = [line["message"] for line in logged if line["message"].get("message") == "the clean-up waits"]
        assert waits and waits[0]["waiting_for"] == "endpoint served-stop", logged
        assert waits[0]["retry"] == "at the next sweep"
        assert all(line["message"]["execution_arn"] == stopped for line in logged)
        assert logged[0]["logGroupName"].startswith("MlEndpointController-SageMakerFunctionLogs")
        shown = endpointctl("describe", "served-stop-request", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "  served-stop  ABORTED" in shown.stdout
        assert (
            "served-stop: published nothing itself: it was stopped; the controller's clean-up" in shown.stdout
        )

        # -- a type the stack does not deploy (cdk.json deploys SageMaker): submit says so and
        # sends nothing, in every mode; put on the bus anyway, the stack refuses it itself ----------
        aml = str(ROOT / "events" / "aml-create.json")
        for mode in ([], ["--direct"], ["--watch"]):
            refused = endpointctl("submit", aml, *mode, env=env)
            assert (refused.returncode, refused.stdout) == (2, ""), refused.stdout + refused.stderr
            assert refused.stderr == (
                f"endpointctl: request {aml} not sent: the aml type is not deployed in stack "
                "MlEndpointController (it deploys: sagemaker; context endpointTypes)\n"
            )
        # the notifications, heard as a user hears them: a rule on the bus for the controller's source
        events = session.client("events", endpoint_url=url)
        sqs = session.client("sqs", endpoint_url=url)
        queue = sqs.create_queue(QueueName="heard")["QueueUrl"]
        heard = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus = outputs["EventBusName"]
        rule = events.put_rule(
            Name="heard", EventBusName=bus, EventPattern=json.dumps({"source": ["ml-endpoint-controller"]})
        )["RuleArn"]
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": heard,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
        }
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
        events.put_targets(Rule="heard", EventBusName=bus, Targets=[{"Id": "heard", "Arn": heard}])
        # what `aws events put-events --entries file://events/put-events/aml-create.json` sends
        entries = json.loads((ROOT / "events" / "put-events" / "aml-create.json").read_text())
        put = events.put_events(Entries=entries)
        assert put["FailedEntryCount"] == 0
        event_id = put["Entries"][0]["EventId"]
        refusals = outputs["RefusalsStateMachineArn"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            executions = sfn.list_executions(stateMachineArn=refusals)["executions"]
            if executions and executions[0]["status"] != "RUNNING":
                break
            time.sleep(0.5)
        [execution] = executions
        ended = sfn.describe_execution(executionArn=execution["executionArn"])
        assert (ended["status"], ended["error"]) == ("FAILED", "InvalidRequest"), ended
        reason = "the aml type is not deployed in this stack (it deploys: sagemaker; context endpointTypes)"
        assert reason in ended["cause"]
        # ... and not by the SageMaker lifecycle, which has only the requests above
        inputs = [
            sfn.describe_execution(executionArn=e["executionArn"])["input"]
            for e in sfn.list_executions(stateMachineArn=machine)["executions"]
        ]
        assert not [text for text in inputs if "ml-churn-2026" in text]
        time.sleep(1)  # anything published after the execution ended would be in the queue by now
        notifications = []
        while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            notifications += [json.loads(m["Body"]) for m in messages]
            sqs.delete_message_batch(
                QueueUrl=queue,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        [answer] = [n for n in notifications if n["detail"].get("endpointType") == "aml"]
        assert answer["detail-type"] == "Endpoint Failed"
        assert answer["detail"]["requestId"] == event_id and answer["detail"]["endpointId"] == "ml-churn-2026"
        assert answer["detail"]["error"] == {
            "code": "InvalidRequest",
            "message": f"endpointType: {reason}",
            "fields": ["endpointType"],
        }
        # the operator finds the refusal as any request: `list` and `describe` read the refusals too
        listed = endpointctl("list", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        [row] = [r for r in json.loads(listed.stdout) if r["endpointId"] == "ml-churn-2026"]
        assert (row["type"], row["status"]) == ("aml", "FAILED")  # the type asked for, refused
        shown = endpointctl("describe", event_id, env=env)
        assert shown.returncode == 0, shown.stderr
        assert f"request {event_id}: create aml ml-churn-2026" in shown.stdout
        assert f"published Endpoint Failed: status FAILED, error InvalidRequest: endpointType: {reason}" in (
            shown.stdout
        )
        assert "\nnow:" not in shown.stdout  # the refusal created nothing: nothing to describe now

        # -- the served world authorizes as AWS (and the runner) does: an operator takes the
        # function's CreateEndpoint away with the IAM API, and the next create is denied --------------
        iam = session.client("iam", endpoint_url=url)
        [role] = [
            r["RoleName"] for r in iam.list_roles()["Roles"] if "SageMakerFunctionRole" in r["RoleName"]
        ]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            statements = document["Statement"]
            kept = [st for st in statements if st.get("Sid") != "Endpoints"]
            if len(kept) != len(statements):
                iam.put_role_policy(
                    RoleName=role, PolicyName=name, PolicyDocument=json.dumps({**document, "Statement": kept})
                )
        denied = sfn.start_execution(
            stateMachineArn=machine, name="served-denied", input=json.dumps(request("served-denied"))
        )["executionArn"]
        deadline = time.monotonic() + 30
        while (
            sfn.describe_execution(executionArn=denied)["status"] == "RUNNING" and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        ended = sfn.describe_execution(executionArn=denied)
        # the rollback's looks (DescribeEndpoint) are denied too: RollbackFailed, in both worlds
        assert ended["status"] == "FAILED" and ended["error"] == "RollbackFailed", ended
        assert "not authorized to perform: sagemaker:" in ended["cause"], ended["cause"]
        with pytest.raises(sagemaker.exceptions.ClientError):
            sagemaker.describe_endpoint(EndpointName="served-denied")
    finally:
        # -- destroy: the stack, then the server and its folder --------------------------------------
        mark = time.monotonic()
        gone = endpointctl("local", "destroy", env=base)
        destroyed_in = time.monotonic() - mark
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "destroyed in" in gone.stdout and "stopped the server" in gone.stdout
    assert not folder.exists()
    assert json.loads(state.read_text()) == {"destroyed": {"port": record["port"], "at": ANY}}
    assert not answers(f"http://localhost:{record['port']}")
    # -- a shell still pointed at it hears what became of it, and what to do ----------------------------
    dead = endpointctl("list", env=env)
    assert dead.returncode == 1 and dead.stderr.count("\n") == 1, dead.stderr
    assert "the kept local deploy on this port was destroyed at " in dead.stderr
    assert 'eval "$(endpointctl local env --unset)"' in dead.stderr
    print(
        f"local deploy --keep {deployed_in:.0f} s; three requests to READY {ready_in:.1f} s; "
        f"destroy {destroyed_in:.1f} s"
    )


def test_watch_says_a_stock_moto_server_never_runs_executions(tmp_path: Path) -> None:
    """A stock ``moto_server`` keeps every execution RUNNING (with a canned history): ``watch``
    asks the server (``/moto-api/config``) and exits 1 at once instead of following for ever."""
    port = deploy.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://localhost:{port}"
        deadline = time.monotonic() + 30
        while not answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=url,
            region_name=deploy.REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        machine = sfn.create_state_machine(
            name="never-runs", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="one", input="{}")["executionArn"]
        env = environment(**deploy.CREDENTIALS, AWS_ENDPOINT_URL=url)
        mark = time.monotonic()
        done = endpointctl("watch", arn, "--interval", "0.2", env=env, timeout=60)
        assert time.monotonic() - mark < 20
        assert done.returncode == 1, done.stdout + done.stderr
        assert "does not execute state machines" in done.stderr and "local deploy --keep" in done.stderr
        assert done.stdout == ""
    finally:
        server.terminate()
        server.wait(timeout=10)
