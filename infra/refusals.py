"""The refusals' state machine: the answer to a request that no deployed type's rule takes.

A request on the bus whose ``endpointType`` is missing, not a string, unknown, or a type this stack
does not deploy (context ``endpointTypes``) matches none of the types' rules; the catch-all rule
(``infra/stack.py``) starts this machine with it, so that it is answered by the stack itself and
not by another type's lifecycle, whose executions, metrics and alarms are that type's:

Reject (the function examines the request and names every broken field: "the aml type is not
deployed in this stack (it deploys: sagemaker; context endpointTypes)") → publish the
``Endpoint Failed`` on the bus and the topic → Failed, ``InvalidRequest``. The same event twice (a
redelivery, or an event that several rules matched) is answered once (``RefusedBefore?``), as in a
lifecycle. Nothing is created, nothing is claimed.

It runs on the first deployed type's function: every type's function runs the same code, and a
refusal needs only what each of them may already do (the requests table, for ``RefusedBefore?``).
It has no lifecycle alarms: each of its executions ends FAILED by design, the requester's error;
its function's errors are alarmed with the function.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.function import retention
from infra.shared_tasks import VENDED_LOGS_PREFIX, RetryPolicy, publishers

#: The step's retries (2 to 60 s apart, six times) and the two publications' retries fit well in this.
TIMEOUT = Duration.minutes(30)


class RefusalStateMachine(Construct):
    """Refuses, with its notification, every request it is started with."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        bus: events.IEventBus,
        topic: sns.ITopic,
        deployed: Sequence[str],
        log_retention_days: int,
        log_group_name: str,
        key: kms.IKey,
    ) -> None:
        """``deployed``: the endpoint types the stack deploys (the refusal names them);
        ``log_group_name``: its execution log group, under ``/aws/vendedlogs/states/`` and unique
        to the stack; ``key``: the stack's customer-managed key, which encrypts it."""
        if not log_group_name.startswith(VENDED_LOGS_PREFIX):
            raise ValueError(
                f"{log_group_name!r}: a state machine's log group goes under {VENDED_LOGS_PREFIX}"
            )
        super().__init__(scope, construct_id)
        self.function = function
        reject = tasks.LambdaInvoke(
            self,
            "Reject",
            lambda_function=function,
            payload=sfn.TaskInput.from_object(
                {
                    "step": "reject",
                    "input": sfn.JsonPath.object_at("$"),
                    "execution": {"Id": sfn.JsonPath.execution_id, "Name": sfn.JsonPath.execution_name},
                    "deployed": list(deployed),
                }
            ),
            payload_response_only=True,
            retry_on_service_exceptions=True,
            task_timeout=sfn.Timeout.duration(Duration.seconds(90)),
        )
        RetryPolicy.apply(reject)
        publish_event, publish_sns = publishers(
            self, "PublishEvent", "PublishNotification", bus=bus, topic=topic
        )
        failed = sfn.Fail(self, "Failed", error_path="$.errorCode", cause_path="$.cause")
        # The same refused event again: the first execution answered it; this one ends the same way.
        reject.next(
            sfn.Choice(self, "RefusedBefore?")
            .when(sfn.Condition.is_present("$.duplicateOf"), failed)
            .otherwise(publish_event)
        )
        publish_sns.next(failed)

        # As a lifecycle's: every state change logged, never the execution data.
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=log_group_name,
            retention=retention(log_retention_days),
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(reject),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=TIMEOUT,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
            comment="ml-endpoint-controller: requests of no deployed endpoint type, refused",
        )
        # The SnsPublish task names the topic; publishing to an encrypted topic needs its key.
        key.grant(self.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
