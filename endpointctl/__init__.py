"""``endpointctl``: run the controller's synthesized state machines locally, and more."""

from __future__ import annotations

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
