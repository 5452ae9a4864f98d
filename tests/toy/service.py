"""The toy service's client, as the toy provider sees it. Deployed there would be an SDK client;
in tests the toy simulator installs itself here (``simulator.ToySimulator.install``)."""

from __future__ import annotations

from typing import Protocol


class ToyService(Protocol):
    def create_thing(self, thing_id: str) -> str: ...

    def describe_thing(self, thing_id: str) -> str | None: ...

    def delete_thing(self, thing_id: str) -> None: ...


class ThingBusy(Exception):
    """The service refuses to delete a thing that is still being created."""


current: ToyService | None = None


def client() -> ToyService:
    if current is None:
        raise RuntimeError("no toy service here: run inside the local runner with the toy simulator")
    return current
