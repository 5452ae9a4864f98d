"""``endpointctl bench --scale``'s arithmetic: percentiles, Lambda's billing, cost, the failing share,
DynamoDB's request units, the rows and the table (tests/e2e/test_scale_bench.py runs it)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from endpointctl.scale_bench import figures, plan, report
from endpointctl.scale_bench.world import Measured, units


def measured(
    endpoint_type: str = "sagemaker",
    kind: str = "create",
    *,
    status: str = "SUCCEEDED",
    cause: str | None = None,
    transitions: int = 8,
    invocations: int = 4,
    wall: float = 0.01,
    calls: int = 5,
    latency: float | None = 0.0,
    refused_with: str | None = "ResourceLimitExceeded",
    **extra: Any,
) -> Measured:
    return Measured(
        endpoint_type=endpoint_type,
        kind=kind,
        status=status,
        error=None if status == "SUCCEEDED" else "ProviderError",
        cause=cause,
        transitions=transitions,
        invocations=[("SageMakerFunction519A4389", wall, wall / 2)] * invocations,
        calls=["sagemaker:DescribeEndpoint"] * calls,
        throttled_calls=extra.get("throttled_calls", 0),
        dynamodb_calls=extra.get("dynamodb_calls", 18),
        read_units=extra.get("read_units", 3.0),
        write_units=extra.get("write_units", 17.0),
        events=1,
        latency=latency,
        refused_with=refused_with,
    )


# -- percentiles ---------------------------------------------------------------------------------
def test_percentiles_are_by_nearest_rank() -> None:
    values = list(range(1, 21))  # 1..20
    assert figures.percentile(values, 50) == 10
    assert figures.percentile(values, 95) == 19
    assert figures.percentile(values, 100) == 20
    assert figures.percentile([7.5], 95) == 7.5
    assert figures.percentile([3, 1, 2], 50) == 2  # unsorted input
    assert figures.percentile([], 50) is None


# -- cost ----------------------------------------------------------------------------------------
def test_lambda_bills_each_invocation_rounded_up_to_the_millisecond_at_its_memory() -> None:
    # 1.2 ms and 0.1 ms bill as 2 ms and 1 ms: 3 ms at 256 MB = 0.003 s x 0.25 GB
    assert figures.billed_gb_seconds([0.0012, 0.0001], 256) == pytest.approx(0.003 * 0.25)
    assert figures.billed_gb_seconds([1.0], 1024) == pytest.approx(1.0)


def test_the_cost_adds_the_list_prices() -> None:
    one_of_each = figures.cost(
        transitions=1000,
        invocations=1_000_000,
        gb_seconds=1,
        events=1_000_000,
        read_units=1e6,
        write_units=1e6,
    )
    assert one_of_each == pytest.approx(0.025 + 0.20 + 0.0000166667 + 1.00 + 0.125 + 0.625)
    assert (
        figures.cost(transitions=0, invocations=0, gb_seconds=0, events=0, read_units=0, write_units=0) == 0
    )


def test_a_rows_dollars_are_per_operation() -> None:
    row = figures.Row("create sagemaker")
    memory = {"SageMakerFunction519A4389": 256}
    for _ in range(4):
        row.add(measured(transitions=8, invocations=4, dynamodb_calls=18), memory, billed=0.0101)
    per_op = figures.cost(
        transitions=8,
        invocations=4,
        gb_seconds=4 * 0.011 * 0.25,  # 10.1 ms billed as 11 ms
        events=1,
        read_units=3.0,
        write_units=17.0,
    )
    assert row.dollars == pytest.approx(per_op)
    assert row.per(row.gb_seconds) == pytest.approx(4 * 0.011 * 0.25)


def test_memory_comes_from_the_template_by_the_staged_name() -> None:
    long_id = "F" * 70
    template = {
        "Resources": {
            "SageMakerFunction519A4389": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 256}},
            long_id: {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        }
    }
    assert figures.memory_of(template) == {"SageMakerFunction519A4389": 256, "F" * 64: 128}


def test_billed_seconds_are_the_median_of_each_kind_alone() -> None:
    alone = {("sagemaker", "create"): measured()}
    alone[("sagemaker", "create")].invocations[:] = [
        ("f", 0.003, 0.002),
        ("f", 0.5, 0.3),
        ("f", 0.004, 0.003),
    ]
    assert figures.billed_seconds(alone) == {("sagemaker", "create"): 0.004}


# -- outcomes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "cause", "outcome"),
    [
        ("SUCCEEDED", None, "ok"),
        ("FAILED", '{"message":"sagemaker: create failed: ResourceLimitExceeded: simulated"}', "intended"),
        ("FAILED", '{"message":"create failed: ThrottlingException: Rate exceeded"}', "throttled"),
        ("FAILED", '{"message":"DescribeEndpoint failed: TooManyRequestsException"}', "throttled"),
        ("FAILED", '{"message":"States.Timeout"}', "other"),
    ],
)
def test_an_execution_is_ok_failed_as_intended_throttled_or_other(
    status: str, cause: str, outcome: str
) -> None:
    assert measured(status=status, cause=cause).outcome == outcome


# -- the failing share ---------------------------------------------------------------------------
def test_the_failing_share_is_apportioned_by_largest_remainder() -> None:
    # 25 x 10 % = 2.5 -> 3 (half up); exact shares 1.08, 0.96, 0.96: one each
    assert plan.apportion({"a": 9, "b": 8, "c": 8}, 0.1) == {"a": 1, "b": 1, "c": 1}
    # 10 x 10 % = 1: the largest remainder takes it (ties: the larger group)
    assert plan.apportion({"a": 3, "b": 7}, 0.1) == {"a": 0, "b": 1}
    assert sum(plan.apportion({"a": 84, "b": 83, "c": 125}, 0.1).values()) == 29
    assert plan.apportion({"a": 1}, 0.1) == {"a": 0}  # one operation: none fails
    assert plan.apportion({"a": 3, "b": 2}, 1.0) == {"a": 3, "b": 2}  # never more than a group holds


def test_the_faults_fail_the_change_call_spread_over_the_wave() -> None:
    operations = plan.plan(120)  # 30 of each type: 10 of each kind, Amazon ML's 15 creates and 15 deletes
    calls = {
        ("sagemaker", "create"): "sagemaker:CreateEndpoint",
        ("sagemaker", "update"): "sagemaker:UpdateEndpoint",
        ("neptune", "create"): "neptunedata:CreateMLEndpoint",
        ("neptune", "update"): "neptunedata:CreateMLEndpoint",  # an update is a create with update: true
        ("aml", "create"): "machinelearning:CreateRealtimeEndpoint",
    }
    faults = plan.failing_faults(operations, calls)
    by_call = {(t, f["operation"]): f for t, found in faults.items() for f in found}
    # 75 creates and updates: 8 fail, by largest remainder (Amazon ML's 15 creates take two)
    made = {
        ("sagemaker", "CreateEndpoint"): (1, 10, "ResourceLimitExceeded"),
        ("sagemaker", "UpdateEndpoint"): (1, 10, "ResourceLimitExceeded"),
        ("aml", "CreateRealtimeEndpoint"): (2, 15, "InvalidInputException"),
        # its creates' and updates' share together: an update is a CreateMLEndpoint too
        ("neptune", "CreateMLEndpoint"): (2, 20, "BadRequestException"),
    }
    assert set(by_call) == set(made)
    for key, (count, calls_made, error) in made.items():
        fault = by_call[key]
        assert (fault["count"], fault["error"]) == (count, error)
        # every ``every``-th call fails, ``count`` times: spread over the wave's calls, all within them
        assert fault["every"] == calls_made // count and fault["count"] * fault["every"] <= calls_made
    assert "inference-component" not in faults  # no change call known for it: not failed


def test_a_refusal_is_one_the_operation_documents_and_no_retry_cures() -> None:
    assert plan.refusal_code("sagemaker", "CreateEndpoint") == "ResourceLimitExceeded"
    assert plan.refusal_code("neptunedata", "CreateMLEndpoint") == "BadRequestException"
    assert plan.refusal_code("sagemaker", "DeleteEndpoint") == "ValidationException"  # documents none


def test_the_change_call_is_the_first_that_does_not_only_read() -> None:
    calls = [
        "sagemaker:DescribeEndpoint",
        "sagemaker:ListTags",
        "sagemaker:UpdateEndpoint",
        "sagemaker:AddTags",
    ]
    assert plan.change_call(calls) == "sagemaker:UpdateEndpoint"
    assert plan.change_call(["neptunedata:GetMLEndpoint"]) is None


def test_the_mix_covers_every_type_and_kind_with_an_endpoint_each() -> None:
    operations = plan.plan(12)
    assert {(op.endpoint_type, op.kind) for op in operations} == {
        (t, k)
        for t in ("sagemaker", "neptune", "inference-component")
        for k in ("create", "update", "delete")
    } | {("aml", "create"), ("aml", "delete")}
    assert all((op.setup is None) == (op.kind == "create") for op in operations)
    names = [next(iter(op.request["params"].values())) for op in operations if op.kind == "delete"]
    assert len(set(names)) == len(names)
    assert plan.plan(1)[0].request["endpointType"] == "sagemaker"


def test_rate_limits_go_in_the_scenario_only_where_the_model_takes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from endpointctl.sim import simulators

    simulator = simulators()["sagemaker"]
    if "rateLimits" not in simulator.Scenario.model_fields:
        assert not plan.rate_limits_accepted() and plan.scenario() == {}

    class WithRates(simulator.Scenario):  # type: ignore[name-defined,misc]
        rateLimits: dict[str, float] = {}

    class WithOtherRates(simulator.Scenario):  # type: ignore[name-defined,misc]
        rateLimits: dict[str, dict[str, float]] = {}  # another shape: left out, not an error

    monkeypatch.setattr(simulator, "Scenario", WithRates)
    assert plan.rate_limits_accepted()
    assert plan.scenario() == {"sagemaker": {"rateLimits": plan.SAGEMAKER_RATE_LIMITS}}
    assert plan.scenario({}) == {}
    monkeypatch.setattr(simulator, "Scenario", WithOtherRates)
    assert plan.scenario() == {}


# -- DynamoDB's request units --------------------------------------------------------------------
def test_request_units_follow_on_demand_billing() -> None:
    assert units("PutItem", sent=900, received=50, consistent=False) == (0.0, 1.0)
    assert units("UpdateItem", sent=2500, received=50, consistent=False) == (0.0, 3.0)  # 1 KB each
    assert units("TransactWriteItems", sent=900, received=0, consistent=False) == (0.0, 2.0)
    assert units("GetItem", sent=100, received=900, consistent=True) == (1.0, 0.0)
    assert units("GetItem", sent=100, received=900, consistent=False) == (0.5, 0.0)  # eventually: half
    assert units("Query", sent=100, received=9000, consistent=True) == (3.0, 0.0)  # 4 KB each
    assert units("DescribeTable", sent=10, received=10, consistent=False) == (0.0, 0.0)


# -- the table -----------------------------------------------------------------------------------
def test_rows_per_kind_then_all_and_their_line() -> None:
    memory = {"SageMakerFunction519A4389": 256}
    items = [
        measured("aml", "delete", latency=1.0),
        measured("sagemaker", "create", latency=0.0),
        measured("sagemaker", "create", latency=4.0),
        measured("sagemaker", "create", status="FAILED", cause="ResourceLimitExceeded", latency=None),
    ]
    rows = figures.rows(items, memory, ["sagemaker", "aml"], {("sagemaker", "create"): 0.002})
    assert [row.label for row in rows] == ["create sagemaker", "delete aml", "all"]
    create = rows[0]
    assert (create.count, create.ok, create.intended, create.throttled) == (3, 2, 1, 0)
    line = figures.row_line(create)
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert len(cells) == len(figures.HEADER[0].strip("|").split("|"))
    assert cells[:5] == ["create sagemaker", "3", "2", "1", "0"]
    assert cells[5] == "8.0" and cells[6] == "4.0" and cells[8] == "5.0"
    assert cells[12] == "0.0 / 4.0"  # p50 / p95 of the two latencies
    assert math.isclose(float(cells[13]), create.dollars, abs_tol=1e-6)
    assert figures.row_line(rows[-1]).startswith("| **all** | 4 | 3 | 1 | 0 |")
    assert figures.table(rows).splitlines()[:2] == list(figures.HEADER)


def test_growth_is_said_against_the_operation_alone() -> None:
    alone = {
        ("sagemaker", "create"): measured(calls=5),
        ("inference-component", "create"): measured(latency=20.5),
    }
    here = [
        measured(calls=5),
        measured(calls=8),
        measured(status="FAILED", calls=1),
    ]  # the failed one: not compared
    [grown] = figures.growth(here, alone)
    assert (grown.label, grown.figure, grown.alone, grown.here) == ("create sagemaker", "calls", 5, 6.5)
    later = [measured("inference-component", latency=50.5), measured("inference-component", latency=48.0)]
    [slow] = report.latency_growth(later, alone)
    assert slow.label == "create inference-component" and slow.here == 48.0
