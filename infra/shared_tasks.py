"""What both state machines are built from (the lifecycle's, ``state_machine.py``, and the
refusals', ``refusals.py``): the retry policy every Lambda task has, the two tasks that publish
one notification (the bus, then the topic), and where their logs go."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra import catalog

#: The source of the controller's own events on its bus.
SOURCE: str = catalog.CONTROLLER["source"]
#: 5xx, timeouts and eventual consistency, as the function reports them.
TRANSIENT = "TransientServiceError"
#: Throttling, as the function reports it (and Lambda's own, at its concurrency limit).
THROTTLED = "ServiceThrottled"
#: Step Functions' log delivery adds each log group it writes to a CloudWatch Logs resource policy,
#: which is limited to 5,120 characters; log groups named under this prefix share one entry of it
#: ("Logging using CloudWatch Logs", https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html;
#: "Enabling logging from AWS services",
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"


class RetryPolicy:
    """Capped exponential backoff with full jitter: 2, 4, 8, 16, 32 s caps (60 s at most), six
    retries after a 5xx; twelve after throttling (caps 2 … 32, then 60 s: about four minutes on
    average, eight at most), since throttling is the service pacing a burst: a thousand requests
    at once queue behind a rate of tens of calls a second for a minute or more
    (``endpointctl bench --scale 1000``; docs/capacity.md)."""

    interval = Duration.seconds(2)
    backoff_rate = 2.0
    max_attempts = 6
    throttled_attempts = 12
    max_delay = Duration.seconds(60)

    @classmethod
    def apply(cls, task: tasks.LambdaInvoke) -> None:
        """Retry throttling, 5xx and eventual consistency (as the function reports them)."""
        task.add_retry(
            errors=[THROTTLED, "Lambda.TooManyRequestsException"],
            interval=cls.interval,
            backoff_rate=cls.backoff_rate,
            max_attempts=cls.throttled_attempts,
            max_delay=cls.max_delay,
            jitter_strategy=sfn.JitterType.FULL,
        )
        task.add_retry(
            errors=[TRANSIENT],
            interval=cls.interval,
            backoff_rate=cls.backoff_rate,
            max_attempts=cls.max_attempts,
            max_delay=cls.max_delay,
            jitter_strategy=sfn.JitterType.FULL,
        )


def publishers(
    scope: Construct,
    event_id: str,
    sns_id: str,
    *,
    bus: events.IEventBus,
    topic: sns.ITopic,
    output_path: str | None = None,
) -> tuple[tasks.EventBridgePutEvents, tasks.SnsPublish]:
    """One notification (``$.detailType``, ``$.subject``, ``$.detail`` of a step's publication):
    the event on the bus, then the same detail on the topic, each retried."""
    publish_event = tasks.EventBridgePutEvents(
        scope,
        event_id,
        entries=[
            tasks.EventBridgePutEventsEntry(
                event_bus=bus,
                source=SOURCE,
                detail_type=sfn.JsonPath.string_at("$.detailType"),
                detail=sfn.TaskInput.from_json_path_at("$.detail"),
            )
        ],
        result_path=sfn.JsonPath.DISCARD,
    )
    publish_sns = tasks.SnsPublish(
        scope,
        sns_id,
        topic=topic,
        subject=sfn.JsonPath.string_at("$.subject"),
        message=sfn.TaskInput.from_json_path_at("$.detail"),
        message_attributes={
            "detailType": tasks.MessageAttribute(value=sfn.JsonPath.string_at("$.detailType"))
        },
        result_path=sfn.JsonPath.DISCARD,
        output_path=output_path,
    )
    for publish in (publish_event, publish_sns):
        publish.add_retry(
            errors=["States.TaskFailed"],
            interval=RetryPolicy.interval,
            backoff_rate=RetryPolicy.backoff_rate,
            max_attempts=3,
            jitter_strategy=sfn.JitterType.FULL,
        )
    publish_event.next(publish_sns)
    return publish_event, publish_sns
