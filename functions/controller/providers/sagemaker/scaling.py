"""Autoscaling survives updates (CONTRACT §4): variants registered with Application Auto Scaling.

SageMaker refuses an update that changes a registered variant's instance type or removes a
registered variant: "you must deregister the endpoint as a scalable target before you can update
it" ("Update or delete endpoints that use automatic scaling",
https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-delete.html). Before such
an update the controller records each such variant's scalable target (its limits) and scaling
policies, deregisters it ("Deregistering a scalable target deletes the scaling policies ... that
are associated with it", API_DeregisterScalableTarget), and once the update has settled, whether
it succeeded or SageMaker rolled it back, registers the variants that still exist again, with the
same limits and policies. Targets are ``endpoint/<name>/variant/<variant>`` in namespace
``sagemaker``, dimension ``sagemaker:variant:DesiredInstanceCount``.
"""

from __future__ import annotations

from typing import Any

from controller import aws

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
#: A policy's members that PutScalingPolicy takes back as they were described.
_POLICY_MEMBERS = ("PolicyType", "TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration")


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def _variants(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = config.get("ProductionVariants")
    return (
        {str(v.get("VariantName")): v for v in found if isinstance(v, dict)}
        if isinstance(found, list)
        else {}
    )


def in_the_way(
    endpoint: str, live_config: dict[str, Any], new_config: dict[str, Any]
) -> list[dict[str, Any]]:
    """The registered variants of ``endpoint`` the update to ``new_config`` would be refused
    for (an instance type changed, or the variant gone): each target with its policies."""
    live, wanted = _variants(live_config), _variants(new_config)
    changing = [
        name
        for name, variant in live.items()
        if name not in wanted or wanted[name].get("InstanceType") != variant.get("InstanceType")
    ]
    if not changing:
        return []
    client = aws.client("application-autoscaling")
    ids = [resource_id(endpoint, name) for name in changing]
    targets = client.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=ids, ScalableDimension=DIMENSION
    ).get("ScalableTargets", [])
    recorded = []
    for target in targets:
        policies = client.describe_scaling_policies(
            ServiceNamespace=NAMESPACE, ResourceId=target["ResourceId"], ScalableDimension=DIMENSION
        ).get("ScalingPolicies", [])
        recorded.append(
            {
                "ResourceId": target["ResourceId"],
                "MinCapacity": target["MinCapacity"],
                "MaxCapacity": target["MaxCapacity"],
                "Policies": [
                    {"PolicyName": p["PolicyName"], **{k: p[k] for k in _POLICY_MEMBERS if k in p}}
                    for p in policies
                ],
            }
        )
    return recorded


def release(targets: list[dict[str, Any]]) -> None:
    client = aws.client("application-autoscaling")
    for target in targets:
        try:
            client.deregister_scalable_target(
                ServiceNamespace=NAMESPACE, ResourceId=target["ResourceId"], ScalableDimension=DIMENSION
            )
        except Exception as exc:
            if "no scalable target" not in str(exc).lower():  # a retried step released it already
                raise


def restore(targets: list[dict[str, Any]], variants: set[str], endpoint: str) -> list[str]:
    """Register again the recorded targets whose variant ``endpoint`` still has; those restored."""
    client = aws.client("application-autoscaling")
    restored = []
    for target in targets:
        variant = str(target["ResourceId"]).rsplit("/", 1)[-1]
        if variant not in variants:
            continue
        client.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=target["ResourceId"],
            ScalableDimension=DIMENSION,
            MinCapacity=target["MinCapacity"],
            MaxCapacity=target["MaxCapacity"],
        )
        for policy in target["Policies"]:
            client.put_scaling_policy(
                ServiceNamespace=NAMESPACE,
                ResourceId=target["ResourceId"],
                ScalableDimension=DIMENSION,
                **policy,
            )
        restored.append(f"{endpoint}/{variant}")
    return restored
