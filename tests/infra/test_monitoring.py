"""The stack's observability: one dashboard (a section per endpoint type) and the alarms, all
publishing to the alarm topic, with no physical names (two stacks deploy side by side)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from controller.errors import CONTRACT_CODES
from endpointctl.template import resources, state_machines
from infra import catalog
from infra.monitoring import ERROR_CODES, REFUSAL_CODES
from tests.infra.contexts import CUSTOM

#: Every endpoint type, in catalog order.
TYPES = list(catalog.rows())
EMF_METRICS = [
    "LeftoversOverADay",
    "EndpointReady",
    "EndpointFailed",
    "EndpointDeleted",
    "Rollbacks",
    "TimeToReadySeconds",
    "Polls",
    "ResumedByEvent",
    "StateChangeEventsIgnored",
    "HandledErrors",
    *CONTRACT_CODES,  # one count per error code, as the functions emit them
]
REFUSALS = REFUSAL_CODES
ALARM_TOPIC = {"Ref": Match.string_like_regexp("^MonitoringAlarmTopic")}


@pytest.fixture(scope="module")
def stack(template: dict[str, Any]) -> Template:
    return Template.from_json(template)


def functions(template: dict[str, Any]) -> dict[str, str]:
    """The controller's functions by endpoint type: logical ids."""
    found = {}
    for lid, res in resources(template, "AWS::Lambda::Function").items():
        for endpoint_type in TYPES:
            if (
                res["Properties"].get("Description")
                == f"ml-endpoint-controller: {endpoint_type} endpoint lifecycle steps"
            ):
                found[endpoint_type] = lid
    return found


def dashboard_widgets(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's widgets, references written as ``<<LogicalId>>`` (``.Attribute``)."""
    [dashboard] = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        elif "Ref" in part:
            text += f"<<{part['Ref']}>>"
        else:
            lid, attribute = part["Fn::GetAtt"]
            text += f"<<{lid}.{attribute}>>"
    widgets: list[dict[str, Any]] = json.loads(text)["widgets"]
    return widgets


def graphed(widgets: list[dict[str, Any]]) -> list[list[Any]]:
    """Every metric line of every graph: ``[namespace, name, dim, value, ..., {options}]``."""
    return [line for w in widgets if w["type"] == "metric" for line in w["properties"]["metrics"]]


def test_one_dashboard_without_a_fixed_name(stack: Template) -> None:
    stack.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    for dashboard in stack.find_resources("AWS::CloudWatch::Dashboard").values():
        assert "DashboardName" not in dashboard["Properties"]
    for alarm in stack.find_resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmName" not in alarm["Properties"]


@pytest.mark.parametrize("endpoint_type", TYPES)
def test_the_dashboard_shows_each_types_state_machine_function_and_metrics(
    template: dict[str, Any], endpoint_type: str
) -> None:
    machine = state_machines(template)[endpoint_type].logical_id
    function = functions(template)[endpoint_type]
    lines = graphed(dashboard_widgets(template))

    def names(namespace: str, dimension: list[str]) -> set[str]:
        return {
            line[1]
            for line in lines
            if line[0] == namespace and all(d in line for d in dimension) and len(line) > 2
        }

    assert {"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"} <= names(
        "AWS/States", ["StateMachineArn", f"<<{machine}>>"]
    )
    assert {"Errors", "Throttles", "Duration", "Invocations"} <= names(
        "AWS/Lambda", ["FunctionName", f"<<{function}>>"]
    )
    emf = names(
        "MlEndpointController",
        [
            "EndpointType",
            endpoint_type,
            "service",
            "ml-endpoint-controller",
            "StackName",
            "MlEndpointController",
        ],
    )
    assert set(EMF_METRICS) <= emf
    stats = {
        line[-1]["stat"]
        for line in lines
        if line[:2] == ["MlEndpointController", "TimeToReadySeconds"] and endpoint_type in line
    }
    assert stats == {"p50", "p90", "Maximum"}


def test_the_dashboard_shows_the_dead_letter_and_failed_invocations_queues(template: dict[str, Any]) -> None:
    lines = graphed(dashboard_widgets(template))
    depth = [line for line in lines if line[:2] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible"]]
    queues = sorted(line[3].split("<<", 1)[1][:18] for line in depth)
    assert queues == ["FailedInvocationsQ", "RequestDeadLetters"], queues


@pytest.mark.parametrize("endpoint_type", TYPES)
def test_one_lambda_errors_alarm_per_function(
    stack: Template, template: dict[str, Any], endpoint_type: str
) -> None:
    function = functions(template)[endpoint_type]
    alarms = stack.find_resources(
        "AWS::CloudWatch::Alarm",
        {
            "Properties": {
                "Metrics": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "MetricStat": Match.object_like(
                                    {
                                        "Metric": {
                                            "Namespace": "AWS/Lambda",
                                            "MetricName": "Errors",
                                            "Dimensions": [
                                                {"Name": "FunctionName", "Value": {"Ref": function}}
                                            ],
                                        }
                                    }
                                )
                            }
                        )
                    ]
                )
            }
        },
    )
    assert len(alarms) == 1
    [alarm] = alarms.values()
    props = alarm["Properties"]
    # Errors the state machine handles by design (contract codes, "not ready yet") do not count.
    [expression] = [m for m in props["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True and expression["Expression"] == "errors - FILL(handled, 0)"
    [handled] = [m for m in props["Metrics"] if m["Id"] == "handled"]
    assert handled["MetricStat"]["Metric"] == {
        "Namespace": "MlEndpointController",
        "MetricName": "HandledErrors",
        "Dimensions": [
            {"Name": "EndpointType", "Value": endpoint_type},
            {"Name": "StackName", "Value": "MlEndpointController"},
            {"Name": "service", "Value": "ml-endpoint-controller"},
        ],
    }
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and props["Threshold"] == 1
    assert props["TreatMissingData"] == "notBreaching"
    Template.from_json({"Resources": {"Alarm": alarm}}).has_resource_properties(
        "AWS::CloudWatch::Alarm", {"AlarmActions": [ALARM_TOPIC]}
    )


def test_every_alarm_publishes_to_the_alarm_topic_only(stack: Template, template: dict[str, Any]) -> None:
    alarms = stack.find_resources("AWS::CloudWatch::Alarm")
    # per type: rollback failed, leftovers over a day, executions failed, timed out, aborted,
    # function errors; + dead letters, failed invocations
    assert len(alarms) == 6 * len(TYPES) + 2
    [topic] = [
        lid
        for lid, res in resources(template, "AWS::SNS::Topic").items()
        if lid.startswith("MonitoringAlarmTopic")
    ]
    for lid, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": topic}], lid
        assert props.get("AlarmDescription"), lid
        assert props.get("ActionsEnabled", True), lid


@pytest.mark.parametrize("endpoint_type", TYPES)
def test_leftovers_still_there_after_a_day_page_someone(stack: Template, endpoint_type: str) -> None:
    # the sweep counts them at every run (controller.steps.cleanup): any is one too many
    alarms = stack.find_resources(
        "AWS::CloudWatch::Alarm",
        {
            "Properties": {
                "Namespace": "MlEndpointController",
                "MetricName": "LeftoversOverADay",
                "Dimensions": Match.array_with([{"Name": "EndpointType", "Value": endpoint_type}]),
            }
        },
    )
    [alarm] = alarms.values()
    props = alarm["Properties"]
    assert props["Statistic"] == "Maximum" and props["Threshold"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["AlarmActions"][0]["Ref"].startswith("MonitoringAlarmTopic")


def emf_in_alarms(template: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Every EMF metric an alarm reads (alone or in metric math): alarm id, its dimensions."""
    found = []
    for lid, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        metrics = [props] + [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        for metric in metrics:
            if metric.get("Namespace") == "MlEndpointController":
                found.append((lid, {d["Name"]: d["Value"] for d in metric["Dimensions"]}))
    return found


@pytest.mark.parametrize("which", ["default", "custom"])
def test_alarms_and_graphs_read_only_their_own_stacks_metrics(
    template: dict[str, Any], custom_template: dict[str, Any], which: str
) -> None:
    """Two stacks in one account share the namespace and the service dimension: every EMF metric an
    alarm (its metric math included) or a graph reads names its own stack (StackName), so staging's
    RollbackFailed pages no one for prod, and staging's refusals do not hide prod's failures."""
    synthesized, stack_name = (
        (template, "MlEndpointController") if which == "default" else (custom_template, CUSTOM["stackName"])
    )
    read = emf_in_alarms(synthesized)
    # per type: rollback failed, leftovers, executions failed (minus each refusal), function errors
    # (minus HandledErrors)
    assert len({lid for lid, _ in read}) == 4 * len(TYPES)
    assert len(read) == len(TYPES) * (3 + len(REFUSALS))
    for lid, dimensions in read:
        assert dimensions == {
            "service": "ml-endpoint-controller",
            "EndpointType": dimensions["EndpointType"],
            "StackName": stack_name,
        }, lid
    lines = [line for line in graphed(dashboard_widgets(synthesized)) if line[0] == "MlEndpointController"]
    assert lines
    for line in lines:
        pairs = dict(zip(line[2:-1:2], line[3:-1:2], strict=False)) if isinstance(line[-1], dict) else {}
        assert pairs.get("StackName") == stack_name, line


def test_the_dashboard_name_is_an_output(stack: Template) -> None:
    stack.has_output("DashboardName", {"Value": {"Ref": Match.string_like_regexp("^MonitoringDashboard")}})


def test_the_dashboard_knows_every_error_code_the_functions_count() -> None:
    # infra/ never imports functions/: the two lists are kept apart and compared here.
    assert tuple(ERROR_CODES) == tuple(CONTRACT_CODES)
