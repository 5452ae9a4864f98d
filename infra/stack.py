"""The controller's stack: a bus, a topic, and per endpoint type a function, a lifecycle and a rule."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import Config
from infra.function import controller_function, powertools_layer
from infra.lifecycle import EndpointLifecycle
from infra.permissions import TYPES

REQUEST_DETAIL_TYPE = "Endpoint Request"


class ControllerStack(Stack):
    """Composes the constructs; no logic of its own."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.bus = events.EventBus(self, "Bus", event_bus_name=config.bus_name)
        self.topic = sns.Topic(self, "Notifications", display_name="ml-endpoint-controller outcomes")
        layer = powertools_layer(self, config.powertools_layer_version)

        self.lifecycles: dict[str, EndpointLifecycle] = {}
        for endpoint_type in config.endpoint_types:
            spec = TYPES[endpoint_type]
            name = spec.title
            function = controller_function(
                self,
                f"{name}Function",
                endpoint_type=endpoint_type,
                layer=layer,
                log_retention_days=config.log_retention_days,
                environment=spec.environment(config),
                network=spec.network(self, config),
            )
            spec.grant(function, config)
            lifecycle = EndpointLifecycle(
                self,
                f"{name}Lifecycle",
                endpoint_type=endpoint_type,
                function=function,
                bus=self.bus,
                topic=self.topic,
            )
            events.Rule(
                self,
                f"{name}Requests",
                event_bus=self.bus,
                description=f"Endpoint requests of type {endpoint_type} start its lifecycle",
                event_pattern=events.EventPattern(
                    detail_type=[REQUEST_DETAIL_TYPE], detail={"endpointType": [endpoint_type]}
                ),
                targets=[
                    targets.SfnStateMachine(
                        lifecycle.state_machine,
                        retry_attempts=8,
                        max_event_age=Duration.hours(2),
                    )
                ],
            )
            CfnOutput(self, f"{name}StateMachineArn", value=lifecycle.state_machine.state_machine_arn)
            self.lifecycles[endpoint_type] = lifecycle

        CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        CfnOutput(self, "NotificationTopicArn", value=self.topic.topic_arn)
