"""Copy-count autoscaling survives updates (CONTRACT §5), as variants' scaling does for SageMaker
endpoints (``providers/sagemaker/scaling.py``).

An inference component scales its copies through Application Auto Scaling: scalable target
``inference-component/<name>`` in namespace ``sagemaker``, dimension
``sagemaker:inference-component:DesiredCopyCount`` (MinCapacity may be 0: a component scaled to
zero, "Scale an endpoint to zero instances", https://docs.aws.amazon.com/sagemaker/latest/dg/
endpoint-auto-scaling-zero-instances.html). While a target is registered, Application Auto Scaling
sets the desired copy count itself, so it would move an update's copy count under it, and an
update that names a copy count would fight it. Before an update the controller records the
target (its limits) and its scaling policies, deregisters it ("Deregistering a scalable target
deletes the scaling policies ... that are associated with it", API_DeregisterScalableTarget), and
once the update has settled (succeeded, rolled back or failed, ``Provider.settled_update``)
registers it again with the same limits and policies, if the component still exists.
"""

from __future__ import annotations

from typing import Any

from controller import aws

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
_POLICY_MEMBERS = ("PolicyType", "TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration")


def resource_id(component: str) -> str:
    return f"inference-component/{component}"


def registered(component: str) -> list[dict[str, Any]]:
    """The component's scalable target with its policies (empty when it has none)."""
    client = aws.client("application-autoscaling")
    targets = client.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[resource_id(component)], ScalableDimension=DIMENSION
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


def restore(targets: list[dict[str, Any]]) -> list[str]:
    """Register the recorded targets again, with their policies; the components restored."""
    client = aws.client("application-autoscaling")
    restored = []
    for target in targets:
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
        restored.append(str(target["ResourceId"]).split("/", 1)[-1])
    return restored
