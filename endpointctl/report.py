"""Readable progress for ``endpointctl local run`` without ``--json``."""

from __future__ import annotations

from typing import Any

from controller.request import peek
from endpointctl.runner.results import Run


def _describe_step(step: str, state: dict[str, Any]) -> str:
    if step in ("validate", "turn") and state.get("verdict") in ("queued", "busy"):
        if state["verdict"] == "busy":
            return "the endpoint is still busy with another operation: EndpointBusy"
        return f"waiting its turn: another operation is under way on {state.get('endpointId')}"
    if step == "validate":
        return f"request {state.get('requestId')} accepted: {state.get('action')} {state.get('endpointId')}"
    if step == "turn":
        return f"its turn: {state.get('action')} {state.get('endpointId')}"
    if step == "create" and state.get("change"):
        change = state["change"]
        made = ", ".join(f"{r['kind']} {r['id']}" for r in state.get("created", []))
        return f"update sent: {change.get('previous') or '?'} → {change['requested']}" + (
            f" (created {made})" if made else ""
        )
    if step == "create":
        made = ", ".join(f"{r['kind']} {r['id']}" for r in state.get("created", [])) or "nothing new"
        return f"created {made} ({state.get('providerStatus')})"
    if step == "check":
        verdict = state.get("verdict")
        tail = {"ready": " → ready", "failed": " → failed", "timeout": " → timed out"}.get(str(verdict), "")
        return f"{state.get('providerStatus')}{tail}"
    if step == "await":
        status = state.get("providerStatus")
        if "waiting" in state:
            return f"{status}: waiting for the state-change event"
        return f"{status} → {state.get('verdict')} (seen by its own look)"
    if step == "resume":
        return f"state-change event: {state.get('providerStatus')} → {state.get('verdict')}"
    if step == "teardown":
        plan = state.get("teardown") or {}
        left = [t["id"] for t in plan.get("targets", []) if not t.get("gone")]
        what = "rollback" if plan.get("mode") == "rollback" else "delete"
        if plan.get("verdict") == "done":
            return f"{what} finished: deleted {', '.join(plan.get('deleted', [])) or 'nothing'}"
        if plan.get("verdict") == "failed":
            return f"{what} failed: {plan.get('reason')}"
        return f"{what}: waiting for {', '.join(left)}"
    if step in ("outcome", "reject"):
        detail = state.get("detail", {})
        error = detail.get("error")
        return f"{state.get('detailType')}" + (f": {error['code']}: {error['message']}" if error else "")
    return step


def timeline(run: Run) -> list[str]:
    lines: list[str] = []
    last_key = None
    repeat = 0
    for entry in run.progress:
        offset = int(entry["at"] - run.started_at)
        text = _describe_step(str(entry["step"]), entry["state"])
        key = (entry["step"], text)
        if key == last_key:
            repeat += 1
            lines[-1] = (
                f"  {lines[-1].split('  ', 2)[1]}  …+{offset}s  {entry['step']:<9} {text} (x{repeat + 1})"
            )
            continue
        last_key, repeat = key, 0
        lines.append(f"  +{offset}s  {entry['step']:<9} {text}")
    return lines


def summary(run: Run, result: dict[str, Any]) -> list[str]:
    lines = [
        f"{result['status']} after {result['virtualSeconds']} virtual seconds: "
        f"{result['stateTransitions']} state transitions, {result['lambdaInvocations']} Lambda invocations, "
        f"{len(result['calls'])} service calls",
    ]
    if result["error"]:
        lines.append(f"error {result['error']}: {result['cause']}")
    left = [
        f"{service} {kind} {', '.join(ids)}"
        for service, kinds in result["remaining"].items()
        for kind, ids in kinds.items()
        if ids
    ]
    lines.append(f"remaining: {'; '.join(left) or 'nothing'}")
    for denial in run.denials:  # IAM refused these calls, as AWS would have
        role = denial.principal.rsplit("/", 1)[-1]
        lines.append(f"denied by IAM: {denial.action} on {denial.resource} (role {role})")
    return lines


def render(run: Run, result: dict[str, Any]) -> str:
    document = peek(run.request)
    kind = document.get("endpointType", "?") if isinstance(document, dict) else "?"
    action = document.get("action", "create") if isinstance(document, dict) else "?"
    head = f"● {kind} {action} ({run.execution_arn.rsplit(':', 1)[-1]})"
    return "\n".join([head, *timeline(run), *summary(run, result), *afterwards(run, result)])


def afterwards(run: Run, result: dict[str, Any]) -> list[str]:
    """What the controller published about the request after its execution (``--until``): an
    expiry's delete, a clean-up."""
    lines = []
    for event in result["notifications"]["events"]:
        detail = event.get("detail") or {}
        if detail.get("executionArn") == run.execution_arn:
            continue
        why = f" ({detail['reason']})" if detail.get("reason") else ""
        lines.append(f"later: {event.get('detail-type')}{why} at {detail.get('finishedAt')}")
    return lines
