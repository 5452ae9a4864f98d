"""Where a real AWS account is stricter than moto: each finding pinned on the synthesized template.

moto accepts topic policies, key policies, ENI-less VPC functions, any layer ARN and any log group
name; AWS does not (../shared/FIELD-NOTES.md, "Real AWS, where moto is kinder"). Each test here
reads what ``cdk synth`` writes and checks the part AWS would refuse or silently break.
"""

from __future__ import annotations

import importlib.metadata
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from endpointctl import project_root
from endpointctl.synth import SynthError, cdk_context, synthesize
from infra import catalog
from infra.config import Config, ConfigError
from tests.infra.acknowledgments import record_acknowledgments
from tests.infra.contexts import NEPTUNE, NEPTUNE_VPC, SAGEMAKER_KEY, SAGEMAKER_ROLE

PARTITION = {"Ref": "AWS::Partition"}
REGION = {"Ref": "AWS::Region"}
ACCOUNT = {"Ref": "AWS::AccountId"}


def _cdk_json() -> dict[str, Any]:
    return dict(json.loads((project_root() / "cdk.json").read_text())["context"])


def _app(context: dict[str, Any] | None = None) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(context={**_cdk_json(), **(context or {})})
    return app, cdk_app.build(app)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def _one(template: dict[str, Any], kind: str, prefix: str) -> tuple[str, dict[str, Any]]:
    [found] = [(lid, r) for lid, r in _resources(template, kind).items() if lid.startswith(prefix)]
    return found


def _statements_of_role(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in _resources(template, "AWS::IAM::Policy").values():
        if role_prefix in json.dumps(policy["Properties"]["Roles"]):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _key_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    _, key = _one(template, "AWS::KMS::Key", "TopicKey")
    return list(key["Properties"]["KeyPolicy"]["Statement"])


def _by_service_principal(statements: list[dict[str, Any]], service: Any) -> dict[str, Any]:
    [found] = [
        s
        for s in statements
        if isinstance(s.get("Principal"), dict) and s["Principal"].get("Service") == service
    ]
    return found


def _join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


def _acknowledged(monkeypatch: pytest.MonkeyPatch, context: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Synthesize in-process (cdk-nag runs) and return every acknowledgment made."""
    found = record_acknowledgments(monkeypatch)
    app, _ = _app(context)
    app.synth()
    return found


# -- 1. Alarms can notify ---------------------------------------------------------------------------
def test_cloudwatch_alarms_may_publish_to_the_alarm_topic(template: dict[str, Any]) -> None:
    """enforce_ssl replaces the topic's default policy; CloudWatch needs an Allow of its own."""
    _, topic = _one(template, "AWS::SNS::Topic", "MonitoringAlarmTopic")
    topic_lid = next(lid for lid in template["Resources"] if lid.startswith("MonitoringAlarmTopic"))
    policies = [
        p
        for p in _resources(template, "AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic_lid}]
    ]
    [policy] = policies
    allow = _by_service_principal(
        policy["Properties"]["PolicyDocument"]["Statement"], "cloudwatch.amazonaws.com"
    )
    assert allow["Effect"] == "Allow" and allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": topic_lid}
    alarms = _join("arn:", PARTITION, ":cloudwatch:", REGION, ":", ACCOUNT, ":alarm:*")
    assert allow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": alarms},
    }
    assert "KmsMasterKeyId" in topic["Properties"]


def test_the_key_lets_cloudwatch_alarms_use_it_only_for_this_accounts_alarms(
    template: dict[str, Any],
) -> None:
    cloudwatch = _by_service_principal(_key_statements(template), "cloudwatch.amazonaws.com")
    assert _actions(cloudwatch) == {"kms:Decrypt", "kms:GenerateDataKey"}
    alarms = _join("arn:", PARTITION, ":cloudwatch:", REGION, ":", ACCOUNT, ":alarm:*")
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": alarms},
    }


# -- 2. The Neptune function in its VPC ---------------------------------------------------------------
ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def test_the_neptune_function_in_a_vpc_may_manage_its_network_interfaces(
    custom_template: dict[str, Any],
) -> None:
    """CUSTOM (tests/infra/contexts.py) lists neptune with its cluster and network (NEPTUNE_VPC)."""
    template = custom_template
    statements = [
        s for s in _statements_of_role(template, "NeptuneFunctionRole") if s["Action"] != "sts:AssumeRole"
    ]
    ec2 = [s for s in statements if any(a.startswith("ec2:") for a in _actions(s))]
    assert set().union(*(_actions(s) for s in ec2)) == ENI_ACTIONS
    network_interfaces = _join("arn:", PARTITION, ":ec2:", REGION, ":", ACCOUNT, ":network-interface/*")
    subnets = [
        _join("arn:", PARTITION, ":ec2:", REGION, ":", ACCOUNT, f":subnet/{s}")
        for s in ("subnet-0aa11111", "subnet-0bb22222")
    ]
    vpc = _join("arn:", PARTITION, ":ec2:", REGION, ":", ACCOUNT, ":vpc/vpc-0abc1234")
    in_the_vpc = {"ArnEquals": {"ec2:Subnet": subnets, "ec2:Vpc": vpc}}
    by_sid = {s["Sid"]: s for s in ec2}
    describe = by_sid["DescribeNetworkInterfaces"]
    assert _actions(describe) == {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}
    assert describe["Resource"] == "*"
    # The new network interface has no ec2:Subnet or ec2:Vpc key (the reference lists none for it):
    # a condition on them could never allow CreateNetworkInterface. Its subnets and group do.
    create = by_sid["CreateNetworkInterfaces"]
    assert create["Action"] == "ec2:CreateNetworkInterface"
    assert create["Resource"] == network_interfaces and "Condition" not in create
    placement = by_sid["CreateNetworkInterfaceWithItsSubnetsAndGroup"]
    assert placement["Action"] == "ec2:CreateNetworkInterface"
    assert placement["Resource"] == [
        *subnets,
        _join("arn:", PARTITION, ":ec2:", REGION, ":", ACCOUNT, ":security-group/sg-01234567"),
    ]
    manage = by_sid["ManageItsNetworkInterfaces"]
    assert _actions(manage) == {
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
    assert manage["Resource"] == network_interfaces and manage["Condition"] == in_the_vpc
    # CloudFormation creates the function only once the role may create its network interfaces.
    policy_lid = next(
        lid
        for lid, p in _resources(template, "AWS::IAM::Policy").items()
        if "ec2:DescribeNetworkInterfaces" in json.dumps(p["Properties"]["PolicyDocument"])
    )
    function_lid, function = _one(template, "AWS::Lambda::Function", "NeptuneFunction")
    assert policy_lid in function.get("DependsOn", []), function_lid
    assert "VpcConfig" in function["Properties"]


def test_without_a_vpc_the_neptune_function_gets_no_network_permissions(template: dict[str, Any]) -> None:
    actions = set().union(*(_actions(s) for s in _statements_of_role(template, "NeptuneFunctionRole")))
    assert not {a for a in actions if a.startswith("ec2:")}


def test_the_neptune_network_acknowledgments_name_what_is_attached(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _acknowledged(monkeypatch, {"endpointTypes": "neptune", **NEPTUNE_VPC})
    rules = {rule for _, rule, _ in found}
    assert not any(rule.startswith("IAM4") for rule in rules), "no managed policy is attached"
    eni = [(path, rule, reason) for path, rule, reason in found if "NetworkInterfaces" in path]
    assert {rule for _, rule, _ in eni} == {
        "IAM5[Resource::*]",
        "IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]",
    }
    assert all("DescribeNetworkInterfaces" in reason or "ec2:Subnet" in reason for _, _, reason in eni)


# -- 3. PassRole and KMS for inline endpoint configs -----------------------------------------------------
def test_the_sagemaker_function_may_pass_roles_and_use_keys_only_for_sagemaker(
    template: dict[str, Any],
) -> None:
    by_sid = {s.get("Sid"): s for s in _statements_of_role(template, "SageMakerFunctionRole")}
    passing = by_sid["PassExecutionRolesToSageMaker"]
    assert passing["Action"] == "iam:PassRole"
    assert passing["Resource"] == _join("arn:", PARTITION, ":iam::", ACCOUNT, ":role/*")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    keys = by_sid["EndpointConfigKeysThroughSageMaker"]
    assert _actions(keys) == {"kms:CreateGrant", "kms:DescribeKey"}
    assert keys["Resource"] == _join("arn:", PARTITION, ":kms:", REGION, ":", ACCOUNT, ":key/*")
    assert keys["Condition"] == {
        "StringEquals": {"kms:ViaService": _join("sagemaker.", REGION, ".amazonaws.com")}
    }


def test_context_narrows_the_roles_and_keys_a_sagemaker_request_may_name(
    custom_template: dict[str, Any],
) -> None:
    """CUSTOM (tests/infra/contexts.py) names one role and one key."""
    role, key, template = SAGEMAKER_ROLE, SAGEMAKER_KEY, custom_template
    by_sid = {s.get("Sid"): s for s in _statements_of_role(template, "SageMakerFunctionRole")}
    assert by_sid["PassExecutionRolesToSageMaker"]["Resource"] == role
    assert by_sid["PassExecutionRolesToSageMaker"]["Condition"]["StringEquals"] == {
        "iam:PassedToService": "sagemaker.amazonaws.com"
    }
    assert by_sid["EndpointConfigKeysThroughSageMaker"]["Resource"] == key


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"sagemakerExecutionRoleArns": "my-role"}, "sagemakerExecutionRoleArns"),
        ({"sagemakerExecutionRoleArns": ["arn:aws:iam::12:role/x"]}, "sagemakerExecutionRoleArns"),
        ({"sagemakerKmsKeyArns": "alias/my-key"}, "sagemakerKmsKeyArns"),
        ({"sagemakerKmsKeyArns": [7]}, "sagemakerKmsKeyArns"),
    ],
    ids=["role-name", "short-account", "key-alias", "not-a-string"],
)
def test_bad_sagemaker_role_or_key_context_fails_the_synth(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_context(_app_node(context))


def _app_node(context: dict[str, Any]) -> Any:
    return cdk.App(context={**_cdk_json(), **context}).node


# -- 4. Powertools layer ------------------------------------------------------------------------------------
def test_the_layer_version_carries_the_powertools_release_the_tests_run() -> None:
    from infra.function import POWERTOOLS_LAYER_RELEASES

    layer = int(_cdk_json()["powertoolsLayerVersion"])
    assert POWERTOOLS_LAYER_RELEASES[layer] == importlib.metadata.version("aws-lambda-powertools")
    assert Config().powertools_layer_version == layer


def test_the_layer_release_table_agrees_with_what_powertools_documents() -> None:
    from infra.function import POWERTOOLS_LAYER_RELEASES

    # the points infra/function.py cites; the rest of the table follows from PyPI's release order
    documented = {2: "3.1.0", 3: "3.2.0", 5: "3.4.0", 6: "3.4.1", 26: "3.22.1", 27: "3.23.0"}
    assert {layer: POWERTOOLS_LAYER_RELEASES[layer] for layer in documented} == documented


def test_the_layer_publisher_follows_the_partition_and_region(template: dict[str, Any]) -> None:
    # Region unknown at synth (an environment-agnostic stack): a mapping CloudFormation resolves.
    [mapping] = [m for name, m in template.get("Mappings", {}).items() if name.startswith("PowertoolsLayer")]
    assert mapping["us-east-1"]["account"] == "017000801446"
    assert mapping["cn-north-1"]["account"] == "498634801083"
    assert mapping["us-gov-east-1"]["account"] == "165087284144"
    assert mapping["us-gov-west-1"]["account"] == "165093116878"
    assert "cn-northwest-1" not in mapping  # Powertools publishes no layer there
    _, function = _one(template, "AWS::Lambda::Function", "SageMakerFunction")
    assert "Fn::FindInMap" in json.dumps(function["Properties"]["Layers"])
    # A known region: the ARN is literal, in that partition.
    for region, arn in [
        ("cn-north-1", "arn:aws-cn:lambda:cn-north-1:498634801083:layer:"),
        ("us-gov-west-1", "arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:"),
        ("eu-west-1", "arn:aws:lambda:eu-west-1:017000801446:layer:"),
    ]:
        app = cdk.App(context=_cdk_json())
        stack = _bound_stack(app, region)
        layers = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
        text = json.dumps([f["Properties"]["Layers"] for f in layers.values()])
        version = _cdk_json()["powertoolsLayerVersion"]
        assert f'"{arn}AWSLambdaPowertoolsPythonV3-python312-x86_64:{version}"' in text, text


def test_a_region_without_a_powertools_layer_fails_the_synth() -> None:
    with pytest.raises(Exception, match="cn-northwest-1"):
        _bound_stack(cdk.App(context=_cdk_json()), "cn-northwest-1")


def _bound_stack(app: cdk.App, region: str) -> cdk.Stack:
    from infra.stack import ControllerStack

    config = Config.from_context(app.node)
    return ControllerStack(
        app, config.stack_name, config=config, env=cdk.Environment(account="123456789012", region=region)
    )


# -- 5. Vended logs ----------------------------------------------------------------------------------------
def test_state_machine_log_groups_are_vended_log_groups_of_this_stack(template: dict[str, Any]) -> None:
    machines = _resources(template, "AWS::StepFunctions::StateMachine")
    groups = _resources(template, "AWS::Logs::LogGroup")
    used = set()
    for machine in machines.values():
        [destination] = machine["Properties"]["LoggingConfiguration"]["Destinations"]
        used.add(destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0])
    names = [groups[lid]["Properties"]["LogGroupName"] for lid in used]
    assert len(names) == len(machines) == len(set(names))
    assert all(name.startswith("/aws/vendedlogs/states/MlEndpointController/") for name in names), names


# -- 7. The customer-managed key everywhere -------------------------------------------------------------------
def test_log_groups_table_and_dead_letter_queue_use_the_customer_managed_key(
    template: dict[str, Any],
) -> None:
    key_lid, _ = _one(template, "AWS::KMS::Key", "TopicKey")
    key_arn = {"Fn::GetAtt": [key_lid, "Arn"]}
    groups = _resources(template, "AWS::Logs::LogGroup")
    assert groups and all(g["Properties"].get("KmsKeyId") == key_arn for g in groups.values())
    _, table = _one(template, "AWS::DynamoDB::Table", "Requests")
    assert table["Properties"]["SSESpecification"] == {
        "KMSMasterKeyId": key_arn,
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    _, queue = _one(template, "AWS::SQS::Queue", "RequestDeadLetters")
    assert queue["Properties"]["KmsMasterKeyId"] == key_arn
    assert "SqsManagedSseEnabled" not in queue["Properties"]


def test_the_key_lets_cloudwatch_logs_use_it_for_this_accounts_log_groups(template: dict[str, Any]) -> None:
    logs = _by_service_principal(_key_statements(template), _join("logs.", REGION, ".amazonaws.com"))
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= _actions(logs)
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": _join(
                "arn:", PARTITION, ":logs:", REGION, ":", ACCOUNT, ":log-group:*"
            )
        }
    }


def test_the_key_lets_eventbridge_dead_letter_into_the_encrypted_queue(template: dict[str, Any]) -> None:
    events = _by_service_principal(_key_statements(template), "events.amazonaws.com")
    assert _actions(events) == {"kms:Decrypt", "kms:GenerateDataKey"}
    # this account's rules only (the EventBridge and SQS docs' confused-deputy guard, infra/key.py);
    # the queue policy narrows the senders to the stack's own rules
    rules = _join("arn:", PARTITION, ":events:", REGION, ":", ACCOUNT, ":rule/*")
    assert events["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": rules},
    }
    _, queue_policy = _one(template, "AWS::SQS::QueuePolicy", "RequestDeadLetters")
    senders = [
        s
        for s in queue_policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal", {}).get("Service") == "events.amazonaws.com"
    ]
    assert senders and all("aws:SourceArn" in json.dumps(s["Condition"]) for s in senders)


def test_each_function_may_use_the_key_only_through_dynamodb_sns_and_sqs(template: dict[str, Any]) -> None:
    """The table's items (DynamoDB), the notifications a clean-up publishes (SNS), and Lambda's
    record of an event the function failed on, sent to the failed-invocations queue (SQS)."""
    key_lid, _ = _one(template, "AWS::KMS::Key", "TopicKey")
    for title in (row["title"] for row in catalog.rows().values()):
        grants = {
            s["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Join"][1][0]: s
            for s in _statements_of_role(template, f"{title}FunctionRole")
            if any(a.startswith("kms:") for a in _actions(s)) and "TopicKey" in json.dumps(s["Resource"])
        }
        assert set(grants) == {"dynamodb.", "sns.", "sqs."}
        assert _actions(grants["dynamodb."]) == {
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:DescribeKey",
        }
        assert _actions(grants["sns."]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        assert _actions(grants["sqs."]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        for service, grant in grants.items():
            assert grant["Resource"] == {"Fn::GetAtt": [key_lid, "Arn"]}
            assert grant["Condition"] == {
                "StringEquals": {"kms:ViaService": _join(service, REGION, ".amazonaws.com")}
            }


def test_the_key_says_what_it_encrypts(template: dict[str, Any]) -> None:
    _, key = _one(template, "AWS::KMS::Key", "TopicKey")
    description = key["Properties"]["Description"]
    assert all(
        word in description for word in ("topics", "requests table", "dead-letter queue", "log groups")
    )


# -- 8. Which types deploy is context -------------------------------------------------------------------------
def test_cdk_json_deploys_only_sagemaker() -> None:
    assert _cdk_json()["endpointTypes"] == ["sagemaker"]
    _, stack = _app()
    resources = Template.from_stack(stack).to_json()["Resources"]
    titles = {row["title"] for row in catalog.rows().values()}
    built = {t for t in titles if any(lid.startswith(f"{t}Function") for lid in resources)}
    assert built == {"SageMaker"}


@pytest.mark.parametrize("given", [["aml", "neptune"], "neptune, aml", '["neptune","aml"]'])
def test_endpoint_types_take_a_list_or_a_comma_separated_string(given: Any) -> None:
    config = Config.from_context(_app_node({"endpointTypes": given, **NEPTUNE}))
    assert config.endpoint_types == ("aml", "neptune")  # catalog order


def test_an_unknown_endpoint_type_fails_the_synth_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"endpointTypes.*'redshift'.*sagemaker, aml, neptune"):
        Config.from_context(_app_node({"endpointTypes": "sagemaker,redshift"}))
    with pytest.raises(ConfigError, match="endpointTypes"):
        Config.from_context(_app_node({"endpointTypes": []}))


def test_a_listed_type_without_its_required_settings_fails_the_synth() -> None:
    needs = "context endpointTypes lists neptune, which needs neptuneEndpoint and neptuneClusterResourceId"
    with pytest.raises(ConfigError, match=f"^{needs}: missing neptuneEndpoint, neptuneClusterResourceId$"):
        Config.from_context(_app_node({"endpointTypes": "neptune"}))
    only_endpoint = {"endpointTypes": "neptune", "neptuneEndpoint": NEPTUNE["neptuneEndpoint"]}
    with pytest.raises(ConfigError, match=f"^{needs}: missing neptuneClusterResourceId$"):
        Config.from_context(_app_node(only_endpoint))
    # The local synth's placeholders give way to the caller's own (empty) value. The one refused
    # synth run end to end through synthesize (python app.py exits 2: SynthError with its lines);
    # the others are checked in-process (tests/infra/contexts.py).
    with pytest.raises(SynthError, match=r"missing neptuneEndpoint$"):
        synthesize(project_root(), {"endpointTypes": "neptune", "neptuneEndpoint": ""}, use_cache=False)


def test_the_local_synth_lists_every_catalog_type_with_valid_neptune_placeholders() -> None:
    context = cdk_context(project_root())
    assert context["endpointTypes"] == list(catalog.rows())
    config = Config.from_context(_app_node(context))
    assert config.endpoint_types == tuple(catalog.rows())
    # ...unless the caller says otherwise.
    assert cdk_context(project_root(), {"endpointTypes": "aml"})["endpointTypes"] == "aml"
    mine = cdk_context(project_root(), {"neptuneEndpoint": NEPTUNE["neptuneEndpoint"]})
    assert mine["neptuneEndpoint"] == NEPTUNE["neptuneEndpoint"]


def test_the_local_template_builds_every_catalog_type(template: dict[str, Any]) -> None:
    for row in catalog.rows().values():
        _one(template, "AWS::Lambda::Function", f"{row['title']}Function")


# -- 9. The state-change rule, whatever the shape of Tags -------------------------------------------------------
@pytest.mark.parametrize(
    "tags",
    [
        {"ml-endpoint-controller:managed-by": "ml-endpoint-controller"},
        [{"Key": "ml-endpoint-controller:managed-by", "Value": "ml-endpoint-controller"}],
        None,
    ],
    ids=["map", "key-value-list", "none"],
)
def test_the_state_change_rule_matches_settled_endpoints_whatever_their_tags(
    template: dict[str, Any], tags: Any
) -> None:
    from moto.events.models import EventPattern

    [rule] = [
        r["Properties"]
        for r in _resources(template, "AWS::Events::Rule").values()
        if "aws.sagemaker" in json.dumps(r["Properties"].get("EventPattern"))
    ]
    pattern = EventPattern.load(json.dumps(rule["EventPattern"]))
    detail: dict[str, Any] = {"EndpointName": "e", "EndpointStatus": "IN_SERVICE"}
    if tags is not None:
        detail["Tags"] = tags
    event = {"source": "aws.sagemaker", "detail-type": "SageMaker Endpoint State Change", "detail": detail}
    assert pattern.matches_event(event)
    assert not pattern.matches_event({**event, "detail": {**detail, "EndpointStatus": "CREATING"}})
    assert not pattern.matches_event({**event, "source": "aws.other"})
