"""Deploy configuration, read from CDK context (``cdk.json`` or ``-c key=value``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs import Node

#: The endpoint types this deployment builds a lifecycle for (one state machine each).
ENDPOINT_TYPES = ("sagemaker",)

_BUS_NAME = re.compile(r"^[A-Za-z0-9._\-/]{1,256}$")


class ConfigError(ValueError):
    """A context value is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Config:
    """Everything a deployer can set. Defaults make a stack that synthesizes offline."""

    stack_name: str = "MlEndpointController"
    bus_name: str = "ml-endpoint-controller"
    log_retention_days: int = 30
    powertools_layer_version: int = 27
    endpoint_types: tuple[str, ...] = ENDPOINT_TYPES

    @classmethod
    def from_context(cls, node: Node) -> Config:
        def get(key: str, default: Any) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        config = cls(
            stack_name=str(get("stackName", cls.stack_name)),
            bus_name=str(get("busName", cls.bus_name)),
            log_retention_days=_int(get("logRetentionDays", cls.log_retention_days), "logRetentionDays"),
            powertools_layer_version=_int(
                get("powertoolsLayerVersion", cls.powertools_layer_version), "powertoolsLayerVersion"
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


def _int(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"context {key}={value!r}: must be a whole number") from None
