"""Readable progress for ``endpointctl local run`` without ``--json``, and for ``local demo``.

One block per request: a head naming it, one aligned line per step (a poll loop's repeats folded
into one line), then what the execution cost, the notification it published, and what is left in
the simulated services, told apart: what the request left, and what was there before it (someone
else's resources, the prerequisites the simulated services hold for it, an earlier request's)::

    ● create sagemaker churn-prod  (execution local-1-1077cd2c)
         +0s  validate  accepted: requestId churn-prod-2026-11-22
         +8s  create    created endpoint churn-prod (Creating); 3 failed CreateEndpoint calls, retried
        +38s  check     Creating (9 times, until +4m38s)
      +5m08s  check     InService → ready
      SUCCEEDED after 5m08s: 39 state transitions, 15 Lambda invocations, 22 service calls
      notification: Endpoint Ready for churn-prod at https://…/endpoints/churn-prod/invocations (bus and SNS)
      left by this request: sagemaker endpoint churn-prod
      there before it: sagemaker endpoint config churn-config-v3

Times are virtual (the simulated services' clock), rounded to the second. ``--json`` prints the
contract's object instead, whose ``remaining`` is the whole world at the end.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from controller.request import peek
from endpointctl.runner.results import Run

#: Operations that change something: one called again in the same execution is a retried call.
_CHANGES = re.compile(r"^(Create|Update|Delete)")


def duration(seconds: float) -> str:
    """``308.085`` → ``5m08s``; ``42`` → ``42s``; ``3725`` → ``1h02m05s``."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 service call``, ``2 service calls``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _made(state: dict[str, Any]) -> str:
    return ", ".join(f"{r['kind']} {r['id']}" for r in state.get("created", []))


def _describe_step(step: str, state: dict[str, Any]) -> str:
    if step in ("validate", "turn") and state.get("verdict") in ("queued", "busy"):
        if state["verdict"] == "busy":
            return "the endpoint is still busy with another operation: EndpointBusy"
        return f"waiting its turn: another operation is under way on {state.get('endpointId')}"
    if step == "validate":
        return f"accepted: requestId {state.get('requestId')}"
    if step == "turn":
        return f"its turn: {state.get('action')} {state.get('endpointId')}"
    if step == "create" and state.get("change"):
        change, made = state["change"], _made(state)
        sent = f"update sent: {change.get('previous') or '?'} → {change['requested']}"
        adopted = "adopted (the controller's from now on), then " if state.get("adopted") else ""
        return adopted + sent + (f" (created {made})" if made else "")
    if step == "create":
        return f"created {_made(state) or 'nothing new'} ({state.get('providerStatus')})"
    if step == "check":
        tail = {"ready": " → ready", "failed": " → failed", "timeout": " → timed out"}
        return f"{state.get('providerStatus')}{tail.get(str(state.get('verdict')), '')}"
    if step == "await":
        if "waiting" in state:
            return f"{state.get('providerStatus')}: waiting for the state-change event"
        return f"{state.get('providerStatus')}{_verdict(state)} (seen by its own look)"
    if step == "resume":
        return f"state-change event: {state.get('providerStatus')}{_verdict(state)}"
    if step == "teardown":
        return _teardown(state.get("teardown") or {})
    if step in ("outcome", "reject"):
        error = state.get("detail", {}).get("error")
        if not error:
            return str(state.get("detailType"))
        fields = [str(f) for f in error.get("fields") or []]
        if len(fields) > 1:  # an InvalidRequest naming several fields: one line each
            named = "|".join(re.escape(f) for f in fields)
            parts = re.split(rf"; (?=(?:{named}): )", str(error["message"]))
            return "\n".join([f"{state.get('detailType')}: {error['code']}", *parts])
        return f"{state.get('detailType')}: {error['code']}: {error['message']}"
    return step


def _verdict(state: dict[str, Any]) -> str:
    """`` → ready`` / `` → failed``; nothing while the lifecycle still waits."""
    verdict = state.get("verdict")
    return "" if verdict in (None, "wait") else f" → {verdict}"


def _teardown(plan: dict[str, Any]) -> str:
    what = "rollback" if plan.get("mode") == "rollback" else "delete"
    if plan.get("verdict") == "done":
        return f"{what} finished: deleted {', '.join(plan.get('deleted', [])) or 'nothing'}"
    if plan.get("verdict") == "failed":
        return f"{what} failed: {plan.get('reason')}"
    left = [t["id"] for t in plan.get("targets", []) if not t.get("gone")]
    return f"{what}: waiting for {', '.join(left)}"


def failed_calls(run: Run, calls: list[str], errors: list[dict[str, str]] | None = None) -> dict[int, str]:
    """Notes on failed attempts, by the index of the progress entry they belong to (``-1``: none).

    The result's ``calls`` list every call, failed attempts included: an operation that changes
    something, called more than once in one execution, failed before the last call (a throttled
    or refused call that the state machine retried). Its step is the one that sends it: the create
    for Create/Update, the teardown for Delete. A step that never succeeded failed every call.
    """
    steps = [str(entry["step"]) for entry in run.progress]
    counted = Counter(call.split(":", 1)[-1] for call in calls)
    notes: dict[int, list[str]] = {}
    for operation, count in counted.items():
        if not _CHANGES.match(operation):
            continue
        step = "teardown" if operation.startswith("Delete") else "create"
        where = -1
        if step in steps:  # the create's first line, the teardown's last (the one that finished it)
            where = steps.index(step) if step == "create" else len(steps) - 1 - steps[::-1].index(step)
        failed = count - 1 if where >= 0 else count
        if failed > 0:
            why = _errors(operation, errors or [])
            notes.setdefault(where, []).append(
                f"{plural(failed, f'failed {operation} call')}"
                + (f" ({why})" if why else "")
                + (", retried" if where >= 0 else "")
            )
    return {where: "; ".join(texts) for where, texts in notes.items()}


def _errors(operation: str, errors: list[dict[str, str]]) -> str:
    """``ThrottlingException x2, InternalFailure``: the codes ``operation``'s failed calls got."""
    codes = Counter(e["error"] for e in errors if e.get("call", "").split(":", 1)[-1] == operation)
    return ", ".join(code + (f" \u00d7{n}" if n > 1 else "") for code, n in codes.items())


def throttles(errors: list[dict[str, str]]) -> str:
    """``sagemaker:DescribeEndpoint \u00d73, sagemaker:CreateEndpoint``: the calls a service throttled
    (a scenario's ``rateLimits`` or a throttling fault), by operation; empty when none was."""
    from controller.aws import THROTTLING_CODES

    counted = Counter(e["call"] for e in errors if e.get("error") in THROTTLING_CODES)
    return ", ".join(call + (f" \u00d7{n}" if n > 1 else "") for call, n in counted.items())


def timeline(
    run: Run, calls: list[str] | None = None, errors: list[dict[str, str]] | None = None
) -> list[str]:
    """One line per step, a repeated line folded (``+30s  check  Creating (9 times, until +4m30s)``),
    with the time and step columns aligned."""
    notes = failed_calls(run, calls or [], errors)
    rows: list[list[Any]] = []  # [first, last, step, text, count]
    for index, entry in enumerate(run.progress):
        offset = entry["at"] - run.started_at
        text = _describe_step(str(entry["step"]), entry["state"])
        if index in notes:
            text += f"; {notes[index]}"
        if rows and rows[-1][2:4] == [entry["step"], text]:
            rows[-1][1], rows[-1][4] = offset, rows[-1][4] + 1
            continue
        rows.append([offset, offset, entry["step"], text, 1])
    labels = [f"+{duration(first)}" for first, *_ in rows]
    width = max((len(label) for label in labels), default=0)
    step_width = max((len(str(row[2])) for row in rows), default=0)
    lines = []
    for label, (first, last, step, text, count) in zip(labels, rows, strict=True):
        if count > 1:
            text += f" ({count} times, until +{duration(last)})" if last > first else f" ({count} times)"
        head, *more = text.split("\n")
        lines.append(f"  {label:>{width}}  {step:<{step_width}}  {head}")
        lines += [f"  {'':>{width}}  {'':<{step_width}}    {line}" for line in more]
    return lines


def _kind(kind: str, count: int) -> str:
    """``endpointConfigs`` → ``endpoint config`` (one) or ``endpoint configs``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", kind).lower()
    return words.removesuffix("s") if count == 1 else words


def remaining(result: dict[str, Any]) -> str:
    """``sagemaker endpoints a, b; sagemaker endpoint config c``, or ``nothing``."""
    return held(result["remaining"])


def held(world: dict[str, Any], only: set[tuple[str, str, str]] | None = None) -> str:
    """What ``world`` (``remaining``'s shape) holds, ``only`` those of :func:`_items` if given:
    ``sagemaker endpoints a, b; sagemaker endpoint config c``, or ``nothing``."""
    said = []
    for service, kinds in world.items():
        for kind, ids in kinds.items():
            kept = [str(i) for i in ids if only is None or (service, kind, str(i)) in only]
            if kept:
                said.append(f"{service} {_kind(kind, len(kept))} {', '.join(kept)}")
    return "; ".join(said) or "nothing"


def _items(world: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    """``{("sagemaker", "endpoints", "churn-prod"), …}``."""
    return {
        (service, kind, str(i))
        for service, kinds in (world or {}).items()
        for kind, ids in kinds.items()
        for i in ids
    }


def left(run: Run, result: dict[str, Any]) -> list[str]:
    """What remains, told apart: what this request left (appeared while it ran and is still
    there), what was there before it, and (an array's earlier result, with ``--until``) what
    requests after it made. Without the run's snapshots, the whole world as one line."""
    if run.before is None:
        return [f"remaining: {remaining(result)}"]
    world = result["remaining"]
    now, before = _items(world), _items(run.before)
    made = now & ((_items(run.after) if run.after is not None else now) - before)
    there, later = now & before, now - before - made
    whose = "this request" if run.together == 1 else f"these {run.together} requests together"
    lines = [f"left by {whose}: {held(world, made)}"]
    if there:
        lines.append(f"there before {'it' if run.together == 1 else 'them'}: {held(world, there)}")
    if later:
        lines.append(f"made after it, by later requests: {held(world, later)}")
    return lines


def _cause(result: dict[str, Any]) -> str:
    from controller.errors import parse_cause

    return str(parse_cause(result.get("cause")).get("message", ""))


def summary(run: Run, result: dict[str, Any]) -> list[str]:
    counts = [
        plural(result["stateTransitions"], "state transition"),
        plural(result["lambdaInvocations"], "Lambda invocation"),
        plural(len(result["calls"]), "service call"),
    ]
    lines = [f"{result['status']} after {duration(result['virtualSeconds'])}: {', '.join(counts)}"]
    told = any(entry["step"] in ("outcome", "reject") for entry in run.progress)
    if result["error"] and not told:  # the outcome's line already said it otherwise
        cause = _cause(result)
        lines.append(f"error: {result['error']}" + (f": {cause}" if cause else ""))
    notes = failed_calls(run, result["calls"], run.failed_calls)
    if -1 in notes:
        lines.append(f"failed calls: {notes[-1]}")
    if throttled := throttles(run.failed_calls):
        lines.append(f"throttled: {throttled}")
    lines += published(run, result, told)
    lines += left(run, result)
    for denial in run.denials:  # IAM refused these calls, as AWS would have
        role = denial.principal.rsplit("/", 1)[-1]
        lines.append(f"denied by IAM: {denial.action} on {denial.resource} (role {role})")
    return [f"  {line}" for line in lines]


def headline(run: Run, index: int | None = None) -> str:
    """``● sagemaker create churn-prod  (execution local-1-…)``; ``index``: its place in an array."""
    document = peek(run.request)
    place = f"[{index}] " if index is not None else ""
    execution = f"(execution {run.execution_arn.rsplit(':', 1)[-1]})"
    if not isinstance(document, dict):
        return f"● {place}not a request: a JSON object is expected  {execution}"
    kind, action = document.get("endpointType", "?"), document.get("action", "create")
    words = [str(action), str(kind), *([endpoint] if (endpoint := _endpoint(run, document)) else [])]
    return f"● {place}{' '.join(words)}  {execution}"


def _endpoint(run: Run, document: dict[str, Any]) -> str | None:
    for entry in run.progress:
        if entry["state"].get("endpointId"):
            return str(entry["state"]["endpointId"])
    from controller import catalog

    kind, params = document.get("endpointType"), document.get("params")
    row = catalog.endpoint_types().get(kind) if isinstance(kind, str) else None
    value = params.get(row.identifier) if row is not None and isinstance(params, dict) else None
    return value if isinstance(value, str) else None


def render(run: Run, result: dict[str, Any], index: int | None = None) -> str:
    lines = [
        headline(run, index),
        *timeline(run, result["calls"], run.failed_calls),
        *summary(run, result),
    ]
    return "\n".join([*lines, *afterwards(run, result)])


def afterwards(run: Run, result: dict[str, Any]) -> list[str]:
    """What the controller published about the request after its execution (``--until``): an
    expiry's delete, a clean-up."""
    lines = []
    for event in result["notifications"]["events"]:
        detail = event.get("detail") or {}
        if detail.get("executionArn") == run.execution_arn:
            continue
        why = f" ({detail['reason']})" if detail.get("reason") else ""
        lines.append(f"  later: {event.get('detail-type')}{why} at {detail.get('finishedAt')}")
    return lines


def published(run: Run, result: dict[str, Any], told: bool = False) -> list[str]:
    """The notifications the run's execution published, a line each, with where they went:
    ``notification: Endpoint Ready for churn-prod at https://… (bus and SNS)``. ``told``: the
    progress already said the outcome (a refusal's or a failure's ``outcome`` line), so its error
    code and rollback are not said again."""
    lines = []
    messages = [m.get("message") for m in result["notifications"]["sns"]]
    for event in result["notifications"]["events"]:
        detail = event.get("detail")
        if not isinstance(detail, dict) or detail.get("executionArn") != run.execution_arn:
            continue  # published later, about the request (``afterwards``)
        where = "bus and SNS" if detail in messages else "bus only: no SNS message"
        lines.append(f"{said(event, told)} ({where})")
    return lines or ["notification: none from this execution"]


def said(event: dict[str, Any], told: bool = False) -> str:
    """One notification in a line: its detail-type and the detail's key fields."""
    detail = event.get("detail") or {}
    line = f"notification: {event.get('detail-type')}"
    if detail.get("endpointId"):
        line += f" for {detail['endpointId']}"
    if detail.get("endpointUrl") and detail.get("status") == "READY":
        line += f" at {detail['endpointUrl']}"
    update = detail.get("update") or {}
    notes = []
    if detail.get("status") == "UPDATED" and update.get("requested"):
        was = f", was {update['previous']}" if update.get("previous") else ""
        notes.append(f"serves {update['requested']}{was}")
    notes += [
        word for key, word in (("adopted", "adopted"), ("alreadyAbsent", "already absent")) if detail.get(key)
    ]
    if detail.get("reason"):
        notes.append(str(detail["reason"]))
    if detail.get("deleted"):
        notes.append(f"deleted {', '.join(map(str, detail['deleted']))}")
    error, rollback = detail.get("error"), detail.get("rollback") or {}
    if isinstance(error, dict) and not told:
        notes.append(str(error.get("code")))
        if rollback.get("attempted"):
            done = "rolled back" if rollback.get("succeeded") else "rollback failed"
            notes.append(f"{done}: deleted {', '.join(rollback.get('deleted') or []) or 'nothing'}")
    return line + (f": {'; '.join(notes)}" if notes else "")
