"""How a lifecycle watches an endpoint being created: the shared numbers and the policy's shape.

Each endpoint type's module (``infra/endpoint_types/<name>.py``) says when its first look comes;
this module owns what every type shares. The fixed loop (Wait 30 s → Check → Choice, botocore's
waiter cadence) costs three billed state transitions per look and up to 30 s of delay. Instead:

- the first look comes after the type's typical *minimum* creation time (no endpoint of that
  type is ready sooner, so earlier looks are wasted), cut to the request's timeout, and jittered
  (up to 10 % later) so concurrent lifecycles do not poll a service in lockstep;
- then the Check step *retries itself* while the endpoint is still on its way (its error
  ``EndpointNotReady``), with Step Functions' native backoff: one billed transition per look
  instead of three, growing from ``interval`` by ``backoff_rate`` and capped at ``max_interval``.
  The cap bounds detection latency (≤ 30 s).

A type whose service publishes state-change events (its catalog row's ``stateChanges``) does not
poll: its lifecycle parks a task token and an EventBridge rule resumes it (see
``infra/state_machine.py``). Events can be lost or late, so the waiting task still times out every
``EVENT_FALLBACK_SECONDS`` (cut to the request's deadline) and looks for itself once, then waits
again: one billed transition per fallback look. 15 minutes keeps even a one-hour creation within
3 fallback looks (≤ 12 transitions in all) while a lost event delays the outcome by 15 minutes at
most.

A request that sets ``options.pollIntervalSeconds`` gets exactly that fixed cadence instead
(Wait → Check → Choice, the classic loop), for every type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Most looks a single Check state may make (Step Functions allows up to 99,999,999).
MAX_LOOKS = 100_000
#: With state-change events: how long the waiting task waits before it looks for itself
#: (context ``eventFallbackSeconds``).
EVENT_FALLBACK_SECONDS = 900
#: How often the sweep carries the clean-ups on (functions/controller/steps/cleanup.py): an
#: execution stopped while its endpoint is still being created is cleaned up within this long of
#: the moment the service lets the endpoint go; one Lambda invocation per type each time (8,640 a
#: month), a single DynamoDB read when nothing is pending.
SWEEP_MINUTES = 5


@dataclass(frozen=True)
class PollPolicy:
    first_check_seconds: int
    interval_seconds: int
    backoff_rate: float
    max_interval_seconds: int


def backoff_after(first_check_seconds: int) -> PollPolicy:
    """The shared shape after the first look: 10, 15, 22.5, then every 30 s. Six looks cover the
    first two minutes past the first one; from then on the loop costs one transition per 30 s
    instead of three."""
    return PollPolicy(first_check_seconds, interval_seconds=10, backoff_rate=1.5, max_interval_seconds=30)


def with_overrides(
    base: PollPolicy, *, first_check_seconds: int | None, max_interval_seconds: int
) -> PollPolicy:
    """A type's policy with a deployment's overrides (context ``<type>FirstCheckSeconds``,
    ``maxPollIntervalSeconds``)."""
    return replace(
        base,
        first_check_seconds=first_check_seconds or base.first_check_seconds,
        max_interval_seconds=max_interval_seconds,
    )
