"""Errors the lifecycle raises. Step Functions routes on their class names (``errorType``).

The first seven are the contract's error codes (docs/requests.md#the-outcome; their list lives in the catalog). ``TransientServiceError`` is internal:
the state machine retries it with capped exponential backoff and full jitter, and an exhausted
retry ends as ``ProviderError``.

A raised error's message is a JSON document (``message``, ``fields``, ``created``) so the next
state can tell which fields were broken and what the failed step had already created.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from controller import catalog


class ControllerError(Exception):
    """Base class: a failure with a contract error code."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        fields: Sequence[str] = (),
        created: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = list(fields)
        self.created = list(created)

    @property
    def code(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        body: dict[str, Any] = {"message": self.message}
        if self.fields:
            body["fields"] = self.fields
        if self.created:
            body["created"] = self.created
        return json.dumps(body, separators=(",", ":"))


class InvalidRequest(ControllerError):
    """The request broke the API's rules; ``fields`` names every broken field."""


class EndpointAlreadyExists(ControllerError):
    """An endpoint (or config) with that identifier exists and this request did not create it."""


class PrerequisiteNotFound(ControllerError):
    """The model, endpoint config or job the request names does not exist."""


class EndpointCreationFailed(ControllerError):
    """The service reported that the endpoint failed."""


class EndpointTimeout(ControllerError):
    """The endpoint was not ready within ``timeoutSeconds``."""


class ProviderError(ControllerError):
    """A service error that retries did not cure (limits, access denied, a rejected call)."""


class RollbackFailed(ControllerError):
    """The rollback itself failed; the notification names what is left."""


class EndpointNotOwned(ControllerError):
    """A delete (the deployment not allowing such deletes) or an update (without
    ``options.adopt``) names an endpoint this controller neither created nor adopted: it is left
    alone."""


class EndpointNotFound(ControllerError):
    """An update names an endpoint that does not exist: nothing is touched."""


class UpdateRolledBack(ControllerError):
    """The service rolled the update back: the endpoint serves its previous configuration (the
    new config this request created is deleted; the endpoint is kept)."""


class EndpointUpdateFailed(ControllerError):
    """After the update the endpoint is ``Failed`` or ``UpdateRollbackFailed``: nothing is deleted."""


class EndpointBusy(ControllerError):
    """Another operation on the same endpoint was still under way when this request's deadline
    passed: one of this controller's (its lease, ``controller.turns``), or one that is not (the
    service showed the endpoint busy, ``Provider.occupied``, e.g. an update made in the console).
    Nothing was touched."""


class QuotaExceeded(ControllerError):
    """The account's quota for the instances the request needs has no room for them: refused by
    the check before anything was created (``controller.quotas``), or by the service itself
    (``ResourceLimitExceeded``, another team having taken the room since), then rolled back."""


class TransientServiceError(ControllerError):
    """Throttling, a 5xx or eventual consistency: the state machine retries the step."""

    retryable = True


class ServiceThrottled(TransientServiceError):
    """The service throttled the call: the state machine retries the step longer than after other
    transient errors, since a burst (a thousand requests at once) queues behind the service's rate
    for minutes (``infra/state_machine.py``, ``RetryPolicy``)."""


class EndpointNotReady(ControllerError):
    """The endpoint is still being created: the Check step retries itself (adaptive polling)."""


#: Error codes of the contract (the table of docs/requests.md#the-outcome).
CONTRACT_CODES = catalog.CONTROLLER.error_codes

#: Failures that happen before anything is created: there is nothing to roll back.
NOTHING_CREATED = catalog.CONTROLLER.refusal_codes


class Failure(BaseModel):
    """A failure in contract terms: one of the error codes, a message, the broken fields."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    code: str
    message: str
    fields: list[str] = []

    @classmethod
    def of(cls, error: ControllerError) -> Failure:
        return cls(code=error.code, message=error.message, fields=error.fields)


def parse_cause(cause: str | None) -> dict[str, Any]:
    """Read the Step Functions ``Cause`` of a caught Lambda error back into its JSON body.

    The cause is the Lambda's error payload (``errorMessage``, ``errorType``, ...); the message of
    a :class:`ControllerError` is itself JSON. Anything else becomes ``{"message": cause}``.
    """
    if not cause:
        return {"message": ""}
    try:
        payload = json.loads(cause)
    except ValueError:
        return {"message": cause}
    if isinstance(payload, dict) and "errorMessage" in payload:
        message = payload["errorMessage"]
        try:
            inner = json.loads(message)
        except (TypeError, ValueError):
            return {"message": str(message)}
        return inner if isinstance(inner, dict) and "message" in inner else {"message": str(message)}
    if isinstance(payload, dict) and "message" in payload:
        return payload
    return {"message": cause}


def caught(error: dict[str, Any] | None) -> Failure | None:
    """The failure a ``Catch`` recorded (``{"Error", "Cause"}``), in contract terms."""
    if not error:
        return None
    name = str(error.get("Error", ""))
    body = parse_cause(error.get("Cause"))
    message = str(body.get("message", ""))
    if name in CONTRACT_CODES:
        return Failure(code=name, message=message, fields=body.get("fields") or [])
    if name in ("TransientServiceError", "ServiceThrottled"):
        return Failure(code="ProviderError", message=f"retries exhausted: {message}")
    return Failure(code="ProviderError", message=f"{name}: {message}".strip(": "))
