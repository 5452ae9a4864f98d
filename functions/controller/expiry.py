"""Expiry (docs/updates-and-expiry.md): a create with ``options.expiresAfterSeconds`` is deleted that long after
it became ready, and an earlier delete cancels that.

When the endpoint is ready, the controller creates an EventBridge Scheduler one-time schedule
(``at(...)``, UTC, no flexible window, deleted after it runs: ``ActionAfterCompletion: DELETE``)
named after the endpoint's identity, so a delete finds it without a lookup. It lives in the stack's
own schedule group (``EXPIRY_SCHEDULE_GROUP``, which the stack creates, ``infra/expiry.py``): two
stacks in one account name their schedules alike, and each may touch only its own group's. Its target is the
controller's own bus (EventBridge ``PutEvents``, with the deployment's scheduler role): an
``Endpoint Request`` whose source is :data:`SOURCE`, holding an ``action: delete`` of the endpoint.
The type's request rule starts the delete as it starts any request; the delete's validate step
reads the source, announces the outcome under the original request's id, with
``"reason": "expired"``, and runs under a request id of its own (the original's is spent).

Facts: "at(yyyy-mm-ddThh:mm:ss)" one-time schedules, ``ScheduleExpressionTimezone``,
``FlexibleTimeWindow`` ``OFF`` and ``ActionAfterCompletion`` are in the CreateSchedule API
reference (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html);
an EventBridge target's ``EventBridgeParameters`` set ``DetailType`` and ``Source``
(https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EventBridgeParameters.html);
Scheduler assumes the schedule's ``RoleArn`` to call the target, so the caller needs
``iam:PassRole`` on it (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

from botocore.exceptions import ClientError

from controller import aws, catalog, clock

#: The source of the expiry's delete request on the controller's bus.
SOURCE = f"{catalog.CONTROLLER.source}.expiry"
#: The member of the expiry's request that names the request whose endpoint expired.
EXPIRED_REQUEST = "expiredRequestId"
BUS_ARN_VARIABLE = "EXPIRY_BUS_ARN"
ROLE_ARN_VARIABLE = "EXPIRY_ROLE_ARN"
GROUP_VARIABLE = "EXPIRY_SCHEDULE_GROUP"
#: The longest expiry accepted: a year.
MAX_SECONDS = 366 * 86400


def schedule_name(endpoint_type: str, identity: str) -> str:
    """The endpoint's expiry schedule (Scheduler names: 1-64 of ``[0-9a-zA-Z-_.]``)."""
    return f"expire-{endpoint_type}-{hashlib.sha256(identity.encode()).hexdigest()[:40]}"


def request_id(original: str) -> str:
    """The expiry's own request id (the original's is spent on the create)."""
    return "expiry-" + hashlib.sha256(original.encode()).hexdigest()[:40]


def configured() -> bool:
    return all(os.environ.get(name) for name in (BUS_ARN_VARIABLE, ROLE_ARN_VARIABLE, GROUP_VARIABLE))


def group() -> str:
    """The stack's schedule group."""
    return os.environ[GROUP_VARIABLE]


def schedule(
    endpoint_type: str, identity: str, delete_params: dict[str, Any], original: str, seconds: int
) -> str:
    """Schedule the endpoint's delete ``seconds`` from now; the moment, as ISO 8601 UTC."""
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(clock.now() + seconds))
    detail = {
        "endpointType": endpoint_type,
        "action": "delete",
        "params": delete_params,
        "requestId": request_id(original),
        EXPIRED_REQUEST: original,
    }
    request = {
        "Name": schedule_name(endpoint_type, identity),
        "GroupName": group(),
        "ScheduleExpression": f"at({at})",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "Target": {
            "Arn": os.environ[BUS_ARN_VARIABLE],
            "RoleArn": os.environ[ROLE_ARN_VARIABLE],
            "Input": json.dumps(detail),
            "EventBridgeParameters": {"DetailType": catalog.CONTROLLER.request_detail_type, "Source": SOURCE},
        },
    }
    scheduler = aws.client("scheduler")
    try:
        scheduler.create_schedule(**request)
    except ClientError as exc:
        if aws.error_code(exc) != "ConflictException":
            raise
        scheduler.update_schedule(**request)  # a retried step, or the endpoint made again
    return at + "Z"


def cancel(endpoint_type: str, identity: str) -> bool:
    """Remove the endpoint's expiry schedule, if it has one (``True`` when it had)."""
    try:
        aws.client("scheduler").delete_schedule(
            Name=schedule_name(endpoint_type, identity), GroupName=group()
        )
    except ClientError as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            return False
        raise
    return True
