"""cdk-nag's AWS Solutions checks on every synth, and the findings this stack acknowledges.

Each acknowledgment names the exact finding (rule and resource) and says why it is right here;
anything new fails the synth (and so every test and ``endpointctl local run``).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Token, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.stack import ControllerStack

XRAY = (
    "X-Ray's PutTraceSegments / PutTelemetryRecords (and Step Functions' log delivery APIs) "
    "support no resource-level permissions: '*' is the only resource they accept."
)


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def _ack(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))


def _logical_id(construct: IConstruct) -> str:
    child = construct.node.default_child
    assert isinstance(child, CfnResource)
    return Stack.of(construct).get_logical_id(child)


def acknowledge(stack: ControllerStack) -> None:
    """The findings that are right for this stack, each with its reason."""
    # How cdk-nag spells the ARN: pseudo parameters, or literals in an environment-bound stack.
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    region_account = "arn:<AWS::Partition>:{service}:" + f"{region}:{account}:" + "{resource}"
    for endpoint_type, lifecycle in stack.lifecycles.items():
        function = stack.functions[endpoint_type]
        role = function.role
        assert role is not None
        _ack(role, "IAM5[Resource::*]", XRAY)
        _ack(
            function,
            "L1",
            "Pinned to python3.12, the runtime the Powertools public layer version in cdk.json "
            "(AWSLambdaPowertoolsPythonV3-python312-x86_64) is built for; moving to a newer runtime "
            "means moving the layer with it, tested, not an automatic change.",
        )
        machine_role = lifecycle.state_machine.role
        _ack(machine_role, "IAM5[Resource::*]", XRAY)
        _ack(
            machine_role,
            f"IAM5[Resource::<{_logical_id(function)}.Arn>:*]",
            "The Lambda tasks may invoke versions and aliases of this one function (CDK's "
            "LambdaInvoke grant); no other function is reachable.",
        )
    sagemaker = stack.functions.get("sagemaker")
    if sagemaker is not None and sagemaker.role is not None:
        for kind in ("endpoint", "endpoint-config"):
            _ack(
                sagemaker.role,
                "IAM5[Resource::" + region_account.format(service="sagemaker", resource=f"{kind}/*") + "]",
                f"SageMaker {kind}s are named by each request, so the name is a wildcard; the ARN "
                "is this account and region, and deletes additionally require the controller's "
                "ownership tag (aws:ResourceTag condition).",
            )
    aml = stack.functions.get("aml")
    if aml is not None and aml.role is not None:
        _ack(
            aml.role,
            f"IAM5[Resource::arn:<AWS::Partition>:machinelearning:{stack.config.aml_region}:"
            f"{account}:mlmodel/*]",
            "Amazon ML models are named by each request (MLModelId); the ARN is this account in the "
            "Amazon ML region only.",
        )
    neptune = stack.functions.get("neptune")
    if neptune is not None and neptune.role is not None:
        cluster = stack.config.neptune.cluster_resource_id or "cluster-*"
        _ack(
            neptune.role,
            "IAM5[Resource::" + region_account.format(service="neptune-db", resource=f"{cluster}/*") + "]",
            "neptune-db data actions are granted on a cluster's resource ARN followed by '/*' (the "
            "form Neptune IAM auth requires); with context neptuneClusterResourceId it is that "
            "one cluster.",
        )
        if stack.config.neptune.vpc_id:
            _ack(
                neptune.role,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
                "A function in the Neptune cluster's VPC needs the ENI permissions of this AWS managed "
                "policy (ec2 network-interface actions that take no resource-level scoping).",
            )
    _ack(
        stack.dead_letters,
        "SQS3",
        "This queue is itself the dead-letter queue of the request rules' and state-change rule's "
        "targets; a dead-letter queue of a dead-letter queue would only move the problem.",
    )
