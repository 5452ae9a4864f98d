"""One simulated world: moto with Step Functions execution on, the real handlers in-process, the
simulated endpoint services and a virtual clock. Runs requests through the synthesized machines.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import os
import random
import sys
import threading
import time
import uuid
import warnings
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from endpointctl.clock import VirtualClock
from endpointctl.sim.common import CallLog, ScenarioError
from endpointctl.template import ACCOUNT, REGION, Resolver, resources, state_machines

#: Handler environment. Deployed functions get theirs from the template; moto does not apply it.
HANDLER_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_SERVICE_NAME": "ml-endpoint-controller",
    "POWERTOOLS_METRICS_NAMESPACE": "MlEndpointController",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "CONTROLLER_ACCOUNT_ID": ACCOUNT,
    "POWERTOOLS_LOG_LEVEL": "INFO",  # as deployed; the output goes to a sink unless verbose
}
SCENARIO_KEYS = ("sagemaker", "aml", "neptune")
#: Lambda's retries of an asynchronous invocation that failed (EventBridge targets are async).
ASYNC_RETRIES = 2
#: Real seconds one execution may take before the runner stops it (ENDPOINTCTL_WALL_LIMIT overrides).
EXECUTION_LIMIT_SECONDS = float(os.environ.get("ENDPOINTCTL_WALL_LIMIT") or 600)


@dataclass
class Context:
    """The Lambda context object the handlers' Powertools decorators read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Run:
    """What one execution did."""

    request: Any
    execution_arn: str
    started_at: float
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    ended_at: float | None = None
    transitions: int = 0
    invocations: int = 0
    progress: list[dict[str, Any]] = field(default_factory=list)


class World:
    """Use as a context manager; ``run`` and ``run_parallel`` execute requests in it."""

    def __init__(
        self, template: dict[str, Any], scenario: dict[str, Any] | None = None, *, seed: int = 0
    ) -> None:
        scenario = scenario or {}
        if not isinstance(scenario, dict):
            raise ScenarioError("the scenario must be a JSON object")
        unknown = set(scenario) - set(SCENARIO_KEYS)
        if unknown:
            raise ScenarioError(f"unknown scenario keys: {', '.join(sorted(unknown))}")
        self.template = template
        self.scenario = scenario
        self.seed = seed
        self.clock = VirtualClock(start=float(int(time.time())))
        self.log = CallLog()
        self.machines = state_machines(template)
        self._stack = ExitStack()
        self._names = itertools.count(1)
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self.sns: list[dict[str, Any]] = []
        #: Events the simulated services put on the default bus, and deliveries that failed.
        self.service_events: list[dict[str, Any]] = []
        self.delivery_failures: list[dict[str, Any]] = []
        from endpointctl.sim.aml import AmlEmulator
        from endpointctl.sim.neptune import NeptuneEmulator
        from endpointctl.sim.sagemaker import SageMakerSim

        self.sagemaker = SageMakerSim(scenario.get("sagemaker") or {}, self.clock, self.log)
        self.aml = AmlEmulator(scenario.get("aml") or {}, self.clock, self.log)
        self.neptune = NeptuneEmulator(scenario.get("neptune") or {}, self.clock, self.log)

    # -- setup ----------------------------------------------------------------------------------
    def __enter__(self) -> World:
        stack = self._stack
        try:
            self._enter(stack)
        except BaseException:
            stack.close()
            raise
        return self

    def _enter(self, stack: ExitStack) -> None:
        from moto import mock_aws

        for emulator in (self.aml, self.neptune):
            emulator.start()
            stack.callback(emulator.stop)
        endpoints = {
            "AWS_ENDPOINT_URL_MACHINE_LEARNING": self.aml.url,
            "AWS_ENDPOINT_URL_NEPTUNEDATA": self.neptune.url,
        }
        stack.enter_context(mock.patch.dict(os.environ, {**HANDLER_ENV, **endpoints}))
        if not os.environ.get("ENDPOINTCTL_VERBOSE"):
            # moto logs every failed state (our failure paths are expected); warnings go too.
            for name in ("moto", "botocore", "aws_lambda_powertools"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
        root = Path(__file__).resolve().parent.parent
        functions = str(root / "functions")
        if functions not in sys.path:
            sys.path.insert(0, functions)
        random.seed(self.seed)
        stack.enter_context(
            mock_aws(
                config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
            )
        )
        self._serialize_moto(stack)
        self._install_time(stack)
        self._install_lambda(stack)
        self._install_recorders(stack)
        self._install_execution_header(stack)
        self.sagemaker.install(stack)

        from controller import aws, clock

        aws.reset()
        clock.use(self.clock.now)
        stack.callback(clock.use, None)
        stack.callback(aws.reset)
        self._deploy()
        self.sagemaker.seed()
        self.sagemaker.publish = self.deliver

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _serialize_moto(self, stack: ExitStack) -> None:
        """moto's backends are not thread-safe: answer one mocked request at a time.

        Concurrent executions still interleave everywhere else (handlers, the interpreter, the
        emulators); only moto's request handling is serialized, as a real service would be atomic.
        """
        from moto.core.botocore_stubber import BotocoreStubber

        lock = threading.RLock()
        original = BotocoreStubber.__call__

        def call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            with lock:
                return original(stubber, event_name, request, **kwargs)

        stack.enter_context(mock.patch.object(BotocoreStubber, "__call__", call))

    def _install_time(self, stack: ExitStack) -> None:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

        clock = self.clock

        def wait_interval(_self: Any, env: Any, wait_seconds: float) -> None:
            if env.is_running():  # a stopped execution must not keep the clock (or the world) busy
                clock.sleep(wait_seconds)

        stack.enter_context(mock.patch.object(wait_function.WaitFunction, "_wait_interval", wait_interval))
        stack.callback(clock.close)  # executions stopped by the runner do not outlive their world

        class _Time:
            sleep = staticmethod(clock.sleep)
            time = staticmethod(time.time)

        stack.enter_context(mock.patch.object(retrier_decl, "time", _Time))
        self._install_task_tokens(stack)

    def _install_task_tokens(self, stack: ExitStack) -> None:
        """``.waitForTaskToken`` waits on the virtual clock: until the token is resumed (which wakes
        the waiter at once) or the task's timeout passes in virtual time."""
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

        clock = self.clock
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

    def _install_lambda(self, stack: ExitStack) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

        world = self

        def invoke_direct(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
            # The interpreter's Lambda tasks call the handler straight away: the same payloads and
            # error contract as moto's Lambda API, without an HTTP round trip per step.
            headers: dict[str, str] = {}
            body = world._invoke(str(parameters["FunctionName"]), parameters.get("Payload"), headers)
            response: dict[str, Any] = {"StatusCode": 200, "Payload": json.loads(body)}
            if "x-amz-function-error" in headers:
                response["FunctionError"] = headers["x-amz-function-error"]
            return response

        stack.enter_context(mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke_direct))

        def invoke(
            backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            return world._invoke(function_name, body, response_headers)

        stack.enter_context(mock.patch.object(LambdaSimpleBackend, "invoke", invoke))

    def _invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        event = json.loads(body or "{}")
        state = event.get("state") if isinstance(event.get("state"), dict) else {}
        execution = state.get("executionArn") or (event.get("execution") or {}).get("Id")
        run = self._runs.get(str(execution))
        if run is not None:
            with self._lock:
                run.invocations += 1
        delivery = None
        if execution is None and "detail-type" in event:
            # An event delivery: its calls belong to the execution it resumes, if any.
            execution = delivery = f"event:{event.get('id') or uuid.uuid4()}:{uuid.uuid4().hex[:6]}"
        self.log.execution = execution
        from controller import handlers

        try:
            result = handlers.handler(event, Context(function_name=function_name.rsplit(":", 1)[-1]))
        except Exception as exc:  # the Lambda runtime's error payload
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            return json.dumps(payload).encode()
        finally:
            self.log.execution = None
        if delivery is not None:
            resumed = result.get("resumed") if isinstance(result, dict) else None
            self.log.reassign(delivery, str(resumed) if resumed else None)
            run = self._runs.get(str(resumed))
            if run is not None:  # a state-change event resumed this execution
                with self._lock:
                    run.invocations += 1
        if run is not None and isinstance(result, dict):
            run.progress.append(
                {"step": event.get("step", "resume"), "at": self.clock.now(), "state": result}
            )
        return json.dumps(result).encode()

    # -- the default bus: service events to the synthesized rules ------------------------------
    def deliver(self, event: dict[str, Any]) -> None:
        """Put a service's event on the default bus: every synthesized rule of that bus whose
        pattern matches sends it to its targets (Lambda functions run the real handler)."""
        from moto.events.models import EventPattern

        self.service_events.append(event)
        for rule in self._default_bus_rules:
            if not EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event):
                continue
            for target in rule.get("Targets", []):
                arn = str(self._resolve(target["Arn"]))
                if ":lambda:" in arn:
                    self._deliver_to_function(arn, event)

    def _deliver_to_function(self, arn: str, event: dict[str, Any], attempt: int = 0) -> None:
        """EventBridge invokes a Lambda target asynchronously: a function error is retried twice,
        1 and 2 minutes later (Lambda's async retries), then the event is given up."""
        headers: dict[str, str] = {}
        self._invoke(arn.rsplit(":", 1)[-1], json.dumps(event), headers)
        if "x-amz-function-error" not in headers:
            return
        if attempt < ASYNC_RETRIES:
            later = self.clock.now() + 60 * (attempt + 1)
            self.clock.call_at(later, lambda: self._deliver_to_function(arn, event, attempt + 1))
        else:
            self.delivery_failures.append({"event": event, "target": arn})

    def _install_execution_header(self, stack: ExitStack) -> None:
        """Tell the emulators which execution calls: they answer on their own threads."""
        import boto3

        from endpointctl.sim.aml import EXECUTION_HEADER

        boto3.setup_default_session()
        log = self.log

        def tag(request: Any, **kwargs: Any) -> None:
            if log.execution:
                request.headers[EXECUTION_HEADER] = log.execution

        session = boto3.DEFAULT_SESSION
        assert session is not None
        for service in ("machine-learning", "neptunedata"):
            session.events.register(f"request-created.{service}", tag)
        stack.callback(boto3.setup_default_session)

    def _install_recorders(self, stack: ExitStack) -> None:
        from moto.events.models import EventsBackend
        from moto.sns.models import SNSBackend

        world = self
        original_put = EventsBackend.put_events
        original_publish = SNSBackend.publish

        def put_events(backend: Any, events: list[dict[str, Any]]) -> Any:
            for entry in events:
                detail = entry.get("Detail")
                world.events.append(
                    {
                        "source": entry.get("Source"),
                        "detail-type": entry.get("DetailType"),
                        "detail": json.loads(detail) if isinstance(detail, str) else detail,
                        "bus": entry.get("EventBusName"),
                    }
                )
            return original_put(backend, events)

        def publish(backend: Any, message: str, *args: Any, **kwargs: Any) -> Any:
            try:
                body = json.loads(message)
            except ValueError:
                body = message
            world.sns.append({"subject": kwargs.get("subject"), "message": body})
            return original_publish(backend, message, *args, **kwargs)

        stack.enter_context(mock.patch.object(EventsBackend, "put_events", put_events))
        stack.enter_context(mock.patch.object(SNSBackend, "publish", publish))

    def _deploy(self) -> None:
        """Create the template's functions, bus and topic in moto; resolve the definitions."""
        import boto3

        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="endpointctl-local", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        refs: dict[str, Any] = {}
        attributes: dict[tuple[str, str], Any] = {}
        lam = boto3.client("lambda", region_name=REGION)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "# the runner calls the real handler in-process\n")
        for lid, res in resources(self.template, "AWS::Lambda::Function").items():
            arn = lam.create_function(
                FunctionName=lid[:64],
                Runtime="python3.12",
                Role=role,
                Handler=res["Properties"].get("Handler", "index.handler"),
                Code={"ZipFile": code.getvalue()},
            )["FunctionArn"]
            refs[lid] = lid[:64]
            attributes[(lid, "Arn")] = arn
        resolve = Resolver(refs, attributes)  # reads refs as they are added below
        self._resolve = resolve
        self._default_bus_rules = [
            res["Properties"]
            for res in resources(self.template, "AWS::Events::Rule").values()
            if "EventBusName" not in res["Properties"] and res["Properties"].get("State") != "DISABLED"
        ]
        events = boto3.client("events", region_name=REGION)
        for lid, res in resources(self.template, "AWS::Events::EventBus").items():
            name = resolve(res["Properties"]["Name"])
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            refs[lid], attributes[(lid, "Arn")], attributes[(lid, "Name")] = name, arn, name
        sns = boto3.client("sns", region_name=REGION)
        for lid in resources(self.template, "AWS::SNS::Topic"):
            arn = sns.create_topic(Name=lid)["TopicArn"]
            refs[lid], attributes[(lid, "TopicArn")], attributes[(lid, "TopicName")] = arn, arn, lid
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for lid, res in resources(self.template, "AWS::DynamoDB::Table").items():
            properties = res["Properties"]
            dynamodb.create_table(
                TableName=lid,
                KeySchema=properties["KeySchema"],
                AttributeDefinitions=properties["AttributeDefinitions"],
                BillingMode="PAY_PER_REQUEST",
            )
            refs[lid] = lid
            os.environ["IDEMPOTENCY_TABLE"] = lid  # moto does not apply the functions' Environment
        sfn = boto3.client("stepfunctions", region_name=REGION)
        self.sfn = sfn
        self.arns: dict[str, str] = {}
        for endpoint_type, spec in self.machines.items():
            definition = resolve(spec.definition)
            self.arns[endpoint_type] = sfn.create_state_machine(
                name=spec.logical_id, definition=definition, roleArn=role
            )["stateMachineArn"]

    # -- running --------------------------------------------------------------------------------
    def machine_for(self, request: Any) -> str:
        """The state machine a request goes to: its type's, else (to be rejected) the first."""
        document = (
            request.get("detail") if isinstance(request, dict) and "detail-type" in request else request
        )
        endpoint_type = document.get("endpointType") if isinstance(document, dict) else None
        if endpoint_type in self.arns:
            return self.arns[endpoint_type]
        return next(iter(self.arns.values()))

    def start(self, request: Any, *, registered: bool = False) -> Run:
        """Start one execution (``registered``: the clock already counts it as running)."""
        for sim in (self.sagemaker, self.aml, self.neptune):
            sim.prepare(request)
        name = f"local-{next(self._names)}-{uuid.uuid4().hex[:8]}"
        if not registered:
            self.clock.started()
        started = self.clock.now()
        arn = self.sfn.start_execution(
            stateMachineArn=self.machine_for(request), name=name, input=json.dumps(request)
        )["executionArn"]
        run = Run(request=request, execution_arn=arn, started_at=started)
        self._runs[arn] = run
        return run

    def wait(self, runs: list[Run]) -> None:
        deadline = time.monotonic() + EXECUTION_LIMIT_SECONDS * max(1, len(runs))
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        pending = list(runs)
        while pending:
            for run in list(pending):
                # Asking the backend directly is cheap; an API call per poll would slow the run.
                execution = backend.describe_execution(execution_arn=run.execution_arn)
                if execution.exec_status is not None and execution.exec_status.value != "RUNNING":
                    described = self.sfn.describe_execution(executionArn=run.execution_arn)
                    run.ended_at = self.clock.now()  # before finished(): the clock cannot have moved
                    self.clock.finished()
                    run.status = described["status"]
                    run.output = json.loads(described["output"]) if described.get("output") else None
                    run.error = described.get("error")
                    run.cause = described.get("cause")
                    run.transitions = self._transitions(run.execution_arn)
                    pending.remove(run)
            if pending:
                if time.monotonic() > deadline:
                    # Too slow in real time (e.g. a day of 1-s polls): stop it and say so.
                    for run in pending:
                        cause = f"the local runner stopped it after {EXECUTION_LIMIT_SECONDS} s of wall time"
                        self.sfn.stop_execution(
                            executionArn=run.execution_arn, error="LocalRunnerTimeout", cause=cause
                        )
                        run.ended_at = self.clock.now()
                        self.clock.finished()
                        run.status, run.error, run.cause = "ABORTED", "LocalRunnerTimeout", cause
                        run.transitions = self._transitions(run.execution_arn)
                    return
                time.sleep(0.005)

    def _transitions(self, arn: str) -> int:
        """Billed transitions: entered states plus retries of a state (each billed again)."""
        entered = scheduled_extra = 0
        open_state_tasks = 0
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            for event in page["events"]:
                kind = event["type"]
                if "stateEnteredEventDetails" in event:
                    entered += 1
                    open_state_tasks = 0
                elif kind in ("LambdaFunctionScheduled", "TaskScheduled"):
                    open_state_tasks += 1
                    if open_state_tasks > 1:
                        scheduled_extra += 1
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
        return entered + scheduled_extra

    def result(self, run: Run) -> dict[str, Any]:
        """The ``--json`` object of CONTRACT §3 for one run."""
        arn = run.execution_arn
        events = [
            {k: v for k, v in e.items() if k != "bus"}
            for e in self.events
            if isinstance(e.get("detail"), dict) and e["detail"].get("executionArn") == arn
        ]
        sns = [
            m
            for m in self.sns
            if isinstance(m.get("message"), dict) and m["message"].get("executionArn") == arn
        ]
        terminal = (
            self.sagemaker.terminal_times(arn)
            or self.aml.fleet.terminal_times(arn)
            or self.neptune.fleet.terminal_times(arn)
        )
        return {
            "status": run.status,
            "output": run.output,
            "error": run.error,
            "cause": run.cause,
            "notifications": {"events": events, "sns": sns},
            "calls": self.log.calls(arn),
            "stateTransitions": run.transitions,
            "lambdaInvocations": run.invocations,
            "virtualSeconds": _seconds((run.ended_at or self.clock.now()) - run.started_at),
            "readyAfterSeconds": _seconds(min(terminal) - run.started_at) if terminal else None,
            "remaining": self.remaining(),
        }

    def remaining(self) -> dict[str, Any]:
        return {
            "sagemaker": self.sagemaker.remaining(),
            "aml": self.aml.remaining(),
            "neptune": self.neptune.remaining(),
        }

    def run(self, requests: list[Any]) -> list[dict[str, Any]]:
        """Run ``requests`` one after another; each result shows the world after it."""
        results = []
        for request in requests:
            run = self.start(request)
            self.wait([run])
            results.append(self.result(run))
        return results

    def run_parallel(self, requests: list[Any]) -> list[dict[str, Any]]:
        """Start ``requests`` together; each result shows the world at the end."""
        for _ in requests:  # all count as running before any starts: none races ahead in time
            self.clock.started()
        runs = [self.start(request, registered=True) for request in requests]
        self.wait(runs)
        return [self.result(run) for run in runs]


def _seconds(value: float) -> float | int:
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


@contextlib.contextmanager
def quiet_stdout() -> Any:
    """Handlers log and emit metrics on stdout; keep it for the runner's own output."""
    with contextlib.redirect_stdout(sys.stderr if os.environ.get("ENDPOINTCTL_VERBOSE") else io.StringIO()):
        yield
