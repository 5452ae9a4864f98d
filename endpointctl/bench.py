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
endpoint created, then updated; the update's deployment taking the row's time). Each row is printed
as soon as it is measured.

Without ``--quick`` it also times the runner's start-up in fresh processes (:func:`runner_times`):
a cached ``endpointctl local run`` of the first type's sample request, and the imports of one; the
timings carry the machine's load average, which moves them.

Nothing is silent for long: before the rows and before the timings, a line on standard error says
what comes and roughly how long it takes (:data:`ROWS_TAKE`, :data:`TIMINGS_TAKE`); the table and
its footer are standard output's alone, ready to paste.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

DURATIONS_MINUTES = (2, 10, 30, 60)
#: Roughly how long the rows take, and the start-up timings after them, on a 2-core machine.
ROWS_TAKE = "usually 20-40 s"
TIMINGS_TAKE = "usually 30-60 s"
#: Rounds of the import timings, and fresh ``local run`` processes timed (each also once under
#: ``python -X importtime``), in :func:`import_times` and :func:`runner_times`.
IMPORT_ROUNDS = 11
RUNNER_RUNS = 7


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


#: Called with each row as soon as it is measured.
OnRow = Callable[[dict[str, Any]], None]


def update_table(
    template: dict[str, Any], types: tuple[str, ...] | None = None, on_row: OnRow | None = None
) -> list[dict[str, Any]]:
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
            if on_row is not None:
                on_row(rows[-1])
    return rows


def _figures(result: dict[str, Any]) -> tuple[int, int, int, float]:
    latency = float(result["virtualSeconds"]) - float(result["readyAfterSeconds"] or 0)
    return result["stateTransitions"], result["lambdaInvocations"], len(result["calls"]), round(latency, 1)


def _groups(types: tuple[str, ...]) -> list[tuple[str, bool]]:
    """The lifecycle rows' groups: each type with its events, then each event-driven one without."""
    kinds = _simulators()
    return [(t, True) for t in types] + [(t, False) for t in types if kinds[t].emits_events]


def planned_rows() -> int:
    """How many rows :func:`main` measures: the lifecycle groups' and the updates', four each."""
    kinds = _simulators()
    updates = [t for t, kind in kinds.items() if kind.sample_update is not None]
    return (len(_groups(tuple(kinds))) + len(updates)) * len(DURATIONS_MINUTES)


def lifecycle_table(
    template: dict[str, Any], types: tuple[str, ...] | None = None, on_row: OnRow | None = None
) -> list[dict[str, Any]]:
    """Per type (default: every one) and creation time, the default vs the fixed 30-s loop; then,
    for each type whose service announces status changes, the same with every event lost."""
    kinds = _simulators()
    types = tuple(kinds) if types is None else types
    rows = []
    groups = _groups(types)
    for endpoint_type, events in groups:
        label = endpoint_type if events else f"{endpoint_type}, events lost"
        for minutes in DURATIONS_MINUTES:
            adaptive = _figures(_run(template, endpoint_type, minutes * 60, fixed=False, events=events))
            fixed = _figures(_run(template, endpoint_type, minutes * 60, fixed=True, events=events))
            rows.append({"type": label, "minutes": minutes, "adaptive": adaptive, "fixed": fixed})
            if on_row is not None:
                on_row(rows[-1])
    return rows


def import_times(root: Path, repeat: int = IMPORT_ROUNDS) -> dict[str, float]:
    """Median seconds to import, in a fresh interpreter each time: ``boto3`` and
    ``controller.handlers`` beyond ``python -c pass`` (the imports alone), and the two whole
    processes' ratio (``whole ratio``: what a cold start pays, interpreter included).

    The three are interleaved (a noisy machine slows all alike), in the deployed function's
    conditions: tracing on (``LAMBDA_TASK_ROOT`` set, ``POWERTOOLS_TRACE_DISABLED`` unset) and
    its environment's pydantic setting (``PYDANTIC_DISABLE_PLUGINS``, infra/function.py).
    """
    from endpointctl.runner.invoke import HANDLER_ENV

    env = {
        **os.environ,
        "LAMBDA_TASK_ROOT": str(root / "functions"),
        "AWS_REGION": "us-east-1",
        "PYDANTIC_DISABLE_PLUGINS": HANDLER_ENV["PYDANTIC_DISABLE_PLUGINS"],
    }
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
    whole = {name: statistics.median(values) for name, values in samples.items()}
    times = {name: value - base for name, value in whole.items()}
    times["whole ratio"] = whole["controller.handlers"] / whole["boto3"]
    return times


#: The floor a cached run is held against: what any Python tool that talks to SageMaker pays
#: before it does anything (boto3 imported, SageMaker's service model loaded).
FLOOR_CODE = "import boto3, botocore.session; botocore.session.get_session().get_service_model('sagemaker')"


def runner_times(root: Path, endpoint_type: str, repeat: int = RUNNER_RUNS) -> dict[str, float]:
    """Median seconds over fresh processes (interleaved, after one run that fills the caches):
    ``python -c pass`` (``python``, wall), :data:`FLOOR_CODE` (``floor``, wall), a cached
    ``endpointctl local run REQUEST --json`` of the type's sample request (``run``, wall: its
    ``events/<type>-create.json``, else the simulator's ``sample_params``), the median of each
    round's run over its floor (``ratio``) and the imports of that run (``imports``: what
    ``python -X importtime`` counts, in another run)."""
    request = root / "events" / f"{endpoint_type}-create.json"
    with tempfile.TemporaryDirectory(prefix="endpointctl-bench-") as folder:
        if not request.is_file():
            request = Path(folder) / "request.json"
            params = dict(_simulators()[endpoint_type].sample_params)
            request.write_text(json.dumps({"endpointType": endpoint_type, "params": params}))
        env = {k: v for k, v in os.environ.items() if k != "ENDPOINTCTL_VERBOSE"}
        run = ["-m", "endpointctl", "local", "run", str(request), "--json"]

        def timed(*args: str) -> tuple[float, str]:
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, *args], cwd=root, env=env, check=True, capture_output=True, text=True
            )
            return time.perf_counter() - start, done.stderr

        timed(*run)  # fills the caches (template, parsed definitions, models, IAM decisions)
        samples: dict[str, list[float]] = {"python": [], "floor": [], "run": [], "ratio": [], "imports": []}
        for _ in range(repeat):
            samples["python"].append(timed("-c", "pass")[0])
            samples["floor"].append(timed("-c", FLOOR_CODE)[0])
            samples["run"].append(timed(*run)[0])
            samples["ratio"].append(samples["run"][-1] / samples["floor"][-1])
            samples["imports"].append(_import_seconds(timed("-X", "importtime", *run)[1]))
    return {name: statistics.median(values) for name, values in samples.items()}


def _import_seconds(report: str) -> float:
    """The imports' total in a ``-X importtime`` report (the top-level imports' cumulative times)."""
    total = 0
    for line in report.splitlines():
        parts = line.split("|")
        top_level = len(parts) == 3 and not parts[2].startswith("  ")  # one space, then the name
        if line.startswith("import time:") and top_level and parts[1].strip().isdigit():
            total += int(parts[1])
    return total / 1e6


def one_hour_wall_seconds(template: dict[str, Any], endpoint_type: str) -> float:
    _run(template, endpoint_type, 60, fixed=False)  # warm: imports and first world
    start = time.perf_counter()
    _run(template, endpoint_type, 3600, fixed=False)
    return time.perf_counter() - start


HEADER = (
    "| type | creation | transitions | Lambda invocations | service calls | detection latency (s) |",
    "| --- | --- | --- | --- | --- | --- |",
)


def row_line(row: dict[str, Any]) -> str:
    a, f = row["adaptive"], row["fixed"]
    cells = [f"{a[i]} vs {f[i]}" for i in range(4)]
    return f"| {row['type']} | {row['minutes']} min | " + " | ".join(cells) + " |"


def load() -> str:
    """``load average 1.76 on 2 cores``: how busy the machine was (over the last minute)."""
    try:
        one_minute = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on this platform
        return "load average unknown"
    return f"load average {one_minute:.2f} on {os.cpu_count() or '?'} cores"


def footer(
    imports: dict[str, float] | None,
    wall: float | None,
    wall_type: str = "",
    runner: dict[str, float] | None = None,
    busy: str | None = None,
) -> str:
    """What follows the table: its legend, then the timings that were measured (``busy``: the
    machine's load while they were, :func:`load`)."""
    lines = [
        "",
        "Each cell: the default (state-change events where the service announces them, else adaptive"
        " polling) vs the fixed 30-s loop, in the same run.",
    ]
    if imports:
        ratio = imports["controller.handlers"] / imports["boto3"] if imports["boto3"] else float("nan")
        whole = imports.get("whole ratio")
        lines.append(
            f"Cold start (tracing on, as deployed): import controller.handlers "
            f"{imports['controller.handlers']:.3f} s, import boto3 {imports['boto3']:.3f} s beyond the "
            f"interpreter's start (ratio {ratio:.2f})"
            + (f"; as whole processes, ratio {whole:.2f}." if whole is not None else ".")
        )
    kind = wall_type or next(iter(_simulators()))
    if wall is not None:
        lines.append(f"Runner: a one-hour virtual {kind} lifecycle took {wall:.2f} s of wall time.")
    if runner:
        floor = (
            f"; importing boto3 and loading SageMaker's service model took {runner['floor']:.2f} s, "
            f"the run {runner['ratio']:.2f} times that (median of each round's ratio)"
            if "floor" in runner
            else ""
        )
        lines.append(
            f"Runner start-up (fresh processes, medians): a cached `endpointctl local run` of the {kind} "
            f"sample request took {runner['run']:.2f} s of wall time, {runner['imports']:.2f} s of it "
            f"imports (`python -X importtime`); `python -c pass` took {runner['python']:.2f} s{floor}."
        )
    if busy and (imports or wall is not None or runner):
        lines.append(f"Measured at {busy}.")
    return "\n".join(lines)


def render(
    rows: list[dict[str, Any]],
    imports: dict[str, float] | None,
    wall: float | None,
    wall_type: str = "",
    runner: dict[str, float] | None = None,
) -> str:
    return "\n".join([*HEADER, *(row_line(row) for row in rows), footer(imports, wall, wall_type, runner)])


def main(
    template: dict[str, Any],
    root: Path,
    *,
    quick: bool = False,
    out: TextIO | None = None,
    progress: TextIO | None = None,
) -> str:
    """Print the table's header and each row as it is measured (on ``out``, standard output by
    default, flushed), then return what follows the table. What comes next, and roughly how long
    it takes, is said on ``progress`` (standard error by default) before the rows and before the
    timings."""
    from endpointctl.runner import quiet_stdout

    out = out or sys.stdout
    progress = progress or sys.stderr

    def say(line: str, to: TextIO = out) -> None:
        print(line, file=to, flush=True)

    first = next(iter(_simulators()))
    say(
        f"measuring {planned_rows()} rows, each a lifecycle run twice in the local runner "
        f"({ROWS_TAKE}; each row is printed as it is measured) …",
        progress,
    )
    for line in HEADER:
        say(line)
    with quiet_stdout():  # the handlers' logs; the rows go to ``out``, which is not redirected
        lifecycle_table(template, on_row=lambda row: say(row_line(row)))
        update_table(template, on_row=lambda row: say(row_line(row)))
        wall = one_hour_wall_seconds(template, first)
    imports = runner = None
    if not quick:
        say(
            f"timing start-up in fresh processes: {IMPORT_ROUNDS} rounds of imports, then "
            f"{1 + 2 * RUNNER_RUNS} cached `endpointctl local run`s, each round with its floor "
            f"({TIMINGS_TAKE}; --quick skips this) …",
            progress,
        )
        imports = import_times(root)
        runner = runner_times(root, first)
    return footer(imports, wall, first, runner, load())
