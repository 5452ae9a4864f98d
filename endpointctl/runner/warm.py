"""What makes a runner start in about a second: work a run would repeat, done once per process or
kept on disk (``.endpointctl-cache/``, beside the cached template), and imports a run never needs.

Nothing here changes what a run does or decides; each cache holds the output of a pure function
of its key, and a miss (or an unreadable entry) computes it again:

- :func:`defer_moto_imports`: ``moto.ec2`` (half a second of instance types and regions) is not
  imported for moto's Batch integration and ECS targets, which a run does not use, nor moto's ASL
  preprocessor until a definition must really be parsed;
- :func:`parsed_definition`: a state machine definition's evaluation tree, pickled on disk by
  the definition's text and moto's version (ANTLR parses one of ours in ~0.3 s);
- :func:`shared_loader`, :func:`moto_loader`: one botocore loader per search path, and one of
  moto's, for the whole process (each new one reads and decodes the services' JSON models again),
  reading each model file from disk (``marshal``'s format) once it has been decoded.

- :func:`quick_exit`: the interpreter's garbage collections at exit skip what a run left (they
  would walk every object of moto, botocore and the handlers again: ~0.6 s of a one-second run);
  :func:`fewer_collections`: fewer of them during the run too.

The IAM evaluator keeps its decisions on disk too (``endpointctl.runner.iam.evaluator``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import hashlib
import importlib.util
import marshal
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
def _moto_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


@functools.cache
def _definition_salt() -> bytes:
    return f"{_moto_version()}\0{sys.version}\0".encode()


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
        _write_atomically(path, lambda handle: pickle.dump(program, handle, protocol=pickle.HIGHEST_PROTOCOL))
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


def _write_atomically(path: Path, write: Any) -> None:
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


# -- botocore models -----------------------------------------------------------------------------
def shared_loader(search_path_string: str | None = None) -> Any:
    """One botocore loader per search path for the process (it caches what it loaded), reading
    the models through :func:`_file_loader`. ``shared_loader()`` and ``shared_loader(None)`` are
    the same loader (a cache keyed by the call's spelling made them two, each decoding SageMaker's
    model again)."""
    return _loader_for(search_path_string)


@functools.cache
def _loader_for(search_path_string: str | None) -> Any:
    from botocore.loaders import create_loader

    loader = create_loader(search_path_string)
    loader.file_loader = _file_loader()
    _list_services_once(loader)
    _one_model_per_version(loader)
    return loader


def _one_model_per_version(loader: Any) -> None:
    """botocore's loader caches a model by how it was asked for: a session's
    ``load_service_model(name, type_name="service-2", api_version=None)`` and a client's
    ``load_service_model(name, "service-2", api_version=None)`` are two keys, so the same file is
    read and decoded twice (and moto's region lookup, which goes through the session, makes it
    three). Here one (service, type, resolved version) is loaded once; botocore already hands
    every caller the same object for one key, and none of them changes it."""
    original = loader.load_service_model
    loaded: dict[tuple[str, str, str], Any] = {}
    lock = threading.Lock()

    def load_service_model(service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            version = api_version or loader.determine_latest_version(service_name, type_name)
        except Exception:  # an unknown service or type: botocore's own call says which
            return original(service_name, type_name, api_version)
        key = (service_name, type_name, version)
        with lock:
            if key not in loaded:
                loaded[key] = original(service_name, type_name, version)
            return loaded[key]

    loader.load_service_model = load_service_model


@functools.cache
def moto_loader() -> Any:
    """moto's loader (botocore's, plus moto's extras to the models), one for the process: moto
    makes a new one for each model it reads, which lists every service's folder again."""
    from moto.core.loaders import create_loader

    loader = create_loader()
    loader.file_loader = _file_loader()
    _list_services_once(loader)
    _share_plain_models(loader, shared_loader(None))
    return loader


def _share_plain_models(loader: Any, shared: Any) -> None:
    """A model that neither loader adds extras to (moto's ``moto-extras``, botocore's
    ``sdk-extras``) is the same file decoded the same way: moto's loader answers with botocore's
    copy (SageMaker's takes ~35 ms to read; a run would read it once for the clients and once
    for moto). Neither changes a model once loaded; a model with extras is loaded as before."""
    original = loader.load_service_model

    def load_service_model(service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            version = api_version or loader.determine_latest_version(service_name, type_name)
            plain = (
                shared.determine_latest_version(service_name, type_name) == version
                and not any(True for _ in loader._find_extras(service_name, type_name, version))
                and not any(True for _ in shared._find_extras(service_name, type_name, version))
            )
        except Exception:  # an unknown service or type: moto's loader says so, as it would
            plain = False
        if plain:
            return shared.load_service_model(service_name, type_name, version)
        return original(service_name, type_name, api_version)

    loader.load_service_model = load_service_model


def _list_services_once(loader: Any) -> None:
    """A loader lists every service's folder (about 400, and each one's versions) before it reads
    its first model, only to tell an unknown service: the list is kept on disk by the search
    paths, their modification times and botocore's and moto's versions (an upgrade changes them)."""
    import botocore

    original = loader.list_available_services

    def list_available_services(type_name: str) -> list[str]:
        folder = cache_dir()
        if folder is None:
            return list(original(type_name))
        stamps = []
        for path in loader.search_paths:
            with contextlib.suppress(OSError):
                stamps.append(f"{path}\0{os.stat(path).st_mtime_ns}")
        salt = f"{botocore.__version__}\0{_moto_version()}\0{type_name}\0" + "\0".join(stamps)
        path = folder / "models" / f"services-{hashlib.sha256(salt.encode()).hexdigest()[:32]}.pickle"
        with contextlib.suppress(Exception):
            return list(pickle.loads(path.read_bytes()))
        services = list(original(type_name))
        _write_atomically(
            path, lambda handle: pickle.dump(services, handle, protocol=pickle.HIGHEST_PROTOCOL)
        )
        return services

    loader.list_available_services = functools.cache(list_available_services)


@functools.cache
def _file_loader() -> Any:
    """botocore's JSON file loader, with each decoded file also kept on disk, by the file's path,
    size and modification time and the interpreter's version, in ``marshal``'s format (the
    ``.pyc`` files' own: SageMaker's model reads in 7 ms, against 16 ms from a pickle of
    botocore's ``OrderedDict`` objects and ~35 ms from the JSON). The decoded file is made of
    plain ``dict`` objects, as ordered as botocore's ``OrderedDict`` (which botocore only
    iterates and indexes), on a miss too, so every run sees the same types."""
    from botocore.loaders import JSONFileLoader

    class MarshalledJSONFileLoader(JSONFileLoader):  # type: ignore[misc]
        def _load_file(self, full_path: str, open_method: Any) -> Any:
            try:
                stat = os.stat(full_path)
            except OSError:
                return None
            folder = cache_dir()
            if folder is None:
                return super()._load_file(full_path, open_method)
            salt = f"{sys.version}\0{full_path}\0{stat.st_size}\0{stat.st_mtime_ns}"
            key = hashlib.sha256(salt.encode()).hexdigest()[:32]
            path = folder / "models" / f"{key}.marshal"
            with contextlib.suppress(Exception):
                return marshal.loads(path.read_bytes())
            data = super()._load_file(full_path, open_method)
            if data is not None:
                data = _plain(data)
                _write_atomically(path, lambda handle: marshal.dump(data, handle))
            return data

    return MarshalledJSONFileLoader()


def _plain(value: Any) -> Any:
    """``value`` with every mapping a ``dict`` (``marshal`` writes only the built-in types)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
