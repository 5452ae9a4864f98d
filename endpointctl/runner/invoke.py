"""Calling the project's real Lambda handler in-process, as Lambda would.

moto's Lambda cannot run code without Docker, so the runner imports the handler the template
names and calls it with a Lambda context; an exception becomes Lambda's error payload
(``errorType``, ``errorMessage``, with ``x-amz-function-error``), whose ``errorType`` Step
Functions matches in ``Retry`` and ``Catch``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import uuid
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from controller import catalog
from endpointctl.template import ACCOUNT, REGION

#: Handler environment. Deployed functions get theirs from the template; moto does not apply it.
HANDLER_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_SERVICE_NAME": catalog.CONTROLLER.service_name,
    "POWERTOOLS_METRICS_NAMESPACE": catalog.CONTROLLER.metrics_namespace,
    "POWERTOOLS_TRACE_DISABLED": "1",
    "CONTROLLER_ACCOUNT_ID": ACCOUNT,
    "POWERTOOLS_LOG_LEVEL": "INFO",  # as deployed; the output goes to a sink unless verbose
    "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as deployed (infra/function.py)
}


@dataclass
class LambdaContext:
    """The Lambda context object the handlers' Powertools decorators read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@functools.cache
def _metrics_one_thread_at_a_time() -> None:
    """Powertools' metric set is one per process, as Lambda runs one invocation per process at a
    time; the runner runs invocations on threads at once, and one thread's flush could clear the
    set between another's check that it holds metrics and its serialization ("Must contain at
    least one metric", an error no deployed function can meet). The set's methods take one lock
    here (this process only: the deployed asset is untouched)."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    lock = threading.RLock()

    def locked(method: Any) -> Any:
        @functools.wraps(method)
        def under_lock(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return under_lock

    for name in (
        "add_metric",
        "add_dimension",
        "add_metadata",
        "serialize_metric_set",
        "flush_metrics",
        "clear_metrics",
    ):
        setattr(AmazonCloudWatchEMFProvider, name, locked(getattr(AmazonCloudWatchEMFProvider, name)))


def call_handler(function_name: str, event: dict[str, Any], response_headers: dict[str, str]) -> Any:
    """The handler's answer to ``event``: its result, or Lambda's error payload for an exception
    (``response_headers`` then gets ``x-amz-function-error``)."""
    from controller import handlers

    _metrics_one_thread_at_a_time()

    try:
        return handlers.handler(event, LambdaContext(function_name=function_name.rsplit(":", 1)[-1]))
    except Exception as exc:  # the Lambda runtime's error payload
        response_headers["x-amz-function-error"] = "Unhandled"
        return {"errorType": type(exc).__name__, "errorMessage": str(exc)}


def encode(answer: Any) -> bytes:
    return json.dumps(answer).encode()


def quiet_libraries(stack: ExitStack, loggers: tuple[str, ...], *, every_warning: bool = False) -> None:
    """Unless ``ENDPOINTCTL_VERBOSE`` is set: ``loggers`` say only what is critical (moto logs
    every failed state, and the controller's failure paths are expected), and Powertools' "No
    application metrics to publish" is not shown, for invocations that outlive the world's filters
    too (the handler module's own filter is lost with it); ``every_warning``: no warning at all
    while ``stack`` lasts."""
    if os.environ.get("ENDPOINTCTL_VERBOSE"):
        return
    for name in loggers:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    if every_warning:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
