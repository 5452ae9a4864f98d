"""The simulated SageMaker's instance quotas (``sagemaker.quotas``): boto3 against the simulator on
a virtual clock the test moves by hand. What counts as usage, SageMaker's ``ResourceLimitExceeded``
for a create or an update beyond a quota (blue/green's peak and a rolling batch), and the invariant
that no sequence of requests takes usage beyond any quota."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from endpointctl.sim.calls import CallLog
from endpointctl.sim.sagemaker import SageMakerSim, usage
from endpointctl.sim.virtual_clock import VirtualClock

G5 = "ml.g5.xlarge"
M5 = "ml.m5.large"
ROLLING_ONE = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 0,
    }
}
MESSAGE = (
    "The account-level service limit 'ml.g5.xlarge for endpoint usage' is {quota} Instances, with current "
    "utilization of {held} Instances and a request delta of {need} Instances. Please use AWS Service "
    "Quotas to request an increase for this quota. If AWS Service Quotas is not available, contact AWS "
    "support to request an increase for this quota."
)


class World:
    def __init__(self, sim: SageMakerSim, clock: VirtualClock) -> None:
        self.sim, self.clock = sim, clock
        self.client = boto3.client("sagemaker", region_name="us-east-1")

    def config(self, name: str, *variants: tuple[str, int]) -> str:
        self.client.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": f"v{i}",
                    "ModelName": "m",
                    "InstanceType": kind,
                    "InitialInstanceCount": count,
                }
                for i, (kind, count) in enumerate(variants)
            ],
        )
        return name

    def create(self, name: str, *variants: tuple[str, int], **extra: Any) -> None:
        self.client.create_endpoint(
            EndpointName=name, EndpointConfigName=self.config(f"{name}-v1", *variants), **extra
        )

    def update(self, name: str, config: str, *variants: tuple[str, int], **extra: Any) -> None:
        self.client.update_endpoint(
            EndpointName=name, EndpointConfigName=self.config(config, *variants), **extra
        )

    def status(self, name: str) -> str:
        return str(self.client.describe_endpoint(EndpointName=name)["EndpointStatus"])


@contextmanager
def simulated(scenario: dict[str, Any]) -> Iterator[World]:
    clock = VirtualClock(start=1_000_000.0)
    with mock_aws(), ExitStack() as stack:
        sim = SageMakerSim({"createSeconds": 300, "deleteSeconds": 60, **scenario}, clock, CallLog())
        sim.install(stack)
        sim.seed()
        yield World(sim, clock)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[World]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with simulated(getattr(request, "param", None) or {}) as found:
        yield found


def refused(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.mark.parametrize("world", [{"quotas": {G5: 1}}], indirect=True)
def test_a_create_beyond_the_quota_is_refused_in_sagemakers_words(world: World) -> None:
    with pytest.raises(ClientError) as exc:
        world.create("big", (G5, 2))
    assert refused(exc) == ("ResourceLimitExceeded", 400, MESSAGE.format(quota=1, held=0, need=2))
    assert world.client.list_endpoints()["Endpoints"] == []
    assert world.sim.log.failures() == [
        {"call": "sagemaker:CreateEndpoint", "error": "ResourceLimitExceeded"}
    ]
    world.create("fits", (G5, 1))
    assert world.sim.usage() == {G5: 1}


@pytest.mark.parametrize(
    "world",
    [
        {
            "quotas": {M5: 2},
            "existing": {"endpoints": [{"EndpointName": "theirs", "EndpointConfigName": "theirs-v1"}]},
        }
    ],
    indirect=True,
)
def test_existing_endpoints_count_as_usage(world: World) -> None:
    assert world.sim.usage() == {M5: 1}  # the existing endpoint's config: one ml.m5.large
    with pytest.raises(ClientError) as exc:
        world.create("mine", (M5, 2))
    assert "current utilization of 1 Instances and a request delta of 2 Instances" in refused(exc)[2]


@pytest.mark.parametrize("world", [{"quotas": {G5: 3}, "outcome": "Failed"}], indirect=True)
def test_a_failed_endpoint_holds_nothing(world: World) -> None:
    world.create("a", (G5, 3))
    assert world.sim.usage() == {G5: 3}  # Creating
    world.clock.advance(300)
    assert world.status("a") == "Failed" and world.sim.usage() == {}
    world.create("b", (G5, 3))


@pytest.mark.parametrize("world", [{"quotas": {G5: 3}}], indirect=True)
def test_a_deleted_endpoint_holds_nothing_even_when_its_config_is_gone_first(world: World) -> None:
    world.create("a", (G5, 3))
    world.clock.advance(300)
    world.client.delete_endpoint_config(EndpointConfigName="a-v1")
    assert world.sim.usage() == {G5: 3}  # its instances run on without their config
    world.client.delete_endpoint(EndpointName="a")
    assert world.sim.usage() == {}  # Deleting
    world.create("b", (G5, 3))


@pytest.mark.parametrize("world", [{"quotas": {G5: 3}}], indirect=True)
def test_serverless_variants_count_nothing(world: World) -> None:
    world.client.create_endpoint_config(
        EndpointConfigName="sls",
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": "m",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
    )
    world.client.create_endpoint(EndpointName="sls", EndpointConfigName="sls")
    assert world.sim.usage() == {}


@pytest.mark.parametrize("world", [{"quotas": {G5: 3}, "update": {"seconds": 600}}], indirect=True)
def test_blue_green_needs_the_whole_new_fleet_beside_the_old(world: World) -> None:
    world.create("a", (G5, 2))
    world.clock.advance(300)
    with pytest.raises(ClientError) as exc:
        world.update("a", "a-v2", (G5, 2))  # 2 running + 2 new > 3
    assert refused(exc) == ("ResourceLimitExceeded", 400, MESSAGE.format(quota=3, held=2, need=2))
    assert world.status("a") == "InService"
    canary = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 60,
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
            }
        }
    }
    with pytest.raises(ClientError):
        world.update("a", "a-v3", (G5, 2), DeploymentConfig=canary)  # canary provisions it all too
    world.update("a", "a-v4", (G5, 1))  # 2 + 1 fit
    assert world.sim.usage() == {G5: 3}  # both fleets while it deploys
    world.clock.advance(600)
    assert world.status("a") == "InService" and world.sim.usage() == {G5: 1}  # the new fleet only


@pytest.mark.parametrize("world", [{"quotas": {G5: 3}, "update": {"seconds": 600}}], indirect=True)
def test_a_rolling_update_needs_one_batch(world: World) -> None:
    world.create("a", (G5, 2))
    world.clock.advance(300)
    world.update("a", "a-v2", (G5, 2), DeploymentConfig=ROLLING_ONE)
    assert world.sim.usage() == {G5: 3}  # the old fleet and one batch
    world.clock.advance(600)
    assert world.sim.usage() == {G5: 2}
    # a retained rolling policy is the rolling policy again
    world.update("a", "a-v3", (G5, 2), RetainDeploymentConfig=True)
    assert world.sim.usage() == {G5: 3}


@pytest.mark.parametrize(
    "world", [{"quotas": {G5: 4}, "update": {"seconds": 600, "outcome": "RolledBack"}}], indirect=True
)
def test_a_rolled_back_update_leaves_the_old_fleet(world: World) -> None:
    world.create("a", (G5, 1))
    world.clock.advance(300)
    world.update("a", "a-v2", (G5, 3))
    assert world.sim.usage() == {G5: 4}
    world.clock.advance(600)
    assert world.sim.usage() == {G5: 1}


@pytest.mark.parametrize(
    ("policy", "counts", "expected"),
    [
        (None, [5], 5),  # blue/green: the whole new fleet
        ({"Type": "INSTANCE_COUNT", "Value": 2}, [5], 2),
        ({"Type": "INSTANCE_COUNT", "Value": 9}, [5], 5),  # at most the fleet
        ({"Type": "CAPACITY_PERCENT", "Value": 25}, [5], 2),  # 1.25, rounded up
        ({"Type": "CAPACITY_PERCENT", "Value": 5}, [4], 1),  # at least one
        ({"Type": "CAPACITY_PERCENT", "Value": 50}, [4, 2], 3),  # a batch per variant: 2 + 1
    ],
)
def test_the_peak_of_an_update(policy: dict[str, Any] | None, counts: list[int], expected: int) -> None:
    variants = [
        {"VariantName": f"v{i}", "InstanceType": G5, "InitialInstanceCount": n} for i, n in enumerate(counts)
    ]
    deployment = {"RollingUpdatePolicy": {"MaximumBatchSize": policy}} if policy else None
    assert usage.surge(variants, deployment) == {G5: expected}


# -- the invariant -------------------------------------------------------------------------------
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["create", "update", "rolling", "delete", "wait"]),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from([G5, M5]),
        st.integers(min_value=1, max_value=4),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, g5=st.integers(0, 6), m5=st.integers(0, 6))
def test_usage_never_exceeds_a_quota(
    monkeypatch: pytest.MonkeyPatch, actions: list[tuple[str, str, str, int]], g5: int, m5: int
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    quotas = {G5: g5, M5: m5}
    with simulated({"quotas": quotas, "update": {"seconds": 200}}) as world:
        for step, (action, name, kind, count) in enumerate(actions):
            try:
                if action == "create":
                    world.create(name, (kind, count))
                elif action in ("update", "rolling"):
                    extra = {"DeploymentConfig": ROLLING_ONE} if action == "rolling" else {}
                    world.update(name, f"{name}-u{step}", (kind, count), **extra)
                elif action == "delete":
                    world.client.delete_endpoint(EndpointName=name)
                else:
                    world.clock.advance(150)
            except ClientError as exc:
                # refused as the service refuses: a quota, or a name taken, missing or busy
                assert exc.response["Error"]["Code"] in ("ResourceLimitExceeded", "ValidationException")
            held = world.sim.usage()
            assert all(held.get(kind, 0) <= limit for kind, limit in quotas.items()), (held, quotas)
