"""Staging: the synthesized template's resources, created in moto as CloudFormation would.

The roles (named by their logical ids, so each call can be authorized with its caller's policies),
the KMS keys, the functions (with a placeholder zip: the runner calls the real handler
in-process) on their own roles and their asynchronous-invocation configurations, the event buses
and their rules' ARNs, the topics, the queues, the schedule groups, the requests table and the
state machines on their roles, with every intrinsic in their definitions resolved against what was
just created.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from controller import catalog
from endpointctl.errors import UsageError
from endpointctl.template import ACCOUNT, REGION, Resolver, refusal_machine, resources, state_machines

#: What moto does not apply from the template (the functions' Environment) is set here: the
#: controller's own variables, as the template gives them. A type's own (its service's endpoint,
#: its region) come from its simulator, which stands in for the service.
TABLE_ENV = catalog.CONTROLLER.requests_table_variable
CONTROLLER_ENV = (
    TABLE_ENV,
    catalog.CONTROLLER.bus_variable,
    catalog.CONTROLLER.topic_variable,
    catalog.CONTROLLER.stack_variable,  # the metrics' StackName, SageMaker's stack tag
    "EXPIRY_BUS_ARN",  # infra/expiry.py
    "EXPIRY_ROLE_ARN",
    "EXPIRY_SCHEDULE_GROUP",
    "QUOTA_CHECK",  # infra/quotas.py: off when deployed with -c quotaCheck=false
)


@dataclass(frozen=True)
class AsyncInvoke:
    """A function's asynchronous-invocation configuration (``AWS::Lambda::EventInvokeConfig``):
    Lambda's retries of an event the function failed on, then where its record goes."""

    retries: int
    #: The on-failure destination's ARN (``None``: the event is discarded).
    on_failure: str | None


@dataclass
class Staged:
    """What the runner needs of the staged stack."""

    #: Endpoint type → its state machine's ARN, in the template's order.
    machines: dict[str, str]
    #: The refusals' state machine's ARN (``infra/refusals.py``).
    refusals: str | None
    #: Rules on the default bus (state-change rules, schedules), as synthesized, but DISABLED ones.
    default_bus_rules: list[dict[str, Any]]
    resolve: Resolver
    sfn: Any
    #: Function name → its configured timeout in seconds (Lambda stops an invocation there).
    timeouts: dict[str, float]
    #: Function name → the ARN of its execution role.
    roles: dict[str, str]
    #: A default-bus rule's properties' id → the rule's ARN (EventBridge invokes targets as it).
    rule_arns: dict[int, str]
    #: The controller's variables of the functions' Environment, resolved (the same for all).
    environment: dict[str, str]
    #: Function name → its asynchronous-invocation configuration, where the template gives one.
    async_invoke: dict[str, AsyncInvoke] = field(default_factory=dict)


def bus_name(rule: dict[str, Any], resolve: Resolver) -> str | None:
    """The name of the custom bus a rule is on; ``None`` for the default bus: ``EventBusName`` is
    "The name or ARN of the event bus associated with the rule. If you omit this, the default event
    bus is used" (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Rule.html), and
    the default bus is named ``default``."""
    if "EventBusName" not in rule:
        return None
    name = str(resolve(rule["EventBusName"])).rsplit("/", 1)[-1]  # a name or a bus's ARN
    return None if name == "default" else name


@contextlib.contextmanager
def _key_id(logical_id: str) -> Iterator[None]:
    """The key KMS creates now gets an ID derived from its logical ID (a UUID, as KMS's are), not
    a random one: the same in every world, so the policies that name it, and the IAM decisions
    about them, are the same in every run (``endpointctl.runner.iam.evaluator.Decisions``)."""
    from moto.kms import models

    digest = hashlib.sha256(f"{ACCOUNT}:{REGION}:{logical_id}".encode()).digest()
    stable = str(uuid.UUID(bytes=digest[:16], version=4))
    with mock.patch.object(models, "generate_key_id", lambda multi_region=False: stable):
        yield


def stage(template: dict[str, Any]) -> Staged:
    """Create the template's functions, buses, topics, tables and state machines in moto."""
    import boto3

    refs: dict[str, Any] = {}
    attributes: dict[tuple[str, str], Any] = {}
    # moto's backends directly where a call is a plain creation: a client per service and a
    # request per resource cost a third of a cached run (the functions, the table and the state
    # machines go through the API, whose answers the runner needs as the API gives them).
    from urllib.parse import urlparse

    from moto.events.models import events_backends
    from moto.iam.models import iam_backends
    from moto.kms.models import kms_backends
    from moto.scheduler.models import scheduler_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    for lid in resources(template, "AWS::IAM::Role"):
        name = lid[:64]
        role = iam_backends[ACCOUNT]["global"].create_role(name, "{}", "/", None, "", [], None)
        refs[lid], attributes[(lid, "Arn")], attributes[(lid, "RoleId")] = name, role.arn, role.id
    for lid in resources(template, "AWS::KMS::Key"):
        with _key_id(lid):
            key = kms_backends[ACCOUNT][REGION].create_key(
                None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", lid, None
            )
        refs[lid], attributes[(lid, "Arn")], attributes[(lid, "KeyId")] = key.id, key.arn, key.id
    for lid in resources(template, "AWS::SQS::Queue"):
        queue = sqs_backends[ACCOUNT][REGION].create_queue(lid[:80])
        url = queue.url(urlparse(f"https://sqs.{REGION}.amazonaws.com/"))
        refs[lid], attributes[(lid, "Arn")], attributes[(lid, "QueueName")] = url, queue.queue_arn, lid[:80]
    resolve = Resolver(refs, attributes)  # reads refs as they are added below
    for lid, res in resources(template, "AWS::Scheduler::ScheduleGroup").items():
        name = str(res["Properties"]["Name"])  # named by the stack (infra/expiry.py)
        refs[lid], attributes[(lid, "Arn")] = (
            name,
            scheduler_backends[ACCOUNT][REGION].create_schedule_group(name, []).arn,
        )
    lam = boto3.client("lambda", region_name=REGION)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "# the runner calls the real handler in-process\n")
    timeouts: dict[str, float] = {}
    roles: dict[str, str] = {}
    for lid, res in resources(template, "AWS::Lambda::Function").items():
        timeouts[lid[:64]] = float(res["Properties"].get("Timeout", 3))  # Lambda's default: 3 s
        roles[lid[:64]] = str(resolve(res["Properties"]["Role"]))
        arn = lam.create_function(
            FunctionName=lid[:64],
            Runtime="python3.12",
            Role=roles[lid[:64]],
            Handler=res["Properties"].get("Handler", "index.handler"),
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        refs[lid] = lid[:64]
        attributes[(lid, "Arn")] = arn
    for lid, res in resources(template, "AWS::Events::EventBus").items():
        name = resolve(res["Properties"]["Name"])
        arn = events_backends[ACCOUNT][REGION].create_event_bus(name).arn
        refs[lid], attributes[(lid, "Arn")], attributes[(lid, "Name")] = name, arn, name
    default_bus_rules = []
    rule_arns: dict[int, str] = {}
    for lid, res in resources(template, "AWS::Events::Rule").items():
        properties = res["Properties"]
        bus = bus_name(properties, resolve)
        if bus is None:
            if properties.get("State") != "DISABLED":
                default_bus_rules.append(properties)
        elif "ScheduleExpression" in properties:
            raise UsageError(
                f"the template's rule {lid} has a ScheduleExpression on the event bus {bus!r}: scheduled rules exist only on "
                "the default event bus (https://docs.aws.amazon.com/eventbridge/latest/userguide/"
                "eb-create-rule-schedule.html)"
            )
        path = f"rule/{bus}/{lid}" if bus else f"rule/{lid}"
        attributes[(lid, "Arn")] = f"arn:aws:events:{REGION}:{ACCOUNT}:{path}"
        rule_arns[id(properties)] = attributes[(lid, "Arn")]
    for lid in resources(template, "AWS::SNS::Topic"):
        arn = sns_backends[ACCOUNT][REGION].create_topic(lid).arn
        refs[lid], attributes[(lid, "TopicArn")], attributes[(lid, "TopicName")] = arn, arn, lid
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for lid, res in resources(template, "AWS::DynamoDB::Table").items():
        properties = res["Properties"]
        dynamodb.create_table(
            TableName=lid,
            KeySchema=properties["KeySchema"],
            AttributeDefinitions=properties["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )
        refs[lid] = lid
        attributes[(lid, "Arn")] = dynamodb.describe_table(TableName=lid)["Table"]["TableArn"]
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machines = {}  # the refusals' under "" (no type)
    refusals = refusal_machine(template)
    for spec in [*state_machines(template).values(), *([refusals] if refusals else [])]:
        role = resolve(template["Resources"][spec.logical_id]["Properties"]["RoleArn"])
        machines[spec.endpoint_type] = sfn.create_state_machine(
            name=spec.logical_id, definition=resolve(spec.definition), roleArn=role
        )["stateMachineArn"]
        refs[spec.logical_id] = machines[spec.endpoint_type]
        attributes[(spec.logical_id, "Name")] = spec.logical_id
    environment: dict[str, str] = {}
    for lid, function in resources(template, "AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for name in CONTROLLER_ENV:
            if name in variables:
                value = str(resolve(variables[name]))
                if environment.setdefault(name, value) != value:
                    raise UsageError(f"{lid}: {name} differs between the functions ({value!r})")
    os.environ.update(environment)
    async_invoke = {}
    for res in resources(template, "AWS::Lambda::EventInvokeConfig").values():
        properties = res["Properties"]
        destination = (properties.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        async_invoke[str(resolve(properties["FunctionName"])).rsplit(":", 1)[-1]] = AsyncInvoke(
            retries=int(properties.get("MaximumRetryAttempts", 2)),  # Lambda's default: 2
            on_failure=str(resolve(destination)) if destination else None,
        )
    return Staged(
        machines={kind: arn for kind, arn in machines.items() if kind},
        refusals=machines.get(""),
        default_bus_rules=default_bus_rules,
        resolve=resolve,
        sfn=sfn,
        timeouts=timeouts,
        roles=roles,
        rule_arns=rule_arns,
        environment=environment,
        async_invoke=async_invoke,
    )
