"""The served world: one simulated account behind an HTTP endpoint, in real time, in which a stack
deployed with the real CDK CLI runs (``endpointctl local deploy --keep``).

It is the local runner's machinery (``endpointctl.runner``) around moto's backends, but fed by
what CloudFormation created rather than staged from the template, and on the wall clock
(:class:`~endpointctl.served.clock.RealClock`) rather than a virtual one:

- moto with Step Functions execution on and Lambda without Docker (``mock_aws(config=...)``, the
  same settings ``/moto-api/config`` sets on a stock server); the state machines CloudFormation
  creates go to the executing backend (moto's CloudFormation puts them in the plain one, where
  they never run);
- Lambda tasks, Lambda ``Invoke`` calls and EventBridge deliveries run the project's real handler
  in this process (``moto_patches.lambda_in_process``), with the controller's variables of the
  deployed function's ``Environment`` (moto keeps them but does not apply them); its log lines go
  to the function's log group in CloudWatch Logs too (``endpointctl.served.logs``);
- EventBridge delivers to the rules' Step Functions and Lambda targets, schedules fire
  (``endpointctl.served.bus``);
- Step Functions puts its ``Execution Status Change`` events on the default bus, and a stop ends
  an execution at once;
- the simulated endpoint services (``endpointctl.sim``), on the wall clock, with short durations
  by default (:data:`LIVE_DURATIONS`): a create is ready in seconds.

moto's backends are not thread-safe: every request, from HTTP clients or from the handlers in
this process, is answered one at a time under :attr:`ServedWorld.lock`.

It is as strict as the runner (``endpointctl.served.iam``, ``endpointctl.runner.limits``): every
call a function, a state machine's task or EventBridge makes is authorized against the account's
live IAM, and Step Functions' history and payload quotas fail an execution as AWS does. What it
does not do is run on the virtual clock. Its log (deliveries, handlers' output) goes to stderr.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from contextlib import ExitStack
from typing import Any
from unittest import mock

from endpointctl.runner import heartbeats, models, moto_patches, sessions
from endpointctl.runner.delivery import execution_status_change
from endpointctl.runner.invoke import HANDLER_ENV, call_handler, encode, quiet_libraries
from endpointctl.runner.limits import Limits
from endpointctl.runner.scenario import read_scenario
from endpointctl.runner.staging import CONTROLLER_ENV
from endpointctl.served import cloudformation
from endpointctl.served.bus import Bus
from endpointctl.served.clock import RealClock
from endpointctl.served.iam import ServedIam
from endpointctl.served.logs import FunctionLogs
from endpointctl.sim import Simulator, simulators
from endpointctl.sim.calls import CallLog
from endpointctl.template import ACCOUNT, REGION

LOG = logging.getLogger("endpointctl.served")

#: moto's settings for the world (what ``/moto-api/config`` would set on a stock server).
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
#: Simulated durations (seconds of real time) a scenario does not set: each type's create, delete
#: and (where it has them) update takes this long, so a request reaches its end in seconds.
LIVE_DURATIONS = {"createSeconds": 5.0, "deleteSeconds": 3.0}
LIVE_UPDATE_SECONDS = 5.0


def live_scenario(given: dict[str, Any] | None) -> dict[str, Any]:
    """``given`` with :data:`LIVE_DURATIONS` for every type where it sets none (the simulators'
    own defaults are minutes: fine in virtual time, too slow to watch in real time)."""
    scenario = copy.deepcopy(given) if isinstance(given, dict) else {}
    for name, kind in simulators().items():
        part = scenario.setdefault(name, {})
        if not isinstance(part, dict):
            continue  # read_scenario says what is wrong
        fields = kind.Scenario.model_fields
        for key, value in LIVE_DURATIONS.items():
            if key in fields:
                part.setdefault(key, value)
        update = fields.get("update")
        model = getattr(update.annotation, "model_fields", {}) if update is not None else {}
        if "seconds" in model and isinstance(part.setdefault("update", {}), dict):
            part["update"].setdefault("seconds", LIVE_UPDATE_SECONDS)
    return scenario


class ServedWorld:
    """Use as a context manager; :attr:`lock` serializes moto (the HTTP server takes it too)."""

    def __init__(self, scenario: dict[str, Any] | None = None) -> None:
        checked = read_scenario(live_scenario(scenario))
        self.clock = RealClock()
        self.log = CallLog()
        self.simulators: dict[str, Simulator] = {
            name: kind(checked.services[name], self.clock, self.log) for name, kind in simulators().items()
        }
        self.lock = threading.RLock()
        self._stack = ExitStack()
        self._started: set[str] = set()
        self._ended: set[str] = set()
        self._environments: dict[str, dict[str, str]] = {}
        self.bus = Bus(self.lock, self.clock, self.invoke, self._refusal)
        self.limits = Limits()
        self.iam = ServedIam(self)
        self.function_logs = FunctionLogs(self.lock)

    # -- setup ----------------------------------------------------------------------------------
    def __enter__(self) -> ServedWorld:
        try:
            self._enter(self._stack)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _enter(self, stack: ExitStack) -> None:
        import boto3
        from moto import mock_aws

        endpoints: dict[str, str] = {}
        for simulator in self.simulators.values():
            endpoints |= simulator.serve(stack)
        stack.enter_context(mock.patch.dict(os.environ))
        for name in list(os.environ):
            # The handlers' clients reach moto in-process, never this server (or another) over HTTP.
            if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
                del os.environ[name]
        os.environ.update({**HANDLER_ENV, **endpoints})
        quiet_libraries(stack, ("moto", "botocore", "werkzeug"))
        models.share(stack)
        sessions.install(stack)
        stack.enter_context(mock_aws(config=MOTO_CONFIG))
        cloudformation.install(stack)  # the stack's resource types moto's CloudFormation lacks
        self._serialize(stack)
        moto_patches.parse_once(stack)
        moto_patches.memoize_lookups(stack)
        moto_patches.lambda_in_process(stack, self.invoke, self.iam.authorize_task)
        self.function_logs.install(stack)
        self.limits.install(stack)
        heartbeats.install(stack)  # a waiting task takes a heartbeat, as on AWS
        self._executing_state_machines(stack)
        self._executions(stack)
        self.bus.install(stack)
        boto3.setup_default_session()  # simulators may hook the SDK's default session
        stack.callback(setattr, boto3, "DEFAULT_SESSION", None)  # the next use makes a clean one
        self.iam.install(stack)
        for simulator in self.simulators.values():
            simulator.install(stack)
        from controller import aws

        aws.reset()
        stack.callback(aws.reset)
        with self.lock:
            for simulator in self.simulators.values():
                simulator.seed()
                simulator.publish = self.bus.put_on_default_bus
        stack.callback(self.clock.close)

    def _serialize(self, stack: ExitStack) -> None:
        """In-process SDK calls take :attr:`lock`, which the HTTP requests take too."""
        moto_patches.serialize_requests(stack, self.lock)

    def wsgi(self, app: Any) -> Any:
        """moto's WSGI app, answering one request at a time under :attr:`lock`."""
        lock = self.lock

        def locked(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            with lock:
                return list(app(environ, start_response))

        return locked

    @staticmethod
    def _executing_state_machines(stack: ExitStack) -> None:
        """moto's CloudFormation creates, updates and deletes state machines in the plain Step
        Functions backend, which never executes them; here it uses the executing one (the one
        the API answers from when ``execute_state_machine`` is on)."""
        from moto.stepfunctions import models
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        stack.enter_context(
            mock.patch.object(models, "stepfunctions_backends", stepfunctions_parser_backends)
        )

    # -- Lambda ---------------------------------------------------------------------------------
    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        """Run the function's handler with ``body`` (a task, an ``Invoke`` or an event delivery)."""
        if isinstance(body, bytes | bytearray):
            body = body.decode()
        event = json.loads(body) if isinstance(body, str) and body else (body or {})
        name = function_name.rsplit(":", 1)[-1]
        os.environ.update(self._environment(name))  # the same values for every function
        with self.iam.calling_as(name), self.function_logs.invocation(name):
            return encode(call_handler(name, event, response_headers))

    def machine_of_token(self, token: str) -> str | None:
        """The state machine whose execution waits with ``token`` (``None``: no such token)."""
        for arn, env in list(self.limits.envs.items()):
            if env.callback_pool_manager.get(token) is not None:
                return arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        return None

    def _refusal(self, rule: Any, target: dict[str, Any]) -> str | None:
        """Why IAM would not let EventBridge deliver to ``target``: a state machine is started with
        the target's role (``states:StartExecution``); a function is invoked as EventBridge itself,
        which the function's resource policy must allow for this rule."""
        self.iam.refresh()
        authorizer = self.iam.authorizer
        if str(target["Arn"]).split(":")[2] == "states":
            role = target.get("RoleArn")
            denial = (
                authorizer.check(
                    str(role), "stepfunctions", "StartExecution", {"stateMachineArn": target["Arn"]}
                )
                if role
                else "no role"
            )
            return None if denial is None else f"AccessDenied: {getattr(denial, 'message', denial)}"
        context = {"aws:SourceArn": str(rule.arn), "aws:SourceAccount": ACCOUNT}
        if authorizer.service_may(
            "events.amazonaws.com", "lambda:InvokeFunction", str(target["Arn"]), context
        ):
            return None
        return f"AccessDenied: the function's resource policy does not let rule {rule.name} invoke it"

    def _environment(self, name: str) -> dict[str, str]:
        """The controller's variables of the deployed function's ``Environment``."""
        if name not in self._environments:
            from moto.awslambda.utils import get_backend

            try:
                with self.lock:
                    variables = get_backend(ACCOUNT, REGION).get_function(name).environment_vars or {}
            except Exception:  # not a deployed function (yet): nothing to apply
                return {}
            self._environments[name] = {k: str(variables[k]) for k in CONTROLLER_ENV if k in variables}
        return self._environments[name]

    # -- Step Functions -------------------------------------------------------------------------
    def _executions(self, stack: ExitStack) -> None:
        """Each start first makes the prerequisites its request names exist in the simulated
        services (as the runner does), a stop ends the execution at once, and Step Functions
        announces each start and end."""
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        world = self
        original_start = StepFunctionsParserBackend.start_execution
        original_terminated = BaseExecutionWorkerCommunication.terminated

        def start_execution(
            backend: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None, *rest: Any
        ) -> Any:
            world._prepare(execution_input)
            execution = original_start(backend, state_machine_arn, name, execution_input, *rest)
            world._announce(execution, "RUNNING")
            return execution

        def terminated(comm: Any) -> None:
            original_terminated(comm)
            status = getattr(comm.execution.exec_status, "value", None)
            if status:
                world._announce(comm.execution, str(status))

        original_stop = StepFunctionsParserBackend.stop_execution

        def stop_execution(backend: Any, execution_arn: str, *rest: Any) -> Any:
            # A stop ends a task-token wait at once too (moto interrupts only Wait states), and
            # the interrupted task's own failure must not turn ABORTED into FAILED.
            execution = original_stop(backend, execution_arn, *rest)
            env = getattr(getattr(execution, "exec_worker", None), "env", None)
            if env is not None:
                env.set_error = lambda error: None
                for endpoint in list(env.callback_pool_manager._pool.values()):
                    endpoint.interrupt_all()
            return execution

        stack.enter_context(mock.patch.object(StepFunctionsParserBackend, "start_execution", start_execution))
        stack.enter_context(mock.patch.object(StepFunctionsParserBackend, "stop_execution", stop_execution))
        stack.enter_context(mock.patch.object(BaseExecutionWorkerCommunication, "terminated", terminated))

    def _prepare(self, execution_input: Any) -> None:
        try:
            request = json.loads(execution_input) if isinstance(execution_input, str) else execution_input
        except ValueError:
            return  # moto refuses the input itself
        for simulator in self.simulators.values():
            try:
                simulator.prepare(request)
            except Exception:
                LOG.exception("preparing the simulated %s for a request failed", simulator.endpoint_type)

    def _announce(self, execution: Any, status: str) -> None:
        """``Step Functions Execution Status Change`` on the default bus (asynchronously)."""
        arn = str(execution.execution_arn)
        ended = status != "RUNNING"
        seen = self._ended if ended else self._started  # once each (a repeated start is the same)
        if arn in seen:
            return
        seen.add(arn)
        described = dict(execution.to_describe_output())
        started = execution.start_date.timestamp()
        stopped = execution.stop_date.timestamp() if ended and execution.stop_date else None
        event = execution_status_change(
            described,
            status=status,
            started=started,
            stopped=stopped if ended else None,
            error=execution.error if ended else None,
            cause=execution.cause if ended else None,
        )
        threading.Thread(target=self.bus.put_on_default_bus, args=(event,), daemon=True).start()
        LOG.info("execution %s %s", arn.rsplit(":", 1)[-1], status)
