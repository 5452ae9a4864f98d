"""An endpoint's status on the virtual clock: ``Creating`` → the scenario's outcome after
``createSeconds``, ``Deleting`` → gone (or ``Failed``) after ``deleteSeconds``, and an update's
progress (``updates.refresh_update``).

A new status is a modification, so the endpoint's ``LastModifiedTime`` (DescribeEndpoint,
ListEndpoints) moves with it, as SageMaker's does ("LastModifiedTime: Timestamp when the endpoint
was last modified", https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_EndpointSummary.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from endpointctl.sim.sagemaker import updates
from endpointctl.sim.sagemaker.events import modified

if TYPE_CHECKING:
    from endpointctl.sim.sagemaker import SageMakerSim


def refresh(sim: SageMakerSim, name: str) -> None:
    """Bring the endpoint ``name`` up to the virtual clock."""
    endpoint = sim.backend().endpoints.get(name)
    before = endpoint.endpoint_status if endpoint is not None else None
    _advance(sim, name)
    if endpoint is not None and endpoint.endpoint_status != before:
        modified(endpoint, sim.clock.now())


def _advance(sim: SageMakerSim, name: str) -> None:
    backend = sim.backend()
    endpoint = backend.endpoints.get(name)
    timeline = sim.timelines.get(name)
    if endpoint is None or timeline is None:
        return
    now = sim.clock.now()
    if timeline.delete_at is not None:
        if now >= timeline.delete_at + sim.delete_seconds:
            done_at = timeline.delete_at + sim.delete_seconds
            sim.deleted.setdefault(name, []).append((timeline.delete_execution, done_at))
            if sim.delete_outcome == "Deleted":
                del backend.endpoints[name]
                sim.timelines.pop(name, None)
            else:
                endpoint.endpoint_status = "Failed"
                endpoint.failure_reason = "simulated: the endpoint could not be deleted"
        return
    if timeline.update_at is not None or timeline.updated:
        updates.refresh_update(sim, endpoint, timeline)
        return
    if timeline.create_at is None:
        return
    ready_at = timeline.create_at + sim.create_seconds
    if now >= ready_at:
        endpoint.endpoint_status = sim.outcome
        if sim.outcome == "Failed":
            endpoint.failure_reason = sim.failure_reason
        sim.terminal.setdefault(name, (timeline.execution, ready_at))
    else:
        endpoint.endpoint_status = "Creating"
