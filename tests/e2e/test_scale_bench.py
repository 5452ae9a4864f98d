"""``endpointctl bench --scale 3`` end to end: three lifecycles of three types at once in one
simulated world, through the synthesized state machines (a few seconds)."""

from __future__ import annotations

import io
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def test_scale_three_runs_end_to_end(template: dict[str, Any]) -> None:
    from endpointctl import scale_bench

    out, progress = io.StringIO(), io.StringIO()
    footer = scale_bench.main(template, 3, out=out, progress=progress)

    said = progress.getvalue()
    assert said.startswith("running 3 lifecycles at once in one simulated world") and "usually" in said
    lines = out.getvalue().splitlines()
    assert lines[:2] == list(scale_bench.figures.HEADER)
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")] for line in lines[2:]}
    # Operations 0, 1, 2: a create of each of the first three types; all succeed (3 x 10 % rounds to 0).
    assert set(rows) == {"create sagemaker", "create aml", "create neptune", "**all**"}
    assert rows["**all**"][1:5] == ["3", "3", "0", "0"]
    for cells in rows.values():
        assert float(cells[5]) > 0 and float(cells[6]) > 0  # transitions and invocations per operation
        assert float(cells[10]) > 0  # the controller's DynamoDB calls are counted
        assert 0 < float(cells[13]) < 0.01  # dollars per operation: a fraction of a cent
    assert "no figure per succeeded operation grows with N" in footer
    assert "Rate limits (sagemaker.rateLimits" in footer and "Measured at load average" in footer
