"""Production readiness pinned: cdk-nag, least privilege, encryption, logging, configuration.

The session template (``cdk synth`` of ``app.py``) already ran cdk-nag's AWS Solutions checks: an
unacknowledged finding fails that synth, and with it every test. These tests pin what the
template holds and keep the acknowledgments from growing unreviewed.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Capture, Match, Template

import app as cdk_app
from infra import catalog
from infra.config import Config
from tests.infra.acknowledgments import record_acknowledgments
from tests.infra.contexts import CUSTOM, refusal

#: Every endpoint type's title (the prefix of its constructs), in catalog order.
ENDPOINT_TYPES = tuple(row["title"] for row in catalog.rows().values())


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def _statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for lid, policy in _resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found.append((lid, statement))
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# -- cdk-nag ------------------------------------------------------------------------------------
def _app(context: dict[str, Any] | None = None) -> cdk.App:
    return cdk.App(context={**json.load(open("cdk.json"))["context"], **(context or {})})


def test_a_new_finding_fails_the_synth() -> None:
    app = _app()
    stack = cdk_app.build(app)
    sns.Topic(stack, "CarelessTopic")  # no encryption, no TLS-only policy
    with pytest.raises(Exception, match="AwsSolutions-SNS"):
        app.synth()


#: Each type's own acknowledgments without context of its own: SageMaker its two resource kinds,
#: its scalable targets, the target tracking alarms and the rollback alarms (read),
#: the roles it may pass and the keys it may name; Amazon ML its models; Neptune its cluster.
#: (SageMaker's include reading the components an endpoint hosts before deleting it.)
OWN_ACKNOWLEDGMENTS = {"SageMaker": 8, "Aml": 1, "Neptune": 1, "InferenceComponent": 5}


@pytest.mark.parametrize(
    "context",
    [
        {},
        {
            "endpointTypes": list(catalog.rows()),
            "neptuneEndpoint": "https://g.example.com:8182",
            "neptuneClusterResourceId": "cluster-ABC",
        },
    ],
    ids=["cdk.json", "every-type"],
)
def test_every_acknowledgment_is_a_known_rule_with_a_specific_reason(
    monkeypatch: pytest.MonkeyPatch, context: dict[str, Any]
) -> None:
    acknowledged = record_acknowledgments(monkeypatch)
    app = _app(context)
    stack = cdk_app.build(app)
    app.synth()  # passes: nothing unacknowledged
    rules = {rule.split("[")[0] for _, rule, _ in acknowledged}
    assert rules == {"IAM5", "L1", "SQS3"}, rules
    for _, rule, reason in acknowledged:
        assert len(reason) > 60, (rule, reason)
    wildcard_resources = sorted({rule for _, rule, _ in acknowledged if rule.startswith("IAM5")})
    assert all("Action::" not in rule for rule in wildcard_resources)  # never a wildcard action
    # per built type: 2 roles, L1, invoke, its expiry schedules; then the types' own resources; the
    # refusals' state machine's role and invoke (infra/refusals.py); SQS3 of the dead-letter and the
    # failed-invocations queues
    built = [infra.title for infra in stack.endpoint_types.values()]
    assert len(acknowledged) == len(built) * 5 + sum(OWN_ACKNOWLEDGMENTS[t] for t in built) + 2 + 2


# -- least privilege ----------------------------------------------------------------------------
def test_no_policy_has_a_wildcard_action(template: dict[str, Any]) -> None:
    for lid, statement in _statements(template):
        for action in _actions(statement):
            assert "*" not in action, (lid, action)


def test_each_function_calls_only_its_own_service(template: dict[str, Any]) -> None:
    own = {
        "SageMaker": "sagemaker:",
        "Aml": "machinelearning:",
        "Neptune": "neptune-db:",
        "InferenceComponent": "sagemaker:",
    }
    for title, prefix in own.items():
        actions = {
            action
            for lid, statement in _statements(template)
            if lid.startswith(f"{title}Function") or lid.startswith(f"{title}ResumeLifecycle")
            for action in _actions(statement)
        }
        services = {action.split(":")[0] + ":" for action in actions}
        # kms: the requests table's, the topic's and the failed-invocations queue's key (through
        # DynamoDB, SNS and SQS); events: and sns: a clean-up's notification; scheduler: and iam:
        # (PassRole of the scheduler's role) an expiry; sqs: Lambda's record of an event the
        # function failed on (its on-failure destination, with the function's role); SageMaker
        # also passes an inline endpoint config's role (iam:PassRole) and grants on its key
        # (through SageMaker); cloudwatch: the alarms Application Auto Scaling makes and deletes
        # for a variant's target tracking, and an update's rollback alarms, both checked against
        # the function's own permissions; servicequotas: SageMaker's instance quotas, read before
        # a create or an update (only the two list actions).
        shared = {"xray:", "logs:", "dynamodb:", "kms:", "events:", "sns:", "scheduler:", "iam:", "sqs:"}
        allowed = {prefix, *shared} | (
            {"states:", "application-autoscaling:", "cloudwatch:"}
            if title in ("SageMaker", "InferenceComponent")
            else set()
        )
        if title == "SageMaker":
            allowed.add("servicequotas:")
            quota_actions = {a for a in actions if a.startswith("servicequotas:")}
            assert quota_actions == {
                "servicequotas:ListServiceQuotas",
                "servicequotas:ListAWSDefaultServiceQuotas",
            }
        assert services <= allowed, (title, services)
        assert {a for a in actions if a.startswith("sqs:")} == {"sqs:SendMessage"}
        assert prefix in services
        dynamodb = {a for a in actions if a.startswith("dynamodb:")}
        assert dynamodb == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        }


def test_expiry_grants_are_its_own_schedules_and_the_scheduler_role_only(template: dict[str, Any]) -> None:
    roles = {lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    [scheduler_role] = [
        lid
        for lid in roles
        if "scheduler.amazonaws.com"
        in json.dumps(template["Resources"][lid]["Properties"]["AssumeRolePolicyDocument"])
    ]
    trust = template["Resources"][scheduler_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert all("aws:SourceAccount" in json.dumps(t.get("Condition")) for t in trust)
    for title in ("SageMaker", "Aml", "Neptune"):
        statements = [st for lid, st in _statements(template) if lid.startswith(f"{title}Function")]
        schedules = [st for st in statements if st.get("Sid") == "ExpirySchedules"]
        assert len(schedules) == 1
        assert sorted(_actions(schedules[0])) == [
            "scheduler:CreateSchedule",
            "scheduler:DeleteSchedule",
            "scheduler:UpdateSchedule",
        ]
        # in the stack's own schedule group, never the account's default one
        assert f"schedule/MlEndpointController/expire-{title.lower()}-*" in json.dumps(
            schedules[0]["Resource"]
        )
        assert "schedule/default/" not in json.dumps(schedules[0]["Resource"])
        passes = [st for st in statements if st.get("Sid") == "PassTheSchedulerRole"]
        assert len(passes) == 1 and passes[0]["Resource"] == {"Fn::GetAtt": [scheduler_role, "Arn"]}
        assert passes[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    # the scheduler's role may only put events on the controller's bus
    policies = [
        p
        for p in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": scheduler_role} in p["Properties"]["Roles"]
    ]
    actions = {
        a for p in policies for st in p["Properties"]["PolicyDocument"]["Statement"] for a in _actions(st)
    }
    assert actions == {"events:PutEvents"}


def test_each_stack_keeps_its_expiry_schedules_in_a_group_of_its_own(
    template: dict[str, Any], custom_template: dict[str, Any]
) -> None:
    """Schedules are named after the endpoint, alike in every stack: each stack creates its own
    schedule group (named after it), tells its functions (EXPIRY_SCHEDULE_GROUP) and grants them
    only that group's schedules, so neither stack may replace or cancel the other's."""
    granted = []
    for synthesized, name in ((template, "MlEndpointController"), (custom_template, CUSTOM["stackName"])):
        [group] = _resources(synthesized, "AWS::Scheduler::ScheduleGroup").values()
        assert group["Properties"] == {"Name": name}
        for lid, function in _resources(synthesized, "AWS::Lambda::Function").items():
            assert function["Properties"]["Environment"]["Variables"]["EXPIRY_SCHEDULE_GROUP"] == name, lid
        resources = {
            json.dumps(st["Resource"])
            for _, st in _statements(synthesized)
            if any(a.startswith("scheduler:") for a in _actions(st))
        }
        assert resources and all(f":schedule/{name}/expire-" in r for r in resources), resources
        granted.append(resources)
    assert not granted[0] & granted[1]


def test_a_long_stack_name_still_names_a_valid_schedule_group() -> None:
    from infra.expiry import group_name

    assert group_name("MlEndpointController") == "MlEndpointController"
    long = "A" + "b" * 127  # the longest stack name CloudFormation takes
    shortened = group_name(long)
    assert len(shortened) == 64 and shortened.startswith("Abbb") and shortened != group_name(long[:-1] + "c")


def test_function_roles_carry_no_managed_policy(template: dict[str, Any]) -> None:
    for lid, role in _resources(template, "AWS::IAM::Role").items():
        if "Function" in lid:
            assert "ManagedPolicyArns" not in role["Properties"], lid


def test_state_machines_invoke_only_their_function_and_publish_only_to_the_bus_and_topic(
    template: dict[str, Any],
) -> None:
    # each lifecycle its own type's function; the refusals' state machine the first type's
    roles = {f"{title}LifecycleStateMachineRole": title for title in ENDPOINT_TYPES}
    roles["RefusalsStateMachineRole"] = next(iter(ENDPOINT_TYPES))
    for prefix, title in roles.items():
        statements = [s for lid, s in _statements(template) if lid.startswith(prefix)]
        assert statements, prefix
        by_action: dict[str, list[Any]] = {}
        for statement in statements:
            for action in _actions(statement):
                by_action.setdefault(action, []).append(statement["Resource"])
        invoke = json.dumps(by_action["lambda:InvokeFunction"])
        assert f"{title}Function" in invoke
        assert all(other not in invoke for other in ENDPOINT_TYPES if other != title)
        assert json.dumps(by_action["events:PutEvents"]).count("Bus") >= 1
        assert "Notifications" in json.dumps(by_action["sns:Publish"])
        assert "TopicKey" in json.dumps(by_action["kms:GenerateDataKey"])


# -- encryption and hygiene ----------------------------------------------------------------------
def test_topics_use_the_customer_managed_key_and_deny_plain_http(template: dict[str, Any]) -> None:
    stack = Template.from_json(template)
    stack.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    topics = _resources(template, "AWS::SNS::Topic")
    assert len(topics) == 2
    for topic in topics.values():
        assert "TopicKey" in json.dumps(topic["Properties"]["KmsMasterKeyId"])
    policies = _resources(template, "AWS::SNS::TopicPolicy")
    denials = [
        s
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denials) == 2


#: Condition keys that say where a service's request comes from (IAM's confused-deputy guard), or
#: the encryption context a service supplies with it (CloudWatch Logs: the log group's ARN).
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "kms:EncryptionContext:")


@pytest.mark.parametrize("which", ["default", "custom"])
def test_every_key_statement_for_a_service_principal_names_its_source(
    template: dict[str, Any], custom_template: dict[str, Any], which: str
) -> None:
    """A key statement for an AWS service without a source condition lets that service use the key
    for anyone's resources (a confused deputy): each one is scoped to this account's resources."""
    synthesized = template if which == "default" else custom_template
    services = 0
    for lid, key in _resources(synthesized, "AWS::KMS::Key").items():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            principal = statement.get("Principal", {})
            if not isinstance(principal, dict) or "Service" not in principal:
                continue
            services += 1
            keys = [k for operator in statement.get("Condition", {}).values() for k in operator]
            assert any(k.startswith(SOURCE_KEYS) for k in keys), (lid, statement.get("Sid"))
            account = [
                statement["Condition"][op][k]
                for op in statement["Condition"]
                for k in statement["Condition"][op]
                if k == "aws:SourceAccount"
            ]
            assert account in ([], [{"Ref": "AWS::AccountId"}]), (lid, statement.get("Sid"))
    assert services >= 3  # CloudWatch alarms, CloudWatch Logs, EventBridge


def test_queue_and_table_are_encrypted_with_the_customer_managed_key(template: dict[str, Any]) -> None:
    stack = Template.from_json(template)
    key = Capture()
    stack.has_resource_properties("AWS::SQS::Queue", {"KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}})
    assert key.as_string().startswith("TopicKey")
    stack.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": Match.any_value()}},
    )


def test_state_machines_log_every_event_without_payloads_and_trace(template: dict[str, Any]) -> None:
    for lid, machine in _resources(template, "AWS::StepFunctions::StateMachine").items():
        properties = machine["Properties"]
        logging = properties["LoggingConfiguration"]
        assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False, lid
        assert properties["TracingConfiguration"] == {"Enabled": True}


def test_every_log_group_has_a_retention(template: dict[str, Any]) -> None:
    groups = _resources(template, "AWS::Logs::LogGroup")
    # a function and a state machine per type, and the refusals' state machine
    assert len(groups) == 2 * len(ENDPOINT_TYPES) + 1
    assert all(g["Properties"]["RetentionInDays"] == 30 for g in groups.values())


# -- configuration -------------------------------------------------------------------------------
def test_deploy_settings_come_from_context(custom_template: dict[str, Any]) -> None:
    """CUSTOM (tests/infra/contexts.py) sets each of these off its default."""
    template = custom_template
    stack = Template.from_json(template)
    # CUSTOM names its bus (busName, tests/infra/test_stack.py); without one the bus is named
    # after the stack (the derivation is Config's, checked where it happens).
    stack.has_resource_properties("AWS::Events::EventBus", {"Name": CUSTOM["busName"]})
    derived = Config.from_context(_app({"stackName": "MlEndpointControllerStaging"}).node)
    assert derived.bus_name == "ml-endpoint-controller-staging"
    stack.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ml-team@example.com"}
    )
    stack.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"}
    )
    stack.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})
    machines = {
        lid: json.dumps(r["Properties"]["DefinitionString"])
        for lid, r in _resources(template, "AWS::StepFunctions::StateMachine").items()
    }
    aml = next(text for lid, text in machines.items() if lid.startswith("Aml"))
    neptune = next(text for lid, text in machines.items() if lid.startswith("Neptune"))
    sagemaker = next(text for lid, text in machines.items() if lid.startswith("SageMaker"))
    assert '\\"defaults\\":{\\"timeoutSeconds\\":900}' in aml
    assert '\\"firstCheckSeconds\\":300' in neptune and '\\"MaxDelaySeconds\\":20' in neptune
    assert '\\"eventFallbackSeconds\\":600' in sagemaker


def test_two_stacks_deploy_side_by_side(template: dict[str, Any], custom_template: dict[str, Any]) -> None:
    """The default stack and CUSTOM's (another stackName, tests/infra/contexts.py) share no
    physical name."""
    names = []
    for synthesized in (template, custom_template):
        named = []
        for resource in synthesized["Resources"].values():
            properties = resource.get("Properties", {})
            for key in (
                "Name",
                "TopicName",
                "QueueName",
                "TableName",
                "FunctionName",
                "StateMachineName",
                "LogGroupName",
                "AlarmName",
                "DashboardName",
                "RoleName",
            ):
                if isinstance(properties.get(key), str):
                    named.append(properties[key])
        names.append(set(named))
        assert all("Export" not in output for output in synthesized.get("Outputs", {}).values())
    assert not names[0] & names[1], names[0] & names[1]
    # CUSTOM's names follow its stack name, but for its bus's, given (busName): given only
    # another stackName, a stack's bus is apart from the default one's too (named after it).
    assert {name for name in names[1] if CUSTOM["stackName"] in name}, names[1]
    alone = Config.from_context(_app({"stackName": CUSTOM["stackName"]}).node)
    assert alone.bus_name not in names[0], (alone.bus_name, names[0])


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"notificationEmail": "not-an-address"}, "notificationEmail"),
        ({"alarmEmail": "a@b"}, "alarmEmail"),
        ({"sagemakerTimeoutSeconds": 10}, "sagemakerTimeoutSeconds"),
        ({"amlFirstCheckSeconds": "soon"}, "amlFirstCheckSeconds"),
        ({"maxPollIntervalSeconds": 900}, "maxPollIntervalSeconds"),
        ({"eventFallbackSeconds": 5}, "eventFallbackSeconds"),
        ({"logRetentionDays": 0}, "logRetentionDays"),
        ({"neptuneSecurityGroupId": "sg-12"}, "neptuneSecurityGroupId"),
    ],
)
def test_bad_settings_fail_the_synth_naming_the_key(context: dict[str, Any], message: str) -> None:
    """Refused as ``python app.py`` refuses it, in-process (tests/infra/contexts.py)."""
    assert refusal(context, message).startswith(f"context {message}")


def test_functions_log_at_info_and_never_log_the_event(template: dict[str, Any]) -> None:
    # Payloads appear only at DEBUG (functions/controller/handlers.py: log_event=False).
    functions = _resources(template, "AWS::Lambda::Function")
    assert len(functions) == len(ENDPOINT_TYPES)
    for lid, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO", lid
        assert variables.get("POWERTOOLS_LOGGER_LOG_EVENT", "false") == "false", lid


def test_functions_skip_pydantic_s_plugin_search_as_the_local_runner_does(template: dict[str, Any]) -> None:
    """pydantic looks for plugins (every installed distribution's entry points) at its first
    model unless told there are none; the functions use none. The local runner's handlers get
    the same settings as the deployed ones (endpointctl/runner/invoke.py)."""
    from endpointctl.runner.invoke import HANDLER_ENV

    for lid, function in _resources(template, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__", lid
        for name in ("POWERTOOLS_LOG_LEVEL", "PYDANTIC_DISABLE_PLUGINS"):
            assert HANDLER_ENV[name] == variables[name], (lid, name)
