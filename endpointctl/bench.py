"""``endpointctl bench``: what waiting costs, measured, next to the fixed 30-s polling loop.

For each endpoint type and a creation time of 2, 10, 30 and 60 minutes it runs the synthesized
state machine twice in the local runner: with the defaults (a type whose service announces status
changes waits for its state-change events, the others poll adaptively) and with the fixed 30-s loop
(``options.pollIntervalSeconds: 30``, botocore's waiter cadence). It prints billed state
transitions, Lambda invocations, service calls and detection latency (virtual seconds from the
service's terminal status to the end of the execution, which is when the notification is out). A
last group of rows shows the event-driven types when every event is lost (the fallback looks
alone). The request of each type is its simulator's ``sample_params``. It also measures the Lambda handler's import time
against ``import boto3`` (as deployed: tracing on) and the wall time of a one-hour virtual
lifecycle. Then, for each type with an update, the same figures for an update (the sample
endpoint created, then updated; the update's deployment taking the row's time).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DURATIONS_MINUTES = (2, 10, 30, 60)


def _simulators() -> dict[str, Any]:
    from endpointctl.sim import simulators

    return simulators()


def _run(
    template: dict[str, Any], endpoint_type: str, seconds: int, fixed: bool, events: bool = True
) -> dict[str, Any]:
    from endpointctl.runner import run_requests

    options: dict[str, Any] = {"timeoutSeconds": seconds + 3600}
    if fixed:
        options["pollIntervalSeconds"] = 30
    simulator = _simulators()[endpoint_type]
    request = {"endpointType": endpoint_type, "params": dict(simulator.sample_params), "options": options}
    scenario: dict[str, Any] = {"createSeconds": seconds}
    if simulator.emits_events and not events:
        scenario["emitEvents"] = False
    _, [result] = run_requests(template, [request], {endpoint_type: scenario})
    if result["status"] != "SUCCEEDED":
        raise RuntimeError(f"bench run failed: {result['error']}: {result['cause']}")
    return result


def _run_update(template: dict[str, Any], endpoint_type: str, seconds: int, fixed: bool) -> dict[str, Any]:
    """The sample endpoint created (in 5 minutes), then updated in ``seconds``: the update's result."""
    from endpointctl.runner import run_requests

    simulator = _simulators()[endpoint_type]
    options: dict[str, Any] = {"timeoutSeconds": seconds + 3600}
    if fixed:
        options["pollIntervalSeconds"] = 30
    create = {"endpointType": endpoint_type, "params": dict(simulator.sample_params)}
    update = {
        "endpointType": endpoint_type,
        "action": "update",
        "params": dict(simulator.sample_update or {}),
        "options": options,
    }
    scenario = {endpoint_type: {"createSeconds": 300, "update": {"seconds": seconds}}}
    _, [_, result] = run_requests(template, [create, update], scenario)
    if result["status"] != "SUCCEEDED":
        raise RuntimeError(f"bench update failed: {result['error']}: {result['cause']}")
    return result


def update_table(template: dict[str, Any], types: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Per type with an update, and deployment time: the update's figures, default vs fixed loop."""
    kinds = _simulators()
    rows = []
    for endpoint_type in types if types is not None else tuple(kinds):
        if kinds[endpoint_type].sample_update is None:
            continue
        for minutes in DURATIONS_MINUTES:
            adaptive = _figures(_run_update(template, endpoint_type, minutes * 60, fixed=False))
            fixed = _figures(_run_update(template, endpoint_type, minutes * 60, fixed=True))
            rows.append(
                {"type": f"{endpoint_type} update", "minutes": minutes, "adaptive": adaptive, "fixed": fixed}
            )
    return rows


def _figures(result: dict[str, Any]) -> tuple[int, int, int, float]:
    latency = float(result["virtualSeconds"]) - float(result["readyAfterSeconds"] or 0)
    return result["stateTransitions"], result["lambdaInvocations"], len(result["calls"]), round(latency, 1)


def lifecycle_table(template: dict[str, Any], types: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Per type (default: every one) and creation time, the default vs the fixed 30-s loop; then,
    for each type whose service announces status changes, the same with every event lost."""
    kinds = _simulators()
    types = tuple(kinds) if types is None else types
    rows = []
    groups = [(t, True) for t in types] + [(t, False) for t in types if kinds[t].emits_events]
    for endpoint_type, events in groups:
        label = endpoint_type if events else f"{endpoint_type}, events lost"
        for minutes in DURATIONS_MINUTES:
            adaptive = _figures(_run(template, endpoint_type, minutes * 60, fixed=False, events=events))
            fixed = _figures(_run(template, endpoint_type, minutes * 60, fixed=True, events=events))
            rows.append({"type": label, "minutes": minutes, "adaptive": adaptive, "fixed": fixed})
    return rows


def import_times(root: Path, repeat: int = 11) -> dict[str, float]:
    """Median seconds to import, in a fresh interpreter each time, over ``python -c pass``.

    The three are interleaved (a noisy machine slows all alike), in the deployed function's
    conditions: tracing on (``LAMBDA_TASK_ROOT`` set, ``POWERTOOLS_TRACE_DISABLED`` unset).
    """
    env = {**os.environ, "LAMBDA_TASK_ROOT": str(root / "functions"), "AWS_REGION": "us-east-1"}
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    codes = {"base": "pass", "boto3": "import boto3", "controller.handlers": "import controller.handlers"}
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(repeat):
        for name, code in codes.items():
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", code], cwd=root / "functions", env=env, check=True, capture_output=True
            )
            samples[name].append(time.perf_counter() - start)
    base = statistics.median(samples.pop("base"))
    return {name: statistics.median(values) - base for name, values in samples.items()}


def one_hour_wall_seconds(template: dict[str, Any], endpoint_type: str) -> float:
    _run(template, endpoint_type, 60, fixed=False)  # warm: imports and first world
    start = time.perf_counter()
    _run(template, endpoint_type, 3600, fixed=False)
    return time.perf_counter() - start


def render(
    rows: list[dict[str, Any]], imports: dict[str, float] | None, wall: float | None, wall_type: str = ""
) -> str:
    lines = [
        "| type | creation | transitions | Lambda invocations | service calls | detection latency (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        a, f = row["adaptive"], row["fixed"]
        cells = [f"{a[i]} vs {f[i]}" for i in range(4)]
        lines.append(f"| {row['type']} | {row['minutes']} min | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "Each cell: the default (state-change events where the service announces them, else adaptive"
        " polling) vs the fixed 30-s loop, in the same run."
    )
    if imports:
        ratio = imports["controller.handlers"] / imports["boto3"] if imports["boto3"] else float("nan")
        lines.append(
            f"Cold start (tracing on, as deployed): import controller.handlers "
            f"{imports['controller.handlers']:.3f} s, import boto3 {imports['boto3']:.3f} s (ratio {ratio:.2f})."
        )
    if wall is not None:
        kind = wall_type or next(iter(_simulators()))
        lines.append(f"Runner: a one-hour virtual {kind} lifecycle took {wall:.2f} s of wall time.")
    return "\n".join(lines)


def main(template: dict[str, Any], root: Path, *, quick: bool = False) -> str:
    from endpointctl.runner import quiet_stdout

    first = next(iter(_simulators()))
    with quiet_stdout():
        rows = lifecycle_table(template) + update_table(template)
        wall = one_hour_wall_seconds(template, first)
    imports = None if quick else import_times(root)
    return render(rows, imports, wall, first)
