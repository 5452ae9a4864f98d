"""The toy type's provider: its home in the functions' tree."""

from __future__ import annotations

from typing import Any, ClassVar

from controller.creations import Creations
from controller.providers.base import Creation, Observation, Provider, Resource, StateChange, Status
from controller.validation import FieldError
from tests.toy import ROW, service

_STATUS = {
    "CREATING": Status.CREATING,
    "READY": Status.READY,
    "FAILED": Status.FAILED,
    "DELETING": Status.DELETING,
}


class ToyProvider(Provider):
    endpoint_type: ClassVar[str] = "toy"
    service: ClassVar[str] = "toy"
    default_timeout_seconds: ClassVar[int] = 1200
    default_poll_seconds: ClassVar[int] = 10
    teardown_bound_seconds: ClassVar[int] = 600
    endpoint_kind: ClassVar[str] = "thing"

    def validate(self, action: str, params: Any) -> list[FieldError]:
        if not isinstance(params, dict):
            return [FieldError("params", "must be an object")]
        errors = [
            FieldError(f"params.{k}", "is not a field of a toy request")
            for k in sorted(set(params) - {"thingId"})
        ]
        thing = params.get("thingId")
        if not isinstance(thing, str) or not thing:
            errors.insert(0, FieldError("params.thingId", "is required (a non-empty string)"))
        return errors

    def create(self, params: dict[str, Any], request_id: str, created: Creations) -> Creation:
        thing = Resource(kind=self.endpoint_kind, id=str(params["thingId"]))
        client = service.client()
        if created.acquire(thing, lambda: client.describe_thing(thing.id) is not None):
            created.append(thing)
            return Creation(thing.id, self.describe(thing))
        status = client.create_thing(thing.id)
        created.append(thing)
        return Creation(thing.id, Observation(status=_STATUS[status], provider_status=status))

    def describe(self, resource: Resource) -> Observation:
        status = service.client().describe_thing(resource.id)
        if status is None:
            return Observation(status=Status.ABSENT)
        return Observation(status=_STATUS[status], provider_status=status, url=f"toy://{resource.id}")

    def delete(self, resource: Resource, *, owner: str | None, role_arn: str | None = None) -> None:
        service.client().delete_thing(resource.id)

    def read_state_change(self, event: dict[str, Any]) -> StateChange | None:
        detail = event.get("detail")
        if event.get("detail-type") != ROW["stateChanges"]["detailType"] or not isinstance(detail, dict):
            return None
        status = str(detail.get("status"))
        return StateChange(
            endpoint_id=str(detail.get("thingId")),
            status=_STATUS.get(status, Status.CREATING),
            provider_status=status,
        )


PROVIDER = ToyProvider
