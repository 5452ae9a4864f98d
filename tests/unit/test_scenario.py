"""Scenarios are typed at every depth (docs/local-runner.md): a wrong type or an unknown key is a clear,
one-line error naming its path, never a silent default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from endpointctl.cli import main
from endpointctl.runner import LocalRunner
from endpointctl.sim.calls import CallLog
from endpointctl.sim.sagemaker import SageMakerSim
from endpointctl.sim.scenario import ScenarioError
from endpointctl.sim.virtual_clock import VirtualClock

TEMPLATE: dict[str, Any] = {"Resources": {}}


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            {"sagemaker": {"missingPrerequisites": "false"}},
            "sagemaker.missingPrerequisites: must be true or false",
        ),
        ({"sagemaker": {"existing": {"endpoints": "abc"}}}, "sagemaker.existing.endpoints: must be an array"),
        (
            {"aml": {"existing": {"realtimeEndpoints": [1]}}},
            r"aml.existing.realtimeEndpoints\[0\]: must be a string",
        ),
        (
            {"neptune": {"faults": [{"operation": "CreateMLEndpoint", "error": "X", "cuont": 2}]}},
            r"neptune.faults\[0\].cuont: is not a scenario key",
        ),
        (
            {"sagemaker": {"faults": [{"operation": "CreateEndpoint"}]}},
            r"sagemaker.faults\[0\].error: is required",
        ),
        ({"sagemaker": {"faults": [{"operation": "A", "error": "B", "count": -1}]}}, r"faults\[0\].count"),
        (
            {"sagemaker": {"faults": [{"operation": "A", "error": "B", "applied": 1}]}},
            r"applied: must be true",
        ),
        ({"sagemaker": {"createSeconds": "300"}}, "sagemaker.createSeconds: must be a number"),
        (
            {"sagemaker": {"createSeconds": -1}},
            r"sagemaker.createSeconds: must be at least 0 \(got -1\)",
        ),
        ({"aml": {"outcome": "InService"}}, r"aml.outcome: must be one of READY, FAILED \(got 'InService'\)"),
        (
            {"sagemaker": {"createSecond": 300}},
            "sagemaker.createSecond: is not a scenario key; did you mean createSeconds?",
        ),
        (
            {"neptune": {"faults": [{"operation": "A", "error": "B", "cuont": 2}]}},
            r"neptune.faults\[0\].cuont: is not a scenario key; did you mean count\?",
        ),
        ({"sagemaker": []}, "sagemaker: must be an object"),
        ({"sagemaker": {"existing": {"endpoints": [{"EndpointName": "a", "Tag": []}]}}}, "Tag"),
        (
            {"neptune": {"existing": {"endpoints": [{"id": "g", "createBy": "r"}]}}},
            r"neptune.existing.endpoints\[0\].createBy: is not a scenario key",
        ),
        ({"bedrock": {}}, "unknown scenario keys: bedrock"),
        ({"abortAtSeconds": "soon"}, "abortAtSeconds: must be a number of seconds"),
        ({"abortAtSeconds": True}, "abortAtSeconds: must be a number of seconds"),
    ],
)
def test_a_bad_scenario_names_its_path(scenario: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        LocalRunner(TEMPLATE, scenario)


def test_a_valid_scenario_reads_every_key() -> None:
    sim = SageMakerSim(
        {
            "createSeconds": 120,
            "outcome": "Failed",
            "failureReason": "ping",
            "deleteSeconds": 5,
            "deleteOutcome": "Failed",
            "missingPrerequisites": True,
            "emitEvents": False,
            "faults": [
                {"operation": "CreateEndpoint", "error": "InternalFailure", "count": 2, "applied": True}
            ],
            "existing": {
                "endpoints": [
                    "other",
                    {
                        "EndpointName": "mine",
                        "EndpointConfigName": "v2",
                        "Tags": [{"Key": "k", "Value": "v"}],
                    },
                ],
                "endpointConfigs": ["v1"],
            },
        },
        VirtualClock(start=0),
        CallLog(),
    )
    assert (sim.create_seconds, sim.outcome, sim.delete_outcome, sim.missing, sim.emit_events) == (
        120,
        "Failed",
        "Failed",
        True,
        False,
    )
    assert [e.EndpointName for e in sim.existing_endpoints] == ["other", "mine"]
    assert sim.existing_endpoints[1].EndpointConfigName == "v2" and sim.existing_configs == ["v1"]
    fault = sim.faults.take("CreateEndpoint")
    assert fault is not None and fault.applied and fault.error == "InternalFailure"


def test_local_run_with_a_bad_scenario_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"endpointType": "aml", "params": {"MLModelId": "m"}}))
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"aml": {"missingPrerequisites": "false"}}))

    code = main(["local", "run", str(request), "--scenario", str(scenario), "--json"])

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == "endpointctl: scenario: aml.missingPrerequisites: must be true or false (got 'false')"


def test_a_neptune_endpoint_may_be_the_controllers_own() -> None:
    from endpointctl.sim.neptune import NeptuneEmulator

    sim = NeptuneEmulator(
        {"existing": {"endpoints": ["other", {"id": "mine", "createdBy": "create-1"}]}},
        VirtualClock(start=0),
        CallLog(),
    )
    assert [(e.id, e.createdBy) for e in sim.existing] == [("other", None), ("mine", "create-1")]
    assert sim.remaining() == {"endpoints": ["mine", "other"]}
