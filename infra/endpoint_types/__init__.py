"""The registry of endpoint types, as the infrastructure knows them.

The types are the catalog's rows (``infra.catalog.rows()``), in its order: that order is the
stack's, the dashboard's and the context validation's. A built-in type's infrastructure is the
one :class:`~infra.endpoint_types.base.EndpointTypeInfra` subclass whose ``name`` is the type's,
in the module ``infra.endpoint_types.<name>`` (a hyphen in the name is an underscore in the module's,
as in ``controller.providers``). Code outside this package (a test defining a type of its
own) adds one with :func:`register`, after adding its row with ``infra.catalog.register(row)``.

Type modules are imported lazily, when a type is first asked for, because they build on the
shared modules that use this registry: they raise ``infra.config.ConfigError`` and acknowledge
through ``infra.nag``, and both of those ask this registry for the types. Importing the type
modules here, eagerly, would make each import of ``infra.config`` a cycle. (The functions'
provider registry, ``controller.providers``, is lazy by the same convention.)
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from infra import catalog
from infra.endpoint_types.base import EndpointTypeInfra

#: Types added from outside the package (:func:`register`), by name.
_REGISTERED: dict[str, type[EndpointTypeInfra[Any]]] = {}


def names() -> tuple[str, ...]:
    """Every endpoint type, in catalog order (registered rows last)."""
    return tuple(catalog.rows())


def registered() -> tuple[str, ...]:
    """The types added from outside the package (:func:`register`), in catalog order."""
    return tuple(name for name in catalog.rows() if name in _REGISTERED)


def module_name(name: str) -> str:
    """The module of type ``name`` in each tree: a type's name may hold hyphens, a module's not."""
    return name.replace("-", "_")


def get(name: str) -> type[EndpointTypeInfra[Any]]:
    """The infrastructure class of ``name`` (``KeyError`` for a type the catalog does not have)."""
    if name not in catalog.rows():
        raise KeyError(f"endpoint type {name!r} is not in the catalog (infra.catalog.rows())")
    if name in _REGISTERED:
        return _REGISTERED[name]
    module = f"{__name__}.{module_name(name)}"
    if find_spec(module) is None:
        raise KeyError(f"endpoint type {name!r} has no infrastructure: add {module} or register() one")
    found = [
        value
        for value in vars(import_module(module)).values()
        if isinstance(value, type)
        and issubclass(value, EndpointTypeInfra)
        and value.__module__ == module
        and getattr(value, "name", None) == name
    ]
    if len(found) != 1:
        raise TypeError(f"{module} must define one EndpointTypeInfra subclass named {name!r}, not {found}")
    return found[0]


def register(cls: type[EndpointTypeInfra[Any]]) -> type[EndpointTypeInfra[Any]]:
    """Add a type defined outside this package; its catalog row must be there already. Returns
    ``cls``, so it works as a class decorator."""
    name = cls.name
    if name not in catalog.rows():
        raise KeyError(f"endpoint type {name!r} has no catalog row: infra.catalog.register(row) first")
    if name in _REGISTERED or find_spec(f"{__name__}.{module_name(name)}") is not None:
        raise ValueError(f"endpoint type {name!r} already has its infrastructure")
    _REGISTERED[name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a type :func:`register` added (its catalog row is ``infra.catalog.unregister``'s)."""
    _REGISTERED.pop(name, None)
