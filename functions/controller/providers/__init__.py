"""The registry of providers, one per endpoint type of the catalog.

A catalog type's provider is the ``PROVIDER`` class of ``controller.providers.<name>`` (a hyphen in
the name is an underscore in the module's: ``inference-component`` → ``inference_component``), imported
when the type is first asked for: each Lambda function serves one endpoint type, so it never loads
(nor pays the cold start of) the others. Code outside this package (a test's own endpoint type)
adds a provider with :func:`register`, after adding its row to the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

from controller import catalog

if TYPE_CHECKING:
    from controller.providers.base import Provider

_REGISTERED: dict[str, type[Provider]] = {}


class _Registry(Mapping[str, "type[Provider]"]):
    """Endpoint type → provider class, in catalog order, importing a module on first lookup."""

    def __getitem__(self, endpoint_type: str) -> type[Provider]:
        catalog.get(endpoint_type)  # KeyError for a type the catalog does not know
        if endpoint_type not in _REGISTERED:
            module = import_module(f"{__name__}.{endpoint_type.replace('-', '_')}")
            _REGISTERED[endpoint_type] = module.PROVIDER
        return _REGISTERED[endpoint_type]

    def __iter__(self) -> Iterator[str]:
        return iter(catalog.names())

    def __len__(self) -> int:
        return len(catalog.names())

    def __contains__(self, endpoint_type: object) -> bool:
        return isinstance(endpoint_type, str) and endpoint_type in catalog.names()


PROVIDERS: Mapping[str, type[Provider]] = _Registry()


def get(endpoint_type: str) -> Provider:
    """The provider of ``endpoint_type`` (``KeyError`` for an unknown type)."""
    return PROVIDERS[endpoint_type]()


def register(provider: type[Provider]) -> None:
    """Use ``provider`` for its ``endpoint_type`` (whose catalog row must exist)."""
    catalog.get(provider.endpoint_type)
    _REGISTERED[provider.endpoint_type] = provider


def unregister(endpoint_type: str) -> None:
    _REGISTERED.pop(endpoint_type, None)
