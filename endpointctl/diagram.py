"""A Mermaid flowchart of a synthesized state machine (the README's diagram comes from here)."""

from __future__ import annotations

import json
import re
from typing import Any


def flatten(definition: Any) -> dict[str, Any]:
    """The ASL document of a synthesized ``DefinitionString`` (resource tokens left as names)."""
    if isinstance(definition, str):
        return dict(json.loads(definition))
    separator, parts = definition["Fn::Join"]
    text = separator.join(p if isinstance(p, str) else "RESOURCE" for p in parts)
    return dict(json.loads(text))


def _id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _condition(rule: dict[str, Any]) -> str:
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f" {combinator.lower()} ".join(_condition(r) for r in rule[combinator])
    variable = rule.get("Variable", "")
    for key, value in rule.items():
        if key not in ("Variable", "Next", "Comment"):
            op = {"StringEquals": "==", "BooleanEquals": "==", "IsPresent": "present"}.get(key, key)
            return f"{variable} {op} {json.dumps(value)}".replace('"', "'")
    return "?"


def mermaid(definition: Any) -> str:
    asl = flatten(definition)
    lines = ["flowchart TD", f"  start((start)) --> {_id(asl['StartAt'])}"]
    for name, state in asl["States"].items():
        node = _id(name)
        kind = state["Type"]
        shape = {"Choice": "{%s}", "Succeed": "([%s])", "Fail": "([%s])", "Wait": "[/%s/]"}.get(kind, "[%s]")
        lines.append(f"  {node}" + shape % f'"{name}"')
        if "Next" in state:
            lines.append(f"  {node} --> {_id(state['Next'])}")
        for rule in state.get("Choices", []):
            lines.append(f'  {node} -->|"{_condition(rule)}"| {_id(rule["Next"])}')
        if "Default" in state:
            lines.append(f"  {node} -->|otherwise| {_id(state['Default'])}")
        for catch in state.get("Catch", []):
            errors = ", ".join(catch["ErrorEquals"])
            lines.append(f'  {node} -.->|"{errors}"| {_id(catch["Next"])}')
    return "\n".join(lines)
