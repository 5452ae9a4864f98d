"""A scenario's ``faults``: the next ``count`` calls of an operation fail with the service's own
error code and the HTTP status the service answers it with (docs/local-runner.md)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from endpointctl.sim.scenario import FaultSpec

#: The SDK's read timeout (not a service error code): the client gave up waiting for the answer.
READ_TIMEOUT = "ReadTimeout"

#: HTTP status each service error code is answered with (400 unless listed).
HTTP_STATUS = {
    "ThrottlingException": 400,
    "Throttling": 400,
    "TooManyRequestsException": 429,
    "InternalFailure": 500,
    "InternalServerException": 500,
    "InternalFailureException": 500,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "AccessDeniedException": 400,
    "ResourceNotFound": 400,
    "ResourceNotFoundException": 400,
    "MLResourceNotFoundException": 404,
    "BadRequestException": 400,
    "ClientTimeoutException": 408,
}


@dataclass
class Fault:
    """An error to answer a call with (a scenario's fault, or the service's own refusal)."""

    operation: str
    error: str
    count: int = 1
    message: str | None = None
    status: int | None = None
    #: The call takes effect first; then its answer is the error (a lost response).
    applied: bool = False
    #: Only every ``every``-th call of the operation fails (the others pass): intermittent errors.
    every: int = 1
    seen: int = 0

    @property
    def is_read_timeout(self) -> bool:
        return self.error == READ_TIMEOUT

    @property
    def http_status(self) -> int:
        return self.status or HTTP_STATUS.get(self.error, 400)


class FaultPlan:
    """The scenario's ``faults`` of one service: the next ``count`` calls of an operation fail."""

    def __init__(self, specs: Iterable[FaultSpec] = ()) -> None:
        self._faults = [
            Fault(f.operation, f.error, f.count, f.message, f.httpStatus, f.applied, f.every) for f in specs
        ]
        self._lock = threading.Lock()

    def take(self, operation: str) -> Fault | None:
        return self.take_if(operation, lambda fault: True)

    def take_if(self, operation: str, wanted: Callable[[Fault], bool]) -> Fault | None:
        """The next fault of ``operation``, if it is ``wanted`` (counted then, else left)."""
        with self._lock:
            for fault in self._faults:
                if fault.operation == operation and fault.count > 0:
                    if not wanted(fault):
                        return None
                    fault.seen += 1
                    if fault.seen % fault.every:
                        return None  # this call passes
                    fault.count -= 1
                    return fault
        return None


def raise_read_timeout(clock: Any, url: str) -> None:
    """The SDK's read timeout: the client waits its ``read_timeout`` (the controller's client
    configuration, ``controller.aws``) in virtual time, then raises ``ReadTimeoutError`` (a
    ``BotoCoreError``: the controller cannot tell whether the call took effect)."""
    from botocore.exceptions import ReadTimeoutError

    from controller.aws import READ_TIMEOUT_SECONDS

    clock.sleep(READ_TIMEOUT_SECONDS)
    raise ReadTimeoutError(endpoint_url=url)


class ReadTimeoutPending(Exception):
    """A read timeout decided inside a service call that holds the runner's moto lock
    (``endpointctl.runner.moto_patches.serialize_requests``): the caller waits it out once the lock
    is released (:meth:`expire`). Waiting with the lock held would block every other execution's
    service calls, and with them the virtual clock, which moves only when all are asleep."""

    def __init__(self, clock: Any, url: str) -> None:
        super().__init__(url)
        self.clock, self.url = clock, url

    def expire(self) -> None:
        raise_read_timeout(self.clock, self.url)


def json_error(fault: Fault, message: str | None = None) -> tuple[int, dict[str, str], str]:
    """An AWS JSON-protocol error response for ``fault``."""
    text = message or fault.message or f"simulated {fault.error}"
    body = json.dumps({"__type": fault.error, "message": text, "Message": text})
    return (
        fault.http_status,
        {
            "status": str(fault.http_status),
            "x-amzn-ErrorType": fault.error,
            "content-type": "application/x-amz-json-1.1",
        },
        body,
    )


def error_code(headers: Any) -> str:
    """The error code an AWS JSON error answer's headers carry (``x-amzn-ErrorType``, in any case,
    without what follows a colon); empty when they carry none."""
    found = next((str(v) for k, v in dict(headers).items() if k.lower() == "x-amzn-errortype"), "")
    return found.split(":")[0]
