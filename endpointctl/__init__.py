"""``endpointctl``: run the controller's synthesized state machines locally, and more."""

from __future__ import annotations

import sys
from pathlib import Path

__version__ = "0.1.0"


def project_root() -> Path:
    """The checkout that holds ``app.py``, ``infra/`` and ``functions/`` (an editable install)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "app.py").is_file() or not (root / "functions").is_dir():
        raise RuntimeError(
            f"endpointctl must run from a checkout of ml-endpoint-controller (no app.py in {root}); "
            "install it with `pip install -e .`"
        )
    return root


def use_own_functions() -> None:
    """The handlers the local runner and the served world call are this checkout's ``functions/``,
    the tree the template is synthesized from (entry points call this first). An editable install
    maps ``controller`` to the checkout it was made from, so a command run from another checkout (a
    git worktree beside it, using its virtualenv) would otherwise run that checkout's handlers
    against this one's template."""
    if "controller" in sys.modules:
        return
    try:
        functions = str(project_root() / "functions")
    except RuntimeError:
        return  # not a checkout: the commands that need one say so
    if functions not in sys.path:
        sys.path.insert(0, functions)
