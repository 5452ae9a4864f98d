"""Exit codes and the errors that map to them, shared by every command (docs/local-runner.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: The deepest nesting of arrays and objects read: a request or a scenario needs a handful of
#: levels; a document nested hundreds deep would only fail later, deep in some recursive code.
MAX_DEPTH = 100


class UsageError(Exception):
    """Unusable arguments or files, or a setup that cannot run the command (exit code 2). A message of several lines says one problem
    per line (each printed as its own ``endpointctl: …`` line)."""


class OperationFailed(Exception):
    """A call that was made properly failed (exit code 1)."""


def read_json(path: str, what: str) -> Any:
    """The JSON document in ``path``; ``UsageError`` naming ``what`` when it cannot be read."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path}: is a directory, not a JSON file") from None
    except PermissionError:
        raise UsageError(f"{what} {path}: permission denied") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from None
    if not text.strip():
        raise UsageError(f"{what} {path}: the file is empty (a JSON document was expected)")
    too_deep = UsageError(f"{what} {path}: nested more than {MAX_DEPTH} levels deep (arrays or objects)")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} {path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise too_deep from None
    if depth(document) > MAX_DEPTH:
        raise too_deep
    return document


def depth(document: Any) -> int:
    """How deep arrays and objects nest in ``document`` (a scalar: 0), without recursion."""
    deepest, level = 0, [(document, 1)]
    while level:
        value, at = level.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, at)
        level.extend((child, at + 1) for child in children)
    return deepest
