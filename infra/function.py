"""The one Lambda factory: runtime, asset, Powertools layer, tracing, environment, log group.

It owns what every endpoint type's function shares; a type's own environment and network come
from its module in ``infra/endpoint_types/``, and the Powertools service name and metrics
namespace from the catalog (``infra/catalog.py``).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnMapping, Duration, RemovalPolicy, Stack, Token, region_info
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import catalog
from infra.endpoint_types.base import Network

#: ``functions/`` is the only deployed asset; found from this file, never from the working dir.
FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
HANDLER = "controller.handlers.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_12
#: The Powertools logger's ``service`` and the metrics' namespace, as the functions' code has them.
POWERTOOLS_SERVICE_NAME: str = catalog.CONTROLLER["serviceName"]
POWERTOOLS_METRICS_NAMESPACE: str = catalog.CONTROLLER["metricsNamespace"]
#: The functions use no pydantic plugin, and pydantic looks for them when it builds its first
#: model: it reads every installed distribution's entry points (~30 ms of a cold start here).
#: ``__all__`` skips the search (pydantic/plugin/_loader.py ``get_plugins``; added in pydantic
#: PR #8767, "Environment variable to disable plugins").
PYDANTIC_DISABLE_PLUGINS = "__all__"
#: The layer: Powertools for AWS Lambda (Python) v3, built for this runtime and architecture.
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python312-x86_64"
#: Who publishes the layer, per partition (Powertools' install page, "Lambda Layer", "AWS China
#: regions", "AWS GovCloud regions":
#: https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/ , its source
#: docs/getting-started/install.md in aws-powertools/powertools-lambda-python). Commercial regions
#: share one account; China publishes in cn-north-1 only; each GovCloud region has its own account.
POWERTOOLS_PUBLISHERS: dict[str, str] = {"aws": "017000801446"}
POWERTOOLS_REGIONAL_PUBLISHERS: dict[str, str] = {
    "cn-north-1": "498634801083",
    "us-gov-east-1": "165087284144",
    "us-gov-west-1": "165093116878",
}

#: The aws-lambda-powertools release each version of the commercial (and China) layer carries,
#: since v3.0.0. A layer version holds one release, so the tests pin the library to the layer's
#: (``pyproject.toml``; ``tests/infra/test_real_aws.py`` checks that cdk.json's
#: ``powertoolsLayerVersion`` carries the release the tests run).
#:
#: Documented points: 3.1.0 -> 2, 3.2.0 -> 3, 3.4.0 -> 5, 3.4.1 -> 6 (the maintainers' "docs(layer):
#: update layer version number" PRs #5344, #5426, #5785, #5869 in
#: aws-powertools/powertools-lambda-python; #5562, titled v3.3.0, sits between 3 and 5), 3.22.1 -> 26
#: (issue #7650: SSM's ".../latest" read 26 while the docs of 3.22.1, the newest release, were open)
#: and 3.23.0 -> 27 (issue #7689: "Lambda layer exists: ...AWSLambdaPowertoolsPythonV3-python313-
#: x86_64:27" for 3.23.0). The table assumes one layer version per PyPI release since 3.0.0, in
#: order, which matches every one of those points; the versions after 27 (40 = 3.37.0 among them)
#: are derived by that rule, not documented (PyPI has no 3.32.0 or 3.33.0). Check before relying on one:
#: ``aws lambda get-layer-version-by-arn --arn arn:aws:lambda:us-east-1:017000801446:layer:
#: AWSLambdaPowertoolsPythonV3-python312-x86_64:N`` (its Description names the release), or the SSM
#: parameter ``/aws/service/powertools/python/x86_64/python3.12/<release>``. GovCloud's layer
#: versions are published independently (the install page lists 27 there while commercial and
#: China list 37), so this table is not theirs.
_V3_RELEASES = (
    "3.0.0",
    "3.1.0",
    "3.2.0",
    "3.3.0",
    "3.4.0",
    "3.4.1",
    "3.5.0",
    "3.6.0",
    "3.7.0",
    "3.8.0",
    "3.9.0",
    "3.10.0",
    "3.11.0",
    "3.12.0",
    "3.13.0",
    "3.14.0",
    "3.15.0",
    "3.15.1",
    "3.16.0",
    "3.17.0",
    "3.18.0",
    "3.19.0",
    "3.20.0",
    "3.21.0",
    "3.22.0",
    "3.22.1",
    "3.23.0",
    "3.24.0",
    "3.25.0",
    "3.26.0",
    "3.27.0",
    "3.28.0",
    "3.29.0",
    "3.30.0",
    "3.31.0",
    "3.31.1",
    "3.34.0",
    "3.35.0",
    "3.36.0",
    "3.37.0",
)
POWERTOOLS_LAYER_RELEASES: dict[int, str] = dict(enumerate(_V3_RELEASES, start=1))


class LayerRegionError(ValueError):
    """The stack's region has no public Powertools layer."""


def powertools_publisher(region: str) -> str | None:
    """The account publishing the Powertools layer in ``region``; ``None``: none publishes there."""
    if region in POWERTOOLS_REGIONAL_PUBLISHERS:
        return POWERTOOLS_REGIONAL_PUBLISHERS[region]
    info = region_info.RegionInfo.get(region)
    return POWERTOOLS_PUBLISHERS.get(info.partition or "aws")


def powertools_layer(scope: Construct, layer_version: int) -> lambda_.ILayerVersion:
    """Powertools for AWS Lambda (Python) v3 from its public layer, in the stack's partition and
    region. An environment-agnostic stack gets a mapping (region -> publisher) that CloudFormation
    resolves; a stack bound to a region gets the literal ARN, or fails naming the region."""
    stack = Stack.of(scope)
    if Token.is_unresolved(stack.region):
        mapping = CfnMapping(
            stack,
            "PowertoolsLayerPublishers",
            mapping={
                info.name: {"account": account}
                for info in region_info.RegionInfo.regions
                if (account := powertools_publisher(info.name)) is not None
            },
        )
        account = mapping.find_in_map(Aws.REGION, "account")
        partition = stack.partition
    else:
        found = powertools_publisher(stack.region)
        if found is None:
            raise LayerRegionError(
                f"region {stack.region}: Powertools publishes no {POWERTOOLS_LAYER_NAME} layer there "
                "(see infra/function.py POWERTOOLS_PUBLISHERS)"
            )
        account = found
        partition = region_info.RegionInfo.get(stack.region).partition or stack.partition
    arn = f"arn:{partition}:lambda:{stack.region}:{account}:layer:{POWERTOOLS_LAYER_NAME}:{layer_version}"
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)


def controller_function(
    scope: Construct,
    construct_id: str,
    *,
    endpoint_type: str,
    layer: lambda_.ILayerVersion,
    log_retention_days: int,
    key: kms.IKey,
    environment: dict[str, str] | None = None,
    network: Network | None = None,
) -> lambda_.Function:
    """A function running the lifecycle steps of ``endpoint_type``.

    Its role is its own, with no managed policy: it may write to its own log group, and the stack
    adds exactly the service calls its endpoint type needs (its module in infra/endpoint_types/).
    ``network``: it runs in that VPC's subnets (the type's placement); ``None``: Lambda's own.
    ``key``: the stack's customer-managed key, which encrypts its log group.
    """
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=retention(log_retention_days),
        encryption_key=key,
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
    function = lambda_.Function(
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
            # Its stack: the metrics' StackName dimension, the stack tag (controller.deployment).
            catalog.STACK_VARIABLE: Stack.of(scope).stack_name,
            "POWERTOOLS_SERVICE_NAME": POWERTOOLS_SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "PYDANTIC_DISABLE_PLUGINS": PYDANTIC_DISABLE_PLUGINS,
            **(environment or {}),
        },
        description=f"ml-endpoint-controller: {endpoint_type} endpoint lifecycle steps",
        vpc=network.vpc if network else None,
        vpc_subnets=network.subnets if network else None,
        security_groups=list(network.security_groups) if network else None,
    )
    if network is not None:
        # What Lambda reports of a function in a VPC (GetFunction's VpcConfig.VpcId) and the
        # template does not say: the local runner checks the network-interface permissions Lambda
        # uses the function's role for with it (endpointctl/runner/iam/network.py).
        cfn = function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.add_metadata("VpcId", network.vpc.vpc_id)
    return function


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
