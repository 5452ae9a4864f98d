"""The simulated services validate from the services' own models (botocore's), neither kinder nor
stricter than AWS: every SageMaker production-variant instance type botocore knows creates an
endpoint through the synthesized state machine, GPU and async-inference configs included; and a
value the model refuses is refused by the simulated service itself (the controller bypassed, since
its own validation refuses first), with the service's error: SageMaker, Application Auto Scaling,
Amazon ML and Neptune ML alike."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from endpointctl.runner import LocalRunner, quiet_stdout
from endpointctl.template import REGION
from tests.e2e.helpers import detail_type

pytestmark = pytest.mark.slow

#: The most variants one endpoint config holds (the model's ``ProductionVariantList`` maximum).
VARIANTS_PER_CONFIG = 10
#: A healthy, quick world: the walk's cost is the state machine's, not the simulated wait.
QUICK = {"sagemaker": {"createSeconds": 30}}


def instance_types() -> list[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return list(model.shape_for("ProductionVariantInstanceType").enum)


def variant(instance_type: str, name: str = "AllTraffic", **extra: Any) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": "model",
        "InstanceType": instance_type,
        "InitialInstanceCount": 1,
        **extra,
    }


def create(name: str, *variants: dict[str, Any], **config: Any) -> dict[str, Any]:
    return {
        "endpointType": "sagemaker",
        "params": {
            "EndpointName": name,
            "EndpointConfigName": f"{name}-config",
            "EndpointConfig": {
                "EndpointConfigName": f"{name}-config",
                "ProductionVariants": list(variants),
                **config,
            },
        },
        "options": {"pollIntervalSeconds": 10},
        "requestId": name,
    }


@contextlib.contextmanager
def world_of(template: dict[str, Any], scenario: dict[str, Any] | None = None) -> Iterator[LocalRunner]:
    with quiet_stdout(), LocalRunner(template, scenario) as world:
        yield world


@pytest.fixture
def world(template: dict[str, Any]) -> Iterator[LocalRunner]:
    with world_of(template) as made:
        yield made


def refused(call: Any, **params: Any) -> dict[str, Any]:
    """The error a call is answered with (it must fail): ``Code``, ``Message``, ``HTTPStatusCode``."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        call(**params)
    answer = raised.value.response
    return {**answer["Error"], "HTTPStatusCode": answer["ResponseMetadata"]["HTTPStatusCode"]}


def client(service: str, *, checked: bool = True) -> Any:
    """A client of the simulated ``service``; unchecked: botocore sends what it is given."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=REGION, config=Config(parameter_validation=checked))


# -- accepted: whatever the model knows ----------------------------------------------------------
def test_every_production_variant_instance_type_creates_an_endpoint(template: dict[str, Any]) -> None:
    known = instance_types()
    chunks = [known[i : i + VARIANTS_PER_CONFIG] for i in range(0, len(known), VARIANTS_PER_CONFIG)]
    requests = [
        create(f"walk-{n}", *(variant(t, f"v{i}") for i, t in enumerate(chunk)))
        for n, chunk in enumerate(chunks)
    ]
    started = time.monotonic()
    with world_of(template, QUICK) as world:
        results = world.run(requests)
        configs = world.simulators["sagemaker"].backend().endpoint_configs  # type: ignore[attr-defined]
        deployed = {v["InstanceType"] for c in configs.values() for v in c.production_variants}
    took = time.monotonic() - started

    assert [r["status"] for r in results] == ["SUCCEEDED"] * len(chunks), [
        r["cause"] for r in results if r["status"] != "SUCCEEDED"
    ]
    assert {detail_type(r) for r in results} == {"Endpoint Ready"}
    assert {r["output"]["providerStatus"] for r in results} == {"InService"}
    assert deployed == set(known)
    # one world, a config per ten types: about 6 s on two cores (a world per type would take minutes)
    assert took < 60, f"{len(known)} instance types in {took:.1f} s"


def test_an_update_to_a_gpu_config_succeeds(template: dict[str, Any]) -> None:
    gpu = create("llm", variant("ml.g5.12xlarge"))["params"]
    update = {
        "endpointType": "sagemaker",
        "action": "update",
        "params": {
            "EndpointName": "llm",
            "EndpointConfigName": "llm-gpu",
            "EndpointConfig": {**gpu["EndpointConfig"], "EndpointConfigName": "llm-gpu"},
        },
        "requestId": "llm-to-gpu",
    }
    with world_of(template, QUICK) as world:
        created, updated = world.run([create("llm", variant("ml.m5.large")), update])

    assert created["status"] == "SUCCEEDED", created["cause"]
    assert updated["status"] == "SUCCEEDED", updated["cause"]
    assert detail_type(updated) == "Endpoint Updated"
    assert updated["output"]["status"] == "UPDATED"


def test_an_async_inference_config_on_a_g5_instance_becomes_ready(template: dict[str, Any]) -> None:
    asynchronous = {
        "OutputConfig": {"S3OutputPath": "s3://llm-results/out", "S3FailurePath": "s3://llm-results/failed"},
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
    }
    request = create("summarize", variant("ml.g5.xlarge"), AsyncInferenceConfig=asynchronous)
    with world_of(template, QUICK) as world:
        (result,) = world.run([request])
        config = world.simulators["sagemaker"].backend().endpoint_configs["summarize-config"]  # type: ignore[attr-defined]

    assert result["status"] == "SUCCEEDED", result["cause"]
    assert detail_type(result) == "Endpoint Ready"
    assert config.async_inference_config == asynchronous


# -- refused: whatever the model refuses, by the service itself ----------------------------------
ENUM_PREFIX = "Member must satisfy enum value set: [ml.t2.medium, ml.t2.large,"


def test_an_instance_type_botocore_does_not_know_is_refused_by_sagemaker(world: LocalRunner) -> None:
    answer = refused(
        client("sagemaker").create_endpoint_config,
        EndpointConfigName="bogus",
        ProductionVariants=[variant("ml.bogus.xlarge")],
    )

    assert answer["Code"] == "ValidationException" and answer["HTTPStatusCode"] == 400
    assert answer["Message"].startswith(
        "1 validation error detected: Value 'ml.bogus.xlarge' at "
        "'productionVariants.1.member.instanceType' failed to satisfy constraint: " + ENUM_PREFIX
    )
    assert "ml.g5.xlarge, " in answer["Message"] and "ml.p5.48xlarge, " in answer["Message"]
    assert world.remaining()["sagemaker"]["endpointConfigs"] == []
    assert world.log.failures() == [
        {"call": "sagemaker:CreateEndpointConfig", "error": "ValidationException"}
    ]


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        pytest.param(
            "create_endpoint",
            {"EndpointName": "churn_prod", "EndpointConfigName": "c"},
            "1 validation error detected: Value 'churn_prod' at 'endpointName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
            id="name-pattern",
        ),
        pytest.param(
            "create_endpoint_config",
            {
                "EndpointConfigName": "c",
                "ProductionVariants": [variant("ml.g5.xlarge", InitialInstanceCount=0)],
            },
            "1 validation error detected: Value '0' at 'productionVariants.1.member.initialInstanceCount' "
            "failed to satisfy constraint: Member must have value greater than or equal to 1",
            id="count-range",
        ),
        pytest.param(
            "create_endpoint_config",
            {
                "EndpointConfigName": "c" * 64,
                "ProductionVariants": [variant("ml.inf2.xlarge", VolumeSizeInGB=513)],
            },
            "3 validation errors detected: "
            f"Value '{'c' * 64}' at 'endpointConfigName' failed to satisfy constraint: Member must have "
            "length less than or equal to 63; "
            f"Value '{'c' * 64}' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; "
            "Value '513' at 'productionVariants.1.member.volumeSizeInGB' failed to satisfy constraint: "
            "Member must have value less than or equal to 512",
            id="several-at-once",
        ),
        pytest.param(
            "update_endpoint",
            {
                "EndpointName": "churn",
                "EndpointConfigName": "v2",
                "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "Weight"}],
            },
            "1 validation error detected: Value 'Weight' at 'excludeRetainedVariantProperties.1.member."
            "variantPropertyType' failed to satisfy constraint: Member must satisfy enum value set: "
            "[DesiredInstanceCount, DesiredWeight, DataCaptureConfig]",
            id="update-enum",
        ),
        pytest.param(
            "create_endpoint_config",
            {
                "EndpointConfigName": "c",
                "ProductionVariants": [variant("ml.g6.xlarge")],
                "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "ftp://results"}},
            },
            "1 validation error detected: Value 'ftp://results' at 'asyncInferenceConfig.outputConfig."
            "s3OutputPath' failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "(https|s3)://([^/])/?(.*)",
            id="async-output-pattern",
        ),
    ],
)
def test_sagemaker_refuses_what_its_model_refuses(
    world: LocalRunner, operation: str, params: dict[str, Any], message: str
) -> None:
    answer = refused(getattr(client("sagemaker", checked=False), operation), **params)

    assert (answer["Code"], answer["HTTPStatusCode"], answer["Message"]) == (
        "ValidationException",
        400,
        message,
    )
    assert world.remaining()["sagemaker"]["endpointConfigs"] == []


def test_sagemaker_refuses_a_missing_member_and_a_wrong_type_as_aws_does(world: LocalRunner) -> None:
    unchecked = client("sagemaker", checked=False)

    missing = refused(unchecked.create_endpoint, EndpointName="churn")
    wrong = refused(unchecked.create_endpoint, EndpointName="churn", EndpointConfigName=5)

    assert missing["Code"] == "ValidationException"
    assert missing["Message"] == (
        "1 validation error detected: Value null at 'endpointConfigName' failed to satisfy constraint: "
        "Member must not be null"
    )
    assert (wrong["Code"], wrong["HTTPStatusCode"]) == ("SerializationException", 400)
    assert world.remaining()["sagemaker"]["endpoints"] == []


def test_sagemaker_keeps_the_documented_rules_its_model_does_not_carry(world: LocalRunner) -> None:
    sagemaker = client("sagemaker")
    serverless = {"VariantName": "AllTraffic", "ModelName": "model"}

    odd_memory = refused(
        sagemaker.create_endpoint_config,
        EndpointConfigName="odd",
        ProductionVariants=[
            {**serverless, "ServerlessConfig": {"MemorySizeInMB": 1500, "MaxConcurrency": 5}}
        ],
    )
    neither = refused(
        sagemaker.create_endpoint_config, EndpointConfigName="none", ProductionVariants=[serverless]
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="whole",
        ProductionVariants=[
            {**serverless, "ServerlessConfig": {"MemorySizeInMB": 3072, "MaxConcurrency": 5}}
        ],
    )

    assert odd_memory["Code"] == neither["Code"] == "ValidationException"
    assert "1 GB increments" in odd_memory["Message"]
    assert "neither an InstanceType nor a ServerlessConfig" in neither["Message"]
    assert world.remaining()["sagemaker"]["endpointConfigs"] == ["whole"]


# -- Application Auto Scaling ----------------------------------------------------------------
TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "endpoint/churn/variant/AllTraffic",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}
CHURN = {
    "sagemaker": {
        "existing": {
            "endpoints": [{"EndpointName": "churn", "EndpointConfigName": "churn-v1"}],
            "endpointConfigs": ["churn-v1"],
        }
    }
}


def test_application_auto_scaling_refuses_a_dimension_its_model_does_not_know(
    template: dict[str, Any],
) -> None:
    with world_of(template, CHURN):
        answer = refused(
            client("application-autoscaling").register_scalable_target,
            **{**TARGET, "ScalableDimension": "sagemaker:variant:DesiredCores"},
            MinCapacity=1,
            MaxCapacity=4,
        )

    assert (answer["Code"], answer["HTTPStatusCode"]) == ("ValidationException", 400)
    assert answer["Message"].startswith(
        "1 validation error detected: Value 'sagemaker:variant:DesiredCores' at 'scalableDimension' failed "
        "to satisfy constraint: Member must satisfy enum value set: [ecs:service:DesiredCount,"
    )
    assert "sagemaker:inference-component:DesiredCopyCount" in answer["Message"]


def test_application_auto_scaling_accepts_what_its_model_knows_and_moto_did_not(
    template: dict[str, Any],
) -> None:
    """``sagemaker:variant:DesiredProvisionedConcurrency`` and inference components' copy counts are
    in the model, not in moto's own list of dimensions."""
    with world_of(template, CHURN):
        scaling = client("application-autoscaling")
        scaling.register_scalable_target(
            **{**TARGET, "ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency"},
            MinCapacity=1,
            MaxCapacity=4,
        )
        described = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        mismatched = refused(
            scaling.register_scalable_target,
            **{**TARGET, "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount"},
            MinCapacity=1,
            MaxCapacity=4,
        )

    assert [t["ScalableDimension"] for t in described] == ["sagemaker:variant:DesiredProvisionedConcurrency"]
    assert mismatched["Message"] == "Unsupported service namespace, resource type or scalable dimension"


def test_application_auto_scaling_refuses_capacities_its_documentation_refuses(
    template: dict[str, Any],
) -> None:
    with world_of(template, CHURN):
        scaling = client("application-autoscaling")
        below = refused(scaling.register_scalable_target, **TARGET, MinCapacity=-1, MaxCapacity=4)
        unbounded = refused(scaling.register_scalable_target, **TARGET, MinCapacity=1)
        scaling.register_scalable_target(**TARGET, MinCapacity=1, MaxCapacity=4)
        scaling.register_scalable_target(**TARGET, MaxCapacity=6)  # a registered target: one limit suffices
        (target,) = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]

    assert below["Code"] == unbounded["Code"] == "ValidationException"
    assert below["Message"] == (
        "1 validation error detected: Value '-1' at 'minCapacity' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0"
    )
    assert unbounded["Message"].startswith(
        "MaxCapacity must be specified when registering a new scalable target"
    )
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 6)


# -- the emulators ---------------------------------------------------------------------------
def test_amazon_ml_refuses_a_model_id_its_model_refuses(world: LocalRunner) -> None:
    ml = client("machinelearning")

    pattern = refused(ml.create_realtime_endpoint, MLModelId="churn model!")
    length = refused(ml.create_realtime_endpoint, MLModelId="m" * 65)

    assert (pattern["Code"], pattern["HTTPStatusCode"]) == ("InvalidInputException", 400)
    assert pattern["Message"] == (
        "1 validation error detected: Value 'churn model!' at 'MLModelId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )
    assert length["Message"].endswith("Member must have length less than or equal to 64")
    assert world.remaining()["aml"]["realtimeEndpoints"] == []
    assert [f["error"] for f in world.log.failures()] == ["InvalidInputException"] * 2


def test_neptune_ml_refuses_a_value_of_the_wrong_type_and_creates_nothing(world: LocalRunner) -> None:
    world.prepare({"endpointType": "neptune", "params": {"id": "fraud", "mlModelTrainingJobId": "job-1"}})
    unchecked = client("neptunedata", checked=False)

    count = refused(
        unchecked.create_ml_endpoint, id="fraud", mlModelTrainingJobId="job-1", instanceCount="two"
    )
    flag = refused(unchecked.create_ml_endpoint, id="fraud", mlModelTrainingJobId="job-1", update="yes")
    client("neptunedata").create_ml_endpoint(
        id="fraud", mlModelTrainingJobId="job-1", instanceType="ml.g5.2xlarge", instanceCount=2
    )

    assert (count["Code"], count["HTTPStatusCode"]) == ("SerializationException", 400)
    assert count["Message"] == "STRING_VALUE can not be converted to an Integer"
    assert flag["Message"] == "STRING_VALUE can not be converted to a Boolean"
    assert world.remaining()["neptune"]["endpoints"] == ["fraud"]
