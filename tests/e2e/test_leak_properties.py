"""The leak invariants over random worlds: random requests of the three types (creates, updates and deletes,
names that collide, request ids repeated and reused, pre-existing endpoints, short deadlines), random
fault schedules (errors before and after the service acted, throttles, intermittent 5xx on looks)
and stopped executions, all through the synthesized definitions, run on long past the last outcome
(``--until``) so that every clean-up has had its chance. Whatever happened:

1. every request (one ``requestId`` and one document) is answered exactly once: ``Endpoint Ready``,
   ``Endpoint Failed`` or ``Endpoint Deleted`` (plus ``Endpoint Cleaned Up`` after a
   ``RollbackFailed``), on the bus and the topic alike; a repeat of a document adds nothing, a
   reuse of its id by another document is refused with a notification of its own;
2. nothing the controller created remains unless a request announced it ``READY``: no endpoint,
   no inline endpoint config;
3. nothing pre-existing is ever deleted (endpoints, and the configs that requests name);
4. every execution ends, and a failure names a contract code.

Each example is one simulated world (a first batch of requests stopped at a random moment, then a
second batch in parallel). ``ENDPOINTCTL_PROPERTY_EXAMPLES`` sets the number of examples: 24 by
default (over 300 lifecycles, about a minute on one core), more for a deeper search
(``ENDPOINTCTL_PROPERTY_EXAMPLES=60 pytest tests/e2e/test_leak_properties.py``: about 800).
``ENDPOINTCTL_PROPERTY_TRACE=FILE`` appends each world as JSON, to replay one that failed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from endpointctl.runner import LocalRunner, quiet_stdout

pytestmark = pytest.mark.slow

DEFAULT_EXAMPLES = 24
EXAMPLES = int(os.environ.get("ENDPOINTCTL_PROPERTY_EXAMPLES", str(DEFAULT_EXAMPLES)))
UNTIL = 2400  # past the longest deadline (900 s), a creation (600 s), a deletion and two sweeps
NAMES = ["a", "b", "c"]
#: Lifecycles run per example (``test_the_property_test_ran_a_few_hundred_lifecycles`` counts them).
LIFECYCLES: list[int] = []
PRIMARY = {"Endpoint Ready", "Endpoint Updated", "Endpoint Failed", "Endpoint Deleted"}
CODES = {
    "InvalidRequest",
    "PrerequisiteNotFound",
    "EndpointAlreadyExists",
    "EndpointNotOwned",
    "EndpointCreationFailed",
    "EndpointTimeout",
    "RollbackFailed",
    "ProviderError",
    "ExecutionAborted",
    "EndpointBusy",
    "EndpointNotFound",
    "UpdateRolledBack",
    "EndpointUpdateFailed",
}
OPERATIONS = {
    "sagemaker": ["CreateEndpoint", "CreateEndpointConfig", "DescribeEndpoint", "DeleteEndpoint"],
    "aml": ["CreateRealtimeEndpoint", "GetMLModel", "DeleteRealtimeEndpoint"],
    "neptune": ["CreateMLEndpoint", "GetMLEndpoint", "DeleteMLEndpoint"],
}
ERRORS = {
    "sagemaker": ["InternalFailure", "ThrottlingException", "ServiceUnavailable", "ReadTimeout"],
    "aml": ["InternalServerException", "ReadTimeout"],
    "neptune": ["InternalFailureException", "ThrottlingException", "ReadTimeout"],
}


def endpoint_name(kind: str, name: str) -> str:
    return {"sagemaker": f"ep-{name}", "aml": f"model-{name}", "neptune": f"np-{name}"}[kind]


@st.composite
def requests(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["sagemaker", "sagemaker-inline", "aml", "neptune"]))
    name = draw(st.sampled_from(NAMES))
    action = draw(st.sampled_from(["create"] * 4 + ["delete", "update"]))
    if action == "update" and kind == "aml":
        action = "create"  # Amazon ML has no update (its refusal has tests of its own)
    endpoint_type = kind.split("-")[0]
    identifier = endpoint_name(endpoint_type, name)
    if action == "delete":
        key = {"sagemaker": "EndpointName", "aml": "MLModelId", "neptune": "id"}[endpoint_type]
        params: dict[str, Any] = {key: identifier}
    elif action == "update" and endpoint_type == "sagemaker":
        version = draw(st.sampled_from(["v2", "v3"]))
        params = {"EndpointName": identifier, "EndpointConfigName": f"{identifier}-{version}"}
        params["EndpointConfig"] = {
            "EndpointConfigName": f"{identifier}-{version}",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": draw(st.sampled_from(["ml.m5.large", "ml.m5.xlarge"])),
                    "InitialInstanceCount": 1,
                }
            ],
        }
    elif action == "update":
        params = {"id": identifier, "mlModelTrainingJobId": "job-2"}
    elif endpoint_type == "sagemaker":
        params = {"EndpointName": identifier, "EndpointConfigName": f"{identifier}-cfg"}
        if kind == "sagemaker-inline":
            params["EndpointConfigName"] = f"{identifier}-own"
            params["EndpointConfig"] = {
                "EndpointConfigName": f"{identifier}-own",
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": "m",
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": 1,
                    }
                ],
            }
    elif endpoint_type == "aml":
        params = {"MLModelId": identifier}
    else:
        params = {"mlModelTrainingJobId": "job"}
        if draw(st.booleans()):
            params["id"] = identifier  # else the controller derives one
    document: dict[str, Any] = {"endpointType": endpoint_type, "action": action, "params": params}
    options = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "timeoutSeconds": st.sampled_from([90, 300, 900]),
                "pollIntervalSeconds": st.sampled_from([30, 120]),
            },
        )
    )
    if options:
        document["options"] = options
    request_id = draw(st.sampled_from([None, *ids]))
    if request_id is not None:
        document["requestId"] = request_id
    return document


@st.composite
def faults(draw: st.DrawFn, endpoint_type: str) -> list[dict[str, Any]]:
    found = []
    for _ in range(draw(st.integers(0, 2))):
        error = draw(st.sampled_from(ERRORS[endpoint_type]))
        found.append(
            {
                "operation": draw(st.sampled_from(OPERATIONS[endpoint_type])),
                "error": error,
                "applied": draw(st.booleans()),
                "count": draw(st.integers(1, 3)),
                "every": draw(st.sampled_from([1, 1, 2, 3])),
            }
        )
    return found


@st.composite
def services(draw: st.DrawFn) -> dict[str, Any]:
    world: dict[str, Any] = {}
    existing = draw(st.sampled_from([[], ["c"]]))
    for endpoint_type, ready, failed in (
        ("sagemaker", "InService", "Failed"),
        ("aml", "READY", "FAILED"),
        ("neptune", "InService", "Failed"),
    ):
        world[endpoint_type] = {
            "createSeconds": draw(st.sampled_from([30, 150, 600])),
            "deleteSeconds": draw(st.sampled_from([20, 120])),
            "outcome": draw(st.sampled_from([ready, ready, failed])),
            "faults": draw(faults(endpoint_type)),
        }
        if endpoint_type != "aml":
            outcomes = ["InService", "Failed"] + (
                ["InService", "RolledBack", "UpdateRollbackFailed"] if endpoint_type == "sagemaker" else []
            )
            world[endpoint_type]["update"] = {
                "seconds": draw(st.sampled_from([60, 200])),
                "outcome": draw(st.sampled_from(outcomes)),
            }
    if draw(st.booleans()):
        world["sagemaker"]["autoScaling"] = {"ep-a": {"AllTraffic": {"MinCapacity": 1, "MaxCapacity": 2}}}
        names = [endpoint_name(endpoint_type, n) for n in existing]
        key = {"sagemaker": "endpoints", "aml": "realtimeEndpoints", "neptune": "endpoints"}[endpoint_type]
        if names:
            world[endpoint_type]["existing"] = {key: names}
    return world


@dataclass
class World:
    scenario: dict[str, Any]
    stopped: list[dict[str, Any]]
    abort_at: int
    batch: list[dict[str, Any]]
    results: list[dict[str, Any]] = field(default_factory=list)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    stopped = [
        {**r, "requestId": f"s-{i}"}
        for i, r in enumerate(draw(st.lists(requests(ids=[]), min_size=0, max_size=3)))
    ]
    batch = draw(st.lists(requests(ids=["r-1", "r-2"]), min_size=8, max_size=12))
    batch += draw(st.lists(st.sampled_from(batch), max_size=2))  # exact repeats
    return World(draw(services()), stopped, draw(st.sampled_from([5, 40, 140, 400])), batch)


def live(world: LocalRunner) -> dict[str, set[str]]:
    remaining = world.remaining()
    return {
        "sagemaker": set(remaining["sagemaker"]["endpoints"]),
        "aml": set(remaining["aml"]["realtimeEndpoints"]),
        "neptune": set(remaining["neptune"]["endpoints"]),
        "configs": set(remaining["sagemaker"]["endpointConfigs"]),
    }


def story(runner: LocalRunner, runs: list[Any], names: set[str]) -> list[Any]:
    """What each run that named one of ``names`` did (for a failure's message)."""
    told = []
    for run in runs:
        if not names & set(map(str, run.request.get("params", {}).values())) and not any(
            e["detail"].get("executionArn") == run.execution_arn and e["detail"].get("endpointId") in names
            for e in runner.events
        ):
            continue
        result = runner.result(run, later=True)
        told.append(
            {
                "request": run.request,
                "status": result["status"],
                "error": result["error"],
                "notifications": [
                    (e["detail-type"], e["detail"].get("error"), e["detail"].get("rollback"))
                    for e in result["notifications"]["events"]
                ],
                "calls": result["calls"],
            }
        )
    return told


def identity(request: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in request.items() if k != "requestId"}, sort_keys=True)


def check(world: World, runner: LocalRunner, runs: list[Any]) -> None:
    scenario = world.scenario
    pre_existing = {
        t: set(scenario[t].get("existing", {}).get(k, []))
        for t, k in (("sagemaker", "endpoints"), ("aml", "realtimeEndpoints"), ("neptune", "endpoints"))
    }
    requests_ = [*world.stopped, *world.batch]
    results = [runner.result(run) for run in runs]

    # 4. every execution ended; a failure names a contract code
    for result in results:
        assert result["status"] in ("SUCCEEDED", "FAILED", "ABORTED"), result
        if result["status"] == "FAILED":
            assert result["error"] in CODES, (result["error"], result["cause"])
    for run in runs[: len(world.stopped)]:
        assert run.status in ("ABORTED", "SUCCEEDED", "FAILED")

    # 1. exactly one answer per request (an id with its document), on the bus and the topic
    events = [e for e in runner.events if e.get("detail-type") in PRIMARY]
    assert len(runner.events) == len(runner.sns), "every event is also on the topic"
    answers = Counter(str(e["detail"].get("requestId")) for e in events)
    expected: Counter[str] = Counter()
    seen: dict[str, set[str]] = {}
    for run, request in zip(runs, requests_, strict=True):
        request_id = request.get("requestId") or run.execution_arn.rsplit(":", 1)[1]
        seen.setdefault(request_id, set()).add(identity(request))
    for request_id, documents in seen.items():
        expected[request_id] = len(documents)
    assert answers == expected, (answers, expected)
    cleaned = [e for e in runner.events if e.get("detail-type") == "Endpoint Cleaned Up"]
    failed_rollbacks = {
        e["detail"]["requestId"]
        for e in events
        if e["detail"].get("error", {}).get("code") == "RollbackFailed"
    }
    assert {e["detail"]["requestId"] for e in cleaned} <= failed_rollbacks

    # 2. and 3.: what remains is pre-existing or announced READY; nothing pre-existing is gone
    ready: dict[str, set[str]] = {"sagemaker": set(), "aml": set(), "neptune": set(), "configs": set()}
    for event in events:
        detail = event["detail"]
        if event["detail-type"] == "Endpoint Ready":
            ready[detail["endpointType"]].add(detail["endpointId"])
    for request in requests_:
        config = request["params"].get("EndpointConfig")
        if config and request["params"]["EndpointName"] in ready["sagemaker"]:
            ready["configs"].add(config["EndpointConfigName"])
    named_configs = {
        r["params"]["EndpointConfigName"]
        for r in requests_
        if r["endpointType"] == "sagemaker"
        and r["action"] == "create"
        and "EndpointConfig" not in r["params"]
    }
    left = live(runner)
    for endpoint_type in ("sagemaker", "aml", "neptune"):
        leaked = left[endpoint_type] - pre_existing[endpoint_type] - ready[endpoint_type]
        if leaked:
            pytest.fail(
                f"{endpoint_type} left {sorted(leaked)}:\n"
                + json.dumps(story(runner, runs, leaked), indent=1)
            )
        assert pre_existing[endpoint_type] <= left[endpoint_type], f"{endpoint_type}: pre-existing deleted"
    # an update's config stays when the endpoint took it (UPDATED), when the update failed
    # (nothing is deleted then), and when a rollback found it in use
    for event in events:
        detail = event["detail"]
        change, code = detail.get("update"), (detail.get("error") or {}).get("code")
        if change and (detail["status"] == "UPDATED" or code == "EndpointUpdateFailed"):
            ready["configs"].add(change["requested"])
        rollback = detail.get("rollback") or {}
        for label in (rollback.get("skipped") or []) + (rollback.get("remaining") or []):
            if label.startswith("endpoint-config "):
                ready["configs"].add(label.split()[1])
    prepared = named_configs | {f"{n}-cfg" for n in pre_existing["sagemaker"]}
    assert left["configs"] <= prepared | ready["configs"], left["configs"]
    assert named_configs <= left["configs"], "a config the controller did not create was deleted"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    # no shrinking: an example is a whole simulated world, and races make its outcome vary
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(world=worlds())
def test_no_leak_whatever_the_requests_faults_and_stops(template: dict[str, Any], world: World) -> None:
    note(
        json.dumps(
            {
                "scenario": world.scenario,
                "stopped": world.stopped,
                "abortAt": world.abort_at,
                "batch": world.batch,
            }
        )
    )
    if os.environ.get("ENDPOINTCTL_PROPERTY_TRACE"):
        with open(os.environ["ENDPOINTCTL_PROPERTY_TRACE"], "a") as trace:
            trace.write(
                json.dumps(
                    {
                        "at": time.time(),
                        "scenario": world.scenario,
                        "stopped": world.stopped,
                        "abortAt": world.abort_at,
                        "batch": world.batch,
                    }
                )
                + "\n"
            )
    with quiet_stdout(), LocalRunner(template, world.scenario) as runner:
        runner.abort_at = world.abort_at
        stopped = [runner.start(request) for request in world.stopped]
        runner.wait(stopped)
        runner.abort_at = None
        begun = runner.clock.now()
        for _ in world.batch:
            runner.clock.started()
        batch = [runner.start(request, registered=True) for request in world.batch]
        runner.wait(batch)
        runner.keep_running(begun + UNTIL)
        check(world, runner, [*stopped, *batch])
    LIFECYCLES.append(len(stopped) + len(batch))
    if os.environ.get("ENDPOINTCTL_PROPERTY_TRACE"):
        with open(os.environ["ENDPOINTCTL_PROPERTY_TRACE"], "a") as trace:
            trace.write(json.dumps({"done": time.time(), "threads": threading.active_count()}) + "\n")


def test_the_property_test_ran_a_few_hundred_lifecycles() -> None:
    if not LIFECYCLES:
        pytest.skip("the property test did not run in this process")
    print(f"{len(LIFECYCLES)} worlds, {sum(LIFECYCLES)} lifecycles")
    assert len(LIFECYCLES) == EXAMPLES and sum(LIFECYCLES) >= 10 * EXAMPLES
    if EXAMPLES >= DEFAULT_EXAMPLES:
        assert sum(LIFECYCLES) >= 300, "the default run must try a few hundred lifecycles"
