"""Application Auto Scaling around the simulated SageMaker (CONTRACT §3 ``sagemaker.autoScaling``):
moto's backend keeps the scalable targets; this module seeds the scenario's, and plays SageMaker's
part: ``UpdateEndpoint`` is refused when it would change a registered variant's instance type or
remove a registered variant, and ``DeleteEndpoint`` deregisters the endpoint's variants with the
caller's permissions ("Update or delete endpoints that use automatic scaling",
https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html). Deregistering
a target deletes its scaling policies too, as the service does (API_DeregisterScalableTarget)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from endpointctl.sim.iam import Authorization, arn, ensure_scaling_role
from endpointctl.template import ACCOUNT, REGION

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def backend() -> Any:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    return applicationautoscaling_backends[ACCOUNT][REGION]


def install(stack: ExitStack) -> None:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.deregister_scalable_target
    register = ApplicationAutoscalingBackend.register_scalable_target

    def registered(self: Any, namespace: str, *args: Any, **kwargs: Any) -> Any:
        ensure_scaling_role(namespace)  # the service-linked role comes with the first target
        return register(self, namespace, *args, **kwargs)

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


def seed(registered: dict[str, dict[str, Any]]) -> None:
    """``{endpoint: {variant: {"MinCapacity": 1, "MaxCapacity": 4}}}``, registered before the run."""
    for endpoint, variants in registered.items():
        for variant, limits in variants.items():
            backend().register_scalable_target(
                NAMESPACE,
                f"endpoint/{endpoint}/variant/{variant}",
                DIMENSION,
                limits.MinCapacity,
                limits.MaxCapacity,
                None,
                None,
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


def delete_authorizations(endpoint: str) -> list[Authorization]:
    return [
        (
            "application-autoscaling:DeregisterScalableTarget",
            arn("application-autoscaling", f"scalable-target/{endpoint}-{variant}"),
            {},
        )
        for variant in registered_variants(endpoint)
    ]
