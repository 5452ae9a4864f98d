"""The runner's patches to moto: what makes moto's Step Functions interpreter run the synthesized
definition in virtual time, with the real handlers, and what records the notifications.

Each function enters its patches on the runner's ``ExitStack``, so they end with the run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest import mock

from endpointctl.sim.faults import ReadTimeoutPending
from endpointctl.sim.virtual_clock import VirtualClock

#: ``invoke(function_name, payload, response_headers) -> body``: run a function's handler.
Invoke = Callable[[str, Any, dict[str, str]], bytes]


def serialize_requests(stack: ExitStack) -> None:
    """moto's backends are not thread-safe: answer one mocked request at a time.

    Concurrent executions still interleave everywhere else (handlers, the interpreter, the
    emulators); only moto's request handling is serialized, as a real service would be atomic.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        try:
            with lock:
                return original(stubber, event_name, request, **kwargs)
        except ReadTimeoutPending as pending:
            pending.expire()  # the client's wait, with the lock released
            raise

    stack.enter_context(mock.patch.object(BotocoreStubber, "__call__", call))


def virtual_time(stack: ExitStack, clock: VirtualClock) -> None:
    """Wait states, retry back-off and task-token waits take virtual time, not real time."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    def wait_interval(_self: Any, env: Any, wait_seconds: float) -> None:
        if env.is_running():  # a stopped execution must not keep the clock (or the world) busy
            clock.sleep(wait_seconds, key=env)  # a stop wakes it (endpointctl.runner.limits)

    stack.enter_context(mock.patch.object(wait_function.WaitFunction, "_wait_interval", wait_interval))
    stack.callback(clock.close)  # executions stopped by the runner do not outlive their world

    class _Time:
        sleep = staticmethod(clock.sleep)
        time = staticmethod(time.time)

    stack.enter_context(mock.patch.object(retrier_decl, "time", _Time))
    _virtual_task_tokens(stack, clock)


def _virtual_task_tokens(stack: ExitStack, clock: VirtualClock) -> None:
    """``.waitForTaskToken`` waits on the virtual clock: until the token is resumed (which wakes
    the waiter at once) or the task's timeout passes in virtual time."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    notify, interrupt_all = CallbackEndpoint.notify, CallbackEndpoint.interrupt_all

    def wait(endpoint: Any, timeout: float | None = None) -> Any:
        # moto reuses a task's token (and its endpoint, already interrupted) when the task is
        # retried, so "resumed" is an outcome being there, not the endpoint's event being set.
        seconds = timeout if timeout is not None else 365 * 86400.0
        clock.sleep(seconds, key=endpoint, ready=lambda: endpoint._outcome is not None)
        return endpoint._outcome

    def notified(endpoint: Any, outcome: Any) -> None:
        notify(endpoint, outcome)
        clock.wake(endpoint)

    def interrupted(endpoint: Any) -> None:
        interrupt_all(endpoint)
        clock.wake(endpoint)

    stack.enter_context(mock.patch.object(CallbackEndpoint, "wait", wait))
    stack.enter_context(mock.patch.object(CallbackEndpoint, "notify", notified))
    stack.enter_context(mock.patch.object(CallbackEndpoint, "interrupt_all", interrupted))


def lambda_in_process(
    stack: ExitStack, invoke: Invoke, authorize: Callable[[str | None, str], None] | None = None
) -> None:
    """Lambda tasks and Lambda ``Invoke`` calls run the handler in this process; a task's
    ``lambda:InvokeFunction`` is first authorized for the state machine's role (``authorize``
    raises the service's ``AccessDeniedException``)."""
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    def invoke_direct(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        # The interpreter's Lambda tasks call the handler straight away: the same payloads and
        # error contract as moto's Lambda API, without an HTTP round trip per step.
        if authorize is not None:
            authorize(getattr(state_credentials, "role_arn", None), str(parameters["FunctionName"]))
        headers: dict[str, str] = {}
        body = invoke(str(parameters["FunctionName"]), parameters.get("Payload"), headers)
        response: dict[str, Any] = {"StatusCode": 200, "Payload": json.loads(body)}
        if "x-amz-function-error" in headers:
            response["FunctionError"] = headers["x-amz-function-error"]
        return response

    stack.enter_context(mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke_direct))

    def invoke_api(
        backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        return invoke(function_name, body, response_headers)

    stack.enter_context(mock.patch.object(LambdaSimpleBackend, "invoke", invoke_api))


def record_notifications(stack: ExitStack, events: list[dict[str, Any]], sns: list[dict[str, Any]]) -> None:
    """Every ``PutEvents`` entry and SNS message goes into ``events`` / ``sns`` as it is sent."""
    from moto.events.models import EventsBackend
    from moto.sns.models import SNSBackend

    original_put = EventsBackend.put_events
    original_publish = SNSBackend.publish

    def put_events(backend: Any, entries: list[dict[str, Any]]) -> Any:
        for entry in entries:
            detail = entry.get("Detail")
            events.append(
                {
                    "source": entry.get("Source"),
                    "detail-type": entry.get("DetailType"),
                    "detail": json.loads(detail) if isinstance(detail, str) else detail,
                    "bus": entry.get("EventBusName"),
                }
            )
        return original_put(backend, entries)

    def publish(backend: Any, message: str, *args: Any, **kwargs: Any) -> Any:
        try:
            body = json.loads(message)
        except ValueError:
            body = message
        sns.append({"subject": kwargs.get("subject"), "message": body})
        return original_publish(backend, message, *args, **kwargs)

    stack.enter_context(mock.patch.object(EventsBackend, "put_events", put_events))
    stack.enter_context(mock.patch.object(SNSBackend, "publish", publish))
