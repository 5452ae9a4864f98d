"""SageMaker's context keys (``sagemakerExecutionRoleArns``, ``sagemakerKmsKeyArns``): which roles
an inline endpoint config may pass to SageMaker and which keys it may name, read and checked with
every problem reported at once."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Self

from infra.config import ConfigError
from infra.endpoint_types.base import Context, TypeSettings

#: An IAM role ARN, as CreateEndpointConfig's ExecutionRoleArn takes it (botocore's RoleArn
#: pattern), a trailing ``*`` allowed in the name (a path or prefix of roles).
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/*-]+$")
#: A KMS key ARN (an IAM policy names keys by key ARN; aliases are not resources of kms:CreateGrant).
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/([0-9a-f-]{36}|mrk-[0-9a-f]{32}|\*)$")


def _arns(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) and value.strip().startswith("["):  # `cdk -c key=[...]` gives text
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigError(f"context {key}={value!r}: not a JSON list of ARNs") from None
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(part, str) for part in value):
        return tuple(part.strip() for part in value if part.strip())
    raise ConfigError(f"context {key}={value!r}: a list or a comma-separated string of ARNs")


@dataclass(frozen=True)
class SageMakerSettings(TypeSettings):
    """Which roles an inline endpoint config may pass to SageMaker, and which keys it may name."""

    #: Context ``sagemakerExecutionRoleArns``; empty: any role of this account.
    execution_role_arns: tuple[str, ...] = ()
    #: Context ``sagemakerKmsKeyArns``; empty: any key of this account and region.
    kms_key_arns: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, get: Context) -> Self:
        return cls(
            execution_role_arns=_arns(get("sagemakerExecutionRoleArns"), "sagemakerExecutionRoleArns"),
            kms_key_arns=_arns(get("sagemakerKmsKeyArns"), "sagemakerKmsKeyArns"),
        )

    def check(self) -> None:
        problems: list[str] = []  # every problem at once, one line each
        for role in self.execution_role_arns:
            if not _ROLE_ARN.match(role):
                problems.append(
                    f"context sagemakerExecutionRoleArns: {role!r} is not an IAM role ARN "
                    "(arn:aws:iam::123456789012:role/my-sagemaker-role)"
                )
        for key in self.kms_key_arns:
            if not _KEY_ARN.match(key):
                problems.append(
                    f"context sagemakerKmsKeyArns: {key!r} is not a KMS key ARN "
                    "(arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab; not an alias)"
                )
        if problems:
            raise ConfigError.of(problems)
