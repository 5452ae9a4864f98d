"""Placement of inference-component copies on the instances of their endpoint's production variant.

The rule, and where each part comes from:

- a copy takes its specification's ``ComputeResourceRequirements`` on one instance: "you specify
  the model, the endpoint, and how the model utilizes the resources that the endpoint hosts ...
  how the required CPU cores, accelerators, and memory are allocated"
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html;
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html);
  one instance offers its instance type's accelerators, vCPUs and memory (``capacity.py``), so a
  copy whose requirement exceeds one instance never fits, however many instances there are;
- the variant's instances: its ``InitialInstanceCount``; with ``ManagedInstanceScaling`` ``Status:
  ENABLED`` up to ``MaxInstanceCount``, "The maximum number of instances that the endpoint can
  provision when it scales up"
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html),
  which SageMaker does to place copies ("Releases instances that have no hosted inference
  component copies" is its scale-in counterpart,
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScalingScaleInPolicy.html);
- every component on the variant shares those instances ("You can deploy multiple inference
  components to an endpoint", API_CreateInferenceComponent): the copies already placed (someone
  else's included) keep their places, in the order the components were created, and the copies
  being placed go first-fit on what is left (``PlacementStrategy`` ``BINPACK`` "Packs copies onto
  fewer instances", ``SPREAD`` distributes them,
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentSchedulingConfig.html;
  how many copies fit does not depend on which, for copies of one size);
- ``DescribeInferenceComponent`` shows where the copies are: ``RuntimeConfig.PlacementStatus``,
  "how the inference component copies are distributed across instance types", a list of at least
  one ``{InstanceType, CurrentCopyCount}``
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRuntimeConfigSummary.html,
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentPlacementStatus.html).

An instance type the simulation does not know (``capacity.capacity_of``), or a variant it cannot
read, is not constrained. A rolling update's extra batch (new copies started before old ones
stop) is not counted: the simulation checks only that the update's end state fits.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from moto.sagemaker.exceptions import ValidationError

from endpointctl.sim.inference_component.capacity import Resources, capacity_of, describe


class Variant(NamedTuple):
    """A production variant as placement sees it."""

    instance_type: str | None
    instances: int
    #: One instance's resources (``None``: unknown instance type, not constrained).
    capacity: Resources | None


def variant_of(backend: Any, endpoint: str, name: str) -> Variant | None:
    """The variant ``name`` of ``endpoint``, from the endpoint's current config (``None``: unread)."""
    try:
        config_name = backend.describe_endpoint(endpoint).get("EndpointConfigName")
    except ValidationError:
        return None
    config = backend.endpoint_configs.get(config_name)
    for variant in getattr(config, "production_variants", None) or []:
        if variant.get("VariantName") != name:
            continue
        instances = int(variant.get("InitialInstanceCount") or 0)
        managed = variant.get("ManagedInstanceScaling") or {}
        if managed.get("Status") == "ENABLED":
            instances = max(instances, int(managed.get("MaxInstanceCount") or 0))
        kind = variant.get("InstanceType")
        return Variant(kind, instances, capacity_of(kind))
    return None


def fit(variant: Variant | None, held: list[tuple[Resources, int]], need: Resources, copies: int) -> int:
    """How many of ``copies`` copies, each needing ``need``, fit on the variant's instances beside
    the copies ``held`` there already (each ``(one copy's needs, copies)``, in creation order)."""
    if variant is None or variant.capacity is None or copies <= 0:
        return max(copies, 0)
    free = [variant.capacity] * variant.instances

    def place(one: Resources) -> bool:
        for index, left in enumerate(free):
            if left.holds(one):
                free[index] = left - one
                return True
        return False

    for one, count in held:
        for _ in range(count):
            place(one)
    placed = 0
    while placed < copies and place(need):
        placed += 1
    return placed


def shortfall(
    endpoint: str,
    name: str,
    variant: Variant,
    held: list[tuple[Resources, int]],
    need: Resources,
    placed: int,
    copies: int,
) -> str:
    """The ``FailureReason`` of copies that do not all fit."""
    assert variant.capacity is not None
    total = Resources(*(amount * variant.instances for amount in variant.capacity))
    reason = (
        f"insufficient capacity on endpoint {endpoint} variant {name}: {placed} of {copies} copies placed "
        f"(each needs {describe(need)}; {variant.instance_type} x {variant.instances} has {describe(total)}"
    )
    others = sum(count for _, count in held)
    if others:
        used = Resources(0, 0, 0)
        for one, count in held:
            used = used + Resources(*(amount * count for amount in one))
        reason += f"; {others} copies of other components use {describe(used)}"
    if not variant.capacity.holds(need):
        reason += f"; one copy needs more than one instance's {describe(variant.capacity)}"
    return reason + ")"


def placement_status(variant: Variant | None, current: int) -> list[dict[str, Any]] | None:
    """``RuntimeConfig.PlacementStatus`` (``None``: no copy placed, the list has at least one item)."""
    if current <= 0 or variant is None or not variant.instance_type:
        return None
    return [{"InstanceType": variant.instance_type, "CurrentCopyCount": current}]
