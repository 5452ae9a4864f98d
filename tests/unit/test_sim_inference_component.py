"""The inference-component simulator: boto3 against the simulated SageMaker (moto's, patched by the
SageMaker simulator and this one) on a virtual clock the test advances by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from endpointctl.sim.calls import CallLog
from endpointctl.sim.inference_component import SIMULATOR, InferenceComponentSimulator
from endpointctl.sim.sagemaker import SageMakerSim
from endpointctl.sim.scenario import ScenarioError
from endpointctl.sim.virtual_clock import VirtualClock

START = 1_000_000.0
ENDPOINT = "ic-endpoint"
SPEC = {"ModelName": "model-a", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}}
SPEC_B = {"ModelName": "model-b", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 2048}}


class World:
    def __init__(
        self, sim: InferenceComponentSimulator, sagemaker: SageMakerSim, clock: VirtualClock
    ) -> None:
        self.sim, self.sagemaker, self.clock = sim, sagemaker, clock
        self.client = boto3.client("sagemaker", region_name="us-east-1")
        self.scaling = boto3.client("application-autoscaling", region_name="us-east-1")
        self.raw = boto3.client(
            "sagemaker", region_name="us-east-1", config=Config(parameter_validation=False)
        )

    def create(self, name: str = "ic-a", endpoint: str = ENDPOINT, copies: int = 2, **extra: Any) -> Any:
        return self.client.create_inference_component(
            InferenceComponentName=name,
            EndpointName=endpoint,
            VariantName="AllTraffic",
            Specification=SPEC,
            RuntimeConfig={"CopyCount": copies},
            **extra,
        )

    def describe(self, name: str = "ic-a") -> dict[str, Any]:
        return dict(self.client.describe_inference_component(InferenceComponentName=name))

    def status(self, name: str = "ic-a") -> str:
        return str(self.describe(name)["InferenceComponentStatus"])


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[World]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    scenario = getattr(request, "param", None) or {}
    clock, log = VirtualClock(start=START), CallLog()
    with mock_aws(), ExitStack() as stack:
        sagemaker = SageMakerSim(scenario.get("sagemaker"), clock, log)
        sim = SIMULATOR(scenario.get("inference-component"), clock, log)
        for each in (sagemaker, sim):
            each.install(stack)
        for each in (sagemaker, sim):
            each.seed()
        sim.ensure_endpoint(ENDPOINT, "AllTraffic")
        yield World(sim, sagemaker, clock)


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_a_component_is_creating_then_in_service_with_its_copies(world: World) -> None:
    arn = world.create()["InferenceComponentArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic-a"
    described = world.describe()
    assert described["InferenceComponentStatus"] == "Creating"
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 0}
    assert described["EndpointArn"].endswith(f":endpoint/{ENDPOINT}")
    world.clock.advance(299)
    assert world.status() == "Creating"
    world.clock.advance(1)
    described = world.describe()
    assert described["InferenceComponentStatus"] == "InService"
    assert described["RuntimeConfig"] == {
        "DesiredCopyCount": 2,
        "CurrentCopyCount": 2,
        "PlacementStatus": [{"InstanceType": "ml.g5.2xlarge", "CurrentCopyCount": 2}],
    }
    assert described["Specification"]["ModelName"] == "model-a"
    assert world.sim.remaining() == {"components": ["ic-a"]}
    assert world.sim.log.calls()[:2] == [
        "sagemaker:CreateInferenceComponent",
        "sagemaker:DescribeInferenceComponent",
    ]


@pytest.mark.parametrize(
    "world", [{"inference-component": {"outcome": "Failed", "failureReason": "no capacity"}}], indirect=True
)
def test_a_failed_create_says_why(world: World) -> None:
    world.create()
    world.clock.advance(300)
    described = world.describe()
    assert (described["InferenceComponentStatus"], described["FailureReason"]) == ("Failed", "no capacity")


def test_a_name_is_unique(world: World) -> None:
    world.create()
    with pytest.raises(ClientError) as exc:
        world.create()
    assert error(exc)[0] == "ValidationException"


def test_create_needs_an_existing_endpoint_in_service(world: World) -> None:
    with pytest.raises(ClientError) as exc:
        world.create(endpoint="nowhere")
    assert error(exc) == (
        "ValidationException",
        'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/nowhere".',
    )
    client = world.client
    client.create_endpoint_config(
        EndpointConfigName="cfg",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}
        ],
    )
    client.create_endpoint(EndpointName="young", EndpointConfigName="cfg")
    with pytest.raises(ClientError) as exc:
        world.create(endpoint="young")
    code, message = error(exc)
    assert code == "ValidationException" and "not in service (status Creating)" in message
    assert world.sim.remaining() == {"components": []}


def test_the_model_names_the_broken_field(world: World) -> None:
    world.create()
    world.clock.advance(300)
    with pytest.raises(ClientError) as exc:
        world.raw.update_inference_component(
            InferenceComponentName="ic-a",
            RuntimeConfig={"CopyCount": 3},
            DeploymentConfig={
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 4000,
                    "MaximumExecutionTimeoutInSeconds": 100,
                }
            },
        )
    code, message = error(exc)
    assert code == "ValidationException"
    assert "2 validation errors detected" in message
    assert "'deploymentConfig.rollingUpdatePolicy.waitIntervalInSeconds'" in message
    assert "'deploymentConfig.rollingUpdatePolicy.maximumExecutionTimeoutInSeconds'" in message
    with pytest.raises(ClientError) as exc:
        world.create(name="ic-b", Specifications=[SPEC])
    assert "Specification and Specifications cannot both be specified" in error(exc)[1]


def _update(world: World) -> None:
    world.create()
    world.clock.advance(300)
    world.client.update_inference_component(
        InferenceComponentName="ic-a",
        Specification=SPEC_B,
        RuntimeConfig={"CopyCount": 3},
        DeploymentConfig={
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 60,
            }
        },
    )
    assert world.status() == "Updating"
    with pytest.raises(ClientError) as exc:
        world.client.update_inference_component_runtime_config(
            InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 1}
        )
    code, message = error(exc)
    assert code == "ValidationException" and message.startswith(
        "Cannot update in-progress inference component"
    )
    world.clock.advance(600)


def test_an_update_puts_the_new_specification_live(world: World) -> None:
    _update(world)
    described = world.describe()
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "model-b"
    assert (
        described["RuntimeConfig"]["DesiredCopyCount"] == described["RuntimeConfig"]["CurrentCopyCount"] == 3
    )
    assert described["LastDeploymentConfig"]["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 60
    assert "FailureReason" not in described


@pytest.mark.parametrize(
    "world",
    [{"inference-component": {"update": {"outcome": "RolledBack", "failureReason": "alarm"}}}],
    indirect=True,
)
def test_a_rolled_back_update_keeps_the_previous_specification_live(world: World) -> None:
    _update(world)
    described = world.describe()
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == "model-a"
    assert (
        described["RuntimeConfig"]["DesiredCopyCount"] == described["RuntimeConfig"]["CurrentCopyCount"] == 2
    )
    assert described["FailureReason"] == "alarm"


@pytest.mark.parametrize("world", [{"inference-component": {"update": {"outcome": "Failed"}}}], indirect=True)
def test_a_failed_update_is_failed(world: World) -> None:
    _update(world)
    described = world.describe()
    assert described["InferenceComponentStatus"] == "Failed" and described["FailureReason"]


def test_a_runtime_config_update_changes_only_the_copies(world: World) -> None:
    world.create()
    world.clock.advance(300)
    world.client.update_inference_component_runtime_config(
        InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 5}
    )
    assert world.status() == "Updating"
    world.clock.advance(600)
    described = world.describe()
    assert (
        described["RuntimeConfig"]["DesiredCopyCount"] == described["RuntimeConfig"]["CurrentCopyCount"] == 5
    )
    assert described["Specification"]["ModelName"] == "model-a"


def test_delete_takes_its_time_then_the_component_is_gone_and_the_endpoint_stays(world: World) -> None:
    world.create()
    world.clock.advance(300)
    with pytest.raises(ClientError) as exc:
        world.client.delete_endpoint(EndpointName=ENDPOINT)
    assert error(exc)[0] == "ValidationException" and "hosts inference components" in error(exc)[1]
    world.client.delete_inference_component(InferenceComponentName="ic-a")
    assert world.status() == "Deleting"
    world.clock.advance(60)
    with pytest.raises(ClientError) as exc:
        world.describe()
    assert error(exc) == (
        "ValidationException",
        'Could not find inference component "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic-a".',
    )
    assert world.client.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "InService"
    assert world.sim.remaining() == {"components": []}


def test_list_filters_by_endpoint_and_pages(world: World) -> None:
    world.sim.ensure_endpoint("other", "AllTraffic")
    for index in range(20):
        world.create(name=f"ic-{index:02}", endpoint=ENDPOINT if index % 2 else "other")
        world.clock.advance(1)
    names: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = world.client.list_inference_components(
            EndpointNameEquals=ENDPOINT, MaxResults=4, SortBy="Name", SortOrder="Ascending", **token
        )
        names += [c["InferenceComponentName"] for c in page["InferenceComponents"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert names == [f"ic-{i:02}" for i in range(1, 20, 2)]
    contains = world.client.list_inference_components(
        NameContains="ic-1", StatusEquals="Creating", MaxResults=100
    )
    assert len(contains["InferenceComponents"]) == 10
    newest = world.client.list_inference_components(MaxResults=1)["InferenceComponents"][0]
    assert newest["InferenceComponentName"] == "ic-19" and newest["VariantName"] == "AllTraffic"


def test_tags_on_the_component_arn(world: World) -> None:
    arn = world.create(Tags=[{"Key": "team", "Value": "ml"}])["InferenceComponentArn"]
    world.client.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "prod"}])
    assert {t["Key"]: t["Value"] for t in world.client.list_tags(ResourceArn=arn)["Tags"]} == {
        "team": "ml",
        "stage": "prod",
    }
    world.client.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert world.sim.resource_tags(arn) == {"stage": "prod"}
    with pytest.raises(ClientError) as exc:
        world.client.list_tags(ResourceArn=arn.replace("ic-a", "ic-zz"))
    assert error(exc)[0] == "ValidationException"


def test_scale_to_zero_target_is_accepted_and_moves_the_copies(world: World) -> None:
    world.create(copies=1)
    world.clock.advance(300)
    dimension = "sagemaker:inference-component:DesiredCopyCount"
    world.scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="inference-component/ic-a",
        ScalableDimension=dimension,
        MinCapacity=0,
        MaxCapacity=4,
    )
    world.sim.scale("ic-a", 0)  # a policy scaled it in to zero
    assert world.describe()["RuntimeConfig"] == {"DesiredCopyCount": 0, "CurrentCopyCount": 0}
    world.scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="inference-component/ic-a",
        ScalableDimension=dimension,
        MinCapacity=2,
        MaxCapacity=4,
    )
    assert world.describe()["RuntimeConfig"]["DesiredCopyCount"] == 2
    with pytest.raises(ClientError) as exc:
        world.scaling.register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId="inference-component/nope",
            ScalableDimension=dimension,
            MinCapacity=0,
            MaxCapacity=1,
        )
    assert error(exc)[0] == "ValidationException"
    world.client.update_inference_component(InferenceComponentName="ic-a", Specification=SPEC_B)
    world.clock.advance(600)
    targets = world.scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["ResourceId"] for t in targets] == ["inference-component/ic-a"]
    assert world.sagemaker.remaining()["scalableVariants"] == []


@pytest.mark.parametrize(
    "world",
    [
        {
            "inference-component": {
                "faults": [
                    {"operation": "CreateInferenceComponent", "error": "InternalFailure", "applied": True}
                ]
            }
        }
    ],
    indirect=True,
)
def test_a_lost_answer_still_creates_the_component(world: World) -> None:
    with pytest.raises(ClientError) as exc:
        boto3.client(
            "sagemaker",
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 0}),
        ).create_inference_component(
            InferenceComponentName="ic-a",
            EndpointName=ENDPOINT,
            Specification=SPEC,
            RuntimeConfig={"CopyCount": 1},
        )
    assert error(exc)[0] == "InternalFailure"
    assert world.status() == "Creating"
    assert world.sim.log.failures() == [
        {"call": "sagemaker:CreateInferenceComponent", "error": "InternalFailure"}
    ]


@pytest.mark.parametrize(
    "world",
    [
        {
            "inference-component": {
                "existing": {"components": [{"InferenceComponentName": "theirs", "EndpointName": "shared"}]}
            }
        }
    ],
    indirect=True,
)
def test_existing_components_are_in_service_on_their_endpoints(world: World) -> None:
    assert world.status("theirs") == "InService"
    assert world.describe("theirs")["EndpointName"] == "shared"
    assert world.sim.resource_tags(world.describe("theirs")["InferenceComponentArn"]) == {}


def test_the_scenario_is_strict_and_closed() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"inference-component\.createSecond: is not a scenario key; did you mean createSeconds\?",
    ):
        SIMULATOR({"createSecond": 3}, VirtualClock(start=START), CallLog())
    with pytest.raises(ScenarioError, match=r"update\.outcome"):
        SIMULATOR({"update": {"outcome": "UpdateRollbackFailed"}}, VirtualClock(start=START), CallLog())


def test_authorizations_name_the_component_and_its_endpoint() -> None:
    found = SIMULATOR.authorizations(
        SIMULATOR(None, VirtualClock(start=START), CallLog()),
        "CreateInferenceComponent",
        {"InferenceComponentName": "IC-A", "EndpointName": "Ep", "Tags": [{"Key": "k", "Value": "v"}]},
    )
    assert [(action, arn) for action, arn, _ in found] == [
        (
            "sagemaker:CreateInferenceComponent",
            "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic-a",
        ),
        ("sagemaker:CreateInferenceComponent", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"),
        ("sagemaker:AddTags", "arn:aws:sagemaker:us-east-1:123456789012:inference-component/ic-a"),
    ]
    assert found[0][2] == {"aws:RequestTag/k": "v", "aws:TagKeys": ["k"]}
