"""A resource the lifecycle creates or deletes, as every record of the controller names it (the
ledger, the ownership claims, a teardown's plan): the shape shared by the providers and the
records, so the records need no provider."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Resource(BaseModel):
    """A resource the lifecycle created or deletes (``kind`` is the provider's own word)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: str
    id: str
    deleteRequested: bool = False
    gone: bool = False
    #: Not the controller's: a delete the deployment allows (``allowUnmanagedDeletes``) only.
    unmanaged: bool = False
    #: The endpoint this resource was made for (a config made by its create or by an update):
    #: recorded with it (``ownership.made_for``), so the endpoint's expiry removes it too.
    endpoint: str | None = None
    #: Not deleted because an endpoint uses it (``Provider.users``): settled, and named ``kept``.
    kept: bool = False

    @property
    def label(self) -> str:
        """How notifications name it: ``endpoint churn-prod``, ``endpoint-config churn-v3``."""
        return f"{self.kind} {self.id}"
