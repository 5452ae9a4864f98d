"""The base of a simulated service that moto lacks: a small stateful HTTP service on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
from contextlib import ExitStack
from typing import Any, ClassVar
from urllib.parse import urlsplit

from endpointctl.sim import validation
from endpointctl.sim.base import SimulatorBase
from endpointctl.sim.calls import CallLog
from endpointctl.sim.faults import Fault, FaultPlan, json_error, raise_read_timeout
from endpointctl.sim.scenario import ServiceScenario
from endpointctl.sim.timeline import Fleet, Timeline
from endpointctl.sim.virtual_clock import VirtualClock

#: The header that tells an emulator which execution calls (it answers on threads of its own).
EXECUTION_HEADER = "X-Endpointctl-Execution"
#: Marks the call a read-timeout fault makes take effect: already logged, its fault already taken.
_FAULTS_TAKEN = "X-Endpointctl-Faults-Taken"


class Emulator(SimulatorBase):
    """A small stateful HTTP service on 127.0.0.1 (an ephemeral port) for a service moto lacks.

    It reads the scenario keys every service shares (``createSeconds``, ``outcome``,
    ``deleteSeconds``, ``deleteOutcome``, ``missingPrerequisites``, ``faults``); subclasses set
    the defaults and implement ``handle``. botocore reaches it through the standard per-service
    variable (``AWS_ENDPOINT_URL_<SERVICE_ID>``), so the real serializers and parsers run on both
    sides, and each request carries the calling execution in :data:`EXECUTION_HEADER`.
    """

    #: The botocore service id of its clients, as botocore's event names spell it (hyphenated).
    client_service = ""
    Scenario: ClassVar[type[ServiceScenario]] = ServiceScenario
    #: The service's word for a ready endpoint (the scenario's ``outcome`` for success).
    ready_word = "READY"
    #: The error code the service answers a request its model refuses with (``sim/validation.py``).
    validation_error = validation.VALIDATION

    def __init__(self, scenario: Any, clock: VirtualClock, log: CallLog) -> None:
        super().__init__(scenario, clock, log)
        given = self.scenario
        self.create_seconds = given.createSeconds
        self.delete_seconds = given.deleteSeconds
        self.ok = given.outcome == self.ready_word
        self.delete_ok = given.deleteOutcome == "Deleted"
        self.missing = given.missingPrerequisites
        self.faults = FaultPlan(given.faults)
        self.fleet = Fleet(clock)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()

    # -- the Simulator protocol -------------------------------------------------------------------
    @property
    def endpoint_variable(self) -> str:
        """The SDK's per-service endpoint variable (``AWS_ENDPOINT_URL_MACHINE_LEARNING``)."""
        return "AWS_ENDPOINT_URL_" + self.client_service.upper().replace("-", "_")

    def serve(self, stack: ExitStack) -> dict[str, str]:
        self.start()
        stack.callback(self.stop)
        return {self.endpoint_variable: self.url}

    def install(self, stack: ExitStack) -> None:
        """Tag each SDK request with the calling execution (the runner resets the default session)."""
        import boto3

        log = self.log

        def tag(request: Any, **kwargs: Any) -> None:
            if log.execution:
                request.headers[EXECUTION_HEADER] = log.execution

        session = boto3.DEFAULT_SESSION
        assert session is not None, "the runner sets up boto3's default session first"
        session.events.register(f"request-created.{self.client_service}", tag)
        session.events.register(f"before-send.{self.client_service}", self._read_timeout)

    def terminal_times(self, execution: str) -> list[float]:
        return self.fleet.terminal_times(execution)

    # -- the endpoints' lives -------------------------------------------------------------------
    def start_creating(self, endpoint_id: str, execution: str | None) -> None:
        """The endpoint is created now and reaches the scenario's outcome after createSeconds."""
        self.fleet.endpoints[endpoint_id] = Timeline(
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

    # -- the API: faults first, then the subclass's answer ----------------------------------------
    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], str]:
        """One HTTP request: logged, failed as the scenario says (after taking effect, for an
        ``applied`` fault), checked against the service's model (botocore's: a request it refuses
        is answered with :attr:`validation_error` and takes no effect), else answered by
        :meth:`answer`."""
        lowered = {k.lower(): v for k, v in headers.items()}
        operation, target = self.route(method, path, lowered)
        execution = lowered.get(EXECUTION_HEADER.lower())
        logged = None
        if _FAULTS_TAKEN.lower() not in lowered:  # a read timeout's own call logs itself
            logged = self.log.record(f"{self.service}:{operation}", execution)
        fault = None
        if _FAULTS_TAKEN.lower() not in lowered:  # a read timeout is the client's (_read_timeout)
            fault = self.faults.take_if(operation, lambda f: not f.is_read_timeout)
        if fault is not None and logged is not None:
            self.log.failed(logged, fault.error)
        if fault is not None and not fault.applied:
            return self.error(fault)
        refused = validation.refusal(
            self.service,
            operation,
            validation.request_params(self.service, operation, path, headers, body),
            code=self.validation_error,
        )
        if refused is not None:  # the service's model refuses it: nothing takes effect
            if logged is not None and fault is None:
                self.log.failed(logged, refused.code)
            return self.error(fault or refused.fault(operation), None if fault else refused.message)
        answer = self.answer(operation, target, method, path, body, execution)
        return self.error(fault) if fault is not None else answer

    def route(self, method: str, path: str, headers: dict[str, str]) -> tuple[str, str]:
        """The API operation a request calls, and the resource it names (if the path does)."""
        raise NotImplementedError

    def answer(
        self, operation: str, target: str, method: str, path: str, body: bytes, execution: str | None
    ) -> tuple[int, dict[str, str], str]:
        """The service's answer to a call that the scenario does not fail."""
        raise NotImplementedError

    def error(self, fault: Fault, message: str | None = None) -> tuple[int, dict[str, str], str]:
        """An error response in the service's protocol."""
        return json_error(fault, message)

    def _read_timeout(self, request: Any, event_name: str, **kwargs: Any) -> None:
        """``before-send``: a ``ReadTimeout`` fault, on the client's side as the SDK sees it. The
        call is logged; an ``applied`` one takes effect in the service; then the client waits its
        read timeout (virtual time) and gives up."""
        operation = event_name.rsplit(".", 1)[-1]
        fault = self.faults.take_if(operation, lambda f: f.is_read_timeout)
        if fault is None:
            return
        self.log.record(f"{self.service}:{operation}", self.log.execution, error=fault.error)
        if fault.applied:
            parts = urlsplit(request.url)
            # The SDK's prepared headers may hold bytes; the service sees text.
            headers = {
                str(k): v.decode() if isinstance(v, bytes) else str(v)
                for k, v in dict(request.headers).items()
            } | {_FAULTS_TAKEN: "1"}
            body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
            with self.lock:
                self.handle(
                    request.method, parts.path + (f"?{parts.query}" if parts.query else ""), headers, body
                )
        raise_read_timeout(self.clock, request.url)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body are two writes: with Nagle's algorithm on, the body waits
            # for the client's delayed ACK of the headers (~40 ms on loopback, at every call).
            disable_nagle_algorithm = True

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
            target=self._server.serve_forever,
            # shutdown() waits up to one poll interval (0.5 s by default): once per world
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, at once: ``shutdown()`` returns when ``serve_forever`` next looks at its
        flag, which a connection made now makes it do (else up to a poll interval later, at
        the end of every world)."""
        server, self._server = self._server, None
        if server is None:
            return
        stopping = threading.Thread(target=server.shutdown, daemon=True)
        stopping.start()
        with contextlib.suppress(OSError):
            socket.create_connection(server.server_address[:2], timeout=1).close()
        stopping.join()
        server.server_close()
