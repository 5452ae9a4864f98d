"""The local runner: one simulated AWS account in this process, running requests through the
synthesized state machines.

moto with Step Functions execution on, the project's real handlers called in-process, one
simulator per endpoint type (``endpointctl.sim``), and a virtual clock that every Wait state,
retry, task-token wait, simulated service and deadline check reads.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
import uuid
from contextlib import ExitStack
from typing import Any
from unittest import mock

from controller.request import peek
from endpointctl.diagram import flatten
from endpointctl.errors import UsageError
from endpointctl.runner import heartbeats, lambdas, models, moto_patches, results, scheduler, sessions, warm
from endpointctl.runner.delivery import DefaultBus, execution_status_change
from endpointctl.runner.iam import evaluator, network
from endpointctl.runner.iam.authorizer import Authorizer
from endpointctl.runner.iam.policies import Policies
from endpointctl.runner.invoke import HANDLER_ENV, quiet_libraries
from endpointctl.runner.limits import Limits, input_problem
from endpointctl.runner.results import Run
from endpointctl.runner.scenario import read_scenario
from endpointctl.runner.schedules import ScheduleError
from endpointctl.runner.staging import Staged, stage
from endpointctl.sim import Simulator, logged_services, simulators
from endpointctl.sim.calls import CallLog
from endpointctl.sim.virtual_clock import VirtualClock
from endpointctl.template import ACCOUNT, REGION, state_machines

#: Real seconds one execution may take before the runner stops it (ENDPOINTCTL_WALL_LIMIT overrides).
EXECUTION_LIMIT_SECONDS = float(os.environ.get("ENDPOINTCTL_WALL_LIMIT") or 600)


class LocalRunner:
    """Use as a context manager; ``run`` and ``run_parallel`` execute requests in it."""

    def __init__(
        self, template: dict[str, Any], scenario: dict[str, Any] | None = None, *, seed: int = 0
    ) -> None:
        checked = read_scenario(scenario)
        kinds = simulators()
        self.abort_at = checked.abort_at
        self.template = template
        self.scenario = scenario
        self.seed = seed
        self.clock = VirtualClock(start=float(int(time.time())))
        self.log = CallLog()
        #: One simulator per endpoint type, from the scenario's key of that type.
        self.simulators: dict[str, Simulator] = {
            name: kind(checked.services[name], self.clock, self.log) for name, kind in kinds.items()
        }
        self._stack = ExitStack()
        self._names = itertools.count(1)
        self._runs: dict[str, Run] = {}
        #: Executions a schedule started (an expiry): their notifications belong to their request.
        self.scheduled: set[str] = set()
        self._lock = threading.Lock()
        self.registering = threading.RLock()  # StartExecution → run registered (a task may come first)
        #: The notifications as they were published (EventBridge entries, SNS messages).
        self.events: list[dict[str, Any]] = []
        self.sns: list[dict[str, Any]] = []
        self.bus: DefaultBus | None = None
        self.limits = Limits()
        #: Set whenever an execution of this world ends (``wait`` sleeps on it).
        self.ended = threading.Event()
        #: Executions whose end Step Functions has announced on the default bus.
        self._announced: set[str] = set()
        #: Lambda invocations no run counts (schedules, clean-ups, events that resumed nothing):
        #: ``(function, wall seconds, CPU seconds, what for)``.
        self.other_invocations: list[tuple[str, float, float, str]] = []

    # -- setup ----------------------------------------------------------------------------------
    def __enter__(self) -> LocalRunner:
        try:
            self._enter(self._stack)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _enter(self, stack: ExitStack) -> None:
        warm.defer_moto_imports()  # before moto's interpreter is imported
        import boto3
        from moto import mock_aws

        endpoints: dict[str, str] = {}
        for simulator in self.simulators.values():
            endpoints |= simulator.serve(stack)
        stack.enter_context(mock.patch.dict(os.environ, {**HANDLER_ENV, **endpoints}))
        quiet_libraries(stack, ("moto", "botocore", "aws_lambda_powertools"), every_warning=True)
        random.seed(self.seed)
        models.share(stack)
        stack.enter_context(
            mock_aws(
                config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
            )
        )
        moto_patches.serialize_requests(stack)
        moto_patches.parse_once(stack)
        moto_patches.spare_work(stack)
        moto_patches.signal_ends(stack, self.ended)
        sessions.install(stack)
        moto_patches.virtual_time(stack, self.clock, guard=EXECUTION_LIMIT_SECONDS)
        self.limits.install(stack)
        self.limits.wake_on_stop(stack, self.clock.wake)
        heartbeats.install(stack)  # a waiting task takes a heartbeat, as on AWS
        moto_patches.lambda_in_process(stack, self._invoke, self._authorize_task)
        moto_patches.record_notifications(stack, self.events, self.sns)
        scheduler.install(stack, self)
        boto3.setup_default_session()  # simulators may hook the SDK's default session
        stack.callback(setattr, boto3, "DEFAULT_SESSION", None)  # the next use makes a clean one
        for simulator in self.simulators.values():
            simulator.install(stack)

        from controller import aws, clock

        aws.reset()
        clock.use(self.clock.now)
        stack.callback(clock.use, None)
        stack.callback(aws.reset)
        # First thing on exit: no timer of this world still runs when its clients are forgotten.
        stack.callback(self.clock.drain)
        self.staged: Staged = stage(self.template)
        self.sfn = self.staged.sfn
        self.arns = self.staged.machines
        self.timeouts = {
            arn: flatten(spec.definition).get("TimeoutSeconds")
            for arn, spec in zip(self.arns.values(), state_machines(self.template).values(), strict=True)
        }
        self.authorizer = Authorizer(
            Policies.read(self.template, self.staged.resolve),
            evaluator.shared(),
            lambdas.iam_world(self),
            self.log,
            logged_services(self.simulators.values()),
        )
        self.authorizer.install(stack)
        network.check(self.template, self.staged.resolve, self.authorizer)
        self.bus = DefaultBus(
            self.staged.default_bus_rules,
            self.staged.resolve,
            self._deliver,
            self.clock,
            lambda rule, function: lambdas.events_may_invoke(self, rule, function),
            self.staged.rule_arns,
            self.staged.async_invoke,
            lambda *failed: lambdas.record_failed_invocation(self, *failed),
        )
        try:
            self.bus.start_schedules(self.clock.now())  # the stack is created now
        except ScheduleError as exc:
            raise UsageError(f"the template's schedule: {exc}") from None
        for simulator in self.simulators.values():
            simulator.seed()
            simulator.publish = self.bus.put

    def _deliver(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        """EventBridge invokes a rule's Lambda target (an event, a schedule, a target's ``Input``)."""
        return self._invoke(function_name, body, response_headers, delivered=True)

    def _invoke(
        self, function_name: str, body: Any, response_headers: dict[str, str], *, delivered: bool = False
    ) -> bytes:
        return lambdas.invoke(self, function_name, body, response_headers, delivered=delivered)

    def _authorize_task(self, role: str | None, function: str) -> None:
        lambdas.authorize_task(self, role, function)

    # -- running --------------------------------------------------------------------------------
    def machine_for(self, request: Any) -> str:
        """The state machine a request goes to, as the bus's rules route it: its type's, if the
        stack deploys that type; else (to be refused) the refusals' (``infra/refusals.py``)."""
        document = peek(request)
        endpoint_type = document.get("endpointType") if isinstance(document, dict) else None
        if isinstance(endpoint_type, str) and endpoint_type in self.arns:
            return self.arns[endpoint_type]
        return self.staged.refusals or next(iter(self.arns.values()))

    def prepare(self, request: Any) -> None:
        """The prerequisites ``request`` names exist in every simulated service (unless missing)."""
        for simulator in self.simulators.values():
            simulator.prepare(request)

    def start(self, request: Any, *, registered: bool = False, machine: str | None = None) -> Run:
        """Start one execution (``registered``: the clock already counts it as running;
        ``machine``: on this state machine, as a rule that matched the request would, rather than
        its type's)."""
        problem = input_problem(request)
        if problem is not None:
            raise UsageError(f"a request cannot start: {problem}")
        self.prepare(request)
        name = f"local-{next(self._names)}-{uuid.uuid4().hex[:8]}"
        if not registered:
            self.clock.started()
        # The runner counts as running until the execution's own timers are set: else the
        # execution, asleep at once (a Wait state first), would let the clock jump past them.
        self.clock.started()
        try:
            started = self.clock.now()
            machine = machine or self.machine_for(request)
            with self.registering:
                arn = self.sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(request))[
                    "executionArn"
                ]
                run = Run(request=request, execution_arn=arn, started_at=started)
                self._runs[arn] = run
            self._announce(run, "RUNNING")
            timeout = self.timeouts.get(machine)
            if isinstance(timeout, int | float):
                self.clock.call_at(started + timeout, lambda: self._end(run, "timeout"))
            if self.abort_at is not None:
                self.clock.call_at(started + self.abort_at, lambda: self._end(run, "stop"))
        finally:
            self.clock.finished()
        return run

    def _end(self, run: Run, how: str) -> None:
        """Stop the execution as an operator would (``StopExecution``), or time it out as its
        state machine's ``TimeoutSeconds`` does: at once, with no ``Catch``."""
        import datetime

        def stop(env: Any) -> None:
            moment = datetime.datetime.now(tz=datetime.UTC)
            env.set_stop(stop_date=moment, cause="stopped by the scenario's abortAtSeconds", error=None)

        def time_out(env: Any) -> None:
            env.set_timed_out()

        now = self.clock.now()
        if run.stopped_at is None and self.limits.end(run.execution_arn, stop if how == "stop" else time_out):
            run.stopped_at = now
            self.limits.wake(run.execution_arn, self.clock.wake)

    def wait(self, runs: list[Run]) -> None:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        deadline = time.monotonic() + EXECUTION_LIMIT_SECONDS * max(1, len(runs))
        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        pending = list(runs)
        # The backend's execution objects, looked up once: each poll reads a status attribute
        # (an API call, or even a lookup, per poll would take the GIL from the executions).
        executions = {
            run.execution_arn: backend.describe_execution(execution_arn=run.execution_arn) for run in runs
        }
        while pending:
            self.ended.clear()  # before looking: an end from now on sets it again
            for run in list(pending):
                execution = executions[run.execution_arn]
                if execution.exec_status is not None and execution.exec_status.value != "RUNNING":
                    described = self.sfn.describe_execution(executionArn=run.execution_arn)
                    # Before finished(): the clock cannot have moved since the execution ended.
                    run.ended_at = run.stopped_at if run.stopped_at is not None else self.clock.now()
                    run.status = described["status"]
                    run.output = json.loads(described["output"]) if described.get("output") else None
                    run.error = described.get("error")
                    run.cause = described.get("cause")
                    self._announce(run, run.status, described)
                    self.clock.finished()
                    run.transitions, run.history_events = results.history_counts(run.execution_arn)
                    run.denials = [d for d in self.authorizer.denials if d.execution == run.execution_arn]
                    pending.remove(run)
            if pending:
                if time.monotonic() > deadline:
                    self._stop_too_slow(pending)
                    return
                # Woken by an execution's end; the timeout only guards against a worker that
                # died without reporting one (polling every 5 ms took the GIL from the runs).
                self.ended.wait(0.25)

    def _stop_too_slow(self, pending: list[Run]) -> None:
        """Too slow in real time (e.g. a day of 1-s polls): stop them and say so."""
        cause = f"the local runner stopped it after {EXECUTION_LIMIT_SECONDS} s of wall time"
        for run in pending:
            self.sfn.stop_execution(executionArn=run.execution_arn, error="LocalRunnerTimeout", cause=cause)
            run.ended_at = self.clock.now()
            run.status, run.error, run.cause = "ABORTED", "LocalRunnerTimeout", cause
            self._announce(run, run.status)
            self.clock.finished()
            run.transitions, run.history_events = results.history_counts(run.execution_arn)

    def _announce(self, run: Run, status: str, described: dict[str, Any] | None = None) -> None:
        """Step Functions puts the execution's ``Step Functions Execution Status Change`` on the
        default bus when it starts (``RUNNING``) and once when it ends (at ``run.ended_at``, the
        virtual moment it ended: a stop's or a timeout's moment, else now), delivered on the
        clock (``endpointctl.runner.delivery.execution_status_change`` cites what AWS documents).
        Call it before the run's ``finished()``, while the clock cannot move on."""
        if self.bus is None:
            return
        ended = status != "RUNNING"
        with self._lock:
            if ended and run.execution_arn in self._announced:
                return
            if ended:
                self._announced.add(run.execution_arn)
        if described is None:
            described = self.sfn.describe_execution(executionArn=run.execution_arn)
        at = run.ended_at if ended and run.ended_at is not None else run.started_at
        event = execution_status_change(
            described,
            status=status,
            started=run.started_at,
            stopped=at if ended else None,
            error=run.error if ended else None,
            cause=run.cause if ended else None,
        )
        self.bus.later(at, event)

    def runs(self) -> list[Run]:
        """The requests' runs (not what a schedule started: that speaks for its request)."""
        return [run for arn, run in self._runs.items() if arn not in self.scheduled]

    def result(self, run: Run, *, later: bool = False) -> dict[str, Any]:
        """The ``--json`` object of docs/local-runner.md for one run; ``later``: its notifications also hold
        what the controller published afterwards about its request, outside any run (``--until``)."""
        arn, run.failed_calls = run.execution_arn, self.log.failures(run.execution_arn)
        terminal = next((times for sim in self.simulators.values() if (times := sim.terminal_times(arn))), [])
        return results.result(
            run,
            events=self.events,
            sns=self.sns,
            calls=self.log.calls(arn),
            terminal=terminal,
            now=self.clock.now(),
            remaining=self.remaining(),
            later=results.request_id(run, self.events) if later else None,
            runs=set(self._runs) - self.scheduled,  # a schedule's execution speaks for its request
        )

    def keep_running(self, until: float) -> None:
        """Let the simulated world run on to virtual time ``until`` (its timers and schedules fire),
        after every execution has ended."""
        if until <= self.clock.now():
            return
        self.clock.started()
        try:
            self.clock.sleep(until - self.clock.now())
        finally:
            self.clock.finished()

    def remaining(self) -> dict[str, Any]:
        return {name: simulator.remaining() for name, simulator in self.simulators.items()}

    def run(self, requests: list[Any], *, until: float | None = None) -> list[dict[str, Any]]:
        """Run ``requests`` one after another; each result shows the world after it (with
        ``until``: the world that many virtual seconds after the first started)."""
        begun = self.clock.now()
        found, runs = [], []
        for request in requests:
            self.prepare(request)  # its prerequisites are there before it, not its doing
            before = self.remaining()
            run = self.start(request)
            self.wait([run])
            run.before, run.after = before, self.remaining()
            runs.append(run)
            if until is None:
                found.append(self.result(run))
        if until is None:
            return found
        self.keep_running(begun + until)
        return [self.result(run, later=True) for run in runs]

    def start_together(self, requests: list[Any]) -> list[Run]:
        """Start ``requests`` at one virtual moment: all count as running before any starts, so
        none races ahead in time; ``wait`` for their runs."""
        for _ in requests:
            self.clock.started()
        return [self.start(request, registered=True) for request in requests]

    def run_parallel(self, requests: list[Any], *, until: float | None = None) -> list[dict[str, Any]]:
        """Start ``requests`` together; each result shows the world at the end (or at ``until``)."""
        begun = self.clock.now()
        for request in requests:
            self.prepare(request)
        before = self.remaining()
        runs = self.start_together(requests)
        self.wait(runs)
        for run in runs:  # what appeared meanwhile is theirs together: the world at the end
            run.before, run.together = before, len(runs)
        if until is not None:
            self.keep_running(begun + until)
        return [self.result(run, later=until is not None) for run in runs]
