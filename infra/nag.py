"""cdk-nag's AWS Solutions checks on every synth, and the findings this stack acknowledges.

This module owns the acknowledgments every endpoint type shares (its function's and its state
machine's X-Ray wildcard, the runtime pin, the Lambda invoke grant) and the stack's own (the
dead-letter queue); each type's module in ``infra/endpoint_types/`` acknowledges its own grants'
wildcard resources, and the constructs that grant (``infra/expiry.py``'s schedules,
``infra/failures.py``'s queue) their own, through :func:`ack`.

Each acknowledgment names the exact finding (rule and resource) and says why it is right here;
anything new fails the synth (and so every test and ``endpointctl local run``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Token, Validations
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

XRAY = (
    "X-Ray's PutTraceSegments / PutTelemetryRecords, Step Functions' log delivery APIs and the "
    "list and describe calls an endpoint type's module grants on '*' (each with its reason there, "
    "e.g. an endpoint listing) support no resource-level permissions: '*' is the only "
    "resource they accept."
)


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def ack(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``AwsSolutions-<rule>`` on ``scope``. Every acknowledgment goes through here,
    looked up as ``nag.ack`` when it is made (tests wrap it to review them all)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))


@dataclass(frozen=True)
class NagArns:
    """How cdk-nag spells an ARN of this stack in a finding: pseudo parameters, or literals in an
    environment-bound stack."""

    region: str
    account: str

    @classmethod
    def of(cls, stack: Stack) -> NagArns:
        return cls(
            region="<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region,
            account="<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account,
        )

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        """``arn:<AWS::Partition>:<service>:<region>:<account>:<resource>``; ``region``: another
        region than the stack's, literally."""
        return f"arn:<AWS::Partition>:{service}:{region or self.region}:{self.account}:{resource}"

    def global_arn(self, service: str, resource: str) -> str:
        """``arn:<AWS::Partition>:<service>::<account>:<resource>``: a global service's (IAM's)."""
        return f"arn:<AWS::Partition>:{service}::{self.account}:{resource}"


def _logical_id(construct: IConstruct) -> str:
    child = construct.node.default_child
    assert isinstance(child, CfnResource)
    return Stack.of(construct).get_logical_id(child)


class Acknowledged(Protocol):
    """What this module reads of the stack (``infra.stack.ControllerStack``), without importing it."""

    node: Any
    lifecycles: Mapping[str, Any]
    functions: Mapping[str, lambda_.Function]
    endpoint_types: Mapping[str, Any]
    dead_letters: IConstruct
    refusals: Any


def acknowledge(stack: Acknowledged) -> None:
    """The findings that are right for this stack, each with its reason."""
    machines = [
        (stack.functions[kind], lifecycle.state_machine) for kind, lifecycle in stack.lifecycles.items()
    ]
    for function, _ in machines:
        role = function.role
        assert role is not None
        ack(role, "IAM5[Resource::*]", XRAY)
        ack(
            function,
            "L1",
            "Pinned to python3.12, the runtime the Powertools public layer version in cdk.json "
            "(AWSLambdaPowertoolsPythonV3-python312-x86_64) is built for; moving to a newer runtime "
            "means moving the layer with it, tested, not an automatic change.",
        )
    refusals = (stack.refusals.function, stack.refusals.state_machine)  # infra/refusals.py
    for function, machine in [*machines, refusals]:
        ack(machine.role, "IAM5[Resource::*]", XRAY)
        ack(
            machine.role,
            f"IAM5[Resource::<{_logical_id(function)}.Arn>:*]",
            "The Lambda tasks may invoke versions and aliases of this one function (CDK's "
            "LambdaInvoke grant); no other function is reachable.",
        )
    arns = NagArns.of(Stack.of(stack))
    for endpoint_type, infra in stack.endpoint_types.items():
        infra.acknowledge(stack.functions[endpoint_type], arns)
    ack(
        stack.dead_letters,
        "SQS3",
        "This queue is itself the dead-letter queue of the request rules' and state-change rule's "
        "targets; a dead-letter queue of a dead-letter queue would only move the problem.",
    )
