"""The inference-component provider: validation (each broken field named), the verdicts its
observations lead to, and the batched looks, against a fake SageMaker client (moto has no
inference components; the e2e tests run the provider against the simulated one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from controller import aws, clock
from controller.providers import get
from controller.providers.base import Resource, Status
from controller.providers.inference_component import COMPONENT, InferenceComponentProvider, looks, spec
from controller.providers.inference_component.update import runtime_only

SPEC = {
    "ModelName": "m1",
    "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024},
}
CREATE = {
    "InferenceComponentName": "chat",
    "EndpointName": "host",
    "VariantName": "AllTraffic",
    "Specification": SPEC,
    "RuntimeConfig": {"CopyCount": 1},
}
ROLLING = {
    "RollingUpdatePolicy": {
        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 60,
    }
}


def fields(action: str, params: Any) -> list[str]:
    return [e.field for e in get("inference-component").validate(action, params)]


def test_the_module_of_a_hyphenated_type_is_found() -> None:
    assert isinstance(get("inference-component"), InferenceComponentProvider)


def test_a_valid_create_update_and_delete() -> None:
    assert fields("create", CREATE) == []
    assert (
        fields(
            "update", {"InferenceComponentName": "chat", "Specification": SPEC, "DeploymentConfig": ROLLING}
        )
        == []
    )
    assert fields("update", {"InferenceComponentName": "chat", "RuntimeConfig": {"CopyCount": 0}}) == []
    assert fields("delete", {"InferenceComponentName": "chat"}) == []


@pytest.mark.parametrize(
    ("action", "change", "field"),
    [
        ("create", {"DeploymentConfig": ROLLING}, "params.DeploymentConfig"),
        ("create", {"RuntimeConfig": {"CopyCount": 0}}, "params.RuntimeConfig.CopyCount"),
        ("create", {"Specification": None}, "params.Specification"),
        ("create", {"Specifications": [{**SPEC, "InstanceType": "ml.g5.2xlarge"}]}, "params.Specifications"),
        ("create", {"InferenceComponentName": "bad_name!"}, "params.InferenceComponentName"),
        (
            "create",
            {"Tags": [{"Key": "ml-endpoint-controller:request-id", "Value": "x"}]},
            "params.Tags[0].Key",
        ),
        (
            "create",
            {"Specification": {**SPEC, "Container": {"ArtifactUrl": "ftp://x"}}},
            "params.Specification.Container.ArtifactUrl",
        ),
    ],
)
def test_each_broken_field_of_a_create_is_named(action: str, change: dict[str, Any], field: str) -> None:
    params = {k: v for k, v in {**CREATE, **change}.items() if v is not None}
    assert field in fields(action, params)


def policy(**rolling: Any) -> dict[str, Any]:
    return {"RollingUpdatePolicy": {**ROLLING["RollingUpdatePolicy"], **rolling}}


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        (policy(WaitIntervalInSeconds=3601), "RollingUpdatePolicy.WaitIntervalInSeconds"),
        (
            policy(MaximumExecutionTimeoutInSeconds=599),
            "RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        ),
        (
            policy(MaximumExecutionTimeoutInSeconds=28801),
            "RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds",
        ),
        (
            policy(MaximumBatchSize={"Type": "INSTANCE_COUNT", "Value": 1}),
            "RollingUpdatePolicy.MaximumBatchSize.Type",
        ),
        (
            policy(MaximumBatchSize={"Type": "CAPACITY_PERCENT", "Value": 101}),
            "RollingUpdatePolicy.MaximumBatchSize.Value",
        ),
        ({**ROLLING, "AutoRollbackConfiguration": {"Alarms": []}}, "AutoRollbackConfiguration.Alarms"),
        (
            {**ROLLING, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "a"}, {"AlarmName": "a"}]}},
            "AutoRollbackConfiguration.Alarms[1].AlarmName",
        ),
        ({}, "RollingUpdatePolicy"),
    ],
)
def test_each_broken_field_of_a_rolling_update_is_named(deployment: dict[str, Any], field: str) -> None:
    found = fields(
        "update", {"InferenceComponentName": "chat", "Specification": SPEC, "DeploymentConfig": deployment}
    )
    assert f"params.DeploymentConfig.{field}" in found


def test_an_update_must_change_something_and_a_delete_names_only_the_component() -> None:
    assert fields("update", {"InferenceComponentName": "chat", "DeploymentConfig": ROLLING}) == ["params"]
    assert fields(
        "update", {"InferenceComponentName": "chat", "Specification": SPEC, "Specifications": [SPEC]}
    ) == [
        "params.Specifications",
        "params.Specifications[0].InstanceType",
    ]
    assert fields("delete", {"InferenceComponentName": "chat", "EndpointName": "host"}) == [
        "params.EndpointName"
    ]
    assert fields("delete", {}) == ["params.InferenceComponentName"]


def test_a_copy_count_alone_is_the_runtime_config_call() -> None:
    assert runtime_only({"InferenceComponentName": "c", "RuntimeConfig": {"CopyCount": 2}})
    assert not runtime_only(
        {"InferenceComponentName": "c", "RuntimeConfig": {"CopyCount": 2}, "Specification": SPEC}
    )


# -- observations and verdicts ------------------------------------------------------------------
def described(
    status: str = "InService", desired: int = 2, current: int = 2, model: str = "m1", **extra: Any
) -> dict[str, Any]:
    return {
        "InferenceComponentName": "chat",
        "InferenceComponentArn": "arn:aws:sagemaker:us-east-1:123456789012:inference-component/chat",
        "EndpointName": "host",
        "VariantName": "AllTraffic",
        "InferenceComponentStatus": status,
        "Specification": {**SPEC, "ModelName": model},
        "RuntimeConfig": {"DesiredCopyCount": desired, "CurrentCopyCount": current},
        **extra,
    }


def test_ready_only_in_service_with_every_copy_placed() -> None:
    ready = InferenceComponentProvider.observation(described())
    assert ready.status is Status.READY and not ready.settling
    placing = InferenceComponentProvider.observation(described(current=1))
    assert placing.status is Status.CREATING and placing.settling
    assert placing.provider_status == "InService (1 of 2 copies)"
    failed = InferenceComponentProvider.observation(described("Failed", FailureReason="OOM"))
    assert failed.status is Status.FAILED and failed.reason == "OOM"
    assert InferenceComponentProvider.observation(described("Updating")).status is Status.CREATING


def test_the_live_specification_decides_an_update() -> None:
    live = described()
    asked = {"InferenceComponentName": "chat", "Specification": {**SPEC, "ModelName": "m2"}}
    wanted = spec.requested(asked, live)
    # served what was asked: the update succeeded
    assert spec.served(described(model="m2")) == wanted
    # SageMaker rolled it back: InService on the previous specification
    rolled_back = InferenceComponentProvider.observation(described(FailureReason="alarm fired"))
    assert rolled_back.status is Status.READY and rolled_back.serving != wanted
    assert rolled_back.serving is not None and rolled_back.serving.startswith("m1 (spec ")
    # a copy count alone keeps the specification
    copies = spec.requested({"InferenceComponentName": "chat", "RuntimeConfig": {"CopyCount": 4}}, live)
    assert copies == spec.served(described(desired=4, current=4)) != spec.served(live)


def test_the_described_image_compares_with_the_requested_one() -> None:
    image = {**SPEC, "Container": {"Image": "123.dkr.ecr/x:1"}}
    shown = {
        **SPEC,
        "Container": {"DeployedImage": {"SpecifiedImage": "123.dkr.ecr/x:1", "ResolvedImage": "sha"}},
    }
    assert spec.projection({"Specification": image}) == spec.projection({"Specification": shown})


# -- batched looks ------------------------------------------------------------------------------
class FakeSageMaker:
    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses
        self.calls: list[str] = []

    def list_inference_components(self, **params: Any) -> dict[str, Any]:
        self.calls.append("List")
        return {
            "InferenceComponents": [
                {"InferenceComponentName": n, "EndpointName": "host", "InferenceComponentStatus": s}
                for n, s in self.statuses.items()
            ]
        }

    def describe_inference_component(self, InferenceComponentName: str) -> dict[str, Any]:
        self.calls.append("Describe")
        if InferenceComponentName not in self.statuses:
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Could not find inference component"}},
                "DescribeInferenceComponent",
            )
        return described(self.statuses[InferenceComponentName])


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSageMaker]:
    client = FakeSageMaker({f"c{i}": "Creating" for i in range(5)} | {"done": "InService"})
    monkeypatch.setattr(aws, "client", lambda service, **_: client)
    now = [1000.0]
    clock.use(lambda: now[0])
    looks.forget()
    yield client
    clock.use(None)
    looks.forget()


def test_one_list_serves_the_looks_of_every_component_of_an_endpoint(fake: FakeSageMaker) -> None:
    provider = InferenceComponentProvider()
    for name in [*fake.statuses, "gone"]:
        looks.remember(name, "host")
    seen = [provider.describe(Resource(kind=COMPONENT, id=f"c{i}")).status for i in range(5)]
    assert seen == [Status.CREATING] * 5
    assert fake.calls == ["List"]  # five looks, one call
    assert provider.describe(Resource(kind=COMPONENT, id="done")).status is Status.READY
    assert provider.describe(Resource(kind=COMPONENT, id="gone")).status is Status.ABSENT
    assert fake.calls == ["List", "Describe", "Describe"]  # a verdict always needs the describe


def test_a_list_serves_looks_spread_over_a_poll_round_but_never_one_component_twice(
    fake: FakeSageMaker,
) -> None:
    # Adaptive polling jitters the first look of each lifecycle, so the looks of components created
    # together are seconds apart: one list serves them all, while each component's next look reads a
    # list fetched after its previous one (measured in the runner: 86 lists for 20 components with a
    # 5-s cache, 40 now).
    now = [2000.0]
    clock.use(lambda: now[0])
    provider = InferenceComponentProvider()
    for name in fake.statuses:
        looks.remember(name, "host")

    def look(name: str, at: float) -> Status:
        now[0] = at
        return provider.describe(Resource(kind=COMPONENT, id=name)).status

    assert [look(f"c{i}", 2000 + 6 * i) for i in range(5)] == [Status.CREATING] * 5
    assert fake.calls == ["List"]  # five looks 24 s apart, one list
    assert look("c0", 2030) is Status.CREATING
    assert fake.calls == ["List", "List"]  # c0's second look: the first list is not newer than its look
    assert [look(f"c{i}", 2030 + 6 * i) for i in range(1, 5)] == [Status.CREATING] * 4
    assert fake.calls == ["List", "List"]
    fake.statuses["c1"] = "InService"
    assert look("c1", 2100) is Status.READY  # a verdict still needs the describe
    assert fake.calls == ["List", "List", "List", "Describe"]
    assert look("c2", 2200) is Status.CREATING  # older than FRESH_SECONDS: listed again
    assert fake.calls[-1] == "List" and fake.calls.count("List") == 4
