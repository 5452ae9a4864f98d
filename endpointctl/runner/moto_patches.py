"""The runner's patches to moto: what makes moto's Step Functions interpreter run the synthesized
definition in virtual time, with the real handlers, and what records the notifications.

Each function enters its patches on the runner's ``ExitStack``, so they end with the run.
"""

from __future__ import annotations

import functools
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


def serialize_requests(stack: ExitStack, lock: Any = None) -> None:
    """moto's backends are not thread-safe: answer one mocked request at a time.

    Concurrent executions still interleave everywhere else (handlers, the interpreter, the
    emulators); only moto's request handling is serialized, as a real service would be atomic.
    ``lock``: one the caller shares with another way in (the served world's HTTP requests).
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = lock if lock is not None else threading.RLock()
    original = BotocoreStubber.__call__

    def call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        try:
            with lock:
                return original(stubber, event_name, request, **kwargs)
        except ReadTimeoutPending as pending:
            pending.expire()  # the client's wait, with the lock released
            raise

    stack.enter_context(mock.patch.object(BotocoreStubber, "__call__", call))


def spare_work(stack: ExitStack) -> None:
    """What moto would do again and again (:func:`memoize_lookups`), or for nothing
    (:func:`lazy_key_material`)."""
    memoize_lookups(stack)
    lazy_key_material(stack)
    lazy_url_builders(stack)


def signal_ends(stack: ExitStack, ended: threading.Event) -> None:
    """Set ``ended`` when an execution's worker reports its end (the status it then has:
    ``BaseExecutionWorkerCommunication.terminated``), so the runner waits on it instead of
    polling the statuses."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated

    def terminated(communication: Any) -> None:
        try:
            original(communication)
        finally:
            ended.set()

    stack.enter_context(mock.patch.object(BaseExecutionWorkerCommunication, "terminated", terminated))


def lazy_url_builders(stack: ExitStack) -> None:
    """moto routes a REST service's requests with werkzeug rules (Lambda's: 89), and werkzeug
    compiles two URL *builders* for each rule when its map is made (Python source through
    ``ast`` and ``compile``): moto only matches URLs, so a builder is compiled if one is used."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder

    def _compile_builder(rule: Any, append_unknown: bool = True) -> Any:
        compiled: list[Any] = []

        def build(bound: Any, **values: Any) -> Any:
            if not compiled:
                compiled.append(original(bound, append_unknown))
            return compiled[0](bound, **values)

        return build

    stack.enter_context(mock.patch.object(Rule, "_compile_builder", _compile_builder))


def memoize_lookups(stack: ExitStack) -> None:
    """Three pure lookups moto repeats on every request or state: the JSONPath parsers (a fresh
    PLY parse for each ``$.x`` of each state at every step: the interpreter's own, and the one its
    ``ResultPath`` calls) and the list of a response class's methods (``inspect.getmembers`` at
    every API call). Each is cached for the run (a parsed path is not changed by its use)."""
    from moto.core import responses
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    stack.enter_context(
        mock.patch.object(json_path, "parse", functools.lru_cache(maxsize=4096)(json_path.parse))
    )
    stack.enter_context(
        mock.patch.object(result_path, "parse", functools.lru_cache(maxsize=4096)(result_path.parse))
    )
    stack.enter_context(
        mock.patch.object(
            responses, "method_names_from_class", functools.cache(responses.method_names_from_class)
        )
    )
    memoize_attribute_keys(stack)


#: An upper bound on :func:`memoize_attribute_keys`'s table (model shapes are few; the bound only
#: guards against a moto that made new shapes per request).
_KEYS_KEPT = 100_000


def memoize_attribute_keys(stack: ExitStack) -> None:
    """moto serializes every response member by asking its alias providers, for each member of
    each value, which keys of the object might hold it (six providers, and ``xform_name`` of
    each): for a DynamoDB item, ten ``AttributeValue`` members of every attribute, at every
    ``GetItem``. For a plain ``dict`` the answer depends only on the member's name and shape (a
    dict has no ``Meta`` aliases and one class name), so it is computed once per (name, shape)."""
    from moto.core import serialize

    original = serialize.XFormedAttributePicker.get_possible_keys
    known: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def get_possible_keys(picker: Any, context: Any) -> Any:
        if type(context.obj) is not dict:
            return original(picker, context)
        shape = context.shape
        key = (
            type(picker),
            tuple(picker.alias_providers),
            context.key,
            shape,
            getattr(shape, "parent", None),
        )
        found = known.get(key)
        if found is None:
            if len(known) >= _KEYS_KEPT:
                known.clear()
            found = known[key] = tuple(original(picker, context))
        return iter(found)

    stack.enter_context(
        mock.patch.object(serialize.XFormedAttributePicker, "get_possible_keys", get_possible_keys)
    )


#: Parsed definitions, by their text: a process parses each definition once.
_PARSED: dict[str, Any] = {}
_PARSING = threading.Lock()


def parse_once(stack: ExitStack) -> None:
    """moto's interpreter parses a definition (an ANTLR grammar, ~0.3 s for one of ours) at
    ``CreateStateMachine`` and again at every ``StartExecution``: here each definition is parsed
    once (``endpointctl.runner.warm.parsed_definition`` keeps the evaluation tree on disk for the
    next process) and its evaluation tree shared by the executions.

    Sharing is safe for the states our definitions use (no ``Parallel`` or ``Map``, whose
    components keep per-run counters): an execution's state lives in its ``Environment`` (the
    retriers' attempt numbers in ``env.heap``, under each component's ``heap_key``). The one
    lazily set attribute, ``heap_key``, is set on every component here before any execution
    shares the tree, so two executions cannot race to give one component two keys.

    What moto does with the result: ``CreateStateMachine`` checks that it parses, an execution
    evaluates its first element (the evaluation tree); the ANTLR parse tree, the second element,
    only moto's static analysers read, which its mock does not run: it is ``None`` here.
    """
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    from endpointctl.runner.warm import parsed_definition

    original = AmazonStateLanguageParser.parse

    def evaluation_tree(definition: str) -> Any:
        program = original(definition)[0]
        _warm_heap_keys(program, EvalComponent, set())
        return program

    def parse(definition: str) -> Any:
        with _PARSING:
            if definition not in _PARSED:
                # A tree read from disk was stored with its keys set.
                _PARSED[definition] = (parsed_definition(definition, evaluation_tree), None)
            return _PARSED[definition]

    stack.enter_context(mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(parse)))


def _warm_heap_keys(node: Any, component: type, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, component):
        node.heap_key  # noqa: B018 (sets the key once)
    children: Any = (
        node.values()
        if isinstance(node, dict)
        else node
        if isinstance(node, list | tuple | set)
        else vars(node).values()
        if hasattr(node, "__dict__") and type(node).__module__.startswith("moto.stepfunctions")
        else ()
    )
    for child in children:
        _warm_heap_keys(child, component, seen)


def virtual_time(stack: ExitStack, clock: VirtualClock, *, guard: float = 600.0) -> None:
    """Wait states, retry back-off, task-token waits and task timeouts take virtual time, not real
    time (``guard``: the real seconds a task may take before it times out all the same, a hung
    handler's)."""
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
    _virtual_task_timeouts(stack, clock, guard)


def _virtual_task_timeouts(stack: ExitStack, clock: VirtualClock, guard: float) -> None:
    """A task's ``TimeoutSeconds`` counts virtual time. moto waits for the task's thread that many
    real seconds (``ExecutionState._evaluate_with_timeout``), so a handler that a busy machine
    slowed down (a thousand lifecycles on two cores: some invocations waited over 90 s for the GIL
    and the runner's locks) ended ``States.Timeout``, which no AWS run would. Here a task is on
    time when it ended within its timeout on the virtual clock (which moves inside a task only where
    a simulated call takes time, a read timeout); real time only bounds a hung one."""
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.state.exec import execute_state

    class TaskEnded(threading.Event):
        def __init__(self) -> None:
            super().__init__()
            self.began = clock.now()

        def wait(self, timeout: float | None = None) -> bool:
            ended = super().wait(None if timeout is None else max(timeout, guard))
            return ended and (timeout is None or clock.now() - self.began <= timeout)

    stack.enter_context(mock.patch.object(execute_state, "threading", SimpleNamespace(Event=TaskEnded)))


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


def lazy_key_material(stack: ExitStack) -> None:
    """moto's ``CreateKey`` generates an RSA key pair for every key, a symmetric one too (~0.1 s),
    which only ``Sign``, ``Verify`` and ``GetPublicKey`` of an asymmetric key read: here it is
    generated when first read."""
    from moto.kms import models

    original = models.generate_private_key

    class _Later:
        def __init__(self, key_spec: str) -> None:
            self._key_spec = key_spec
            self._key: Any = None
            self._made = threading.Lock()

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__") or name in ("_key", "_key_spec", "_made"):
                raise AttributeError(name)
            with self._made:
                if self._key is None:
                    self._key = original(self._key_spec)
            return getattr(self._key, name)

    stack.enter_context(mock.patch.object(models, "generate_private_key", _Later))
