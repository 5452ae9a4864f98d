"""The runner calls handlers on threads at once, where Lambda runs one invocation per process at a
time: Powertools' one metric set per process must not fail an invocation for that
(endpointctl/runner/invoke.py)."""

from __future__ import annotations

import threading
import warnings
from contextlib import redirect_stdout
from io import StringIO

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from endpointctl.runner import invoke


def test_flushes_and_additions_on_many_threads_at_once_never_fail() -> None:
    invoke._metrics_one_thread_at_a_time()
    metrics = Metrics(namespace="test", service="test")
    failures: list[BaseException] = []

    def invocation() -> None:
        try:
            for _ in range(300):
                metrics.add_dimension(name="EndpointType", value="sagemaker")
                metrics.add_metric(name="Polls", unit=MetricUnit.Count, value=1)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # another thread's flush took this one's metric
                    metrics.flush_metrics()
        except BaseException as exc:  # any failure is the finding
            failures.append(exc)

    threads = [threading.Thread(target=invocation) for _ in range(8)]
    with redirect_stdout(StringIO()):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []  # without the runner's lock: "Must contain at least one metric" and kin
