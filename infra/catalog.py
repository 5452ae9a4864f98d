"""The catalog of ``functions/controller/catalog.json``, as the CDK app reads it.

The facts the functions and the infrastructure both need (type names, titles, event sources, tag
keys, error codes) live once, in that file inside the asset. ``infra/`` never imports the
functions' code, so it reads the data file itself: plain rows, keyed as in the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: Found from this file, never from the working directory.
CATALOG_FILE = Path(__file__).resolve().parent.parent / "functions" / "controller" / "catalog.json"

_DATA: dict[str, Any] = json.loads(CATALOG_FILE.read_text())
#: ``source``, ``requestDetailType``, ``serviceName``, ``metricsNamespace``, ``tags``, ``errorCodes``…
CONTROLLER: dict[str, Any] = _DATA["controller"]
OWNER_TAG: str = CONTROLLER["tags"]["owner"]
#: The tag naming the stack that made (or adopted) a resource: its deletes and updates need it.
STACK_TAG: str = CONTROLLER["tags"]["stack"]
MANAGED_TAG: str = CONTROLLER["tags"]["managedBy"]
MANAGED_VALUE: str = CONTROLLER["tags"]["managedByValue"]
#: The functions' variable naming the requests table.
REQUESTS_TABLE_VARIABLE: str = CONTROLLER["environment"]["requestsTable"]
#: The functions' variables naming the controller's bus and its notification topic.
BUS_VARIABLE: str = CONTROLLER["environment"]["bus"]
TOPIC_VARIABLE: str = CONTROLLER["environment"]["topic"]
#: The functions' variable naming their stack, and the metrics' dimension that carries it.
STACK_VARIABLE: str = CONTROLLER["environment"]["stack"]
STACK_DIMENSION: str = CONTROLLER["stackDimension"]
_ROWS: dict[str, dict[str, Any]] = {row["name"]: row for row in _DATA["endpointTypes"]}


def context_key(endpoint_type: str, setting: str) -> str:
    """The CDK context key of a per-type setting: the type's name in camelCase, then the setting, as
    every key of this app is spelled (``sagemaker`` → ``sagemakerTimeoutSeconds``,
    ``foo-bar`` → ``fooBarTimeoutSeconds``). Light on purpose (no CDK):
    ``endpointctl`` reads and writes these keys too."""
    head, *rest = [part for part in re.split(r"[-_]+", endpoint_type) if part]
    return head + "".join(part[:1].upper() + part[1:] for part in rest) + setting


def rows() -> dict[str, dict[str, Any]]:
    """Endpoint type name → its row (``title``, ``identifier``, ``stateChanges``), in catalog order."""
    return dict(_ROWS)


def state_change_events(row: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """A row's ``stateChanges``: its source and detail-types (``detailTypes``, or one
    ``detailType``), as ``controller.catalog.StateChanges`` reads them; ``None`` without any."""
    changes = row.get("stateChanges")
    if not changes:
        return None
    given = changes.get("detailTypes", [changes.get("detailType")])
    kinds = tuple(str(kind) for kind in given if kind)
    if not kinds:
        raise ValueError(f"endpoint type {row['name']}: stateChanges without detailTypes")
    return str(changes["source"]), kinds


def register(row: dict[str, Any]) -> None:
    """Add a row at synth time (a test's own endpoint type); ``unregister`` removes it. As in the
    functions' reader, a type's state-change events must not be another type's."""
    if row["name"] in _ROWS:
        raise ValueError(f"endpoint type {row['name']} is already in the catalog")
    changes = state_change_events(row)
    if changes is not None:
        source, kinds = changes
        for other in _ROWS.values():
            theirs = state_change_events(other)
            taken = set(kinds) & set(theirs[1]) if theirs and theirs[0] == source else set()
            if taken:
                raise ValueError(f"{sorted(taken)[0]} events already belong to another endpoint type")
    _ROWS[row["name"]] = row


def unregister(name: str) -> None:
    _ROWS.pop(name, None)
