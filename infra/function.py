"""The one Lambda factory: runtime, asset, Powertools layer, tracing, environment, log group.

It owns what every endpoint type's function shares; a type's own environment and network come
from its module in ``infra/endpoint_types/``, and the Powertools service name and metrics
namespace from the catalog (``infra/catalog.py``).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import catalog
from infra.endpoint_types.base import Network

#: ``functions/`` is the only deployed asset; found from this file, never from the working dir.
FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
HANDLER = "controller.handlers.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_12
POWERTOOLS_ACCOUNT = "017000801446"
#: The Powertools logger's ``service`` and the metrics' namespace, as the functions' code has them.
POWERTOOLS_SERVICE_NAME: str = catalog.CONTROLLER["serviceName"]
POWERTOOLS_METRICS_NAMESPACE: str = catalog.CONTROLLER["metricsNamespace"]


def powertools_layer(scope: Construct, layer_version: int) -> lambda_.ILayerVersion:
    """Powertools for AWS Lambda (Python) v3 from its public layer, in the stack's region."""
    stack = Stack.of(scope)
    arn = (
        f"arn:{stack.partition}:lambda:{stack.region}:{POWERTOOLS_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-python312-x86_64:{layer_version}"
    )
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)


def controller_function(
    scope: Construct,
    construct_id: str,
    *,
    endpoint_type: str,
    layer: lambda_.ILayerVersion,
    log_retention_days: int,
    environment: dict[str, str] | None = None,
    network: Network | None = None,
) -> lambda_.Function:
    """A function running the lifecycle steps of ``endpoint_type``.

    Its role is its own, with no managed policy: it may write to its own log group, and the stack
    adds exactly the service calls its endpoint type needs (its module in infra/endpoint_types/).
    ``network``: it runs in that VPC's subnets (the type's placement); ``None``: Lambda's own.
    """
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=retention(log_retention_days),
        removal_policy=RemovalPolicy.DESTROY,
    )
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"ml-endpoint-controller {endpoint_type} function",
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="OwnLogGroup",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    return lambda_.Function(
        scope,
        construct_id,
        role=role,
        runtime=RUNTIME,
        architecture=lambda_.Architecture.X86_64,
        handler=HANDLER,
        code=lambda_.Code.from_asset(
            str(FUNCTIONS_DIR), exclude=["**/__pycache__", "**/*.pyc", "**/.mypy_cache"]
        ),
        layers=[layer],
        memory_size=256,
        timeout=Duration.seconds(60),
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        environment={
            "CONTROLLER_ACCOUNT_ID": Stack.of(scope).account,
            "POWERTOOLS_SERVICE_NAME": POWERTOOLS_SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **(environment or {}),
        },
        description=f"ml-endpoint-controller: {endpoint_type} endpoint lifecycle steps",
        vpc=network.vpc if network else None,
        vpc_subnets=network.subnets if network else None,
        security_groups=list(network.security_groups) if network else None,
    )


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention that keeps ``days`` days (a year at most)."""
    for allowed in sorted(_RETENTION):
        if allowed >= days:
            return _RETENTION[allowed]
    return _RETENTION[365]
