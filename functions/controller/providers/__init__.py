"""The registry of endpoint types. A new type is one module here and one entry below."""

from __future__ import annotations

from controller.providers.aml import AmlProvider
from controller.providers.base import Provider
from controller.providers.neptune import NeptuneProvider
from controller.providers.sagemaker import SageMakerProvider

PROVIDERS: dict[str, type[Provider]] = {
    provider.endpoint_type: provider for provider in (SageMakerProvider, AmlProvider, NeptuneProvider)
}


def get(endpoint_type: str) -> Provider:
    """The provider of ``endpoint_type`` (``KeyError`` for an unknown type)."""
    return PROVIDERS[endpoint_type]()
