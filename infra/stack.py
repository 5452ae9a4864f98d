"""The controller's stack: a bus, a topic, and per endpoint type a function, a lifecycle and a rule.

It composes: the shared resources here, and for each configured endpoint type the same function,
state machine, request rule and alarms, shaped by that type's module (``infra/endpoint_types/``):
its grants, environment, network, poll policy and state-change rule. It names no type.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import catalog
from infra import endpoint_types as registry
from infra.config import Config
from infra.endpoint_types.base import EndpointTypeInfra, StateChangeEvents
from infra.function import controller_function, powertools_layer
from infra.monitoring import Monitoring
from infra.polling import with_overrides
from infra.state_machine import LifecycleStateMachine

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
        # One customer-managed key for both topics (outcomes and alarms), rotated yearly.
        self.key = kms.Key(
            self,
            "TopicKey",
            description=f"{config.stack_name}: encrypts the notification and alarm topics",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch alarms publish to the alarm topic: the key must let CloudWatch use it.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
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
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
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
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.monitoring.watch_dead_letters(self.dead_letters)

        self.lifecycles: dict[str, LifecycleStateMachine] = {}
        self.functions: dict[str, lambda_.Function] = {}
        self.endpoint_types: dict[str, EndpointTypeInfra[Any]] = {}
        for endpoint_type in config.endpoint_types:
            infra = registry.get(endpoint_type)(settings=config.type_settings(endpoint_type))
            self._add_endpoint_type(infra, config=config, layer=layer)

        # A request no type's rule takes (unknown or missing endpointType) still gets its answer:
        # the first lifecycle rejects it as InvalidRequest, with a notification, instead of silence.
        first = self.lifecycles[config.endpoint_types[0]].state_machine
        known = list(config.endpoint_types)
        events.Rule(
            self,
            "UnroutableRequests",
            event_bus=self.request_bus,
            description="Endpoint requests of no known type: rejected as InvalidRequest",
            event_pattern=events.EventPattern(
                detail_type=[REQUEST_DETAIL_TYPE],
                detail={
                    "$or": [
                        {"endpointType": [{"anything-but": known}]},
                        {"endpointType": [{"exists": False}]},
                    ]
                },
            ),
            targets=[self._request_target(first)],
        )

        for rule in self.node.children:
            if isinstance(rule, events.Rule):
                rule.node.add_dependency(self.bus)
        CfnOutput(self, "EventBusName", value=config.bus_name)
        CfnOutput(self, "NotificationTopicArn", value=self.topic.topic_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.dead_letters.queue_url)

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
            environment={catalog.REQUESTS_TABLE_VARIABLE: self.requests.table_name, **infra.environment()},
            network=infra.network(self),
        )
        infra.grant(function)
        self.monitoring.watch_function(title=name, endpoint_type=endpoint_type, function=function)
        # Claims, outcomes and parked task tokens: single items only, no scans or queries.
        self.requests.grant(
            function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )
        defaults = config.type_defaults(endpoint_type)
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
            log_retention_days=config.log_retention_days,
        )
        # The SnsPublish tasks name the topic; publishing to an encrypted topic needs its key.
        self.key.grant(lifecycle.state_machine, "kms:Decrypt", "kms:GenerateDataKey")
        if changes is not None:
            self._resume_on_state_changes(name, changes, function, lifecycle)
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

    def _resume_on_state_changes(
        self,
        name: str,
        changes: StateChangeEvents,
        function: lambda_.Function,
        lifecycle: LifecycleStateMachine,
    ) -> None:
        """The service's state-change events (default bus) resume the lifecycle's waiting task."""
        events.Rule(
            self,
            f"{name}StateChanges",
            description=f"{changes.detail_type} of the controller's endpoints resume their lifecycle",
            event_pattern=events.EventPattern(
                source=[changes.source], detail_type=[changes.detail_type], detail=changes.detail or None
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
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                    resources=[lifecycle.state_machine.state_machine_arn],
                )
            ],
        )
