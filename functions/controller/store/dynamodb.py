"""The requests table in DynamoDB (deployed, and in the local runner against moto).

Every write that decides something is conditional (``ConditionExpression``), so exactly one of
two racing writers wins: a claim is a ``PutItem`` with ``attribute_not_exists`` (or already the
writer's own), a token is taken with a conditional ``DeleteItem``. Items with ``expiresAt`` expire
by DynamoDB TTL. Values are written in DynamoDB's own types (``S``, ``N``, ``BOOL``, ``NULL``,
``L``, ``M``; string sets ``SS`` for the pending sets), so lists can grow with ``list_append``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from controller import aws
from controller.store.base import Item

_CONFLICT = "ConditionalCheckFailedException"
_KEY = "requestId"


def encode(value: Any) -> dict[str, Any]:
    """A JSON-like value as a DynamoDB attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float):
        return {"N": repr(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, list | tuple):
        return {"L": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def decode(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as a JSON-like value (a string set as a sorted list)."""
    ((kind, inner),) = value.items()
    if kind == "S" or kind == "BOOL":
        return inner
    if kind == "N":
        number = float(inner)
        return (
            int(number) if number.is_integer() and "." not in inner and "e" not in inner.lower() else number
        )
    if kind == "NULL":
        return None
    if kind == "L":
        return [decode(v) for v in inner]
    if kind == "M":
        return {k: decode(v) for k, v in inner.items()}
    if kind == "SS":
        return sorted(inner)
    raise TypeError(f"unexpected DynamoDB type {kind}")


class _Expression:
    """Names and values of one request's expressions (``#n0``, ``:v0``, ...)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        return self.typed(encode(value))

    def typed(self, attribute_value: dict[str, Any]) -> str:
        """A value already in DynamoDB's form (a string set: ``{"SS": [...]}``)."""
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = attribute_value
        return placeholder

    def equal(self, wanted: Item) -> str:
        return " AND ".join(f"{self.name(k)} = {self.value(v)}" for k, v in wanted.items())

    def request(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.names:
            found["ExpressionAttributeNames"] = self.names
        if self.values:
            found["ExpressionAttributeValues"] = self.values
        return found


class DynamoDBStore:
    """:class:`~controller.store.base.ItemStore` on one DynamoDB table."""

    def __init__(self, table: str) -> None:
        self.table = table

    def _call(self, operation: str, **request: Any) -> bool:
        try:
            getattr(aws.client("dynamodb"), operation)(TableName=self.table, **request)
        except ClientError as exc:
            if aws.error_code(exc) == _CONFLICT:
                return False
            raise
        return True

    def get(self, key: str) -> Item | None:
        item = (
            aws.client("dynamodb")
            .get_item(TableName=self.table, Key={_KEY: {"S": key}}, ConsistentRead=True)
            .get("Item")
        )
        if not item:
            return None
        return {name: decode(value) for name, value in item.items() if name != _KEY}

    def put(
        self,
        key: str,
        item: Item,
        *,
        if_absent_or: Item | None = None,
        if_match: Item | None = None,
        expires_at: int | None = None,
    ) -> bool:
        expression = _Expression()
        conditions = []
        if if_absent_or is not None:
            absent = f"attribute_not_exists({expression.name(_KEY)})"
            conditions.append(f"({absent} OR ({expression.equal(if_absent_or)}))" if if_absent_or else absent)
        if if_match:
            conditions.append(f"attribute_exists({expression.name(_KEY)}) AND {expression.equal(if_match)}")
        if _KEY in item:
            raise ValueError(f"{_KEY} is the table's key, not an attribute of an item")
        body = {name: encode(value) for name, value in item.items()}
        if expires_at is not None:
            body["expiresAt"] = encode(int(expires_at))
        request: dict[str, Any] = {"Item": {_KEY: {"S": key}, **body}, **expression.request()}
        if conditions:
            request["ConditionExpression"] = " AND ".join(conditions)
        return self._call("put_item", **request)

    def update(
        self,
        key: str,
        *,
        values: Item | None = None,
        append: dict[str, list[Any]] | None = None,
        remove: tuple[str, ...] = (),
        if_match: Item | None = None,
    ) -> bool:
        expression = _Expression()
        sets = [f"{expression.name(k)} = {expression.value(v)}" for k, v in (values or {}).items()]
        for name, more in (append or {}).items():
            attribute = expression.name(name)
            empty, extra = expression.value([]), expression.value(list(more))
            sets.append(f"{attribute} = list_append(if_not_exists({attribute}, {empty}), {extra})")
        clauses = []
        if sets:
            clauses.append("SET " + ", ".join(sets))
        if remove:
            clauses.append("REMOVE " + ", ".join(expression.name(r) for r in remove))
        if not clauses:
            return True
        request: dict[str, Any] = {"Key": {_KEY: {"S": key}}, "UpdateExpression": " ".join(clauses)}
        if if_match:
            request["ConditionExpression"] = (
                f"attribute_exists({expression.name(_KEY)}) AND {expression.equal(if_match)}"
            )
        return self._call("update_item", **request, **expression.request())

    def delete(self, key: str, *, if_match: Item | None = None) -> bool:
        expression = _Expression()
        request: dict[str, Any] = {"Key": {_KEY: {"S": key}}}
        if if_match:
            request["ConditionExpression"] = (
                f"attribute_exists({expression.name(_KEY)}) AND {expression.equal(if_match)}"
            )
        return self._call("delete_item", **request, **expression.request())

    def _set(self, key: str, attribute: str, values: set[str], verb: str) -> None:
        if not values:
            return
        expression = _Expression()
        clause = f"{verb} {expression.name(attribute)} {expression.typed({'SS': sorted(values)})}"
        self._call("update_item", Key={_KEY: {"S": key}}, UpdateExpression=clause, **expression.request())

    def add_to_set(self, key: str, attribute: str, values: set[str]) -> None:
        self._set(key, attribute, values, "ADD")

    def remove_from_set(self, key: str, attribute: str, values: set[str]) -> None:
        self._set(key, attribute, values, "DELETE")
