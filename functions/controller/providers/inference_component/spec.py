"""What a component serves, in words an update's verdict can compare (``Observation.serving``
against ``Change.requested``, ``controller/steps/readiness._judge_update``).

An update asks for a specification (or one per instance type) and a copy count; the live component
(``DescribeInferenceComponent``) answers with a *summary* of its specification: ``Container`` as a
``DeployedImage`` (``SpecifiedImage``, ``ResolvedImage``) instead of ``Image``, and members the
request left out may be filled in. So both sides are read into the same projection: the model, the
container's specified image, artifact and environment, the compute requirements and the base
component (per instance type for ``Specifications``), and the copy count. Members outside it
(startup timeouts, data cache, scheduling) do not tell two deployments apart here. The words are
``<model or image> (spec <8 hex>) x <copies>``: readable in a notification, equal only when the
projections are.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_COMPUTE = (
    "NumberOfCpuCoresRequired",
    "NumberOfAcceleratorDevicesRequired",
    "MinMemoryRequiredInMb",
    "MaxMemoryRequiredInMb",
    "AcceleratorPartitionType",
)


def _member(body: dict[str, Any], name: str) -> dict[str, Any]:
    found = body.get(name)
    return found if isinstance(found, dict) else {}


def _one(spec: dict[str, Any]) -> dict[str, Any]:
    container = _member(spec, "Container")
    deployed = _member(container, "DeployedImage")
    compute = _member(spec, "ComputeResourceRequirements")
    seen = {
        "InstanceType": spec.get("InstanceType"),
        "ModelName": spec.get("ModelName"),
        "Image": container.get("Image") or deployed.get("SpecifiedImage"),
        "ArtifactUrl": container.get("ArtifactUrl"),
        "Environment": container.get("Environment") or None,
        "Compute": {
            k: float(compute[k]) if k.startswith("Number") else compute[k] for k in _COMPUTE if k in compute
        }
        or None,
        "Base": spec.get("BaseInferenceComponentName"),
    }
    return {k: v for k, v in seen.items() if v is not None}


def projection(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The comparable part of a request's or a description's ``Specification(s)``."""
    many = body.get("Specifications")
    if isinstance(many, list) and many:
        return sorted(
            (_one(s) for s in many if isinstance(s, dict)), key=lambda s: str(s.get("InstanceType"))
        )
    one = body.get("Specification")
    return [_one(one)] if isinstance(one, dict) else []


def words(specs: list[dict[str, Any]], copies: int | None) -> str:
    """``<model or image> (spec <digest>) x <copies>``."""
    digest = hashlib.sha256(json.dumps(specs, sort_keys=True).encode()).hexdigest()[:8]
    names = [str(s.get("ModelName") or s.get("Image") or s.get("Base") or "?") for s in specs]
    what = ", ".join(dict.fromkeys(names)) or "no specification"
    return f"{what} (spec {digest})" + (f" x {copies}" if copies is not None else "")


def served(described: dict[str, Any]) -> str:
    """What the live component serves: its specification and desired copy count."""
    runtime = described.get("RuntimeConfig") or {}
    return words(projection(described), runtime.get("DesiredCopyCount"))


def requested(params: dict[str, Any], described: dict[str, Any]) -> str:
    """What an update asks for: its specification (else the live one) and copy count (else the
    live desired count)."""
    asked = "Specification" in params or "Specifications" in params
    runtime = params.get("RuntimeConfig") or {}
    live = described.get("RuntimeConfig") or {}
    copies = runtime.get("CopyCount", live.get("DesiredCopyCount"))
    return words(projection(params if asked else described), copies)
