"""The leak invariants over random worlds: random requests of the four types (creates, updates and deletes,
inference components included, all on one endpoint of the simulated SageMaker that is never theirs,
names that collide, request ids repeated and reused, pre-existing endpoints, short deadlines), random
fault schedules (errors before and after the service acted, throttles, intermittent 5xx on looks,
deletes refused for a while) and stopped executions, all through the synthesized definitions, run on
long past the last outcome (``--until``) so that every clean-up and every retry has had its chance.

Day two is composed, not listed: each world first creates a few endpoints (inline configs, configs
shared with another endpoint, creates that expire), then stops some requests at a random moment
(updates and deletes of those endpoints among them), then runs a batch in parallel whose updates
name a fresh config, the config the endpoint already serves or another endpoint's config, with or
without ``deleteReplacedConfig``, and whose deletes may take the config with them. Whatever happened:

1. every request (one ``requestId`` and one document) is answered exactly once: ``Endpoint Ready``,
   ``Endpoint Updated``, ``Endpoint Failed`` or ``Endpoint Deleted``, on the bus and the topic alike
   (an expiry's ``Endpoint Deleted`` comes on top); a repeat of a document adds nothing, a reuse of
   its id by another document is refused with a notification of its own; every ``RollbackFailed``
   is followed by its ``Endpoint Cleaned Up`` (its leftovers were retried until gone);
2. every endpoint serves a config that exists;
3. nothing the controller created remains unless a request announced it (``READY``/``UPDATED``)
   and it was not deleted since: no endpoint, no config (a config remains only while an endpoint
   serves it, or as a notification announced or ``kept`` it, never after its endpoint expired);
4. nothing the controller did not create is changed: pre-existing endpoints stay, on their config;
   pre-existing configs and those made for requests that name them stay;
5. every execution ends, and a failure names a contract code.

Each example is one simulated world. ``ENDPOINTCTL_PROPERTY_EXAMPLES`` sets the number of examples: 24 by
default (over 300 lifecycles), more for a deeper search
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
#: Past the longest deadline (900 s), a creation (600 s), an expiry (1,200 s after ready), a
#: deletion, and a leftover's retries (refused up to 3 times: the next sweep, then 5 and 10
#: minutes later).
UNTIL = 3600
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
    "inference-component": [
        "CreateInferenceComponent",
        "DescribeInferenceComponent",
        "ListInferenceComponents",
        "UpdateInferenceComponent",
        "UpdateInferenceComponentRuntimeConfig",
        "DeleteInferenceComponent",
    ],
}
ERRORS = {
    "sagemaker": ["InternalFailure", "ThrottlingException", "ServiceUnavailable", "ReadTimeout"],
    "aml": ["InternalServerException", "ReadTimeout"],
    "neptune": ["InternalFailureException", "ThrottlingException", "ReadTimeout"],
    "inference-component": ["InternalFailure", "ThrottlingException", "ReadTimeout"],
}
#: Deletes the service refuses for a while (not transient: a rollback meeting one ends
#: ``RollbackFailed``, and its leftovers are retried until they are gone).
REFUSED_DELETES = {
    "sagemaker": [
        ("DeleteEndpoint", "ValidationException"),
        ("DeleteEndpoint", "AccessDeniedException"),
        ("DeleteEndpointConfig", "ValidationException"),
        ("DeleteEndpointConfig", "AccessDeniedException"),
    ],
    "aml": [("DeleteRealtimeEndpoint", "InvalidInputException")],
    "neptune": [("DeleteMLEndpoint", "BadRequestException")],
    "inference-component": [
        ("DeleteInferenceComponent", "ValidationException"),
        ("DeleteInferenceComponent", "AccessDeniedException"),
    ],
}
IC = "inference-component"
IDENTIFIER = {"sagemaker": "EndpointName", "aml": "MLModelId", "neptune": "id", IC: "InferenceComponentName"}
#: How notifications name each type's endpoint (``endpoint churn-prod``).
ENDPOINT_KINDS = {"endpoint", "realtime-endpoint", "ml-endpoint", IC}
#: The endpoint every inference component lives on: the simulated SageMaker makes it for the first
#: create that names it, someone else's, never the controller's to touch.
IC_HOST = "ic-host"
IC_SPEC = {
    "ModelName": "m",
    "ComputeResourceRequirements": {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024},
}
#: ``remaining`` key of each type's endpoints.
REMAINING = {
    "sagemaker": "endpoints",
    "aml": "realtimeEndpoints",
    "neptune": "endpoints",
    IC: "components",
}


def endpoint_name(kind: str, name: str) -> str:
    return {"sagemaker": f"ep-{name}", "aml": f"model-{name}", "neptune": f"np-{name}", IC: f"ic-{name}"}[
        kind
    ]


@st.composite
def component_update(draw: st.DrawFn, identifier: str) -> dict[str, Any]:
    """An update of an inference component: a new specification (``UpdateInferenceComponent``) or a
    copy count alone (``UpdateInferenceComponentRuntimeConfig``)."""
    params: dict[str, Any] = {"InferenceComponentName": identifier}
    if draw(st.booleans()):
        params["Specification"] = {**IC_SPEC, "ModelName": draw(st.sampled_from(["m2", "m3"]))}
    else:
        params["RuntimeConfig"] = {"CopyCount": draw(st.integers(1, 3))}
    return params


def own_config(name: str) -> str:
    """The inline config a create of ``ep-<name>`` makes (others may name it: a shared config)."""
    return f"ep-{name}-own"


def inline(config: str, instance_type: str = "ml.m5.large") -> dict[str, Any]:
    return {
        "EndpointConfigName": config,
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": instance_type,
                "InitialInstanceCount": 1,
            }
        ],
    }


@st.composite
def sagemaker_update(draw: st.DrawFn, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An update of ``ep-<name>``: to a fresh inline config, to the config it already serves (its
    create's own), or to another endpoint's (shared); its options."""
    identifier = endpoint_name("sagemaker", name)
    target = draw(st.sampled_from(["fresh", "fresh", "served", "shared"]))
    if target == "fresh":
        config = f"{identifier}-{draw(st.sampled_from(['v2', 'v3']))}"
        instance_type = draw(st.sampled_from(["ml.m5.large", "ml.m5.xlarge"]))
        params = {
            "EndpointName": identifier,
            "EndpointConfigName": config,
            "EndpointConfig": inline(config, instance_type),
        }
    else:
        other = name if target == "served" else draw(st.sampled_from([n for n in NAMES if n != name]))
        params = {"EndpointName": identifier, "EndpointConfigName": own_config(other)}
    options = {"deleteReplacedConfig": True} if draw(st.booleans()) else {}
    return params, options | adopting(draw)


def adopting(draw: st.DrawFn) -> dict[str, Any]:
    """An update may take its endpoint over (a pre-existing one is someone else's)."""
    return {"adopt": True} if draw(st.integers(0, 3)) == 0 else {}


@st.composite
def requests(
    draw: st.DrawFn, ids: list[str], actions: tuple[str, ...] = ("create",) * 4 + ("delete", "update")
) -> dict[str, Any]:
    kind = draw(st.sampled_from(["sagemaker", "sagemaker-inline", "sagemaker-shared", "aml", "neptune", IC]))
    name = draw(st.sampled_from(NAMES))
    action = draw(st.sampled_from(actions))
    if action == "update" and kind == "aml":
        action = "create"  # Amazon ML has no update (its refusal has tests of its own)
    endpoint_type = kind if kind == IC else kind.split("-")[0]
    identifier = endpoint_name(endpoint_type, name)
    options: dict[str, Any] = {}
    if action == "delete":
        params: dict[str, Any] = {IDENTIFIER[endpoint_type]: identifier}
        if endpoint_type == "sagemaker" and draw(st.booleans()):
            params["DeleteEndpointConfig"] = True
    elif action == "update" and endpoint_type == "sagemaker":
        params, options = draw(sagemaker_update(name))
    elif action == "update" and endpoint_type == IC:
        params = draw(component_update(identifier))
        options = adopting(draw)
    elif action == "update":
        params = {"id": identifier, "mlModelTrainingJobId": "job-2"}
        options = adopting(draw)
    elif kind == "sagemaker-inline":
        params = {
            "EndpointName": identifier,
            "EndpointConfigName": own_config(name),
            "EndpointConfig": inline(own_config(name)),
        }
    elif kind == "sagemaker-shared":  # another endpoint's inline config, named
        other = draw(st.sampled_from([n for n in NAMES if n != name]))
        params = {"EndpointName": identifier, "EndpointConfigName": own_config(other)}
    elif endpoint_type == "sagemaker":
        params = {"EndpointName": identifier, "EndpointConfigName": f"{identifier}-cfg"}
    elif endpoint_type == "aml":
        params = {"MLModelId": identifier}
    elif endpoint_type == IC:
        params = {
            "InferenceComponentName": identifier,
            "EndpointName": IC_HOST,
            "VariantName": "AllTraffic",
            "Specification": IC_SPEC,
            "RuntimeConfig": {"CopyCount": draw(st.integers(1, 2))},
        }
    else:
        params = {"mlModelTrainingJobId": "job"}
        if draw(st.booleans()):
            params["id"] = identifier  # else the controller derives one
    document: dict[str, Any] = {"endpointType": endpoint_type, "action": action, "params": params}
    options |= draw(
        st.fixed_dictionaries(
            {},
            optional={
                "timeoutSeconds": st.sampled_from([90, 300, 900]),
                "pollIntervalSeconds": st.sampled_from([30, 120]),
            },
        )
    )
    if action == "create" and draw(st.integers(0, 3)) == 0:
        options["expiresAfterSeconds"] = draw(st.sampled_from([600, 1200]))
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
    if draw(st.integers(0, 2)) == 0:
        operation, error = draw(st.sampled_from(REFUSED_DELETES[endpoint_type]))
        found.append({"operation": operation, "error": error, "count": draw(st.integers(1, 3))})
    return found


@st.composite
def services(draw: st.DrawFn) -> dict[str, Any]:
    world: dict[str, Any] = {}
    existing = draw(st.sampled_from([[], ["c"]]))
    for endpoint_type, ready, failed in (
        ("sagemaker", "InService", "Failed"),
        ("aml", "READY", "FAILED"),
        ("neptune", "InService", "Failed"),
        (IC, "InService", "Failed"),
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
            if endpoint_type == IC:
                outcomes.append("RolledBack")
            world[endpoint_type]["update"] = {
                "seconds": draw(st.sampled_from([60, 200])),
                "outcome": draw(st.sampled_from(outcomes)),
            }
    if draw(st.booleans()):
        world["sagemaker"]["autoScaling"] = {"ep-a": {"AllTraffic": {"MinCapacity": 1, "MaxCapacity": 2}}}
        names = [endpoint_name(endpoint_type, n) for n in existing]
        key = REMAINING[endpoint_type]
        if names and endpoint_type == IC:
            world[endpoint_type]["existing"] = {
                key: [{"InferenceComponentName": n, "EndpointName": IC_HOST} for n in names]
            }
        elif names:
            world[endpoint_type]["existing"] = {key: names}
    return world


@dataclass
class World:
    scenario: dict[str, Any]
    made: list[dict[str, Any]]
    stopped: list[dict[str, Any]]
    abort_at: int
    batch: list[dict[str, Any]]
    results: list[dict[str, Any]] = field(default_factory=list)

    def trace(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "made": self.made,
            "stopped": self.stopped,
            "abortAt": self.abort_at,
            "batch": self.batch,
        }


@st.composite
def worlds(draw: st.DrawFn) -> World:
    made = [
        {**r, "requestId": f"m-{i}"}
        for i, r in enumerate(draw(st.lists(requests(ids=[], actions=("create",)), min_size=1, max_size=3)))
    ]
    stopped = [
        {**r, "requestId": f"s-{i}"}
        for i, r in enumerate(
            draw(st.lists(requests(ids=[], actions=("create", "delete", "update", "update")), max_size=3))
        )
    ]
    batch = draw(st.lists(requests(ids=["r-1", "r-2"]), min_size=8, max_size=12))
    batch += draw(st.lists(st.sampled_from(batch), max_size=2))  # exact repeats
    return World(draw(services()), made, stopped, draw(st.sampled_from([5, 40, 140, 400])), batch)


def live(world: LocalRunner) -> dict[str, set[str]]:
    remaining = world.remaining()
    return {
        "sagemaker": set(remaining["sagemaker"]["endpoints"]),
        "aml": set(remaining["aml"]["realtimeEndpoints"]),
        "neptune": set(remaining["neptune"]["endpoints"]),
        IC: set(remaining[IC]["components"]),
        "configs": set(remaining["sagemaker"]["endpointConfigs"]),
    }


def story(runner: LocalRunner, runs: list[Any], names: set[str]) -> list[Any]:
    """What each run that named one of ``names`` did (for a failure's message)."""
    told = []
    for run in runs:
        named = set(map(str, run.request.get("params", {}).values()))
        if not names & named and not any(
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
                    (
                        e["detail-type"],
                        e["detail"].get("error"),
                        e["detail"].get("rollback"),
                        e["detail"].get("kept"),
                    )
                    for e in result["notifications"]["events"]
                ],
                "calls": result["calls"],
            }
        )
    return told


def identity(request: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in request.items() if k != "requestId"}, sort_keys=True)


def fail(runner: LocalRunner, runs: list[Any], names: set[str], why: str) -> None:
    pytest.fail(f"{why}:\n" + json.dumps(story(runner, runs, names), indent=1))


def check(world: World, runner: LocalRunner, runs: list[Any], foreign_configs: set[str]) -> None:
    scenario = world.scenario
    pre_existing = {
        t: {
            str(e["InferenceComponentName"]) if isinstance(e, dict) else str(e)
            for e in scenario[t].get("existing", {}).get(k, [])
        }
        for t, k in REMAINING.items()
    }
    requests_ = [*world.made, *world.stopped, *world.batch]
    if pre_existing[IC] or any(r["endpointType"] == IC and r["action"] == "create" for r in requests_):
        pre_existing["sagemaker"].add(IC_HOST)  # made by the simulated world, someone else's
    results = [runner.result(run) for run in runs]

    # 5. every execution ended; a failure names a contract code
    for result in results:
        assert result["status"] in ("SUCCEEDED", "FAILED", "ABORTED"), result
        if result["status"] == "FAILED":
            assert result["error"] in CODES, (result["error"], result["cause"])

    # 1. exactly one answer per request (an id with its document), on the bus and the topic
    assert len(runner.events) == len(runner.sns), "every event is also on the topic"
    events = [
        e for e in runner.events if e.get("detail-type") in PRIMARY and e["detail"].get("reason") != "expired"
    ]
    answers = Counter(str(e["detail"].get("requestId")) for e in events)
    expected: Counter[str] = Counter()
    seen: dict[str, set[str]] = {}
    for run, request in zip(runs, requests_, strict=True):
        request_id = request.get("requestId") or run.execution_arn.rsplit(":", 1)[1]
        seen.setdefault(request_id, set()).add(identity(request))
    for request_id, documents in seen.items():
        expected[request_id] = len(documents)
    assert answers == expected, (answers, expected)
    cleaned = Counter(
        e["detail"]["requestId"] for e in runner.events if e.get("detail-type") == "Endpoint Cleaned Up"
    )
    failed_rollbacks = {
        e["detail"]["requestId"]
        for e in events
        if e["detail"].get("error", {}).get("code") == "RollbackFailed"
    }
    assert set(cleaned) == failed_rollbacks, (cleaned, failed_rollbacks)  # every leftover retried till gone
    assert all(n == 1 for n in cleaned.values()), cleaned

    # 2. every endpoint serves a config that exists
    left = live(runner)
    serving: dict[str, str] = runner.simulators["sagemaker"].serving()  # type: ignore[attr-defined]
    missing = {name for name, config in serving.items() if config not in left["configs"]}
    if missing:
        fail(
            runner,
            runs,
            missing | {serving[n] for n in missing},
            f"{sorted(missing)} serve a config that is gone",
        )

    # 3. what the controller made remains only as announced, and not since deleted
    alive: dict[str, set[str]] = {t: set() for t in REMAINING}
    for event in runner.events:  # in the order published
        detail = event["detail"]
        endpoint_type = detail.get("endpointType")
        if endpoint_type not in alive:
            continue
        if event["detail-type"] in ("Endpoint Ready", "Endpoint Updated"):
            alive[endpoint_type].add(detail["endpointId"])
        rollback = detail.get("rollback") or {}
        for label in [*(detail.get("deleted") or []), *(rollback.get("deleted") or [])]:
            kind, _, name = label.partition(" ")
            if kind in ENDPOINT_KINDS:
                alive[endpoint_type].discard(name)
    for endpoint_type in REMAINING:
        leaked = left[endpoint_type] - pre_existing[endpoint_type] - alive[endpoint_type]
        if leaked:
            fail(runner, runs, leaked, f"{endpoint_type} left {sorted(leaked)}")
        vanished = alive[endpoint_type] - left[endpoint_type]
        if vanished:
            fail(runner, runs, vanished, f"{endpoint_type}: {sorted(vanished)} gone without a word")
    announced = announced_configs(runner, requests_)
    made_configs = {
        r["params"]["EndpointConfig"]["EndpointConfigName"]
        for r in requests_
        if "EndpointConfig" in r["params"]
    }
    stray = (left["configs"] & made_configs) - foreign_configs - set(serving.values()) - announced
    if stray:
        fail(runner, runs, stray, f"configs {sorted(stray)} left, not announced nor served")
    for event in runner.events:  # an expiry removes the configs made for its endpoint, unless served
        detail = event["detail"]
        if detail.get("reason") != "expired" or event["detail-type"] != "Endpoint Deleted":
            continue
        kept = {label.split()[1] for label in detail.get("kept") or []}
        for label in detail.get("remaining") or []:
            pytest.fail(f"an expiry left {label}: {detail}")
        assert not kept - set(serving.values()) - left["configs"], detail

    # 4. nothing the controller did not create (or adopt) was changed
    adopted = {
        (e["detail"].get("endpointType"), e["detail"].get("endpointId"))
        for e in runner.events
        if e["detail"].get("adopted")
    }
    for endpoint_type in REMAINING:
        theirs = {name for name in pre_existing[endpoint_type] if (endpoint_type, name) not in adopted}
        assert theirs <= left[endpoint_type], f"{endpoint_type}: pre-existing deleted"
        if endpoint_type == "sagemaker":
            for name in theirs:
                assert serving[name] == f"{name}-config", f"{name} was changed: it serves {serving[name]}"
    gone = foreign_configs - left["configs"]
    if gone:
        fail(runner, runs, gone, f"configs the controller did not create were deleted: {sorted(gone)}")


def announced_configs(runner: LocalRunner, requests_: list[dict[str, Any]]) -> set[str]:
    """Configs a notification announced or kept: a ready create's inline config, an update's
    requested one (``UPDATED``, or failed in place: nothing is deleted), what was ``kept``."""
    found: set[str] = set()
    inline_of = {
        (r["params"]["EndpointName"], r.get("requestId")): r["params"]["EndpointConfig"]["EndpointConfigName"]
        for r in requests_
        if r["endpointType"] == "sagemaker" and "EndpointConfig" in r["params"]
    }
    for event in runner.events:
        detail = event["detail"]
        if detail.get("endpointType") != "sagemaker":
            continue
        change, code = detail.get("update"), (detail.get("error") or {}).get("code")
        if event["detail-type"] == "Endpoint Ready":
            found |= {c for (name, _), c in inline_of.items() if name == detail.get("endpointId")}
        if (
            change
            and change.get("requested")
            and (detail["status"] == "UPDATED" or code == "EndpointUpdateFailed")
        ):
            found.add(change["requested"])
        rollback = detail.get("rollback") or {}
        for label in [
            *(detail.get("kept") or []),
            *(rollback.get("skipped") or []),
            *(rollback.get("remaining") or []),
        ]:
            if label.startswith("endpoint-config "):
                found.add(label.split()[1])
    return found


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
    note(json.dumps(world.trace()))
    if os.environ.get("ENDPOINTCTL_PROPERTY_TRACE"):
        with open(os.environ["ENDPOINTCTL_PROPERTY_TRACE"], "a") as trace:
            trace.write(json.dumps({"at": time.time(), **world.trace()}) + "\n")
    with quiet_stdout(), LocalRunner(template, world.scenario) as runner:
        foreign_configs = foreign_config_log(runner)
        made = [runner.start(request) for request in world.made]
        runner.wait(made)
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
        check(world, runner, [*made, *stopped, *batch], foreign_configs)
    LIFECYCLES.append(len(made) + len(stopped) + len(batch))
    if os.environ.get("ENDPOINTCTL_PROPERTY_TRACE"):
        with open(os.environ["ENDPOINTCTL_PROPERTY_TRACE"], "a") as trace:
            trace.write(json.dumps({"done": time.time(), "threads": threading.active_count()}) + "\n")


def foreign_config_log(runner: LocalRunner) -> set[str]:
    """The configs the simulated world makes for others (pre-existing, or made for a request that
    names one): the controller must never delete any of them."""
    sim: Any = runner.simulators["sagemaker"]
    made: set[str] = set(sim.backend().endpoint_configs)
    ensure = sim._ensure_config

    def ensure_and_log(name: str) -> None:
        if name not in sim.backend().endpoint_configs:
            made.add(name)
        ensure(name)

    sim._ensure_config = ensure_and_log
    return made


def test_the_property_test_ran_a_few_hundred_lifecycles() -> None:
    if not LIFECYCLES:
        pytest.skip("the property test did not run in this process")
    print(f"{len(LIFECYCLES)} worlds, {sum(LIFECYCLES)} lifecycles")
    assert len(LIFECYCLES) == EXAMPLES and sum(LIFECYCLES) >= 10 * EXAMPLES
    if EXAMPLES >= DEFAULT_EXAMPLES:
        assert sum(LIFECYCLES) >= 300, "the default run must try a few hundred lifecycles"
