"""The simulated Service Quotas (service code ``sagemaker``): boto3's ``service-quotas`` client against
the SageMaker simulator's answers, the scenario's quotas as applied values, every endpoint instance
type of botocore's model with the default, and each call in the world's call log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from endpointctl.runner.iam.calls import World, requests_for
from endpointctl.sim.calls import CallLog
from endpointctl.sim.sagemaker import SageMakerSim
from endpointctl.sim.sagemaker.quotas import DEFAULT_QUOTA, instance_types, quota_code, quota_name
from endpointctl.sim.virtual_clock import VirtualClock

QUOTAS = {"ml.g5.xlarge": 4, "ml.p4d.24xlarge": 0}


class Client:
    """A ``service-quotas`` client in the simulated world, and the world's call log."""

    def __init__(self, client: Any, log: CallLog) -> None:
        self.client, self.log = client, log

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws(), ExitStack() as stack:
        sim = SageMakerSim({"quotas": QUOTAS}, VirtualClock(start=0), CallLog())
        sim.install(stack)
        yield Client(boto3.client("service-quotas", region_name="us-east-1"), sim.log)


def test_every_endpoint_instance_type_has_a_stable_quota_code() -> None:
    types = instance_types()
    assert "ml.g5.xlarge" in types and len(types) > 200
    codes = {quota_code(quota_name(t)) for t in types}
    assert len(codes) == len(types)  # one each
    assert all(re.fullmatch(r"L-[0-9A-F]{8}", code) for code in codes)
    assert quota_name("ml.g5.xlarge") == "ml.g5.xlarge for endpoint usage"
    assert quota_code("ml.g5.xlarge for endpoint usage") == quota_code("ml.g5.xlarge for endpoint usage")


def test_the_applied_values_are_the_scenarios(client: Any) -> None:
    listed = client.list_service_quotas(ServiceCode="sagemaker")
    assert "NextToken" not in listed
    by_name = {q["QuotaName"]: q for q in listed["Quotas"]}
    assert sorted(by_name) == ["ml.g5.xlarge for endpoint usage", "ml.p4d.24xlarge for endpoint usage"]
    g5 = by_name["ml.g5.xlarge for endpoint usage"]
    code = quota_code("ml.g5.xlarge for endpoint usage")
    assert g5 | {"QuotaAppliedAtLevel": "ACCOUNT"} == {
        "ServiceCode": "sagemaker",
        "ServiceName": "Amazon SageMaker",
        "QuotaArn": f"arn:aws:servicequotas:us-east-1:123456789012:sagemaker/{code}",
        "QuotaCode": code,
        "QuotaName": "ml.g5.xlarge for endpoint usage",
        "Value": 4.0,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaAppliedAtLevel": "ACCOUNT",
    }
    assert by_name["ml.p4d.24xlarge for endpoint usage"]["Value"] == 0.0
    one = client.list_service_quotas(ServiceCode="sagemaker", QuotaCode=code)["Quotas"]
    assert [q["QuotaName"] for q in one] == ["ml.g5.xlarge for endpoint usage"]
    assert client.list_service_quotas(ServiceCode="sagemaker", QuotaAppliedAtLevel="RESOURCE")["Quotas"] == []


def test_the_defaults_list_every_type_a_hundred_a_page(client: Any) -> None:
    pages = list(client.get_paginator("list_aws_default_service_quotas").paginate(ServiceCode="sagemaker"))
    assert [len(p["Quotas"]) for p in pages[:-1]] == [100] * (len(pages) - 1)
    quotas = [q for page in pages for q in page["Quotas"]]
    assert [q["QuotaName"] for q in quotas] == [quota_name(t) for t in instance_types()]
    assert {q["Value"] for q in quotas} == {float(DEFAULT_QUOTA)}
    small = client.list_aws_default_service_quotas(ServiceCode="sagemaker", MaxResults=2)
    assert len(small["Quotas"]) == 2 and small["NextToken"]
    following = client.list_aws_default_service_quotas(
        ServiceCode="sagemaker", MaxResults=2, NextToken=small["NextToken"]
    )
    assert following["Quotas"][0]["QuotaName"] == quota_name(instance_types()[2])


def test_a_quota_is_got_by_its_code(client: Any) -> None:
    g5 = quota_code("ml.g5.xlarge for endpoint usage")
    g6 = quota_code("ml.g6.xlarge for endpoint usage")
    assert client.get_service_quota(ServiceCode="sagemaker", QuotaCode=g5)["Quota"]["Value"] == 4.0
    assert client.get_service_quota(ServiceCode="sagemaker", QuotaCode=g6)["Quota"]["Value"] == DEFAULT_QUOTA
    default = client.get_aws_default_service_quota(ServiceCode="sagemaker", QuotaCode=g5)["Quota"]
    assert default["Value"] == DEFAULT_QUOTA


@pytest.mark.parametrize(
    ("call", "params", "code"),
    [
        (
            "get_service_quota",
            {"ServiceCode": "sagemaker", "QuotaCode": "L-00000000"},
            "NoSuchResourceException",
        ),
        (
            "list_service_quotas",
            {"ServiceCode": "sagemaker", "NextToken": "bm90LW91cnM="},
            "InvalidPaginationTokenException",
        ),
        ("list_service_quotas", {"ServiceCode": "sagemaker", "MaxResults": 101}, "ValidationException"),
        ("list_service_quotas", {"ServiceCode": "no-such-service"}, "NoSuchResourceException"),
    ],
)
def test_what_the_service_refuses(client: Any, call: str, params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        getattr(client, call)(**params)
    assert exc.value.response["Error"]["Code"] == code
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    operation = "".join(part.title() for part in call.split("_"))
    assert client.log.failures() == [{"call": f"service-quotas:{operation}", "error": code}]


def test_other_service_codes_are_motos_and_every_call_is_logged(client: Any) -> None:
    assert client.list_aws_default_service_quotas(ServiceCode="vpc")["Quotas"]  # moto's own
    client.list_service_quotas(ServiceCode="sagemaker")
    assert client.log.calls() == [
        "service-quotas:ListAWSDefaultServiceQuotas",
        "service-quotas:ListServiceQuotas",
    ]


def test_iam_asks_for_the_quota_resource_of_get_and_star_for_the_lists() -> None:
    world = World(
        tags_of=lambda arn: None,
        simulated=lambda *call: None,
        machine_of_token=lambda token: None,
        key_of_topic=lambda topic: None,
        resource_policy=lambda arn: None,
    )

    def asked(operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        found = requests_for("service-quotas", operation, params, "role", world)
        return [(r.action, r.resource, dict(r.context)) for r in found]

    assert asked("ListServiceQuotas", {"ServiceCode": "sagemaker"}) == [
        ("servicequotas:ListServiceQuotas", "*", {"aws:SecureTransport": "true"})
    ]
    assert asked("ListAWSDefaultServiceQuotas", {"ServiceCode": "sagemaker"})[0][:2] == (
        "servicequotas:ListAWSDefaultServiceQuotas",
        "*",
    )
    assert asked("GetServiceQuota", {"ServiceCode": "sagemaker", "QuotaCode": "L-1234ABCD"}) == [
        (
            "servicequotas:GetServiceQuota",
            "arn:aws:servicequotas:us-east-1:123456789012:sagemaker/L-1234ABCD",
            {"aws:SecureTransport": "true", "servicequotas:service": "sagemaker"},
        )
    ]
