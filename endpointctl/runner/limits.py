"""Step Functions' limits, enforced in the runner as AWS enforces them (moto enforces none).

- **History**: "Step Functions has a hard quota of 25,000 entries in the execution event history.
  When an execution reaches 24,999 events, it waits for the next event to happen. If the event
  number 25,000 is ExecutionSucceeded, the execution finishes successfully. If [it] isn't
  ExecutionSucceeded, the ExecutionFailed event is logged and the state machine execution fails"
  (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). The cause reads
  "The execution reached the maximum number of history events (25000)."
  (https://cloudonaut.io/step-functions-pitfall-maximum-number-of-history-events/).
- **Payloads**: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a
  UTF-8 encoded string", for "input data when scheduling a task, entering a state, or starting an
  execution" and for task, state or execution output
  (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); every history
  event's ``input``/``output`` has "Maximum length of 262144" (API reference, e.g.
  ``LambdaFunctionSucceededEventDetails``). Exceeding it raises ``States.DataLimitExceeded``, a
  terminal error that ``States.ALL`` does not catch
  (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
- **Stops and timeouts**: ``StopExecution`` and the state machine's own ``TimeoutSeconds`` end
  the execution at once; no ``Catch`` runs. The runner stops (``abortAtSeconds``) and times out
  executions in virtual time, and wakes whatever of theirs is waiting.

Neither limit can be caught: the execution fails as it stands, with no notification and no
rollback, exactly the failure the controller must avoid by design.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from unittest import mock

HISTORY_EVENTS = 25_000
PAYLOAD_BYTES = 262_144
HISTORY_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_EVENTS})."

#: History event details whose payload counts, and what the payload is.
_PAYLOADS = {
    "stateEnteredEventDetails": ("input", "the input of state"),
    "stateExitedEventDetails": ("output", "the output of state"),
    "lambdaFunctionScheduledEventDetails": ("input", "the input of a Lambda task"),
    "lambdaFunctionSucceededEventDetails": ("output", "the result of a Lambda task"),
    "taskScheduledEventDetails": ("parameters", "the parameters of a task"),
    "taskSucceededEventDetails": ("output", "the result of a task"),
    "executionSucceededEventDetails": ("output", "the output of the execution"),
}


@dataclass(frozen=True)
class LimitFailure:
    """Why the runner failed an execution as AWS would."""

    error: str
    cause: str


def payload_problem(details: dict[str, Any]) -> str | None:
    """Which payload of a history event exceeds 256 KiB, if any."""
    for key, (field, what) in _PAYLOADS.items():
        body = details.get(key)
        if not isinstance(body, dict):
            continue
        text = body.get(field)
        if not isinstance(text, str):
            continue
        size = len(text.encode("utf-8"))
        if size > PAYLOAD_BYTES:
            name = body.get("name") or body.get("resource") or ""
            return (
                f"{what} {name!r} is {size} bytes, more than the {PAYLOAD_BYTES} the service allows".replace(
                    " ''", ""
                )
            )
    return None


def input_problem(document: Any) -> str | None:
    """StartExecution refuses an input over 256 KiB (``input``: "Maximum length of 262144")."""
    size = len(json.dumps(document).encode("utf-8"))
    if size > PAYLOAD_BYTES:
        return f"the execution input is {size} bytes, more than the {PAYLOAD_BYTES} StartExecution accepts"
    return None


class Limits:
    """The executions' environments by ARN, and the failures the limits caused."""

    def __init__(self) -> None:
        self.envs: dict[str, Any] = {}
        self.failures: dict[str, LimitFailure] = {}
        #: Executions whose ExecutionFailed event is written.
        self.logged: set[str] = set()
        self._lock = threading.Lock()

    def install(self, stack: ExitStack) -> None:
        from moto.stepfunctions.parser.api import HistoryEventType
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
        from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

        limits = self
        make_env = ExecutionWorker._get_evaluation_environment
        add_event = EventManager.add_event
        succeeded, failed = HistoryEventType.ExecutionSucceeded, HistoryEventType.ExecutionFailed

        def evaluation_environment(worker: Any) -> Any:
            env = make_env(worker)
            arn = worker._evaluation_details.execution_details.arn
            env.event_manager._endpointctl_arn = arn
            with limits._lock:
                limits.envs[arn] = env
            return env

        def add(
            manager: Any, context: Any, event_type: Any, event_details: Any = None, *args: Any, **kwargs: Any
        ) -> Any:
            arn = getattr(manager, "_endpointctl_arn", None)
            if arn is None:
                return add_event(manager, context, event_type, event_details, *args, **kwargs)
            failure = limits.failures.get(arn)
            if failure is None and len(manager._history_event_list) >= HISTORY_EVENTS - 1:
                if event_type != succeeded:
                    failure = limits.fail(arn, LimitFailure("States.Runtime", HISTORY_CAUSE))
            elif failure is None and event_details and (problem := payload_problem(event_details)):
                failure = limits.fail(arn, LimitFailure("States.DataLimitExceeded", problem))
            if failure is None:
                return add_event(manager, context, event_type, event_details, *args, **kwargs)
            # A failing execution records nothing more but its one ExecutionFailed event.
            with limits._lock:
                if arn in limits.logged:
                    return context.last_published_event_id
                limits.logged.add(arn)
            details = {"executionFailedEventDetails": {"error": failure.error, "cause": failure.cause}}
            return add_event(manager, context, failed, details, *args, **kwargs)

        stack.enter_context(
            mock.patch.object(ExecutionWorker, "_get_evaluation_environment", evaluation_environment)
        )
        stack.enter_context(mock.patch.object(EventManager, "add_event", add))

    def fail(self, arn: str, failure: LimitFailure) -> LimitFailure:
        """End the execution with ``failure``, uncaught (as the service does)."""
        from moto.stepfunctions.parser.api import ExecutionFailedEventDetails

        with self._lock:
            self.failures.setdefault(arn, failure)
            env = self.envs.get(arn)
        if env is not None:
            ours = ExecutionFailedEventDetails(error=self.failures[arn].error, cause=self.failures[arn].cause)
            set_error = env.set_error
            set_error(ours)
            # The state still evaluating may fail in its own way now; the limit's failure stands.
            env.set_error = lambda error: set_error(ours)
        return self.failures[arn]

    def waiting(self, arn: str) -> list[object]:
        """What an execution may be asleep on in the virtual clock (Wait states, task tokens)."""
        env = self.envs.get(arn)
        if env is None:
            return []
        return [env, *env.callback_pool_manager._pool.values()]

    def end(self, arn: str, how: Callable[[Any], None]) -> bool:
        """End a running execution (``how(env)``: stop it, time it out); ``False`` if it had ended."""
        env = self.envs.get(arn)
        if env is None or not env.is_running():
            return False
        how(env)
        # A task interrupted by the stop fails in its own way now; the execution's end stands.
        env.set_error = lambda error: None
        return True

    def wake(self, arn: str, wake: Callable[[object], None]) -> None:
        """Wake what an ended execution was asleep on, so it ends now, not at its wake-up time."""
        for key in self.waiting(arn):
            wake(key)

    def wake_on_stop(self, stack: ExitStack, wake: Callable[[object], None]) -> None:
        """``StopExecution`` through the API ends the execution at once, as Step Functions does,
        even while it sleeps on the virtual clock (a Wait state, a task token): what it sleeps on is
        woken, as the runner's own stop (``abortAtSeconds``) wakes it."""
        from moto.stepfunctions.parser.backend.execution import Execution

        limits, stop = self, Execution.stop

        def stopped(execution: Any, *args: Any, **kwargs: Any) -> Any:
            answer = stop(execution, *args, **kwargs)
            limits.wake(execution.exec_arn, wake)
            return answer

        stack.enter_context(mock.patch.object(Execution, "stop", stopped))
