"""Lambda entry point: Powertools around one call. Each endpoint type's function runs this."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from controller.dispatch import run_step
from controller.tracing import NoTracing

logger = Logger()
# Powertools' own rule decides whether tracing is off (env var, or not running in Lambda).
# Deployed, botocore is patched for X-Ray when the first client is made (controller.aws), not here.
tracer = Tracer(provider=NoTracing()) if Tracer._is_tracer_disabled() else Tracer(auto_patch=False)
metrics = Metrics()
# Most steps (validate, create, a look that finds the endpoint still creating) have no metric to
# publish; by design, not a mistake worth a warning line in every cold start's log.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run the lifecycle step ``event["step"]`` and return the next state (``controller.dispatch``).
    Metrics carry the invocation's start, as Lambda's do."""
    metrics.set_timestamp(datetime.now(UTC))
    return run_step(event)
