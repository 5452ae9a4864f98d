"""Neptune ML inference endpoints through the ``neptunedata`` API (``CreateMLEndpoint``).

The client talks to the cluster's endpoint (``NEPTUNE_ENDPOINT``; the function runs in the
cluster's VPC). Neptune ML keeps no tags, so ownership is the controller's claim on the endpoint
id (``controller.ownership``), which is why an id is always sent. ``CreateMLEndpoint`` with
``update: true`` changes an existing endpoint in place: that is ``action: update`` (the update
path, which acts on an endpoint as an update does), never a create, which refuses it.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from controller import aws
from controller.creations import Creations
from controller.errors import EndpointNotFound, EndpointUpdateFailed, PrerequisiteNotFound
from controller.providers.base import Change, Creation, Observation, Provider, Resource, Status
from controller.validation import FieldError, check_operation

ENDPOINT = "ml-endpoint"
MODEL_NAMES = ("rgcn", "kge", "transe", "distmult", "rotate")
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+(\.[a-z0-9-]+)+$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
KMS_KEY = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/-]+|[0-9a-f-]{36}|alias/[\w/-]+)$"
)
NOT_FOUND = ("MLResourceNotFoundException", "ResourceNotFoundException")

_STATUS = {"inservice": Status.READY, "failed": Status.FAILED, "deleting": Status.DELETING}


def normalize(status: str) -> Status:
    """The normalized status of ``GetMLEndpoint``'s free-form ``status``."""
    return _STATUS.get(status.replace(" ", "").replace("_", "").lower(), Status.CREATING)


def derived_id(request_id: str) -> str:
    """The endpoint id a request that names none gets: the same for every attempt of the request
    (so a retry after a lost answer finds the endpoint it made), letters, digits and hyphens."""
    return "mlep-" + hashlib.sha256(request_id.encode()).hexdigest()[:24]


def _client() -> Any:
    return aws.client("neptunedata", endpoint_url=os.environ.get("NEPTUNE_ENDPOINT") or None)


def _rules(params: dict[str, Any]) -> list[FieldError]:
    """Rules of the CreateMLEndpoint documentation that the service model does not carry."""
    errors = []
    jobs = [k for k in ("mlModelTrainingJobId", "mlModelTransformJobId") if params.get(k) is not None]
    if len(jobs) != 1:
        problem = "give exactly one of mlModelTrainingJobId and mlModelTransformJobId"
        errors += [FieldError(f"params.{k}", problem) for k in (jobs or ["mlModelTrainingJobId"])]
    for key in jobs + (["id"] if "id" in params else []):
        if isinstance(params.get(key), str) and not params[key].strip():
            errors.append(FieldError(f"params.{key}", "must not be empty"))
    # Each rule runs only on a value of the right type: a wrong type is the model check's finding.
    checks: list[tuple[str, type, Any, str]] = [
        ("modelName", str, lambda v: v in MODEL_NAMES, f"must be one of {', '.join(MODEL_NAMES)}"),
        ("instanceCount", int, lambda v: v >= 1, "must be at least 1"),
        ("instanceType", str, INSTANCE_TYPE.match, "must be an ml.* instance type (ml.m5.xlarge)"),
        ("neptuneIamRoleArn", str, ROLE_ARN.match, "must be an IAM role ARN"),
        ("volumeEncryptionKMSKey", str, KMS_KEY.match, "must be a KMS key ARN, key id or alias"),
    ]
    for key, kind, ok, problem in checks:
        value = params.get(key)
        if isinstance(value, kind) and not isinstance(value, bool) and not ok(value):
            errors.append(FieldError(f"params.{key}", problem))
    return errors


class NeptuneProvider(Provider):
    """The ``neptune`` endpoint type."""

    endpoint_type: ClassVar[str] = "neptune"
    service: ClassVar[str] = "neptunedata"
    default_timeout_seconds: ClassVar[int] = 3600
    default_poll_seconds: ClassVar[int] = 30
    #: Neptune ML documents no creation time; its endpoints are SageMaker endpoints underneath, so
    #: the rollback waits as long as SageMaker's may (2.5 hours, see the SageMaker provider).
    teardown_bound_seconds: ClassVar[int] = 9000
    endpoint_kind: ClassVar[str] = ENDPOINT

    def validate(self, action: str, params: Any) -> list[FieldError]:
        if action == "delete":
            if not isinstance(params, dict):
                return [FieldError("params", "must be an object")]
            errors = [
                FieldError(f"params.{k}", "is not a field of a delete request")
                for k in sorted(set(params) - {"id"})
            ]
            endpoint_id = params.get("id")
            if not isinstance(endpoint_id, str) or not endpoint_id.strip():
                errors.insert(0, FieldError("params.id", "is required (a non-empty string)"))
            return errors
        errors = check_operation(params, "neptunedata", "CreateMLEndpoint")
        if isinstance(params, dict):
            errors += _rules(params)
        if action == "create" and isinstance(params, dict) and params.get("update") is True:
            # CreateMLEndpoint with update: true changes an endpoint that exists: as a create it
            # would change one the request neither made nor may touch, and report it as made.
            errors.append(
                FieldError(
                    "params.update",
                    "a create makes a new endpoint; an update is action: update (leave update out)",
                )
            )
        if action == "update" and isinstance(params, dict):
            endpoint_id = params.get("id")
            if not isinstance(endpoint_id, str) or not endpoint_id.strip():
                errors.insert(0, FieldError("params.id", "is required: the endpoint to update"))
            if params.get("update") is False:
                errors.append(FieldError("params.update", "an update sends update: true (leave it out)"))
        return errors

    # -- update: CreateMLEndpoint with update: true on an existing id ----------------------------
    supports_update: ClassVar[bool] = True

    def update(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        """``GetMLEndpoint`` reports no model of the endpoint, so success is ``InService`` after
        the update; a failure is reported and the endpoint never deleted (it is not this
        request's). An endpoint already on its way (``Updating``) is taken for this request's own
        earlier attempt, whose answer was lost: what was under way before the request's turn, it
        waited out there (``occupied``)."""
        endpoint = Resource(kind=ENDPOINT, id=str(params["id"]))
        observation = self.describe(endpoint)
        if observation.status is Status.ABSENT:
            raise EndpointNotFound(
                f"Neptune ML endpoint {endpoint.id} does not exist: there is nothing to update"
            )
        self._job_exists(params)
        job = str(params.get("mlModelTrainingJobId") or params.get("mlModelTransformJobId"))
        change = Change(previous=None, requested=job)
        if observation.status is Status.CREATING:
            return Creation(endpoint.id, observation, change=change)
        if observation.status is not Status.READY:
            raise EndpointUpdateFailed(
                f"Neptune ML endpoint {endpoint.id} is {observation.provider_status}: it cannot be updated"
            )
        response = _client().create_ml_endpoint(**{**params, "update": True})
        return Creation(
            endpoint.id,
            Observation(status=Status.CREATING, provider_status="Updating", arn=response.get("arn")),
            change=change,
        )

    def occupied(self, action: str, endpoint_id: str) -> str | None:
        """An update waits while ``GetMLEndpoint`` shows the endpoint on its way (``Creating``,
        ``Updating``: someone else's create or update) or ``Deleting``: ``update`` would take an
        update under way for its own lost attempt, and the service refuses an update of a busy
        endpoint. ``InService`` and ``Failed`` are for ``update`` to meet (it fails on the latter)."""
        if action != "update":
            return None
        observation = self.describe(Resource(kind=ENDPOINT, id=endpoint_id))
        if observation.status in (Status.CREATING, Status.DELETING):
            return observation.provider_status
        return None

    def _job_exists(self, params: dict[str, Any]) -> None:
        neptune = _client()
        if params.get("mlModelTrainingJobId"):
            job, operation = params["mlModelTrainingJobId"], neptune.get_ml_model_training_job
        else:
            job, operation = params["mlModelTransformJobId"], neptune.get_ml_model_transform_job
        try:
            operation(id=job)
        except ClientError as exc:
            if aws.error_code(exc) in NOT_FOUND:
                raise PrerequisiteNotFound(f"Neptune ML job {job} does not exist") from exc
            raise

    def create(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        neptune = _client()
        self._job_exists(params)
        endpoint = Resource(kind=ENDPOINT, id=self.endpoint_id("create", params) or derived_id(request_id))
        request = {**params, "id": endpoint.id}

        def exists() -> bool:
            return self.describe(endpoint).status is not Status.ABSENT

        # The id is always sent (derived from the request when it names none), and claimed first:
        # a retry after a lost answer finds its own endpoint instead of making another.
        if created.acquire(endpoint, exists):
            created.append(endpoint)
            return Creation(endpoint.id, self.describe(endpoint))
        response = neptune.create_ml_endpoint(**request)
        created.append(endpoint)
        return Creation(
            endpoint.id,
            Observation(status=Status.CREATING, provider_status="Creating", arn=response.get("arn")),
        )

    def describe(self, resource: Resource) -> Observation:
        try:
            response = _client().get_ml_endpoint(id=resource.id)
        except ClientError as exc:
            if aws.error_code(exc) in NOT_FOUND:
                return Observation(status=Status.ABSENT)
            raise
        endpoint = response.get("endpoint") or {}
        status = str(response.get("status") or endpoint.get("status") or "Unknown")
        return Observation(
            status=normalize(status),
            provider_status=status,
            arn=endpoint.get("arn"),
            reason=endpoint.get("failureReason"),
        )

    def delete(self, resource: Resource, *, owner: str | None, role_arn: str | None = None) -> None:
        try:
            _client().delete_ml_endpoint(id=resource.id, clean=False)
        except ClientError as exc:
            if aws.error_code(exc) not in NOT_FOUND:
                raise


PROVIDER = NeptuneProvider
