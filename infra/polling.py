"""How often each endpoint type is looked at while it is being created: the one place for it.

The fixed loop (Wait 30 s → Check → Choice, botocore's waiter cadence) costs three billed state
transitions per look and up to 30 s of delay. Instead:

- the first look comes after the type's typical *minimum* creation time (no endpoint of that
  type is ready sooner, so earlier looks are wasted), cut to the request's timeout;
- then the Check step *retries itself* while the endpoint is still on its way (its error
  ``EndpointNotReady``), with Step Functions' native backoff: one billed transition per look
  instead of three, growing from ``interval`` by ``backoff_rate`` and capped at ``max_interval``.
  The cap bounds detection latency (≤ 30 s); the first look is jittered (up to 10 % earlier) so
  concurrent lifecycles do not poll a service in lockstep.

A request that sets ``options.pollIntervalSeconds`` gets exactly that fixed cadence instead.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Most looks a single Check state may make (Step Functions allows up to 99,999,999).
MAX_LOOKS = 100_000


@dataclass(frozen=True)
class PollPolicy:
    first_check_seconds: int
    interval_seconds: int
    backoff_rate: float
    max_interval_seconds: int


POLICIES: dict[str, PollPolicy] = {
    # Real-time endpoints provision instances and pull a container: rarely ready in under 2 min.
    "sagemaker": PollPolicy(
        first_check_seconds=110, interval_seconds=10, backoff_rate=1.5, max_interval_seconds=30
    ),
    # Amazon ML real-time endpoints come up in about a minute or two.
    "aml": PollPolicy(first_check_seconds=50, interval_seconds=5, backoff_rate=1.5, max_interval_seconds=30),
    # Neptune ML deploys a SageMaker endpoint underneath: at least as slow.
    "neptune": PollPolicy(
        first_check_seconds=110, interval_seconds=10, backoff_rate=1.5, max_interval_seconds=30
    ),
}
