"""Lambda as the local runner plays it: a function's handler run in-process for a task or an
event delivery, counted for its execution, within its configured timeout, the IAM questions
around an invocation (may this role invoke it, may EventBridge, whose resource is this), and the
record of an asynchronous invocation the function failed on, sent to its on-failure destination."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from endpointctl.runner.iam.calls import World
from endpointctl.runner.invoke import call_handler, encode
from endpointctl.sim import answering
from endpointctl.sim.iam import role_exists
from endpointctl.template import ACCOUNT, REGION

if TYPE_CHECKING:
    import threading

    from endpointctl.runner.iam.authorizer import Authorizer
    from endpointctl.runner.limits import Limits
    from endpointctl.runner.results import Run
    from endpointctl.runner.staging import Staged
    from endpointctl.sim import Simulator
    from endpointctl.sim.calls import CallLog
    from endpointctl.sim.virtual_clock import VirtualClock


class LocalRunner(Protocol):
    """What this module needs of the runner (``endpointctl.runner.local_runner.LocalRunner``),
    which calls it: named here, so the dependency points one way."""

    clock: VirtualClock
    log: CallLog
    limits: Limits
    staged: Staged
    authorizer: Authorizer
    simulators: dict[str, Simulator]
    registering: threading.RLock
    _runs: dict[str, Run]
    other_invocations: list[tuple[str, float, float, str]]
    _lock: threading.Lock


def invoke(
    runner: LocalRunner,
    function_name: str,
    body: Any,
    response_headers: dict[str, str],
    *,
    delivered: bool = False,
) -> bytes:
    """Run a function's handler for a task or an event delivery, counting it for its execution."""
    event = json.loads(body or "{}")
    fields: dict[str, Any] = event if isinstance(event, dict) else {}
    state, context = fields.get("state"), fields.get("execution")
    state = state if isinstance(state, dict) else {}
    context = context if isinstance(context, dict) else {}
    execution = state.get("executionArn") or context.get("Id")
    with runner.registering:  # an execution's first task may come before its start returned
        run = runner._runs.get(str(execution))
    if str(execution) in runner.limits.failures:
        # The service failed the execution (a limit): its task is not invoked.
        response_headers["x-amz-function-error"] = "Unhandled"
        return encode({"errorType": "States.Runtime", "errorMessage": "the execution has failed"})
    delivery = None
    if execution is None and (delivered or "detail-type" in fields):
        # An event delivery: its calls belong to the execution it resumes, if any.
        execution = delivery = f"event:{fields.get('id') or uuid.uuid4()}:{uuid.uuid4().hex[:6]}"
    runner.log.execution = execution
    began = runner.clock.now()
    name = function_name.rsplit(":", 1)[-1]
    role = runner.staged.roles.get(name)
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        with runner.authorizer.calling_as(role):
            answer = call_handler(function_name, event, response_headers)
    finally:
        runner.log.execution = None
    timed = (name, time.perf_counter() - wall, time.thread_time() - cpu)
    counted = run is not None
    if run is not None:
        with runner._lock:
            run.invocations += 1
            run.invocation_times.append(timed)
    limit = runner.staged.timeouts.get(function_name.rsplit(":", 1)[-1])
    answer = within_timeout(limit, runner.clock.now() - began, answer, response_headers)
    if "x-amz-function-error" in response_headers:
        _count_other(runner, counted, timed, fields)
        return encode(answer)
    if delivery is not None:
        # Its calls belong to the execution it resumed (a state-change event: the invocation
        # is that execution's work too) or whose leftovers it cleaned (after that execution
        # ended: the calls are about it, the invocation is not part of it); else to no run.
        resumed = answer.get("resumed") if isinstance(answer, dict) else None
        cleaned = answer.get("cleaned") if isinstance(answer, dict) else None
        if isinstance(cleaned, list) and len(cleaned) == 1:
            cleaned = cleaned[0]  # a sweep that cleaned up after one execution
        owner = resumed or (cleaned if isinstance(cleaned, str) else None)
        runner.log.reassign(delivery, str(owner) if owner else None)
        run = runner._runs.get(str(resumed))
        if run is not None:  # a state-change event resumed this execution
            counted = True
            with runner._lock:
                run.invocations += 1
                run.invocation_times.append(timed)
    _count_other(runner, counted, timed, fields)
    if run is not None and isinstance(answer, dict):
        run.progress.append({"step": fields.get("step", "resume"), "at": runner.clock.now(), "state": answer})
    return encode(answer)


def _count_other(
    runner: LocalRunner, counted: bool, timed: tuple[str, float, float], fields: dict[str, Any]
) -> None:
    """An invocation no run counts (a schedule's, a clean-up's, an event's that resumed nothing):
    Lambda bills it all the same, so the world keeps it, with what it was for."""
    if not counted:
        what = str(fields.get("detail-type") or fields.get("step") or "invocation")
        with runner._lock:
            runner.other_invocations.append((*timed, what))


def within_timeout(limit: float | None, took: float, answer: Any, response_headers: dict[str, str]) -> Any:
    """An invocation that ran past its function's configured timeout (``limit``) is, as Lambda ends
    it, a timeout: "Unhandled errors in Lambda are reported as Lambda.Unknown ... These include
    out-of-memory errors and function timeouts"
    (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-best-practices.html). Virtual time
    passes inside an invocation only where a simulated call takes it (a read timeout)."""
    if limit is None or took <= limit:
        return answer
    response_headers["x-amz-function-error"] = "Unhandled"
    return {"errorType": "Lambda.Unknown", "errorMessage": f"Task timed out after {limit:.2f} seconds"}


# -- IAM: who may call what -----------------------------------------------------------------------
def iam_world(runner: LocalRunner) -> World:
    """What the authorizer asks of the simulated world: tags, the simulators' own authorizations,
    whose a task token is, the topics' keys and resource policies."""

    def tags_of(arn: str) -> dict[str, str] | None:
        return next(
            (t for sim in runner.simulators.values() if (t := sim.resource_tags(arn)) is not None), None
        )

    def simulated(service: str, operation: str, params: dict[str, Any]) -> list[Any] | None:
        sim = answering(runner.simulators.values(), service, operation)
        return None if sim is None else sim.authorizations(operation, params)

    def machine_of_token(token: str) -> str | None:
        for arn, env in list(runner.limits.envs.items()):
            if env.callback_pool_manager.get(token) is not None:
                return arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        return None

    return World(
        tags_of=tags_of,
        simulated=simulated,
        machine_of_token=machine_of_token,
        key_of_topic=lambda topic: runner.authorizer.policies.keys.get(topic),
        resource_policy=lambda arn: runner.authorizer.policies.resource_policy(arn),
        role_exists=role_exists,
        on_behalf=lambda service, operation, params: [
            need for sim in runner.simulators.values() for need in sim.on_behalf(service, operation, params)
        ],
        key_of_table=lambda table: runner.authorizer.policies.keys.get(table),
    )


def authorize_task(runner: LocalRunner, role: str | None, function: str) -> None:
    """A state machine's Lambda task: ``lambda:InvokeFunction`` with its role."""
    from botocore.exceptions import ClientError

    if role is None:
        return
    denial = runner.authorizer.check(role, "lambda", "Invoke", {"FunctionName": function})
    if denial is not None:
        error = {"Error": {"Code": "AccessDeniedException", "Message": denial.message}}
        raise ClientError(error, "Invoke")  # type: ignore[arg-type]


def events_may_invoke(runner: LocalRunner, rule: dict[str, Any], function: str) -> bool:
    """EventBridge invokes a rule's Lambda target as itself: the function's resource policy."""
    rule_arn = runner.staged.rule_arns.get(id(rule), "")
    context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": ACCOUNT}
    return runner.authorizer.service_may("events.amazonaws.com", "lambda:InvokeFunction", function, context)


def record_failed_invocation(
    runner: LocalRunner, function_name: str, payload: str, answer: bytes, attempts: int
) -> None:
    """Lambda's record of an event ``function_name`` failed on every attempt
    (``delivery.failed_invocation``), sent to the function's on-failure destination (an SQS queue;
    none configured: the event is discarded). Lambda sends it with the function's role
    ("Lambda uses the function's execution role to send the record", Capturing records of Lambda
    asynchronous invocations): ``sqs:SendMessage`` on the queue and, for an encrypted queue, its
    key through SQS; a denial loses the record, as it would in AWS."""
    configured = runner.staged.async_invoke.get(function_name)
    destination = configured.on_failure if configured is not None else None
    if destination is None or ":sqs:" not in destination:
        return
    import boto3

    from endpointctl.runner.delivery import failed_invocation

    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
    record = failed_invocation(arn, payload, answer, attempts, runner.clock.now())
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
    role = runner.staged.roles.get(function_name)
    if role is not None and runner.authorizer.check(role, "sqs", "SendMessage", {"QueueUrl": url}):
        return  # Lambda could not deliver its record: lost
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
