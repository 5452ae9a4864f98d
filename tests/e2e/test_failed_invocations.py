"""An event a function fails on, after Lambda's retries, is kept: the functions the rules invoke
asynchronously (an execution's clean-up, the sweep, SageMaker's state changes) have an on-failure
destination (infra/failures.py), and the runner sends Lambda's record there as Lambda does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from endpointctl.runner import LocalRunner, quiet_stdout

pytestmark = pytest.mark.slow

CREATE = {
    "endpointType": "sagemaker",
    "params": {"EndpointName": "ep-1", "EndpointConfigName": "ep-1-cfg"},
    "requestId": "r-1",
}


def records(queue_prefix: str) -> list[dict[str, Any]]:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    [url] = [
        u for u in sqs.list_queues().get("QueueUrls", []) if u.rsplit("/", 1)[-1].startswith(queue_prefix)
    ]
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def test_a_clean_up_that_fails_three_times_is_kept_for_a_person(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped at 100 s, the execution's "ended" event reaches its clean-up, which fails (a bug,
    say) on the first try and both of Lambda's retries: the event is not dropped (to wait a day for
    the sweep) but recorded in the failed-invocations queue, with the error, and the alarm's queue
    is not the rules' dead-letter queue."""
    from controller import dispatch

    def broken(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("the clean-up is broken")

    monkeypatch.setattr(dispatch, "execution_ended", broken)
    scenario = {"sagemaker": {"createSeconds": 300}, "abortAtSeconds": 100}
    with quiet_stdout(), LocalRunner(template, scenario) as runner:
        [result] = runner.run([CREATE], until=100 + 3600)
        kept = records("FailedInvocations")
        dead_letters = records("RequestDeadLetters")
    assert result["status"] == "ABORTED"
    [record] = kept
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert ":function:SageMakerFunction" in record["requestContext"]["functionArn"]
    assert record["requestPayload"]["detail-type"] == "Step Functions Execution Status Change"
    assert record["requestPayload"]["detail"]["status"] == "ABORTED"
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert dead_letters == []


@pytest.mark.parametrize("sid", ["RecordFailedInvocations", "FailedInvocationsKey"])
def test_without_the_functions_grant_lambdas_record_is_lost(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch, sid: str
) -> None:
    """Lambda sends its record with the function's role: sqs:SendMessage on the queue and the
    queue's key through SQS. Without either, the record is lost, as in AWS."""
    import copy

    from controller import dispatch

    def broken(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("the clean-up is broken")

    monkeypatch.setattr(dispatch, "execution_ended", broken)
    stripped = copy.deepcopy(template)
    removed = 0
    for resource in stripped["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            kept = [s for s in statements if s.get("Sid") != sid]
            removed += len(statements) - len(kept)
            resource["Properties"]["PolicyDocument"]["Statement"] = kept
    assert removed
    scenario = {"sagemaker": {"createSeconds": 300}, "abortAtSeconds": 100}
    with quiet_stdout(), LocalRunner(stripped, scenario) as runner:
        runner.run([CREATE], until=100 + 3600)
        kept_records = records("FailedInvocations")
        denials = [d.action for d in runner.authorizer.denials]
    assert kept_records == []
    assert {"sqs:SendMessage", "kms:GenerateDataKey"} & set(denials)
