"""``endpointctl validate``: check requests offline, exactly as the controller's Validate step does.

The check is the step's own (``controller.admission.examine``): the envelope, the common fields,
the endpoint type's ``params`` against the service's API rules, the options with the deployment's
defaults, the limits of an execution's state. No AWS call is made: no request id is claimed, no
ledger opened. ``endpointctl submit`` runs the same check and sends nothing that fails it.
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass
from typing import Any

from endpointctl.errors import EXIT_FAILED, EXIT_OK, UsageError, read_json


@dataclass(frozen=True)
class Verdict:
    """One request's verdict: what it asks (``create sagemaker churn-prod``) and what is broken."""

    summary: str
    #: ``(field, problem)`` pairs, one per broken field; empty: valid.
    broken: tuple[tuple[str, str], ...]

    @property
    def valid(self) -> bool:
        return not self.broken

    def lines(self, label: str = "") -> list[str]:
        head = f"{label}{'valid' if self.valid else 'invalid'}: {self.summary}"
        return [head, *(f"  {field}: {problem}" for field, problem in self.broken)]

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "request": self.summary,
            "errors": [{"field": field, "problem": problem} for field, problem in self.broken],
        }


def deployment_defaults() -> dict[str, int]:
    """Endpoint type → the deployment's default ``timeoutSeconds`` (cdk.json's
    ``<type>TimeoutSeconds``, the type's name in camelCase: ``infra.catalog.context_key``), which a
    fixed poll interval's bound depends on; none outside a checkout."""
    try:
        from endpointctl import project_root

        context = json.loads((project_root() / "cdk.json").read_text()).get("context", {})
    except (RuntimeError, OSError, ValueError, AttributeError):
        return {}
    from controller import catalog
    from infra.catalog import context_key

    found = {}
    for name in catalog.names():
        value = context.get(context_key(name, "TimeoutSeconds"))
        if isinstance(value, int) and not isinstance(value, bool):
            found[name] = value
    return found


def check(document: Any, defaults: dict[str, int] | None = None) -> Verdict:
    """``document`` (a bare request, or an EventBridge event whose ``detail`` is one) judged as the
    Validate step of its type's state machine judges it."""
    from controller import catalog
    from controller.admission import examine
    from controller.phrasing import merge
    from controller.request import peek
    from controller.step_event import Defaults, StepEvent

    request = peek(document)
    kind = request.get("endpointType") if isinstance(request, dict) else None
    machine = kind if isinstance(kind, str) and kind in catalog.names() else ""
    timeout = (defaults or {}).get(machine, 0)
    event = StepEvent(
        step="validate",
        endpointType=machine,
        input=copy.deepcopy(document),  # the step may take a reserved member out of it
        defaults=Defaults(timeoutSeconds=timeout),
    )
    admission = examine(event)
    broken = tuple((error.field, error.problem) for error in merge(admission.errors))
    return Verdict(_summary(request, admission), broken)


def check_item(document: Any, defaults: dict[str, int] | None = None) -> Verdict:
    """``document`` judged by :func:`check`; a PutEvents entry (``endpointctl.entries``) as the
    event the bus delivers for it, with what would keep it from the controller named too."""
    from endpointctl import entries

    if not entries.is_entry(document):
        return check(document, defaults)
    wrong = tuple(entries.problems(document))
    event = entries.event_of(document)
    if event is None:
        return Verdict("not a request (a PutEvents entry whose Detail is not a JSON object)", wrong)
    verdict = check(event, defaults)
    return Verdict(verdict.summary, wrong + verdict.broken)


def _summary(request: Any, admission: Any) -> str:
    """``create sagemaker churn-prod``, as far as the request can be read."""
    if not isinstance(request, dict):
        return "not a request (a JSON object is expected)"
    action = request.get("action", "create")
    kind = request.get("endpointType")
    endpoint = None
    if admission.request is not None and admission.provider is not None:
        params = admission.request.params
        endpoint = admission.provider.endpoint_id(admission.request.action, params) or "(id from the service)"
    else:
        from controller import catalog

        row = catalog.endpoint_types().get(kind) if isinstance(kind, str) else None
        params = request.get("params")
        if row is not None and isinstance(params, dict) and isinstance(params.get(row.identifier), str):
            endpoint = params[row.identifier]
    words = [action if isinstance(action, str) else "?", kind if isinstance(kind, str) else "?"]
    return " ".join([*words, *([endpoint] if endpoint else [])])


def cmd_validate(args: argparse.Namespace) -> int:
    from endpointctl import entries

    document = entries.unwrap(read_json(args.request, "request"))
    many = isinstance(document, list)
    requests = document if many else [document]
    if not requests:
        raise UsageError(f"request {args.request}: the array is empty")
    defaults = deployment_defaults()
    verdicts = [check_item(request, defaults) for request in requests]
    if args.json:
        shown = [verdict.as_json() for verdict in verdicts]
        print(json.dumps(shown if many else shown[0], indent=2))
    else:
        for index, verdict in enumerate(verdicts):
            print("\n".join(verdict.lines(f"[{index}] " if many else "")))
    return EXIT_OK if all(verdict.valid for verdict in verdicts) else EXIT_FAILED


def register(commands: Any) -> None:
    """Add ``validate`` to ``endpointctl``'s sub-command parser."""
    validate = commands.add_parser(
        "validate",
        help="check REQUEST.json offline, as the controller's Validate step would",
        description=(
            "Check a request (or a JSON array of them, an EventBridge event whose detail is one, or "
            "PutEvents entries whose Detail is one, as in events/put-events/) "
            "exactly as the controller's Validate step does, with no AWS call: the common fields, the "
            "endpoint type's params against the service's own API rules, the options. Prints "
            "'valid: create sagemaker churn-prod', or every broken field. Exit codes: 0 every request "
            "is valid, 1 a request is invalid, 2 the file cannot be read (no such file, not JSON)."
        ),
    )
    validate.add_argument("request", metavar="REQUEST.json")
    validate.add_argument("--json", action="store_true", help="print each verdict as a JSON object")
    validate.set_defaults(func=cmd_validate)
