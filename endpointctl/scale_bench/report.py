"""What follows the scale bench's table: what was measured and how, what grows with N, the prices,
and the wall time with the machine's load."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from endpointctl.scale_bench import figures, plan
from endpointctl.scale_bench.figures import Growth, Row
from endpointctl.scale_bench.world import Measured, Wave

#: Detection latency that is more than this many virtual seconds later at scale than alone (p50
#: against the single run) is said to grow: adaptive polling looks at most 30 s apart and jitters
#: its first look, so one run alone lands anywhere in a window of about that width.
LATENCY_TOLERANCE = 10.0


@dataclass(frozen=True)
class Context:
    """What the footer says besides the rows."""

    n: int
    types: Sequence[str]
    wave: Wave
    alone: dict[tuple[str, str], Measured]
    rate_limits: dict[str, float] | None
    #: Why no rate limits were applied (when ``rate_limits`` is ``None``).
    no_limits: str
    memory_mb: dict[str, int]
    billed: dict[tuple[str, str], float]
    rows: list[Row]
    total_seconds: float
    #: The machine's load at the end, and before the bench started (``endpointctl.bench.load``).
    load: str
    load_before: str


def latency_growth(measured: Sequence[Measured], alone: dict[tuple[str, str], Measured]) -> list[Growth]:
    """Per kind and type, a p50 detection latency of the succeeded operations that is more than
    :data:`LATENCY_TOLERANCE` later than the operation's alone."""
    found = []
    for key, reference in alone.items():
        latencies = [
            m.latency
            for m in measured
            if (m.endpoint_type, m.kind) == key and m.outcome == "ok" and m.latency is not None
        ]
        p50 = figures.percentile(latencies, 50)
        if reference.latency is not None and p50 is not None and p50 > reference.latency + LATENCY_TOLERANCE:
            found.append(Growth(f"{key[1]} {key[0]}", "detection latency (s)", reference.latency, p50))
    return found


def _faults(wave: Wave) -> str:
    parts = [
        f"{endpoint_type} {fault['operation']} x{fault['count']} {fault['error']}"
        for endpoint_type, faults in wave.faults.items()
        for fault in faults
    ]
    return ", ".join(parts)


def _growth_lines(context: Context) -> list[str]:
    grown = figures.growth(context.wave.measured, context.alone)
    later = latency_growth(context.wave.measured, context.alone)
    lines = []
    if not grown:
        lines.append(
            "Compared with each kind alone (one at a time, measured first): no figure per succeeded "
            "operation grows with N (transitions, Lambda invocations, service calls, DynamoDB calls "
            f"each within {figures.TOLERANCE:g} of the operation alone)."
        )
    else:
        said = "; ".join(f"{g.label} {g.figure} {g.alone:g} alone → {g.here:.1f} here" for g in grown)
        lines.append(f"GROWS WITH N (per succeeded operation, against the operation alone): {said}.")
    for g in later:
        lines.append(
            f"Detection latency grows with N: {g.label} p50 {g.here:.1f} s here against {g.alone:.1f} s alone"
            + (
                " (inference components share their looks: a list fetched for another component serves a"
                " look, so a verdict may come one poll interval later; functions/controller/providers/"
                "inference_component/looks.py)."
                if g.label.endswith("inference-component")
                else "."
            )
        )
    return lines


def _lambda_lines(context: Context) -> list[str]:
    walls = [wall * 1000 for m in context.wave.measured for _, wall, _ in m.invocations]
    cpus = [cpu * 1000 for m in context.wave.measured for _, _, cpu in m.invocations]
    memory = sorted(set(context.memory_mb.values()))
    billed_ms = sorted(seconds * 1000 for seconds in context.billed.values())
    as_measured = figures.rows(context.wave.measured, context.memory_mb, context.types)[-1]
    lines = [
        f"Lambda: memory {', '.join(f'{m} MB' for m in memory)} (the template's MemorySize); each invocation is "
        "billed the median wall time of its kind's invocations alone, rounded up to 1 ms"
        + (f" ({billed_ms[0]:.1f} to {billed_ms[-1]:.1f} ms)." if billed_ms else ".")
    ]
    if walls:
        lines.append(
            f"Measured here, an invocation took {statistics.median(walls):.1f} ms of wall time (median; p95 "
            f"{figures.percentile(walls, 95) or 0:.1f} ms) but its thread's CPU only "
            f"{statistics.median(cpus):.1f} ms: the rest is queueing for the runner's shared locks (moto "
            "answers one request at a time, one GIL), which Lambda's separate sandboxes would not do; "
            f"billed on it, the GB-s per operation would be {as_measured.per(as_measured.gb_seconds):.3f}."
        )
    return lines


def outside_dollars(context: Context) -> float:
    """US dollars of what no measured execution did during the wave (:class:`world.Outside`), its
    invocations billed as the operations' are (the median of the kinds' billed seconds)."""
    outside = context.wave.outside
    seconds = statistics.median(context.billed.values()) if context.billed else 0.0
    gb_seconds = sum(
        figures.billed_gb_seconds([seconds], context.memory_mb.get(function, figures.LAMBDA_DEFAULT_MB))
        for function, *_ in outside.invocations
    )
    return figures.cost(
        transitions=0,
        invocations=len(outside.invocations),
        gb_seconds=gb_seconds,
        events=0,
        read_units=outside.read_units,
        write_units=outside.write_units,
    )


def _outside_line(context: Context) -> str:
    outside, count = context.wave.outside, len(context.wave.measured)
    what = Counter(label for *_, label in outside.invocations)
    said = ", ".join(f"{n} {label}" for label, n in what.most_common())
    dollars = outside_dollars(context)
    return (
        f"Outside any measured execution during the wave: {len(outside.invocations)} Lambda invocations"
        + (f" ({said})" if said else "")
        + f", {outside.service_calls} service calls and {outside.dynamodb_calls} DynamoDB calls: "
        f"${dollars:.6f} in all, ${dollars / count if count else 0:.7f} per operation on top of the table's "
        "(a sweep runs every 5 minutes per type whatever the load; a SageMaker deployment-phase event "
        "that resumes no execution is a phase already recorded; a Step Functions status change is a "
        "failed execution's end, which its type's clean-up looks at)."
    )


def _operations(count: int) -> str:
    return f"{count} operation" + ("" if count == 1 else "s")


def footer(context: Context) -> str:
    wave, overall = context.wave, context.rows[-1]
    setup = (
        f"a first wave of {wave.setup} creates, all together and not measured, made the endpoints the updates "
        "and deletes need"
        + (
            f" ({wave.setup_failed} of them failed: their operations are left out)"
            if wave.setup_failed
            else ""
        )
        if wave.setup
        else "no first wave was needed (no updates or deletes)"
    )
    eligible = sum(1 for m in wave.measured if m.kind in ("create", "update"))
    failing = sum(f["count"] for faults in wave.faults.values() for f in faults)
    lines = [
        "",
        f"Measured: the wave of {_operations(len(wave.measured))} above, started together at one virtual "
        f"moment in one simulated world (the local runner, the synthesized state machines of "
        f"{', '.join(context.types)}); before it, {setup}. Operation i is of type i mod "
        f"{len(context.types)} and of that type's kinds in turn; each names an endpoint of its own.",
        (
            f"Failing share: {failing} of the {eligible} creates and updates ({plan.FAILING_SHARE:.0%}), "
            f"refused at the call that asks the service for the change, with an error it documents for that "
            f"call (the scenario's faults, armed after the first wave): {_faults(wave)}. Each fails in its "
            "Create step and rolls back (RollBack? → Teardown, which finds nothing of its own yet) to Failed. "
            "Deletes are not failed."
            if failing
            else f"Failing share: none ({plan.FAILING_SHARE:.0%} of {eligible} creates and updates rounds to 0)."
        ),
    ]
    if context.rate_limits is not None:
        limits = ", ".join(f"{op} {rate:g}" for op, rate in sorted(context.rate_limits.items()))
        lines.append(f"Rate limits (sagemaker.rateLimits, calls per virtual second): {limits}.")
        throttled = Counter(call for m in wave.measured for call in m.throttled)
        lines.append(
            "Throttled calls by operation: "
            + (", ".join(f"{call} {count}" for call, count in throttled.most_common()) or "none")
            + "."
        )
    else:
        lines.append(f"Rate limits: none applied: {context.no_limits}.")
    lines += _growth_lines(context)
    lines.append(
        "Inference components: a list fetched for one component's look serves the others on its endpoint "
        "(one warm function's cache); the runner runs every invocation in one process, so they share "
        "more than Lambda's separate execution environments would: their calls per operation here are a "
        "best case."
    )
    lines += [
        f"Cost per operation: transitions x ${figures.STEP_FUNCTIONS_PER_TRANSITION:.6f} + invocations x "
        f"${figures.LAMBDA_PER_REQUEST:.7f} + GB-s x ${figures.LAMBDA_PER_GB_SECOND:.10f} + events x "
        f"${figures.EVENTBRIDGE_PER_EVENT:.6f} + read units x ${figures.DYNAMODB_PER_READ_UNIT:.9f} + write "
        f"units x ${figures.DYNAMODB_PER_WRITE_UNIT:.9f}: list prices, us-east-1, read {figures.PRICES_READ} "
        "(Step Functions Standard $0.025 per 1,000 state transitions; Lambda x86 $0.20 per 1M requests and "
        "$0.0000166667 per GB-second; EventBridge $1.00 per million custom events; DynamoDB on-demand $0.625 "
        "per million write and $0.125 per million read request units, after the November 2024 price cut). "
        "Not priced: SNS publishes, logs and metrics, the endpoints themselves.",
        *_lambda_lines(context),
        f"DynamoDB: {overall.per(overall.read_units):.1f} read and {overall.per(overall.write_units):.1f} write "
        "request units per operation, estimated from each call's size on the wire (a write: its request, a "
        "read: its answer; strongly consistent reads count whole).",
        _outside_line(context),
        f"Wall time: the measured wave took {wave.wall_seconds:.1f} s ({wave.virtual_seconds:.0f} virtual "
        f"seconds); the whole bench {context.total_seconds:.1f} s. Measured at {context.load} (at its start: "
        f"{context.load_before}; the bench's own runnable threads count in the load).",
    ]
    return "\n".join(lines)
