"""The functions' log lines in CloudWatch Logs, as Lambda writes them, in the served world: what
``endpointctl logs`` reads there as it reads AWS.

Lambda sends what a function logs to its log group (``LoggingConfig.LogGroup``; by default
``/aws/lambda/<name>``), in a stream per execution environment, each invocation framed by Lambda's
``START``, ``END`` and ``REPORT`` lines. moto's Lambda neither keeps ``LoggingConfig`` nor runs code;
here:

- :func:`keep_logging_config` makes moto's Lambda keep a function's ``LoggingConfig`` (from
  ``CreateFunction``, ``UpdateFunctionConfiguration`` and CloudFormation) and answer it in
  ``GetFunctionConfiguration`` as Lambda does (``LogFormat`` ``Text``, and the default group when
  none is set);
- :class:`FunctionLogs` captures the records the controller's Powertools logger emits while a
  handler runs, in the thread that runs it (executions run concurrently), formatted by that logger's
  own formatter (the very JSON line it writes to stdout, which goes on as before), and writes them
  between Lambda's framing lines into the function's log group when the invocation ends, in one
  stream per function (one warm execution environment);
- :func:`keys_per_invocation` gives each thread its own Powertools keys, so that a line carries
  the ``step`` and ``execution_arn`` of its own invocation, not of one running beside it.

Not simulated: output that is not the logger's (``print``, the metrics' EMF lines) is not captured,
and the writes are not authorized against the function's role (``logs:CreateLogStream`` and
``logs:PutLogEvents`` on its group, which ``infra/function.py`` grants).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from endpointctl.template import ACCOUNT, REGION

LOG = logging.getLogger("endpointctl.served")


def logging_config(function: Any) -> dict[str, str]:
    """A function's ``LoggingConfig`` as ``GetFunctionConfiguration`` answers it."""
    given = getattr(function, "logging_config", None) or {}
    answer = {
        "LogFormat": str(given.get("LogFormat") or "Text"),
        "LogGroup": str(given.get("LogGroup") or f"/aws/lambda/{function.function_name}"),
    }
    if answer["LogFormat"] == "JSON":
        answer["ApplicationLogLevel"] = str(given.get("ApplicationLogLevel") or "INFO")
        answer["SystemLogLevel"] = str(given.get("SystemLogLevel") or "INFO")
    return answer


def keep_logging_config(stack: ExitStack) -> None:
    """moto's Lambda keeps and answers ``LoggingConfig`` (see the module's docstring)."""
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_cfn = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def init(function: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original_init(function, account_id, spec, region, version)
        function.logging_config = dict(spec.get("LoggingConfig") or {})

    def create_from_cloudformation_json(
        cls: Any, name: str, template: dict[str, Any], *args: Any, **kw: Any
    ) -> Any:
        function = original_cfn(cls, name, template, *args, **kw)
        function.logging_config = dict(template.get("Properties", {}).get("LoggingConfig") or {})
        return function

    def update_configuration(function: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            function.logging_config = dict(updates["LoggingConfig"] or {})
        return dict(original_update(function, updates))

    def get_configuration(function: Any, on_create: bool = False) -> dict[str, Any]:
        return {**original_get(function, on_create), "LoggingConfig": logging_config(function)}

    patch = mock.patch.object
    stack.enter_context(patch(LambdaFunction, "__init__", init))
    stack.enter_context(
        patch(LambdaFunction, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json))
    )
    stack.enter_context(patch(LambdaFunction, "update_configuration", update_configuration))
    stack.enter_context(patch(LambdaFunction, "get_configuration", get_configuration))


def keys_per_invocation(stack: ExitStack) -> None:
    """Each thread its own Powertools keys (``append_keys``, ``clear_state``): an invocation's
    lines carry its own ``step`` and ``execution_arn``, as in Lambda, where concurrent invocations
    run in execution environments of their own, not one process whose logger they share."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    local = threading.local()

    def get(formatter: Any) -> dict[str, Any]:
        mine: dict[int, dict[str, Any]] = local.__dict__.setdefault("formats", {})
        if id(formatter) not in mine:  # the keys the formatter was made with
            mine[id(formatter)] = dict(formatter.__dict__.get("log_format") or {})
        return mine[id(formatter)]

    def put(formatter: Any, value: dict[str, Any]) -> None:
        formatter.__dict__.setdefault("log_format", value)
        local.__dict__.setdefault("formats", {})[id(formatter)] = value

    stack.enter_context(
        mock.patch.object(LambdaPowertoolsFormatter, "log_format", property(get, put), create=True)
    )


class _Capture(logging.Handler):
    """Keeps the records of the thread's current invocation, as the logger's own handler formats them."""

    def __init__(self, local: threading.local, logger: logging.Logger) -> None:
        super().__init__()
        self._local = local
        self._logger = logger

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self._local, "lines", None)
        if lines is None:
            return
        own = next((h.formatter for h in self._logger.handlers if h is not self and h.formatter), None)
        try:
            text = own.format(record) if own is not None else record.getMessage()
        except Exception:  # what the logger's own handler would make of it is its business
            text = record.getMessage()
        lines.append((int(record.created * 1000), text))


class FunctionLogs:
    """The handlers' log lines, written to their functions' log groups (see the module's docstring)."""

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        self._local = threading.local()
        self._streams: dict[str, str] = {}

    def install(self, stack: ExitStack) -> None:
        import controller.handlers  # noqa: F401  (its Powertools Logger adds its own handler first)
        from controller import catalog

        keep_logging_config(stack)
        keys_per_invocation(stack)
        logger = logging.getLogger(catalog.CONTROLLER.service_name)
        capture = _Capture(self._local, logger)
        logger.addHandler(capture)
        stack.callback(logger.removeHandler, capture)

    @contextmanager
    def invocation(self, function_name: str) -> Iterator[None]:
        """The handler runs in the block; its lines go to the function's log group after it."""
        previous = getattr(self._local, "lines", None)
        lines: list[tuple[int, str]] = []
        self._local.lines = lines
        started = time.time()
        try:
            yield
        finally:
            self._local.lines = previous
            self._write(function_name, started, time.time(), lines)

    def _write(self, name: str, started: float, ended: float, lines: list[tuple[int, str]]) -> None:
        from moto.awslambda.utils import get_backend
        from moto.logs.models import logs_backends

        request_id = _request_id(lines)
        took = (ended - started) * 1000
        try:
            with self.lock:
                function = get_backend(ACCOUNT, REGION).get_function(name)
                group = logging_config(function)["LogGroup"]
                memory = getattr(function, "memory_size", 128)
                events = [
                    (int(started * 1000), f"START RequestId: {request_id} Version: $LATEST\n"),
                    *((stamp, text.rstrip("\n") + "\n") for stamp, text in lines),
                    (int(ended * 1000), f"END RequestId: {request_id}\n"),
                    (
                        int(ended * 1000),
                        f"REPORT RequestId: {request_id}\tDuration: {took:.2f} ms\t"
                        f"Billed Duration: {math.ceil(took)} ms\tMemory Size: {memory} MB\n",
                    ),
                ]
                backend = logs_backends[ACCOUNT][REGION]
                if group not in backend.groups:  # Lambda makes the default group on first use
                    backend.create_log_group(group, {})
                stream = self._stream(name)
                if stream not in backend.groups[group].streams:
                    backend.create_log_stream(group, stream)
                ordered = sorted(events, key=lambda event: event[0])
                backend.put_log_events(group, stream, [{"timestamp": t, "message": m} for t, m in ordered])
        except Exception:  # not a deployed function (or none any more): nothing to write to
            LOG.debug("no log group for %s's lines", name, exc_info=True)

    def _stream(self, name: str) -> str:
        """``2026/11/22/[$LATEST]<32 hex>``: Lambda's stream name, one per function here."""
        if name not in self._streams:
            day = datetime.now(UTC).strftime("%Y/%m/%d")
            self._streams[name] = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        return self._streams[name]


def _request_id(lines: list[tuple[int, str]]) -> str:
    """The invocation's request id, as the handler's Powertools lines carry it."""
    for _, text in lines:
        try:
            found = json.loads(text).get("function_request_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(found, str):
            return found
    return str(uuid.uuid4())
