"""The instance-quota check (controller.quotas) and what SageMaker requests need of it
(controller.providers.sagemaker.instances)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from controller import aws, clock, quotas
from controller.errors import ProviderError, QuotaExceeded, ServiceThrottled, TransientServiceError
from controller.providers.sagemaker import held, instances
from controller.quotas import Need, Quota

G5 = "ml.g5.xlarge for endpoint usage"
M5 = "ml.m5.large for endpoint usage"


def config(
    *variants: tuple[str, int], serverless: int = 0, shadow: tuple[str, int] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ProductionVariants": [
            {"VariantName": f"v{i}", "ModelName": "m", "InstanceType": kind, "InitialInstanceCount": count}
            for i, (kind, count) in enumerate(variants)
        ]
        + [
            {
                "VariantName": f"s{i}",
                "ModelName": "m",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
            }
            for i in range(serverless)
        ]
    }
    if shadow:
        body["ShadowProductionVariants"] = [
            {
                "VariantName": "shadow",
                "ModelName": "m",
                "InstanceType": shadow[0],
                "InitialInstanceCount": shadow[1],
            }
        ]
    return body


# -- needs ------------------------------------------------------------------------------------------
def test_a_create_needs_every_instance_it_provisions_and_serverless_needs_none() -> None:
    needs = instances.create_needs(
        config(("ml.g5.xlarge", 2), ("ml.m5.large", 1), serverless=1, shadow=("ml.g5.xlarge", 1))
    )
    assert {n.name: n.count for n in needs} == {G5: 3, M5: 1}
    assert instances.create_needs(config(serverless=2)) == []


def test_an_update_needs_the_new_fleet_for_blue_green_and_one_batch_for_rolling() -> None:
    new = config(("ml.g5.xlarge", 4))
    for deployment in (
        None,
        {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}},
    ):
        [need] = instances.update_needs(new, deployment)
        assert (need.name, need.count) == (G5, 4) and "blue/green" in need.why
    rolling = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 0,
        }
    }
    [need] = instances.update_needs(new, rolling)
    assert (need.count, "rolling" in need.why) == (1, True)
    percent = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 30},
            "WaitIntervalInSeconds": 0,
        }
    }
    assert instances.update_needs(new, percent)[0].count == 2  # 30 % of 4, rounded up


@given(
    fleet=st.integers(min_value=1, max_value=500),
    kind=st.sampled_from(["INSTANCE_COUNT", "CAPACITY_PERCENT"]),
    value=st.integers(min_value=1, max_value=1000),
)
def test_a_rolling_batch_is_at_least_one_and_never_more_than_blue_green(
    fleet: int, kind: str, value: int
) -> None:
    new = config(("ml.g5.xlarge", fleet))
    rolling = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": kind, "Value": value},
            "WaitIntervalInSeconds": 0,
        }
    }
    [batch] = instances.update_needs(new, rolling)
    [whole] = instances.update_needs(new, None)
    assert 1 <= batch.count <= whole.count == fleet


# -- the check --------------------------------------------------------------------------------------
@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Quota]:
    known = {G5: Quota(G5, "L-1234ABCD", 2), M5: Quota(M5, "L-0000BEEF", 20)}
    monkeypatch.setattr(quotas, "quotas", lambda service_code: known)
    monkeypatch.setenv(quotas.SWITCH, "on")
    return known


def test_a_need_beyond_the_quota_itself_is_refused_without_reading_usage(listed: dict[str, Quota]) -> None:
    def usage() -> Counter[str]:
        raise AssertionError("usage read")

    with pytest.raises(QuotaExceeded) as refused:
        quotas.check("sagemaker", [Need(G5, 3, "the new endpoint's instances")], usage)
    message = refused.value.message
    assert all(part in message for part in (G5, "L-1234ABCD", "is 2", "needs 3"))


def test_usage_and_need_beyond_the_quota_are_refused_naming_each_figure(listed: dict[str, Quota]) -> None:
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check("sagemaker", [Need(G5, 2, "blue/green"), Need(M5, 1)], lambda: Counter({G5: 1, M5: 5}))
    message = refused.value.message
    assert f"'{G5}' (L-1234ABCD) is 2, 1 in use; this request needs 2 more (blue/green): 3 > 2" in message
    assert M5 not in message  # that one fits


def test_what_fits_goes_on_and_an_unknown_quota_is_left_to_the_service(listed: dict[str, Quota]) -> None:
    quotas.check(
        "sagemaker", [Need(G5, 1), Need("ml.x99.huge for endpoint usage", 10**6)], lambda: Counter({G5: 1})
    )


def test_switched_off_nothing_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(quotas.SWITCH, "off")
    monkeypatch.setattr(quotas, "quotas", lambda code: pytest.fail("Service Quotas called"))
    quotas.check("sagemaker", [Need(G5, 10**6)], lambda: pytest.fail("usage read"))


# -- Service Quotas -------------------------------------------------------------------------------
@pytest.fixture
def service_quotas(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client(
        "service-quotas", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    monkeypatch.setattr(aws, "client", lambda service, **_: client)
    with Stubber(client) as stubber:
        yield stubber


def _page(*entries: tuple[str, str, float], token: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "Quotas": [{"QuotaName": name, "QuotaCode": code, "Value": value} for name, code, value in entries]
    }
    if token:
        page["NextToken"] = token
    return page


def test_applied_values_win_over_defaults_across_pages_and_one_listing_serves_a_while(
    service_quotas: Stubber,
) -> None:
    service_quotas.add_response("list_aws_default_service_quotas", _page((G5, "L-1", 0), token="t"))
    service_quotas.add_response("list_aws_default_service_quotas", _page((M5, "L-2", 20)))
    service_quotas.add_response("list_service_quotas", _page((G5, "L-1", 8)))
    found = quotas.quotas("sagemaker-test-listing")
    assert (found[G5].value, found[M5].value, found[G5].code) == (8, 20, "L-1")
    assert quotas.quotas("sagemaker-test-listing") is found  # no second listing (the stubber has none)
    service_quotas.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "raised", "said"),
    [
        ("AccessDeniedException", ProviderError, "quotaCheck=false"),
        ("TooManyRequestsException", ServiceThrottled, "TooManyRequestsException"),
        ("ServiceException", TransientServiceError, "ServiceException"),
    ],
)
def test_service_quotas_errors(
    service_quotas: Stubber, monkeypatch: pytest.MonkeyPatch, code: str, raised: type[Exception], said: str
) -> None:
    monkeypatch.setenv(quotas.SWITCH, "on")
    status = 500 if code == "ServiceException" else 400
    service_quotas.add_client_error("list_aws_default_service_quotas", code, "no", http_status_code=status)
    with pytest.raises(raised) as failed:
        quotas.check(f"sagemaker-{code}", [Need(G5, 1)], Counter)
    assert said in str(failed.value)
    assert type(failed.value) is raised  # routed by name: throttling retries longer than a 5xx


def test_a_service_quotas_does_not_hold_is_not_checked(
    service_quotas: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(quotas.SWITCH, "on")
    for operation in ("list_aws_default_service_quotas", "list_service_quotas"):
        service_quotas.add_client_error(
            operation, "NoSuchResourceException", "not available", http_status_code=400
        )
    quotas.check("sagemaker-nowhere", [Need(G5, 10**6)], lambda: pytest.fail("usage read"))


# -- usage ------------------------------------------------------------------------------------------
@pytest.fixture
def account() -> Iterator[tuple[Any, list[str]]]:
    """moto's SageMaker with endpoints ``a`` (2 ml.g4dn.xlarge) and ``b`` (1 ml.g4dn.xlarge, 3
    ml.m5.large), the controller's client, and the operations it calls from now on."""
    with mock_aws():
        aws.reset()
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        sagemaker.create_model(
            ModelName="m",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
            PrimaryContainer={"Image": "i"},
        )
        # (raw moto refuses today's types such as ml.g5: its own stale list; the world does not)
        for name, variants in (
            ("a", [("ml.g4dn.xlarge", 2)]),
            ("b", [("ml.g4dn.xlarge", 1), ("ml.m5.large", 3)]),
        ):
            sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-cfg", **config(*variants))
            sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-cfg")
        client = aws.client("sagemaker")
        clock.use(lambda: NOW[0])
        calls: list[str] = []
        client.meta.events.register("before-call.sagemaker.*", lambda model, **_: calls.append(model.name))
        try:
            yield client, calls
        finally:
            clock.use(None)
            aws.reset()


#: The controller's clock in these tests (epoch seconds); ``later`` moves it.
NOW = [1_800_000_000.0]


def later(seconds: float) -> None:
    NOW[0] += seconds


def _endpoint(name: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends["123456789012"]["us-east-1"].endpoints[name]


USED = Counter({"ml.g4dn.xlarge for endpoint usage": 3, M5: 3})


def test_usage_counts_the_instances_of_the_account_s_endpoints_by_type(
    account: tuple[Any, list[str]],
) -> None:
    _, calls = account
    assert held.held().counts == USED
    assert sorted(calls) == sorted(
        [
            "ListEndpoints",
            "DescribeEndpoint",
            "DescribeEndpoint",
            "DescribeEndpointConfig",
            "DescribeEndpointConfig",
        ]
    )


def test_a_warm_function_looks_again_only_at_endpoints_that_changed(account: tuple[Any, list[str]]) -> None:
    import datetime

    _, calls = account
    held.held()
    calls.clear()
    assert held.held().counts == USED
    assert calls == []  # a burst of checks shares one reading
    later(held.READING_SECONDS)
    assert held.held().counts == USED
    assert calls == ["ListEndpoints"]  # nothing changed: nothing described
    calls.clear()
    later(held.READING_SECONDS)
    changed = _endpoint("a")
    changed.last_modified_time = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    changed.production_variants[0]["CurrentInstanceCount"] = 5  # auto scaling added three
    assert held.held().counts["ml.g4dn.xlarge for endpoint usage"] == 6
    assert calls == ["ListEndpoints", "DescribeEndpoint"]  # its config's types were known


def test_an_unchanged_endpoint_is_described_again_after_a_while(account: tuple[Any, list[str]]) -> None:
    _, calls = account
    held.held()
    calls.clear()
    later(held.LOOK_SECONDS)
    assert held.held().counts == USED
    assert sorted(calls) == ["DescribeEndpoint", "DescribeEndpoint", "ListEndpoints"]


def test_a_reading_throttled_half_way_is_a_lower_bound_and_the_next_goes_on_from_it(
    account: tuple[Any, list[str]],
) -> None:
    from botocore.awsrequest import AWSResponse

    client, calls = account
    throttled = {"left": 1}

    def throttle(model: Any, **_: Any) -> Any:
        described = calls.count("DescribeEndpoint")
        if described == 2 and throttled["left"]:  # the second endpoint's look
            throttled["left"] -= 1
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            return AWSResponse("", 400, {}, None), {**error, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return None

    client.meta.events.register("before-call.sagemaker.DescribeEndpoint", throttle)
    partial = held.held()
    assert not partial.complete
    assert partial.counts == Counter({"ml.g4dn.xlarge for endpoint usage": 2})  # a's: a lower bound
    calls.clear()
    later(held.READING_SECONDS)
    whole = held.held()
    assert whole.complete and whole.counts == USED
    assert calls.count("DescribeEndpoint") == 1  # only the one it had not learned yet


def test_an_endpoint_gone_from_the_list_is_forgotten(account: tuple[Any, list[str]]) -> None:
    client, _ = account
    held.held()
    client.delete_endpoint(EndpointName="b")
    later(held.READING_SECONDS)
    assert held.held().counts == Counter({"ml.g4dn.xlarge for endpoint usage": 2})


def test_a_partial_reading_refuses_only_what_its_lower_bound_proves(
    service_quotas: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(quotas.SWITCH, "on")
    code = "sagemaker-partial"
    for operation in ("list_aws_default_service_quotas", "list_service_quotas"):
        service_quotas.add_response(
            operation, _page((G5, "L-G5", 4.0)), {"ServiceCode": code, "MaxResults": quotas.PAGE}
        )
    partial = quotas.Usage(counts={G5: 3}, complete=False)
    with pytest.raises(QuotaExceeded, match="at least 3 in use"):
        quotas.check(code, [Need(G5, 2)], lambda: partial)
    quotas.check(code, [Need(G5, 1)], lambda: partial)  # 3 + 1 fits: SageMaker's own check decides


@given(
    value=st.integers(0, 20),
    truly_used=st.integers(0, 20),
    seen=st.floats(0, 1),
    need=st.integers(1, 20),
)
def test_a_reading_in_part_never_refuses_what_has_room_and_a_whole_one_refuses_exactly_what_has_none(
    value: int, truly_used: int, seen: float, need: int
) -> None:
    # A reading cut short saw only part of what is in use (a lower bound): whatever part it saw,
    # a refusal is always right, and a whole reading refuses exactly when the room is short.
    import os
    from unittest import mock

    lower = int(truly_used * seen)
    known = {G5: Quota(name=G5, code="L-G5", value=float(value))}
    with (
        mock.patch.dict(os.environ, {quotas.SWITCH: "on"}),
        mock.patch.object(quotas, "quotas", lambda _: known),
    ):
        for usage, complete in (
            (quotas.Usage({G5: lower}, complete=False), False),
            (Counter({G5: truly_used}), True),
        ):
            try:
                quotas.check("sagemaker", [Need(G5, need)], lambda usage=usage: usage)
                refused = False
            except QuotaExceeded:
                refused = True
            if refused:
                assert truly_used + need > value  # never refuses a request there is room for
            if complete:
                assert refused == (truly_used + need > value)


def test_the_message_is_json_with_the_code_s_text() -> None:
    body = json.loads(str(QuotaExceeded("quota 'x' (L-1) is 1")))
    assert body == {"message": "quota 'x' (L-1) is 1"}
