"""The toy type's infra module: its home in the CDK tree (grants, environment, poll policy, the
detail filter of its state-change rule, its own context key, its cdk-nag acknowledgment)."""

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


@dataclass(frozen=True)
class ToySettings(TypeSettings):
    #: Context ``toyZone``.
    zone: str = "blue"

    @classmethod
    def from_context(cls, get: Context) -> Self:
        return cls(zone=str(get("toyZone", cls.zone)))

    def check(self) -> None:
        if self.zone not in ("blue", "green"):
            raise ConfigError(f"context toyZone={self.zone!r}: blue or green")


class ToyInfra(EndpointTypeInfra[ToySettings]):
    name = "toy"
    settings_type = ToySettings
    poll_policy = backoff_after(45)
    state_change_detail = {"status": ["READY", "FAILED"]}

    def grant(self, function: lambda_.Function) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ToyThings",
                actions=["toy:CreateThing", "toy:DeleteThing"],
                resources=[Stack.of(function).format_arn(service="toy", resource="thing", resource_name="*")],
            )
        )

    def environment(self) -> dict[str, str]:
        return {"TOY_ZONE": self.settings.zone}

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        assert function.role is not None
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('toy', 'thing/*')}]",
            "Toy things are named by each request, so the name is a wildcard; the ARN is this "
            "account and region only.",
        )
