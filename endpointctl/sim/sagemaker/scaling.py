"""Application Auto Scaling around the simulated SageMaker (docs/local-runner.md ``sagemaker.autoScaling``):
moto's backend keeps the scalable targets and their policies; this module seeds the scenario's
(limits and ``Policies``), and plays SageMaker's part: ``UpdateEndpoint`` is refused when it would
change a registered variant's instance type or remove a registered variant, and ``DeleteEndpoint``
deregisters the endpoint's variants with the caller's permissions ("Update or delete endpoints that
use automatic scaling", https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html).
Deregistering a target deletes its scaling policies too, as the service does
(API_DeregisterScalableTarget).

Where moto is kinder than the service, this module is not: ``RegisterScalableTarget`` of a variant
that does not exist is refused (Application Auto Scaling validates the target with the target
service before it registers it, "Permissions validation for Application Auto Scaling API calls on
target resources", https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_permission_validation.html),
and ``PutScalingPolicy`` of a target that is not registered is ``ObjectNotFoundException``
(API_PutScalingPolicy). What Application Auto Scaling checks against the caller when it acts on
SageMaker for it is :func:`on_behalf`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.core.exceptions import JsonRESTError

from endpointctl.sim.iam import Authorization, arn, ensure_scaling_role
from endpointctl.template import ACCOUNT, REGION

NAMESPACE = "sagemaker"
#: moto's own RegisterScalableTarget and PutScalingPolicy, before :func:`install` checks them.
_UNCHECKED: dict[str, Any] = {}
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def backend() -> Any:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    return applicationautoscaling_backends[ACCOUNT][REGION]


def install(stack: ExitStack, variants_of: Callable[[str], list[str] | None]) -> None:
    """``variants_of``: the variant names of a SageMaker endpoint (``None``: it does not exist)."""
    from moto.applicationautoscaling.exceptions import AWSValidationException
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.deregister_scalable_target
    register = _UNCHECKED["register"] = ApplicationAutoscalingBackend.register_scalable_target
    put_policy = _UNCHECKED["put"] = ApplicationAutoscalingBackend.put_scaling_policy

    def registered(self: Any, namespace: str, r_id: str, *args: Any, **kwargs: Any) -> Any:
        if namespace == NAMESPACE and r_id.startswith("endpoint/"):  # a variant (components: theirs)
            endpoint, _, variant = r_id.removeprefix("endpoint/").partition("/variant/")
            found = variants_of(endpoint)
            if found is None or variant not in found:
                raise AWSValidationException(
                    f"The resource endpoint/{endpoint}/variant/{variant} does not exist: no variant "
                    f"{variant} on an endpoint named {endpoint}"
                )
        ensure_scaling_role(namespace)  # the service-linked role comes with the first target
        return register(self, namespace, r_id, *args, **kwargs)

    def put(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = inspect.signature(put_policy).bind(self, *args, **kwargs).arguments
        r_id, dimension = call["resource_id"], call["scalable_dimension"]
        if not self._scalable_target_exists(r_id, dimension):
            raise ObjectNotFound(
                f"No scalable target registered for service namespace: {call['service_namespace']}, "
                f"resource ID: {r_id}, scalable dimension: {dimension}"
            )
        return put_policy(self, *args, **kwargs)

    def deregister(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        original(self, namespace, r_id, dimension)
        for key in [
            k for k, p in self.policies.items() if p.resource_id == r_id and p.service_namespace == namespace
        ]:
            del self.policies[key]

    stack.enter_context(
        mock.patch.object(ApplicationAutoscalingBackend, "deregister_scalable_target", deregister)
    )
    stack.enter_context(
        mock.patch.object(ApplicationAutoscalingBackend, "register_scalable_target", registered)
    )
    stack.enter_context(mock.patch.object(ApplicationAutoscalingBackend, "put_scaling_policy", put))


def seed(registered: dict[str, dict[str, Any]]) -> None:
    """``{endpoint: {variant: {"MinCapacity": 1, "MaxCapacity": 4, "Policies": [...]}}}``,
    registered (with their policies) before the run."""
    for endpoint, variants in registered.items():
        for variant, limits in variants.items():
            resource = f"endpoint/{endpoint}/variant/{variant}"
            # The world as the scenario says it was (an endpoint a first request creates may
            # already have its scaling): not checked as a call would be.
            _UNCHECKED["register"](
                backend(), NAMESPACE, resource, DIMENSION, limits.MinCapacity, limits.MaxCapacity, None, None
            )
            for policy in limits.Policies:
                body = policy.model_dump()
                name, kind = body.pop("PolicyName"), body.pop("PolicyType")
                configuration = body.get(f"{kind}PolicyConfiguration", {})
                _UNCHECKED["put"](backend(), name, NAMESPACE, resource, DIMENSION, configuration, kind)


def policies(resource_id: str | None = None) -> list[Any]:
    """The scaling policies of SageMaker variants (of one target, ``endpoint/<e>/variant/<v>``)."""
    return [
        p
        for p in backend().policies.values()
        if p.service_namespace == NAMESPACE
        and p.resource_id.startswith("endpoint/")  # variants' (components' are their simulator's)
        and (resource_id is None or p.resource_id == resource_id)
    ]


def all_policies() -> list[str]:
    """``endpoint/variant/PolicyName`` of every policy (``remaining.sagemaker.scalingPolicies``)."""
    return sorted(
        f"{p.resource_id.removeprefix('endpoint/').replace('/variant/', '/')}/{p.policy_name}"
        for p in policies()
    )


def registered_variants(endpoint: str) -> list[str]:
    prefix = f"endpoint/{endpoint}/variant/"
    return sorted(
        t.resource_id[len(prefix) :]
        for t in backend().describe_scalable_targets(NAMESPACE, None, DIMENSION)
        if t.resource_id.startswith(prefix)
    )


def all_registered() -> list[str]:
    """``endpoint/variant`` of every registered SageMaker variant (``remaining.scalableVariants``)."""
    return sorted(
        t.resource_id.removeprefix("endpoint/").replace("/variant/", "/")
        for t in backend().describe_scalable_targets(NAMESPACE, None, DIMENSION)
    )


def refusal(
    endpoint: str, live_variants: list[dict[str, Any]], new_variants: list[dict[str, Any]]
) -> str | None:
    """SageMaker's refusal of an update that a registered variant stands in the way of."""
    wanted = {str(v.get("VariantName")): v for v in new_variants}
    live = {str(v.get("VariantName")): v for v in live_variants}
    blocked = [
        name
        for name in registered_variants(endpoint)
        if name not in wanted
        or (name in live and wanted[name].get("InstanceType") != live[name].get("InstanceType"))
    ]
    if not blocked:
        return None
    return (
        f"The variant(s) {blocked} of endpoint {endpoint} are registered with Application Auto Scaling: "
        "deregister them as scalable targets before changing their instance type or removing them"
    )


def release_endpoint(endpoint: str) -> None:
    """A deleted endpoint's variants are deregistered (SageMaker does it on the caller's behalf)."""
    for variant in registered_variants(endpoint):
        backend().deregister_scalable_target(NAMESPACE, f"endpoint/{endpoint}/variant/{variant}", DIMENSION)


def target_arn(endpoint: str, variant: str) -> str:
    """A scalable target's ARN, as the runner names it (the real one carries an id the service
    assigns; the endpoint and variant stand in for it)."""
    return arn("application-autoscaling", f"scalable-target/{endpoint}-{variant}")


def delete_authorizations(endpoint: str) -> list[Authorization]:
    """``DeleteEndpoint`` deregisters the endpoint's variants with the caller's permissions, which
    deletes their policies, and with them the alarms of target tracking (:func:`tracking_alarms`)."""
    found: list[Authorization] = []
    for variant in registered_variants(endpoint):
        resource = f"endpoint/{endpoint}/variant/{variant}"
        found.append(("application-autoscaling:DeregisterScalableTarget", target_arn(endpoint, variant), {}))
        found += alarm_authorizations("DeregisterScalableTarget", resource, None)
    return found


#: The alarms Application Auto Scaling makes for a target tracking policy, and deletes with it:
#: ``TargetTracking-<resource id>-AlarmHigh-<uuid>`` and ``...-AlarmLow-<uuid>`` (the names its
#: service-linked role's policy is scoped to, ``alarm:TargetTracking*``: AWS managed policy
#: AWSApplicationAutoscalingSageMakerEndpointPolicy). The uuid is Application Auto Scaling's own;
#: a fixed one stands in for it.
_ALARM_ID = "00000000-0000-0000-0000-000000000000"


def tracking_alarms(resource_id: str) -> list[str]:
    return [
        arn("cloudwatch", f"alarm:TargetTracking-{resource_id}-Alarm{side}-{_ALARM_ID}")
        for side in ("High", "Low")
    ]


def alarm_authorizations(
    operation: str, resource_id: str, params: dict[str, Any] | None
) -> list[Authorization]:
    """The CloudWatch half of what Application Auto Scaling checks against its caller ("You also
    need to make sure that end users have permissions for the target service and CloudWatch":
    Application Auto Scaling identity-based policy examples, "Permissions required for API actions
    on target services and CloudWatch",
    https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html;
    it validates them before it acts, security_iam_permission_validation.html): a target tracking
    policy creates its alarms (``cloudwatch:PutMetricAlarm``, ``cloudwatch:DescribeAlarms``);
    deleting the policy, or deregistering its target, deletes them (``cloudwatch:DeleteAlarms``)."""
    if operation == "PutScalingPolicy":
        if (params or {}).get("PolicyType", "StepScaling") != "TargetTrackingScaling":
            return []
        return [
            (action, alarm, {})
            for alarm in tracking_alarms(resource_id)
            for action in ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms")
        ]
    if operation in ("DeleteScalingPolicy", "DeregisterScalableTarget"):
        name = (params or {}).get("PolicyName")
        tracking = [
            p
            for p in policies(resource_id)
            if p.policy_type == "TargetTrackingScaling" and (name is None or p.policy_name == name)
        ]
        return [
            (action, alarm, {})
            for _ in tracking[:1]
            for alarm in tracking_alarms(resource_id)
            for action in ("cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms")
        ]
    return []


def on_behalf(
    operation: str, params: dict[str, Any], config_of: Callable[[str], str | None]
) -> list[Authorization]:
    """What Application Auto Scaling checks against its caller when the call is about a SageMaker
    variant (``ServiceNamespace: sagemaker``): the CloudWatch part (:func:`alarm_authorizations`),
    and for ``RegisterScalableTarget`` the target service's: ``sagemaker:DescribeEndpoint``,
    ``DescribeEndpointConfig`` (the endpoint's config) and ``UpdateEndpointWeightsAndCapacities``,
    the SageMaker actions of the same documented list (and of the service-linked role's policy).
    ``config_of``: the config an endpoint serves."""
    resource = str(params.get("ResourceId"))
    if params.get("ServiceNamespace") != NAMESPACE or not resource.startswith("endpoint/"):
        return []  # not a variant (an inference component's is its own simulator's to say)
    found = alarm_authorizations(operation, resource, params)
    if operation == "RegisterScalableTarget":
        endpoint = resource.removeprefix("endpoint/").partition("/variant/")[0]
        endpoint_arn = arn("sagemaker", f"endpoint/{endpoint.lower()}")
        found += [
            ("sagemaker:DescribeEndpoint", endpoint_arn, {}),
            ("sagemaker:UpdateEndpointWeightsAndCapacities", endpoint_arn, {}),
        ]
        config = config_of(endpoint)
        if config is not None:
            found.append(
                (
                    "sagemaker:DescribeEndpointConfig",
                    arn("sagemaker", f"endpoint-config/{config.lower()}"),
                    {},
                )
            )
    return found


class ObjectNotFound(JsonRESTError):
    """Application Auto Scaling's ``ObjectNotFoundException`` (moto's backend has none)."""

    def __init__(self, message: str) -> None:
        super().__init__("ObjectNotFoundException", message)
