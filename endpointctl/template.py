"""Read a synthesized template: its state machines and the intrinsic functions they use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


@dataclass(frozen=True)
class StateMachineSpec:
    """One state machine as synthesized (its definition still holds intrinsics): an endpoint
    type's lifecycle, or the refusals' (``endpoint_type`` empty: ``infra/refusals.py``)."""

    logical_id: str
    endpoint_type: str
    definition: Any


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in template["Resources"].items() if res["Type"] == kind}


def _all_machines(template: dict[str, Any]) -> list[StateMachineSpec]:
    """Every state machine: a lifecycle's type is read from its steps' payloads (the first that
    names one: Validate's); the refusals' machine names none."""
    found = []
    marker = '\\"endpointType\\":\\"'
    for lid, res in resources(template, "AWS::StepFunctions::StateMachine").items():
        definition = res["Properties"]["DefinitionString"]
        text = json.dumps(definition)
        endpoint_type = ""
        if marker in text:
            start = text.index(marker) + len(marker)
            endpoint_type = text[start : text.index("\\", start)]
        found.append(StateMachineSpec(lid, endpoint_type, definition))
    return found


def state_machines(template: dict[str, Any]) -> dict[str, StateMachineSpec]:
    """The lifecycle state machines by endpoint type (the refusals' is :func:`refusal_machine`)."""
    return {spec.endpoint_type: spec for spec in _all_machines(template) if spec.endpoint_type}


def refusal_machine(template: dict[str, Any]) -> StateMachineSpec | None:
    """The state machine that refuses the requests of no deployed type (``infra/refusals.py``)."""
    return next((spec for spec in _all_machines(template) if not spec.endpoint_type), None)


class Resolver:
    """Resolves ``Ref``, ``Fn::GetAtt``, ``Fn::Join`` and ``Fn::Sub`` against known values."""

    def __init__(self, refs: dict[str, Any], attributes: dict[tuple[str, str], Any]) -> None:
        refs.update({k: v for k, v in PSEUDO.items() if k not in refs})
        self.refs = refs
        self.attributes = attributes

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return self.refs[value]
            if key == "Fn::GetAtt":
                lid, attribute = value if isinstance(value, list) else value.split(".", 1)
                return self.attributes[(lid, attribute)]
            if key == "Fn::Join":
                separator, parts = value
                return separator.join(str(self(part)) for part in self(parts))
            if key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                for name, replacement in self.refs.items():
                    text = text.replace("${" + name + "}", str(replacement))
                return text
        return {key: self(value) for key, value in node.items()}
