"""``endpointctl bench --scale N``: what a platform team's busy morning costs, per operation.

N lifecycles at once in one simulated world (the local runner, the synthesized state machine of
every endpoint type deployed): a mix of every type and of creates, updates and deletes, a share of
them failing and rolling back, SageMaker's rate limits where its simulator takes them. It prints a
row per kind of operation (and one for all): how many succeeded, failed as intended or ran out of
retries against throttling, and per operation the billed state transitions, Lambda invocations and
GB-seconds, service calls (and throttled ones), DynamoDB calls, notifications, detection latency
(p50/p95) and the cost in US dollars; then what was measured and how, whether any figure per
operation grows with N (against each kind of operation alone, measured first), the prices and
their date, the wall time and the machine's load.

- :mod:`~endpointctl.scale_bench.plan`: the operations, the failing share, the rate limits;
- :mod:`~endpointctl.scale_bench.world`: running the waves, reading what each execution did;
- :mod:`~endpointctl.scale_bench.figures`: rows, percentiles, cost, the table (prices cited there);
- :mod:`~endpointctl.scale_bench.report`: the footer.

Step Functions runs every execution of a wave at once, and so does the runner: one thread per
execution and per running task, so a wave of 1,000 holds some 2,000 threads (about 0.5 GB); they
share one interpreter, so the wall time grows faster than N (:data:`TAKES`).
"""

from __future__ import annotations

import itertools
import sys
import time
from typing import Any, TextIO

from endpointctl.scale_bench import figures, plan, report, world

#: Roughly how long ``--scale N`` takes on a 2-core machine, in seconds, as measured with SageMaker's
#: rate limits applied (N → seconds: the whole command, the template cached, the machine otherwise
#: idle: N = 100 took 29 s, N = 1,000 724 s; throttled steps retried on the virtual clock are most
#: of it); :func:`takes` interpolates.
TAKES = ((1, 2), (10, 6), (100, 29), (1000, 730))


def takes(n: int) -> str:
    """``usually 15-30 s``: what :data:`TAKES` says for ``n`` (linear between its points), as a range."""
    points = list(TAKES)
    low = next(((a, b) for a, b in itertools.pairwise(points) if a[0] <= n <= b[0]), None)
    if low is None:
        (n0, s0), (n1, s1) = points[-2], points[-1]
    else:
        (n0, s0), (n1, s1) = low
    seconds = s0 + (s1 - s0) * (n - n0) / (n1 - n0)
    if n > points[-1][0]:
        seconds = s1 * (n / n1) ** 2  # beyond the last point: as fast as it grew before
    low_s, high_s = seconds * 0.7, seconds * 1.5
    if high_s < 120:
        return f"usually {low_s:.0f}-{high_s:.0f} s"
    return f"usually {low_s / 60:.0f}-{high_s / 60:.0f} minutes"


def main(
    template: dict[str, Any], n: int, *, out: TextIO | None = None, progress: TextIO | None = None
) -> str:
    """Print the table (on ``out``, standard output by default), after saying on ``progress``
    (standard error by default) what comes and roughly how long it takes; return the footer."""
    from endpointctl.bench import load
    from endpointctl.sim import simulators

    out = out or sys.stdout
    progress = progress or sys.stderr
    began, load_before = time.perf_counter(), load()
    operations = plan.plan(n)
    setups = sum(1 for op in operations if op.setup is not None)
    scenario = plan.scenario()
    first = f"a first wave of {setups} creates, then " if setups else ""
    print(
        f"running {n} lifecycle{'s' if n != 1 else ''} at once in one simulated world: first each kind of "
        f"operation alone, then {first}the measured wave of {n} ({takes(n)}) …",
        file=progress,
        flush=True,
    )
    alone = world.alone(template, operations, scenario)
    change_calls = {key: call for key, m in alone.items() if (call := plan.change_call(m.calls)) is not None}
    faults = plan.failing_faults(operations, change_calls)
    wave = world.scale(template, operations, scenario, faults)
    types = list(simulators())
    memory = figures.memory_of(template)
    billed = figures.billed_seconds(alone)
    rows = figures.rows(wave.measured, memory, types, billed)
    print(figures.table(rows), file=out, flush=True)
    limits = scenario.get("sagemaker", {}).get("rateLimits")
    return report.footer(
        report.Context(
            n=n,
            types=types,
            wave=wave,
            alone=alone,
            rate_limits=limits,
            no_limits=(
                "the simulated SageMaker's scenario has no rateLimits key yet (plan.SAGEMAKER_RATE_LIMITS "
                "is passed once it has)"
                if not plan.rate_limits_accepted()
                else "its scenario model refused plan.SAGEMAKER_RATE_LIMITS"
            ),
            memory_mb=memory,
            billed=billed,
            rows=rows,
            total_seconds=time.perf_counter() - began,
            load=load(),
            load_before=load_before,
        )
    )
