"""Exit codes and the errors that map to them, shared by every command (CONTRACT §3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Unusable arguments or files (exit code 2)."""


class OperationFailed(Exception):
    """A call that was made properly failed (exit code 1)."""


def read_json(path: str, what: str) -> Any:
    """The JSON document in ``path``; ``UsageError`` naming ``what`` when it cannot be read."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what} {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
