"""Placement of inference-component copies on their variant's instances (``sim/inference_component/
placement.py``): boto3 against the simulated SageMaker on a virtual clock the test advances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sagemaker import models as sm_models

from endpointctl.sim.calls import CallLog
from endpointctl.sim.inference_component import ROLE, SIMULATOR, InferenceComponentSimulator
from endpointctl.sim.inference_component.capacity import INSTANCES, Resources, capacity_of
from endpointctl.sim.sagemaker import SageMakerSim
from endpointctl.sim.virtual_clock import VirtualClock
from endpointctl.template import ACCOUNT, REGION

#: One copy takes a whole ml.g5.2xlarge's GPU (1 GPU, 8 vCPU, 32 GiB): at most one per instance.
GPU = {
    "ModelName": "llama",
    "ComputeResourceRequirements": {
        "NumberOfAcceleratorDevicesRequired": 1,
        "NumberOfCpuCoresRequired": 4,
        "MinMemoryRequiredInMb": 16384,
    },
}
EACH = "each needs 1 accelerator, 4 vCPU, 16384 MB"
CREATE, UPDATE = 300, 600


class World:
    def __init__(self, sim: InferenceComponentSimulator, clock: VirtualClock) -> None:
        self.sim, self.clock = sim, clock
        self.client = boto3.client("sagemaker", region_name="us-east-1")

    def endpoint(
        self, name: str, instance_type: str = "ml.g5.2xlarge", count: int = 2, **variant: Any
    ) -> str:
        """An endpoint in service whose one variant (``AllTraffic``) has ``count`` instances."""
        variants = [
            {
                "VariantName": "AllTraffic",
                "InstanceType": instance_type,
                "InitialInstanceCount": count,
                **variant,
            }
        ]
        backend = sm_models.sagemaker_backends[ACCOUNT][REGION]
        config = sm_models.FakeEndpointConfig(ACCOUNT, REGION, f"{name}-config", variants, {}, {}, [], "")
        config.execution_role_arn = ROLE  # type: ignore[attr-defined]
        backend.endpoint_configs[f"{name}-config"] = config
        backend.endpoints[name] = sm_models.FakeEndpoint(
            ACCOUNT, REGION, name, f"{name}-config", variants, {}, []
        )
        return name

    def create(self, name: str, endpoint: str, copies: int, spec: dict[str, Any] = GPU) -> None:
        self.client.create_inference_component(
            InferenceComponentName=name,
            EndpointName=endpoint,
            VariantName="AllTraffic",
            Specification=spec,
            RuntimeConfig={"CopyCount": copies},
        )

    def describe(self, name: str) -> dict[str, Any]:
        return dict(self.client.describe_inference_component(InferenceComponentName=name))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    clock, log = VirtualClock(start=1_000_000.0), CallLog()
    with mock_aws(), ExitStack() as stack:
        sagemaker, sim = SageMakerSim(None, clock, log), SIMULATOR(None, clock, log)
        for each in (sagemaker, sim):
            each.install(stack)
        yield World(sim, clock)


def copies(described: dict[str, Any]) -> tuple[int, int]:
    runtime = described["RuntimeConfig"]
    return runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]


def test_the_capacity_table_mirrors_the_ec2_types() -> None:
    assert capacity_of("ml.g5.2xlarge") == Resources(1, 8, 32 * 1024)
    assert capacity_of("ml.g6.48xlarge") == Resources(8, 192, 768 * 1024)
    assert capacity_of("ml.p5.48xlarge") == Resources(8, 192, 2048 * 1024)
    assert capacity_of("ml.c5.large") == Resources(0, 2, 4 * 1024)
    assert capacity_of("ml.g4dn.xlarge") is None
    assert len(INSTANCES) == 8 + 8 + 1 + 1 + 4 + 4 + 3


def test_copies_that_fit_exactly_are_all_placed(world: World) -> None:
    world.create("ic", world.endpoint("fixed"), copies=2)
    world.clock.advance(CREATE)
    described = world.describe("ic")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["RuntimeConfig"]["PlacementStatus"] == [
        {"InstanceType": "ml.g5.2xlarge", "CurrentCopyCount": 2}
    ]
    assert copies(described) == (2, 2) and "FailureReason" not in described


def test_one_copy_too_many_fails_the_create_and_says_why(world: World) -> None:
    world.create("ic", world.endpoint("fixed"), copies=3)
    world.clock.advance(CREATE)
    described = world.describe("ic")
    assert described["InferenceComponentStatus"] == "Failed"
    assert described["FailureReason"] == (
        "insufficient capacity on endpoint fixed variant AllTraffic: 2 of 3 copies placed "
        f"({EACH}; ml.g5.2xlarge x 2 has 2 accelerators, 16 vCPU, 65536 MB)"
    )
    assert copies(described) == (3, 0) and "PlacementStatus" not in described["RuntimeConfig"]


def test_managed_instance_scaling_places_copies_up_to_its_maximum(world: World) -> None:
    managed = {"ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4}}
    world.create("four", world.endpoint("managed", count=1, **managed), copies=4)
    world.create("five", world.endpoint("managed-5", count=1, **managed), copies=5)
    disabled = {"ManagedInstanceScaling": {"Status": "DISABLED", "MaxInstanceCount": 4}}
    world.create("off", world.endpoint("disabled", count=1, **disabled), copies=2)
    world.clock.advance(CREATE)
    assert copies(world.describe("four")) == (4, 4)
    assert world.describe("four")["InferenceComponentStatus"] == "InService"
    assert "4 of 5 copies placed" in world.describe("five")["FailureReason"]
    assert "1 of 2 copies placed" in world.describe("off")["FailureReason"]


def test_components_on_one_variant_share_its_instances(world: World) -> None:
    endpoint = world.endpoint("shared")
    world.create("first", endpoint, copies=1)
    world.create("second", endpoint, copies=2)  # due at the same time: the older one is placed first
    world.clock.advance(CREATE)
    assert world.describe("first")["InferenceComponentStatus"] == "InService"
    second = world.describe("second")
    assert second["InferenceComponentStatus"] == "Failed"
    assert second["FailureReason"].endswith(
        f"1 of 2 copies placed ({EACH}; ml.g5.2xlarge x 2 has 2 accelerators, 16 vCPU, 65536 MB; "
        "1 copies of other components use 1 accelerator, 4 vCPU, 16384 MB)"
    )
    world.client.delete_inference_component(InferenceComponentName="first")
    world.clock.advance(60)
    world.create("third", endpoint, copies=2)
    world.clock.advance(CREATE)
    assert copies(world.describe("third")) == (2, 2)


def test_an_unknown_instance_type_is_not_constrained(world: World) -> None:
    huge = {
        "ModelName": "huge",
        "ComputeResourceRequirements": {
            **GPU["ComputeResourceRequirements"],
            "NumberOfAcceleratorDevicesRequired": 4,
        },
    }  # type: ignore[dict-item]
    world.create(
        "ic", world.endpoint("unknown", instance_type="ml.g4dn.xlarge", count=1), copies=10, spec=huge
    )
    world.clock.advance(CREATE)
    assert world.describe("ic")["InferenceComponentStatus"] == "InService"
    assert copies(world.describe("ic")) == (10, 10)


def test_a_copy_larger_than_one_instance_never_fits(world: World) -> None:
    two = {
        "ModelName": "two",
        "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 2,
            "MinMemoryRequiredInMb": 1024,
        },
    }
    managed = {"ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 64}}
    world.create("ic", world.endpoint("big", count=1, **managed), copies=1, spec=two)
    world.clock.advance(CREATE)
    described = world.describe("ic")
    assert described["InferenceComponentStatus"] == "Failed"
    assert "0 of 1 copies placed" in described["FailureReason"]
    assert described["FailureReason"].endswith(
        "one copy needs more than one instance's 1 accelerator, 8 vCPU, 32768 MB)"
    )


def test_an_update_that_cannot_be_placed_is_rolled_back(world: World) -> None:
    world.create("ic", world.endpoint("fixed"), copies=2)
    world.clock.advance(CREATE)
    world.client.update_inference_component(
        InferenceComponentName="ic",
        Specification={**GPU, "ModelName": "llama-v2"},
        RuntimeConfig={"CopyCount": 3},
    )
    world.clock.advance(UPDATE)
    described = world.describe("ic")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "llama" and copies(described) == (2, 2)
    assert described["FailureReason"].startswith("rolled back: insufficient capacity on endpoint fixed")
    assert "2 of 3 copies placed" in described["FailureReason"]
    world.client.update_inference_component_runtime_config(
        InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 4}
    )
    world.clock.advance(UPDATE)
    described = world.describe("ic")
    assert described["InferenceComponentStatus"] == "InService" and copies(described) == (2, 2)
    assert "2 of 4 copies placed" in described["FailureReason"]
    world.client.update_inference_component(
        InferenceComponentName="ic",
        Specification={**GPU, "ModelName": "llama-v3"},
        RuntimeConfig={"CopyCount": 1},
    )
    world.clock.advance(UPDATE)
    described = world.describe("ic")
    assert described["Specification"]["ModelName"] == "llama-v3" and copies(described) == (1, 1)
    assert "FailureReason" not in described


def test_autoscaling_places_what_fits(world: World) -> None:
    world.create("ic", world.endpoint("fixed"), copies=1)
    world.clock.advance(CREATE)
    world.sim.scale("ic", 5)
    described = world.describe("ic")
    assert described["InferenceComponentStatus"] == "InService" and copies(described) == (5, 2)
