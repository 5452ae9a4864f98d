"""The SageMaker provider against moto: create, ownership, describe, delete.

moto's SageMaker makes an endpoint InService at once and does not reject a duplicate name, so the
provider's own checks (DescribeEndpoint / ListTags before CreateEndpoint) are what is tested here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from controller import aws
from controller.errors import EndpointAlreadyExists, PrerequisiteNotFound
from controller.providers.base import NotOwned, Ownership, Resource, Status
from controller.providers.sagemaker import (
    CONFIG,
    ENDPOINT,
    MANAGED_TAG,
    OWNER_TAG,
    SageMakerProvider,
    normalize,
)
from tests.unit.conftest import creations

REQUEST_ID = "req-1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
MODEL = "churn-model"
VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": MODEL,
    "InstanceType": "ml.m5.large",
    "InitialInstanceCount": 1,
}
CONTROLLER_TAGS = {OWNER_TAG: REQUEST_ID, MANAGED_TAG: "ml-endpoint-controller"}


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto SageMaker with one model; the controller's cached clients are reset inside the mock."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # plain moto has no Service Quotas for SageMaker: the quota check has its own tests (test_quotas)
    monkeypatch.setenv("QUOTA_CHECK", "off")
    # moto has no inference components: the endpoint hosts none (the e2e tests check the refusal)
    monkeypatch.setattr("controller.providers.sagemaker.components.owned_on", lambda endpoint: [])
    with mock_aws():
        aws.reset()
        client = boto3.client("sagemaker", region_name="us-east-1")
        client.create_model(
            ModelName=MODEL, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "churn:latest"}
        )
        yield client
    aws.reset()


@pytest.fixture
def provider() -> SageMakerProvider:
    return SageMakerProvider()


# -- helpers -------------------------------------------------------------------------------------
def make_config(sagemaker: Any, name: str = "churn-config", tags: dict[str, str] | None = None) -> str:
    return str(
        sagemaker.create_endpoint_config(
            EndpointConfigName=name, ProductionVariants=[VARIANT], Tags=as_tags(tags or {})
        )["EndpointConfigArn"]
    )


def make_endpoint(
    sagemaker: Any, name: str = "churn-prod", config: str = "churn-config", tags: dict[str, str] | None = None
) -> str:
    return str(
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config, Tags=as_tags(tags or {}))[
            "EndpointArn"
        ]
    )


def as_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tags_of(sagemaker: Any, arn: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=arn, MaxResults=100)["Tags"]}


def endpoint_arn(sagemaker: Any, name: str = "churn-prod") -> str:
    return str(sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"])


def config_arn(sagemaker: Any, name: str = "churn-config") -> str:
    return str(sagemaker.describe_endpoint_config(EndpointConfigName=name)["EndpointConfigArn"])


def endpoints(sagemaker: Any) -> list[str]:
    return sorted(e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"])


def configs(sagemaker: Any) -> list[str]:
    return sorted(c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"])


def kinds(created: list[Resource]) -> list[tuple[str, str]]:
    return [(resource.kind, resource.id) for resource in created]


def endpoint(name: str = "churn-prod") -> Resource:
    return Resource(kind=ENDPOINT, id=name)


def config(name: str = "churn-config") -> Resource:
    return Resource(kind=CONFIG, id=name)


def inline_params(**config_fields: Any) -> dict[str, Any]:
    return {
        "EndpointName": "churn-prod",
        "EndpointConfigName": "churn-config",
        "EndpointConfig": {
            "EndpointConfigName": "churn-config",
            "ProductionVariants": [VARIANT],
            **config_fields,
        },
    }


BARE_PARAMS = {"EndpointName": "churn-prod", "EndpointConfigName": "churn-config"}


# -- normalize -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint_status", "status"),
    [
        ("OutOfService", Status.CREATING),
        ("Creating", Status.CREATING),
        ("Updating", Status.CREATING),
        ("SystemUpdating", Status.CREATING),
        ("RollingBack", Status.CREATING),
        ("InService", Status.READY),
        ("Deleting", Status.DELETING),
        ("Failed", Status.FAILED),
        ("UpdateRollbackFailed", Status.FAILED),
    ],
)
def test_normalize_maps_every_endpoint_status(endpoint_status: str, status: Status) -> None:
    assert normalize(endpoint_status) is status


# -- create --------------------------------------------------------------------------------------
def test_create_with_an_existing_config_creates_and_owns_only_the_endpoint(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    make_config(sagemaker)
    created = creations(provider)

    creation = provider.create({**BARE_PARAMS, "Tags": [{"Key": "team", "Value": "ml"}]}, REQUEST_ID, created)
    name, observation = creation.endpoint_id, creation.observation

    assert name == "churn-prod"
    assert kinds(created) == [(ENDPOINT, "churn-prod")]
    assert observation.status is Status.CREATING
    assert observation.arn == endpoint_arn(sagemaker)
    assert (
        observation.url
        == "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/churn-prod/invocations"
    )
    assert tags_of(sagemaker, endpoint_arn(sagemaker)) == {"team": "ml", **CONTROLLER_TAGS}
    assert tags_of(sagemaker, config_arn(sagemaker)) == {}  # someone else's config: not tagged, not owned


def test_create_with_an_inline_config_creates_the_config_first_and_owns_both(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    created = creations(provider)

    provider.create(inline_params(Tags=[{"Key": "team", "Value": "ml"}]), REQUEST_ID, created)

    assert kinds(created) == [(CONFIG, "churn-config"), (ENDPOINT, "churn-prod")]
    assert tags_of(sagemaker, config_arn(sagemaker)) == {"team": "ml", **CONTROLLER_TAGS}
    assert tags_of(sagemaker, endpoint_arn(sagemaker)) == CONTROLLER_TAGS
    assert sagemaker.describe_endpoint(EndpointName="churn-prod")["EndpointConfigName"] == "churn-config"


def test_create_without_the_config_is_a_missing_prerequisite_and_creates_nothing(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    created = creations(provider)

    with pytest.raises(PrerequisiteNotFound, match="churn-config"):
        provider.create(BARE_PARAMS, REQUEST_ID, created)

    assert created == []
    assert endpoints(sagemaker) == []
    assert configs(sagemaker) == []


@pytest.mark.parametrize(
    "existing_tags",
    [
        pytest.param({"team": "other"}, id="no-owner-tag"),
        pytest.param({OWNER_TAG: "req-0"}, id="other-request"),
    ],
)
def test_an_endpoint_this_request_did_not_create_is_never_touched(
    sagemaker: Any, provider: SageMakerProvider, existing_tags: dict[str, str]
) -> None:
    make_config(sagemaker)
    arn = make_endpoint(sagemaker, tags=existing_tags)
    created = creations(provider)

    with pytest.raises(EndpointAlreadyExists, match="churn-prod"):
        provider.create(BARE_PARAMS, REQUEST_ID, created)

    assert created == []
    assert endpoints(sagemaker) == ["churn-prod"]
    assert endpoint_arn(sagemaker) == arn
    assert tags_of(sagemaker, arn) == existing_tags


def test_an_inline_config_of_someone_else_is_refused_before_the_endpoint(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    make_config(sagemaker, tags={"team": "other"})
    created = creations(provider)

    with pytest.raises(EndpointAlreadyExists, match="churn-config"):
        provider.create(inline_params(), REQUEST_ID, created)

    assert created == []
    assert endpoints(sagemaker) == []
    assert tags_of(sagemaker, config_arn(sagemaker)) == {"team": "other"}


def test_a_retried_create_adopts_the_endpoint_it_already_created(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    make_config(sagemaker)
    provider.create(BARE_PARAMS, REQUEST_ID, creations(provider))  # an attempt whose answer was lost
    created = creations(provider)  # the retried step: the same execution

    creation = provider.create(BARE_PARAMS, REQUEST_ID, created)
    name, observation = creation.endpoint_id, creation.observation

    assert name == "churn-prod"
    assert kinds(created) == [(ENDPOINT, "churn-prod")]
    assert observation.arn == endpoint_arn(sagemaker)
    assert endpoints(sagemaker) == ["churn-prod"]


def test_an_endpoint_tagged_with_the_request_id_but_not_claimed_is_not_adopted(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    """A tag anyone may write proves nothing: ownership is the claim taken before creating."""
    make_config(sagemaker)
    make_endpoint(sagemaker, tags={OWNER_TAG: REQUEST_ID})
    created = creations(provider)

    with pytest.raises(EndpointAlreadyExists):
        provider.create(BARE_PARAMS, REQUEST_ID, created)

    assert created == []


def test_a_retried_inline_create_adopts_its_config_and_creates_the_endpoint(
    sagemaker: Any, provider: SageMakerProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = aws.client("sagemaker").create_endpoint

    def throttled(**request: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "CreateEndpoint"
        )

    monkeypatch.setattr(aws.client("sagemaker"), "create_endpoint", throttled)
    with pytest.raises(ClientError):
        provider.create(inline_params(), REQUEST_ID, creations(provider))
    monkeypatch.setattr(aws.client("sagemaker"), "create_endpoint", real)
    created = creations(provider, resources=[Resource(kind=CONFIG, id="churn-config")])  # the ledger's

    provider.create(inline_params(), REQUEST_ID, created)

    assert kinds(created) == [(CONFIG, "churn-config"), (ENDPOINT, "churn-prod")]
    assert configs(sagemaker) == ["churn-config"]
    assert tags_of(sagemaker, endpoint_arn(sagemaker)) == CONTROLLER_TAGS


@pytest.mark.parametrize(
    ("user_tags", "owner_tagged"),
    [pytest.param(49, True, id="49-user-tags"), pytest.param(50, False, id="50-user-tags")],
)
def test_the_owner_tag_is_added_only_while_there_is_room(
    sagemaker: Any, provider: SageMakerProvider, user_tags: int, owner_tagged: bool
) -> None:
    make_config(sagemaker)
    tags = [{"Key": f"key-{index}", "Value": "value"} for index in range(user_tags)]

    provider.create({**BARE_PARAMS, "Tags": tags}, REQUEST_ID, creations(provider, REQUEST_ID))

    found = tags_of(sagemaker, endpoint_arn(sagemaker))
    assert len(found) == 50
    assert (OWNER_TAG in found) is owner_tagged


# -- describe ------------------------------------------------------------------------------------
def test_describe_an_endpoint(sagemaker: Any, provider: SageMakerProvider) -> None:
    make_config(sagemaker)
    arn = make_endpoint(sagemaker)

    observation = provider.describe(endpoint())

    assert observation.status is Status.READY
    assert observation.provider_status == "InService"
    assert observation.arn == arn
    assert observation.outputs is None
    assert provider.live_config("churn-prod") == "churn-config"


def test_describe_a_config(sagemaker: Any, provider: SageMakerProvider) -> None:
    arn = make_config(sagemaker)

    observation = provider.describe(config())

    assert observation.status is Status.READY
    assert observation.arn == arn


@pytest.mark.parametrize(
    "resource", [endpoint("absent"), config("absent")], ids=["endpoint", "endpoint-config"]
)
def test_describe_an_absent_resource(sagemaker: Any, provider: SageMakerProvider, resource: Resource) -> None:
    assert provider.describe(resource).status is Status.ABSENT


# -- delete --------------------------------------------------------------------------------------
def test_delete_refuses_an_endpoint_owned_by_another_request(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    make_config(sagemaker)
    make_endpoint(sagemaker, tags={OWNER_TAG: "req-0"})

    with pytest.raises(NotOwned, match="req-0"):
        provider.delete(endpoint(), owner=REQUEST_ID)

    assert endpoints(sagemaker) == ["churn-prod"]


def test_delete_refuses_a_config_owned_by_another_request(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    make_config(sagemaker, tags={OWNER_TAG: "req-0"})

    with pytest.raises(NotOwned):
        provider.delete(config(), owner=REQUEST_ID)

    assert configs(sagemaker) == ["churn-config"]


@pytest.mark.parametrize(
    ("tags", "owner"),
    [
        pytest.param({OWNER_TAG: REQUEST_ID}, REQUEST_ID, id="owned-by-this-request"),
        pytest.param({OWNER_TAG: "req-0"}, None, id="no-owner-check"),
        pytest.param({}, None, id="untagged-no-owner-check"),
    ],
)
def test_delete_removes_the_endpoint(
    sagemaker: Any, provider: SageMakerProvider, tags: dict[str, str], owner: str | None
) -> None:
    make_config(sagemaker)
    make_endpoint(sagemaker, tags=tags)

    provider.delete(endpoint(), owner=owner)

    assert provider.describe(endpoint()).status is Status.ABSENT
    assert configs(sagemaker) == ["churn-config"]  # only what was asked


def test_delete_removes_a_config(sagemaker: Any, provider: SageMakerProvider) -> None:
    make_config(sagemaker, tags={OWNER_TAG: REQUEST_ID})

    provider.delete(config(), owner=REQUEST_ID)

    assert configs(sagemaker) == []


@pytest.mark.parametrize("owner", [REQUEST_ID, None], ids=["rollback", "delete-request"])
@pytest.mark.parametrize(
    "resource", [endpoint("absent"), config("absent")], ids=["endpoint", "endpoint-config"]
)
def test_deleting_an_absent_resource_is_not_an_error(
    sagemaker: Any, provider: SageMakerProvider, resource: Resource, owner: str | None
) -> None:
    provider.delete(resource, owner=owner)


def test_a_create_rolled_back_by_its_own_request_leaves_nothing(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    created = creations(provider)
    provider.create(inline_params(), REQUEST_ID, created)

    for resource in reversed(created):
        provider.delete(resource, owner=REQUEST_ID)

    assert endpoints(sagemaker) == []
    assert configs(sagemaker) == []


# -- delete targets ------------------------------------------------------------------------------
def test_delete_targets_include_the_config_when_asked(sagemaker: Any, provider: SageMakerProvider) -> None:
    make_config(sagemaker)
    make_endpoint(sagemaker)

    targets = provider.delete_targets({"EndpointName": "churn-prod", "DeleteEndpointConfig": True})

    assert kinds(targets) == [(ENDPOINT, "churn-prod"), (CONFIG, "churn-config")]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"EndpointName": "churn-prod"}, id="flag-absent"),
        pytest.param({"EndpointName": "churn-prod", "DeleteEndpointConfig": False}, id="flag-false"),
    ],
)
def test_delete_targets_keep_the_config_by_default(
    sagemaker: Any, provider: SageMakerProvider, params: dict[str, Any]
) -> None:
    make_config(sagemaker)
    make_endpoint(sagemaker)

    assert kinds(provider.delete_targets(params)) == [(ENDPOINT, "churn-prod")]


def test_delete_targets_of_an_absent_endpoint_are_just_the_endpoint(
    sagemaker: Any, provider: SageMakerProvider
) -> None:
    targets = provider.delete_targets({"EndpointName": "churn-prod", "DeleteEndpointConfig": True})

    assert kinds(targets) == [(ENDPOINT, "churn-prod")]


# -- regressions (found by review) --------------------------------------------------------------
@pytest.mark.parametrize("field", ["Tags", "DeploymentConfig"])
def test_a_null_optional_field_is_refused_by_validation(provider: SageMakerProvider, field: str) -> None:
    errors = provider.validate("create", {**BARE_PARAMS, field: None})

    assert [error.field for error in errors] == [f"params.{field}"]


# -- two stacks in one account -------------------------------------------------------------------
STACK_TAG = "ml-endpoint-controller:stack"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> str:
    """This function's stack, as infra/function.py tells it."""
    monkeypatch.setenv("CONTROLLER_STACK_NAME", "MlEndpointController")
    return "MlEndpointController"


def test_what_a_stack_creates_carries_its_stack_tag(
    sagemaker: Any, provider: SageMakerProvider, stack: str
) -> None:
    make_config(sagemaker)
    tags = [{"Key": f"key-{index}", "Value": "value"} for index in range(48)]

    provider.create({**BARE_PARAMS, "Tags": tags}, REQUEST_ID, creations(provider, REQUEST_ID))

    found = tags_of(sagemaker, endpoint_arn(sagemaker))
    # 48 of the request's own leave room for both of the controller's (the managed-by has none)
    assert len(found) == 50 and found[OWNER_TAG] == REQUEST_ID and found[STACK_TAG] == stack


@pytest.mark.parametrize(
    ("tags", "verdict"),
    [
        pytest.param(
            {OWNER_TAG: "req-0", STACK_TAG: "MlEndpointController"}, Ownership.OWNED, id="this-stack"
        ),
        pytest.param({OWNER_TAG: "req-0"}, Ownership.OWNED, id="made-before-the-stack-tag"),
        pytest.param(
            {OWNER_TAG: "req-0", STACK_TAG: "MlEndpointControllerStaging"},
            Ownership.OTHER_STACK,
            id="other-stack",
        ),
        pytest.param({STACK_TAG: "MlEndpointController"}, Ownership.NOT_OWNED, id="no-owner-tag"),
    ],
)
def test_an_endpoint_another_stack_made_is_not_this_stacks(
    sagemaker: Any, provider: SageMakerProvider, stack: str, tags: dict[str, str], verdict: Ownership
) -> None:
    make_config(sagemaker, tags=tags)
    make_endpoint(sagemaker, tags=tags)

    assert provider.ownership(endpoint()) is verdict
    assert provider.ownership(config()) is verdict


def test_a_rollback_never_deletes_what_another_stack_made(
    sagemaker: Any, provider: SageMakerProvider, stack: str
) -> None:
    """Even under the same request id (a staging request reusing prod's id, say)."""
    theirs = {OWNER_TAG: REQUEST_ID, STACK_TAG: "MlEndpointControllerStaging"}
    make_config(sagemaker, tags=theirs)
    make_endpoint(sagemaker, tags=theirs)

    with pytest.raises(NotOwned, match="MlEndpointControllerStaging"):
        provider.delete(endpoint(), owner=REQUEST_ID)
    with pytest.raises(NotOwned, match="MlEndpointControllerStaging"):
        provider.delete(config(), owner=REQUEST_ID)

    assert endpoints(sagemaker) == ["churn-prod"] and configs(sagemaker) == ["churn-config"]
