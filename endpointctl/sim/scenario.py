"""Reading a scenario (docs/local-runner.md): typed models, checked at every depth.

A scenario file is an object whose keys are endpoint types (each simulator's own model, a
subclass of :class:`ServiceScenario`) and the runner's own keys (``abortAtSeconds``). A value of
the wrong type or a key that is not a scenario key, at any depth, is a :class:`ScenarioError`
naming its path (``sagemaker.faults[0].count: must be a whole number``): ``"false"`` is not
false, and ``"abc"`` is not a list of endpoints. An unknown key names the key it resembles
(``sagemaker.createSecond: is not a scenario key; did you mean createSeconds?``).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controller.request import peek

#: Virtual seconds, 0 or more.
Seconds = Annotated[float, Field(ge=0)]


class ScenarioError(ValueError):
    """The scenario file is not usable."""


class ScenarioModel(BaseModel):
    """A part of a scenario: strict types, no keys but its own."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FaultSpec(ScenarioModel):
    """``faults`` item: the next ``count`` calls of ``operation`` fail with ``error``.

    ``applied``: the call takes effect in the service first, then its answer is the error (a lost
    response). ``error: "ReadTimeout"`` is the SDK's read timeout rather than a service error code.
    ``every``: only every ``every``-th call fails (the ones between pass), for intermittent errors.
    """

    operation: str
    error: str
    count: int = Field(default=1, ge=0)
    message: str | None = None
    httpStatus: int | None = Field(default=None, ge=400, le=599)
    applied: bool = False
    #: Only every ``every``-th call of ``operation`` fails (intermittent errors), ``count`` times.
    every: int = Field(default=1, ge=1)


class ServiceScenario(ScenarioModel):
    """The keys every simulated service reads (subclasses set the defaults and the outcomes)."""

    createSeconds: Seconds = 0
    deleteSeconds: Seconds = 0
    deleteOutcome: str = "Deleted"
    failureReason: str | None = None
    missingPrerequisites: bool = False
    faults: list[FaultSpec] = []


def read(model: type[ScenarioModel], value: Any, where: str) -> Any:
    """``value`` as ``model``; a :class:`ScenarioError` naming every broken path under ``where``."""
    if value is None:
        value = {}
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        found: dict[str, list[tuple[str, Any]]] = {}
        errors = [(_path(where, error["loc"], model), error) for error in exc.errors()]
        for path, error in errors:
            if str(error["type"]).endswith("_type") and any(
                other.startswith((f"{path}.", f"{path}[")) for other, _ in errors
            ):
                continue  # a union's branch of another type: the value is of a type that failed deeper
            problem, given = _problem(error)
            if error["type"] == "extra_forbidden":
                problem += _suggestion(str(error["loc"][-1]), _keys_at(model, tuple(error["loc"][:-1])))
            found.setdefault(path, []).append((problem, given))
        raise ScenarioError("; ".join(_merged(path, problems) for path, problems in found.items())) from None


def unknown_keys(scenario: dict[str, Any], known: Iterable[str]) -> None:
    """A :class:`ScenarioError` for top-level keys that are not ``known`` (endpoint types and the
    runner's own keys), each with the key it resembles."""
    known = list(known)
    unknown = [key for key in scenario if key not in known]
    if unknown:
        named = ", ".join(f"{key}{_suggestion(key, known, ' (did you mean {}?)')}" for key in sorted(unknown))
        raise ScenarioError(f"unknown scenario keys: {named} (known: {', '.join(known)})")


def _suggestion(key: str, known: Iterable[str], form: str = "; did you mean {}?") -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return form.format(close[0]) if close else ""


def _keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys of the scenario object at ``loc`` under ``model``: the fields of the model found by
    following the path (list items, map values and optional values included)."""
    return list(getattr(_model_in(_walk(model, loc)[1]), "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds (``Model``, ``list[Model]``, ``Model | None``, ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in typing.get_args(annotation):
        found = _model_in(inner)
        if found is not None:
            return found
    return None


def _alternatives(annotation: Any) -> list[Any]:
    """What a value of ``annotation`` may be: through ``Annotated`` and unions (``X | None``)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [alt for arg in typing.get_args(annotation) for alt in _alternatives(arg)]
    return [annotation]


def _inside(annotation: Any, part: int | str) -> tuple[bool, Any]:
    """One step of a path into ``annotation``: whether ``part`` names something (a field, a map's
    key, a list's index) rather than a union's branch, and the annotation it leads to."""
    alternatives = _alternatives(annotation)
    for alt in alternatives:
        if getattr(alt, "__name__", None) == part and len(alternatives) > 1:
            return False, alt  # a union's branch: pydantic names it by its type (``str``, a model)
    for alt in alternatives:
        origin, args = typing.get_origin(alt), typing.get_args(alt)
        if isinstance(part, int) and origin in (list, tuple):
            return True, args[0] if args else None
        if isinstance(part, str) and origin is dict:
            return True, args[1] if len(args) == 2 else None
        fields = getattr(alt, "model_fields", None) if isinstance(alt, type) else None
        if isinstance(part, str) and fields is not None:
            return True, fields[part].annotation if part in fields else None  # else: an unknown key
    if isinstance(part, int):
        return True, None
    # A path the model does not know: a name that looks like a key is shown.
    return str(part) != "str" and not str(part)[:1].isupper(), None


def _walk(model: Any, loc: tuple[Any, ...]) -> tuple[list[int | str], Any]:
    """The parts of pydantic's ``loc`` that name something, and the annotation found at its end.
    A map's keys are named whatever their case (``rateLimits.DescribeEndpoint``); pydantic's
    ``[key]`` (the key itself is wrong) and a union's branches are not."""
    shown: list[int | str] = []
    current = model
    for part in loc:
        if part == "[key]":
            continue
        named, current = _inside(current, part)
        if named:
            shown.append(part)
    return shown, current


def seconds(value: Any, where: str) -> float | None:
    """An optional number of virtual seconds (a top-level key such as ``abortAtSeconds``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{where}: must be a number of seconds >= 0 (got {value!r})")
    return float(value)


def _path(where: str, loc: tuple[int | str, ...], model: Any = None) -> str:
    path = where
    for part in _walk(model, loc)[0]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _merged(path: str, problems: list[tuple[str, Any]]) -> str:
    """One line per path: a union's branches read ``must be a string or an object (got 5)``."""
    texts = list(dict.fromkeys(text for text, _ in problems))
    given = problems[0][1]
    if len(texts) > 1:
        texts = [" or ".join([texts[0], *(t.removeprefix("must be ") for t in texts[1:])])]
    return f"{path}: {texts[0]}" + ("" if given is _NOTHING else f" (got {given!r})")


_PROBLEMS = {
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "model_attributes_type": "must be an object",
    "extra_forbidden": "is not a scenario key",
    "missing": "is required",
}


_NOTHING = object()


def _problem(error: Any) -> tuple[str, Any]:
    """What is wrong, and the value given (``_NOTHING`` when showing it would not help)."""
    kind = str(error["type"])
    given = error.get("input")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "literal_error"):
        from controller.phrasing import pydantic_problem  # the request's wording: "must be at least 0"

        return pydantic_problem(error).rsplit(" (got ", 1)[0], given
    problem = _PROBLEMS.get(kind, str(error["msg"]))
    return problem, (_NOTHING if kind in ("extra_forbidden", "missing") else given)


def request_document(request: Any) -> dict[str, Any] | None:
    """The request inside a bare request or an EventBridge event (for seeding prerequisites), read
    as the controller reads it (``controller.request.peek``)."""
    document = peek(request)
    return document if isinstance(document, dict) else None
