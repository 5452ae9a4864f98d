"""A toy fourth endpoint type, defined entirely inside ``tests/``: the proof that a new type is its
own files and nothing else (docs/adding-an-endpoint-type.md).

Its files are exactly what a real type needs: a catalog row (:data:`ROW`), a provider
(``provider.py``, the functions' home), an infra module (``infra.py``) and a simulator
(``simulator.py``, with the in-process service it simulates in ``service.py``). :func:`registered`
adds them through the public registries only, and removes them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Its catalog row, as it would stand in ``functions/controller/catalog.json``. The service
#: announces status changes, so the toy also proves the event path (await, rule, resume) generic.
ROW: dict[str, Any] = {
    "name": "toy",
    "title": "Toy",
    "identifier": "thingId",
    "stateChanges": {"source": "toy.things", "detailType": "Toy Thing State Change"},
}


@contextmanager
def registered() -> Iterator[None]:
    """The toy type in every registry (catalog rows of both trees, provider, infra, simulator)."""
    import controller.catalog
    import controller.providers
    import endpointctl.sim
    import infra.catalog
    import infra.endpoint_types
    from tests.toy.infra import ToyInfra
    from tests.toy.provider import ToyProvider
    from tests.toy.simulator import ToySimulator

    controller.catalog.register(ROW)
    infra.catalog.register(ROW)
    try:
        controller.providers.register(ToyProvider)
        infra.endpoint_types.register(ToyInfra)
        endpointctl.sim.register(ToySimulator)
        yield
    finally:
        endpointctl.sim.unregister("toy")
        infra.endpoint_types.unregister("toy")
        controller.providers.unregister("toy")
        infra.catalog.unregister("toy")
        controller.catalog.unregister("toy")
