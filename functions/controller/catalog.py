"""The catalog: facts about the controller and its endpoint types that more than one tree needs.

They live once, in ``catalog.json`` beside this module (so they deploy with the asset): the
functions read them here, ``infra/`` reads the same file at synth time (it never imports this
package), and ``endpointctl`` uses this module. A type's *behaviour* is not here: it lives in its
provider (``controller.providers.<name>``), its infra module and its simulator.

A row can also be added at run time (:func:`register`), which is how a test defines a type of its
own without touching any production file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("catalog.json")


@dataclass(frozen=True)
class StateChanges:
    """The EventBridge events a service publishes when an endpoint's status changes: one source,
    and one or more detail-types (a service may announce a deployment's progress apart from the
    endpoint's status; the row's ``detailTypes``, or a single ``detailType``)."""

    source: str
    detail_types: tuple[str, ...]

    @classmethod
    def from_row(cls, changes: dict[str, Any]) -> StateChanges:
        given = changes.get("detailTypes", [changes.get("detailType")])
        kinds = tuple(str(kind) for kind in given if kind)
        if not kinds:
            raise ValueError(f"stateChanges of {changes.get('source')}: no detailTypes")
        return cls(str(changes["source"]), kinds)

    def matches(self, source: Any, detail_type: Any) -> bool:
        """An event of this source and detail-type is one of these."""
        return source == self.source and detail_type in self.detail_types


@dataclass(frozen=True)
class EndpointType:
    """One catalog row."""

    #: The ``endpointType`` of a request.
    name: str
    #: The prefix of its constructs and stack outputs (``<title>StateMachineArn``).
    title: str
    #: The ``params`` member that names the endpoint (docs/requests.md).
    identifier: str
    #: Set when the service announces status changes (a create then waits for them).
    state_changes: StateChanges | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EndpointType:
        changes = row.get("stateChanges")
        return cls(
            name=str(row["name"]),
            title=str(row["title"]),
            identifier=str(row["identifier"]),
            state_changes=StateChanges.from_row(changes) if changes else None,
        )


@dataclass(frozen=True)
class Controller:
    """The controller's own names: its events' source, tags, metrics, error codes."""

    source: str
    request_detail_type: str
    service_name: str
    metrics_namespace: str
    #: The metrics' dimension naming the stack (its value: the functions' stack variable).
    stack_dimension: str
    #: Tags on resources the controller creates: the request id, the stack that made it, and
    #: "managed by" (its name).
    owner_tag: str
    stack_tag: str
    managed_tag: str
    managed_value: str
    #: The functions' variable naming the requests table (set by the stack and the local runner).
    requests_table_variable: str
    #: The functions' variables naming the controller's bus and topic (a clean-up publishes there).
    bus_variable: str
    topic_variable: str
    #: The functions' variable naming their CloudFormation stack (``controller.deployment``).
    stack_variable: str
    #: The contract's error codes (the table of docs/requests.md#the-outcome holds the same set).
    error_codes: tuple[str, ...]
    #: Codes of a refused request: nothing was created, nothing is rolled back.
    refusal_codes: tuple[str, ...]


def _load() -> tuple[Controller, dict[str, EndpointType]]:
    data = json.loads(CATALOG_FILE.read_text())
    own = data["controller"]
    controller = Controller(
        source=own["source"],
        request_detail_type=own["requestDetailType"],
        service_name=own["serviceName"],
        metrics_namespace=own["metricsNamespace"],
        stack_dimension=own["stackDimension"],
        owner_tag=own["tags"]["owner"],
        stack_tag=own["tags"]["stack"],
        managed_tag=own["tags"]["managedBy"],
        managed_value=own["tags"]["managedByValue"],
        requests_table_variable=own["environment"]["requestsTable"],
        bus_variable=own["environment"]["bus"],
        topic_variable=own["environment"]["topic"],
        stack_variable=own["environment"]["stack"],
        error_codes=tuple(own["errorCodes"]),
        refusal_codes=tuple(own["refusalCodes"]),
    )
    rows = (EndpointType.from_row(row) for row in data["endpointTypes"])
    return controller, {row.name: row for row in rows}


CONTROLLER, _TYPES = _load()


def endpoint_types() -> dict[str, EndpointType]:
    """Every endpoint type by name, in catalog order (registered ones last)."""
    return dict(_TYPES)


def names() -> tuple[str, ...]:
    return tuple(_TYPES)


def get(name: str) -> EndpointType:
    """The row of ``name`` (``KeyError`` for an unknown type)."""
    return _TYPES[name]


def by_event(source: Any, detail_type: Any) -> EndpointType | None:
    """The endpoint type whose service publishes events of this source and detail-type."""
    for row in _TYPES.values():
        changes = row.state_changes
        if changes is not None and changes.matches(source, detail_type):
            return row
    return None


def register(row: dict[str, Any]) -> EndpointType:
    """Add a row (same shape as ``catalog.json``'s); a type's events must not be another's."""
    entry = EndpointType.from_row(row)
    if entry.name in _TYPES:
        raise ValueError(f"endpoint type {entry.name} is already in the catalog")
    changes = entry.state_changes
    if changes is not None:
        for kind in changes.detail_types:
            if by_event(changes.source, kind) is not None:
                raise ValueError(f"{kind} events already belong to another endpoint type")
    _TYPES[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a row added with :func:`register`."""
    _TYPES.pop(name, None)
