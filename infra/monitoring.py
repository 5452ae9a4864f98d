"""Alarms that tell on-call something needs a person, published to one alarm topic, and the
stack's dashboard (one section per endpoint type). The runbook (docs/runbook.md) says what each means.

It owns the alarms and the dashboard, alike for every endpoint type; the metrics' namespace and
service, and the contract's error codes, come from the catalog (``infra/catalog.py``).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import catalog

#: Where the functions' Powertools metrics land (EMF), with their default dimensions.
NAMESPACE: str = catalog.CONTROLLER["metricsNamespace"]
SERVICE: str = catalog.CONTROLLER["serviceName"]
#: The contract's error codes: the functions count each (``RollbackFailed`` counts rollback failures).
ERROR_CODES: tuple[str, ...] = tuple(catalog.CONTROLLER["errorCodes"])
#: The codes of a refused request (the requester's error): not an on-call matter.
REFUSAL_CODES: tuple[str, ...] = tuple(catalog.CONTROLLER["refusalCodes"])
#: The other EMF metrics of the lifecycle steps (functions/controller/lifecycle.py, handlers.py).
OUTCOMES = ("EndpointReady", "EndpointUpdated", "EndpointFailed", "EndpointDeleted", "Rollbacks")
LOOKS = ("Polls", "ResumedByEvent", "StateChangeEventsIgnored")
TIME_TO_READY = "TimeToReadySeconds"
HANDLED_ERRORS = "HandledErrors"
#: Each sweep counts what rollbacks and clean-ups left that is still there a day later.
LEFTOVERS_OVER_A_DAY = "LeftoversOverADay"
PERIOD = Duration.minutes(5)


#: The dimension naming the stack whose functions counted (controller/metrics.py sets it).
STACK_DIMENSION: str = catalog.STACK_DIMENSION


def emf_metric(name: str, endpoint_type: str, statistic: str = "Sum", *, stack: str) -> cloudwatch.Metric:
    """One of the functions' Powertools metrics, for one endpoint type of one stack: two stacks in
    one account share the namespace and the ``service`` dimension, so without ``StackName`` an
    alarm would read (and a metric math expression subtract) the other stack's counts too."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE, "EndpointType": endpoint_type, STACK_DIMENSION: stack},
        statistic=statistic,
        period=PERIOD,
    )


class Monitoring(Construct):
    """The alarm topic, the alarms and the dashboard; lifecycles, functions and queues are added
    as the stack builds them. No physical names: two stacks deploy side by side."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey | None = None,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="ml-endpoint-controller alarms",
            master_key=key,
            enforce_ssl=True,
        )
        # enforce_ssl gives the topic a policy of its own, which replaces SNS's default one: CloudWatch
        # may then publish only with an Allow of its own, for this account's alarms only ("Amazon
        # CloudWatch doesn't receive SNS notifications for alarm", the error reading "...alarm:NAME
        # is not authorized to perform: SNS:Publish": https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger;
        # confused-deputy conditions: https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
        # The key's policy lets CloudWatch use the key the same way (infra/stack.py).
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                    },
                },
            )
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(12))
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# ml-endpoint-controller ({Stack.of(self).stack_name})\n"
                "Per endpoint type: its state machine's executions, the outcomes and error codes "
                f"its function counts (namespace `{NAMESPACE}`, dimension `{STACK_DIMENSION}` = "
                f"`{Stack.of(self).stack_name}`), its looks at the endpoint, time to ready, and its "
                "function. Alarms go to the alarm topic; see docs/runbook.md.",
                width=24,
                height=2,
            )
        )
        self._sections: set[str] = set()
        self._stack = Stack.of(self).stack_name
        # Its name is CloudFormation's (unique per stack); the output says which it is.
        name = CfnOutput(self, "DashboardName", value=self.dashboard.dashboard_name)
        name.override_logical_id("DashboardName")

    def _emf(self, name: str, endpoint_type: str, statistic: str = "Sum") -> cloudwatch.Metric:
        """One of this stack's functions' metrics (:func:`emf_metric`)."""
        return emf_metric(name, endpoint_type, statistic, stack=self._stack)

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

    def _section(self, title: str, endpoint_type: str) -> None:
        """The heading of an endpoint type's part of the dashboard, once."""
        if endpoint_type in self._sections:
            return
        self._sections.add(endpoint_type)
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown=f"## {title} (`{endpoint_type}`)", width=24, height=1)
        )

    def watch_lifecycle(self, *, title: str, endpoint_type: str, state_machine: sfn.StateMachine) -> None:
        self._alarm(
            f"{title}RollbackFailed",
            self._emf("RollbackFailed", endpoint_type),
            f"[{endpoint_type}] A rollback could not finish: resources are left behind (see the "
            "notification's rollback.remaining) and need a person.",
        )
        self._alarm(
            f"{title}LeftoversOverADay",
            self._emf(LEFTOVERS_OVER_A_DAY, endpoint_type, "Maximum"),
            f"[{endpoint_type}] Something a rollback or clean-up left has still not been removed a day "
            "later: the sweep keeps retrying it (every 6 hours by now) and something keeps refusing "
            "(permissions, a service limit, a resource in a state no delete leaves): see the runbook.",
        )
        failed = state_machine.metric_failed(period=PERIOD, statistic="Sum")
        timed_out = state_machine.metric_timed_out(period=PERIOD, statistic="Sum")
        # A refused request (the requester's error) ends FAILED too; on-call hears of the rest.
        requester_errors = {f"r{i}": self._emf(code, endpoint_type) for i, code in enumerate(REFUSAL_CODES)}
        self._alarm(
            f"{title}ExecutionsFailed",
            cloudwatch.MathExpression(
                expression="failed - " + " - ".join(f"FILL({k}, 0)" for k in requester_errors),
                using_metrics={"failed": failed, **requester_errors},
                label="failed executions, not counting refused requests",
                period=PERIOD,
            ),
            f"[{endpoint_type}] A lifecycle execution failed for a reason other than a refused request "
            "(creation failed, timeout, provider error, rollback failed, or no outcome at all): see the "
            "notification's error.code, or the execution's history if there was none.",
        )
        self._alarm(
            f"{title}ExecutionsTimedOut",
            timed_out,
            f"[{endpoint_type}] A lifecycle execution timed out: it ended without an outcome (the "
            "controller cleans up what it created and sends its Endpoint Failed, ExecutionAborted).",
        )
        self._alarm(
            f"{title}ExecutionsAborted",
            state_machine.metric_aborted(period=PERIOD, statistic="Sum"),
            f"[{endpoint_type}] A lifecycle execution was stopped (StopExecution): the controller cleans "
            "up what it created and sends its Endpoint Failed (ExecutionAborted); check who stopped it.",
        )

        self._section(title, endpoint_type)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=f"{title}: executions",
                left=[
                    state_machine.metric_started(period=PERIOD, statistic="Sum", label="Started"),
                    state_machine.metric_succeeded(period=PERIOD, statistic="Sum", label="Succeeded"),
                    failed.with_(label="Failed"),
                    timed_out.with_(label="Timed out"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title=f"{title}: outcomes",
                left=[self._emf(name, endpoint_type) for name in OUTCOMES],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title=f"{title}: {TIME_TO_READY}",
                left=[
                    self._emf(TIME_TO_READY, endpoint_type, statistic).with_(label=statistic)
                    for statistic in ("p50", "p90", "Maximum")
                ],
                left_y_axis=cloudwatch.YAxisProps(label="seconds", show_units=False),
                width=8,
            ),
            cloudwatch.GraphWidget(
                title=f"{title}: error codes",
                left=[self._emf(code, endpoint_type) for code in ERROR_CODES],
                stacked=True,
                width=12,
            ),
            cloudwatch.GraphWidget(
                title=f"{title}: looks at the endpoint",
                left=[self._emf(name, endpoint_type) for name in LOOKS],
                right=[
                    self._emf(LEFTOVERS_OVER_A_DAY, endpoint_type, "Maximum").with_(
                        label="Leftovers over a day"
                    )
                ],
                width=12,
            ),
        )

    def watch_function(self, *, title: str, endpoint_type: str, function: lambda_.IFunction) -> None:
        """The function's errors: an alarm on those the state machine does not expect (Lambda's
        ``Errors`` minus the ``HandledErrors`` the function counts: contract errors, transient
        errors, "not ready yet"), so bugs, timeouts and crashes; and its part of the dashboard."""
        errors = function.metric_errors(period=PERIOD, statistic="Sum", label="Errors")
        handled = self._emf(HANDLED_ERRORS, endpoint_type).with_(label="Handled by the state machine")
        unexpected = cloudwatch.MathExpression(
            expression="errors - FILL(handled, 0)",
            using_metrics={"errors": errors, "handled": handled},
            label="Unexpected errors",
            period=PERIOD,
        )
        self._alarm(
            f"{title}FunctionErrors",
            unexpected,
            f"[{endpoint_type}] The function failed in a way the state machine does not expect "
            "(an exception outside the contract, a timeout, a crash): see its log group.",
        )

        self._section(title, endpoint_type)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=f"{title}: function invocations and errors",
                left=[
                    function.metric_invocations(period=PERIOD, statistic="Sum", label="Invocations"),
                    errors,
                    handled,
                    unexpected,
                    function.metric_throttles(period=PERIOD, statistic="Sum", label="Throttles"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title=f"{title}: function duration",
                left=[
                    function.metric_duration(period=PERIOD, statistic=statistic, label=statistic)
                    for statistic in ("p50", "p90", "Maximum")
                ],
                width=12,
            ),
        )

    def watch_failed_invocations(self, queue: sqs.Queue) -> None:
        """The functions' on-failure destination (infra/failures.py): any record is an event a
        function failed on three times (a clean-up, a sweep, a state change) and that waits there."""
        self._watch_queue(
            "FailedInvocations",
            queue,
            "Failed invocations (all endpoint types)",
            "A function failed three times on an event a rule gave it (an execution's clean-up, a "
            "sweep, a state change): Lambda's record of it waits in the failed-invocations queue.",
        )

    def watch_dead_letters(self, queue: sqs.Queue) -> None:
        self._watch_queue(
            "DeadLetters",
            queue,
            "Dead-letter queue (all endpoint types)",
            "Endpoint requests could not start an execution; they wait in the dead-letter queue.",
        )

    def _watch_queue(self, name: str, queue: sqs.Queue, title: str, description: str) -> None:
        """An alarm on anything waiting in ``queue``, and its depth and oldest message graphed."""
        depth = queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
        self._alarm(name, depth, description)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=title,
                left=[depth.with_(label="Messages")],
                right=[
                    queue.metric_approximate_age_of_oldest_message(
                        period=PERIOD, statistic="Maximum", label="Age of the oldest (s)"
                    )
                ],
                width=24,
                height=4,
            )
        )
