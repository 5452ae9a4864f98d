"""Finding executions from what an operator names (``endpointctl.ops.find``), reading their
notifications and log lines: against a fake Step Functions and CloudWatch Logs, no AWS, no moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from endpointctl.errors import UsageError
from endpointctl.ops import describe, find, logs
from endpointctl.ops.session import machine_type

REGION_ARN = "arn:aws:states:us-east-1:123456789012"
SAGEMAKER = f"{REGION_ARN}:stateMachine:SageMakerLifecycle-A"
AML = f"{REGION_ARN}:stateMachine:AmlLifecycle-B"
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def request(endpoint: str, request_id: str | None = None, kind: str = "sagemaker") -> dict[str, Any]:
    key = {"sagemaker": "EndpointName", "aml": "MLModelId"}[kind]
    body: dict[str, Any] = {"action": "create", "endpointType": kind, "params": {key: endpoint}}
    return body | ({"requestId": request_id} if request_id else {})


class FakeSfn:
    """``list_executions`` (paged, newest first) and ``describe_execution`` of a few executions."""

    def __init__(self) -> None:
        self.executions: dict[str, dict[str, Any]] = {}
        self.described = 0

    def add(self, machine: str, name: str, document: Any, status: str = "SUCCEEDED", **extra: Any) -> str:
        arn = f"{machine.replace(':stateMachine:', ':execution:')}:{name}"
        started = START + timedelta(minutes=len(self.executions))
        self.executions[arn] = {
            "executionArn": arn,
            "stateMachineArn": machine,
            "name": name,
            "status": status,
            "startDate": started,
            "input": json.dumps(document),
            **extra,
        }
        return arn

    def list_executions(self, stateMachineArn: str, maxResults: int, nextToken: str = "0") -> dict[str, Any]:
        mine = sorted(
            (e for e in self.executions.values() if e["stateMachineArn"] == stateMachineArn),
            key=lambda e: e["startDate"],
            reverse=True,
        )
        at = int(nextToken)
        page = mine[at : at + min(maxResults, 2)]  # small pages: the paging is exercised
        more = at + 2 < len(mine)
        return {"executions": page, **({"nextToken": str(at + 2)} if more else {})}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.described += 1
        if executionArn not in self.executions:
            error = {
                "Error": {
                    "Code": "ExecutionDoesNotExist",
                    "Message": f"Execution Does Not Exist: '{executionArn}'",
                }
            }
            raise ClientError(error, "DescribeExecution")  # type: ignore[arg-type]
        return dict(self.executions[executionArn])


@pytest.fixture
def sfn() -> FakeSfn:
    fake = FakeSfn()
    fake.add(
        SAGEMAKER,
        "churn-1",
        request("churn-prod", "churn-req"),
        output=json.dumps({"requestId": "churn-req"}),
    )
    fake.add(SAGEMAKER, "churn-2", request("churn-prod", "churn-req"), status="RUNNING")  # sent again
    event = {"id": "evt-7", "detail-type": "Endpoint Request", "detail": request("fraud")}  # no requestId
    fake.add(SAGEMAKER, "f3a1-bus", event)
    fake.add(AML, "ml-1-20261122T120000Z", request("ml-1", kind="aml"))  # --direct, no requestId
    fake.add(AML, "churn-1", request("ml-2", "other", kind="aml"))  # the same name in another machine
    return fake


def finder(sfn: FakeSfn, search: int = 100) -> find.Finder:
    return find.Finder(lambda arn: sfn, {"sagemaker": SAGEMAKER, "aml": AML}, search=search)


def names(found: list[find.Found]) -> list[str]:
    return [f.name for f in found]


def test_an_arn_is_taken_as_it_is(sfn: FakeSfn) -> None:
    arn = f"{AML.replace(':stateMachine:', ':execution:')}:churn-1"
    how, found = finder(sfn).find(arn)
    assert how == "ARN" and [f.arn for f in found] == [arn] and found[0].kind == "aml"
    with pytest.raises(UsageError, match="ExecutionDoesNotExist"):
        finder(sfn).find(arn + "-nope")


def test_a_name_is_looked_up_in_each_state_machine_without_a_search(sfn: FakeSfn) -> None:
    how, found = finder(sfn).find("f3a1-bus")
    assert (how, names(found)) == ("name", ["f3a1-bus"]) and sfn.described == 2  # one call per machine
    how, found = finder(sfn).find("churn-1")  # both machines have one
    assert how == "name" and {f.kind for f in found} == {"sagemaker", "aml"}
    with pytest.raises(UsageError) as refused:
        find.one("churn-1", how, found, searched="…")
    message = str(refused.value)
    assert message.startswith("churn-1 (name) names 2 executions: ") and message.count("churn-1 (") == 3
    assert "give one of their names or ARNs" in message and "\n" not in message


def test_a_request_id_as_given_as_defaulted_to_the_event_id_or_the_execution_name(sfn: FakeSfn) -> None:
    how, found = finder(sfn).find("churn-req")
    assert how == "requestId" and names(found) == ["churn-2", "churn-1"]  # newest first
    assert names(finder(sfn).find("evt-7")[1]) == ["f3a1-bus"]  # the bus's event id
    assert find.one("churn-req", how, found, searched="…", running=True).name == "churn-2"  # stop
    with pytest.raises(UsageError, match=r"churn-req \(requestId\) names 2 executions"):
        find.one("churn-req", how, found, searched="…")  # watch, logs


def test_an_endpoint_only_for_describe(sfn: FakeSfn) -> None:
    assert finder(sfn).find("churn-prod") == ("requestId", [])
    how, found = finder(sfn).find("churn-prod", endpoint=True)
    assert how == "endpoint" and names(found) == ["churn-2", "churn-1"]
    assert names(finder(sfn).find("ml-1", endpoint=True)[1]) == ["ml-1-20261122T120000Z"]
    with pytest.raises(UsageError, match="no execution has this name or requestId"):
        find.one("nothing", "requestId", [], searched="each state machine's 100 most recent executions")


def test_the_search_reads_only_the_most_recent_executions(sfn: FakeSfn) -> None:
    assert names(finder(sfn, search=1).find("churn-req")[1]) == []  # churn-2 is behind f3a1-bus
    assert names(finder(sfn, search=2).find("churn-req")[1]) == ["churn-2"]


def test_a_found_execution_reads_its_request() -> None:
    fake = FakeSfn()
    arn = fake.add(AML, "ml-1-20261122T120000Z", request("ml-1", kind="aml"))
    found = find.Finder(lambda a: fake, {}).by_arn(arn)
    assert (found.request_id, found.endpoint, found.endpoint_type) == ("ml-1-20261122T120000Z", "ml-1", "aml")
    assert found.label() == "ml-1-20261122T120000Z (aml, SUCCEEDED, started 2026-11-22T12:00:00Z)"
    assert find.machine_of(arn) == AML
    served = "arn:aws:states:us-east-1:1:stateMachine:MlEndpointController-SageMakerLifecycleStateMachine-X"
    assert machine_type(served) == "sagemaker"  # a stack's name first, as moto names them


def test_what_an_execution_published_is_read_from_its_record() -> None:
    def found(status: str, **described: Any) -> find.Found:
        return find.Found("arn", "sagemaker", {"status": status, **described})

    ready = describe.notification(
        found("SUCCEEDED", output=json.dumps({"status": "READY", "endpointId": "e"}))
    )
    assert ready["published"] == "Endpoint Ready" and ready["from"] == "the execution's output"
    cause = {
        "code": "EndpointCreationFailed",
        "message": "e: ping",
        "rollback": {"succeeded": True, "deleted": ["endpoint e"]},
    }
    failed = describe.notification(found("FAILED", error="EndpointCreationFailed", cause=json.dumps(cause)))
    assert failed["published"] == "Endpoint Failed"
    assert failed["detail"]["error"] == {"code": "EndpointCreationFailed", "message": "e: ping"}
    assert describe.published(failed) == (
        "published Endpoint Failed: status FAILED, error EndpointCreationFailed: e: ping, rollback succeeded "
        "(deleted endpoint e) (from the execution's error and cause)"
    )
    stopped = describe.notification(found("ABORTED"))
    assert (
        stopped["published"] is None
        and "clean-up publishes Endpoint Failed (ExecutionAborted)" in stopped["note"]
    )
    odd = describe.notification(found("FAILED", error="States.Runtime"))
    assert "outside the controller's codes (States.Runtime)" in odd["note"]
    assert describe.notification(found("RUNNING"))["published"] is None


def test_the_functions_of_a_definition() -> None:
    definition = {
        "States": {
            "Validate": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Fn"},
            "Await": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:Fn", "Payload.$": "$"},
            },
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents"},
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "States": {
                            "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:Other"}
                        }
                    }
                ],
            },
        }
    }
    assert logs.functions_of(json.dumps(definition)) == [
        "arn:aws:lambda:us-east-1:1:function:Fn",
        "arn:aws:lambda:us-east-1:1:function:Other",
    ]


def test_log_lines_name_exactly_this_execution() -> None:
    arn = f"{SAGEMAKER.replace(':stateMachine:', ':execution:')}:run-1"
    line = {
        "level": "INFO",
        "message": "request accepted",
        "step": "validate",
        "execution_arn": arn,
        "action": "create",
    }

    class FakeLogs:
        calls: list[dict[str, Any]] = []

        def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append(kwargs)
            if "nextToken" not in kwargs:
                events = [
                    {
                        "timestamp": 1_795_000_000_000,
                        "message": json.dumps(line) + "\n",
                        "logStreamName": "s",
                    },
                    {
                        "timestamp": 1_795_000_000_001,
                        "message": json.dumps({**line, "execution_arn": arn + "-2"}),
                    },
                ]
                return {"events": events, "nextToken": "more"}
            return {"events": [{"timestamp": 1_795_000_000_002, "message": f"Task timed out {arn}"}]}

    fake = FakeLogs()
    found = list(logs.filtered(fake, "group", arn, 5))
    assert fake.calls[0] == {"logGroupName": "group", "filterPattern": f'"{arn}"', "startTime": 5}
    assert len(found) == 2  # run-1-2 only contains run-1's ARN: not its line
    rows = [logs.row(event) for event in found]
    assert rows[0]["timestamp"] == "2026-11-18T11:06:40.000Z" and rows[0]["message"]["step"] == "validate"
    assert (
        logs.text(rows[0]) == "2026-11-18T11:06:40.000Z  INFO     validate  request accepted  action=create"
    )
    assert logs.text(rows[1]).endswith(f"  Task timed out {arn}")
