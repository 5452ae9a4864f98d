"""``endpointctl bench``: what waiting costs, measured, next to the fixed 30-s polling loop.

For each endpoint type and a creation time of 2, 10, 30 and 60 minutes it runs the synthesized
state machine twice in the local runner: with the default (adaptive) polling and with the fixed
30-s loop (``options.pollIntervalSeconds: 30``, botocore's waiter cadence). It prints billed state
transitions, Lambda invocations, service calls and detection latency (virtual seconds from the
service's terminal status to the end of the execution, which is when the notification is out).
It also measures the Lambda handler's import time against ``import boto3`` and the wall time of
a one-hour virtual lifecycle.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DURATIONS_MINUTES = (2, 10, 30, 60)
REQUESTS: dict[str, dict[str, Any]] = {
    "sagemaker": {
        "endpointType": "sagemaker",
        "params": {"EndpointName": "bench", "EndpointConfigName": "bench-cfg"},
    },
    "aml": {"endpointType": "aml", "params": {"MLModelId": "bench-model"}},
    "neptune": {"endpointType": "neptune", "params": {"id": "bench", "mlModelTrainingJobId": "bench-job"}},
}


def _run(template: dict[str, Any], endpoint_type: str, seconds: int, fixed: bool) -> dict[str, Any]:
    from endpointctl.cli import run_requests

    options: dict[str, Any] = {"timeoutSeconds": seconds + 3600}
    if fixed:
        options["pollIntervalSeconds"] = 30
    request = {**REQUESTS[endpoint_type], "options": options}
    _, [result] = run_requests(template, [request], {endpoint_type: {"createSeconds": seconds}})
    if result["status"] != "SUCCEEDED":
        raise RuntimeError(f"bench run failed: {result['error']}: {result['cause']}")
    return result


def _figures(result: dict[str, Any]) -> tuple[int, int, int, float]:
    latency = float(result["virtualSeconds"]) - float(result["readyAfterSeconds"] or 0)
    return result["stateTransitions"], result["lambdaInvocations"], len(result["calls"]), round(latency, 1)


def lifecycle_table(
    template: dict[str, Any], types: tuple[str, ...] = tuple(REQUESTS)
) -> list[dict[str, Any]]:
    rows = []
    for endpoint_type in types:
        for minutes in DURATIONS_MINUTES:
            adaptive = _figures(_run(template, endpoint_type, minutes * 60, fixed=False))
            fixed = _figures(_run(template, endpoint_type, minutes * 60, fixed=True))
            rows.append({"type": endpoint_type, "minutes": minutes, "adaptive": adaptive, "fixed": fixed})
    return rows


def import_times(root: Path, repeat: int = 5) -> dict[str, float]:
    """Median seconds to import, in a fresh interpreter each time, over ``python -c pass``."""

    def median(code: str) -> float:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", code], cwd=root / "functions", check=True, capture_output=True
            )
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    base = median("pass")
    return {
        "boto3": median("import boto3") - base,
        "controller.handlers": median("import controller.handlers") - base,
    }


def one_hour_wall_seconds(template: dict[str, Any]) -> float:
    _run(template, "sagemaker", 60, fixed=False)  # warm: imports and first world
    start = time.perf_counter()
    _run(template, "sagemaker", 3600, fixed=False)
    return time.perf_counter() - start


def render(rows: list[dict[str, Any]], imports: dict[str, float] | None, wall: float | None) -> str:
    lines = [
        "| type | creation | transitions | Lambda invocations | service calls | detection latency (s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        a, f = row["adaptive"], row["fixed"]
        cells = [f"{a[i]} vs {f[i]}" for i in range(4)]
        lines.append(f"| {row['type']} | {row['minutes']} min | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Each cell: default (adaptive) polling vs the fixed 30-s loop, in the same run.")
    if imports:
        ratio = imports["controller.handlers"] / imports["boto3"] if imports["boto3"] else float("nan")
        lines.append(
            f"Cold start: import controller.handlers {imports['controller.handlers']:.3f} s, "
            f"import boto3 {imports['boto3']:.3f} s (ratio {ratio:.2f})."
        )
    if wall is not None:
        lines.append(f"Runner: a one-hour virtual SageMaker lifecycle took {wall:.2f} s of wall time.")
    return "\n".join(lines)


def main(template: dict[str, Any], root: Path, *, quick: bool = False) -> str:
    from endpointctl.world import quiet_stdout

    with quiet_stdout():
        rows = lifecycle_table(template)
        wall = one_hour_wall_seconds(template)
    imports = None if quick else import_times(root)
    return render(rows, imports, wall)
