"""The registry of endpoint types. A new type is one module here and one entry below.

A provider's module is imported when its type is first asked for: each Lambda function serves one
endpoint type, so it never loads (nor pays the cold start of) the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controller.providers.base import Provider

#: Endpoint type → ``module:class`` of its provider, in the order messages list the types.
_LOCATIONS = {
    "sagemaker": "controller.providers.sagemaker:SageMakerProvider",
    "aml": "controller.providers.aml:AmlProvider",
    "neptune": "controller.providers.neptune:NeptuneProvider",
}


class _Registry(Mapping[str, "type[Provider]"]):
    """Endpoint type → provider class, importing each provider's module on first lookup."""

    def __getitem__(self, endpoint_type: str) -> type[Provider]:
        module, name = _LOCATIONS[endpoint_type].split(":")
        provider: type[Provider] = getattr(import_module(module), name)
        return provider

    def __iter__(self) -> Iterator[str]:
        return iter(_LOCATIONS)

    def __len__(self) -> int:
        return len(_LOCATIONS)

    def __contains__(self, endpoint_type: object) -> bool:
        return endpoint_type in _LOCATIONS


PROVIDERS: Mapping[str, type[Provider]] = _Registry()


def get(endpoint_type: str) -> Provider:
    """The provider of ``endpoint_type`` (``KeyError`` for an unknown type)."""
    return PROVIDERS[endpoint_type]()
