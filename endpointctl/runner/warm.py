"""What makes a runner start in about a second: work a run would repeat, done once per process or
kept on disk (``.endpointctl-cache/``, beside the cached template), and imports a run never needs.

Nothing here changes what a run does or decides; each cache holds the output of a pure function
of its key, and a miss (or an unreadable entry) computes it again:

- :func:`defer_moto_imports`: ``moto.ec2`` (half a second of instance types and regions) is not
  imported for moto's Batch integration and ECS targets, which a run does not use, nor moto's ASL
  preprocessor until a definition must really be parsed;
- :func:`parsed_definition`: a state machine definition's evaluation tree, pickled on disk by
  the definition's text and moto's version (ANTLR parses one of ours in ~0.3 s);
- :func:`quick_exit`: the interpreter's garbage collections at exit skip what a run left (they
  would walk every object of moto, botocore and the handlers again: ~0.6 s of a one-second run);
  :func:`fewer_collections`: fewer of them during the run too.

botocore's models are decoded once too (``endpointctl.runner.models``), its sessions' handlers
checked once (``endpointctl.runner.sessions``), and the IAM evaluator keeps its decisions on disk
(``endpointctl.runner.iam.evaluator``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

_DEFER_LOCK = threading.RLock()


def cache_dir() -> Path | None:
    """``.endpointctl-cache/`` of the checkout (``ENDPOINTCTL_CACHE_DIR`` overrides; ``""`` turns
    the disk caches off); ``None`` when there is none to use (:func:`endpointctl.synth.cache_folder`)."""
    from endpointctl.synth import cache_folder

    return cache_folder(_checkout())


@functools.cache
def _checkout() -> Path:
    return Path(__file__).resolve().parent.parent.parent


def defer_moto_imports() -> None:
    """Keep ``moto.ec2`` (half a second of instance types and regions at import) out of a run that
    never calls EC2. Two of moto's modules import it for features the runner does not use:

    - the interpreter's Batch integration imports ``moto.batch.utils``, whose package's
      ``__init__`` imports ``moto.batch.models`` and so ``moto.ec2``: ``moto.batch`` now runs its
      ``__init__`` when something asks the package itself for a name (``get_backend("batch")``,
      ``from moto.batch import ...``), while its submodules import as usual;
    - Application Auto Scaling (the SageMaker simulator's scaling) holds an ECS backend for ECS
      targets: it gets one that imports ``moto.ecs`` when first used.

    And moto's ASL parser module imports its ``Preprocessor`` (with it every component of the
    States language, ~55 ms) that only parsing a definition uses, which a run with its definitions
    on disk never does: the parser module gets a stand-in that imports the real one when first
    called.
    Each stand-in is in ``sys.modules`` only while the module that binds it imports, so anything
    else importing the real module later gets it."""
    with _DEFER_LOCK:
        import moto

        if "moto.batch" not in sys.modules:
            spec = importlib.util.find_spec("moto.batch")
            if spec is not None and spec.loader is not None and spec.submodule_search_locations:
                module = importlib.util.module_from_spec(spec)
                module.__dict__["__getattr__"] = _run_init_on_first_name(module, spec.loader)
                sys.modules["moto.batch"] = module
                moto.batch = module  # type: ignore[attr-defined]
        if "moto.applicationautoscaling.models" not in sys.modules and "moto.ecs" not in sys.modules:
            stand_in = type(sys)("moto.ecs")
            stand_in.ecs_backends = _Later(lambda: importlib.import_module("moto.ecs").ecs_backends)  # type: ignore[attr-defined]
            sys.modules["moto.ecs"] = stand_in
            try:
                importlib.import_module("moto.applicationautoscaling.models")
            finally:
                del sys.modules["moto.ecs"]
                if getattr(moto, "ecs", None) is stand_in:
                    del moto.ecs  # type: ignore[attr-defined]
        _import_with_stand_ins(_ASL_PARSER, _PARSING_ONLY)


_ASL_PARSER = "moto.stepfunctions.parser.asl.parse.asl_parser"
#: What moto's parser module calls only to parse a definition: the preprocessor (every component of
#: the States language, ~55 ms). (Its ANTLR parser, also called only to parse, other modules import.)
_PARSING_ONLY = {"moto.stepfunctions.parser.asl.parse.preprocessor": "Preprocessor"}


def _import_with_stand_ins(name: str, callables: dict[str, str]) -> None:
    """Import module ``name`` with each module of ``callables`` replaced, while it imports, by a
    stand-in whose named callable imports the real module and calls the real one."""
    if name in sys.modules or any(module in sys.modules for module in callables):
        return
    for module, attribute in callables.items():
        stand_in = type(sys)(module)
        setattr(stand_in, attribute, functools.partial(_call_real, module, attribute))
        sys.modules[module] = stand_in
    try:
        importlib.import_module(name)
    finally:
        for module in callables:
            del sys.modules[module]


def _call_real(module: str, attribute: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(importlib.import_module(module), attribute)(*args, **kwargs)


def _run_init_on_first_name(module: Any, loader: Any) -> Any:
    def __getattr__(name: str) -> Any:
        with _DEFER_LOCK:
            if module.__dict__.get("__getattr__") is __getattr__:
                del module.__dict__["__getattr__"]
                loader.exec_module(module)
        if name in module.__dict__:
            return module.__dict__[name]
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    return __getattr__


class _Later:
    """A value looked up when first used: an item of it is another ``_Later``; an attribute is the
    value's own."""

    def __init__(self, resolve: Any) -> None:
        self._resolve = resolve
        self._value: Any = _Later

    def _get(self) -> Any:
        if self._value is _Later:
            self._value = self._resolve()
        return self._value

    def __getitem__(self, key: Any) -> _Later:
        return _Later(lambda: self._get()[key])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._get(), name)


def quick_exit() -> None:
    """At exit, before the modules are torn down, move every object to the collector's permanent
    generation (``gc.freeze``): each object is still released as the modules go, but the cyclic
    collections that teardown triggers no longer traverse them all, each time."""
    atexit.register(gc.freeze)


#: Allocations between two collections of the youngest generation (Python's default: 700). Measured
#: on a cached ``local run`` of the SageMaker sample (``farm-bench -n 9``, pairs): 50,000 against
#: 10,000 is 6% less wall time for 0.6 MiB more peak memory; 200,000 gains nothing more.
GC_YOUNG_THRESHOLD = 50_000


def fewer_collections() -> None:
    """A run allocates in bursts of long-lived objects (imports, service models, moto's state, a
    world's clients): with a collection of the youngest generation every 700 allocations, each
    survivor is walked again and again on its way to the oldest, and the oldest generation is
    walked whole each time enough of them arrive (~10% of a cached ``local run``). The youngest
    generation is collected every ``GC_YOUNG_THRESHOLD`` allocations instead (never less often
    than the process already chose); cycles are still collected, later."""
    young, middle, old = gc.get_threshold()
    if young and young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


# -- parsed definitions --------------------------------------------------------------------------
def moto_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


@functools.cache
def _definition_salt() -> bytes:
    return f"{moto_version()}\0{sys.version}\0".encode()


#: Parsed definitions kept on disk, the most recently used (three per template of the catalog).
DEFINITIONS_KEPT = 72


def parsed_definition(definition: str, parse: Any) -> Any:
    """``parse(definition)``'s evaluation tree: from the disk cache when it holds this definition
    (for this moto), else parsed and stored. ``parse`` raises for an invalid definition, which
    is never stored."""
    folder = cache_dir()
    path = None
    if folder is not None:
        key = hashlib.sha256(_definition_salt() + definition.encode()).hexdigest()[:32]
        path = folder / "asl" / f"{key}.pickle"
        with contextlib.suppress(Exception):
            program = pickle.loads(path.read_bytes())
            with contextlib.suppress(OSError):
                os.utime(path)  # used: eviction keeps it
            return program
    program = parse(definition)
    if path is not None:
        write_atomically(path, lambda handle: pickle.dump(program, handle, protocol=pickle.HIGHEST_PROTOCOL))
        _prune(path.parent, "*.pickle", DEFINITIONS_KEPT)
    return program


def _prune(folder: Path, pattern: str, keep: int) -> None:
    """Only the ``keep`` most recently used files of ``folder`` stay."""
    found = []
    for path in folder.glob(pattern):
        with contextlib.suppress(OSError):
            found.append((path.stat().st_mtime, path))
    for _, path in sorted(found, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()


def write_atomically(path: Path, write: Any) -> None:
    """Another process reads the old file or the new one, never half of one; a cache that cannot
    be written is no cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=".partial-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(partial, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError, ValueError):
        return
