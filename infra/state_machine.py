"""One construct: the lifecycle state machine, the same for every endpoint type.

Validate → create → wait (adaptive polling, or a task token resumed by the service's state-change
event) → ready? → publish on the bus and the topic. Deletes, failures and refusals go through
outcome → publish → succeed or fail with the contract's error code. Failures after validation go
through "roll back?" to the teardown loop, which deletes exactly what the request created.
The endpoint type appears only as a literal in the steps' payloads: a new type needs no change
here (its provider module does the type-specific work in the function). Whether a create waits
for state-change events, and when polling looks, is the stack's to say (from the type's module).

Billed transitions are the cost that grows with waiting, so the happy path is short: a ready
endpoint is published straight from the step that saw it ready (no separate outcome step, no
final Succeed state).
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
from infra.polling import MAX_LOOKS, PollPolicy
from infra.shared_tasks import VENDED_LOGS_PREFIX, RetryPolicy, publishers

#: Check's answer while an endpoint is still being created (adaptive polling only).
NOT_READY = "EndpointNotReady"
#: The longest lifecycle: a day's ``timeoutSeconds`` (the most a request may ask), then the
#: longest teardown bound of any type (2.5 hours: the providers' ``teardown_bound_seconds``), and
#: half an hour to spare. Past that an execution is stuck: it times out, the ExecutionsTimedOut
#: alarm says so, and the clean-up removes what it created.
EXECUTION_TIMEOUT = Duration.hours(27)


class LifecycleStateMachine(Construct):
    """The state machine that brings one endpoint type's endpoints to life (or removes them)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_type: str,
        function: lambda_.IFunction,
        bus: events.IEventBus,
        topic: sns.ITopic,
        poll: PollPolicy,
        event_fallback_seconds: int | None = None,
        default_timeout_seconds: int | None = None,
        unmanaged_deletes: bool = False,
        unmanaged_delete_role_arn: str | None = None,
        log_retention_days: int = 30,
        log_group_name: str,
        key: kms.IKey,
        deployed: Sequence[str] = (),
    ) -> None:
        """``event_fallback_seconds``: the service announces status changes on EventBridge, so a
        create waits on a task token (resumed by the function) instead of polling, and looks for
        itself after this long without an event. ``default_timeout_seconds``: the deployment's
        default for requests that set no ``options.timeoutSeconds``. ``unmanaged_deletes``: the
        deployment lets ``action: delete`` remove endpoints the controller did not create, with
        ``unmanaged_delete_role_arn`` where the type needs a role of its own for it. ``log_group_name``: its
        execution log group, under ``/aws/vendedlogs/states/`` and unique to the stack; ``key``:
        the stack's customer-managed key, which encrypts it. ``deployed``: the endpoint types the
        stack deploys, so that a request of another type started here says whether it has one."""
        if not log_group_name.startswith(VENDED_LOGS_PREFIX):
            raise ValueError(
                f"{log_group_name!r}: a state machine's log group goes under {VENDED_LOGS_PREFIX}"
            )
        state_change_events = event_fallback_seconds is not None
        super().__init__(scope, construct_id)
        self.endpoint_type = endpoint_type
        self._function = function
        self._bus = bus
        self._topic = topic

        execution = {"Id": sfn.JsonPath.execution_id, "Name": sfn.JsonPath.execution_name}
        validate = self._step(
            "Validate",
            {
                "step": "validate",
                "input": sfn.JsonPath.object_at("$"),
                "execution": execution,
                **({"deployed": list(deployed)} if deployed else {}),
                "poll": {
                    "firstCheckSeconds": poll.first_check_seconds,
                    "eventFallbackSeconds": event_fallback_seconds or 0,
                },
                **(
                    {"defaults": {"timeoutSeconds": default_timeout_seconds}}
                    if default_timeout_seconds
                    else {}
                ),
                **(
                    {"deletes": {"allowUnmanaged": True, "roleArn": unmanaged_delete_role_arn or ""}}
                    if unmanaged_deletes
                    else {}
                ),
            },
        )
        reject = self._step(
            "Reject",
            {
                "step": "reject",
                "error": sfn.JsonPath.object_at("$"),
                "input": sfn.JsonPath.object_at("$$.Execution.Input"),
                "execution": execution,
            },
        )
        create = self._step("Create", self._state_payload("create"))
        check = self._step("Check", self._state_payload("check"))
        # While the endpoint is on its way, Check fails with EndpointNotReady and retries itself:
        # one billed transition per look, capped exponential backoff (see infra/polling.py).
        check.add_retry(
            errors=[NOT_READY],
            interval=Duration.seconds(poll.interval_seconds),
            backoff_rate=poll.backoff_rate,
            max_delay=Duration.seconds(poll.max_interval_seconds),
            max_attempts=MAX_LOOKS,
        )
        teardown = self._step("Teardown", self._state_payload("teardown"))
        replay = self._step("Replay", self._state_payload("replay"))
        outcome = self._step("Outcome", self._state_payload("outcome"))

        turn = self._step("Turn", self._state_payload("turn"))
        wait_turn = sfn.Wait(self, "WaitForTurn", time=sfn.WaitTime.seconds_path("$.wait"))
        wait_endpoint = sfn.Wait(self, "WaitForEndpoint", time=sfn.WaitTime.seconds_path("$.wait"))
        wait_teardown = sfn.Wait(self, "WaitForDeletion", time=sfn.WaitTime.seconds_path("$.wait"))
        wait_first = sfn.Wait(self, "WaitForFirstExecution", time=sfn.WaitTime.seconds_path("$.wait"))

        publish_event, publish_sns = self._publishers("PublishEvent", "PublishNotification")
        # A ready endpoint: published straight from the step that saw it, ending the execution.
        publish_ready, _ = self._publishers("PublishReady", "NotifyReady", output_path="$.detail")
        succeed = sfn.Succeed(self, "Done", output_path="$.detail")
        fail = sfn.Fail(self, "Failed", error_path="$.errorCode", cause_path="$.cause")

        # Teardown deletes only what the failed step recorded as created (possibly nothing).
        roll_back = (
            sfn.Choice(self, "RollBack?")
            .when(
                sfn.Condition.boolean_equals("$.options.rollback", False), outcome, comment="rollback: false"
            )
            .otherwise(teardown)
        )
        validate.add_catch(reject, errors=[sfn.Errors.ALL], result_path="$")
        for step in (create, check):
            step.add_catch(roll_back, errors=[sfn.Errors.ALL], result_path="$.error")
        teardown.add_catch(outcome, errors=[sfn.Errors.ALL], result_path="$.teardownError")

        endpoint_ready = sfn.Choice(self, "EndpointReady?").when(
            sfn.Condition.string_equals("$.verdict", "ready"), publish_ready
        )
        if state_change_events:
            # Still on its way (a wait cut to the deadline, or a Check after the retries): wait on.
            await_ready = self._await_step(roll_back, check)
            endpoint_ready.when(
                sfn.Condition.and_(
                    sfn.Condition.string_equals("$.verdict", "wait"),
                    sfn.Condition.boolean_equals("$.options.events", True),
                ),
                await_ready,
            )
        endpoint_ready.when(sfn.Condition.string_equals("$.verdict", "wait"), wait_endpoint).otherwise(
            roll_back
        )
        if state_change_events:
            await_ready.next(endpoint_ready)
            create.next(
                sfn.Choice(self, "ByEvent?")
                .when(sfn.Condition.boolean_equals("$.options.events", True), await_ready)
                .otherwise(wait_endpoint)
            )
        else:
            create.next(wait_endpoint)
        wait_endpoint.next(check)
        check.next(endpoint_ready)
        teardown.next(
            sfn.Choice(self, "TeardownDone?")
            .when(sfn.Condition.string_equals("$.teardown.verdict", "wait"), wait_teardown)
            .otherwise(outcome)
        )
        wait_teardown.next(teardown)
        succeeded = (
            sfn.Choice(self, "Succeeded?")
            .when(sfn.Condition.boolean_equals("$.ok", True), succeed)
            .otherwise(fail)
        )
        # The same refused event again (a redelivery, or several rules matched it): no second answer.
        reject.next(
            sfn.Choice(self, "RefusedBefore?")
            .when(sfn.Condition.is_present("$.duplicateOf"), succeeded)
            .otherwise(publish_event)
        )
        outcome.next(publish_event)
        publish_sns.next(succeeded)
        # A repeat of a request (same requestId) creates and publishes nothing: it ends as the first did.
        # A first execution that was stopped and cleaned up gives the request up: the repeat takes
        # it over from the start, with the execution's own input.
        retake = sfn.Pass(
            self,
            "TakeOver",
            parameters={"input": sfn.JsonPath.object_at("$$.Execution.Input")},
            output_path="$.input",
        )
        retake.next(validate)
        replay.next(
            sfn.Choice(self, "FirstFinished?")
            .when(sfn.Condition.string_equals("$.verdict", "wait"), wait_first)
            .when(sfn.Condition.string_equals("$.verdict", "retake"), retake)
            .otherwise(succeeded)
        )
        wait_first.next(replay)
        # One operation per endpoint: a request whose endpoint is busy waits its turn, or ends
        # EndpointBusy at its deadline, having touched nothing. Busy: another execution holds the
        # endpoint's lease (the controller's table), or, for an update, the service shows an
        # operation that is not the controller's (one read in Validate/Turn: the service would
        # refuse the update). The free path goes straight on: no state added.
        act = (
            sfn.Choice(self, "Action?")
            .when(sfn.Condition.is_present("$.duplicateOf"), replay, comment="a repeat of a request")
            .when(sfn.Condition.string_equals("$.verdict", "queued"), wait_turn, comment="endpoint busy")
            .when(sfn.Condition.string_equals("$.verdict", "busy"), outcome, comment="EndpointBusy")
            .when(sfn.Condition.string_equals("$.action", "delete"), teardown)
            .otherwise(create)
        )
        validate.next(act)
        wait_turn.next(turn)
        turn.next(act)
        turn.add_catch(outcome, errors=[sfn.Errors.ALL], result_path="$.error")

        # Every state change is logged, but never the execution data (requests may carry secrets
        # such as KMS key ids; payloads appear only in the functions' debug logs).
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
            definition_body=sfn.DefinitionBody.from_chainable(validate),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=EXECUTION_TIMEOUT,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
            comment=f"ml-endpoint-controller: {endpoint_type} endpoint lifecycle",
        )

    def _publishers(
        self, event_id: str, sns_id: str, output_path: str | None = None
    ) -> tuple[tasks.EventBridgePutEvents, tasks.SnsPublish]:
        """One notification: the event on the bus, then the same detail on the topic."""
        return publishers(self, event_id, sns_id, bus=self._bus, topic=self._topic, output_path=output_path)

    def _await_step(self, roll_back: sfn.IChainable, check: sfn.IChainable) -> tasks.LambdaInvoke:
        """Wait for the service's state-change event: the function parks this task's token, looks
        once itself (the endpoint may be ready already), and is resumed by the event's rule. The
        token times out after ``$.wait`` seconds (the fallback, cut to the deadline) and each retry
        looks again: one transition per fallback look, so a lost or late event delays the outcome
        but never strands it. A retry reuses the attempt's timeout; one that would outlive the
        deadline does not park but resumes itself at once with the next ``wait`` cut to the
        deadline (back here through ``EndpointReady?``), so no wait runs past the deadline. Should
        the retries ever run out, the timeout goes to ``check``, which looks and comes back."""
        task = tasks.LambdaInvoke(
            self,
            "AwaitEndpoint",
            lambda_function=self._function,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "step": "await",
                    "state": sfn.JsonPath.object_at("$"),
                    "token": sfn.JsonPath.task_token,
                    "endpointType": self.endpoint_type,
                }
            ),
            task_timeout=sfn.Timeout.at("$.wait"),
        )
        task.add_retry(
            errors=[sfn.Errors.TIMEOUT],
            interval=Duration.seconds(1),
            backoff_rate=1.0,
            max_attempts=MAX_LOOKS,
        )
        RetryPolicy.apply(task)
        task.add_catch(check, errors=[sfn.Errors.TIMEOUT], result_path=sfn.JsonPath.DISCARD)
        task.add_catch(roll_back, errors=[sfn.Errors.ALL], result_path="$.error")
        return task

    def _state_payload(self, step: str) -> dict[str, object]:
        return {"step": step, "state": sfn.JsonPath.object_at("$")}

    def _step(self, name: str, payload: dict[str, object]) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=self._function,
            payload=sfn.TaskInput.from_object({**payload, "endpointType": self.endpoint_type}),
            payload_response_only=True,
            retry_on_service_exceptions=True,
            task_timeout=sfn.Timeout.duration(Duration.seconds(90)),
        )
        RetryPolicy.apply(task)
        return task
