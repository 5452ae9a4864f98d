"""A fourth endpoint type is its own files and nothing else.

The toy type of ``tests/toy`` (catalog row, provider, infra module, simulator) is registered through
the public registries only; the stack synthesized with it has its state machine, rules, function
and grants, and the local runner's machinery runs its lifecycles: create → ready (resumed by its
service's state-change event) and failure → rollback. No production file names the type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest

import app as cdk_app
from endpointctl import project_root
from endpointctl.runner import run_requests
from endpointctl.template import resources, state_machines
from tests.e2e.helpers import one_notification
from tests.toy import registered

_TEMPLATES: dict[str, dict[str, Any]] = {}


@pytest.fixture
def toy_template() -> Iterator[dict[str, Any]]:
    """The stack as ``cdk synth`` builds it with the toy type registered (synthesized once per
    process; registered for each test only, so other tests never see the toy)."""
    with registered():
        if "toy" not in _TEMPLATES:
            context = json.loads((project_root() / "cdk.json").read_text())["context"]
            app = cdk.App(context=context)
            stack = cdk_app.build(app)
            _TEMPLATES["toy"] = app.synth().get_stack_by_name(stack.stack_name).template
        yield _TEMPLATES["toy"]


def request(thing: str = "t1", **extra: Any) -> dict[str, Any]:
    return {"endpointType": "toy", "params": {"thingId": thing}, "requestId": f"toy-{thing}", **extra}


def test_the_stack_builds_the_toy_lifecycle_like_any_other(toy_template: dict[str, Any]) -> None:
    machines = state_machines(toy_template)
    assert "toy" in machines and machines["toy"].logical_id.startswith("ToyLifecycle")
    functions = resources(toy_template, "AWS::Lambda::Function")
    assert any(lid.startswith("ToyFunction") for lid in functions)
    rules = [r["Properties"] for r in resources(toy_template, "AWS::Events::Rule").values()]
    patterns = [r["EventPattern"] for r in rules if "EventPattern" in r]  # the sweep is a schedule
    assert {"detail-type": ["Endpoint Request"], "detail": {"endpointType": ["toy"]}} in patterns
    assert any(p.get("source") == ["toy.things"] for p in patterns)
    assert any(r.get("ScheduleExpression") == "rate(5 minutes)" for r in rules)
    statements = [
        s
        for lid, policy in resources(toy_template, "AWS::IAM::Policy").items()
        if lid.startswith("ToyFunction")
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(s.get("Sid") == "ToyThings" for s in statements)
    assert "ToyStateMachineArn" in toy_template["Outputs"]


def test_a_toy_create_becomes_ready_resumed_by_its_state_change_event(toy_template: dict[str, Any]) -> None:
    _, [result] = run_requests(toy_template, [request()], {"toy": {"createSeconds": 120}})

    assert result["status"] == "SUCCEEDED", result["cause"]
    detail = one_notification(result)
    assert result["notifications"]["events"][0]["detail-type"] == "Endpoint Ready"
    assert (detail["endpointType"], detail["endpointId"], detail["status"]) == ("toy", "t1", "READY")
    assert detail["endpointUrl"] == "toy://t1"
    assert result["calls"][:2] == ["toy:DescribeThing", "toy:CreateThing"]
    assert result["readyAfterSeconds"] == 120 and result["virtualSeconds"] == 120  # the event, not a poll
    assert result["remaining"]["toy"] == {"things": ["t1"]}
    assert result["output"]["endpointId"] == "t1"


def test_a_failed_toy_is_rolled_back_and_nothing_is_left(toy_template: dict[str, Any]) -> None:
    scenario = {"toy": {"createSeconds": 60, "outcome": "FAILED", "deleteSeconds": 30}}
    _, [result] = run_requests(toy_template, [request("t2")], scenario)

    assert (result["status"], result["error"]) == ("FAILED", "EndpointCreationFailed")
    detail = one_notification(result)
    assert detail["rollback"] == {"attempted": True, "succeeded": True, "deleted": ["thing t2"]}
    assert result["calls"].count("toy:CreateThing") == 1 and "toy:DeleteThing" in result["calls"]
    assert result["remaining"]["toy"] == {"things": []}


def test_a_bad_toy_request_is_refused_by_its_own_provider(toy_template: dict[str, Any]) -> None:
    _, [result] = run_requests(toy_template, [{"endpointType": "toy", "params": {"size": 3}}], None)

    assert (result["status"], result["error"]) == ("FAILED", "InvalidRequest")
    assert one_notification(result)["error"]["fields"] == ["params.thingId", "params.size"]
    assert result["calls"] == []


def test_no_production_file_names_the_toy_type() -> None:
    root = project_root()
    word = re.compile(r"\btoy\b", re.IGNORECASE)
    found = [
        str(path.relative_to(root))
        for tree in ("functions", "infra", "endpointctl")
        for path in (root / tree).rglob("*")
        if path.is_file() and path.suffix in (".py", ".json") and word.search(path.read_text())
    ]
    assert found == []
