"""The simulated SageMaker's API rate limits (``sagemaker.rateLimits``): a sliding one-second window on
the virtual clock per operation, a throttle answered as AWS answers it and logged as a failed call,
and the scenario keys' checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from endpointctl.report import throttles
from endpointctl.runner import LocalRunner
from endpointctl.sim.calls import CallLog
from endpointctl.sim.sagemaker import SageMakerSim
from endpointctl.sim.sagemaker.rate_limits import RateLimits
from endpointctl.sim.scenario import ScenarioError
from endpointctl.sim.virtual_clock import VirtualClock


def test_a_rate_admits_that_many_calls_in_any_virtual_second() -> None:
    now = [100.0]
    limits = RateLimits({"DescribeEndpoint": 2}, lambda: now[0])
    assert [limits.take("DescribeEndpoint") is None for _ in range(3)] == [True, True, False]
    now[0] = 100.5
    assert limits.take("DescribeEndpoint") is not None  # two admitted within the last second
    now[0] = 101.0
    assert limits.take("DescribeEndpoint") is None  # those of 100.0 no longer count, nor the refused one
    assert limits.take("DescribeEndpoint") is None
    assert limits.take("DescribeEndpoint") is not None
    assert limits.take("CreateEndpoint") is None  # an operation without a rate is never throttled
    assert limits.throttled == {"DescribeEndpoint": 3}
    fault = RateLimits({"ListEndpoints": 1}, lambda: 0.0)
    fault.take("ListEndpoints")
    throttle = fault.take("ListEndpoints")
    assert throttle is not None
    assert (throttle.error, throttle.message, throttle.http_status) == (
        "ThrottlingException",
        "Rate exceeded",
        400,
    )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, SageMakerSim, VirtualClock]]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    clock = VirtualClock(start=1_000.0)
    with mock_aws(), ExitStack() as stack:
        sim = SageMakerSim({"rateLimits": {"ListEndpoints": 1}}, clock, CallLog())
        sim.install(stack)
        # the SDK's own retries off, as the controller's are (they would come in the same instant)
        once = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        yield boto3.client("sagemaker", region_name="us-east-1", config=once), sim, clock


def test_a_call_over_the_rate_is_throttled_as_sagemaker_throttles(
    world: tuple[Any, SageMakerSim, VirtualClock],
) -> None:
    client, sim, clock = world
    client.list_endpoints()
    with pytest.raises(ClientError) as exc:
        client.list_endpoints()
    error, meta = exc.value.response["Error"], exc.value.response["ResponseMetadata"]
    assert (error["Code"], error["Message"], meta["HTTPStatusCode"]) == (
        "ThrottlingException",
        "Rate exceeded",
        400,
    )
    clock.advance(1)
    client.list_endpoints()
    assert sim.log.calls() == ["sagemaker:ListEndpoints"] * 3
    assert sim.log.failures() == [{"call": "sagemaker:ListEndpoints", "error": "ThrottlingException"}]
    assert sim.throttled() == {"ListEndpoints": 1}
    assert throttles(sim.log.failures()) == "sagemaker:ListEndpoints"


def test_the_readable_summary_counts_throttles_per_operation() -> None:
    errors = [
        {"call": "sagemaker:DescribeEndpoint", "error": "ThrottlingException"},
        {"call": "sagemaker:CreateEndpoint", "error": "InternalFailure"},
        {"call": "sagemaker:DescribeEndpoint", "error": "ThrottlingException"},
        {"call": "sagemaker:CreateEndpoint", "error": "ThrottlingException"},
    ]
    assert throttles(errors) == "sagemaker:DescribeEndpoint \u00d72, sagemaker:CreateEndpoint"
    assert throttles([]) == ""


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            {"quotas": {"ml.g5.xlarg": 1}},
            r"sagemaker.quotas.ml.g5.xlarg: is not a SageMaker endpoint instance type \(botocore's "
            r"ProductionVariantInstanceType\); did you mean ml.g5.xlarge\?",
        ),
        ({"quotas": {"ml.g5.xlarge": -1}}, r"sagemaker.quotas.ml.g5.xlarge: must be at least 0 \(got -1\)"),
        ({"quotas": {"ml.g5.xlarge": 1.5}}, r"sagemaker.quotas.ml.g5.xlarge: must be a whole number"),
        ({"quotas": ["ml.g5.xlarge"]}, r"sagemaker.quotas: must be an object"),
        (
            {"rateLimits": {"DescribeEndpoints": 1}},
            r"sagemaker.rateLimits.DescribeEndpoints: is not a SageMaker operation .*did you mean DescribeEndpoint\?",
        ),
        (
            {"rateLimits": {"DescribeEndpoint": 0}},
            r"sagemaker.rateLimits.DescribeEndpoint: must be at least 1 \(got 0\)",
        ),
        (
            {"rateLimits": {"DescribeEndpoint": -2}},
            r"sagemaker.rateLimits.DescribeEndpoint: must be at least 1",
        ),
        (
            {"rateLimits": {"DescribeEndpoint": "10"}},
            r"sagemaker.rateLimits.DescribeEndpoint: must be a whole number",
        ),
        (
            {"autoScaling": {"prod": {"AllTraffic": {"MaxCapacty": 2}}}},
            r"sagemaker.autoScaling.prod.AllTraffic.MaxCapacty: is not a scenario key; did you mean MaxCapacity\?",
        ),
    ],
)
def test_a_bad_limit_names_its_path(scenario: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        LocalRunner({"Resources": {}}, {"sagemaker": scenario})


def test_valid_limits_are_read() -> None:
    sim = SageMakerSim(
        {"quotas": {"ml.g5.xlarge": 0, "ml.inf2.xlarge": 8}, "rateLimits": {"CreateEndpoint": 2}},
        VirtualClock(start=0),
        CallLog(),
    )
    assert sim.quotas.value("ml.g5.xlarge") == 0 and sim.quotas.value("ml.m5.large") == 1000
    assert sim.rate_limits.rates == {"CreateEndpoint": 2}
