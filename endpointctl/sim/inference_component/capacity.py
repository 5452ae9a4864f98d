"""What one instance of a production variant offers the inference components placed on it: its
accelerators, vCPUs and memory, for the instance families people host LLMs on.

An ``ml.`` instance type has the hardware of the EC2 type of the same name (SageMaker's instance
list, https://aws.amazon.com/sagemaker/pricing/, gives the same vCPU, memory and accelerator
figures). The figures are the EC2 instance-type pages':

- G5 (NVIDIA A10G), G6 (NVIDIA L4), P4d (A100), P5 (H100), Inf2 (Inferentia2):
  https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html,
  https://aws.amazon.com/ec2/instance-types/g5/, https://aws.amazon.com/ec2/instance-types/g6/,
  https://aws.amazon.com/ec2/instance-types/p4/, https://aws.amazon.com/ec2/instance-types/p5/,
  https://aws.amazon.com/ec2/instance-types/inf2/;
- M5 and C5: https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html,
  https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html.

Accelerators are what ``NumberOfAcceleratorDevicesRequired`` counts ("Accelerators include GPUs
and AWS Inferentia", API_InferenceComponentComputeResourceRequirements): one per GPU; for Inf2,
whose chips each have two NeuronCores, the simulation counts NeuronCores (2 per chip), the larger of
the two readings, since the API reference does not say which it counts. Memory is the instance's
whole memory (SageMaker keeps some for its own agents, by an amount it does not document).

Every figure errs towards the larger reading, and an instance type not in ``INSTANCES`` is not
constrained at all (``capacity_of`` answers ``None``): the simulation must never refuse a placement
AWS would make.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Resources(NamedTuple):
    """Accelerator devices, vCPUs and memory in MB (MiB, as ``MinMemoryRequiredInMb`` counts)."""

    accelerators: float
    cpus: float
    memory_mb: float

    def __add__(self, other: Any) -> Resources:  # type: ignore[override]
        return Resources(*(a + b for a, b in zip(self, other, strict=True)))

    def __sub__(self, other: Resources) -> Resources:
        return Resources(*(a - b for a, b in zip(self, other, strict=True)))

    def holds(self, need: Resources) -> bool:
        return all(have >= wanted for have, wanted in zip(self, need, strict=True))


GIB = 1024


def _sizes(family: str, table: dict[str, tuple[float, float, float]]) -> dict[str, Resources]:
    return {f"ml.{family}.{size}": Resources(a, c, m * GIB) for size, (a, c, m) in table.items()}


#: (accelerators, vCPUs, GiB) per size; G5 and G6 have the same layout (1 GPU up to 16xlarge,
#: 4 on the 12xlarge and 24xlarge, 8 on the 48xlarge).
_G = {
    "xlarge": (1, 4, 16),
    "2xlarge": (1, 8, 32),
    "4xlarge": (1, 16, 64),
    "8xlarge": (1, 32, 128),
    "12xlarge": (4, 48, 192),
    "16xlarge": (1, 64, 256),
    "24xlarge": (4, 96, 384),
    "48xlarge": (8, 192, 768),
}

#: Every instance type whose capacity the simulation knows.
INSTANCES: dict[str, Resources] = {
    **_sizes("g5", _G),
    **_sizes("g6", _G),
    **_sizes("p4d", {"24xlarge": (8, 96, 1152)}),
    **_sizes("p5", {"48xlarge": (8, 192, 2048)}),
    # Inferentia2: 1, 1, 6 and 12 chips, 2 NeuronCores each (see above).
    **_sizes(
        "inf2",
        {
            "xlarge": (2, 4, 16),
            "8xlarge": (2, 32, 128),
            "24xlarge": (12, 96, 384),
            "48xlarge": (24, 192, 768),
        },
    ),
    **_sizes("m5", {"large": (0, 2, 8), "xlarge": (0, 4, 16), "2xlarge": (0, 8, 32), "4xlarge": (0, 16, 64)}),
    **_sizes("c5", {"large": (0, 2, 4), "xlarge": (0, 4, 8), "2xlarge": (0, 8, 16)}),
}


def capacity_of(instance_type: str | None) -> Resources | None:
    """One instance's resources (``None``: not in the table, so not constrained)."""
    return INSTANCES.get(str(instance_type)) if instance_type else None


def requirements(specification: Any, instance_type: str | None = None) -> Resources:
    """What one copy needs: its specification's ``ComputeResourceRequirements``
    (``NumberOfAcceleratorDevicesRequired``, ``NumberOfCpuCoresRequired``, ``MinMemoryRequiredInMb``;
    API_InferenceComponentComputeResourceRequirements); a member left out needs none of it (a
    component built on a base component, ``BaseInferenceComponentName``, has none of its own).
    ``Specifications`` has "one per instance type" (API_CreateInferenceComponent): the one for
    ``instance_type``, else (none names it) the least of each member, never stricter than AWS."""
    if isinstance(specification, list):
        matching = [
            s for s in specification if isinstance(s, dict) and s.get("InstanceType") == instance_type
        ]
        each = [requirements(item) for item in matching or specification] or [Resources(0, 0, 0)]
        return Resources(*(min(values) for values in zip(*each, strict=True)))
    wanted = (specification or {}).get("ComputeResourceRequirements") or {}
    return Resources(
        float(wanted.get("NumberOfAcceleratorDevicesRequired") or 0),
        float(wanted.get("NumberOfCpuCoresRequired") or 0),
        float(wanted.get("MinMemoryRequiredInMb") or 0),
    )


def describe(resources: Resources) -> str:
    """``1 accelerator, 4 vCPU, 16384 MB`` (the members that are not zero)."""
    parts = []
    for amount, one, many in (
        (resources.accelerators, "accelerator", "accelerators"),
        (resources.cpus, "vCPU", "vCPU"),
        (resources.memory_mb, "MB", "MB"),
    ):
        if amount:
            shown = int(amount) if float(amount).is_integer() else amount
            parts.append(f"{shown} {one if amount == 1 else many}")
    return ", ".join(parts) or "nothing"
