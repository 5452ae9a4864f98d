"""The local runner (docs/local-runner.md): the synthesized state machines, run in-process.

- ``local_runner``: :class:`LocalRunner`, one simulated account (moto, the real handlers, one
  simulator per endpoint type, a virtual clock) that runs requests;
- ``moto_patches``: what makes moto's interpreter run in virtual time with the real handlers;
- ``staging``: the template's resources created in moto; ``delivery``: the default bus's rules;
- ``invoke``: the handler called as Lambda calls it; ``results``: the ``--json`` object;
- ``warm``: what a run would repeat, done once per process or kept on disk.

The virtual clock every wait reads is the simulation's (``endpointctl.sim.virtual_clock``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any

from endpointctl.errors import UsageError
from endpointctl.runner import warm

warm.quick_exit()
warm.fewer_collections()

from endpointctl.runner.local_runner import LocalRunner  # noqa: E402
from endpointctl.runner.results import Run  # noqa: E402

__all__ = ["LocalRunner", "Run", "quiet_stdout", "run_requests"]


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Handlers log and emit metrics on stdout; keep it for the runner's own output."""
    with contextlib.redirect_stdout(sys.stderr if os.environ.get("ENDPOINTCTL_VERBOSE") else io.StringIO()):
        yield


def run_requests(
    template: dict[str, Any],
    requests: list[Any],
    scenario: dict[str, Any] | None,
    *,
    parallel: bool = False,
    until: float | None = None,
) -> tuple[list[Run], list[dict[str, Any]]]:
    """Run requests in one simulated account; the runs and their ``--json`` results (``until``:
    the world kept running to that many virtual seconds after the start)."""
    from endpointctl.sim.scenario import ScenarioError

    try:
        with quiet_stdout(), LocalRunner(template, scenario) as runner:
            run = runner.run_parallel if parallel else runner.run
            found = run(requests, until=until)
            runs = runner.runs()
    except ScenarioError as exc:
        raise UsageError(f"scenario: {exc}") from None
    return runs, found
