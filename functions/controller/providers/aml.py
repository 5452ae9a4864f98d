"""Amazon Machine Learning real-time endpoints: ``CreateRealtimeEndpoint`` on an ``MLModel``.

Amazon ML keeps no tags on endpoints, so ownership is the controller's claim on the model's
endpoint (``controller.ownership``): taken while ``GetMLModel`` said ``NONE``, before this request
asked for the endpoint. The
service exists only in us-east-1 and eu-west-1; the function's ``AML_REGION`` says which.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from controller import aws
from controller.creations import Creations
from controller.errors import PrerequisiteNotFound
from controller.providers.base import Creation, EndpointOutputs, Observation, Provider, Resource, Status
from controller.validation import FieldError, check_operation

ENDPOINT = "realtime-endpoint"

_STATUS = {"NONE": Status.ABSENT, "READY": Status.READY, "FAILED": Status.FAILED, "UPDATING": Status.CREATING}


def normalize(endpoint_status: str) -> Status:
    """The normalized status of ``EndpointInfo.EndpointStatus``."""
    return _STATUS.get(endpoint_status, Status.CREATING)


class AmlOutputs(EndpointOutputs):
    """Published with ``Endpoint Ready``: the endpoint's request capacity."""

    peakRequestsPerSecond: int


def _client() -> Any:
    return aws.client("machinelearning", region=os.environ.get("AML_REGION") or None)


class AmlProvider(Provider):
    """The ``aml`` endpoint type."""

    endpoint_type: ClassVar[str] = "aml"
    service: ClassVar[str] = "machinelearning"
    default_timeout_seconds: ClassVar[int] = 1800
    default_poll_seconds: ClassVar[int] = 15
    #: Amazon ML documents no creation time and deletes a real-time endpoint at once (no deleting
    #: status: ``NONE | READY | UPDATING | FAILED``); an hour covers an endpoint still ``UPDATING``.
    teardown_bound_seconds: ClassVar[int] = 3600
    endpoint_kind: ClassVar[str] = ENDPOINT

    def validate(self, action: str, params: Any) -> list[FieldError]:
        operation = "DeleteRealtimeEndpoint" if action == "delete" else "CreateRealtimeEndpoint"
        return check_operation(params, "machinelearning", operation)

    def create(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        model_id = params["MLModelId"]
        endpoint = Resource(kind=ENDPOINT, id=model_id)
        before = self._model(model_id)
        if before is None:
            raise PrerequisiteNotFound(f"MLModel {model_id} does not exist")

        looked = [before]  # the look just made is the claim's first look

        def exists() -> bool:
            found = (looked.pop() if looked else self._model(model_id)) or {}
            return bool(found.get("EndpointInfo", {}).get("EndpointStatus", "NONE") != "NONE")

        # The model's endpoint is claimed before CreateRealtimeEndpoint: a retry after a lost
        # answer (a 5xx or a timeout after the service acted) finds its own endpoint by the claim.
        if not created.acquire(endpoint, exists):
            response = _client().create_realtime_endpoint(MLModelId=model_id)
            info = response.get("RealtimeEndpointInfo") or {}
        else:
            info = (self._model(model_id) or {}).get("EndpointInfo") or {}
        created.append(endpoint)
        return Creation(model_id, self._observation(info))

    def _model(self, model_id: str) -> dict[str, Any] | None:
        try:
            return dict(_client().get_ml_model(MLModelId=model_id))
        except ClientError as exc:
            if aws.error_code(exc) == "ResourceNotFoundException":
                return None
            raise

    @staticmethod
    def _observation(info: dict[str, Any]) -> Observation:
        status = str(info.get("EndpointStatus", "NONE"))
        peak = info.get("PeakRequestsPerSecond")
        return Observation(
            status=normalize(status),
            provider_status=status,
            url=info.get("EndpointUrl"),
            outputs=AmlOutputs(peakRequestsPerSecond=peak) if isinstance(peak, int) and peak else None,
        )

    def describe(self, resource: Resource) -> Observation:
        model = self._model(resource.id)
        if model is None:
            return Observation(status=Status.ABSENT)
        observation = self._observation(model.get("EndpointInfo") or {})
        region = os.environ.get("AML_REGION") or os.environ.get("AWS_REGION", "us-east-1")
        account = os.environ.get("CONTROLLER_ACCOUNT_ID", "")
        arn = f"arn:aws:machinelearning:{region}:{account}:mlmodel/{resource.id}" if account else None
        return Observation(
            status=observation.status,
            provider_status=observation.provider_status,
            arn=arn,
            url=observation.url,
            outputs=observation.outputs,
        )

    def delete(self, resource: Resource, *, owner: str | None, role_arn: str | None = None) -> None:
        # No tags to check: the rollback only ever names what this execution created.
        try:
            _client().delete_realtime_endpoint(MLModelId=resource.id)
        except ClientError as exc:
            if aws.error_code(exc) != "ResourceNotFoundException":
                raise


PROVIDER = AmlProvider
