"""Whose an endpoint is, for the two actions that change one the controller did not just create:
``delete`` and ``update``; and the adoption of one by an update (``options.adopt``).

Both judge ownership one way (:func:`owned`): by the service's own marks where it keeps them (the
SageMaker ownership tag, ``Provider.ownership``), else by the controller's durable claim
(``controller.ownership``, state ``created``). An endpoint that another stack of the controller made
or adopted (SageMaker's stack tag names that stack) is not this stack's: a delete refuses it, and an
update refuses it even with ``options.adopt`` (taking it would leave the other stack's records
claiming it). A delete refuses what is not owned
(``steps/teardown.py``); an update does too (:func:`admit`, in the Create step before
``Provider.update``), so that nothing made elsewhere is changed by accident, unless the request
says ``options.adopt: true``.

Adopting records the endpoint as the controller's *before* the update is sent, so whatever ends
the update (a rollback by the service, a failure, a stop), the endpoint is the controller's from
then on, and a later update, delete or expiry treats it as its own:

- its claim, taken for this execution and marked ``created``: the record a delete trusts for a
  service that keeps no tags (and a second witness beside SageMaker's tags);
- the execution's ledger says ``adopted`` (the notification says so, also when the update failed),
  but the endpoint is never in the ledger's ``claimed`` or ``created`` lists: those are what a
  rollback or clean-up deletes and what settling the execution releases, and an adopted endpoint is
  neither deleted by its update's failure nor given up when the execution ends;
- the type's own marks, ``Provider.adopt`` (SageMaker: the ownership and managed-by tags, which its
  IAM policy requires for ``UpdateEndpoint`` on an endpoint).

Each part is idempotent: a retried Create step that finds the claim held by its own execution
finishes the adoption and says ``adopted`` again.
"""

from __future__ import annotations

from controller import ledger, ownership
from controller.errors import EndpointNotFound, EndpointNotOwned, TransientServiceError
from controller.providers.base import Ownership, Provider, Resource, Status
from controller.state import State

#: The ledger attribute that names the endpoint an execution adopted.
ADOPTED = "adopted"


def claim_key(provider: Provider, target: Resource) -> str:
    return ownership.key(provider.endpoint_type, target, provider.identity(target))


def owned(provider: Provider, target: Resource) -> bool | None:
    """Whether the controller created (or adopted) ``target`` (``None``: it does not exist): its
    tags, where the service keeps them, else the controller's own record. What another stack of
    the controller owns (its stack tag) is not this one's."""
    found = judged(provider, target)
    return None if found is Ownership.ABSENT else found is Ownership.OWNED


def judged(provider: Provider, target: Resource) -> Ownership:
    """Whose ``target`` is: ``OWNED``, ``NOT_OWNED``, ``OTHER_STACK`` or ``ABSENT`` (by its tags, or
    for a service without tags by this stack's claim; each stack has its own requests table)."""
    found = provider.ownership(target)
    if found is not Ownership.UNKNOWN:
        return found
    if ownership.holder(claim_key(provider, target)) is not None:
        return Ownership.OWNED
    return Ownership.ABSENT if provider.describe(target).status is Status.ABSENT else Ownership.NOT_OWNED


def admit(state: State, provider: Provider) -> bool:
    """An update may go on: whether this request adopted the endpoint (``False``: it was the
    controller's already). Raises, having changed nothing, ``EndpointNotFound`` when there is no
    such endpoint, and ``EndpointNotOwned`` for one the controller neither created nor adopted when
    the request does not say ``options.adopt``."""
    if state.endpointId is None:
        return False
    endpoint = Resource(kind=provider.endpoint_kind, id=state.endpointId)
    key = claim_key(provider, endpoint)
    held = ownership.holder(key)
    if held is not None and held.execution_arn == state.executionArn:
        _adopt(state, provider, endpoint, key)  # an earlier attempt of this step began it
        return True
    verdict = judged(provider, endpoint)
    if verdict is Ownership.ABSENT:
        raise EndpointNotFound(
            f"{provider.endpoint_type} {endpoint.label} does not exist: there is nothing to update"
        )
    if verdict is Ownership.OWNED:
        return False
    if verdict is Ownership.OTHER_STACK:
        raise EndpointNotOwned(
            f"{provider.endpoint_type} {endpoint.label} belongs to another stack of this controller "
            "(its ml-endpoint-controller:stack tag names it): that stack updates it, and this one "
            "does not adopt it, even with options.adopt"
        )
    if not state.options.adopt:
        raise EndpointNotOwned(
            f"{provider.endpoint_type} {endpoint.label} was not created by this controller, so an update "
            "leaves it alone (to take it over, send the update with options.adopt: true)"
        )
    _adopt(state, provider, endpoint, key)
    return True


def _adopt(state: State, provider: Provider, endpoint: Resource, key: str) -> None:
    held, _ = ownership.claim(key, state.requestId, state.executionArn)
    if held.execution_arn != state.executionArn:
        # A claim left by an earlier request (its endpoint deleted by hand, and this one made
        # elsewhere since): taken over, unless that request is still at work.
        other = ledger.read(held.execution_arn)
        if other is not None and other.open:
            raise TransientServiceError(
                f"{endpoint.label}: request {held.request_id} of this controller holds its claim "
                "and is still running"
            )
        if not ownership.take_over(key, held, state.requestId, state.executionArn):
            raise TransientServiceError(f"{endpoint.label}: its claim changed while it was being taken over")
    ledger.update(state.executionArn, **{ADOPTED: endpoint.label})
    ownership.mark(key, state.executionArn, ownership.CREATED)
    provider.adopt(endpoint, state.requestId)


def adopted(state: State) -> bool:
    """Whether this update adopted its endpoint: said by its Create step, or (when that step
    failed after adopting, and its output was lost to the ``Catch``) by its ledger."""
    if state.adopted:
        return True
    if state.action != "update" or not state.options.adopt:
        return False
    found = ledger.read(state.executionArn)
    return found is not None and bool(found.extra.get(ADOPTED))
