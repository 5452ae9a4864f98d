"""SageMaker real-time endpoints: ``CreateEndpoint`` (and, optionally, the endpoint config first).

Ownership: everything created here carries the tag ``ml-endpoint-controller:request-id`` with the
request id, so a retried create recognizes its own resources and a rollback never deletes a
resource of someone else's, even if asked to by a bug; and ``ml-endpoint-controller:stack`` with
its stack's name (``controller.deployment``), so that of two stacks in one account neither counts
the other's resources as its own (its IAM policy lets it update and delete only what carries its
own stack's tag, or no stack tag: a resource made before the tag existed).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from controller import aws, catalog, deployment, quotas
from controller.creations import Creations
from controller.errors import (
    EndpointAlreadyExists,
    EndpointBusy,
    PrerequisiteNotFound,
    QuotaExceeded,
    TransientServiceError,
)
from controller.providers.base import (
    Change,
    Creation,
    NotOwned,
    Observation,
    Ownership,
    Provider,
    Resource,
    StateChange,
    Status,
    Usage,
)
from controller.providers.sagemaker import adoption, components, held, instances, usage
from controller.providers.sagemaker import scaling as autoscaling
from controller.providers.sagemaker import update as updating
from controller.providers.sagemaker.events import reported_status, spelled
from controller.providers.sagemaker.rules import validate_create, validate_delete
from controller.validation import FieldError

OWNER_TAG = catalog.CONTROLLER.owner_tag
STACK_TAG = catalog.CONTROLLER.stack_tag
MANAGED_TAG = catalog.CONTROLLER.managed_tag
MANAGED_VALUE = catalog.CONTROLLER.managed_value
ENDPOINT = "endpoint"
CONFIG = "endpoint-config"

_STATUS = {
    "InService": Status.READY,
    "Failed": Status.FAILED,
    "UpdateRollbackFailed": Status.FAILED,
    "Deleting": Status.DELETING,
    # Creating, Updating, SystemUpdating, RollingBack, OutOfService: still on its way.
}


def normalize(endpoint_status: str) -> Status:
    """The normalized status of a ``DescribeEndpoint`` ``EndpointStatus``."""
    return _STATUS.get(endpoint_status, Status.CREATING)


def _is_missing(exc: ClientError) -> bool:
    # SageMaker answers a missing endpoint or config with a ValidationException whose message is
    # the only documented signal ("Could not find endpoint ...").
    return aws.error_code(exc) in ("ValidationException", "ResourceNotFound") and (
        "could not find" in aws.error_message(exc).lower()
        or "does not exist" in aws.error_message(exc).lower()
    )


class SageMakerProvider(Provider):
    """The ``sagemaker`` endpoint type."""

    endpoint_type: ClassVar[str] = "sagemaker"
    service: ClassVar[str] = "sagemaker"
    default_timeout_seconds: ClassVar[int] = 3600
    default_poll_seconds: ClassVar[int] = 30
    #: A rollback may first have to wait for ``Creating`` to end (SageMaker refuses to delete it
    #: before): the documented maxima of a variant's ``ModelDataDownloadTimeoutInSeconds`` and
    #: ``ContainerStartupHealthCheckTimeoutInSeconds`` are 3,600 s each (CreateEndpointConfig,
    #: ProductionVariant), then the delete itself (botocore's ``endpoint_deleted`` waiter allows
    #: 30 min): 2.5 hours.
    teardown_bound_seconds: ClassVar[int] = 9000
    endpoint_kind: ClassVar[str] = ENDPOINT
    #: A config goes after the endpoint that uses it, and never while any endpoint uses it.
    teardown_order: ClassVar[tuple[str, ...]] = (ENDPOINT, CONFIG)
    shared_kinds: ClassVar[tuple[str, ...]] = (CONFIG,)
    #: A deployment's longest run: ``MaximumExecutionTimeoutInSeconds`` is at most 28,800 s
    #: (UpdateEndpoint's BlueGreenUpdatePolicy, botocore's model).
    deployment_bound_seconds: ClassVar[int] = 28800

    # -- validation (providers/sagemaker/rules.py, update.py) -----------------------------------
    def validate(self, action: str, params: Any) -> list[FieldError]:
        if action == "delete":
            return validate_delete(params)
        if action == "update":
            return updating.validate_update(params)
        return validate_create(params)

    # -- create ---------------------------------------------------------------------------------
    def create(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        sagemaker = aws.client("sagemaker")
        name, config_name = params["EndpointName"], params["EndpointConfigName"]
        endpoint = Resource(kind=ENDPOINT, id=name)

        # The endpoint's name is claimed first: of two creates of one name, one goes on.
        if created.acquire(endpoint, lambda: self._endpoint_arn(name) is not None):
            created.append(endpoint)  # an earlier attempt made it (its answer may have been lost)
            return Creation(name, self.describe(endpoint))

        # The seed's advice: DescribeEndpointConfig before CreateEndpoint.
        if "EndpointConfig" in params:
            config_document: dict[str, Any] | None = params["EndpointConfig"]
        else:
            config_document = self._config(config_name)
            if config_document is None:
                raise PrerequisiteNotFound(f"endpoint configuration {config_name} does not exist")
        assert config_document is not None
        # Before anything is made: room in the account's instance quotas (instances.py).
        quotas.check(instances.SERVICE_CODE, instances.create_needs(config_document), held.held)
        if "EndpointConfig" in params:
            config = Resource(kind=CONFIG, id=config_name, endpoint=name)
            if not created.acquire(config, lambda: self._config_arn(config_name) is not None):
                self.create_config(params["EndpointConfig"], request_id)
            created.append(config)

        request: dict[str, Any] = {
            "EndpointName": name,
            "EndpointConfigName": config_name,
            "Tags": self._tags(params.get("Tags", []), request_id),
        }
        if "DeploymentConfig" in params:
            request["DeploymentConfig"] = params["DeploymentConfig"]
        try:
            response = sagemaker.create_endpoint(**request)
        except ClientError as exc:
            message = aws.error_message(exc).lower()
            if "already exist" in message:  # made since the claim: by hand, outside the controller
                raise EndpointAlreadyExists(
                    f"endpoint {name} already exists and this request did not create it"
                ) from exc
            if "could not find endpoint configuration" in message:
                # Eventual consistency right after the config was found or created (documented).
                raise TransientServiceError(
                    f"CreateEndpoint: endpoint configuration {config_name} not visible yet"
                ) from exc
            if aws.error_code(exc) == instances.LIMIT_EXCEEDED:  # the room was taken since the check
                raise QuotaExceeded(
                    f"CreateEndpoint: {aws.error_code(exc)}: {aws.error_message(exc)}"
                ) from exc
            raise
        created.append(endpoint)
        return Creation(
            name,
            Observation(
                status=Status.CREATING,
                provider_status="Creating",
                arn=response.get("EndpointArn"),
                url=self._url(name),
            ),
        )

    def create_config(self, inline: dict[str, Any], request_id: str) -> None:
        """``CreateEndpointConfig`` for an inline config, with the controller's tags."""
        try:
            aws.client("sagemaker").create_endpoint_config(
                **{**inline, "Tags": self._tags(inline.get("Tags", []), request_id)}
            )
        except ClientError as exc:
            # A missing model is documented only by the message ("Could not find model").
            if "could not find model" in aws.error_message(exc).lower():
                raise PrerequisiteNotFound(
                    f"{aws.error_message(exc)} (named by {inline.get('EndpointConfigName')})"
                ) from exc
            raise

    # -- update (providers/sagemaker/update.py) -------------------------------------------------
    supports_update: ClassVar[bool] = True

    def update(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        return updating.update(self, params, request_id, created)

    def settled_update(self, endpoint_id: str, execution_arn: str) -> list[str]:
        targets = updating.taken_off(execution_arn)
        if not targets:
            return []
        endpoint = self._described(endpoint_id)
        variants = {str(v.get("VariantName")) for v in (endpoint or {}).get("ProductionVariants", [])}
        restored = autoscaling.restore(targets, variants, endpoint_id)
        updating.put_back(execution_arn)
        return restored

    def occupied(self, action: str, endpoint_id: str) -> str | None:
        # An update waits out someone else's operation (UpdateEndpoint would be refused).
        return updating.under_way(self._described(endpoint_id)) if action == "update" else None

    def replaced(self, change: Change) -> Resource | None:
        return Resource(kind=CONFIG, id=change.previous) if change.previous else None

    def users(self, resources: list[Resource]) -> dict[str, Usage]:
        return usage.users([r for r in resources if r.kind == CONFIG], _is_missing)

    def config_arn(self, config_name: str) -> str | None:
        return self._config_arn(config_name)

    def url(self, name: str) -> str:
        return self._url(name)

    def identity(self, resource: Resource) -> str:
        # SageMaker names are unique case-insensitively (its ARNs carry them in lower case).
        return resource.id.lower()

    @staticmethod
    def _tags(user_tags: list[dict[str, str]], request_id: str) -> list[dict[str, str]]:
        # SageMaker allows 50 tags; validation leaves room for the ownership and stack tags (48 of
        # the user's at most), and the managed-by tag is added while there is room.
        tags = list(user_tags)
        stack = deployment.stack_name()
        ours = [(OWNER_TAG, request_id)] + ([(STACK_TAG, stack)] if stack else [])
        for key, value in [*ours, (MANAGED_TAG, MANAGED_VALUE)]:
            if len(tags) < 50:
                tags.append({"Key": key, "Value": value})
        return tags

    def _config(self, config_name: str) -> dict[str, Any] | None:
        """``DescribeEndpointConfig``'s answer; ``None``: no such config."""
        try:
            return dict(aws.client("sagemaker").describe_endpoint_config(EndpointConfigName=config_name))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def _config_arn(self, config_name: str) -> str | None:
        try:
            return str(
                aws.client("sagemaker").describe_endpoint_config(EndpointConfigName=config_name)[
                    "EndpointConfigArn"
                ]
            )
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def _endpoint_arn(self, name: str) -> str | None:
        try:
            return str(aws.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointArn"])
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def _owner(self, arn: str) -> tuple[str | None, str | None]:
        """The resource's ownership tag (the request id) and its stack tag, each ``None`` if absent."""
        response = aws.client("sagemaker").list_tags(ResourceArn=arn, MaxResults=100)
        tags = {str(t.get("Key")): str(t.get("Value")) for t in response.get("Tags", [])}
        return tags.get(OWNER_TAG), tags.get(STACK_TAG)

    @staticmethod
    def _another_stacks(stack: str | None) -> bool:
        """A stack tag that names another stack than this function's (none: made before the tag)."""
        mine = deployment.stack_name()
        return stack is not None and mine is not None and stack != mine

    @staticmethod
    def _url(name: str) -> str:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        return f"https://runtime.sagemaker.{region}.amazonaws.com/endpoints/{name}/invocations"

    # -- describe / delete ----------------------------------------------------------------------
    def describe(self, resource: Resource) -> Observation:
        sagemaker = aws.client("sagemaker")
        try:
            if resource.kind == CONFIG:
                # Whether an endpoint uses it is ``users``'s (every endpoint of the region, usage.py).
                config = sagemaker.describe_endpoint_config(EndpointConfigName=resource.id)
                return Observation(
                    status=Status.READY, provider_status="Exists", arn=config["EndpointConfigArn"]
                )
            endpoint = sagemaker.describe_endpoint(EndpointName=resource.id)
        except ClientError as exc:
            if _is_missing(exc):
                return Observation(status=Status.ABSENT)
            raise
        status = str(endpoint["EndpointStatus"])
        return Observation(
            status=normalize(status),
            provider_status=status + updating.deployment_phase(endpoint.get("PendingDeploymentSummary")),
            arn=endpoint.get("EndpointArn"),
            url=self._url(resource.id),
            reason=endpoint.get("FailureReason"),
            serving=endpoint.get("EndpointConfigName"),
            settling=bool(endpoint.get("PendingDeploymentSummary")),
        )

    def _described(self, name: str) -> dict[str, Any] | None:
        """``DescribeEndpoint`` of endpoint ``name`` (``None`` when there is no such endpoint)."""
        try:
            return dict(aws.client("sagemaker").describe_endpoint(EndpointName=name))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def ownership(self, resource: Resource) -> Ownership:
        arn = (self._config_arn if resource.kind == CONFIG else self._endpoint_arn)(resource.id)
        if arn is None:
            return Ownership.ABSENT
        owner, stack = self._owner(arn)
        if owner is None:
            return Ownership.NOT_OWNED
        return Ownership.OTHER_STACK if self._another_stacks(stack) else Ownership.OWNED

    def adopt(self, resource: Resource, request_id: str) -> None:
        adoption.tag(resource.id, request_id)  # the ownership tags (providers/sagemaker/adoption.py)

    def delete(self, resource: Resource, *, owner: str | None, role_arn: str | None = None) -> None:
        # The function's role deletes only what carries the ownership tag (its IAM condition).
        sagemaker = aws.client_as("sagemaker", role_arn) if role_arn else aws.client("sagemaker")
        if owner is not None:
            arn = (self._config_arn if resource.kind == CONFIG else self._endpoint_arn)(resource.id)
            if arn is None:
                return
            found, stack = self._owner(arn)
            if found is not None and found != owner:
                raise NotOwned(f"{resource.label} belongs to request {found}")
            if self._another_stacks(stack):
                raise NotOwned(f"{resource.label} belongs to the controller's stack {stack}")
        try:
            if resource.kind == CONFIG:
                sagemaker.delete_endpoint_config(EndpointConfigName=resource.id)
            else:
                sagemaker.delete_endpoint(EndpointName=resource.id)
        except ClientError as exc:
            if not _is_missing(exc):
                raise

    def delete_targets(self, params: dict[str, Any]) -> list[Resource]:
        name = params["EndpointName"]
        hosted = components.owned_on(name)  # never delete an endpoint under the controller's components
        if hosted:
            raise EndpointBusy(
                f"endpoint {name} still hosts inference components this controller created "
                f"({', '.join(hosted)}): delete them first (endpointType inference-component)"
            )
        targets = [Resource(kind=ENDPOINT, id=name)]
        if params.get("DeleteEndpointConfig"):
            config = self.live_config(name)
            if config:
                targets.append(Resource(kind=CONFIG, id=config))
        return targets

    def live_config(self, name: str) -> str | None:
        """The endpoint config endpoint ``name`` runs on (``None`` when there is no endpoint)."""
        endpoint = self._described(name)
        config = endpoint.get("EndpointConfigName") if endpoint else None
        return str(config) if config else None

    # -- state-change events (providers/sagemaker/events.py) -------------------------------------
    def read_state_change(self, event: dict[str, Any]) -> StateChange | None:
        """The endpoint and status a ``SageMaker Endpoint State Change`` or ``SageMaker Endpoint
        Deployment State Change`` event reports (either casing; a deployment's phase as
        ``DescribeEndpoint``'s reads: ``Updating (Baking)``); ``None`` for any other event."""
        changes = catalog.get(self.endpoint_type).state_changes
        if changes is None or not changes.matches(event.get("source"), event.get("detail-type")):
            return None
        detail = event.get("detail")
        if not isinstance(detail, dict) or not isinstance(detail.get("EndpointName"), str):
            return None
        status = spelled(str(detail.get("EndpointStatus") or ""))
        tags = detail.get("Tags")
        owner = tags.get(OWNER_TAG) if isinstance(tags, dict) else None
        return StateChange(
            endpoint_id=detail["EndpointName"],
            status=Status.ABSENT if status == "Deleted" else normalize(status),
            provider_status=reported_status(detail),
            owner=str(owner) if owner is not None else None,
        )


PROVIDER = SageMakerProvider
