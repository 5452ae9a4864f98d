"""What every simulated service shares: the scenario's faults, the call log, and HTTP errors."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

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


class ScenarioError(ValueError):
    """The scenario file is not usable."""


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


@dataclass
class CallLog:
    """Every call to the endpoint services, in order, with the execution that made it."""

    entries: list[tuple[str | None, str]] = field(default_factory=list)
    local: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def execution(self) -> str | None:
        return getattr(self.local, "execution", None)

    @execution.setter
    def execution(self, value: str | None) -> None:
        self.local.execution = value

    def record(self, call: str, execution: str | None = None) -> None:
        with self.lock:
            self.entries.append((execution or self.execution, call))

    def reassign(self, old: str, new: str | None) -> None:
        """Calls made on behalf of ``old`` (an event delivery) belong to ``new``."""
        with self.lock:
            self.entries = [(new if owner == old else owner, call) for owner, call in self.entries]

    def calls(self, execution: str | None = None) -> list[str]:
        return [call for owner, call in self.entries if execution is None or owner == execution]


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


class Emulator:
    """A small stateful HTTP service on 127.0.0.1 (an ephemeral port) for a service moto lacks.

    It reads the scenario keys every service shares (``createSeconds``, ``outcome``,
    ``deleteSeconds``, ``deleteOutcome``, ``missingPrerequisites``, ``faults``); subclasses set
    the defaults and implement ``handle``. botocore reaches it through the standard per-service
    ``AWS_ENDPOINT_URL_*`` variable, so the real serializers and parsers run on both sides.
    """

    service = ""
    default_create_seconds = 0.0
    default_delete_seconds = 0.0
    #: The service's word for a ready endpoint, then for a failed one.
    outcomes: tuple[str, str] = ("READY", "FAILED")

    def __init__(self, scenario: Any, clock: Any, log: CallLog) -> None:
        from endpointctl.sim import lifecycle

        if not isinstance(scenario, dict):
            raise ScenarioError(f"{self.service} must be an object")
        self.clock, self.log = clock, log
        self.create_seconds = number(scenario, self.service, "createSeconds", self.default_create_seconds)
        self.delete_seconds = number(scenario, self.service, "deleteSeconds", self.default_delete_seconds)
        self.ok = choice(scenario, self.service, "outcome", self.outcomes) == self.outcomes[0]
        self.delete_ok = choice(scenario, self.service, "deleteOutcome", ("Deleted", "Failed")) == "Deleted"
        self.missing = bool(scenario.get("missingPrerequisites", False))
        self.faults = FaultPlan(read_faults(scenario.get("faults"), self.service))
        self.fleet = lifecycle.Fleet(clock)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()

    def start_creating(self, endpoint_id: str, execution: str | None) -> None:
        """The endpoint is created now and reaches the scenario's outcome after createSeconds."""
        from endpointctl.sim import lifecycle

        self.fleet.endpoints[endpoint_id] = lifecycle.Timeline(
            create_at=self.clock.now(), create_seconds=self.create_seconds, ok=self.ok, execution=execution
        )

    def start_deleting(self, endpoint_id: str, execution: str | None) -> None:
        """The endpoint is gone (or failed to go) deleteSeconds from now; a second call is a no-op."""
        timeline = self.fleet.endpoints[endpoint_id]
        if timeline.delete_at is None:
            timeline.delete_at = self.clock.now()
            timeline.delete_seconds = self.delete_seconds
            timeline.delete_ok = self.delete_ok
            timeline.delete_execution = execution

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], str]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with emulator.lock:
                    status, headers, text = emulator.handle(self.command, self.path, dict(self.headers), body)
                data = text.encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=type(self).__name__, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def number(scenario: dict[str, Any], service: str, key: str, default: float) -> float:
    value = scenario.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{service}.{key} must be a number of seconds >= 0")
    return float(value)


def choice(scenario: dict[str, Any], service: str, key: str, allowed: tuple[str, ...]) -> str:
    value = scenario.get(key, allowed[0])
    if value not in allowed:
        raise ScenarioError(f"{service}.{key} must be one of {', '.join(allowed)}")
    return str(value)


def names(scenario: dict[str, Any], service: str, key: str) -> list[str]:
    existing = scenario.get("existing") or {}
    if not isinstance(existing, dict):
        raise ScenarioError(f"{service}.existing must be an object")
    value = existing.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{service}.existing.{key} must be an array of names")
    return list(value)


def request_document(request: Any) -> dict[str, Any] | None:
    """The request inside a bare request or an EventBridge event (for seeding prerequisites)."""
    document = request.get("detail") if isinstance(request, dict) and "detail-type" in request else request
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return None
    return document if isinstance(document, dict) else None
