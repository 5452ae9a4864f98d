"""Deploy configuration, read from CDK context (``cdk.json`` or ``-c key=value``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from constructs import Node

#: The endpoint types this deployment builds a lifecycle for (one state machine each).
ENDPOINT_TYPES = ("sagemaker", "aml", "neptune")
#: Amazon ML real-time endpoints exist only in these regions.
AML_REGIONS = ("us-east-1", "eu-west-1")

_BUS_NAME = re.compile(r"^[A-Za-z0-9._\-/]{1,256}$")


class ConfigError(ValueError):
    """A context value is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class NeptuneConfig:
    """Where the Neptune cluster is: the data API's URL, its resource id and its network."""

    endpoint: str | None = None
    cluster_resource_id: str | None = None
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_id: str | None = None

    @property
    def missing(self) -> list[str]:
        """The context keys not given (the stack still synthesizes; the warning names them)."""
        keys = {
            "neptuneEndpoint": self.endpoint,
            "neptuneClusterResourceId": self.cluster_resource_id,
            "neptuneVpcId": self.vpc_id,
            "neptuneSubnetIds": self.subnet_ids,
            "neptuneSecurityGroupId": self.security_group_id,
        }
        return [key for key, value in keys.items() if not value]


@dataclass(frozen=True)
class Config:
    """Everything a deployer can set. Defaults make a stack that synthesizes offline."""

    stack_name: str = "MlEndpointController"
    bus_name: str = "ml-endpoint-controller"
    log_retention_days: int = 30
    powertools_layer_version: int = 27
    aml_region: str = "us-east-1"
    neptune: NeptuneConfig = field(default_factory=NeptuneConfig)
    endpoint_types: tuple[str, ...] = ENDPOINT_TYPES

    @classmethod
    def from_context(cls, node: Node) -> Config:
        def get(key: str, default: Any = None) -> Any:
            value = node.try_get_context(key)
            return default if value in (None, "") else value

        config = cls(
            stack_name=str(get("stackName", cls.stack_name)),
            bus_name=str(get("busName", cls.bus_name)),
            log_retention_days=_int(get("logRetentionDays", cls.log_retention_days), "logRetentionDays"),
            powertools_layer_version=_int(
                get("powertoolsLayerVersion", cls.powertools_layer_version), "powertoolsLayerVersion"
            ),
            aml_region=str(get("amlRegion", cls.aml_region)),
            neptune=NeptuneConfig(
                endpoint=get("neptuneEndpoint"),
                cluster_resource_id=get("neptuneClusterResourceId"),
                vpc_id=get("neptuneVpcId"),
                subnet_ids=_list(get("neptuneSubnetIds", [])),
                security_group_id=get("neptuneSecurityGroupId"),
            ),
        )
        config.check()
        return config

    def check(self) -> None:
        if not _BUS_NAME.match(self.bus_name) or self.bus_name == "default":
            raise ConfigError(
                f"context busName={self.bus_name!r}: use 1-256 of A-Z a-z 0-9 . _ - / (not 'default')"
            )
        if not re.match(r"^[A-Za-z][A-Za-z0-9-]{0,127}$", self.stack_name):
            raise ConfigError(
                f"context stackName={self.stack_name!r}: start with a letter; letters, digits, -"
            )
        if self.aml_region not in AML_REGIONS:
            raise ConfigError(
                f"context amlRegion={self.aml_region!r}: Amazon ML real-time endpoints exist only in "
                f"{' and '.join(AML_REGIONS)}"
            )
        neptune = self.neptune
        if neptune.endpoint and not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/?$", neptune.endpoint):
            raise ConfigError(
                f"context neptuneEndpoint={neptune.endpoint!r}: use the cluster's https URL "
                "(https://my-cluster.cluster-xxxx.us-east-1.neptune.amazonaws.com:8182)"
            )
        if neptune.cluster_resource_id and not re.match(r"^cluster-[A-Z0-9]+$", neptune.cluster_resource_id):
            raise ConfigError(
                f"context neptuneClusterResourceId={neptune.cluster_resource_id!r}: the cluster's resource id "
                "(cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ), not its name"
            )
        if neptune.vpc_id and not re.match(r"^vpc-[0-9a-f]+$", neptune.vpc_id):
            raise ConfigError(f"context neptuneVpcId={neptune.vpc_id!r}: a VPC id (vpc-0123abcd)")
        for subnet in neptune.subnet_ids:
            if not re.match(r"^subnet-[0-9a-f]+$", subnet):
                raise ConfigError(
                    f"context neptuneSubnetIds: {subnet!r} is not a subnet id (subnet-0123abcd)"
                )
        if neptune.security_group_id and not re.match(r"^sg-[0-9a-f]+$", neptune.security_group_id):
            raise ConfigError(
                f"context neptuneSecurityGroupId={neptune.security_group_id!r}: a security group id (sg-0123abcd)"
            )
        network = [neptune.vpc_id, neptune.subnet_ids, neptune.security_group_id]
        if any(network) and not all(network):
            raise ConfigError(
                "context neptuneVpcId, neptuneSubnetIds and neptuneSecurityGroupId go together: give all three"
            )


def _int(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"context {key}={value!r}: must be a whole number") from None


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part) for part in value)
    raise ConfigError(f"context neptuneSubnetIds={value!r}: a list or a comma-separated string of subnet ids")
