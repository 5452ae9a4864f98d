"""One operation per endpoint at a time (docs/updates-and-expiry.md): a lease on the endpoint's identity.

An accepted request takes its endpoint's lease before it acts (``steps.intake``). While another
execution of this controller holds it and is still at work (its ledger ``running`` or
``cleaning``), the request waits its turn in the state machine (a Wait state, then ``turn``
again), and proceeds once the lease is free; past its own deadline it ends ``EndpointBusy``,
having touched nothing. The lease itself is read from the controller's own table only.

The table knows nothing of operations that are not the controller's (someone updating the
endpoint in the console or with another tool), and the service refuses an update of an endpoint
that is busy with one. So once a request holds the lease, its provider may look at the service
(``Provider.occupied``: one read, for the actions that need it, an update) and the request waits
for such an operation in the same way, keeping the lease meanwhile, and ends ``EndpointBusy``
likewise. The lease goes with the holder's outcome (``steps.conclusion``) or clean-up
(``steps.cleanup``); one whose holder ended without either (its ledger closed) is stale and
taken over, conditionally on the old holder, so two waiters cannot both take it.
"""

from __future__ import annotations

from controller import clock, ledger, store
from controller.providers.base import Provider, Resource

#: How often a waiting request looks whether the endpoint is free again (capped by its deadline).
TURN_SECONDS = 30


def key(provider: Provider, endpoint_id: str) -> str:
    identity = provider.identity(Resource(kind=provider.endpoint_kind, id=endpoint_id))
    return f"#busy#{provider.endpoint_type}#{identity}"


def take(lease_key: str, execution_arn: str) -> str | None:
    """Take the lease for ``execution_arn``: ``None`` once it holds it, else the execution whose
    operation on the endpoint is still under way."""
    item = {"executionArn": execution_arn, "at": int(clock.now())}
    table = store.current()
    for _ in range(10):  # released or taken over between the write and the read: try again
        if table.put(lease_key, item, if_absent_or={"executionArn": execution_arn}):
            return None
        current = table.get(lease_key)
        if current is None:
            continue
        holder = str(current.get("executionArn"))
        found = ledger.read(holder)
        if found is not None and found.phase in (ledger.RUNNING, ledger.CLEANING):
            return holder
        if table.put(lease_key, item, if_match={"executionArn": holder}):  # stale: its holder ended
            return None
    raise RuntimeError(f"{lease_key}: its lease keeps changing")


def release(lease_key: str, execution_arn: str) -> None:
    """Give the lease up, if ``execution_arn`` holds it."""
    store.current().delete(lease_key, if_match={"executionArn": execution_arn})
