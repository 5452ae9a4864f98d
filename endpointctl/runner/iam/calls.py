"""What IAM asks about an SDK call: the actions, resource ARNs and request context it is
authorized with, as the service authorization reference and the services' docs describe them.

The simulated endpoint services' calls are each simulator's to map (``Simulator.authorizations``:
its service is its home's knowledge); this module maps the services every endpoint type shares
(the requests table, Step Functions, EventBridge, SNS, Lambda, Service Quotas):

- the action is the service's IAM prefix and the operation, except where the reference names it
  otherwise (Lambda ``Invoke`` → ``lambda:InvokeFunction``);
- publishing to an encrypted SNS topic also needs ``kms:GenerateDataKey*`` and ``kms:Decrypt`` on
  its key (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
- reading or writing an item of a table encrypted with a customer-managed key needs ``kms:Decrypt``
  on it, through DynamoDB: DynamoDB decrypts the table key with the caller's permissions ("the
  IAM principal ... must have permission to use the KMS key", "How Amazon DynamoDB uses AWS KMS",
  https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html; it caches the
  plaintext table key for up to 5 minutes, so a revoked grant fails within minutes, not at once:
  the runner asks at every call);
- a service that acts on another's resources with the caller's permissions (Application Auto
  Scaling on SageMaker variants and CloudWatch alarms) asks what the simulator of those resources
  says (``World.on_behalf``, ``Simulator.on_behalf``);
- context: ``aws:SecureTransport`` (every SDK call uses TLS) and ``aws:ResourceTag/*`` from the
  resource's tags (the simulators know them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from endpointctl.runner.iam.evaluator import IamRequest
from endpointctl.sim.iam import Authorization, arn, scaling_role
from endpointctl.template import ACCOUNT, REGION

#: Operation → IAM action, where the reference does not spell it as the operation.
_ACTIONS = {("lambda", "Invoke"): "lambda:InvokeFunction"}
#: IAM's prefix of a botocore service, where it is not the service's name.
_PREFIXES = {"stepfunctions": "states", "service-quotas": "servicequotas"}
_TASK_RESPONSES = ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat")
#: DynamoDB's calls that read or write items (and so use the table's key).
_ITEM_CALLS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"}
)


@dataclass(frozen=True)
class World:
    """What the mapping needs to know of the simulated account."""

    #: The tags of an existing resource (``None``: it has none, or does not exist).
    tags_of: Callable[[str], dict[str, str] | None]
    #: A simulated service's own mapping of its calls (``None``: not a simulated service).
    simulated: Callable[[str, str, dict[str, Any]], list[Authorization] | None]
    #: The state machine a task token belongs to.
    machine_of_token: Callable[[str], str | None]
    #: An encrypted topic's KMS key.
    key_of_topic: Callable[[str], str | None]
    #: A resource's own policy.
    resource_policy: Callable[[str], str | None]
    #: Whether an IAM role (by ARN) exists in the simulated account (a service-linked role, say).
    role_exists: Callable[[str], bool] = lambda arn: True
    #: What the simulators say a call also needs because its service acts on theirs for the caller.
    on_behalf: Callable[[str, str, dict[str, Any]], list[Authorization]] = lambda *call: []
    #: A table's customer-managed KMS key (``None``: an AWS-owned or AWS managed key).
    key_of_table: Callable[[str], str | None] = lambda arn: None


def _shared(service: str, operation: str, params: dict[str, Any], world: World) -> list[Authorization]:
    action = _ACTIONS.get((service, operation), f"{_PREFIXES.get(service, service)}:{operation}")
    if service == "dynamodb":
        table = arn("dynamodb", f"table/{params.get('TableName')}")
        key = world.key_of_table(table) if operation in _ITEM_CALLS else None
        via = {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}
        return [(action, table, {})] + ([("kms:Decrypt", key, via)] if key else [])
    if service == "stepfunctions" and operation in _TASK_RESPONSES:
        # A token of no execution names no state machine: nothing can allow it.
        machine = world.machine_of_token(str(params.get("taskToken")))
        return [(action, machine or arn("states", "stateMachine:no-such-token"), {})]
    if service == "stepfunctions":
        return [(action, str(params.get("stateMachineArn") or params.get("executionArn") or "*"), {})]
    if service == "events":
        buses = [str(entry.get("EventBusName") or "default") for entry in params.get("Entries", [])]
        return [(action, b if b.startswith("arn:") else arn("events", f"event-bus/{b}"), {}) for b in buses]
    if service == "sns":
        topic = str(params.get("TopicArn") or params.get("TargetArn") or "*")
        key = world.key_of_topic(topic)
        via = {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
        return [(action, topic, {})] + (
            [("kms:GenerateDataKey", key, via), ("kms:Decrypt", key, via)] if key else []
        )
    if service == "sqs":
        # a queue's URL ends with its account and name (https://sqs.<region>.amazonaws.com/<account>/<name>)
        *_, account, name = (
            str(params.get("QueueUrl") or params.get("QueueName") or "").rstrip("/").split("/")
        )
        queue = f"arn:aws:sqs:{REGION}:{account}:{name}"
        key = world.key_of_topic(queue)  # an encrypted queue's key: "SQS key management"
        via = {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}
        return [(action, queue, {})] + (
            [("kms:GenerateDataKey", key, via), ("kms:Decrypt", key, via)]
            if key and operation == "SendMessage"
            else []
        )
    if service == "sts" and operation == "AssumeRole":
        return [("sts:AssumeRole", str(params.get("RoleArn")), {})]
    if service == "application-autoscaling":
        # Describe* have no resource type; the others are on the scalable target (its ARN holds
        # an id the service assigns: the endpoint and variant stand in for it here).
        if operation.startswith("Describe"):
            return [(action, "*", {})]
        endpoint, _, variant = str(params.get("ResourceId")).removeprefix("endpoint/").partition("/variant/")
        found = [(action, arn("application-autoscaling", f"scalable-target/{endpoint}-{variant}"), {})]
        linked = scaling_role(str(params.get("ServiceNamespace")))
        if operation == "RegisterScalableTarget" and linked and not world.role_exists(linked[0]):
            found.append(("iam:CreateServiceLinkedRole", linked[0], {"iam:AWSServiceName": linked[1]}))
        return found
    if service == "scheduler":
        # Schedules are authorized on schedule/<group>/<name>; a schedule's role is passed to
        # Scheduler (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html).
        group = params.get("GroupName") or "default"
        found = [(action, arn("scheduler", f"schedule/{group}/{params.get('Name')}"), {})]
        role = (params.get("Target") or {}).get("RoleArn")
        if operation in ("CreateSchedule", "UpdateSchedule") and role:
            found.append(("iam:PassRole", str(role), {"iam:PassedToService": "scheduler.amazonaws.com"}))
        return found
    if service == "service-quotas" and operation == "GetServiceQuota":
        # The one Service Quotas action with a resource type, the quota
        # (arn:${Partition}:servicequotas:${Region}:${Account}:${ServiceCode}/${QuotaCode}), and the
        # servicequotas:service condition key; the lists are "*" only (Service Authorization
        # Reference, "Actions defined by Service Quotas").
        code = str(params.get("ServiceCode"))
        quota = arn("servicequotas", f"{code}/{params.get('QuotaCode')}")
        return [(action, quota, {"servicequotas:service": code})]
    if service == "lambda":
        name = str(params.get("FunctionName"))
        return [(action, name if name.startswith("arn:") else arn("lambda", f"function:{name}"), {})]
    return [(action, "*", {})]


def requests_for(
    service: str,
    operation: str,
    params: dict[str, Any],
    principal: str,
    world: World,
    needed: list[Authorization] | None = None,
) -> list[IamRequest]:
    """Every authorization one call needs (all must be allowed); ``needed``: these instead."""
    wanted = needed if needed is not None else world.simulated(service, operation, params)
    if wanted is None:
        wanted = _shared(service, operation, params, world)
    if needed is None:
        wanted = wanted + world.on_behalf(service, operation, params)
    found = []
    for action, resource, context in wanted:
        context = {"aws:SecureTransport": "true", **context}
        for key, value in (world.tags_of(resource) or {}).items():
            context[f"aws:ResourceTag/{key}"] = value
        found.append(
            IamRequest(
                principal=principal,
                action=action,
                resource=resource,
                context=tuple(
                    sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in context.items())
                ),
                resource_policy=world.resource_policy(resource),
            )
        )
    return found
