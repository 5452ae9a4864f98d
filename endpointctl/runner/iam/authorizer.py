"""Every simulated call, authorized with the synthesized IAM as AWS would (the local runner, docs/local-runner.md).

Who calls is known where the call is made: a function's handler calls with its role (the
template's ``Role`` of that function), a state machine's tasks with its role, EventBridge with its
service principal. Each call is mapped to IAM's questions (``calls.py``) and answered by the
evaluator (``evaluator.py``) against the role's identity policies and the resource's own policy.
A denial answers as the service does, ``AccessDeniedException`` naming the principal, action and
resource, and the call never reaches the simulated service.

A documented exception: ``states:SendTaskSuccess``/``SendTaskFailure``/``SendTaskHeartbeat`` are
listed in the service authorization reference with no resource type ("*" only), which the
evaluator enforces, yet IAM evaluates them against the state machine's ARN: AccessDenied messages
name ``...:stateMachine:...`` and CDK's ``grantTaskResponse`` scopes them so (FIELD-NOTES). They
are asked as a stand-in action of the state machine resource type, with the policies' statements
rewritten alike, which is the same question IAM answers.
"""

from __future__ import annotations

import fnmatch
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from endpointctl.runner.iam.calls import World, requests_for
from endpointctl.runner.iam.evaluator import ALLOWED, Evaluator, IamRequest
from endpointctl.runner.iam.policies import Policies
from endpointctl.sim.calls import CallLog
from endpointctl.sim.iam import Authorization
from endpointctl.template import ACCOUNT

_STAND_IN = "states:ListExecutions"
_ARN_SCOPED = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}


@dataclass(frozen=True)
class Denial:
    """A call IAM refused."""

    principal: str
    action: str
    resource: str
    execution: str | None

    @property
    def message(self) -> str:
        return (
            f"User: {self.principal} is not authorized to perform: {self.action} on resource: "
            f"{self.resource} because no identity-based policy allows the {self.action} action"
        )


class Authorizer:
    """Hooks the SDK so each call a function or a state machine makes is authorized first."""

    def __init__(
        self, policies: Policies, evaluator: Evaluator, world: World, log: CallLog, logged: set[str]
    ) -> None:
        self.policies = policies
        self.evaluator = evaluator
        self.world = world
        self.log = log
        #: Services whose calls are in the call log (the simulated endpoint services'): a denied
        #: call is still a call made.
        self.logged = logged
        self.allowed = 0
        self.denials: list[Denial] = []
        #: Access keys STS issued → the role they are (a client made with assumed credentials).
        self._assumed: dict[str, str] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    # -- who is calling -------------------------------------------------------------------------
    @contextmanager
    def calling_as(self, role_arn: str | None) -> Iterator[None]:
        """Calls made on this thread inside the block are ``role_arn``'s (a function's role)."""
        before = getattr(self._local, "role", None)
        self._local.role = role_arn
        try:
            yield
        finally:
            self._local.role = before

    # -- deciding -------------------------------------------------------------------------------
    def check(
        self,
        role_arn: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        needed: list[Authorization] | None = None,
    ) -> Denial | None:
        """``None`` when every authorization the call needs is allowed, else the first denial.
        ``needed``: these authorizations rather than the call's own mapping (a service's checks)."""
        for request in requests_for(service, operation, params, role_arn, self.world, needed):
            if not self.allowed_request(request, self.policies.of_role(role_arn)):
                denial = Denial(role_arn, request.action, request.resource, self.log.execution)
                self._count(denial)
                return denial
        self._count(None)
        return None

    def allowed_request(self, request: IamRequest, identity: list[dict[str, Any]]) -> bool:
        if request.action in _ARN_SCOPED:
            identity = [_rewritten(policy, request.action) for policy in identity]
            request = IamRequest(
                request.principal, _STAND_IN, request.resource, request.context, request.resource_policy
            )
        return self.evaluator.decide(request, identity, ACCOUNT) == ALLOWED

    def service_may(
        self, service_principal: str, action: str, resource: str, context: dict[str, str]
    ) -> bool:
        """May an AWS service (``cloudwatch.amazonaws.com``) do ``action`` on ``resource``? Only the
        resource's own policy can allow it (a service principal has no identity policy)."""
        request = IamRequest(
            principal=service_principal,
            action=action,
            resource=resource,
            context=tuple(sorted({"aws:SecureTransport": "true", **context}.items())),
            resource_policy=self.policies.resource_policy(resource),
        )
        return self.evaluator.decide(request, [], ACCOUNT) == ALLOWED

    def _count(self, denial: Denial | None) -> None:
        with self._lock:
            if denial is None:
                self.allowed += 1
            else:
                self.denials.append(denial)
        record = os.environ.get("ENDPOINTCTL_IAM_LOG")  # for suite-wide counts (docs/architecture.md)
        if record:
            with open(record, "a") as sink:
                sink.write(json.dumps({"denied": denial.__dict__} if denial else {"allowed": 1}) + "\n")

    # -- the hooks ------------------------------------------------------------------------------
    def install(self, stack: ExitStack) -> None:
        """Authorize the calls of the SDK's default session (every client the functions make) and
        of the clients the state machine's tasks make."""
        import boto3

        session = boto3.DEFAULT_SESSION
        assert session is not None, "the runner sets up boto3's default session first"
        session.events.register("before-parameter-build", _keep_params)
        session.events.register("before-call", self._function_call)
        session.events.register("after-call.sts.AssumeRole", self._assumed_role)
        self._state_machine_clients(stack)

    def _function_call(
        self, model: Any, context: dict[str, Any], request_signer: Any = None, **kwargs: Any
    ) -> Any:
        role = getattr(self._local, "role", None)
        if role is None:  # the runner's own calls (staging, starting executions) are not AWS's
            return None
        credentials = getattr(request_signer, "_credentials", None)
        role = self._assumed.get(getattr(credentials, "access_key", None) or "", role)
        return self._answer(role, model, context)

    def _assumed_role(self, parsed: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        """A role assumed with ``sts:AssumeRole``: calls with its credentials are that role's."""
        key = (parsed.get("Credentials") or {}).get("AccessKeyId")
        role = (context.get("endpointctl_params") or {}).get("RoleArn")
        if key and role:
            with self._lock:
                self._assumed[str(key)] = str(role)

    def _answer(self, role: str, model: Any, context: dict[str, Any]) -> Any:
        service = model.service_model.service_name
        denial = self.check(role, service, model.name, dict(context.get("endpointctl_params") or {}))
        if denial is None:
            return None
        if service in self.logged:
            self.log.record(f"{service}:{model.name}", error="AccessDeniedException")
        return _access_denied(denial)

    def _state_machine_clients(self, stack: ExitStack) -> None:
        """The interpreter's EventBridge and SNS tasks call with the state machine's role."""
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_events,
            state_task_service_sns,
        )

        authorizer = self
        # moto makes a client per task; one per (region, service, role) serves the run as well
        # (creating one costs more than most calls made with it).
        clients: dict[tuple[str, str, str | None], Any] = {}
        made = threading.Lock()

        for module in (state_task_service_events, state_task_service_sns):
            original = module.boto_client_for

            def client_for(
                region: str, service: str, state_credentials: Any = None, _make: Any = original
            ) -> Any:
                role = getattr(state_credentials, "role_arn", None)
                with made:
                    if (region, service, role) in clients:
                        return clients[(region, service, role)]
                    client = _make(region=region, service=service, state_credentials=state_credentials)
                    if role:
                        client.meta.events.register(
                            "before-call",
                            lambda model, context, **kw: authorizer._answer(role, model, context),
                        )
                    clients[(region, service, role)] = client
                    return client

            stack.enter_context(mock.patch.object(module, "boto_client_for", client_for))


def _keep_params(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
    """The call's own parameters, before serialization, for ``before-call`` to map."""
    context["endpointctl_params"] = params


def _access_denied(denial: Denial) -> Any:
    from botocore.awsrequest import AWSResponse

    http = AWSResponse("https://denied.invalid", 400, {}, None)
    parsed = {
        "Error": {"Code": "AccessDeniedException", "Message": denial.message},
        # every AWS answer carries its request id (the Step Functions tasks' error paths read it)
        "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())},
    }
    return http, parsed


def _rewritten(policy: dict[str, Any], action: str) -> dict[str, Any]:
    """``policy`` with ``action`` spelled as the stand-in wherever a statement's patterns match it
    (and the stand-in matched nowhere else), so evaluating the stand-in answers for ``action``."""

    def patterns(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else list(value or [])

    def matches(pattern: str, name: str) -> bool:
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())

    statements = policy.get("Statement", [])
    out = []
    for statement in statements if isinstance(statements, list) else [statements]:
        statement = dict(statement)
        for key in ("Action", "NotAction"):
            if key in statement:
                kept = [p for p in patterns(statement[key]) if not matches(p, _STAND_IN)]
                if any(matches(p, action) for p in patterns(statement[key])):
                    kept.append(_STAND_IN)
                statement[key] = kept or ["none:none"]
        out.append(statement)
    return {**policy, "Statement": out}
