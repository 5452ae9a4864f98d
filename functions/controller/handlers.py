"""Lambda entry point: Powertools around one call. Each endpoint type's function runs this."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment
from aws_lambda_powertools.utilities.typing import LambdaContext

from controller.errors import ControllerError
from controller.lifecycle import EVENT_SOURCES, run_step


class _Untraced(BaseSegment):
    """A subsegment that records nothing: what X-Ray hands out while tracing is disabled."""

    def close(self, end_time: int | None = None) -> None:
        pass

    def add_subsegment(self, subsegment: Any) -> None:
        pass

    def remove_subsegment(self, subsegment: Any) -> None:
        pass

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        pass


class _NoTracing(BaseProvider):
    """The tracing provider while tracing is disabled (locally, in tests, ``POWERTOOLS_TRACE_DISABLED``).

    A disabled Tracer only ever gets dummy subsegments from the X-Ray SDK, so this provider does
    the same without importing the SDK (and, outside Lambda, creating its sampling client), which
    is most of the import time. With tracing on (deployed) the Tracer uses X-Ray as before.
    """

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _Untraced()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        yield _Untraced()

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


logger = Logger()
# Powertools' own rule decides whether tracing is off (env var, or not running in Lambda).
# Deployed, botocore is patched for X-Ray when the first client is made (controller.aws), not here.
tracer = Tracer(provider=_NoTracing()) if Tracer._is_tracer_disabled() else Tracer(auto_patch=False)
metrics = Metrics()
# Most steps (validate, create, a look that finds the endpoint still creating) have no metric to
# publish; by design, not a mistake worth a warning line in every cold start's log.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run the lifecycle step ``event["step"]`` and return the next state.

    A raised ``ControllerError`` is the state machine's to catch or retry (a contract code, a
    transient error, "not ready yet"): it is counted as ``HandledErrors``, which the Lambda-errors
    alarm subtracts from Lambda's ``Errors``. Metrics carry the invocation's start, as Lambda's do.
    """
    metrics.set_timestamp(datetime.now(UTC))
    try:
        return run_step(event)
    except ControllerError:
        endpoint_type = event.get("endpointType") or EVENT_SOURCES.get(str(event.get("source")))
        metrics.add_dimension(name="EndpointType", value=str(endpoint_type or "unknown"))
        metrics.add_metric(name="HandledErrors", unit=MetricUnit.Count, value=1)
        raise
