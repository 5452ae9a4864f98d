"""Amazon ML real-time endpoints: everything the infrastructure knows about this type.

Amazon ML exists in two regions only, so this type has a context key of its own, ``amlRegion``:
its function's environment (``AML_REGION``) and its grant (models of this account in that region)
follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra import nag
from infra.config import ConfigError
from infra.endpoint_types.base import Context, EndpointTypeInfra, TypeSettings
from infra.nag import NagArns
from infra.polling import backoff_after

#: Amazon ML real-time endpoints exist only in these regions.
REGIONS = ("us-east-1", "eu-west-1")


@dataclass(frozen=True)
class AmlSettings(TypeSettings):
    #: Context ``amlRegion``: where the models and their real-time endpoints are.
    region: str = "us-east-1"

    @classmethod
    def from_context(cls, get: Context) -> Self:
        return cls(region=str(get("amlRegion", cls.region)))

    def check(self) -> None:
        if self.region not in REGIONS:
            raise ConfigError(
                f"context amlRegion={self.region!r}: Amazon ML real-time endpoints exist only in "
                f"{' and '.join(REGIONS)}"
            )


class AmlInfra(EndpointTypeInfra[AmlSettings]):
    name = "aml"
    settings_type = AmlSettings
    # Amazon ML real-time endpoints take a couple of minutes to become READY.
    poll_policy = backoff_after(120)

    def grant(self, function: lambda_.Function) -> None:
        stack = Stack.of(function)
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="RealtimeEndpoints",
                actions=[
                    "machinelearning:GetMLModel",
                    "machinelearning:CreateRealtimeEndpoint",
                    "machinelearning:DeleteRealtimeEndpoint",
                ],
                resources=[
                    stack.format_arn(
                        service="machinelearning",
                        region=self.settings.region,
                        resource="mlmodel",
                        resource_name="*",
                    )
                ],
            )
        )

    def environment(self) -> dict[str, str]:
        return {"AML_REGION": self.settings.region}

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        if function.role is None:
            return
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('machinelearning', 'mlmodel/*', region=self.settings.region)}]",
            "Amazon ML models are named by each request (MLModelId); the ARN is this account in the "
            "Amazon ML region only.",
        )
