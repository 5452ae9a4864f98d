"""Alarms that tell on-call something needs a person, published to one alarm topic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

#: Where the functions' Powertools metrics land (EMF), with their default dimensions.
NAMESPACE = "MlEndpointController"
SERVICE = "ml-endpoint-controller"


class Monitoring(Construct):
    """The alarm topic and the alarms; lifecycles and queues are added as the stack builds them."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", display_name="ml-endpoint-controller alarms")
        self.alarms: list[cloudwatch.Alarm] = []

    def _alarm(self, name: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
        alarm = metric.create_alarm(
            self,
            name,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def watch_lifecycle(self, title: str, endpoint_type: str, state_machine: sfn.StateMachine) -> None:
        period = Duration.minutes(5)
        self._alarm(
            f"{title}RollbackFailed",
            cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name="RollbackFailed",
                dimensions_map={"service": SERVICE, "EndpointType": endpoint_type},
                statistic="Sum",
                period=period,
            ),
            f"A {endpoint_type} rollback could not finish: resources are left behind (see the "
            "notification's rollback.remaining) and need a person.",
        )
        self._alarm(
            f"{title}ExecutionsFailed",
            state_machine.metric_failed(period=period, statistic="Sum"),
            f"A {endpoint_type} lifecycle execution failed outside the contract's outcomes.",
        )
        self._alarm(
            f"{title}ExecutionsTimedOut",
            state_machine.metric_timed_out(period=period, statistic="Sum"),
            f"A {endpoint_type} lifecycle execution timed out.",
        )

    def watch_dead_letters(self, queue: sqs.Queue) -> None:
        self._alarm(
            "DeadLetters",
            queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            "Endpoint requests could not start an execution; they wait in the dead-letter queue.",
        )
