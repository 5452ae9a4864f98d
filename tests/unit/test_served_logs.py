"""The served world's function logs (``endpointctl.served.logs``), against moto in-process: Lambda's
``LoggingConfig`` kept and answered, a handler's log lines written to its function's log group
between Lambda's framing lines, and each invocation's lines with its own Powertools keys. The kept
deploy itself (``tests/e2e/test_local_deploy_runs.py``) reads them with ``endpointctl logs``."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest

from endpointctl.served.logs import FunctionLogs

ARN = "arn:aws:states:us-east-1:123456789012:execution:SageMakerLifecycle:run"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def world() -> Iterator[tuple[FunctionLogs, Any]]:
    from moto import mock_aws

    with ExitStack() as stack:
        stack.enter_context(mock_aws(config={"lambda": {"use_docker": False}}))
        logs = FunctionLogs(threading.RLock())
        logs.install(stack)
        iam = boto3.client("iam", region_name="us-east-1")
        trust = {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        client = boto3.client("lambda", region_name="us-east-1")
        common = {
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "index.handler",
            "Code": {"ZipFile": _zip()},
        }
        client.create_function(FunctionName="own-group", LoggingConfig={"LogGroup": "the-group"}, **common)
        client.create_function(FunctionName="default-group", **common)
        yield logs, client


def _messages(group: str, pattern: str = "") -> list[str]:
    logs = boto3.client("logs", region_name="us-east-1")
    events = logs.filter_log_events(logGroupName=group, **({"filterPattern": pattern} if pattern else {}))[
        "events"
    ]
    return [str(e["message"]) for e in events]


def test_logging_config_is_kept_and_answered_as_lambda_does(world: tuple[FunctionLogs, Any]) -> None:
    _, client = world
    own = client.get_function_configuration(FunctionName="own-group")["LoggingConfig"]
    assert own == {"LogFormat": "Text", "LogGroup": "the-group"}
    default = client.get_function_configuration(FunctionName="default-group")["LoggingConfig"]
    assert default == {"LogFormat": "Text", "LogGroup": "/aws/lambda/default-group"}
    client.update_function_configuration(FunctionName="default-group", LoggingConfig={"LogGroup": "moved"})
    assert (
        client.get_function_configuration(FunctionName="default-group")["LoggingConfig"]["LogGroup"]
        == "moved"
    )


def test_a_handlers_lines_go_to_its_functions_log_group(world: tuple[FunctionLogs, Any]) -> None:
    from controller.handlers import logger

    logs, _ = world
    with logs.invocation("own-group"):
        logger.append_keys(execution_arn=ARN, step="validate")
        logger.info("request accepted")
    with logs.invocation("default-group"):
        logger.info("elsewhere")
    with logs.invocation("not-deployed"):  # no function, no group: nothing written, nothing raised
        logger.info("nowhere")
    framed = _messages("the-group")
    assert framed[0].startswith("START RequestId: ") and framed[-2].startswith("END RequestId: ")
    assert framed[-1].startswith("REPORT RequestId: ") and "\tDuration: " in framed[-1]
    [line] = _messages("the-group", f'"{ARN}"')
    record = json.loads(line)
    assert record["message"] == "request accepted" and record["execution_arn"] == ARN
    assert record["step"] == "validate" and framed[0].split()[2] == framed[-2].split()[2]
    assert any(json.loads(m)["message"] == "elsewhere" for m in _messages("/aws/lambda/default-group")[1:-2])


def test_each_invocation_logs_with_its_own_keys(world: tuple[FunctionLogs, Any]) -> None:
    from controller.handlers import logger

    logs, _ = world
    inside = threading.Event()
    go_on = threading.Event()

    def other() -> None:
        with logs.invocation("own-group"):
            logger.append_keys(execution_arn=ARN + "-other", step="check")
            inside.set()
            go_on.wait(5)
            logger.info("the other's line")

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with logs.invocation("own-group"):
        logger.append_keys(execution_arn=ARN, step="create")  # while the other invocation runs
        go_on.set()
        thread.join(5)
        logger.info("this one's line")
    lines = {json.loads(m)["message"]: json.loads(m) for m in _messages("the-group") if m.startswith("{")}
    assert (
        lines["the other's line"]["execution_arn"] == ARN + "-other"
        and lines["the other's line"]["step"] == "check"
    )
    assert lines["this one's line"]["execution_arn"] == ARN and lines["this one's line"]["step"] == "create"
