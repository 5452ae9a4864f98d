"""The controller's stack: a bus, a topic, and per endpoint type a function, a lifecycle and a rule.

It composes: the shared resources here, and for each configured endpoint type the same function,
state machine, request rule and alarms, shaped by that type's module (``infra/endpoint_types/``):
its grants, environment, network, poll policy and state-change rule. It names no type. A request
that no deployed type's rule takes is answered by the refusals' state machine (``infra/refusals.py``).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import catalog, quotas
from infra import endpoint_types as registry
from infra.config import Config
from infra.endpoint_types.base import EndpointTypeInfra, StateChangeEvents
from infra.expiry import Expiry
from infra.failures import FailedInvocations
from infra.function import controller_function, powertools_layer
from infra.key import stack_key
from infra.monitoring import Monitoring
from infra.polling import SWEEP_MINUTES, with_overrides
from infra.refusals import RefusalStateMachine
from infra.state_machine import EXECUTION_TIMEOUT, LifecycleStateMachine

#: The detail-type of the requests on the controller's bus.
REQUEST_DETAIL_TYPE: str = catalog.CONTROLLER["requestDetailType"]


class ControllerStack(Stack):
    """Composes the constructs; no logic of its own."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.bus = events.EventBus(self, "Bus", event_bus_name=config.bus_name)
        # The rules name the bus rather than Ref it (same template in AWS; stock moto's
        # CloudFormation, which `endpointctl local deploy` uses, cannot resolve that Ref in a rule).
        self.request_bus = events.EventBus.from_event_bus_name(self, "RequestBus", config.bus_name)
        # One customer-managed key for everything the stack stores (infra/key.py says which AWS
        # services may use it, each only for this account's resources).
        self.key = stack_key(self, "TopicKey")
        self.topic = sns.Topic(
            self,
            "Notifications",
            display_name="ml-endpoint-controller outcomes",
            master_key=self.key,
            enforce_ssl=True,
        )
        if config.notification_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.notification_email))
        layer = powertools_layer(self, config.powertools_layer_version)
        # One claim per requestId (see functions/controller/idempotency.py); expired by TTL.
        self.requests = dynamodb.Table(
            self,
            "Requests",
            partition_key=dynamodb.Attribute(name="requestId", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute="expiresAt",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )

        self.monitoring = Monitoring(self, "Monitoring", key=self.key, alarm_email=config.alarm_email)
        # Events that cannot start an execution (after the rule's retries) are kept here.
        self.dead_letters = sqs.Queue(
            self,
            "RequestDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.monitoring.watch_dead_letters(self.dead_letters)
        # What a function invoked asynchronously by the rules fails on, after Lambda's retries.
        self.failed_invocations = FailedInvocations(self, "FailedInvocations", key=self.key)
        self.monitoring.watch_failed_invocations(self.failed_invocations.queue)

        self.expiry = Expiry(self, "Expiry", bus=self.bus)
        self.lifecycles: dict[str, LifecycleStateMachine] = {}
        self.functions: dict[str, lambda_.Function] = {}
        self.endpoint_types: dict[str, EndpointTypeInfra[Any]] = {}
        for endpoint_type in config.endpoint_types:
            infra = registry.get(endpoint_type)(settings=config.type_settings(endpoint_type))
            self._add_endpoint_type(infra, config=config, layer=layer)

        # A request no type's rule takes (an endpointType that is missing, unknown, or of a type
        # this stack does not deploy) still gets its answer, from a state machine of its own
        # (infra/refusals.py): InvalidRequest naming endpointType, with its notification.
        deployed = list(config.endpoint_types)
        self.refusals = RefusalStateMachine(
            self,
            "Refusals",
            function=self.functions[deployed[0]],
            bus=self.bus,
            topic=self.topic,
            deployed=deployed,
            log_retention_days=config.log_retention_days,
            log_group_name=f"/aws/vendedlogs/states/{config.stack_name}/refusals",
            key=self.key,
        )
        events.Rule(
            self,
            "UnroutableRequests",
            event_bus=self.request_bus,
            description="Endpoint requests of no deployed type: refused as InvalidRequest",
            event_pattern=events.EventPattern(
                detail_type=[REQUEST_DETAIL_TYPE],
                detail={
                    "$or": [
                        {"endpointType": [{"anything-but": deployed}]},
                        {"endpointType": [{"exists": False}]},
                    ]
                },
            ),
            targets=[self._request_target(self.refusals.state_machine)],
        )
        CfnOutput(self, "RefusalsStateMachineArn", value=self.refusals.state_machine.state_machine_arn)

        for rule in self.node.children:
            if isinstance(rule, events.Rule):
                rule.node.add_dependency(self.bus)
        CfnOutput(self, "EventBusName", value=config.bus_name)
        CfnOutput(self, "NotificationTopicArn", value=self.topic.topic_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.dead_letters.queue_url)
        CfnOutput(self, "FailedInvocationsQueueUrl", value=self.failed_invocations.queue.queue_url)

    def _add_endpoint_type(
        self, infra: EndpointTypeInfra[Any], *, config: Config, layer: lambda_.ILayerVersion
    ) -> None:
        """The type's function, lifecycle, request rule, outputs and alarms."""
        endpoint_type, name = infra.name, infra.title
        changes = infra.state_changes
        function = controller_function(
            self,
            f"{name}Function",
            endpoint_type=endpoint_type,
            layer=layer,
            log_retention_days=config.log_retention_days,
            key=self.key,
            environment={
                catalog.REQUESTS_TABLE_VARIABLE: self.requests.table_name,
                # Named, like the rules' bus: stock moto's CloudFormation resolves a Ref to the
                # bus in an environment to the bus object, which then fails ListFunctions.
                catalog.BUS_VARIABLE: config.bus_name,
                catalog.TOPIC_VARIABLE: self.topic.topic_arn,
                **infra.environment(),
            },
            network=infra.network(self),
        )
        infra.grant(function)
        if infra.instance_quotas:
            quotas.apply(function, enabled=config.quota_check)
        self.expiry.grant(function, endpoint_type)
        # The rules below invoke it asynchronously (clean-ups, sweeps, state changes).
        self.failed_invocations.keep_for(name, function)
        self.monitoring.watch_function(title=name, endpoint_type=endpoint_type, function=function)
        # Claims, outcomes and parked task tokens: single items only, no scans or queries.
        self.requests.grant(
            function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )
        # The table is encrypted with the stack's key: DynamoDB uses it on the caller's behalf
        # (kms:ViaService), and only there ("Using a customer managed key" in
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="RequestsTableKey",
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{self.region}.amazonaws.com"}},
            )
        )
        # A clean-up publishes the notification its execution never did (functions/controller/notify.py):
        # on the bus, and on the topic, whose key SNS uses on the function's behalf.
        self.bus.grant_put_events_to(function)
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="PublishNotifications", actions=["sns:Publish"], resources=[self.topic.topic_arn]
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="NotificationTopicKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"}},
            )
        )
        defaults = config.type_defaults(endpoint_type)
        unmanaged_role = (
            infra.unmanaged_delete_role(self, function) if config.allow_unmanaged_deletes else None
        )
        lifecycle = LifecycleStateMachine(
            self,
            f"{name}Lifecycle",
            endpoint_type=endpoint_type,
            function=function,
            bus=self.bus,
            topic=self.topic,
            poll=with_overrides(
                infra.poll_policy,
                first_check_seconds=defaults.first_check_seconds,
                max_interval_seconds=config.max_poll_interval_seconds,
            ),
            event_fallback_seconds=config.event_fallback_seconds if changes else None,
            default_timeout_seconds=defaults.timeout_seconds,
            unmanaged_deletes=config.allow_unmanaged_deletes,
            unmanaged_delete_role_arn=unmanaged_role.role_arn if unmanaged_role else None,
            log_retention_days=config.log_retention_days,
            log_group_name=f"/aws/vendedlogs/states/{config.stack_name}/{endpoint_type}",
            key=self.key,
            deployed=config.endpoint_types,
        )
        # The SnsPublish tasks name the topic; publishing to an encrypted topic needs its key.
        self.key.grant(lifecycle.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
        if changes is not None:
            self._resume_on_state_changes(name, changes, function, lifecycle)
        self._clean_up_after_executions(name, endpoint_type, function, lifecycle)
        events.Rule(
            self,
            f"{name}Requests",
            event_bus=self.request_bus,
            description=f"Endpoint requests of type {endpoint_type} start its lifecycle",
            event_pattern=events.EventPattern(
                detail_type=[REQUEST_DETAIL_TYPE], detail={"endpointType": [endpoint_type]}
            ),
            targets=[self._request_target(lifecycle.state_machine)],
        )
        CfnOutput(self, f"{name}StateMachineArn", value=lifecycle.state_machine.state_machine_arn)
        self.monitoring.watch_lifecycle(
            title=name, endpoint_type=endpoint_type, state_machine=lifecycle.state_machine
        )
        self.lifecycles[endpoint_type] = lifecycle
        self.functions[endpoint_type] = function
        self.endpoint_types[endpoint_type] = infra

    def _request_target(self, machine: sfn.IStateMachine) -> targets.SfnStateMachine:
        """Start ``machine``; retried for 2 hours, then kept in the dead-letter queue."""
        return targets.SfnStateMachine(
            machine, retry_attempts=8, max_event_age=Duration.hours(2), dead_letter_queue=self.dead_letters
        )

    def _clean_up_after_executions(
        self, name: str, endpoint_type: str, function: lambda_.Function, lifecycle: LifecycleStateMachine
    ) -> None:
        """What an execution that ended without its outcome created is removed, and its request
        answered (functions/controller/steps/cleanup.py): its status-change event starts that at
        once, and a schedule carries every clean-up on (and catches an end whose event was lost:
        Step Functions sends them best effort)."""
        function_target = {
            "retry_attempts": 8,
            "max_event_age": Duration.hours(1),
            "dead_letter_queue": self.dead_letters,
        }
        events.Rule(
            self,
            f"{name}ExecutionsEnded",
            description=f"{endpoint_type} executions that ended failed, timed out or stopped: clean up after them",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                    "stateMachineArn": [lifecycle.state_machine.state_machine_arn],
                },
            ),
            targets=[targets.LambdaFunction(function, **function_target)],
        )
        events.Rule(
            self,
            f"{name}Sweep",
            description=f"Carry on the {endpoint_type} clean-ups, and retry what failed rollbacks left",
            schedule=events.Schedule.rate(Duration.minutes(SWEEP_MINUTES)),
            targets=[
                targets.LambdaFunction(
                    function,
                    event=events.RuleTargetInput.from_object(
                        {
                            "step": "sweep",
                            "endpointType": endpoint_type,
                            "sweep": {"executionTimeoutSeconds": int(EXECUTION_TIMEOUT.to_seconds())},
                        }
                    ),
                    **function_target,
                )
            ],
        )

    def _resume_on_state_changes(
        self,
        name: str,
        changes: StateChangeEvents,
        function: lambda_.Function,
        lifecycle: LifecycleStateMachine,
    ) -> None:
        """The service's state-change events (default bus) resume the lifecycle's waiting task: one
        rule for all of the type's detail-types (the type's detail filter says which of them count,
        an ``$or`` where they differ), so each event reaches the function at most once."""
        events.Rule(
            self,
            f"{name}StateChanges",
            description=f"{' and '.join(changes.detail_types)} of the controller's endpoints resume their lifecycle",
            event_pattern=events.EventPattern(
                source=[changes.source],
                detail_type=list(changes.detail_types),
                detail=changes.detail or None,
            ),
            targets=[
                targets.LambdaFunction(
                    function,
                    retry_attempts=8,
                    max_event_age=Duration.hours(1),
                    dead_letter_queue=self.dead_letters,
                )
            ],
        )
        # A policy of its own, not the role's default one: the function must not depend on the
        # state machine that already depends on the function.
        iam.Policy(
            self,
            f"{name}ResumeLifecycle",
            roles=[function.role] if function.role else [],
            statements=[
                iam.PolicyStatement(
                    # SendTaskHeartbeat: whether the waiting task still waits, before a ready
                    # endpoint's outcome is recorded (a stopped execution's is not).
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                    resources=[lifecycle.state_machine.state_machine_arn],
                )
            ],
        )
