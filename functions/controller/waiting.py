"""The waiting policy, function side: how long each wait between two looks at the endpoint is.

The numbers (the first look after a type's typical minimum creation time, the Check step's
self-retry backoff and its cap, the event fallback's period) are the deployment's, set in
``infra/polling.py`` and sent to ``validate`` in its payload. This module turns them into the
request's options and into the ``wait`` each step leaves for the state machine's Wait states and
task timeouts:

- a request that sets ``pollIntervalSeconds`` gets that fixed cadence (Wait → Check → Choice);
- otherwise polling is *adaptive*: the first look comes after ``firstCheckSeconds`` (jittered up to
  10 % later so concurrent lifecycles do not poll a service in lockstep), then Check retries
  itself with Step Functions' backoff;
- and when the type's service announces status changes, a create waits for the event instead,
  looking for itself every ``eventFallbackSeconds`` in case an event is lost.

Every wait is cut short by the request's deadline.
"""

from __future__ import annotations

import math
import random

from controller import clock
from controller.providers.base import Provider
from controller.request import Options
from controller.state import ResolvedOptions
from controller.step_event import StepEvent
from controller.validation import FieldError

#: Step Functions fails an execution at 25,000 history events, uncatchably
#: (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Measured in the
#: runner, one look of a Wait → Task → Choice loop adds 9 events (Wait entered/exited; Task
#: entered, scheduled, started, succeeded, exited; Choice entered/exited), so the loops are bounded
#: by looks: a create's fixed-cadence wait at most ``MAX_FIXED_LOOKS`` (18,000 events; validation
#: refuses a poll interval that would need more), a teardown and a repeat's wait for the first
#: execution at most ``MAX_LOOP_LOOKS`` each (4,500 events: their cadence is stretched instead,
#: since no request chose it). With the steps, retries and publishing around them, a lifecycle stays
#: below ~23,000 events whatever its options (a look that fails transiently is a look, not a retry).
MAX_FIXED_LOOKS = 2000
MAX_LOOP_LOOKS = 500


def next_wait(poll_seconds: int, deadline: float) -> int:
    """Seconds until the next look: the poll interval, cut short by the deadline (at least 1)."""
    return max(1, min(poll_seconds, math.ceil(deadline - clock.now())))


def loop_wait(poll_seconds: int, span_seconds: float, deadline: float) -> int:
    """The wait of a loop that may last ``span_seconds`` (a teardown, a repeat waiting for the first
    execution): the poll interval, stretched so the loop looks at most ``MAX_LOOP_LOOKS`` times."""
    return next_wait(max(poll_seconds, math.ceil(span_seconds / MAX_LOOP_LOOKS)), deadline)


def bounds(options: ResolvedOptions) -> list[FieldError]:
    """A fixed cadence that would look more than ``MAX_FIXED_LOOKS`` times before the timeout."""
    if options.adaptive:
        return []
    poll = max(1, options.pollIntervalSeconds)
    looks = math.ceil(options.timeoutSeconds / poll)
    if looks <= MAX_FIXED_LOOKS:
        return []
    shortest = math.ceil(options.timeoutSeconds / MAX_FIXED_LOOKS)
    return [
        FieldError(
            "options.pollIntervalSeconds",
            f"at least {shortest} with timeoutSeconds {options.timeoutSeconds}: one execution looks at "
            f"most {MAX_FIXED_LOOKS} times (Step Functions' 25,000 history events); or leave it unset "
            f"for adaptive polling (got {options.pollIntervalSeconds})",
        )
    ]


def resolve(options: Options, action: str, provider: Provider, event: StepEvent) -> ResolvedOptions:
    """The request's options with the type's defaults (``provider``) and the deployment's
    (``event.defaults``, ``event.poll``) filled in."""
    resolved = ResolvedOptions(
        pollIntervalSeconds=options.pollIntervalSeconds
        if options.pollIntervalSeconds is not None
        else provider.default_poll_seconds,
        timeoutSeconds=options.timeoutSeconds
        or event.defaults.timeoutSeconds
        or provider.default_timeout_seconds,
        rollback=options.rollback,
        adaptive=options.pollIntervalSeconds is None,
        allowUnmanagedDeletes=event.deletes.allowUnmanaged,
        unmanagedDeleteRoleArn=event.deletes.roleArn or None,
        maxRetryIntervalSeconds=event.poll.maxIntervalSeconds,
        deleteReplacedConfig=options.deleteReplacedConfig,
        expiresAfterSeconds=options.expiresAfterSeconds,
        adopt=options.adopt or None,
    )
    fallback = event.poll.eventFallbackSeconds
    if resolved.adaptive and fallback > 0 and action in ("create", "update"):
        resolved.events, resolved.eventFallbackSeconds = True, fallback
    return resolved


def first_wait(options: ResolvedOptions, event: StepEvent, deadline: float) -> int:
    """The wait before the first look (``validate`` plans it; ``create`` uses it)."""
    first = event.poll.firstCheckSeconds or options.pollIntervalSeconds
    if not options.adaptive:
        return next_wait(options.pollIntervalSeconds, deadline)
    return next_wait(max(1, round(first * random.uniform(1.0, 1.1))), deadline)  # out of lockstep


def after_create(options: ResolvedOptions, planned: int, deadline: float) -> int:
    """The wait once the create is sent: the event fallback's period (the waiting task's timeout),
    the first look that ``validate`` planned (adaptive), or the fixed interval."""
    if options.events:
        interval = options.eventFallbackSeconds
    elif options.adaptive:
        interval = planned
    else:
        interval = options.pollIntervalSeconds
    return next_wait(interval, deadline)
