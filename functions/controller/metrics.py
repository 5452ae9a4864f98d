"""The lifecycle's EMF metrics, per stack and endpoint type (``infra/monitoring.py`` alarms and
graphs them).

They go into the handler's metric set (Powertools ``Metrics`` instances share one), flushed by its
``log_metrics`` decorator. The ``EndpointType`` dimension, and the stack's (``StackName``, the
function's CloudFormation stack, ``controller.deployment``), come before any metric: two stacks in
one account share the namespace and Powertools' ``service`` dimension (the product's name, set
once for every stack: it also names the logs' service), so only the stack's dimension keeps
staging's counts out of prod's alarms. Every metric carries the same set of dimensions, so the
alarms' metric math (failed executions minus refusals, errors minus handled errors) subtracts the
same stack's counts.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from controller import catalog, clock, deployment
from controller.outcome import Detail

metrics = Metrics()


def _dimension(endpoint_type: str | None) -> None:
    metrics.add_dimension(name="EndpointType", value=str(endpoint_type or "unknown"))
    stack = deployment.stack_name()
    if stack is not None:
        metrics.add_dimension(name=catalog.CONTROLLER.stack_dimension, value=stack)


def count(name: str, endpoint_type: str | None) -> None:
    """One of ``Polls``, ``ResumedByEvent``, ``StateChangeEventsIgnored``, ``HandledErrors``."""
    _dimension(endpoint_type)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def outcome(detail: Detail) -> None:
    """How a request ended: its status, its error code (``RollbackFailed`` counts rollback
    failures), whether it rolled back, and for a ready endpoint the time it took."""
    _dimension(detail.endpointType)
    metrics.add_metric(name=f"Endpoint{detail.status.title()}", unit=MetricUnit.Count, value=1)
    if detail.error is not None:
        metrics.add_metric(name=detail.error.code, unit=MetricUnit.Count, value=1)
    if detail.rollback is not None and detail.rollback.attempted:
        metrics.add_metric(name="Rollbacks", unit=MetricUnit.Count, value=1)
    if detail.status == "READY" and detail.startedAt:
        started = datetime.fromisoformat(detail.startedAt.replace("Z", "+00:00")).timestamp()
        metrics.add_metric(name="TimeToReadySeconds", unit=MetricUnit.Seconds, value=clock.now() - started)


def leftovers(endpoint_type: str | None, over_a_day: int) -> None:
    """What rollbacks and clean-ups left, still there after a day (each sweep says how many)."""
    _dimension(endpoint_type)
    metrics.add_metric(name="LeftoversOverADay", unit=MetricUnit.Count, value=over_a_day)
