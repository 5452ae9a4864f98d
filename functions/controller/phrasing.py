"""How a refusal is worded: in the project's own words, one message per field.

Every ``InvalidRequest`` message is built from :class:`FieldError` items (defined here);
this module gives them one voice, whichever check found the problem (pydantic for the common
fields, botocore's service model for ``params``, the providers' own rules):

- what is wrong, then the value given: ``must be an integer (got 'abc')``, ``must be one of
  create, update, delete (got 'destroy')``; never pydantic's ``Input should be ...``;
- an unknown member names the closest known one: ``is not a field of the request; did you mean
  timeoutSeconds?``;
- one message per field (:func:`merge`): two checks that both find ``params`` is not an object
  say so once.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One broken field: a dotted path (``params.Tags[0].Key``) and what is wrong with it."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


#: The longest excerpt of a given string shown in a message.
SHOWN_CHARACTERS = 40


def given(value: Any, *, echo: bool = False) -> str:
    """A given value as a message shows it: ``5``, ``true``, ``null``, ``an array``, ``a string``;
    the string itself (``'abc'``) only with ``echo``: for a choice among names (an enum), whose
    given value is a name too. Any other string may be a secret (a tag value, a key id), and a
    refusal's message is logged, kept in the execution's history and published."""
    if isinstance(value, str) and not echo:
        return "a string"
    if isinstance(value, str):
        text = value if len(value) <= SHOWN_CHARACTERS else value[: SHOWN_CHARACTERS - 1] + "…"
        return repr(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**18 else "a very large number"
    if isinstance(value, float):
        return json.dumps(value) if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def suggestion(name: str, known: Iterable[str]) -> str:
    """``; did you mean X?`` for the known name closest to ``name``, or nothing."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _expected(text: str) -> list[str]:
    """pydantic's ``'create', 'update' or 'delete'`` → ``['create', 'update', 'delete']``."""
    return re.findall(r"'([^']*)'", text) or [text]


#: pydantic error types → what is wrong, in the project's words (the given value is added after).
_KINDS = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "datetime_type": "must be a date and time such as 2026-11-22T12:00:00Z",
    "datetime_parsing": "must be a date and time such as 2026-11-22T12:00:00Z",
    "datetime_from_date_parsing": "must be a date and time such as 2026-11-22T12:00:00Z",
}

_BOUNDS = {
    "greater_than": ("gt", "must be greater than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


def pydantic_problem(error: Any, known: Iterable[str] = ()) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in the project's words;
    ``known``: the members of the object it is in (for an unknown member's suggestion)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        loc = tuple(error.get("loc") or ("",))
        where = f"of {loc[-2]}" if len(loc) > 1 and isinstance(loc[-2], str) else "of the request"
        return f"is not a field {where}" + suggestion(str(loc[-1]), known)
    if kind in ("literal_error", "enum"):
        return f"must be one of {', '.join(_expected(str(ctx.get('expected', ''))))} (got {given(value, echo=True)})"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # a bound of seconds: 0, not 0.0
        return f"{words} {bound} (got {given(value)})"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} characters (has {len(str(value))})"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters (has {len(str(value))})"
    if kind in _KINDS:
        return f"{_KINDS[kind]} (got {given(value)})"
    text = str(error.get("msg", "is not valid"))
    text = re.sub(r"^(Input|Value|String) should( be)?", lambda m: "must" + (" be" if m[2] else ""), text)
    return f"{text[:1].lower()}{text[1:]} (got {given(value)})"


_WRONG_TYPE = re.compile(r"^must be (a|an|one of|true or false)\b")


def merge(errors: Iterable[FieldError]) -> list[FieldError]:
    """One message per field, in the order the fields were first named.

    Two checks may find the same field broken (the common fields' model and the type's provider
    both see that ``params`` is not an object): a field whose value has the wrong type is said to be
    so once, preferring ``must be one of ...`` (it names the choices); its other problems are moot.
    Distinct problems of one field (too long, and not matching the pattern) are joined with ``and``.
    """
    found: dict[str, list[str]] = {}
    for error in errors:
        problems = found.setdefault(error.field, [])
        if error.problem not in problems:
            problems.append(error.problem)
    merged = []
    for field, problems in found.items():
        wrong = [p for p in problems if _WRONG_TYPE.match(p)]
        if wrong:
            problems = [next((p for p in wrong if p.startswith("must be one of")), wrong[0])]
        merged.append(FieldError(field, ", and ".join(problems)))
    return merged
