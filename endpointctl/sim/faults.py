"""A scenario's ``faults``: the next ``count`` calls of an operation fail with the service's own
error code and the HTTP status the service answers it with (CONTRACT §3)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from endpointctl.sim.scenario import ScenarioError

#: HTTP status each service error code is answered with (400 unless listed).
HTTP_STATUS = {
    "ThrottlingException": 400,
    "Throttling": 400,
    "TooManyRequestsException": 429,
    "InternalFailure": 500,
    "InternalServerException": 500,
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
    operation: str
    error: str
    count: int = 1
    message: str | None = None
    status: int | None = None

    @property
    def http_status(self) -> int:
        return self.status or HTTP_STATUS.get(self.error, 400)


def read_faults(raw: Any, service: str) -> list[Fault]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ScenarioError(f"{service}.faults must be an array")
    faults = []
    for index, item in enumerate(raw):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("operation"), str)
            or not isinstance(item.get("error"), str)
        ):
            raise ScenarioError(f"{service}.faults[{index}] needs string 'operation' and 'error'")
        count = item.get("count", 1)
        if not isinstance(count, int) or count < 0:
            raise ScenarioError(f"{service}.faults[{index}].count must be a whole number")
        faults.append(
            Fault(item["operation"], item["error"], count, item.get("message"), item.get("httpStatus"))
        )
    return faults


class FaultPlan:
    """The scenario's ``faults`` of one service: the next ``count`` calls of an operation fail."""

    def __init__(self, faults: list[Fault]) -> None:
        self._faults = faults
        self._lock = threading.Lock()

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation == operation and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None


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
