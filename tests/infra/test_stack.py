"""Assertions on the synthesized stack: what `cdk synth` produces is what these tests read."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from endpointctl.template import state_machines
from infra import catalog
from tests.infra.contexts import CUSTOM, refusal

#: Every endpoint type, in catalog order, and its title (the prefix of its constructs and outputs).
TYPES = {name: row["title"] for name, row in catalog.rows().items()}


@pytest.fixture(scope="module")
def stack(template: dict[str, Any]) -> Template:
    return Template.from_json(template)


@pytest.mark.parametrize("endpoint_type", list(TYPES))
def test_each_type_cleans_up_after_its_executions_and_sweeps(
    stack: Template, template: dict[str, Any], endpoint_type: str
) -> None:
    """Its ended executions' status-change events, and a schedule, reach its function."""
    machine = state_machines(template)[endpoint_type].logical_id
    title = catalog.rows()[endpoint_type]["title"]
    function = {"Fn::GetAtt": [Match.string_like_regexp(f"^{title}Function"), "Arn"]}
    stack.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                    "stateMachineArn": [{"Ref": machine}],
                },
            },
            "Targets": [Match.object_like({"Arn": function, "DeadLetterConfig": Match.any_value()})],
        },
    )
    sweep = {"step": "sweep", "endpointType": endpoint_type, "sweep": {"executionTimeoutSeconds": 27 * 3600}}
    stack.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(5 minutes)",
            "Targets": [Match.object_like({"Arn": function, "Input": Match.serialized_json(sweep)})],
        },
    )


@pytest.mark.parametrize("endpoint_type", list(TYPES))
def test_one_rule_per_endpoint_type_starts_its_state_machine(
    stack: Template, template: dict[str, Any], endpoint_type: str
) -> None:
    machine = state_machines(template)[endpoint_type].logical_id
    stack.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": "ml-endpoint-controller",  # by name, and DependsOn the bus
            "EventPattern": {
                "detail-type": ["Endpoint Request"],
                "detail": {"endpointType": [endpoint_type]},
            },
            "State": "ENABLED",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Ref": machine},
                        "RoleArn": Match.any_value(),
                        "RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 7200},
                    }
                )
            ],
        },
    )


def test_request_rules_are_created_after_their_bus(template: dict[str, Any]) -> None:
    [bus] = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::Events::EventBus"]
    for lid, rule in template["Resources"].items():
        if rule["Type"] == "AWS::Events::Rule" and "EventBusName" in rule["Properties"]:
            assert bus in rule.get("DependsOn", []), lid


def test_three_state_machines_from_one_construct(stack: Template, template: dict[str, Any]) -> None:
    from endpointctl.diagram import flatten

    # a lifecycle per type, and the refusals' (infra/refusals.py)
    stack.resource_count_is("AWS::StepFunctions::StateMachine", len(TYPES) + 1)
    # per type its requests, its ended executions and its sweep; one for unroutable requests; one
    # per type whose service announces state changes
    announced = [name for name, row in catalog.rows().items() if row.get("stateChanges")]
    assert announced == ["sagemaker"]
    stack.resource_count_is("AWS::Events::Rule", 3 * len(TYPES) + 1 + len(announced))
    shapes = {}
    for endpoint_type, spec in state_machines(template).items():
        shapes[endpoint_type] = set(flatten(spec.definition)["States"])
    assert shapes["aml"] == shapes["neptune"], "every endpoint type gets the same lifecycle"
    # ... and a type whose service announces state changes also waits for them
    assert shapes["sagemaker"] == shapes["aml"] | {"ByEvent?", "AwaitEndpoint"}


def test_bus_topic_and_outputs(stack: Template) -> None:
    stack.has_resource_properties("AWS::Events::EventBus", {"Name": "ml-endpoint-controller"})
    stack.resource_count_is("AWS::SNS::Topic", 2)  # notifications and alarms
    outputs = stack.find_outputs("*")
    assert {
        "EventBusName",
        "NotificationTopicArn",
        *(f"{title}StateMachineArn" for title in TYPES.values()),
    } <= set(outputs)


def test_functions_use_the_powertools_layer_tracing_and_a_retained_log_group(stack: Template) -> None:
    layers = Capture()
    log_group = Capture()
    stack.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.12",
            "Handler": "controller.handlers.handler",
            "TracingConfig": {"Mode": "Active"},
            "Layers": layers,
            "LoggingConfig": {"LogGroup": {"Ref": log_group}},
            "Description": "ml-endpoint-controller: sagemaker endpoint lifecycle steps",
            "Environment": {
                "Variables": Match.object_like({"POWERTOOLS_SERVICE_NAME": "ml-endpoint-controller"})
            },
        },
    )
    assert "AWSLambdaPowertoolsPythonV3-python312-x86_64" in json.dumps(layers.as_array())
    stack.has_resource("AWS::Logs::LogGroup", {"Properties": {"RetentionInDays": 30}})
    assert log_group.as_string().startswith("SageMakerFunctionLogs")


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = json.dumps(resource["Properties"]["Roles"])
        if role_prefix in roles:
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_sagemaker_function_permissions_are_scoped(template: dict[str, Any]) -> None:
    statements = _statements(template, "SageMakerFunctionRole")
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert all(not a.endswith("*") for a in actions)
    assert all(
        a.startswith(
            (
                "sagemaker:",
                "xray:",
                "dynamodb:",
                "states:",
                "logs:",
                "kms:",
                "iam:",
                "events:",
                "sns:",
                "scheduler:",
                "application-autoscaling:",
                "cloudwatch:",
                "sqs:",  # Lambda's record of an event it failed on (infra/failures.py)
                "servicequotas:",  # the instance-quota check's reads (infra/quotas.py)
            )
        )
        for a in actions
    )
    assert {a for a in actions if a.startswith("iam:")} == {"iam:PassRole", "iam:CreateServiceLinkedRole"}
    # Application Auto Scaling's service-linked role for SageMaker variants, for that service only.
    [linked] = [s for s in statements if s.get("Action") == "iam:CreateServiceLinkedRole"]
    assert linked["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
    }
    assert json.dumps(linked["Resource"]).endswith(
        ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"]]}'
    )
    # Resuming a waiting lifecycle: only its own state machine's task tokens.
    resume = [s for s in statements if str(s["Action"]).count("states:")]
    assert len(resume) == 1 and sorted(resume[0]["Action"]) == [
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        "states:SendTaskSuccess",
    ]
    assert resume[0]["Resource"] == {"Ref": _logical_id(template, "SageMakerLifecycleStateMachine")}
    by_sid = {s.get("Sid"): s for s in statements}
    # Every delete needs the controller's ownership tag, each on its own resource kind.
    deletes = [s for s in statements if "sagemaker:Delete" in json.dumps(s["Action"])]
    assert sorted(str(s["Action"]) for s in deletes) == [
        "sagemaker:DeleteEndpoint",
        "sagemaker:DeleteEndpointConfig",
    ]
    for delete in deletes:
        assert delete["Condition"] == {
            "StringLike": {"aws:ResourceTag/ml-endpoint-controller:request-id": "*"},
            "StringEqualsIfExists": {"aws:ResourceTag/ml-endpoint-controller:stack": "MlEndpointController"},
        }
        kind = ":endpoint/*" if delete["Action"] == "sagemaker:DeleteEndpoint" else ":endpoint-config/*"
        assert kind in json.dumps(delete["Resource"])
        assert ":endpoint" + ("-config/*" if kind == ":endpoint/*" else "/*") not in json.dumps(
            delete["Resource"]
        )
    assert "sagemaker:CreateEndpoint" in by_sid["Endpoints"]["Action"]
    assert "sagemaker:CreateEndpoint" in by_sid["EndpointConfigs"]["Action"]
    assert "sagemaker:DescribeEndpoint" not in by_sid["EndpointConfigs"]["Action"]


def test_sagemaker_function_updates_only_endpoints_with_the_ownership_tag(template: dict[str, Any]) -> None:
    """UpdateEndpoint is authorized on the endpoint and on the new config: on endpoints only with the
    controller's ownership tag (created, or adopted and tagged first), on configs whoever made them;
    tagging an endpoint to adopt it stays allowed."""
    statements = _statements(template, "SageMakerFunctionRole")
    updates = [s for s in statements if "sagemaker:UpdateEndpoint" in _actions_of(s)]
    on_endpoints = [s for s in updates if ":endpoint/*" in json.dumps(s["Resource"])]
    on_configs = [s for s in updates if ":endpoint-config/*" in json.dumps(s["Resource"])]
    assert len(updates) == 2 and len(on_endpoints) == len(on_configs) == 1, updates
    [endpoint], [config] = on_endpoints, on_configs
    assert endpoint["Action"] == "sagemaker:UpdateEndpoint" and endpoint["Effect"] == "Allow"
    assert endpoint["Condition"] == {
        "StringLike": {"aws:ResourceTag/ml-endpoint-controller:request-id": "*"},
        "StringEqualsIfExists": {"aws:ResourceTag/ml-endpoint-controller:stack": "MlEndpointController"},
    }
    assert ":endpoint-config/" not in json.dumps(endpoint["Resource"])
    assert "Condition" not in config
    # the unconditioned endpoint statement no longer carries UpdateEndpoint; tagging (to adopt) is
    # allowed, but never of another stack's endpoint or with another stack's tag
    by_sid = {s.get("Sid"): s for s in statements}
    assert "sagemaker:UpdateEndpoint" not in by_sid["Endpoints"]["Action"]
    assert "Condition" not in by_sid["Endpoints"]
    assert [s["Sid"] for s in statements if "sagemaker:AddTags" in json.dumps(s["Action"])] == [
        "TagOnlyForThisStack"
    ]


@pytest.mark.parametrize("which", ["default", "custom"])
def test_sagemaker_changes_only_what_its_own_stack_made(
    template: dict[str, Any], custom_template: dict[str, Any], which: str
) -> None:
    """Two stacks in one account: each stack's function may update, delete and tag only resources
    that carry no other stack's tag (ml-endpoint-controller:stack, which its creates and adoptions
    set to its own stack's name); a resource without one was made before the tag existed."""
    synthesized, name = (
        (template, "MlEndpointController") if which == "default" else (custom_template, CUSTOM["stackName"])
    )
    statements = _statements(synthesized, "SageMakerFunctionRole")
    by_sid = {s.get("Sid"): s for s in statements}
    own = {"aws:ResourceTag/ml-endpoint-controller:stack": name}
    for sid in (
        "UpdateOnlyEndpointsTheControllerOwns",
        "DeleteOnlyEndpointsTheControllerCreated",
        "DeleteOnlyConfigsTheControllerCreated",
    ):
        assert by_sid[sid]["Condition"]["StringEqualsIfExists"] == own, sid
    tagging = by_sid["TagOnlyForThisStack"]
    assert tagging["Action"] == "sagemaker:AddTags"
    assert tagging["Condition"] == {
        "StringEqualsIfExists": {**own, "aws:RequestTag/ml-endpoint-controller:stack": name}
    }
    # the function says which stack it is, for the tags it sets
    [function] = [
        r["Properties"]
        for lid, r in synthesized["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and lid.startswith("SageMakerFunction")
    ]
    assert function["Environment"]["Variables"]["CONTROLLER_STACK_NAME"] == name


def _actions_of(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_sagemaker_function_may_do_what_its_services_check_on_its_behalf(template: dict[str, Any]) -> None:
    """Application Auto Scaling creates and deletes a variant's target tracking alarms and checks
    SageMaker with the caller's permissions; SageMaker reads an update's rollback alarms with them
    (docs/local-runner.md: the on-behalf table; tests/e2e/test_on_behalf.py runs each)."""
    by_sid = {s.get("Sid"): s for s in _statements(template, "SageMakerFunctionRole")}
    tracking = by_sid["VariantScalingAlarms"]
    assert _actions_of(tracking) == {
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
    }
    assert json.dumps(tracking["Resource"]).endswith(':alarm:TargetTracking-endpoint/*"]]}')
    rollback = by_sid["ReadRollbackAlarms"]
    assert _actions_of(rollback) == {"cloudwatch:DescribeAlarms"}
    assert json.dumps(rollback["Resource"]).endswith(':alarm:*"]]}')
    weights = by_sid["VariantScalingOnSageMaker"]
    assert _actions_of(weights) == {"sagemaker:UpdateEndpointWeightsAndCapacities"}
    assert json.dumps(weights["Resource"]).endswith(':endpoint/*"]]}')


def test_state_machine_may_invoke_its_function_and_publish_to_its_bus_and_topic(
    template: dict[str, Any],
) -> None:
    statements = _statements(template, "SageMakerLifecycleStateMachineRole")
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"lambda:InvokeFunction", "events:PutEvents", "sns:Publish"} <= actions
    text = json.dumps(statements)
    assert "SageMakerFunction" in text and "Bus" in text and "Notifications" in text
    for statement in statements:
        if statement["Resource"] == "*":  # X-Ray's trace APIs and log delivery take no resource
            assert all(a.startswith(("xray:", "logs:")) for a in statement["Action"]), statement


def test_state_machine_definition(template: dict[str, Any], stack: Template) -> None:
    stack.has_resource_properties(
        "AWS::StepFunctions::StateMachine", {"TracingConfiguration": {"Enabled": True}}
    )
    from endpointctl.diagram import flatten

    asl = flatten(state_machines(template)["sagemaker"].definition)
    states = asl["States"]
    assert asl["StartAt"] == "Validate"
    for name in (
        "Validate",
        "Create",
        "WaitForEndpoint",
        "Check",
        "RollBack?",
        "Teardown",
        "Outcome",
        "PublishEvent",
        "PublishNotification",
        "Done",
        "Failed",
        "Reject",
    ):
        assert name in states, name
    retries = states["Create"]["Retry"]
    throttled = next(r for r in retries if "ServiceThrottled" in r["ErrorEquals"])
    transient = next(r for r in retries if "TransientServiceError" in r["ErrorEquals"])
    # throttling is matched first and waits longer: twelve retries against six
    assert retries.index(throttled) < retries.index(transient)
    assert throttled == {
        "ErrorEquals": ["ServiceThrottled", "Lambda.TooManyRequestsException"],
        "IntervalSeconds": 2,
        "MaxAttempts": 12,
        "BackoffRate": 2,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    }
    assert transient == {
        "ErrorEquals": ["TransientServiceError"],
        "IntervalSeconds": 2,
        "MaxAttempts": 6,
        "BackoffRate": 2,
        "MaxDelaySeconds": 60,
        "JitterStrategy": "FULL",
    }
    assert states["Failed"] == {"Type": "Fail", "ErrorPath": "$.errorCode", "CausePath": "$.cause"}
    assert states["WaitForEndpoint"]["SecondsPath"] == "$.wait"
    publish = states["PublishEvent"]["Parameters"]["Entries"][0]
    assert publish["Source"] == "ml-endpoint-controller" and publish["Detail.$"] == "$.detail"
    assert states["Create"]["Catch"][0]["ResultPath"] == "$.error"


def _policy_for(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    return [s for s in _statements(template, role_prefix) if not str(s["Action"]).startswith("['xray")]


def test_aml_function_may_only_manage_realtime_endpoints_in_the_aml_region(template: dict[str, Any]) -> None:
    statements = _statements(template, "AmlFunctionRole")
    by_sid = {s.get("Sid"): s for s in statements}
    aml = by_sid["RealtimeEndpoints"]
    assert sorted(aml["Action"]) == [
        "machinelearning:CreateRealtimeEndpoint",
        "machinelearning:DeleteRealtimeEndpoint",
        "machinelearning:GetMLModel",
    ]
    assert ":machinelearning:us-east-1:" in json.dumps(aml["Resource"]) and "mlmodel/*" in json.dumps(
        aml["Resource"]
    )
    assert all(
        not a.startswith("sagemaker:")
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )


def test_neptune_function_permissions_and_network_follow_context(custom_template: dict[str, Any]) -> None:
    """CUSTOM (tests/infra/contexts.py) gives Neptune's cluster and network, and amlRegion."""
    context, template = CUSTOM, custom_template
    stack = Template.from_json(template)
    stack.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Description": "ml-endpoint-controller: neptune endpoint lifecycle steps",
            "Environment": {"Variables": Match.object_like({"NEPTUNE_ENDPOINT": context["neptuneEndpoint"]})},
            "VpcConfig": {
                "SecurityGroupIds": ["sg-01234567"],
                "SubnetIds": ["subnet-0aa11111", "subnet-0bb22222"],
            },
        },
    )
    stack.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Description": "ml-endpoint-controller: aml endpoint lifecycle steps",
            "Environment": {"Variables": Match.object_like({"AML_REGION": "eu-west-1"})},
        },
    )
    neptune = {s.get("Sid"): s for s in _statements(template, "NeptuneFunctionRole")}["NeptuneMlEndpoints"]
    assert "neptune-db:CreateMLEndpoint" in neptune["Action"]
    assert ":cluster-ABCDEF123/*" in json.dumps(neptune["Resource"])
    aml = {s.get("Sid"): s for s in _statements(template, "AmlFunctionRole")}["RealtimeEndpoints"]
    assert ":machinelearning:eu-west-1:" in json.dumps(aml["Resource"])


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"amlRegion": "us-west-2"}, "amlRegion"),
        ({"neptuneClusterResourceId": "my-cluster"}, "neptuneClusterResourceId"),
        ({"neptuneVpcId": "vpc-0abc1234"}, "go together"),
        ({"neptuneEndpoint": "graph.example.com"}, "neptuneEndpoint"),
    ],
    ids=["aml-region", "cluster-id", "partial-network", "endpoint-url"],
)
def test_bad_deploy_context_fails_synth_with_a_clear_message(context: dict[str, Any], message: str) -> None:
    """Refused as ``python app.py`` refuses it, in-process (tests/infra/contexts.py)."""
    refusal(context, message)


def test_missing_neptune_context_is_a_synth_warning() -> None:
    import aws_cdk as cdk
    from aws_cdk.assertions import Annotations

    from infra.config import Config
    from infra.stack import ControllerStack

    app = cdk.App()
    stack = ControllerStack(app, "Warned", config=Config())
    Annotations.from_stack(stack).has_warning(
        "*", Match.string_like_regexp("neptuneEndpoint.*neptuneClusterResourceId")
    )


def test_bus_name_comes_from_context(custom_template: dict[str, Any]) -> None:
    """CUSTOM (tests/infra/contexts.py) sets busName."""
    Template.from_json(custom_template).has_resource_properties(
        "AWS::Events::EventBus", {"Name": "team-a-endpoints"}
    )


def test_bad_context_fails_synth_with_a_clear_message() -> None:
    """Refused as ``python app.py`` refuses it, in-process (tests/infra/contexts.py)."""
    refusal({"busName": "not a bus name!"}, "busName")


def test_cfn_lint_finds_no_errors(template: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    done = subprocess.run(
        [sys.executable, "-m", "cfnlint", "--format", "parseable", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line for line in done.stdout.splitlines() if line.strip()]
    assert all(":W3005:" in line or ":W" in line.split(str(path))[-1][:12] for line in findings), findings
    assert not [line for line in findings if ":E" in line], findings


def test_infra_never_imports_functions() -> None:
    from endpointctl import project_root

    pattern = re.compile(r"^\s*(from|import)\s+(controller|functions)\b", re.MULTILINE)
    for path in (project_root() / "infra").rglob("*.py"):
        assert not pattern.search(path.read_text()), path


def test_idempotency_table_is_encrypted_expires_claims_and_is_granted(
    template: dict[str, Any], stack: Template
) -> None:
    stack.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "requestId", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
        },
    )
    for role in (f"{title}FunctionRole" for title in TYPES.values()):
        actions = {
            a
            for s in _statements(template, role)
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        assert {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"} <= actions, role
    stack.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {"REQUESTS_TABLE": {"Ref": Match.string_like_regexp("^Requests")}}
                )
            }
        },
    )


def test_rule_targets_have_an_encrypted_dead_letter_queue(stack: Template) -> None:
    queue = Capture()
    stack.has_resource_properties(
        "AWS::Events::Rule",
        {"Targets": [Match.object_like({"DeadLetterConfig": {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}})]},
    )
    key = Capture()
    stack.has_resource(
        "AWS::SQS::Queue",
        {"Properties": Match.object_like({"KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}})},
    )
    assert queue.as_string().startswith("RequestDeadLetters") and key.as_string().startswith("TopicKey")


def test_every_function_a_rule_invokes_keeps_what_it_fails_on(
    template: dict[str, Any], stack: Template
) -> None:
    """A function EventBridge invokes runs asynchronously: after Lambda's two retries an event it
    failed on would be dropped (an execution's clean-up would wait for a sweep). Each such function
    has an on-failure destination: one queue, encrypted with the stack's key, with an alarm on its
    depth, which the function's role may send to (its key only through SQS)."""
    resources = template["Resources"]
    invoked = {
        target["Arn"]["Fn::GetAtt"][0]
        for rule in resources.values()
        if rule["Type"] == "AWS::Events::Rule"
        for target in rule["Properties"].get("Targets", [])
        if target["Arn"].get("Fn::GetAtt", [""])[0] in resources
        and resources[target["Arn"]["Fn::GetAtt"][0]]["Type"] == "AWS::Lambda::Function"
    }
    assert {lid.split("Function")[0] for lid in invoked} == set(TYPES.values())
    configs = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    }
    assert set(configs) == invoked
    queues = set()
    for function, config in configs.items():
        assert config["Qualifier"] == "$LATEST", function
        assert config["MaximumRetryAttempts"] == 2 and config["MaximumEventAgeInSeconds"] == 6 * 3600
        [queue, attribute] = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
        assert attribute == "Arn" and resources[queue]["Type"] == "AWS::SQS::Queue"
        queues.add(queue)
        role = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [
            st
            for r in resources.values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
            for st in r["Properties"]["PolicyDocument"]["Statement"]
        ]
        sends = [st for st in statements if "sqs:SendMessage" in json.dumps(st["Action"])]
        assert [st["Resource"] for st in sends] == [{"Fn::GetAtt": [queue, "Arn"]}], function
        [key] = [st for st in statements if st.get("Sid") == "FailedInvocationsKey"]
        assert json.dumps(key["Condition"]).count("sqs.") == 1, key
    [queue] = queues
    assert not queue.startswith("RequestDeadLetters")  # Lambda's records, not EventBridge's events
    assert resources[queue]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("TopicKey")
    alarms = [
        a["Properties"]
        for a in resources.values()
        if a["Type"] == "AWS::CloudWatch::Alarm"
        and a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
    ]
    [alarm] = alarms
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic")
    stack.has_output("FailedInvocationsQueueUrl", {"Value": {"Ref": queue}})


def test_alarms_publish_to_the_alarm_topic(stack: Template) -> None:
    alarms = stack.find_resources("AWS::CloudWatch::Alarm")
    names = {props["Properties"].get("MetricName") for props in alarms.values()}
    assert {"RollbackFailed", "ExecutionsTimedOut", "ApproximateNumberOfMessagesVisible"} <= names
    # Failed executions, less the refused requests (the requester's errors), by metric math.
    failed = [
        a for a in alarms.values() if "ExecutionsFailed" in json.dumps(a["Properties"].get("Metrics", []))
    ]
    assert len(failed) == len(TYPES)
    for alarm in failed:
        expressions = [m.get("Expression") for m in alarm["Properties"]["Metrics"] if "Expression" in m]
        assert expressions == [
            "failed - FILL(r0, 0) - FILL(r1, 0) - FILL(r2, 0) - FILL(r3, 0) - FILL(r4, 0) - FILL(r5, 0) - FILL(r6, 0)"
        ]  # refusals
        text = json.dumps(alarm["Properties"]["Metrics"])
        assert all(
            code in text for code in ("InvalidRequest", "EndpointAlreadyExists", "PrerequisiteNotFound")
        )
    stack.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "RollbackFailed",
            "Namespace": "MlEndpointController",
            "Dimensions": Match.array_with([{"Name": "EndpointType", "Value": "neptune"}]),
            "AlarmActions": [{"Ref": Match.string_like_regexp("^MonitoringAlarmTopic")}],
        },
    )


def test_requests_of_no_deployed_type_are_routed_to_the_refusals(
    stack: Template, template: dict[str, Any]
) -> None:
    """A request whose endpointType is missing, unknown or not deployed matches the catch-all rule,
    which starts the refusals' state machine (not another type's lifecycle): Reject, with every
    deployed type named, then the notification, then Failed."""
    from moto.events.models import EventPattern

    from endpointctl.diagram import flatten
    from endpointctl.template import refusal_machine

    rules = stack.find_resources(
        "AWS::Events::Rule", {"Properties": {"Description": Match.string_like_regexp("no deployed type")}}
    )
    [rule] = rules.values()
    pattern = EventPattern.load(json.dumps(rule["Properties"]["EventPattern"]))

    def event(detail: dict[str, Any]) -> dict[str, Any]:
        return {"detail-type": "Endpoint Request", "source": "x", "detail": detail}

    assert pattern.matches_event(event({"endpointType": "redshift"}))
    assert pattern.matches_event(event({"params": {}}))
    assert not pattern.matches_event(event({"endpointType": "aml"}))
    refusals = refusal_machine(template)
    assert refusals is not None and refusals.logical_id.startswith("RefusalsStateMachine")
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": refusals.logical_id}
    asl = flatten(refusals.definition)
    assert asl["StartAt"] == "Reject" and set(asl["States"]) == {
        "Reject",
        "RefusedBefore?",
        "PublishEvent",
        "PublishNotification",
        "Failed",
    }
    payload = asl["States"]["Reject"]["Parameters"]
    assert payload["step"] == "reject" and payload["deployed"] == list(TYPES)
    assert "endpointType" not in payload  # it handles no type
    assert "RefusalsStateMachineArn" in stack.find_outputs("*")


def _logical_id(template: dict[str, Any], prefix: str) -> str:
    [found] = [lid for lid in template["Resources"] if lid.startswith(prefix) and len(lid) == len(prefix) + 8]
    return found


def test_sagemaker_state_changes_of_the_controllers_endpoints_resume_the_lifecycle(
    template: dict[str, Any],
) -> None:
    stack = Template.from_json(template)
    rules = stack.find_resources(
        "AWS::Events::Rule", {"Properties": {"EventPattern": {"source": ["aws.sagemaker"]}}}
    )
    [(_, rule)] = rules.items()
    properties = rule["Properties"]
    assert "EventBusName" not in properties  # AWS services publish on the default bus
    pattern = properties["EventPattern"]
    # one rule for both detail-types: the endpoint's status, and an update's deployment phases
    assert pattern["detail-type"] == [
        "SageMaker Endpoint State Change",
        "SageMaker Endpoint Deployment State Change",
    ]
    # a status that ends a wait (or an update's rollback), or a deployment phase; nothing else
    [statuses, phases] = pattern["detail"]["$or"]
    assert set(statuses["EndpointStatus"]) == {
        "IN_SERVICE",
        "FAILED",
        "UPDATE_ROLLBACK_FAILED",
        "ROLLING_BACK",
        "InService",
        "Failed",
        "UpdateRollbackFailed",
        "RollingBack",
    }
    assert phases == {"PendingDeploymentSummary": {"EndpointConfigName": [{"exists": True}]}}
    # no Tags filter: the function sorts out whose endpoint it is (tests/infra/test_real_aws.py)
    assert set(pattern["detail"]) == {"$or"}
    [target] = properties["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_logical_id(template, "SageMakerFunction"), "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 8 and "DeadLetterConfig" in target


def test_only_sagemaker_waits_for_a_task_token(template: dict[str, Any]) -> None:
    for lid, resource in (
        Template.from_json(template).find_resources("AWS::StepFunctions::StateMachine").items()
    ):
        text = json.dumps(resource["Properties"]["DefinitionString"])
        waits = "lambda:invoke.waitForTaskToken" in text
        assert waits == lid.startswith("SageMaker"), lid
        if waits:
            assert "TimeoutSecondsPath" in text and "States.Timeout" in text


@pytest.mark.parametrize(
    ("status", "tags", "matches"),
    [
        ("IN_SERVICE", {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"}, True),
        ("InService", {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"}, True),
        ("FAILED", {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"}, True),
        ("ROLLING_BACK", {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"}, True),
        # a create's Creating and an update's bare Updating cost no invocation
        ("CREATING", {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"}, False),
        ("UPDATING", {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"}, False),
        # someone else's endpoint, or one whose tags the event does not carry: the rule passes it, and
        # the function finds no lifecycle of its own waiting for it (steps/readiness.py resume)
        ("IN_SERVICE", {"team": "other"}, True),
        ("IN_SERVICE", {}, True),
    ],
)
def test_the_state_change_rule_matches_settled_endpoints(
    template: dict[str, Any], status: str, tags: dict[str, str], matches: bool
) -> None:
    from moto.events.models import EventPattern

    [rule] = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and "aws.sagemaker" in json.dumps(r["Properties"].get("EventPattern"))
    ]
    event = {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Endpoint State Change",
        "detail": {"EndpointName": "e", "EndpointStatus": status, "Tags": tags},
    }
    assert EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event) is matches


@pytest.mark.parametrize(
    ("detail_type", "pending", "matches"),
    [
        # the documented deployment event (automating-sagemaker-with-eventbridge.html): a phase
        ("SageMaker Endpoint Deployment State Change", True, True),
        ("SageMaker Endpoint Deployment State Change", False, False),  # no deployment: a capacity change
        ("SageMaker Endpoint State Change", True, True),
        ("SageMaker Endpoint Config State Change", True, False),
    ],
)
def test_the_state_change_rule_matches_an_update_s_deployment_phases(
    template: dict[str, Any], detail_type: str, pending: bool, matches: bool
) -> None:
    from moto.events.models import EventPattern  # the matcher the local runner delivers with

    [rule] = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and "aws.sagemaker" in json.dumps(r["Properties"].get("EventPattern"))
    ]
    detail: dict[str, Any] = {"EndpointName": "e", "EndpointStatus": "UPDATING", "Tags": {}}
    if pending:
        detail["PendingDeploymentSummary"] = {
            "EndpointConfigName": "e-v2",
            "ProductionVariants": [{"VariantName": "AllTraffic", "VariantStatus": [{"Status": "Baking"}]}],
        }
    event = {"source": "aws.sagemaker", "detail-type": detail_type, "detail": detail}
    assert EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event) is matches


def _environment(template: dict[str, Any], description_part: str) -> dict[str, str]:
    [variables] = [
        r["Properties"]["Environment"]["Variables"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and description_part in r["Properties"].get("Description", "")
    ]
    return dict(variables)


def test_the_quota_check_reads_service_quotas_unless_switched_off(
    template: dict[str, Any], custom_template: dict[str, Any]
) -> None:
    """On by default (the SageMaker function lists Service Quotas' quotas, read-only, on '*': the
    only resource those actions take); ``quotaCheck: false`` (CUSTOM) grants nothing and says off."""
    reads = {"servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"}
    granted = [s for s in _statements(template, "SageMakerFunctionRole") if reads & _actions_of(s)]
    assert [(_actions_of(s), s["Resource"], s["Effect"]) for s in granted] == [(reads, "*", "Allow")]
    assert _environment(template, "sagemaker endpoint lifecycle")["QUOTA_CHECK"] == "on"
    assert _environment(custom_template, "sagemaker endpoint lifecycle")["QUOTA_CHECK"] == "off"
    everywhere = json.dumps(
        [r for r in custom_template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    )
    assert "servicequotas:" not in everywhere
    for other in ("aml endpoint", "neptune endpoint"):  # their requests draw on no instance quota
        assert "QUOTA_CHECK" not in _environment(custom_template, other)
