"""The endpoint-type registry of ``infra/``: each type has one home (``infra/endpoint_types/<name>.py``),
the shared modules name none, and a fourth type defined outside the package (the toy one of
``tests/toy``) gets its function, lifecycle, rules, context and acknowledgments with no change to a
shared file. (``tests/e2e/test_toy_endpoint_type.py`` runs its lifecycles.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

import app as cdk_app
from infra import catalog, nag
from infra import endpoint_types as registry
from infra.config import Config, ConfigError
from tests.toy import registered
from tests.toy.infra import ToyInfra, ToySettings

#: The modules every type shares: none may name one.
SHARED = [
    "app.py",
    "infra/stack.py",
    "infra/state_machine.py",
    "infra/config.py",
    "infra/nag.py",
    "infra/monitoring.py",
    "infra/function.py",
    "infra/polling.py",
    "infra/endpoint_types/base.py",
    "infra/endpoint_types/__init__.py",
]


@pytest.fixture
def toy() -> Iterator[type[ToyInfra]]:
    with registered():
        yield ToyInfra


def _app(context: dict[str, Any] | None = None) -> cdk.App:
    return cdk.App(context={**json.load(open("cdk.json"))["context"], **(context or {})})


# -- the registry ---------------------------------------------------------------------------------
def test_every_catalog_row_has_its_module_and_the_registry_keeps_catalog_order() -> None:
    assert registry.names() == tuple(catalog.rows())
    for name in registry.names():
        infra = registry.get(name)
        assert infra.name == name and infra.__module__ == f"infra.endpoint_types.{registry.module_name(name)}"
        assert infra().title == catalog.rows()[name]["title"]


def test_register_needs_a_catalog_row_and_a_name_of_its_own(toy: type[ToyInfra]) -> None:
    with pytest.raises(ValueError, match="already"):
        registry.register(ToyInfra)
    builtin = type("Again", (ToyInfra,), {"name": registry.names()[0]})
    with pytest.raises(ValueError, match="already"):
        registry.register(builtin)
    stray = type("Stray", (ToyInfra,), {"name": "stray"})
    with pytest.raises(KeyError, match="catalog"):
        registry.register(stray)
    with pytest.raises(KeyError, match="catalog"):
        registry.get("stray")
    clash = {
        "name": "clash",
        "title": "Clash",
        "identifier": "x",
        "stateChanges": catalog.rows()["toy"]["stateChanges"],
    }
    with pytest.raises(ValueError, match="another endpoint type"):
        catalog.register(clash)


def test_unregistered_types_are_gone() -> None:
    assert "toy" not in registry.names()
    assert "toy" not in Config().endpoint_types


def test_shared_modules_name_no_type() -> None:
    from endpointctl import project_root

    words = [w for row in catalog.rows().values() for w in (row["name"], row["title"])]
    pattern = re.compile("|".join(map(re.escape, words)))
    for path in SHARED:
        text = (project_root() / path).read_text()
        found = [(i, line) for i, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
        assert not found, (path, found)


# -- a fourth type, from outside the package --------------------------------------------------------
def test_a_registered_type_reads_its_own_context_and_the_generic_keys(toy: type[ToyInfra]) -> None:
    config = Config.from_context(_app({"toyZone": "green", "toyTimeoutSeconds": 120}).node)
    assert config.endpoint_types[-1] == "toy"
    settings = config.type_settings("toy")
    assert isinstance(settings, ToySettings) and settings.zone == "green"
    assert config.type_defaults("toy").timeout_seconds == 120
    assert isinstance(Config().type_settings("toy"), ToySettings)
    with pytest.raises(ConfigError, match=r"^context toyZone='red': blue or green$"):
        Config.from_context(_app({"toyZone": "red"}).node)
    with pytest.raises(ConfigError, match=r"^context toyFirstCheckSeconds=0: 1 to 3600 seconds$"):
        Config.from_context(_app({"toyFirstCheckSeconds": 0}).node)


def test_a_registered_type_gets_its_function_lifecycle_rules_and_acknowledgments(
    toy: type[ToyInfra], monkeypatch: pytest.MonkeyPatch
) -> None:
    acknowledged: list[tuple[str, str]] = []
    original = nag.ack

    def record(scope: Any, rule: str, reason: str) -> None:
        acknowledged.append((scope.node.path, rule))
        original(scope, rule, reason)

    monkeypatch.setattr(nag, "ack", record)
    app = _app({"toyZone": "green", "toyFirstCheckSeconds": 50})
    stack = cdk_app.build(app)
    app.synth()  # cdk-nag passes: the toy's wildcard is acknowledged by its own module
    assert any(
        path.startswith(f"{stack.stack_name}/ToyFunctionRole") and "toy:" in rule
        for path, rule in acknowledged
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Description": "ml-endpoint-controller: toy endpoint lifecycle steps",
            "Environment": {"Variables": Match.object_like({"TOY_ZONE": "green"})},
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Sid": "ToyThings", "Action": ["toy:CreateThing", "toy:DeleteThing"]}
                        )
                    ]
                )
            }
        },
    )
    template.has_resource_properties(
        "AWS::Events::Rule",
        {"EventPattern": {"detail-type": ["Endpoint Request"], "detail": {"endpointType": ["toy"]}}},
    )
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["toy.things"],
                "detail-type": ["Toy Thing State Change"],
                "detail": {"status": ["READY", "FAILED"]},
            }
        },
    )
    unroutable = template.find_resources(
        "AWS::Events::Rule", {"Properties": {"Description": Match.string_like_regexp("no deployed type")}}
    )
    [rule] = unroutable.values()
    assert "toy" in json.dumps(rule["Properties"]["EventPattern"])
    assert "ToyStateMachineArn" in template.find_outputs("*")
    [machine] = [
        json.dumps(r["Properties"]["DefinitionString"])
        for lid, r in template.find_resources("AWS::StepFunctions::StateMachine").items()
        if lid.startswith("ToyLifecycle")
    ]
    assert '\\"firstCheckSeconds\\":50' in machine and "waitForTaskToken" in machine
    # cdk.json's endpointTypes, and the registered toy (a registered type is always built)
    assert set(stack.lifecycles) == {"sagemaker", "toy"}
    # six alarms per type, and the dead-letter and failed-invocations queues'
    assert len(template.find_resources("AWS::CloudWatch::Alarm")) == 6 * len(stack.lifecycles) + 2


# -- the generic per-type context keys --------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("sagemaker", "sagemakerTimeoutSeconds"),
        ("aml", "amlTimeoutSeconds"),
        ("neptune", "neptuneTimeoutSeconds"),
        ("inference-component", "inferenceComponentTimeoutSeconds"),
        ("toy", "toyTimeoutSeconds"),
        ("a-two-part_name", "aTwoPartNameTimeoutSeconds"),
    ],
)
def test_a_types_generic_keys_are_its_name_in_camel_case(name: str, key: str) -> None:
    assert catalog.context_key(name, "TimeoutSeconds") == key


def test_every_types_generic_keys_are_read_in_this_apps_style() -> None:
    """A hyphenated type's keys are camelCase like every other key of this app (one spelled with
    ``-`` would pass for a CDK library's key and be ignored in silence)."""
    for name in registry.names():
        for setting in ("TimeoutSeconds", "FirstCheckSeconds"):
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", catalog.context_key(name, setting)), name
    given = {"inferenceComponentTimeoutSeconds": 5400, "inferenceComponentFirstCheckSeconds": 60}
    config = Config.from_context(_app(given).node)
    defaults = config.type_defaults("inference-component")
    assert (defaults.timeout_seconds, defaults.first_check_seconds) == (5400, 60)
    with pytest.raises(
        ConfigError, match=r"^context inferenceComponentTimeoutSeconds=10: 60 to 86400 seconds$"
    ):
        Config.from_context(_app({"inferenceComponentTimeoutSeconds": 10}).node)
    with pytest.raises(ConfigError, match="did you mean inferenceComponentFirstCheckSeconds"):
        Config.from_context(_app({"inferenceComponentFirstCheckSecond": 60}).node)


def test_endpointctl_spells_the_generic_keys_as_the_stack_reads_them() -> None:
    """The local deploy's short first look and ``validate``'s deployment defaults use the same keys."""
    from endpointctl.served.commands import local_context
    from endpointctl.sim import simulators

    context = local_context({})
    for name, kind in simulators().items():
        if not kind.emits_events:
            assert catalog.context_key(name, "FirstCheckSeconds") in context
    assert "inferenceComponentFirstCheckSeconds" in context
    Config.from_context(_app(context).node)  # every key one the stack reads
