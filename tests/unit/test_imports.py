"""Every module imports on its own, first (as a command, a handler or a test may import it): an
import cycle that only a particular import order survives fails here."""

from __future__ import annotations

import subprocess
import sys

from endpointctl import project_root

SCRIPT = """
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
packages = ("controller", "infra", "endpointctl")
names = []
for tree, base in (("functions/controller", "controller"), ("infra", "infra"), ("endpointctl", "endpointctl")):
    for path in sorted((root / tree).rglob("*.py")):
        parts = [base, *path.relative_to(root / tree).with_suffix("").parts]
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_first() -> None:
    root = project_root()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root)], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    count, *failures = done.stdout.strip().split("\n")
    assert int(count) > 60
    assert [f for f in failures if f] == []
