"""Validate request parameters against botocore's own service model.

The rules (required members, lengths, patterns, enums, ranges, list sizes, unknown fields) are
read from the same model the AWS SDK serializes with, so they are the API's rules rather than a
hand-copied subset; a pattern is read as the service reads it (``patterns.py``). Every violation
is collected; nothing stops at the first.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from controller.patterns import matches
from controller.phrasing import FieldError, given, suggestion

__all__ = ["FieldError", "check_operation", "check_shape", "operation"]

if TYPE_CHECKING:  # botocore's model machinery loads with the first check (the validate step)
    from botocore.model import OperationModel, ServiceModel, Shape


@cache
def _service_model(service: str) -> ServiceModel:
    """``service``'s botocore model, read once per process (SageMaker's is megabytes of JSON: a
    session and a read per operation cost a warm function that much again for each new one),
    and the one the clients are built on (``aws.service_model``)."""
    from controller import aws

    return aws.service_model(service)


@cache
def operation(service: str, name: str) -> OperationModel:
    """The botocore model of ``service``'s operation ``name`` (loaded once per process)."""
    return _service_model(service).operation_model(name)


def check_shape(value: Any, shape: Shape, path: str) -> list[FieldError]:
    """Every way ``value`` breaks ``shape``, as field errors under ``path``."""
    errors: list[FieldError] = []
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        from botocore.model import StructureShape

        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            return [FieldError(path, f"must be an object (got {given(value)})")]
        for name in shape.required_members:
            if name not in value or value[name] is None:
                errors.append(FieldError(f"{path}.{name}", "is required"))
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                errors.append(
                    FieldError(
                        f"{path}.{name}", f"is not a field of {shape.name}{suggestion(name, shape.members)}"
                    )
                )
            elif member_value is None:
                if name not in shape.required_members:  # a required one is reported above
                    errors.append(FieldError(f"{path}.{name}", "must not be null (leave it out instead)"))
            else:
                errors.extend(check_shape(member_value, member, f"{path}.{name}"))
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [FieldError(path, f"must be an array (got {given(value)})")]
        errors.extend(_size(path, len(value), meta, "items"))
        for index, item in enumerate(value):
            errors.extend(check_shape(item, shape.member, f"{path}[{index}]"))  # type: ignore[attr-defined]
        return errors
    if kind == "map":
        if not isinstance(value, dict):
            return [FieldError(path, f"must be an object (got {given(value)})")]
        errors.extend(_size(path, len(value), meta, "entries"))
        for key, item in value.items():
            errors.extend(check_shape(key, shape.key, f"{path}.{key}(key)"))  # type: ignore[attr-defined]
            errors.extend(check_shape(item, shape.value, f"{path}.{key}"))  # type: ignore[attr-defined]
        return errors
    if kind == "string":
        if not isinstance(value, str):
            return [FieldError(path, f"must be a string (got {given(value)})")]
        errors.extend(_size(path, len(value), meta, "characters"))
        enum = meta.get("enum")
        if enum and value not in enum:
            errors.append(
                FieldError(path, f"must be one of {', '.join(enum)} (got {given(value, echo=True)})")
            )
        pattern = meta.get("pattern")
        if pattern and not matches(pattern, value):
            errors.append(FieldError(path, f"must match the pattern {pattern}"))
        return errors
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [FieldError(path, f"must be an integer (got {given(value)})")]
        return _range(path, value, meta)
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [FieldError(path, f"must be a number (got {given(value)})")]
        return _range(path, value, meta)
    if kind == "boolean":
        if not isinstance(value, bool):
            return [FieldError(path, f"must be true or false (got {given(value)})")]
        return errors
    if kind == "timestamp" and not isinstance(value, str | int | float):
        return [FieldError(path, f"must be a timestamp (got {given(value)})")]
    if kind == "blob" and not isinstance(value, str):
        return [FieldError(path, f"must be a base64 string (got {given(value)})")]
    return errors


def _size(path: str, size: int, meta: dict[str, Any], unit: str) -> list[FieldError]:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and size < low:
        return [FieldError(path, f"must have at least {low} {unit} (has {size})")]
    if high is not None and size > high:
        return [FieldError(path, f"must have at most {high} {unit} (has {size})")]
    return []


def _range(path: str, value: float, meta: dict[str, Any]) -> list[FieldError]:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and value < low:
        return [FieldError(path, f"must be at least {low} (got {given(value)})")]
    if high is not None and value > high:
        return [FieldError(path, f"must be at most {high} (got {given(value)})")]
    return []


def check_operation(
    params: Any, service: str, name: str, path: str = "params", *, only: tuple[str, ...] = ()
) -> list[FieldError]:
    """Check ``params`` as the input of ``service``'s ``name`` operation.

    ``only`` restricts the check to those members (a delete takes just the identifier).
    """
    shape = operation(service, name).input_shape
    assert shape is not None
    if only:
        if not isinstance(params, dict):
            return [FieldError(path, f"must be an object (got {given(params)})")]
        errors = []
        for member in only:
            if params.get(member) is not None:
                errors.extend(check_shape(params[member], shape.members[member], f"{path}.{member}"))
        return errors
    return check_shape(params, shape, path)
