"""The ``sagemaker`` scenario key, typed, and what the simulator records per endpoint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from endpointctl.sim.scenario import ScenarioModel, Seconds, ServiceScenario


@dataclass
class EndpointRecord:
    """When an endpoint was asked to be created or deleted, in virtual seconds, and its tags."""

    create_at: float | None
    delete_at: float | None = None
    execution: str | None = None
    delete_execution: str | None = None
    tags: dict[str, str] | None = None
    #: An update under way: when it was sent, from which config to which.
    update_at: float | None = None
    update_from: str | None = None
    update_to: str | None = None
    #: The variants of ``update_to`` when the update was sent: the endpoint's once it settles there
    #: (a deployment goes on even when the config is deleted under it).
    update_variants: list[dict[str, Any]] | None = None
    #: An update has settled: the creation's timeline no longer decides the status.
    updated: bool = False
    #: Instances per type the endpoint runs (``usage.py``); ``None``: its config's variants say.
    fleet: dict[str, int] | None = None
    #: Instances per type an update under way provisions beside ``fleet`` (``usage.surge``).
    surge: dict[str, int] | None = None
    #: The ``DeploymentConfig`` last given to the endpoint (what ``RetainDeploymentConfig`` reuses).
    deployment: dict[str, Any] | None = None


class Tag(ScenarioModel):
    Key: str
    Value: str


class ExistingEndpoint(ScenarioModel):
    """An endpoint in service before the run, on its config (which then exists), with its tags
    (the controller's own tags make it one the controller created earlier)."""

    EndpointName: str
    EndpointConfigName: str | None = None
    Tags: list[Tag] = []


class SageMakerExisting(ScenarioModel):
    #: A name: an endpoint in service on a config of its own (named ``<name>-config``, not created).
    endpoints: list[str | ExistingEndpoint] = []
    endpointConfigs: list[str] = []


class SageMakerUpdate(ScenarioModel):
    """How the simulated ``UpdateEndpoint`` goes (docs/local-runner.md ``sagemaker.update``):
    ``RolledBack`` is SageMaker's own automatic rollback (an alarm fired, or the new fleet
    failed): the endpoint passes through ``RollingBack`` and is ``InService`` on its previous
    config again, with a ``FailureReason``."""

    seconds: Seconds = 300
    outcome: Literal["InService", "RolledBack", "Failed", "UpdateRollbackFailed"] = "InService"
    failureReason: str | None = None


class ScalingPolicy(ScenarioModel):
    """A ``PutScalingPolicy`` request of a registered variant (its target's members filled in by
    the simulator): ``PolicyName``, ``PolicyType`` and its configuration, as the API spells them."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    PolicyName: str
    PolicyType: Literal["TargetTrackingScaling", "StepScaling"] = "TargetTrackingScaling"


class ScalingLimits(ScenarioModel):
    MinCapacity: int = 1
    MaxCapacity: int = 1
    #: Its scaling policies (``remaining.sagemaker.scalingPolicies``: ``endpoint/variant/name``).
    Policies: list[ScalingPolicy] = []


def _instance_type(value: str) -> str:
    from endpointctl.sim.sagemaker.quotas import instance_types

    if value not in instance_types():
        raise PydanticCustomError(
            "instance_type",
            "is not a SageMaker endpoint instance type (botocore's ProductionVariantInstanceType)"
            + _suggestion(value, instance_types()),
        )
    return value


def _operation(value: str) -> str:
    from endpointctl.sim.sagemaker.rate_limits import operations

    if value not in operations():
        raise PydanticCustomError(
            "operation", "is not a SageMaker operation (botocore's)" + _suggestion(value, operations())
        )
    return value


def _suggestion(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


#: An endpoint instance type of the model; a quota: instances, 0 or more; a rate: calls, 1 or more.
InstanceType = Annotated[str, AfterValidator(_instance_type)]
Operation = Annotated[str, AfterValidator(_operation)]
Quota = Annotated[int, Field(ge=0)]
Rate = Annotated[int, Field(ge=1)]


class SageMakerScenario(ServiceScenario):
    createSeconds: Seconds = 300
    deleteSeconds: Seconds = 60
    outcome: Literal["InService", "Failed"] = "InService"
    deleteOutcome: Literal["Deleted", "Failed"] = "Deleted"
    emitEvents: bool = True
    #: Not in the contract's scenario, for tests: events arrive late, or each one twice.
    eventDelaySeconds: Seconds = 0
    duplicateEvents: bool = False
    existing: SageMakerExisting = SageMakerExisting()
    update: SageMakerUpdate = SageMakerUpdate()
    #: ``{endpoint: {variant: limits}}``: variants registered with Application Auto Scaling.
    autoScaling: dict[str, dict[str, ScalingLimits]] = {}
    #: CloudWatch alarms that exist (the rollback alarms an update may name). Left out: every
    #: alarm a request names exists, as its other prerequisites do (unless ``missingPrerequisites``).
    alarms: list[str] | None = None
    #: ``{"ml.g5.xlarge": 4}``: the account's "<type> for endpoint usage" quotas, in instances
    #: (``quotas.py``; the types not named have ``quotas.DEFAULT_QUOTA``).
    quotas: dict[InstanceType, Quota] = {}
    #: ``{"DescribeEndpoint": 10}``: calls per virtual second above which an operation is throttled
    #: (``rate_limits.py``).
    rateLimits: dict[Operation, Rate] = {}
