"""IAM in the served world: every call a deployed function, a state machine's task or EventBridge
makes is authorized as the local runner authorizes it (``endpointctl.runner.iam``), against the
account's own policies as they stand in the world: what CloudFormation created from the template,
and whatever anyone changed since with the IAM, SNS, KMS, SQS or Lambda APIs (an operator removing a
statement sees the denial at the next request, as in AWS).

The policies are read from moto's backends before each invocation (:meth:`ServedIam.refresh`:
roles' trust and inline and managed policies, topics', queues', keys' and functions' resource
policies, the keys of encrypted topics and tables), so nothing is cached across a change. The
questions are the runner's (``calls.requests_for``, the simulators' own and on-behalf mappings),
answered by the same evaluator.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from endpointctl.runner.iam import evaluator
from endpointctl.runner.iam.authorizer import Authorizer
from endpointctl.runner.iam.calls import World
from endpointctl.runner.iam.policies import Policies
from endpointctl.sim import answering, logged_services
from endpointctl.sim.iam import arn, role_exists
from endpointctl.template import ACCOUNT, REGION

if TYPE_CHECKING:
    from endpointctl.sim import Simulator
    from endpointctl.sim.calls import CallLog


class ServedWorld(Protocol):
    """What IAM needs of the served world (``endpointctl.served.world.ServedWorld``), which
    holds it: named here, so the dependency points one way."""

    lock: threading.RLock
    log: CallLog
    simulators: dict[str, Simulator]

    def machine_of_token(self, token: str) -> str | None: ...


def account_policies() -> Policies:
    """The account's IAM as moto holds it: identity policies by role ARN, resource policies by
    resource ARN, and the customer-managed keys of encrypted topics and tables."""
    from moto.awslambda.utils import get_backend
    from moto.dynamodb.models import dynamodb_backends
    from moto.iam.models import iam_backends
    from moto.kms.models import kms_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    found = Policies()
    for role in list(iam_backends[ACCOUNT]["global"].roles.values()):
        identity = found.identity.setdefault(role.arn, [])
        if role.assume_role_policy_document:
            found._add(role.arn, _document(role.assume_role_policy_document))
        identity += [_document(text) for text in list(role.policies.values())]
        for policy in list(role.managed_policies.values()):
            identity += [
                _document(v.document) for v in policy.versions if v.version_id == policy.default_version_id
            ]
    for topic in list(sns_backends[ACCOUNT][REGION].topics.values()):
        found._add(topic.arn, _document(topic.policy))
        if topic.kms_master_key_id:
            found.keys[topic.arn] = _key_arn(topic.kms_master_key_id)
    for queue in list(sqs_backends[ACCOUNT][REGION].queues.values()):
        if queue.policy:
            found._add(queue.queue_arn, _document(queue.policy))
    for key in list(kms_backends[ACCOUNT][REGION].keys.values()):
        found._add(key.arn, _document(key.policy))
    functions = get_backend(ACCOUNT, REGION)
    for function in list(functions.list_functions()):
        try:  # the GetPolicy answer: {"Policy": "<the policy as JSON>", ...}
            policy = _document(_document(functions.get_policy(function.function_name))["Policy"])
        except Exception:  # a function without a resource policy
            continue
        # moto keeps the AddPermission request's FunctionName in each statement: not IAM's
        statements = [{k: v for k, v in st.items() if k in _STATEMENT} for st in policy.get("Statement", [])]
        found._add(function.function_arn, {**policy, "Statement": statements})
    for table in list(dynamodb_backends[ACCOUNT][REGION].tables.values()):
        key = (table.sse_specification or {}).get("KMSMasterKeyId")
        if key:
            found.keys[arn("dynamodb", f"table/{table.name}")] = _key_arn(str(key))
    return found


#: The members of a policy statement (IAM JSON policy elements reference).
_STATEMENT = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)


def _document(text: Any) -> dict[str, Any]:
    """A policy document as IAM keeps it (JSON, sometimes URL-encoded by the API)."""
    from urllib.parse import unquote

    if isinstance(text, dict):
        return text
    text = str(text)
    return dict(json.loads(text if text.lstrip().startswith("{") else unquote(text)))


def _key_arn(key: str) -> str:
    return key if key.startswith("arn:") else arn("kms", f"key/{key}")


class ServedIam:
    """The runner's authorizer, fed by the account's live policies."""

    def __init__(self, world: ServedWorld) -> None:
        self._world = world
        self._lock = threading.Lock()
        self.authorizer = Authorizer(
            Policies(),
            evaluator.shared(),
            self._iam_world(),
            world.log,
            logged_services(world.simulators.values()),
        )

    def install(self, stack: ExitStack) -> None:
        self.authorizer.install(stack)

    def refresh(self) -> None:
        """Read the account's policies again (under the world's lock: moto is not thread-safe)."""
        with self._world.lock:
            policies = account_policies()
        with self._lock:
            self.authorizer.policies = policies

    @contextmanager
    def calling_as(self, function_name: str) -> Iterator[None]:
        """Calls made in the block are the deployed function's (its role's), policies read fresh."""
        self.refresh()
        with self.authorizer.calling_as(self.role_of(function_name)):
            yield

    def role_of(self, function_name: str) -> str | None:
        from moto.awslambda.utils import get_backend

        try:
            with self._world.lock:
                return str(get_backend(ACCOUNT, REGION).get_function(function_name).role)
        except Exception:  # not a deployed function: its calls are nobody's to check
            return None

    def authorize_task(self, role: str | None, function: str) -> None:
        """A state machine's Lambda task: ``lambda:InvokeFunction`` with its role."""
        from botocore.exceptions import ClientError

        if role is None:
            return
        self.refresh()
        denial = self.authorizer.check(role, "lambda", "Invoke", {"FunctionName": function})
        if denial is not None:
            error = {"Error": {"Code": "AccessDeniedException", "Message": denial.message}}
            raise ClientError(error, "Invoke")  # type: ignore[arg-type]

    def _iam_world(self) -> World:
        world = self._world

        def tags_of(resource: str) -> dict[str, str] | None:
            return next(
                (t for sim in world.simulators.values() if (t := sim.resource_tags(resource)) is not None),
                None,
            )

        def simulated(service: str, operation: str, params: dict[str, Any]) -> list[Any] | None:
            sim = answering(world.simulators.values(), service, operation)
            return None if sim is None else sim.authorizations(operation, params)

        return World(
            tags_of=tags_of,
            simulated=simulated,
            machine_of_token=world.machine_of_token,
            key_of_topic=lambda topic: self.authorizer.policies.keys.get(topic),
            resource_policy=lambda resource: self.authorizer.policies.resource_policy(resource),
            role_exists=role_exists,
            on_behalf=lambda service, operation, params: [
                need
                for sim in world.simulators.values()
                for need in sim.on_behalf(service, operation, params)
            ],
            key_of_table=lambda table: self.authorizer.policies.keys.get(table),
        )
