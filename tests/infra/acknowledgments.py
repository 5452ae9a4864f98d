"""Recording cdk-nag acknowledgments while a test synthesizes."""

from __future__ import annotations

from typing import Any

import pytest

from infra import nag


def record_acknowledgments(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """From now on, every ``nag.ack`` made (``(construct path, rule, reason)``) lands in the list
    returned, and is still made."""
    found: list[tuple[str, str, str]] = []
    original = nag.ack

    def record(scope: Any, rule: str, reason: str) -> None:
        found.append((scope.node.path, rule, reason))
        original(scope, rule, reason)

    monkeypatch.setattr(nag, "ack", record)
    return found
