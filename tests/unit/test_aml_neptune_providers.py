"""The Amazon ML and Neptune ML providers against the project's HTTP emulators (no moto).

Each test starts its own emulator on loopback and points botocore at it with the per-service
``AWS_ENDPOINT_URL_*`` variable, so the real serializers and parsers run on both sides. Time is a
``VirtualClock`` that the test advances by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from botocore.exceptions import ClientError

from controller import aws
from controller import clock as controller_clock
from controller.errors import EndpointAlreadyExists, PrerequisiteNotFound, TransientServiceError
from controller.providers import aml as aml_module
from controller.providers import neptune as neptune_module
from controller.providers.aml import AmlOutputs, AmlProvider
from controller.providers.base import Resource, Status
from controller.providers.neptune import NeptuneProvider
from endpointctl.sim.aml import ENDPOINT_URL, PEAK_RPS, AmlEmulator
from endpointctl.sim.calls import CallLog
from endpointctl.sim.emulator import Emulator
from endpointctl.sim.neptune import ARN, NeptuneEmulator
from endpointctl.sim.virtual_clock import VirtualClock
from tests.unit.conftest import creations

START = 1_000_000.0
REQUEST_ID = "req-1"
MODEL = "m1"
AML_CREATE_SECONDS, AML_DELETE_SECONDS = 120, 30  # the emulator's defaults
NEPTUNE_CREATE_SECONDS, NEPTUNE_DELETE_SECONDS = 600, 60
TRAINING_PARAMS = {"id": "graph-ep", "mlModelTrainingJobId": "train-1"}
TRANSFORM_PARAMS = {"id": "graph-ep", "mlModelTransformJobId": "xform-1"}

Start = Callable[..., Any]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=START)


@pytest.fixture
def log() -> CallLog:
    return CallLog()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, clock: VirtualClock) -> Iterator[None]:
    """Fake credentials, no endpoint overrides but the test's own; the controller reads the clock."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AML_REGION",
        "NEPTUNE_ENDPOINT",
        "CONTROLLER_ACCOUNT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    controller_clock.use(clock.now)
    aws.reset()
    yield
    aws.reset()
    controller_clock.use(None)


def _starter(
    monkeypatch: pytest.MonkeyPatch,
    clock: VirtualClock,
    log: CallLog,
    emulator_class: type[Any],
    variable: str,
) -> Iterator[Start]:
    started: list[Emulator] = []

    def start(scenario: dict[str, Any] | None = None, request: dict[str, Any] | None = None) -> Any:
        import boto3

        emulator = emulator_class(scenario or {}, clock, log)
        emulator.start()
        boto3.setup_default_session()  # as the runner does: the emulator hooks the SDK's session
        emulator.install(ExitStack())
        started.append(emulator)
        monkeypatch.setenv(variable, emulator.url)
        aws.reset()
        if request is not None:
            emulator.prepare(request)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
    import boto3

    boto3.setup_default_session()


@pytest.fixture
def start_aml(
    monkeypatch: pytest.MonkeyPatch, environment: None, clock: VirtualClock, log: CallLog
) -> Iterator[Start]:
    """``start_aml(scenario, request)``: a running AmlEmulator, prepared for ``request``."""
    yield from _starter(monkeypatch, clock, log, AmlEmulator, "AWS_ENDPOINT_URL_MACHINE_LEARNING")


@pytest.fixture
def start_neptune(
    monkeypatch: pytest.MonkeyPatch, environment: None, clock: VirtualClock, log: CallLog
) -> Iterator[Start]:
    """``start_neptune(scenario, request)``: a running NeptuneEmulator, prepared for ``request``."""
    yield from _starter(monkeypatch, clock, log, NeptuneEmulator, "AWS_ENDPOINT_URL_NEPTUNEDATA")


def aml_request(model_id: str = MODEL) -> dict[str, Any]:
    return {"endpointType": "aml", "params": {"MLModelId": model_id}}


def neptune_request(params: dict[str, Any]) -> dict[str, Any]:
    return {"endpointType": "neptune", "params": params}


def kinds(created: list[Resource]) -> list[tuple[str, str]]:
    return [(resource.kind, resource.id) for resource in created]


@pytest.fixture
def aml_provider() -> AmlProvider:
    return AmlProvider()


@pytest.fixture
def neptune_provider() -> NeptuneProvider:
    return NeptuneProvider()


def aml_endpoint(model_id: str = MODEL) -> Resource:
    return Resource(kind=aml_module.ENDPOINT, id=model_id)


def neptune_endpoint(endpoint_id: str = "graph-ep") -> Resource:
    return Resource(kind=neptune_module.ENDPOINT, id=endpoint_id)


# == Amazon ML ===================================================================================
@pytest.mark.parametrize(
    ("endpoint_status", "status"),
    [
        ("NONE", Status.ABSENT),
        ("READY", Status.READY),
        ("UPDATING", Status.CREATING),
        ("FAILED", Status.FAILED),
    ],
)
def test_aml_normalize_maps_every_endpoint_status(endpoint_status: str, status: Status) -> None:
    assert aml_module.normalize(endpoint_status) is status


def test_aml_create_on_a_model_without_an_endpoint_records_it(
    start_aml: Start, aml_provider: AmlProvider, log: CallLog
) -> None:
    emulator = start_aml(request=aml_request())
    created = creations(aml_provider)

    creation = aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, created)
    endpoint_id, observation = creation.endpoint_id, creation.observation

    assert endpoint_id == MODEL
    assert kinds(created) == [("realtime-endpoint", MODEL)]
    assert observation.status is Status.CREATING
    assert observation.provider_status == "UPDATING"
    assert emulator.remaining() == {"realtimeEndpoints": [MODEL]}
    assert log.calls() == ["machinelearning:GetMLModel", "machinelearning:CreateRealtimeEndpoint"]


def test_aml_describe_is_ready_with_url_and_peak_rate_after_create_seconds(
    start_aml: Start, aml_provider: AmlProvider, clock: VirtualClock
) -> None:
    start_aml(request=aml_request())
    aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider, REQUEST_ID))

    clock.advance(AML_CREATE_SECONDS - 1)
    assert aml_provider.describe(aml_endpoint()).status is Status.CREATING
    clock.advance(1)
    observation = aml_provider.describe(aml_endpoint())

    assert observation.status is Status.READY
    assert observation.provider_status == "READY"
    assert observation.url == ENDPOINT_URL
    assert observation.outputs == AmlOutputs(peakRequestsPerSecond=PEAK_RPS)
    assert observation.arn is None  # no CONTROLLER_ACCOUNT_ID


def test_aml_describe_names_the_model_arn_when_the_account_is_known(
    start_aml: Start, aml_provider: AmlProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_aml(request=aml_request())
    monkeypatch.setenv("CONTROLLER_ACCOUNT_ID", "123456789012")
    aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider, REQUEST_ID))

    observation = aml_provider.describe(aml_endpoint())

    assert observation.arn == f"arn:aws:machinelearning:us-east-1:123456789012:mlmodel/{MODEL}"


@pytest.mark.parametrize(
    ("scenario", "prepare"),
    [
        pytest.param({}, False, id="model-never-named"),
        pytest.param({"missingPrerequisites": True}, True, id="missing-prerequisites"),
    ],
)
def test_aml_a_missing_model_is_a_prerequisite_not_found_and_nothing_is_created(
    start_aml: Start, aml_provider: AmlProvider, log: CallLog, scenario: dict[str, Any], prepare: bool
) -> None:
    emulator = start_aml(scenario, aml_request() if prepare else None)
    created = creations(aml_provider)

    with pytest.raises(PrerequisiteNotFound):
        aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, created)

    assert created == []
    assert emulator.remaining() == {"realtimeEndpoints": []}
    assert log.calls() == ["machinelearning:GetMLModel"]


def test_aml_an_existing_ready_endpoint_is_not_ours_and_stays_ready(
    start_aml: Start, aml_provider: AmlProvider, log: CallLog
) -> None:
    emulator = start_aml({"existing": {"realtimeEndpoints": [MODEL]}})
    created = creations(aml_provider)

    with pytest.raises(EndpointAlreadyExists):
        aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, created)

    assert created == []
    assert "machinelearning:CreateRealtimeEndpoint" not in log.calls()
    assert aml_provider.describe(aml_endpoint()).status is Status.READY
    assert emulator.remaining() == {"realtimeEndpoints": [MODEL]}


def test_aml_an_endpoint_still_being_created_is_not_ours_either(
    start_aml: Start, aml_provider: AmlProvider
) -> None:
    start_aml(request=aml_request())
    other = creations(aml_provider, "someone-else", "arn:aws:states:us-east-1:123456789012:execution:x:other")
    aml_provider.create({"MLModelId": MODEL}, "someone-else", other)
    created = creations(aml_provider)

    with pytest.raises(EndpointAlreadyExists):
        aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, created)

    assert created == []


def test_aml_outcome_failed_is_described_as_failed(
    start_aml: Start, aml_provider: AmlProvider, clock: VirtualClock
) -> None:
    start_aml({"outcome": "FAILED"}, aml_request())
    aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider, REQUEST_ID))

    clock.advance(AML_CREATE_SECONDS)
    observation = aml_provider.describe(aml_endpoint())

    assert observation.status is Status.FAILED
    assert observation.provider_status == "FAILED"


def test_aml_delete_is_absent_after_delete_seconds(
    start_aml: Start, aml_provider: AmlProvider, clock: VirtualClock, log: CallLog
) -> None:
    emulator = start_aml(request=aml_request())
    aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider, REQUEST_ID))
    clock.advance(AML_CREATE_SECONDS)

    aml_provider.delete(aml_endpoint(), owner=REQUEST_ID)

    assert "machinelearning:DeleteRealtimeEndpoint" in log.calls()
    assert aml_provider.describe(aml_endpoint()).status is not Status.ABSENT  # on its way out
    clock.advance(AML_DELETE_SECONDS)
    observation = aml_provider.describe(aml_endpoint())
    assert observation.status is Status.ABSENT
    assert observation.provider_status == "NONE"
    assert emulator.remaining() == {"realtimeEndpoints": []}


def test_aml_delete_of_an_unknown_model_is_not_an_error(start_aml: Start, aml_provider: AmlProvider) -> None:
    start_aml()

    aml_provider.delete(aml_endpoint("nobody"), owner=None)

    assert aml_provider.describe(aml_endpoint("nobody")).status is Status.ABSENT


def test_aml_a_5xx_on_create_leaves_a_claim_that_the_retry_uses(
    start_aml: Start, aml_provider: AmlProvider, log: CallLog
) -> None:
    fault = {"operation": "CreateRealtimeEndpoint", "error": "InternalServerException", "count": 1}
    emulator = start_aml({"faults": [fault]}, aml_request())
    created = creations(aml_provider)

    with pytest.raises(ClientError) as failed:  # the step translates it: TransientServiceError
        aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, created)

    assert aws.is_transient(failed.value)
    assert created == []
    assert emulator.remaining() == {"realtimeEndpoints": []}
    assert log.calls() == ["machinelearning:GetMLModel", "machinelearning:CreateRealtimeEndpoint"]
    # The retry the state machine makes holds the claim, sees nothing was made, and creates it.
    creation = aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider))
    assert creation.endpoint_id == MODEL
    assert creation.observation.status is Status.CREATING
    assert log.calls()[2:] == ["machinelearning:GetMLModel", "machinelearning:CreateRealtimeEndpoint"]


def test_aml_a_5xx_after_the_service_acted_is_recognized_by_the_claim(
    start_aml: Start, aml_provider: AmlProvider, log: CallLog
) -> None:
    fault = {"operation": "CreateRealtimeEndpoint", "error": "InternalServerException", "applied": True}
    emulator = start_aml({"faults": [fault]}, aml_request())

    with pytest.raises(ClientError):
        aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider))
    retried = creations(aml_provider)
    creation = aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, retried)

    assert kinds(retried) == [("realtime-endpoint", MODEL)]  # its own, though the answer was lost
    assert creation.observation.status is Status.CREATING
    assert log.calls().count("machinelearning:CreateRealtimeEndpoint") == 1
    assert emulator.remaining() == {"realtimeEndpoints": [MODEL]}


def test_aml_throttling_on_create_is_a_client_error_and_nothing_is_created(
    start_aml: Start, aml_provider: AmlProvider, log: CallLog
) -> None:
    fault = {"operation": "CreateRealtimeEndpoint", "error": "ThrottlingException", "count": 1}
    emulator = start_aml({"faults": [fault]}, aml_request())
    created = creations(aml_provider)

    with pytest.raises(ClientError) as caught:
        aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, created)

    assert aws.error_code(caught.value) == "ThrottlingException"
    assert created == []
    assert emulator.remaining() == {"realtimeEndpoints": []}
    assert log.calls() == ["machinelearning:GetMLModel", "machinelearning:CreateRealtimeEndpoint"]
    # The lifecycle translates it into a retried error.
    assert isinstance(aws.translate(caught.value, "machinelearning: create", []), TransientServiceError)


def test_aml_the_call_log_names_every_operation(
    start_aml: Start, aml_provider: AmlProvider, clock: VirtualClock, log: CallLog
) -> None:
    start_aml(request=aml_request())
    aml_provider.create({"MLModelId": MODEL}, REQUEST_ID, creations(aml_provider, REQUEST_ID))
    clock.advance(AML_CREATE_SECONDS)
    aml_provider.describe(aml_endpoint())
    aml_provider.delete(aml_endpoint(), owner=None)

    assert log.calls() == [
        "machinelearning:GetMLModel",
        "machinelearning:CreateRealtimeEndpoint",
        "machinelearning:GetMLModel",
        "machinelearning:DeleteRealtimeEndpoint",
    ]


def test_aml_delete_targets_is_the_model_endpoint(aml_provider: AmlProvider) -> None:
    assert aml_provider.delete_targets({"MLModelId": MODEL}) == [aml_endpoint()]


# == Neptune ML ==================================================================================
@pytest.mark.parametrize(
    ("provider_status", "status"),
    [
        ("Creating", Status.CREATING),
        ("InService", Status.READY),
        ("Failed", Status.FAILED),
        ("Deleting", Status.DELETING),
        ("Updating", Status.CREATING),
        ("in_service", Status.READY),
        ("In Service", Status.READY),
        ("FAILED", Status.FAILED),
    ],
)
def test_neptune_normalize_maps_the_free_form_status(provider_status: str, status: Status) -> None:
    assert neptune_module.normalize(provider_status) is status


def test_neptune_create_with_an_id_and_a_training_job_records_it(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    emulator = start_neptune(request=neptune_request(TRAINING_PARAMS))
    created = creations(neptune_provider)

    creation = neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, created)
    endpoint_id, observation = creation.endpoint_id, creation.observation

    assert endpoint_id == "graph-ep"
    assert kinds(created) == [("ml-endpoint", "graph-ep")]
    assert observation.status is Status.CREATING
    assert observation.provider_status == "Creating"
    assert observation.arn == ARN.format("graph-ep")
    assert observation.outputs is None
    assert emulator.remaining() == {"endpoints": ["graph-ep"]}
    assert log.calls() == [
        "neptunedata:GetMLModelTrainingJob",
        "neptunedata:GetMLEndpoint",
        "neptunedata:CreateMLEndpoint",
    ]


def test_neptune_create_without_an_id_sends_one_derived_from_the_request(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    params = {"mlModelTrainingJobId": "train-1"}
    emulator = start_neptune(request=neptune_request(params))
    created = creations(neptune_provider)

    creation = neptune_provider.create(params, REQUEST_ID, created)
    endpoint_id, observation = creation.endpoint_id, creation.observation

    assert endpoint_id == neptune_module.derived_id(REQUEST_ID)
    assert neptune_module.derived_id(REQUEST_ID) == neptune_module.derived_id(REQUEST_ID)
    assert neptune_module.derived_id("another") != endpoint_id
    assert kinds(created) == [("ml-endpoint", endpoint_id)]
    assert emulator.remaining() == {"endpoints": [endpoint_id]}
    assert observation.arn == ARN.format(endpoint_id)
    assert log.calls() == [
        "neptunedata:GetMLModelTrainingJob",
        "neptunedata:GetMLEndpoint",
        "neptunedata:CreateMLEndpoint",
    ]
    assert neptune_provider.describe(neptune_endpoint(endpoint_id)).status is Status.CREATING


def test_neptune_a_missing_job_is_a_prerequisite_not_found(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    emulator = start_neptune({"missingPrerequisites": True}, neptune_request(TRAINING_PARAMS))
    created = creations(neptune_provider)

    with pytest.raises(PrerequisiteNotFound):
        neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, created)

    assert created == []
    assert emulator.remaining() == {"endpoints": []}
    assert log.calls() == ["neptunedata:GetMLModelTrainingJob"]


def test_neptune_a_transform_job_is_checked_with_get_ml_model_transform_job(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    start_neptune(request=neptune_request(TRANSFORM_PARAMS))
    created = creations(neptune_provider)

    creation = neptune_provider.create(dict(TRANSFORM_PARAMS), REQUEST_ID, created)
    endpoint_id = creation.endpoint_id

    assert endpoint_id == "graph-ep"
    assert kinds(created) == [("ml-endpoint", "graph-ep")]
    assert log.calls()[0] == "neptunedata:GetMLModelTransformJob"
    assert "neptunedata:GetMLModelTrainingJob" not in log.calls()


def test_neptune_a_missing_transform_job_is_a_prerequisite_not_found(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    start_neptune()  # nothing prepared: the job does not exist

    with pytest.raises(PrerequisiteNotFound):
        neptune_provider.create(dict(TRANSFORM_PARAMS), REQUEST_ID, creations(neptune_provider, REQUEST_ID))

    assert log.calls() == ["neptunedata:GetMLModelTransformJob"]


def test_neptune_an_existing_endpoint_without_update_is_not_ours(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    emulator = start_neptune({"existing": {"endpoints": ["graph-ep"]}}, neptune_request(TRAINING_PARAMS))
    created = creations(neptune_provider)

    with pytest.raises(EndpointAlreadyExists):
        neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, created)

    assert created == []
    assert "neptunedata:CreateMLEndpoint" not in log.calls()
    assert neptune_provider.describe(neptune_endpoint()).status is Status.READY
    assert emulator.remaining() == {"endpoints": ["graph-ep"]}


def test_neptune_update_changes_an_existing_endpoint_in_place_and_records_nothing_as_created(
    start_neptune: Start, neptune_provider: NeptuneProvider, clock: VirtualClock, log: CallLog
) -> None:
    start_neptune({"existing": {"endpoints": ["graph-ep"]}}, neptune_request(TRAINING_PARAMS))
    created = creations(neptune_provider)

    creation = neptune_provider.update(dict(TRAINING_PARAMS), REQUEST_ID, created)

    assert creation.endpoint_id == "graph-ep"
    assert created == []
    assert creation.observation.provider_status == "Updating"
    assert log.calls()[-1] == "neptunedata:CreateMLEndpoint"
    during = neptune_provider.describe(neptune_endpoint())
    assert (during.status, during.provider_status) == (Status.CREATING, "Updating")
    clock.advance(NEPTUNE_CREATE_SECONDS)
    assert neptune_provider.describe(neptune_endpoint()).status is Status.READY


def test_neptune_delete_while_creating_is_refused_by_the_service(
    start_neptune: Start, neptune_provider: NeptuneProvider
) -> None:
    start_neptune(request=neptune_request(TRAINING_PARAMS))
    neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, creations(neptune_provider, REQUEST_ID))

    with pytest.raises(ClientError) as caught:
        neptune_provider.delete(neptune_endpoint(), owner=REQUEST_ID)

    assert aws.error_code(caught.value) == "BadRequestException"
    assert neptune_provider.describe(neptune_endpoint()).status is Status.CREATING


def test_neptune_delete_after_in_service_is_deleting_then_absent(
    start_neptune: Start, neptune_provider: NeptuneProvider, clock: VirtualClock, log: CallLog
) -> None:
    emulator = start_neptune(request=neptune_request(TRAINING_PARAMS))
    neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, creations(neptune_provider, REQUEST_ID))
    clock.advance(NEPTUNE_CREATE_SECONDS)
    assert neptune_provider.describe(neptune_endpoint()).status is Status.READY

    neptune_provider.delete(neptune_endpoint(), owner=REQUEST_ID)

    assert "neptunedata:DeleteMLEndpoint" in log.calls()
    deleting = neptune_provider.describe(neptune_endpoint())
    assert (deleting.status, deleting.provider_status) == (Status.DELETING, "Deleting")
    clock.advance(NEPTUNE_DELETE_SECONDS)
    assert neptune_provider.describe(neptune_endpoint()).status is Status.ABSENT
    assert emulator.remaining() == {"endpoints": []}


def test_neptune_delete_of_an_unknown_endpoint_is_not_an_error(
    start_neptune: Start, neptune_provider: NeptuneProvider
) -> None:
    start_neptune()

    neptune_provider.delete(neptune_endpoint("nobody"), owner=None)


def test_neptune_describe_of_an_unknown_id_is_absent(
    start_neptune: Start, neptune_provider: NeptuneProvider, log: CallLog
) -> None:
    start_neptune()

    observation = neptune_provider.describe(neptune_endpoint("nobody"))

    assert observation.status is Status.ABSENT
    assert log.calls() == ["neptunedata:GetMLEndpoint"]


def test_neptune_describe_gives_the_failure_reason_when_the_endpoint_failed(
    start_neptune: Start, neptune_provider: NeptuneProvider, clock: VirtualClock
) -> None:
    scenario = {"outcome": "Failed", "failureReason": "not enough ml.g4dn capacity"}
    start_neptune(scenario, neptune_request(TRAINING_PARAMS))
    neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, creations(neptune_provider, REQUEST_ID))

    clock.advance(NEPTUNE_CREATE_SECONDS)
    observation = neptune_provider.describe(neptune_endpoint())

    assert observation.status is Status.FAILED
    assert observation.provider_status == "Failed"
    assert observation.reason == "not enough ml.g4dn capacity"
    assert observation.arn == ARN.format("graph-ep")


def test_neptune_describe_is_ready_after_create_seconds(
    start_neptune: Start, neptune_provider: NeptuneProvider, clock: VirtualClock
) -> None:
    start_neptune(request=neptune_request(TRAINING_PARAMS))
    neptune_provider.create(dict(TRAINING_PARAMS), REQUEST_ID, creations(neptune_provider, REQUEST_ID))

    clock.advance(NEPTUNE_CREATE_SECONDS - 1)
    assert neptune_provider.describe(neptune_endpoint()).provider_status == "Creating"
    clock.advance(1)
    observation = neptune_provider.describe(neptune_endpoint())

    assert (observation.status, observation.provider_status) == (Status.READY, "InService")
    assert observation.reason is None


def test_neptune_delete_targets_is_the_endpoint(neptune_provider: NeptuneProvider) -> None:
    assert neptune_provider.delete_targets({"id": "x"}) == [Resource(kind="ml-endpoint", id="x")]


# -- lost answers: the call takes effect, then the answer is an error ------------------------------
def test_an_applied_fault_takes_effect_before_its_error(start_aml: Start, log: CallLog) -> None:
    emulator = start_aml(
        {
            "faults": [
                {"operation": "CreateRealtimeEndpoint", "error": "InternalServerException", "applied": True}
            ]
        },
        aml_request(),
    )
    client = aws.client("machinelearning")

    with pytest.raises(ClientError, match="InternalServerException"):
        client.create_realtime_endpoint(MLModelId=MODEL)

    assert emulator.remaining() == {"realtimeEndpoints": [MODEL]}
    assert log.calls() == ["machinelearning:CreateRealtimeEndpoint"]


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_read_timeout_waits_the_clients_read_timeout_and_may_have_taken_effect(
    start_neptune: Start, clock: VirtualClock, log: CallLog, applied: bool
) -> None:
    from botocore.exceptions import ReadTimeoutError

    from controller.aws import READ_TIMEOUT_SECONDS

    scenario = {"faults": [{"operation": "CreateMLEndpoint", "error": "ReadTimeout", "applied": applied}]}
    emulator = start_neptune(scenario, neptune_request(TRAINING_PARAMS))
    before = clock.now()

    with pytest.raises(ReadTimeoutError):
        aws.client("neptunedata").create_ml_endpoint(**TRAINING_PARAMS)

    assert clock.now() - before == READ_TIMEOUT_SECONDS
    assert log.calls() == ["neptunedata:CreateMLEndpoint"]
    assert emulator.remaining() == {"endpoints": ["graph-ep"] if applied else []}
