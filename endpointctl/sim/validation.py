"""The simulated services' own validation: each request is checked against the service's model
(botocore's, the one the SDK serializes with) before the simulated service acts on it, as the
service's front end checks it. One mechanism for every simulated service, moto's and the
emulators': a value botocore's model refuses is refused, and nothing it accepts is, so an
instance type works locally the day botocore knows it.

What is checked, recursively through structures, lists and maps: every required member, enum,
pattern (read as Java reads it: ``controller.patterns``), length (strings, blobs, lists, maps)
and numeric range of the operation's input shape. What a refusal looks like:

- a broken constraint: the service's validation error (``ValidationException`` unless the
  simulator says otherwise), HTTP 400, worded as AWS words it: ``1 validation error detected:
  Value 'ml.bogus.xlarge' at 'productionVariants.1.member.instanceType' failed to satisfy
  constraint: Member must satisfy enum value set: [ml.t2.medium, ...]``; several joined with
  ``; `` after ``N validation errors detected: ``. Paths name members as Java beans do
  (``endpointName``; ``MLModelId`` keeps its capitals), list items by 1-based index and ``member``;
- a value of the wrong JSON type (a string where the model has an integer): ``SerializationException``,
  HTTP 400, as Smithy's protocol tests for malformed requests require of every AWS JSON protocol
  (``smithy-aws-protocol-tests/model/restJson1/malformedRequests/``).

Members the model does not have are not judged (the model says nothing of them); rules a service
enforces beyond its model live with its simulator (:func:`guard`'s ``documented``), each citing
its document.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

from controller.patterns import matches
from endpointctl.sim.faults import Fault, json_error

if TYPE_CHECKING:
    from botocore.model import OperationModel, Shape

#: The error code of a broken constraint, unless a service answers with its own.
VALIDATION = "ValidationException"
#: The error code of a value of the wrong type.
SERIALIZATION = "SerializationException"


@dataclass(frozen=True)
class Refusal:
    """A simulated service's answer to a request its model refuses."""

    code: str
    message: str
    status: int = 400

    def fault(self, operation: str) -> Fault:
        """The refusal as an error answer of ``operation`` (what ``faults.json_error`` and the
        emulators' ``error`` answer with)."""
        return Fault(operation, self.code, message=self.message, status=self.status)


@cache
def operation_model(service: str, operation: str) -> OperationModel | None:
    """botocore's model of ``service``'s ``operation`` (``None``: botocore knows neither)."""
    from botocore.exceptions import DataNotFoundError, UnknownServiceError
    from botocore.model import OperationNotFoundError

    try:
        return service_model(service).operation_model(operation)
    except (UnknownServiceError, DataNotFoundError, OperationNotFoundError):
        return None


@cache
def service_model(service: str) -> Any:
    """``service``'s botocore model, once per process (a session and a model read per operation
    cost every simulated call's first check ~10 ms)."""
    from controller import aws

    return aws.service_model(service)  # from boto3's default session: no session of its own


def refusal(service: str, operation: str, params: Any, *, code: str = VALIDATION) -> Refusal | None:
    """How ``service`` answers ``operation`` called with ``params`` (members by their model names),
    if its model refuses them; ``None`` when it accepts them (or botocore has no such operation)."""
    model = operation_model(service, operation)
    if model is None or model.input_shape is None:
        return None
    check = _Check()
    check.value(model.input_shape, {} if params is None else params, "")
    if check.malformed:
        return Refusal(SERIALIZATION, check.malformed[0])
    if not check.problems:
        return None
    count = len(check.problems)
    detected = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return Refusal(code, detected + "; ".join(check.problems))


class _Check:
    """One walk of a value through its shape, collecting what breaks it."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.malformed: list[str] = []

    def value(self, shape: Shape, value: Any, path: str) -> None:
        kind, meta = shape.type_name, shape.metadata
        wrong = _wrong_type(kind, value)
        if wrong is not None:
            self.malformed.append(wrong)
            return
        if kind == "structure":
            if getattr(shape, "is_document_type", False):
                return
            for name in shape.required_members:  # type: ignore[attr-defined]
                if value.get(name) is None:
                    self.problems.append(
                        f"Value null at '{_join(path, name)}' {_FAILED}Member must not be null"
                    )
            for name, member in shape.members.items():  # type: ignore[attr-defined]
                if value.get(name) is not None:
                    self.value(member, value[name], _join(path, name))
        elif kind == "list":
            self._length(path, value, len(value), meta)
            for index, item in enumerate(value, start=1):
                if item is not None:
                    self.value(shape.member, item, f"{path}.{index}.member")  # type: ignore[attr-defined]
        elif kind == "map":
            self._length(path, value, len(value), meta)
            for side, shape_of, items in (
                ("keys", shape.key, list(value)),  # type: ignore[attr-defined]
                ("value", shape.value, [v for v in value.values() if v is not None]),  # type: ignore[attr-defined]
            ):
                inner = _Check()
                for item in items:
                    inner.value(shape_of, item, path)
                self.malformed.extend(inner.malformed)
                broken = list(dict.fromkeys(p.split(_FAILED, 1)[-1] for p in inner.problems))
                if broken:
                    map_side = "Map keys must" if side == "keys" else "Map value must"
                    self.problems.append(
                        f"Value at '{path}' {_FAILED}{map_side} satisfy constraint: [{', '.join(broken)}]"
                    )
        elif kind == "string":
            self._length(path, value, len(value), meta)
            enum = meta.get("enum")
            if enum and value not in enum:
                self._broken(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
            pattern = meta.get("pattern")
            if pattern and not matches(pattern, value):
                self._broken(path, value, f"Member must satisfy regular expression pattern: {pattern}")
        elif kind == "blob":
            self._length(path, value, len(_bytes(value)), meta)
        elif kind in _NUMBERS:
            low, high = meta.get("min"), meta.get("max")
            if low is not None and value < low:
                self._broken(path, value, f"Member must have value greater than or equal to {low}")
            if high is not None and value > high:
                self._broken(path, value, f"Member must have value less than or equal to {high}")

    def _length(self, path: str, value: Any, size: int, meta: dict[str, Any]) -> None:
        low, high = meta.get("min"), meta.get("max")
        if low is not None and size < low:
            self._broken(path, value, f"Member must have length greater than or equal to {low}")
        if high is not None and size > high:
            self._broken(path, value, f"Member must have length less than or equal to {high}")

    def _broken(self, path: str, value: Any, constraint: str) -> None:
        self.problems.append(f"Value '{_java(value)}' at '{path}' {_FAILED}{constraint}")


_FAILED = "failed to satisfy constraint: "
_NUMBERS = ("integer", "long", "float", "double", "byte", "short")
#: The JSON token each Python value arrives as, as Jackson names it in AWS's serialization errors.
_TOKENS = ((bool, "BOOLEAN_VALUE"), (str, "STRING_VALUE"), (int, "NUMBER_VALUE"), (float, "NUMBER_VALUE"))
_TARGETS = {
    "string": "a String",
    "integer": "an Integer",
    "long": "a Long",
    "float": "a Float",
    "double": "a Double",
    "byte": "a Byte",
    "short": "a Short",
    "boolean": "a Boolean",
    "blob": "a ByteBuffer",
    "timestamp": "a Date",
    "structure": "a Structure",
    "map": "a Map",
    "list": "a List",
}


def _wrong_type(kind: str, value: Any) -> str | None:
    """The serialization error of a value of the wrong JSON type for ``kind`` (else ``None``)."""
    container = {"structure": dict, "map": dict, "list": list}.get(kind)
    if container is not None and isinstance(value, container):
        return None
    if isinstance(value, dict):
        return "Start of structure or map found where not expected."
    if isinstance(value, list):
        return "Start of list found where not expected"
    number = isinstance(value, int | float) and not isinstance(value, bool)
    fits = container is None and {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "blob": isinstance(value, str) and _base64(value),
        "timestamp": isinstance(value, str) or number,
        "float": number,
        "double": number,
    }.get(kind, isinstance(value, int) and not isinstance(value, bool))
    if fits:
        return None
    token = next(name for kind_of, name in _TOKENS if isinstance(value, kind_of))
    return f"{token} can not be converted to {_TARGETS.get(kind, kind)}"


def _base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _bytes(value: str) -> bytes:
    return base64.b64decode(value)


def _join(path: str, member: str) -> str:
    """``path`` and a member's name as AWS's validation messages spell it: as a Java bean property
    (``java.beans.Introspector.decapitalize``: ``EndpointName`` → ``endpointName``, while a name
    that starts with two capitals stays as it is: ``MLModelId``)."""
    name = member if member[1:2].isupper() else member[:1].lower() + member[1:]
    return f"{path}.{name}" if path else name


def _java(value: Any) -> str:
    """A value as Java's ``toString`` shows it in AWS's validation messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java(item)}" for key, item in value.items()) + "}"
    return str(value)


# -- reading a request as the service receives it ------------------------------------------------
def request_params(
    service: str, operation: str, path: str, headers: dict[str, str], body: bytes | str
) -> Any:
    """The members of an HTTP request of ``operation``, by their model names, as sent: a JSON
    protocol's body; a REST protocol's URI labels, query string and headers (as typed in the model,
    a value that cannot be read staying text, for the check to find) and JSON body members."""
    model = operation_model(service, operation)
    text = body.decode() if isinstance(body, bytes) else body
    try:
        document = json.loads(text) if text else {}
    except ValueError:
        document = text  # not JSON: the check answers SerializationException, as AWS does
    if model is None or model.input_shape is None:
        return document
    shape = model.input_shape
    if model.metadata.get("protocol") != "rest-json":
        return _by_member_names(shape, document)
    parts = urlsplit(path)
    labels = _uri_labels(model.http.get("requestUri", "/"), parts.path)
    query = parse_qs(parts.query, keep_blank_values=True)
    lowered = {key.lower(): value for key, value in headers.items()}
    payload = shape.serialization.get("payload")
    params: dict[str, Any] = {}
    for name, member in shape.members.items():  # type: ignore[attr-defined]
        location, wire = member.serialization.get("location"), member.serialization.get("name", name)
        if location == "uri" and wire in labels:
            params[name] = _from_text(member, labels[wire])
        elif location == "querystring" and wire in query:
            values = query[wire]
            params[name] = (
                [_from_text(member.member, v) for v in values]
                if member.type_name == "list"
                else _from_text(member, values[0])
            )
        elif location == "header" and wire.lower() in lowered:
            params[name] = _from_text(member, lowered[wire.lower()])
        elif location is None and name == payload:
            params[name] = _by_member_names(member, document)
        elif location is None and payload is None and isinstance(document, dict) and wire in document:
            params[name] = _by_member_names(member, document[wire])
    return params


def _uri_labels(template: str, path: str) -> dict[str, str]:
    """The labels of ``template`` (``/ml/endpoints/{id}``) in ``path`` (unmatched: none)."""
    pattern = re.sub(
        r"\\\{(\w+)(\\\+)?\\\}",
        lambda m: f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)",
        re.escape(template.split("?", 1)[0]),
    )
    found = re.fullmatch(pattern, path)
    return {key: unquote(value) for key, value in found.groupdict().items()} if found else {}


def _from_text(shape: Shape, text: str) -> Any:
    """A URI label's, query value's or header's text, read as its shape's type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long", "byte", "short"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def _by_member_names(shape: Shape, value: Any) -> Any:
    """A JSON body value with its members under their model names (a member may be sent under
    another name, its ``jsonName``); values are left as sent."""
    if shape.type_name == "structure" and isinstance(value, dict):
        wire_names = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}  # type: ignore[attr-defined]
        return {
            wire_names[key][0]: _by_member_names(wire_names[key][1], item)
            for key, item in value.items()
            if key in wire_names
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_by_member_names(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _by_member_names(shape.value, item) for key, item in value.items()}  # type: ignore[attr-defined]
    return value


# -- moto's services ---------------------------------------------------------------------------
def guard(
    stack: ExitStack,
    response_class: Any,
    service: str,
    *,
    code: str = VALIDATION,
    documented: Callable[[str, Any], Refusal | None] | None = None,
) -> None:
    """Check every request a moto response class answers (its ``call_action``) against
    ``service``'s model first, then against the ``documented`` rules the model does not carry
    (``(operation, params)``; each citing its document): a refused one is answered with the
    service's error (AWS JSON) and never reaches moto's backend."""
    original = response_class.call_action

    def call_action(response: Any) -> Any:
        refused = refuse_moto_request(response, service, code=code)
        if refused is None and documented is not None:
            operation = response._get_action()
            refused = documented(operation, moto_request_params(response, service))
        if refused is not None:
            return json_error(refused.fault(response._get_action()))
        return original(response)

    stack.enter_context(mock.patch.object(response_class, "call_action", call_action))


def moto_request_params(response: Any, service: str) -> Any:
    """The members of the request a moto response object holds (:func:`request_params`)."""
    return request_params(
        service, response._get_action(), response.uri or "/", dict(response.headers), response.body or ""
    )


def refuse_moto_request(response: Any, service: str, *, code: str = VALIDATION) -> Refusal | None:
    """The refusal of the request a moto response object holds (``None``: it passes)."""
    return refusal(service, response._get_action(), moto_request_params(response, service), code=code)
