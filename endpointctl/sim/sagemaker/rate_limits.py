"""SageMaker's API rate limits (``sagemaker.rateLimits``): ``{"DescribeEndpoint": 10, ...}``, calls
per virtual second per operation, above which the simulated SageMaker answers
``ThrottlingException`` (HTTP 400, "Rate exceeded"), as AWS's APIs answer a caller over their rate.

The limit is a sliding one-second window on the world's virtual clock: a call of a limited
operation is admitted while fewer than its rate of that operation's calls were admitted in the
virtual second before it (the calls at ``now - 1`` or earlier no longer count); otherwise it is
throttled. A throttled call counts for nothing (AWS's token buckets spend no token on a refusal).
Rates are whole numbers of calls, 1 or more. Virtual time moves only while every execution sleeps,
so the calls one Lambda invocation makes all fall in the same instant: a rate of 1 lets a step make
one call of the operation, and its next call is throttled until a retry comes a second later.

A throttle takes the scenario's ``faults`` path (``SageMakerSim.install``): the call is in the call
log as failed with ``ThrottlingException``, before the model's checks and before any fault, so the
controller's retries meet a real throttle. Every call to the simulated SageMaker counts, whoever
makes it; the throttled ones are counted per operation (:attr:`RateLimits.throttled`).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from functools import cache

from endpointctl.sim.faults import Fault

THROTTLED = "ThrottlingException"
MESSAGE = "Rate exceeded"
#: The window a rate counts calls in, in virtual seconds.
WINDOW = 1.0


@cache
def operations() -> frozenset[str]:
    """SageMaker's operations, as botocore's model names them."""
    from endpointctl.sim.validation import service_model

    return frozenset(service_model("sagemaker").operation_names)


class RateLimits:
    """The scenario's rates, and the calls each admitted within the last virtual second."""

    def __init__(self, rates: Mapping[str, int], now: Callable[[], float]) -> None:
        self.rates = dict(rates)
        self._now = now
        self._admitted: dict[str, deque[float]] = {}
        #: Throttled calls, per operation.
        self.throttled: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, operation: str) -> Fault | None:
        """The throttle that answers this call of ``operation``, if it is over the rate (else the
        call is admitted and counted)."""
        rate = self.rates.get(operation)
        if rate is None:
            return None
        with self._lock:
            now = self._now()
            window = self._admitted.setdefault(operation, deque())
            while window and window[0] <= now - WINDOW:
                window.popleft()
            if len(window) >= rate:
                self.throttled[operation] += 1
                return Fault(operation, THROTTLED, message=MESSAGE)
            window.append(now)
            return None
