"""SageMaker's part of adopting an endpoint (``controller.adoption``): its ownership tags.

An update with ``options.adopt`` of an endpoint the controller did not create tags it as the
controller tags what it creates (``ml-endpoint-controller:request-id`` with the adopting request's
id, ``ml-endpoint-controller:stack`` with this stack's name, and the managed-by tag while there is
room) before ``UpdateEndpoint`` is sent: the function's IAM policy allows ``UpdateEndpoint`` only on
endpoints that carry the ownership tag (and no other stack's tag), and a later delete, expiry or
``deleteReplacedConfig`` judges ownership by them.

``AddTags`` "adds or overwrites one or more tags"
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html), and a resource has
at most 50 (the service model's ``TagList`` maximum, as ``rules.py`` says): only keys the endpoint
lacks are added, so its owner's tags are never overwritten. An endpoint with no room left for the
controller's tags cannot be adopted: ``EndpointNotOwned``, with nothing changed. (One that another
stack of the controller owns is refused before this: ``controller.adoption``.)
"""

from __future__ import annotations

from controller import aws, catalog, deployment
from controller.errors import EndpointNotOwned

MAX_TAGS = 50


def tag(name: str, request_id: str) -> None:
    """Give endpoint ``name`` the controller's ownership tags for ``request_id`` (again: a no-op)."""
    sagemaker = aws.client("sagemaker")
    arn = str(sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"])
    present = {
        str(t.get("Key")) for t in sagemaker.list_tags(ResourceArn=arn, MaxResults=100).get("Tags", [])
    }
    owner, managed = catalog.CONTROLLER.owner_tag, catalog.CONTROLLER.managed_tag
    stack, stack_tag = deployment.stack_name(), catalog.CONTROLLER.stack_tag
    wanted = [{"Key": owner, "Value": request_id}] if owner not in present else []
    if stack and stack_tag not in present:
        wanted.append({"Key": stack_tag, "Value": stack})
    if wanted and len(present) + len(wanted) > MAX_TAGS:
        raise EndpointNotOwned(
            f"endpoint {name} carries {len(present)} tags, and SageMaker allows {MAX_TAGS}, so it "
            f"cannot take the controller's ownership tags ({', '.join(t['Key'] for t in wanted)}): "
            "remove some of its tags to adopt it"
        )
    if managed not in present and len(present) + len(wanted) < MAX_TAGS:
        wanted.append({"Key": managed, "Value": catalog.CONTROLLER.managed_value})
    if wanted:
        sagemaker.add_tags(ResourceArn=arn, Tags=wanted)
