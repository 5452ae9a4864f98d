"""Publishing a notification from the function: what the state machine's two publish tasks do
(an event on the controller's bus, then the same detail on its topic), for the notifications no
execution publishes: the ``Endpoint Failed`` of an execution that was stopped, timed out or failed
uncaught, and the ``Endpoint Cleaned Up`` that follows a ``RollbackFailed`` (``steps.cleanup``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from controller import aws, catalog
from controller.errors import TransientServiceError


def publish(publication: dict[str, Any]) -> None:
    """Publish ``publication`` (``controller.outcome.publication``'s result) on the bus, then on
    the topic, as the state machine's ``PublishEvent`` and ``PublishNotification`` tasks do."""
    detail = json.dumps(publication["detail"], separators=(",", ":"))
    answer = aws.client("events").put_events(
        Entries=[
            {
                "Source": catalog.CONTROLLER.source,
                "DetailType": publication["detailType"],
                "Detail": detail,
                "EventBusName": os.environ[catalog.CONTROLLER.bus_variable],
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        failed = answer.get("Entries", [{}])[0]
        raise TransientServiceError(f"PutEvents: {failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
    aws.client("sns").publish(
        TopicArn=os.environ[catalog.CONTROLLER.topic_variable],
        Subject=publication["subject"],
        Message=detail,
        MessageAttributes={"detailType": {"DataType": "String", "StringValue": publication["detailType"]}},
    )
