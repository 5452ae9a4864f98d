"""The runner authorizes every call with the synthesized IAM (endpointctl/runner/iam): the
statements this template really holds, allowed and denied, as AWS's evaluation logic decides."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from endpointctl.runner import LocalRunner, lambdas, quiet_stdout
from endpointctl.template import resources
from tests.conftest import Runner

pytestmark = pytest.mark.slow

OWNER_TAG = "ml-endpoint-controller:request-id"
ARN = "arn:aws:{service}:us-east-1:123456789012:{resource}"


@pytest.fixture
def runner(template: dict[str, Any]) -> Iterator[LocalRunner]:
    with (
        quiet_stdout(),
        LocalRunner(
            template,
            {
                "sagemaker": {
                    "existing": {
                        "endpoints": ["theirs", {"EndpointName": "churn", "EndpointConfigName": "churn-v1"}]
                    }
                }
            },
        ) as world,
    ):
        yield world


def role_of(runner: LocalRunner, title: str) -> str:
    [name] = [n for n in runner.staged.roles if n.startswith(f"{title}Function")]
    return runner.staged.roles[name]


def allowed(runner: LocalRunner, role: str, service: str, operation: str, **params: Any) -> bool:
    return runner.authorizer.check(role, service, operation, params) is None


def test_each_function_may_call_its_own_service_only(runner: LocalRunner) -> None:
    sagemaker, aml = role_of(runner, "SageMaker"), role_of(runner, "Aml")
    assert allowed(runner, sagemaker, "sagemaker", "DescribeEndpoint", EndpointName="anything")
    assert allowed(runner, sagemaker, "sagemaker", "CreateEndpoint", EndpointName="e", EndpointConfigName="c")
    assert not allowed(runner, aml, "sagemaker", "DescribeEndpoint", EndpointName="anything")
    assert allowed(runner, aml, "machinelearning", "GetMLModel", MLModelId="m")
    assert not allowed(runner, sagemaker, "machinelearning", "GetMLModel", MLModelId="m")
    assert not allowed(runner, sagemaker, "sagemaker", "CreateModel", ModelName="m")  # never granted


def test_sagemaker_deletes_need_the_controllers_ownership_tag(runner: LocalRunner) -> None:
    role = role_of(runner, "SageMaker")
    backend = runner.simulators["sagemaker"].backend()  # type: ignore[attr-defined]
    # "theirs" exists without the tag: the DeleteOnlyWhatTheControllerCreated condition refuses
    assert not allowed(runner, role, "sagemaker", "DeleteEndpoint", EndpointName="theirs")
    backend.endpoints["theirs"].tags.append({"Key": OWNER_TAG, "Value": "r-1"})
    try:
        assert allowed(runner, role, "sagemaker", "DeleteEndpoint", EndpointName="theirs")
    finally:
        backend.endpoints["theirs"].tags.pop()


STACK_TAG = "ml-endpoint-controller:stack"


def test_sagemaker_changes_nothing_another_stack_made(runner: LocalRunner) -> None:
    """Two stacks in one account: this stack's role may not delete, update or re-tag an endpoint
    whose stack tag names another stack (staging's), even with the ownership tag; its own, and
    one made before the stack tag existed, it may."""
    role = role_of(runner, "SageMaker")
    backend = runner.simulators["sagemaker"].backend()  # type: ignore[attr-defined]
    tags = backend.endpoints["theirs"].tags
    tags.append({"Key": OWNER_TAG, "Value": "r-1"})
    update = {"EndpointName": "theirs", "EndpointConfigName": "new-cfg"}
    adopt = {"ResourceArn": ARN.format(service="sagemaker", resource="endpoint/theirs")}
    try:
        tags.append({"Key": STACK_TAG, "Value": "MlEndpointControllerStaging"})
        assert not allowed(runner, role, "sagemaker", "DeleteEndpoint", EndpointName="theirs")
        assert not allowed(runner, role, "sagemaker", "UpdateEndpoint", **update)
        assert not allowed(runner, role, "sagemaker", "AddTags", **adopt, Tags=[{"Key": "k", "Value": "v"}])
        tags[-1] = {"Key": STACK_TAG, "Value": "MlEndpointController"}  # this stack's
        assert allowed(runner, role, "sagemaker", "DeleteEndpoint", EndpointName="theirs")
        assert allowed(runner, role, "sagemaker", "UpdateEndpoint", **update)
        tags.pop()  # made before the stack tag existed
        assert allowed(runner, role, "sagemaker", "DeleteEndpoint", EndpointName="theirs")
        # tagging never gives an endpoint another stack's tag (AddTags overwrites)
        other = [{"Key": STACK_TAG, "Value": "MlEndpointControllerStaging"}]
        assert not allowed(runner, role, "sagemaker", "AddTags", **adopt, Tags=other)
        mine = [{"Key": STACK_TAG, "Value": "MlEndpointController"}]
        assert allowed(runner, role, "sagemaker", "AddTags", **adopt, Tags=mine)
    finally:
        del tags[tags.index({"Key": OWNER_TAG, "Value": "r-1"}) :]


@pytest.mark.parametrize("title", ["SageMaker", "Aml", "Neptune"])
def test_expiry_schedules_only_in_the_stacks_own_group(runner: LocalRunner, title: str) -> None:
    """Expiry schedules are named alike in every stack: each stack's functions may create, move or
    cancel only their own type's, in their stack's own group, never the default group's."""
    role = role_of(runner, title)
    name = f"expire-{title.lower()}-0123456789abcdef"
    for operation in ("CreateSchedule", "UpdateSchedule", "DeleteSchedule"):
        assert allowed(runner, role, "scheduler", operation, Name=name, GroupName="MlEndpointController")
        for group in ("default", "MlEndpointControllerStaging"):
            assert not allowed(runner, role, "scheduler", operation, Name=name, GroupName=group), group


def test_eventbridge_may_use_the_key_only_for_this_accounts_rules(
    runner: LocalRunner, template: dict[str, Any]
) -> None:
    """Dead letters into the encrypted queue: EventBridge uses the key for this account's rules
    (aws:SourceAccount, aws:SourceArn), not for another account's, nor without a source."""
    [queue] = [lid for lid in resources(template, "AWS::SQS::Queue") if lid.startswith("RequestDeadLetters")]
    [key_lid] = resources(template, "AWS::KMS::Key")
    key = runner.staged.resolve({"Fn::GetAtt": [key_lid, "Arn"]})
    rule = ARN.format(service="events", resource="rule/ml-endpoint-controller/SageMakerRequests")
    mine = {"aws:SourceAccount": "123456789012", "aws:SourceArn": rule}
    service = "events.amazonaws.com"
    assert queue
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert runner.authorizer.service_may(service, action, key, mine)
        theirs = {
            "aws:SourceAccount": "210987654321",
            "aws:SourceArn": rule.replace("123456789012", "210987654321"),
        }
        assert not runner.authorizer.service_may(service, action, key, theirs)
        assert not runner.authorizer.service_may(service, action, key, {})


def test_the_requests_table_is_the_only_table(runner: LocalRunner, template: dict[str, Any]) -> None:
    role = role_of(runner, "Neptune")
    [table] = resources(template, "AWS::DynamoDB::Table")
    assert allowed(runner, role, "dynamodb", "PutItem", TableName=table)
    assert allowed(runner, role, "dynamodb", "GetItem", TableName=table)
    assert not allowed(runner, role, "dynamodb", "PutItem", TableName="SomeoneElsesTable")
    assert not allowed(runner, role, "dynamodb", "Scan", TableName=table)  # single items only


def test_a_task_token_answers_only_the_functions_own_state_machine(runner: LocalRunner) -> None:
    role = role_of(runner, "SageMaker")
    own = runner.arns["sagemaker"]
    other = runner.arns["aml"]
    world = runner.authorizer.world
    runner.authorizer.world = replace(
        world, machine_of_token=lambda token: {"own": own, "other": other}.get(token)
    )
    try:
        assert_token_rules(runner, role, own)
    finally:
        runner.authorizer.world = world


def assert_token_rules(runner: LocalRunner, role: str, own: str) -> None:
    assert allowed(runner, role, "stepfunctions", "SendTaskSuccess", taskToken="own")
    assert not allowed(runner, role, "stepfunctions", "SendTaskSuccess", taskToken="other")
    assert not allowed(runner, role_of(runner, "Aml"), "stepfunctions", "SendTaskSuccess", taskToken="other")
    assert not allowed(runner, role, "stepfunctions", "SendTaskSuccess", taskToken="unknown")


def test_eventbridge_may_invoke_a_function_only_for_its_rule(runner: LocalRunner) -> None:
    [rule] = [
        r
        for r in runner.staged.default_bus_rules
        if r.get("EventPattern", {}).get("source") == ["aws.sagemaker"]
    ]
    function = ARN.format(
        service="lambda",
        resource="function:" + next(n for n in runner.staged.roles if n.startswith("SageMakerFunction")),
    )
    assert lambdas.events_may_invoke(runner, rule, function)
    other = {"Targets": []}
    assert not runner.authorizer.service_may(
        "events.amazonaws.com",
        "lambda:InvokeFunction",
        function,
        {
            "aws:SourceArn": ARN.format(service="events", resource="rule/SomeOtherRule"),
            "aws:SourceAccount": "123456789012",
        },
    )
    assert other  # a rule the template does not hold has no permission to name


def test_a_denied_call_fails_as_the_service_fails_it(
    local_run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from endpointctl.runner.iam import policies

    read = policies.Policies.read

    def without_sagemaker_grants(template: dict[str, Any], staged: Any) -> Any:
        found = read(template, staged)

        def without(statement: dict[str, Any]) -> dict[str, Any]:
            actions = statement.get("Action")
            kept = [
                a
                for a in ([actions] if isinstance(actions, str) else actions)
                if a != "sagemaker:CreateEndpoint"
            ]
            return {**statement, "Action": kept or ["none:none"]}

        for arn, documents in found.identity.items():
            if "SageMakerFunction" in arn:
                found.identity[arn] = [
                    {**d, "Statement": [without(s) for s in d["Statement"]]} for d in documents
                ]
        return found

    monkeypatch.setattr(policies.Policies, "read", staticmethod(without_sagemaker_grants))
    request = {"endpointType": "sagemaker", "params": {"EndpointName": "ep", "EndpointConfigName": "cfg"}}

    [result] = local_run([request])

    assert result["error"] == "ProviderError"
    detail = result["notifications"]["events"][0]["detail"]
    assert "AccessDeniedException" in detail["error"]["message"]
    assert "not authorized to perform: sagemaker:CreateEndpoint" in detail["error"]["message"]
    assert "sagemaker:CreateEndpoint" in result["calls"]  # a denied call is still a call made
    assert result["remaining"]["sagemaker"]["endpoints"] == []


def test_cloudwatch_alarms_may_publish_to_the_alarm_topic_and_use_its_key(
    runner: LocalRunner, template: dict[str, Any]
) -> None:
    [alarm_topic] = [lid for lid in resources(template, "AWS::SNS::Topic") if "Alarm" in lid]
    topic = runner.staged.resolve({"Ref": alarm_topic})
    key = runner.authorizer.policies.keys[topic]
    alarm = ARN.format(service="cloudwatch", resource="alarm:SageMakerRollbackFailed")
    mine = {"aws:SourceAccount": "123456789012", "aws:SourceArn": alarm}
    service = "cloudwatch.amazonaws.com"
    assert runner.authorizer.service_may(service, "sns:Publish", topic, mine)
    assert runner.authorizer.service_may(service, "kms:GenerateDataKey", key, mine)
    assert runner.authorizer.service_may(service, "kms:Decrypt", key, mine)
    # another account's alarm, or no source at all: refused by the topic's own policy
    theirs = {
        "aws:SourceAccount": "210987654321",
        "aws:SourceArn": alarm.replace("123456789012", "210987654321"),
    }
    assert not runner.authorizer.service_may(service, "sns:Publish", topic, theirs)
    assert not runner.authorizer.service_may(service, "sns:Publish", topic, {})


def test_an_inline_config_may_pass_this_accounts_roles_and_keys_to_sagemaker_only(
    runner: LocalRunner,
) -> None:
    role = role_of(runner, "SageMaker")
    own_role = "arn:aws:iam::123456789012:role/sagemaker-execution"
    own_key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def config(**extra: Any) -> bool:
        return allowed(runner, role, "sagemaker", "CreateEndpointConfig", EndpointConfigName="c", **extra)

    assert config(ExecutionRoleArn=own_role)
    assert config(KmsKeyId=own_key)
    assert config(KmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab")  # a bare key id: this region's key
    assert not config(ExecutionRoleArn=own_role.replace("123456789012", "210987654321"))
    assert not config(KmsKeyId=own_key.replace("us-east-1", "eu-west-1"))
    # PassRole is allowed only towards SageMaker, KMS grants only through it
    assert runner.authorizer.check(role, "iam", "PassRole", {"RoleArn": own_role}) is not None


def test_an_inline_config_with_a_key_and_an_execution_role_is_created_under_iam(local_run: Runner) -> None:
    """A customer's key has (as far as the runner knows) KMS's default key policy, which lets this
    account's IAM policies decide: the function's grants then allow SageMaker to use it."""
    config = {
        "EndpointConfigName": "keyed-cfg",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/sagemaker-execution",
    }
    request = {
        "endpointType": "sagemaker",
        "params": {"EndpointName": "keyed", "EndpointConfigName": "keyed-cfg", "EndpointConfig": config},
    }

    [result] = local_run([request])

    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert {"sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint"} <= set(result["calls"])
    assert result["remaining"]["sagemaker"]["endpoints"] == ["keyed"]


def test_registering_a_variant_again_may_create_only_its_service_linked_role(runner: LocalRunner) -> None:
    """Application Auto Scaling creates its service-linked role on the first RegisterScalableTarget
    of a namespace, with the caller's iam:CreateServiceLinkedRole: the runner asks for it while the
    role does not exist (as AWS does), and the grant allows that role for that service only."""
    from endpointctl.sim.iam import role_exists, scaling_role

    role = role_of(runner, "SageMaker")
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/churn/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    linked = scaling_role("sagemaker")
    assert linked is not None
    assert not role_exists(linked[0])
    # Application Auto Scaling also checks the target service with the caller's permissions
    on_sagemaker = [
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        "sagemaker:DescribeEndpointConfig",
    ]
    needed = [r.action for r in _requests(runner, role, "RegisterScalableTarget", target)]
    assert needed == [
        "application-autoscaling:RegisterScalableTarget",
        "iam:CreateServiceLinkedRole",
        *on_sagemaker,
    ]
    assert allowed(runner, role, "application-autoscaling", "RegisterScalableTarget", **target)
    # Once registered, the role exists and is not asked for again.
    import boto3

    boto3.client("application-autoscaling", region_name="us-east-1").register_scalable_target(
        **target, MinCapacity=1, MaxCapacity=2
    )
    assert role_exists(linked[0])
    needed = [r.action for r in _requests(runner, role, "RegisterScalableTarget", target)]
    assert needed == ["application-autoscaling:RegisterScalableTarget", *on_sagemaker]


def _requests(runner: LocalRunner, role: str, operation: str, params: dict[str, Any]) -> list[Any]:
    from endpointctl.runner.iam.calls import requests_for

    return requests_for("application-autoscaling", operation, params, role, runner.authorizer.world)


def test_the_service_linked_role_grant_is_that_role_for_that_service_only(runner: LocalRunner) -> None:
    from endpointctl.runner.iam.evaluator import IamRequest
    from endpointctl.sim.iam import scaling_role

    role = role_of(runner, "SageMaker")
    linked = scaling_role("sagemaker")
    assert linked is not None
    arn, principal = linked

    def may(resource: str, service: str, who: str = role) -> bool:
        request = IamRequest(
            principal=who,
            action="iam:CreateServiceLinkedRole",
            resource=resource,
            context=(("aws:SecureTransport", "true"), ("iam:AWSServiceName", service)),
            resource_policy=None,
        )
        return runner.authorizer.allowed_request(request, runner.authorizer.policies.of_role(who))

    assert may(arn, principal)
    assert not may(arn, "elasticmapreduce.amazonaws.com")
    other = "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/x"
    assert not may(other, "ecs.application-autoscaling.amazonaws.com")
    assert not may(arn, principal, who=role_of(runner, "Aml"))
