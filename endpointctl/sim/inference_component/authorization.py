"""What IAM authorizes each inference-component call with (``Simulator.authorizations``), and what
Application Auto Scaling checks against its caller when it scales a component.

From the service authorization reference ("Actions, resources, and condition keys for Amazon
SageMaker", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html):
``CreateInferenceComponent`` on the ``inference-component`` (with ``aws:RequestTag/${TagKey}`` and
``aws:TagKeys``) and on the ``endpoint`` it is placed on; a create with ``Tags`` also needs
``sagemaker:AddTags`` ("To add tags while creating a resource, you must have sagemaker:AddTags",
https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html); the
other calls on the component (``aws:ResourceTag/${TagKey}`` from its tags, through the runner's
``resource_tags``); ``ListInferenceComponents`` on ``*`` ("Except for the ListTags API,
resource-level restrictions are not available on List- calls",
https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html).
"""

from __future__ import annotations

from typing import Any

from endpointctl.sim.iam import Authorization, tagging
from endpointctl.sim.inference_component.rules import component_arn, endpoint_arn
from endpointctl.sim.sagemaker.scaling import alarm_authorizations

OPERATIONS = frozenset(
    {
        "CreateInferenceComponent",
        "DescribeInferenceComponent",
        "ListInferenceComponents",
        "UpdateInferenceComponent",
        "UpdateInferenceComponentRuntimeConfig",
        "DeleteInferenceComponent",
    }
)
#: Application Auto Scaling's resource id prefix and dimension for components.
PREFIX = "inference-component/"
DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


def authorizations(operation: str, params: dict[str, Any]) -> list[Authorization]:
    action = f"sagemaker:{operation}"
    name = str(params.get("InferenceComponentName"))
    if operation == "CreateInferenceComponent":
        tags = tagging(params.get("Tags"))
        component = component_arn(name)
        return [
            (action, component, tags),
            (action, endpoint_arn(str(params.get("EndpointName"))), {}),
        ] + ([("sagemaker:AddTags", component, tags)] if tags else [])
    if operation == "ListInferenceComponents":
        return [(action, "*", {})]
    if operation in OPERATIONS:
        return [(action, component_arn(name), {})]
    return [(action, "*", {})]


def on_behalf(operation: str, params: dict[str, Any]) -> list[Authorization]:
    """Application Auto Scaling acting on a component (``ServiceNamespace: sagemaker``, resource
    ``inference-component/<name>``) checks its caller's permissions for the target service and
    CloudWatch ("Permissions validation for Application Auto Scaling API calls on target
    resources", https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html):
    for ``RegisterScalableTarget``, ``sagemaker:DescribeInferenceComponent`` and
    ``sagemaker:UpdateInferenceComponentRuntimeConfig`` (the actions its service-linked role uses
    on components, AWS managed policy AWSApplicationAutoscalingSageMakerEndpointPolicy); the alarms
    of target tracking as for variants (``sagemaker.scaling.alarm_authorizations``)."""
    resource = str(params.get("ResourceId"))
    if params.get("ServiceNamespace") != "sagemaker" or not resource.startswith(PREFIX):
        return []
    found = alarm_authorizations(operation, resource, params)
    if operation == "RegisterScalableTarget":
        component = component_arn(resource.removeprefix(PREFIX))
        found += [
            ("sagemaker:DescribeInferenceComponent", component, {}),
            ("sagemaker:UpdateInferenceComponentRuntimeConfig", component, {}),
        ]
    return found
