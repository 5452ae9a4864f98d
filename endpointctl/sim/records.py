"""The controller's own record of an endpoint a scenario says it created before the run.

For a service that keeps no tags (Neptune ML), the controller knows an endpoint is its own by its
claim in the requests table (``controller.ownership``, state ``created``), which the create that
made the endpoint wrote. A scenario's ``createdBy`` stands for that earlier create: its claim is
put in the staged table as that create left it, under an execution of that request that ended long
ago, so a delete or an update of the endpoint finds it the controller's, as it would in the cloud.
"""

from __future__ import annotations

import os

from endpointctl.template import ACCOUNT, REGION


def record_created(endpoint_type: str, endpoint_id: str, request_id: str) -> None:
    """The claim of ``endpoint_type`` endpoint ``endpoint_id``, created by request ``request_id``."""
    from controller import catalog, ownership, providers
    from controller.providers.base import Resource

    if not os.environ.get(catalog.CONTROLLER.requests_table_variable):
        return  # no requests table staged in this world (yet): nothing to record in
    provider = providers.get(endpoint_type)
    resource = Resource(kind=provider.endpoint_kind, id=endpoint_id)
    key = ownership.key(endpoint_type, resource, provider.identity(resource))
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{endpoint_type}-earlier:{request_id}"
    ownership.claim(key, request_id, execution)
    ownership.mark(key, execution, ownership.CREATED)
