"""What stock moto's CloudFormation does not create, the served world creates as CloudFormation
would, for the resource types the stack uses beyond moto's models.

moto's CloudFormation skips a resource type it has no model for ("Tried to parse … but it's not
supported"); the stack still deploys, but the resource is not there. Two of the stack's matter to
how it runs:

- ``AWS::Scheduler::ScheduleGroup``: the expiry's schedules go in the stack's own group
  (``infra/expiry.py``), and moto's Scheduler cannot create a schedule in a group that does not
  exist. Created, updated (its name is the stack's: no change), deleted with the stack (deleting a
  group deletes its schedules, as EventBridge Scheduler's ``DeleteScheduleGroup`` does).
- ``AWS::Lambda::EventInvokeConfig``: a function's retries of an asynchronous invocation and its
  on-failure destination (``infra/failures.py``), which the served world's bus reads
  (``endpointctl.served.bus``). Put with ``PutFunctionEventInvokeConfig``'s fields, through moto's
  own Lambda backend.

Each is a model in moto's sense (``create_from_cloudformation_json`` and the rest, duck-typed),
looked up by :func:`install`'s patch of moto's resource-type map, inside the served world only.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock


class ScheduleGroupModel:
    """``AWS::Scheduler::ScheduleGroup``: ``Ref`` is its name, ``Fn::GetAtt … Arn`` its ARN."""

    def __init__(self, name: str, arn: str) -> None:
        self.name, self.arn = name, arn

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def is_created(self) -> bool:
        return True

    def get_cfn_attribute(self, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn
        raise NotImplementedError(f"{attribute} of a schedule group")

    @staticmethod
    def _backend(account_id: str, region_name: str) -> Any:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[account_id][region_name]

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> ScheduleGroupModel:
        name = str(cloudformation_json["Properties"].get("Name") or resource_name)
        group = cls._backend(account_id, region_name).create_schedule_group(name=name, tags=[])
        return cls(group.name, group.arn)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any], **kw: Any
    ) -> Any:
        return original_resource  # the name is the stack's: a change would replace the stack's group

    def delete(self, account_id: str, region_name: str) -> None:
        backend = self._backend(account_id, region_name)
        backend.schedules = [s for s in backend.schedules if s.group_name != self.name]
        backend.delete_schedule_group(self.name)


class EventInvokeConfigModel:
    """``AWS::Lambda::EventInvokeConfig`` of a function (its ``$LATEST``)."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    @property
    def physical_resource_id(self) -> str:
        return self.function_name

    def is_created(self) -> bool:
        return True

    @staticmethod
    def _put(function_name: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        from moto.awslambda.utils import get_backend

        config = {
            key: properties[key]
            for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            if key in properties
        }
        backend = get_backend(account_id, region_name)
        backend.get_function(function_name).event_invoke_config = []
        backend.put_function_event_invoke_config(function_name, config)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> EventInvokeConfigModel:
        properties = cloudformation_json["Properties"]
        name = str(properties["FunctionName"]).rsplit(":", 1)[-1]
        cls._put(name, properties, account_id, region_name)
        return cls(name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> EventInvokeConfigModel:
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.awslambda.utils import get_backend

        try:
            get_backend(account_id, region_name).get_function(self.function_name).event_invoke_config = []
        except Exception:
            return  # the function went first


#: Resource type → its model, for the types moto's CloudFormation has none for.
MODELS: dict[str, Any] = {
    "AWS::Scheduler::ScheduleGroup": ScheduleGroupModel,
    "AWS::Lambda::EventInvokeConfig": EventInvokeConfigModel,
}


def install(stack: ExitStack) -> None:
    """moto's CloudFormation finds :data:`MODELS` as it finds its own (for the life of ``stack``)."""
    from moto.cloudformation import parsing

    original = parsing.get_model_map

    def model_map() -> dict[str, Any]:
        return {**original(), **MODELS}

    stack.enter_context(mock.patch.object(parsing, "get_model_map", model_map))
    _names_that_fit(stack)


#: The longest name each generated name must fit (the service's own limit): a state machine's
#: ``name`` has "Maximum length of 80" (Step Functions API reference, ``CreateStateMachine``).
NAME_LIMITS = {"AWS::StepFunctions::StateMachine": 80}


def _names_that_fit(stack: ExitStack) -> None:
    """A name CloudFormation generates fits the service's limit: CloudFormation never fails a
    stack over a name it chose itself. moto joins ``<stack>-<logical id>-<suffix>`` whatever its
    length, so a long title (``InferenceComponentLifecycleStateMachine…``) behind a stack's name
    made an 83-character state machine name, refused by Step Functions' own check: here the stack
    and logical id part is cut to fit, as moto itself does for the types it knows a limit of."""
    from moto.cloudformation import parsing

    generate = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = generate(resource_type, stack_name, logical_id)
        limit = NAME_LIMITS.get(resource_type)
        if limit is None or len(name) <= limit:
            return name
        prefix, _, suffix = name.rpartition("-")
        return f"{prefix[: limit - len(suffix) - 1].rstrip('-')}-{suffix}"

    stack.enter_context(mock.patch.object(parsing, "generate_resource_name", generate_resource_name))


def on_failure_destination(function_name: str) -> tuple[int, str | None]:
    """A deployed function's retries of an asynchronous invocation and its on-failure destination
    (Lambda's defaults, two and none, without a configuration)."""
    from moto.awslambda.utils import get_backend

    from endpointctl.template import ACCOUNT, REGION

    try:
        config = get_backend(ACCOUNT, REGION).get_function(function_name).event_invoke_config
    except Exception:
        return 2, None
    if not config:
        return 2, None
    properties = config[0].config
    destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return int(properties.get("MaximumRetryAttempts", 2)), str(destination) if destination else None
