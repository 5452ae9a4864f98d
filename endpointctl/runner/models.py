"""botocore's service models, decoded once for the process and kept on disk between processes.

A run reads about fifteen service models (SageMaker's is megabytes of JSON) through four kinds of
reader: boto3's default session of each world, the clients of the stager and the handlers, moto's
own loader (botocore's, plus moto's extras) and moto's region lookup. Left alone, each reader
decodes what it needs again. Here:

- :func:`share` points every botocore session and moto at one loader per search path
  (:func:`shared_loader`, :func:`moto_loader`), for the whole process;
- a loader hands out one decoded model per service, type and version however it is asked for
  (:func:`_one_model_per_version`), and moto's loader answers with the shared copy when neither
  adds extras to it (:func:`_share_plain_models`);
- each model file is kept on disk in ``marshal``'s format once decoded (:func:`_file_loader`),
  and each loader's list of services too (:func:`_list_services_once`).

Nothing changes what a model says: each cache holds the output of a pure function of its key (the
file's path, size and modification time; botocore's and moto's versions), and a miss decodes again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import pickle
import sys
import threading
from contextlib import ExitStack
from typing import Any
from unittest import mock

from endpointctl.runner.warm import cache_dir, moto_version, write_atomically


def share(stack: ExitStack) -> None:
    """Every botocore session of the run shares one model loader (per data path): a new world's
    default session, moto's and the interpreter's clients would otherwise each read and decode
    the services' JSON models again (SageMaker's alone is several MB)."""
    from botocore import session
    from moto.core import utils

    stack.enter_context(mock.patch.object(session, "create_loader", shared_loader))
    stack.enter_context(mock.patch.object(utils, "create_loader", moto_loader))


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
        salt = f"{botocore.__version__}\0{moto_version()}\0{type_name}\0" + "\0".join(stamps)
        path = folder / "models" / f"services-{hashlib.sha256(salt.encode()).hexdigest()[:32]}.pickle"
        with contextlib.suppress(Exception):
            return list(pickle.loads(path.read_bytes()))
        services = list(original(type_name))
        write_atomically(path, lambda handle: pickle.dump(services, handle, protocol=pickle.HIGHEST_PROTOCOL))
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
                write_atomically(path, lambda handle: marshal.dump(data, handle))
            return data

    return MarshalledJSONFileLoader()


def _plain(value: Any) -> Any:
    """``value`` with every mapping a ``dict`` (``marshal`` writes only the built-in types)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
