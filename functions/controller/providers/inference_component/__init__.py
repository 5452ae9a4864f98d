"""SageMaker inference components: models placed on an existing SageMaker endpoint, each with its
own copy count (docs/requests.md#inference-components). ``CreateInferenceComponent`` / ``DescribeInferenceComponent`` /
``UpdateInferenceComponent(RuntimeConfig)`` / ``DeleteInferenceComponent``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html and
its siblings).

- The endpoint is a prerequisite, never the controller's to touch here: it must exist and be
  ``InService`` (``PrerequisiteNotFound``); a rollback deletes the component only.
- Ownership as for SageMaker endpoints: what the controller creates carries
  ``ml-endpoint-controller:request-id`` and ``ml-endpoint-controller:stack`` (and the managed-by tag
  while there is room, 50 tags at most); an update of a component the controller did not create
  needs ``options.adopt``, which adds those tags (``adopt``).
- Readiness is polled (no events, no waiter): ``InService`` with every desired copy placed
  (``CurrentCopyCount == DesiredCopyCount``) is READY; ``InService`` with copies still being placed
  is on its way; ``Failed`` is FAILED with its ``FailureReason``; "Could not find inference
  component" is ABSENT. Looks at many components of one endpoint share one list (``looks.py``).
- Update and its verdict: ``update.py``; copy-count autoscaling kept across updates: ``scaling.py``.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from controller import aws, catalog, deployment
from controller.creations import Creations
from controller.errors import EndpointAlreadyExists, EndpointNotOwned, PrerequisiteNotFound
from controller.providers.base import (
    Creation,
    EndpointOutputs,
    NotOwned,
    Observation,
    Ownership,
    Provider,
    Resource,
    Status,
)
from controller.providers.inference_component import looks, rules, spec
from controller.providers.inference_component import scaling as autoscaling
from controller.providers.inference_component import update as updating
from controller.validation import FieldError

OWNER_TAG = catalog.CONTROLLER.owner_tag
STACK_TAG = catalog.CONTROLLER.stack_tag
MANAGED_TAG = catalog.CONTROLLER.managed_tag
MANAGED_VALUE = catalog.CONTROLLER.managed_value
COMPONENT = "inference-component"
MAX_TAGS = 50

_STATUS = {"InService": Status.READY, "Failed": Status.FAILED, "Deleting": Status.DELETING}


class InferenceComponentOutputs(EndpointOutputs):
    """Published with ``Endpoint Ready``: where the component runs and how many copies serve."""

    hostEndpointName: str
    variantName: str | None = None
    copyCount: int | None = None


def _is_missing(exc: ClientError) -> bool:
    # SageMaker answers a missing component (or endpoint) with a ValidationException whose message
    # is the only signal ("Could not find inference component ...").
    message = aws.error_message(exc).lower()
    return aws.error_code(exc) in ("ValidationException", "ResourceNotFound") and (
        "could not find" in message or "does not exist" in message
    )


def _url(endpoint: str) -> str:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return f"https://runtime.sagemaker.{region}.amazonaws.com/endpoints/{endpoint}/invocations"


class InferenceComponentProvider(Provider):
    """The ``inference-component`` endpoint type."""

    endpoint_type: ClassVar[str] = "inference-component"
    service: ClassVar[str] = "sagemaker"
    default_timeout_seconds: ClassVar[int] = 3600
    default_poll_seconds: ClassVar[int] = 30
    #: A rollback may wait for ``Creating`` to end: a component's ``StartupParameters`` allow up to
    #: 3,600 s each for the model download and the container's health check (botocore's model),
    #: then the delete itself: 2.5 hours, as for SageMaker endpoints.
    teardown_bound_seconds: ClassVar[int] = 9000
    endpoint_kind: ClassVar[str] = COMPONENT
    teardown_order: ClassVar[tuple[str, ...]] = (COMPONENT,)
    #: A rolling update's ``MaximumExecutionTimeoutInSeconds`` is at most 28,800 s.
    deployment_bound_seconds: ClassVar[int] = 28800
    supports_update: ClassVar[bool] = True

    def validate(self, action: str, params: Any) -> list[FieldError]:
        return rules.validate(action, params)

    # -- create ---------------------------------------------------------------------------------
    def create(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        name, endpoint_name = params["InferenceComponentName"], params["EndpointName"]
        component = Resource(kind=COMPONENT, id=name)
        # The name is claimed first: a retry after a lost answer finds what the lost call made.
        if created.acquire(component, lambda: self.described(name) is not None):
            created.append(component)
            return Creation(name, self.describe(component))
        self._require_endpoint(endpoint_name)
        request = {k: params[k] for k in params if k != "Tags"}
        request["Tags"] = self._tags(params.get("Tags", []), request_id)
        try:
            response = aws.client("sagemaker").create_inference_component(**request)
        except ClientError as exc:
            message = aws.error_message(exc).lower()
            if "already exist" in message:  # made since the claim, outside the controller
                raise EndpointAlreadyExists(
                    f"inference component {name} already exists and this request did not create it"
                ) from exc
            if "could not find" in message:  # the model, the endpoint or its variant
                raise PrerequisiteNotFound(f"{aws.error_message(exc)} (named by {name})") from exc
            raise
        created.append(component)
        looks.remember(name, endpoint_name)
        return Creation(
            name,
            Observation(
                status=Status.CREATING,
                provider_status="Creating",
                arn=response.get("InferenceComponentArn"),
                url=_url(endpoint_name),
            ),
        )

    def _require_endpoint(self, endpoint_name: str) -> None:
        try:
            endpoint = aws.client("sagemaker").describe_endpoint(EndpointName=endpoint_name)
        except ClientError as exc:
            if _is_missing(exc):
                raise PrerequisiteNotFound(
                    f"endpoint {endpoint_name} does not exist: an inference component needs one"
                ) from exc
            raise
        status = endpoint.get("EndpointStatus")
        if status != "InService":
            raise PrerequisiteNotFound(f"endpoint {endpoint_name} is {status}, not InService")

    @staticmethod
    def _tags(user_tags: list[dict[str, str]], request_id: str) -> list[dict[str, str]]:
        # As for endpoints: validation leaves room for the ownership and stack tags (48 of the
        # user's at most), and the managed-by tag is added while there is room.
        tags = list(user_tags)
        stack = deployment.stack_name()
        ours = [(OWNER_TAG, request_id)] + ([(STACK_TAG, stack)] if stack else [])
        for key, value in [*ours, (MANAGED_TAG, MANAGED_VALUE)]:
            if len(tags) < MAX_TAGS:
                tags.append({"Key": key, "Value": value})
        return tags

    # -- describe -------------------------------------------------------------------------------
    def described(self, name: str) -> dict[str, Any] | None:
        """``DescribeInferenceComponent`` of ``name`` (``None`` when there is no such component)."""
        try:
            found = dict(aws.client("sagemaker").describe_inference_component(InferenceComponentName=name))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        if found.get("EndpointName"):
            looks.remember(name, str(found["EndpointName"]))
        return found

    def describe(self, resource: Resource) -> Observation:
        summary = looks.on_its_way(resource.id)
        if summary is not None:  # the endpoint's list says it is still on its way
            status = str(summary["InferenceComponentStatus"])
            return Observation(
                status=Status.DELETING if status == "Deleting" else Status.CREATING,
                provider_status=status,
                arn=summary.get("InferenceComponentArn"),
                url=_url(str(summary.get("EndpointName"))),
            )
        found = self.described(resource.id)
        if found is None:
            return Observation(status=Status.ABSENT)
        return self.observation(found)

    @staticmethod
    def observation(found: dict[str, Any]) -> Observation:
        status = str(found.get("InferenceComponentStatus"))
        runtime = found.get("RuntimeConfig") or {}
        desired, current = runtime.get("DesiredCopyCount"), runtime.get("CurrentCopyCount")
        placing = status == "InService" and desired is not None and current != desired
        normalized = Status.CREATING if placing else _STATUS.get(status, Status.CREATING)
        endpoint = str(found.get("EndpointName"))
        return Observation(
            status=normalized,
            provider_status=f"{status} ({current} of {desired} copies)" if placing else status,
            arn=found.get("InferenceComponentArn"),
            url=_url(endpoint),
            reason=found.get("FailureReason"),
            outputs=InferenceComponentOutputs(
                hostEndpointName=endpoint, variantName=found.get("VariantName"), copyCount=current
            ),
            serving=spec.served(found),
            settling=placing,
        )

    # -- update (update.py) ---------------------------------------------------------------------
    def update(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        return updating.update(self, params, request_id, created)

    def settled_update(self, endpoint_id: str, execution_arn: str) -> list[str]:
        targets = updating.taken_off(execution_arn)
        if not targets:
            return []
        restored = autoscaling.restore(targets) if self.described(endpoint_id) is not None else []
        updating.put_back(execution_arn)
        return restored

    def occupied(self, action: str, endpoint_id: str) -> str | None:
        return updating.under_way(self.described(endpoint_id)) if action == "update" else None

    # -- ownership / delete ---------------------------------------------------------------------
    def _owner(self, arn: str) -> tuple[str | None, str | None]:
        response = aws.client("sagemaker").list_tags(ResourceArn=arn, MaxResults=100)
        tags = {str(t.get("Key")): str(t.get("Value")) for t in response.get("Tags", [])}
        return tags.get(OWNER_TAG), tags.get(STACK_TAG)

    @staticmethod
    def _another_stacks(stack: str | None) -> bool:
        mine = deployment.stack_name()
        return stack is not None and mine is not None and stack != mine

    def _arn(self, name: str) -> str | None:
        found = self.described(name)
        return str(found["InferenceComponentArn"]) if found is not None else None

    def ownership(self, resource: Resource) -> Ownership:
        arn = self._arn(resource.id)
        if arn is None:
            return Ownership.ABSENT
        owner, stack = self._owner(arn)
        if owner is None:
            return Ownership.NOT_OWNED
        return Ownership.OTHER_STACK if self._another_stacks(stack) else Ownership.OWNED

    def adopt(self, resource: Resource, request_id: str) -> None:
        """Tag the component as the controller's (only keys it lacks; idempotent), as SageMaker
        endpoints are adopted (``providers/sagemaker/adoption.py``)."""
        arn = self._arn(resource.id)
        if arn is None:
            return  # the update answers EndpointNotFound
        sagemaker = aws.client("sagemaker")
        present = {
            str(t.get("Key")) for t in sagemaker.list_tags(ResourceArn=arn, MaxResults=100).get("Tags", [])
        }
        stack = deployment.stack_name()
        wanted = [{"Key": OWNER_TAG, "Value": request_id}] if OWNER_TAG not in present else []
        if stack and STACK_TAG not in present:
            wanted.append({"Key": STACK_TAG, "Value": stack})
        if wanted and len(present) + len(wanted) > MAX_TAGS:
            raise EndpointNotOwned(
                f"inference component {resource.id} carries {len(present)} tags, and SageMaker allows "
                f"{MAX_TAGS}, so it cannot take the controller's ownership tags: remove some to adopt it"
            )
        if MANAGED_TAG not in present and len(present) + len(wanted) < MAX_TAGS:
            wanted.append({"Key": MANAGED_TAG, "Value": MANAGED_VALUE})
        if wanted:
            sagemaker.add_tags(ResourceArn=arn, Tags=wanted)

    def delete(self, resource: Resource, *, owner: str | None, role_arn: str | None = None) -> None:
        # Only the component: never its endpoint. The function's role deletes only what carries
        # the ownership tag (its IAM condition).
        sagemaker = aws.client_as("sagemaker", role_arn) if role_arn else aws.client("sagemaker")
        if owner is not None:
            arn = self._arn(resource.id)
            if arn is None:
                return
            found, stack = self._owner(arn)
            if found is not None and found != owner:
                raise NotOwned(f"{resource.label} belongs to request {found}")
            if self._another_stacks(stack):
                raise NotOwned(f"{resource.label} belongs to the controller's stack {stack}")
        try:
            sagemaker.delete_inference_component(InferenceComponentName=resource.id)
        except ClientError as exc:
            if not _is_missing(exc):
                raise
        looks.forget(resource.id)


PROVIDER = InferenceComponentProvider
