"""Deploy configuration, read from CDK context (``cdk.json`` or ``-c key=value``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from constructs import Node

from infra.polling import EVENT_FALLBACK_SECONDS

#: The endpoint types this deployment builds a lifecycle for (one state machine each).
ENDPOINT_TYPES = ("sagemaker", "aml", "neptune")
#: Amazon ML real-time endpoints exist only in these regions.
AML_REGIONS = ("us-east-1", "eu-west-1")

_BUS_NAME = re.compile(r"^[A-Za-z0-9._\-/]{1,256}$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def kebab(name: str) -> str:
    """``MlEndpointControllerStaging`` → ``ml-endpoint-controller-staging``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


@dataclass(frozen=True)
class TypeDefaults:
    """A deployment's defaults for one endpoint type; ``None``: the built-in value."""

    #: ``options.timeoutSeconds`` of a request that sets none.
    timeout_seconds: int | None = None
    #: When the first look comes (adaptive polling; see infra/polling.py).
    first_check_seconds: int | None = None


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
    #: Default: the stack name in kebab case (``ml-endpoint-controller``), so stacks do not collide.
    bus_name: str = ""
    log_retention_days: int = 30
    powertools_layer_version: int = 27
    aml_region: str = "us-east-1"
    neptune: NeptuneConfig = field(default_factory=NeptuneConfig)
    endpoint_types: tuple[str, ...] = ENDPOINT_TYPES
    #: Who gets every outcome notification, and who gets the alarms (e-mail subscriptions).
    notification_email: str | None = None
    alarm_email: str | None = None
    #: Per endpoint type: default timeout and first look.
    defaults: dict[str, TypeDefaults] = field(default_factory=dict)
    #: Adaptive polling's cap between looks (bounds detection latency), and the event fallback.
    max_poll_interval_seconds: int = 30
    event_fallback_seconds: int = EVENT_FALLBACK_SECONDS

    def __post_init__(self) -> None:
        if not self.bus_name:
            object.__setattr__(self, "bus_name", kebab(self.stack_name))

    @classmethod
    def from_context(cls, node: Node) -> Config:
        def get(key: str, default: Any = None) -> Any:
            value = node.try_get_context(key)
            return default if value in (None, "") else value

        stack_name = str(get("stackName", cls.stack_name))
        config = cls(
            stack_name=stack_name,
            bus_name=str(get("busName", kebab(stack_name))),
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
            notification_email=get("notificationEmail"),
            alarm_email=get("alarmEmail"),
            defaults={
                t: TypeDefaults(
                    timeout_seconds=_optional_int(get(f"{t}TimeoutSeconds"), f"{t}TimeoutSeconds"),
                    first_check_seconds=_optional_int(get(f"{t}FirstCheckSeconds"), f"{t}FirstCheckSeconds"),
                )
                for t in ENDPOINT_TYPES
            },
            max_poll_interval_seconds=_int(
                get("maxPollIntervalSeconds", cls.max_poll_interval_seconds), "maxPollIntervalSeconds"
            ),
            event_fallback_seconds=_int(
                get("eventFallbackSeconds", cls.event_fallback_seconds), "eventFallbackSeconds"
            ),
        )
        config.check()
        return config

    def type_defaults(self, endpoint_type: str) -> TypeDefaults:
        return self.defaults.get(endpoint_type) or TypeDefaults()

    def check(self) -> None:
        for key, email in (("notificationEmail", self.notification_email), ("alarmEmail", self.alarm_email)):
            if email is not None and not _EMAIL.match(str(email)):
                raise ConfigError(f"context {key}={email!r}: one e-mail address (ops@example.com)")
        for endpoint_type, given in self.defaults.items():
            if given.timeout_seconds is not None and not 60 <= given.timeout_seconds <= 86400:
                raise ConfigError(
                    f"context {endpoint_type}TimeoutSeconds={given.timeout_seconds}: 60 to 86400 seconds"
                )
            if given.first_check_seconds is not None and not 1 <= given.first_check_seconds <= 3600:
                raise ConfigError(
                    f"context {endpoint_type}FirstCheckSeconds={given.first_check_seconds}: 1 to 3600 seconds"
                )
        if not 5 <= self.max_poll_interval_seconds <= 300:
            raise ConfigError(
                f"context maxPollIntervalSeconds={self.max_poll_interval_seconds}: 5 to 300 seconds "
                "(it bounds how late a ready endpoint is noticed)"
            )
        if not 60 <= self.event_fallback_seconds <= 86400:
            raise ConfigError(
                f"context eventFallbackSeconds={self.event_fallback_seconds}: 60 to 86400 seconds"
            )
        if not 1 <= self.log_retention_days <= 365:
            raise ConfigError(f"context logRetentionDays={self.log_retention_days}: 1 to 365 days")
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
        if neptune.vpc_id and not re.match(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", neptune.vpc_id):
            raise ConfigError(f"context neptuneVpcId={neptune.vpc_id!r}: a VPC id (vpc-0123abcd)")
        for subnet in neptune.subnet_ids:
            if not re.match(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", subnet):
                raise ConfigError(
                    f"context neptuneSubnetIds: {subnet!r} is not a subnet id (subnet-0123abcd)"
                )
        if neptune.security_group_id and not re.match(
            r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$", neptune.security_group_id
        ):
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


def _optional_int(value: Any, key: str) -> int | None:
    return None if value is None else _int(value, key)


def _list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part) for part in value)
    raise ConfigError(f"context neptuneSubnetIds={value!r}: a list or a comma-separated string of subnet ids")
