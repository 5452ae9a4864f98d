"""What a function invoked asynchronously could not handle is kept: the on-failure destination of
every function the stack's rules invoke (a type's state-change resume, its executions-ended
clean-up and its sweep).

EventBridge hands such an event to Lambda, which invokes the function asynchronously: "If the
function returns an error, by default Lambda attempts to run it two more times", and an event that
fails every attempt (or waits past its maximum age, six hours by default) is discarded unless the
function has an on-failure destination or a dead-letter queue
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). The rules'
own dead-letter queue does not catch these: it holds what EventBridge could not hand to Lambda (a
missing permission, throttling), not what the function failed on once Lambda took it
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). Without a destination,
an "execution ended" event whose clean-up fails three times is dropped, and what that execution
created waits for a sweep to notice it.

So each function gets an asynchronous-invocation configuration (Lambda's default two retries and
six hours, said explicitly) whose on-failure destination is this queue: Lambda sends it the
invocation record, the event and the error together ("Capturing records of Lambda asynchronous
invocations", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html),
with the function's execution role, which may send to this queue and use the stack's key only
through SQS. The queue is apart from the rules' dead-letter queue: its messages are Lambda's
records, not EventBridge's events, and they are redriven differently (docs/runbook.md).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag

#: Lambda's own defaults for an asynchronous invocation, stated so the template says them.
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(6)


class FailedInvocations(Construct):
    """The queue, and :meth:`keep_for` each function the rules invoke."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        nag.ack(
            self.queue,
            "SQS3",
            "This queue is itself the on-failure destination of the functions' asynchronous "
            "invocations (Lambda's records of events that failed every attempt); a dead-letter queue "
            "of it would only move the problem.",
        )

    def keep_for(self, title: str, function: lambda_.Function) -> None:
        """Events ``function`` fails on, after Lambda's retries, go to the queue."""
        region = Stack.of(self).region
        # The record is sent with the function's role: SendMessage on the queue, and the queue's key
        # only through SQS ("Configure KMS permissions for producers",
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="RecordFailedInvocations", actions=["sqs:SendMessage"], resources=[self.queue.queue_arn]
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="FailedInvocationsKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self._key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
            )
        )
        # Lambda checks the role may send to the destination when the configuration is made: it
        # names the function, which CloudFormation creates after its role's policy.
        lambda_.CfnEventInvokeConfig(
            self,
            title,
            function_name=function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=int(MAX_EVENT_AGE.to_seconds()),
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=self.queue.queue_arn)
            ),
        )
