"""``SendTaskHeartbeat`` as AWS answers it, for a callback task with no ``HeartbeatSeconds``.

AWS: the action is "used by activity workers and Task states using the callback pattern ... to
report to Step Functions that the task represented by the specified taskToken is still making
progress"; it fails only for a token that is invalid (``InvalidToken``), unknown
(``TaskDoesNotExist``) or whose task "has already been closed" or timed out (``TaskTimedOut``),
a stopped execution's included
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html).
``HeartbeatSeconds`` only adds a deadline for the heartbeats; a task without one still waits.

moto answers ``InvalidToken`` to every heartbeat of a task without ``HeartbeatSeconds``, stricter
than AWS: a waiting task then looks closed. Here such a task, still waiting (no outcome yet), takes
the heartbeat; a stopped execution's token still gets moto's ``InvalidToken`` (moto looks only in
running executions), and a task that has its outcome gets it too.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock


def install(stack: ExitStack) -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    heartbeat = CallbackEndpoint.notify_heartbeat

    def notify_heartbeat(endpoint: Any) -> bool:
        if endpoint._heartbeat_endpoint is None:
            return endpoint.get_outcome() is None  # waiting: the heartbeat is taken (and changes nothing)
        return bool(heartbeat(endpoint))

    stack.enter_context(mock.patch.object(CallbackEndpoint, "notify_heartbeat", notify_heartbeat))
