"""The scale bench's arithmetic: rows per kind of operation, percentiles, cost, and the table.

Prices are public list prices in US dollars, us-east-1, as read on 2026-12-03:

- Step Functions Standard workflows: $0.025 per 1,000 state transitions
  (aws.amazon.com/step-functions/pricing); every state entered is billed, and a retry of a state
  again (what ``endpointctl bench`` counts, ``runner.results.history_counts``).
- Lambda (x86): $0.20 per 1M requests and $0.0000166667 per GB-second (aws.amazon.com/lambda/pricing);
  duration is billed per invocation rounded up to the millisecond, at the function's configured
  memory (the synthesized template's ``MemorySize``).
- EventBridge: $1.00 per million custom events published (aws.amazon.com/eventbridge/pricing); the
  notifications are custom events; the services' own state-change events on the default bus are free.
- DynamoDB on-demand: $0.625 per million write request units and $0.125 per million read request
  units (aws.amazon.com/dynamodb/pricing/on-demand, after the price cut of November 2024 that halved
  on-demand throughput prices; the figures as airbyte.com's DynamoDB pricing guide of July 2025
  quotes them for US East).

Not priced: SNS (one publish per notification; its first million a month are free), CloudWatch
logs and metrics, the endpoints themselves (instances dwarf all of the above).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from endpointctl.scale_bench.world import Measured

#: US dollars per unit, us-east-1, read on :data:`PRICES_READ` (the module's docstring cites them).
PRICES_READ = "2026-12-03"
STEP_FUNCTIONS_PER_TRANSITION = 0.025 / 1000
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667
EVENTBRIDGE_PER_EVENT = 1.00 / 1_000_000
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_PER_READ_UNIT = 0.125 / 1_000_000
#: Lambda's default memory, for a function whose template gives none.
LAMBDA_DEFAULT_MB = 128
#: The kinds of operation, in the table's order.
KINDS = ("create", "update", "delete")


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile by nearest rank (the smallest value with at least ``p`` % of the
    values at or below it); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def billed_gb_seconds(durations: Iterable[float], memory_mb: int) -> float:
    """GB-seconds Lambda bills for invocations of ``durations`` (each rounded up to 1 ms)."""
    milliseconds = sum(math.ceil(seconds * 1000) for seconds in durations)
    return milliseconds / 1000 * memory_mb / 1024


def cost(
    *,
    transitions: float,
    invocations: float,
    gb_seconds: float,
    events: float,
    read_units: float,
    write_units: float,
) -> float:
    """US dollars for these amounts at the list prices above."""
    return (
        transitions * STEP_FUNCTIONS_PER_TRANSITION
        + invocations * LAMBDA_PER_REQUEST
        + gb_seconds * LAMBDA_PER_GB_SECOND
        + events * EVENTBRIDGE_PER_EVENT
        + read_units * DYNAMODB_PER_READ_UNIT
        + write_units * DYNAMODB_PER_WRITE_UNIT
    )


@dataclass
class Row:
    """One kind of operation (``create sagemaker``), or all of them (``all``): totals."""

    label: str
    count: int = 0
    ok: int = 0
    intended: int = 0
    throttled: int = 0
    other: int = 0
    transitions: int = 0
    invocations: int = 0
    gb_seconds: float = 0.0
    calls: int = 0
    throttled_calls: int = 0
    dynamodb_calls: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    events: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, measured: Measured, memory_mb: dict[str, int], billed: float | None = None) -> None:
        """Count ``measured`` in; each of its invocations billed ``billed`` seconds (``None``: the
        wall time it took here)."""
        self.count += 1
        setattr(self, measured.outcome, getattr(self, measured.outcome) + 1)
        self.transitions += measured.transitions
        self.invocations += len(measured.invocations)
        for function, wall, _ in measured.invocations:
            seconds = wall if billed is None else billed
            self.gb_seconds += billed_gb_seconds([seconds], memory_mb.get(function, LAMBDA_DEFAULT_MB))
        self.calls += len(measured.calls)
        self.throttled_calls += measured.throttled_calls
        self.dynamodb_calls += measured.dynamodb_calls
        self.read_units += measured.read_units
        self.write_units += measured.write_units
        self.events += measured.events
        if measured.latency is not None:
            self.latencies.append(measured.latency)

    def per(self, total: float) -> float:
        return total / self.count if self.count else 0.0

    @property
    def dollars(self) -> float:
        """US dollars per operation."""
        return self.per(
            cost(
                transitions=self.transitions,
                invocations=self.invocations,
                gb_seconds=self.gb_seconds,
                events=self.events,
                read_units=self.read_units,
                write_units=self.write_units,
            )
        )


def rows(
    measured: Iterable[Measured],
    memory_mb: dict[str, int],
    types: Sequence[str],
    billed: dict[tuple[str, str], float] | None = None,
) -> list[Row]:
    """A row per kind and type present (kinds in :data:`KINDS` order, types in ``types`` order),
    then ``all`` (``billed``: ``(type, kind)`` → seconds each of its invocations is billed; left
    out, the wall time each took)."""
    by_label: dict[tuple[int, int], Row] = {}
    overall = Row("all")
    for item in measured:
        key = (KINDS.index(item.kind), list(types).index(item.endpoint_type))
        seconds = None if billed is None else billed.get((item.endpoint_type, item.kind))
        by_label.setdefault(key, Row(f"{item.kind} {item.endpoint_type}")).add(item, memory_mb, seconds)
        overall.add(item, memory_mb, seconds)
    return [by_label[key] for key in sorted(by_label)] + [overall]


def billed_seconds(alone: dict[tuple[str, str], Measured]) -> dict[tuple[str, str], float]:
    """Per kind and type, the seconds one invocation is billed: the median wall time of its
    invocations alone (no other execution queued for the runner's locks then)."""
    found = {}
    for key, item in alone.items():
        walls = [wall for _, wall, _ in item.invocations]
        if walls:
            found[key] = statistics.median(walls)
    return found


def memory_of(template: dict[str, Any]) -> dict[str, int]:
    """Each function's configured memory in MB, by the name the runner stages it under (its
    logical id, cut to 64 characters): the template's ``MemorySize``, else Lambda's default."""
    return {
        lid[:64]: int(resource.get("Properties", {}).get("MemorySize", LAMBDA_DEFAULT_MB))
        for lid, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Lambda::Function"
    }


HEADER = (
    "| operation | n | ok | failed as intended | failed by throttling | transitions/op "
    "| Lambda invocations/op | Lambda GB-s/op | service calls/op | throttled calls "
    "| DynamoDB calls/op | events/op | detection p50 / p95 (s) | US$/op |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
)


def _number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def row_line(row: Row) -> str:
    latency = f"{_seconds(percentile(row.latencies, 50))} / {_seconds(percentile(row.latencies, 95))}"
    cells = [
        row.label if row.label != "all" else "**all**",
        str(row.count),
        str(row.ok),
        str(row.intended),
        str(row.throttled),
        _number(row.per(row.transitions)),
        _number(row.per(row.invocations)),
        _number(row.per(row.gb_seconds), 3),
        _number(row.per(row.calls)),
        str(row.throttled_calls),
        _number(row.per(row.dynamodb_calls)),
        _number(row.per(row.events)),
        latency,
        f"{row.dollars:.6f}",
    ]
    return "| " + " | ".join(cells) + " |"


def table(found: list[Row]) -> str:
    return "\n".join([*HEADER, *(row_line(row) for row in found)])


@dataclass(frozen=True)
class Growth:
    """A figure per succeeded operation that is higher at scale than alone."""

    label: str
    figure: str
    alone: float
    here: float


#: Figures per succeeded operation compared with the same operation alone, and how much more is
#: noise (adaptive polling's first look is jittered up to 10 %, so one look more or less is not
#: growth).
COMPARED = ("transitions", "invocations", "calls", "dynamodb_calls")
TOLERANCE = 1.0


def growth(measured: Iterable[Measured], alone: dict[tuple[str, str], Measured]) -> list[Growth]:
    """Per kind and type, the succeeded operations' mean figures that exceed the same operation
    alone by more than :data:`TOLERANCE`."""
    succeeded: dict[tuple[str, str], list[Measured]] = {}
    for item in measured:
        if item.outcome == "ok":
            succeeded.setdefault((item.endpoint_type, item.kind), []).append(item)
    found = []
    for key, items in succeeded.items():
        reference = alone.get(key)
        if reference is None:
            continue
        for figure in COMPARED:
            here = statistics.fmean(_figure(item, figure) for item in items)
            before = _figure(reference, figure)
            if here > before + TOLERANCE:
                found.append(Growth(f"{key[1]} {key[0]}", figure, before, here))
    return found


def _figure(item: Measured, figure: str) -> float:
    if figure == "invocations":
        return len(item.invocations)
    if figure == "calls":
        return len(item.calls)
    return float(getattr(item, figure))


def handler_milliseconds(measured: Iterable[Measured]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of the handler invocations."""
    walls, cpus = [], []
    for item in measured:
        for _, wall, cpu in item.invocations:
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
    if not walls:
        return 0.0, 0.0
    return statistics.median(walls), statistics.median(cpus)
