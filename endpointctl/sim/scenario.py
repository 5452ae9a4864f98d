"""Reading a scenario (CONTRACT §3): its values, checked, with a clear error for a bad one."""

from __future__ import annotations

from typing import Any

from controller.request import peek


class ScenarioError(ValueError):
    """The scenario file is not usable."""


def number(scenario: dict[str, Any], service: str, key: str, default: float) -> float:
    value = scenario.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{service}.{key} must be a number of seconds >= 0")
    return float(value)


def choice(scenario: dict[str, Any], service: str, key: str, allowed: tuple[str, ...]) -> str:
    value = scenario.get(key, allowed[0])
    if value not in allowed:
        raise ScenarioError(f"{service}.{key} must be one of {', '.join(allowed)}")
    return str(value)


def names(scenario: dict[str, Any], service: str, key: str) -> list[str]:
    existing = scenario.get("existing") or {}
    if not isinstance(existing, dict):
        raise ScenarioError(f"{service}.existing must be an object")
    value = existing.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{service}.existing.{key} must be an array of names")
    return list(value)


def request_document(request: Any) -> dict[str, Any] | None:
    """The request inside a bare request or an EventBridge event (for seeding prerequisites), read
    as the controller reads it (``controller.request.peek``)."""
    document = peek(request)
    return document if isinstance(document, dict) else None
