"""The step dispatcher: what the Lambda handler calls, ``{"step": name, ...}`` in, the next state out.

The payload is parsed once, here, into a :class:`~controller.step_event.StepEvent`; an
EventBridge event with no ``step`` is a service's state-change event (``resume``), or the
status-change event of an execution that ended (``steps.cleanup``). Steps:
``validate`` → ``create`` → ``check`` (repeated) or ``await`` (a parked task token, resumed by
``resume`` when the service's event arrives) → published when ready, else ``teardown`` (repeated)
rolls back what was created → ``outcome``; ``action: delete`` goes straight to ``teardown``;
``reject`` answers a request that could not be read; ``replay`` a repeated one; ``sweep`` (a
schedule's) carries on the clean-ups of executions that ended without their outcome.

A raised ``ControllerError`` is the state machine's to catch or retry (a contract code, a
transient error, "not ready yet"): it is counted as ``HandledErrors``, which the Lambda-errors
alarm subtracts from Lambda's ``Errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from controller import metrics
from controller.errors import ControllerError, ProviderError
from controller.step_event import StepEvent
from controller.steps.cleanup import execution_ended, sweep
from controller.steps.conclusion import outcome, replay
from controller.steps.intake import reject, turn, validate
from controller.steps.readiness import await_endpoint, check, create, event_type, resume
from controller.steps.teardown import teardown

logger = Logger(child=True)

STEPS: dict[str, Callable[[StepEvent], dict[str, Any]]] = {
    "validate": validate,
    "reject": reject,
    "create": create,
    "turn": turn,
    "check": check,
    "await": await_endpoint,
    "teardown": teardown,
    "outcome": outcome,
    "replay": replay,
    "sweep": sweep,
}


def run_step(event: dict[str, Any]) -> dict[str, Any]:
    """Run the step the state machine names in ``event["step"]``, or handle a service's event."""
    try:
        return _route(event)
    except ControllerError:
        endpoint_type = event.get("endpointType") or event_type(event)
        metrics.count("HandledErrors", str(endpoint_type) if endpoint_type else None)
        raise


def _route(event: dict[str, Any]) -> dict[str, Any]:
    if "step" not in event and "detail-type" in event:
        if event.get("source") == "aws.states":  # an execution of ours ended (steps.cleanup)
            logger.append_keys(step="cleanup", event_id=event.get("id"))
            return execution_ended(event)
        logger.append_keys(step="resume", event_id=event.get("id"))
        return resume(event)
    step = STEPS.get(str(event.get("step")))
    if step is None:
        raise ProviderError(f"unknown step {event.get('step')!r}")
    parsed = StepEvent.model_validate(event)
    execution_arn = (parsed.state.executionArn if parsed.state else None) or parsed.execution.Id or None
    logger.append_keys(
        step=parsed.step,
        execution_arn=execution_arn,
        request_id=parsed.state.requestId if parsed.state else None,
    )
    logger.set_correlation_id(execution_arn)
    return step(parsed)
