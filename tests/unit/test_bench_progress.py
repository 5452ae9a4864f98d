"""``endpointctl bench`` is never silent for long (issue 24): a line on stderr before the rows and
another before the start-up timings say what comes and roughly how long; the table and its footer,
with the machine's load, are stdout's alone.

The runs themselves are replaced by canned results here (tests/e2e/test_cli.py runs real ones), so
the real loops of :func:`bench.lifecycle_table` and :func:`bench.update_table` print their rows.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from endpointctl import bench

CANNED = {"stateTransitions": 8, "lambdaInvocations": 4, "calls": ["sagemaker:CreateEndpoint"]}


class Recorder(io.StringIO):
    """One stream of a shared log, so the order of stdout's and stderr's lines is seen."""

    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        super().__init__()
        self.name, self.log = name, log

    def write(self, text: str) -> int:
        self.log += [(self.name, line) for line in text.splitlines() if line]
        return len(text)


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch) -> None:
    def run(*_: Any, **__: Any) -> dict[str, Any]:
        return {**CANNED, "virtualSeconds": 300, "readyAfterSeconds": 300}

    monkeypatch.setattr(bench, "_run", run)
    monkeypatch.setattr(bench, "_run_update", run)
    monkeypatch.setattr(bench, "one_hour_wall_seconds", lambda *_: 0.4)
    monkeypatch.setattr(bench, "import_times", lambda *_: {"boto3": 0.2, "controller.handlers": 0.25})
    monkeypatch.setattr(
        bench,
        "runner_times",
        lambda *_: {"python": 0.03, "floor": 0.3, "run": 1.1, "ratio": 3.7, "imports": 0.6},
    )


@pytest.mark.usefixtures("canned")
def test_each_silence_is_announced_first_with_how_long_it_takes() -> None:
    log: list[tuple[str, str]] = []
    tail = bench.main({}, Path("."), out=Recorder("out", log), progress=Recorder("err", log))
    said = [line for stream, line in log if stream == "err"]
    assert said == [
        f"measuring {bench.planned_rows()} rows, each a lifecycle run twice in the local runner "
        f"(usually 20-40 s; each row is printed as it is measured) …",
        "timing start-up in fresh processes: 11 rounds of imports, then 15 cached "
        "`endpointctl local run`s, each round with its floor (usually 30-60 s; --quick skips this) …",
    ]
    streams = [stream for stream, _ in log]
    rows = [line for stream, line in log if stream == "out"][len(bench.HEADER) :]
    # The first line comes before the header, the second after the last row.
    assert streams[0] == "err" and streams[-1] == "err"
    assert len(rows) == bench.planned_rows() and all(row.startswith("| ") for row in rows)
    assert re.search(r"^Measured at load average \d+\.\d\d on \d+ cores\.$", tail, re.M), tail


@pytest.mark.usefixtures("canned")
def test_quick_announces_only_the_rows() -> None:
    log: list[tuple[str, str]] = []
    tail = bench.main({}, Path("."), quick=True, out=Recorder("out", log), progress=Recorder("err", log))
    assert [line.split(" rows,")[0] for stream, line in log if stream == "err"] == [
        f"measuring {bench.planned_rows()}"
    ]
    assert "Runner: a one-hour virtual sagemaker lifecycle took 0.40 s" in tail
    assert "Runner start-up" not in tail and "Measured at load average" in tail
