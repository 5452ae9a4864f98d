"""The ``pattern`` of a service model's string shape, read as the service reads it.

AWS services check a pattern with Java's ``java.util.regex`` against the whole value (the
model's patterns are written for it: Smithy's ``@pattern`` trait). Python's ``re`` reads most of
them alike; where the two differ this module translates, so neither the controller's validation
nor the simulated services (``endpointctl.sim.validation``) is kinder or stricter than AWS:

- ``\\p{L}``-style Unicode categories, which ``re`` lacks: each becomes a private-use placeholder,
  and :func:`matches` maps the value's characters of that category to it;
- POSIX classes (``\\p{Alnum}``, ``\\p{Print}``, …), US-ASCII only in Java
  (https://docs.oracle.com/javase/8/docs/api/java/util/regex/Pattern.html, "POSIX character
  classes (US-ASCII only)");
- a surrogate pair written as two escapes (``\\uD800\\uDC00-\\uDBFF\\uDFFF``: every supplementary
  character), one code point in Java and an invalid range in ``re``;
- ``.``, which excludes line terminators in Java (``\\n``, ``\\r``, ``\\u0085``, ``\\u2028``,
  ``\\u2029``), and ``\\d``, ``\\w``, ``\\s``, ``\\b``, ASCII in Java (``re.ASCII`` here);
- a quantified ``$`` (``...)${1,128}``), which Java accepts and ``re`` refuses: an anchor repeated
  is the anchor.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

#: Java's POSIX classes (US-ASCII), as the body of a character class.
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
#: What Java's ``.`` does not match (without DOTALL).
_NOT_A_LINE_TERMINATOR = "[^\\n\\r\\u0085\\u2028\\u2029]"
_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_PROPERTY = re.compile(r"\\([pP])\{(\w+)\}")
_ANCHOR_REPEATED = re.compile(r"\$\{\d+(?:,\d*)?\}")
#: The first private-use character that stands for a Unicode category.
_PLACEHOLDER = 0xE000


def _code_point(match: re.Match[str]) -> str:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


@cache
def compile_pattern(pattern: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """``pattern`` for ``re``, and the Unicode categories its placeholders stand for."""
    source = _PAIR.sub(_code_point, pattern)
    categories: list[str] = []
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(source):
        char = source[index]
        prop = _PROPERTY.match(source, index)
        if prop is not None:
            negated, name = prop.group(1) == "P", prop.group(2)
            if name in _POSIX:
                body = _POSIX[name]
                out.append(body if in_class and not negated else f"[{'^' if negated else ''}{body}]")
            else:
                name = name.removeprefix("Is")
                if name not in categories:
                    categories.append(name)
                placeholder = chr(_PLACEHOLDER + categories.index(name))
                out.append(f"[^{placeholder}]" if negated and not in_class else placeholder)
            index = prop.end()
            continue
        if char == "\\":
            out.append(source[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == ".":
            out.append(_NOT_A_LINE_TERMINATOR)
            index += 1
            continue
        elif char == "$":
            repeated = _ANCHOR_REPEATED.match(source, index)
            if repeated is not None:
                out.append("$")
                index = repeated.end()
                continue
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII), tuple(categories)


def matches(pattern: str, value: str) -> bool:
    """Whether all of ``value`` matches the model's ``pattern``, as Java's ``Matcher.matches``."""
    compiled, categories = compile_pattern(pattern)
    if categories:
        placeholders = []
        for char in value:
            if _PLACEHOLDER <= ord(char) < _PLACEHOLDER + len(categories):
                placeholders.append("\uffff")  # a private-use character is never a placeholder
                continue
            category = unicodedata.category(char)
            for index, wanted in enumerate(categories):
                if category.startswith(wanted):
                    char = chr(_PLACEHOLDER + index)
                    break
            placeholders.append(char)
        value = "".join(placeholders)
    return compiled.fullmatch(value) is not None
