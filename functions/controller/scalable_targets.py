"""Scalable targets of Application Auto Scaling kept across an update: recorded, taken off, put back.

A provider whose updates must not run under autoscaling (it would move what the update sets, or
the service refuses the update while a target is registered) records each target's limits and
scaling policies, deregisters it ("Deregistering a scalable target deletes the scaling policies
... that are associated with it", API_DeregisterScalableTarget,
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html)
and, once the update has settled, registers it again with the same limits and policies. A
:class:`Dimension` names the namespace and the scalable dimension; the provider says which
resource ids are in its update's way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller import aws

#: A policy's members that PutScalingPolicy takes back as they were described.
POLICY_MEMBERS = ("PolicyType", "TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration")


@dataclass(frozen=True)
class Dimension:
    """A scalable dimension of a service namespace (``sagemaker``, ``sagemaker:variant:DesiredInstanceCount``)."""

    namespace: str
    dimension: str

    def recorded(self, resource_ids: list[str]) -> list[dict[str, Any]]:
        """The registered targets among ``resource_ids``, each with its limits and policies."""
        if not resource_ids:
            return []
        client = aws.client("application-autoscaling")
        targets = client.describe_scalable_targets(
            ServiceNamespace=self.namespace, ResourceIds=resource_ids, ScalableDimension=self.dimension
        ).get("ScalableTargets", [])
        recorded = []
        for target in targets:
            policies = client.describe_scaling_policies(
                ServiceNamespace=self.namespace,
                ResourceId=target["ResourceId"],
                ScalableDimension=self.dimension,
            ).get("ScalingPolicies", [])
            recorded.append(
                {
                    "ResourceId": target["ResourceId"],
                    "MinCapacity": target["MinCapacity"],
                    "MaxCapacity": target["MaxCapacity"],
                    "Policies": [
                        {"PolicyName": p["PolicyName"], **{k: p[k] for k in POLICY_MEMBERS if k in p}}
                        for p in policies
                    ],
                }
            )
        return recorded

    def release(self, targets: list[dict[str, Any]]) -> None:
        """Deregister ``targets`` (a retried step finds some released already)."""
        client = aws.client("application-autoscaling")
        for target in targets:
            try:
                client.deregister_scalable_target(
                    ServiceNamespace=self.namespace,
                    ResourceId=target["ResourceId"],
                    ScalableDimension=self.dimension,
                )
            except Exception as exc:
                if "no scalable target" not in str(exc).lower():
                    raise

    def register(self, target: dict[str, Any]) -> None:
        """Register a recorded target again, with its limits and policies."""
        client = aws.client("application-autoscaling")
        client.register_scalable_target(
            ServiceNamespace=self.namespace,
            ResourceId=target["ResourceId"],
            ScalableDimension=self.dimension,
            MinCapacity=target["MinCapacity"],
            MaxCapacity=target["MaxCapacity"],
        )
        for policy in target["Policies"]:
            client.put_scaling_policy(
                ServiceNamespace=self.namespace,
                ResourceId=target["ResourceId"],
                ScalableDimension=self.dimension,
                **policy,
            )
