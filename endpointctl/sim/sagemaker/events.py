"""The events the simulated SageMaker publishes, shaped as the documented examples
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
``SageMaker Endpoint State Change`` (upper snake case statuses, tags as a map) and, during an
update, ``SageMaker Endpoint Deployment State Change`` (the same detail with the
``PendingDeploymentSummary`` and each new variant's ``VariantStatus``: ``Creating``,
``ActivatingTraffic``, ``Baking``). "SageMaker AI may send multiple events to EventBridge for each
state change" (same page): the simulator sends each deployment event twice, the copy late."""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

from endpointctl.sim.sagemaker.scenario import EndpointRecord


def modified(endpoint: Any, at: float) -> datetime.datetime:
    """Mark ``endpoint`` (moto's) modified at ``at`` on the virtual clock; the moment, as the API
    shows it (naive UTC, as moto keeps every other time: moto sorts by them)."""
    moment = datetime.datetime.fromtimestamp(at, tz=datetime.UTC).replace(tzinfo=None)
    endpoint.last_modified_time = moment
    return moment


def state_change(
    endpoint: Any, timeline: EndpointRecord, status: str, now: float, failure_reason: str
) -> dict[str, Any]:
    """The event for ``endpoint`` (moto's) reaching ``status`` at ``now``; ``failure_reason``:
    the scenario's, for a creation that failed (an update's own reason is on the endpoint)."""
    created = timeline.create_at if timeline.create_at is not None else now
    detail: dict[str, Any] = {
        "EndpointName": endpoint.endpoint_name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": endpoint.endpoint_config_name,
        "ProductionVariants": [],
        "EndpointStatus": status,
        "CreationTime": int(created * 1000),
        "LastModifiedTime": int(now * 1000),
        # the endpoint's tags as they are now (AddTags since its creation included)
        "Tags": _tags(endpoint, timeline),
    }
    if status == "FAILED" and timeline.update_from is None:
        detail["FailureReason"] = failure_reason
    elif endpoint.failure_reason:
        detail["FailureReason"] = endpoint.failure_reason
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "SageMaker Endpoint State Change",
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "region": "us-east-1",
        "resources": [endpoint.arn],
        "detail": detail,
    }


def _tags(endpoint: Any, timeline: EndpointRecord) -> dict[str, str]:
    live = getattr(endpoint, "tags", None)
    if isinstance(live, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in live if isinstance(t, dict)}
    return dict(timeline.tags or {})


def deployment_change(
    endpoint: Any, timeline: EndpointRecord, variant_status: str, now: float
) -> dict[str, Any]:
    """A ``SageMaker Endpoint Deployment State Change`` of an update in phase ``variant_status``."""
    event = state_change(endpoint, timeline, "UPDATING", now, "")
    event["detail-type"] = "SageMaker Endpoint Deployment State Change"
    event["detail"]["PendingDeploymentSummary"] = {
        "EndpointConfigName": timeline.update_to,
        "StartTime": int((timeline.update_at or now) * 1000),
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "VariantStatus": [{"Status": variant_status, "StartTime": int(now * 1000)}],
            }
        ],
    }
    return event
