"""The registry of endpoint types. A new type is one module here and one entry below."""

from __future__ import annotations

from controller.providers.base import Provider
from controller.providers.sagemaker import SageMakerProvider

PROVIDERS: dict[str, type[Provider]] = {
    SageMakerProvider.endpoint_type: SageMakerProvider,
}


def get(endpoint_type: str) -> Provider:
    """The provider of ``endpoint_type`` (``KeyError`` for an unknown type)."""
    return PROVIDERS[endpoint_type]()
