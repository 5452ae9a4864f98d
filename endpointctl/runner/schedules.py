"""Schedule expressions of ``AWS::Events::Rule`` (``ScheduleExpression``), read as EventBridge
reads them, and the moments they fire.

- **Rate** (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html):
  ``rate(value unit)``, value "A positive number", unit ``minute | minutes | hour | hours | day |
  days``; "If the value is equal to 1, then the unit must be singular. If the value is greater than
  1, the unit must be plural." "A rate expression starts when you create the scheduled event rule,
  and then it runs on a defined schedule": its first run comes within one period of the rule's
  creation. The runner fires it one whole period after the world starts (the stack was created),
  then every period: the latest first run AWS allows, so nothing may count on an early one.
- **Cron** (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html):
  six fields (minutes, hours, day-of-month, month, day-of-week ``1-7`` or ``SUN-SAT``, year), in
  UTC; ``, - * /`` everywhere and ``?`` in the day fields; "You can't specify the Day-of-month and
  Day-of-week fields in the same cron expression. If you specify a value or a * (asterisk) in one
  of the fields, you must use a ? (question mark) in the other." The runner refuses the ``L``,
  ``W`` and ``#`` wildcards (it does not simulate them) rather than guess.
- Both: "the minimum precision for a schedule is one minute. Your scheduled rule runs within that
  minute, but not on the precise 0th second"
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html); a cron
  schedule fires here at the minute's start.
- "You can only create scheduled rules using the default event bus" (same page): a schedule on a
  custom bus is refused, as ``PutRule`` refuses it.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
#: Day-field tokens with the L or W wildcard (``L``, ``5L``, ``LW``, ``15W``).
_SPECIAL = re.compile(r"\d*L|LW|\d+W", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: n for n, name in enumerate(calendar.month_abbr) if name}  # JAN → 1 (upper-cased)
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
#: Field name, lowest and highest value, names.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, {k.upper(): v for k, v in _MONTHS.items()}),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)
#: How far ahead a cron schedule is searched for its next moment.
_HORIZON_DAYS = 366 * 5


class ScheduleError(ValueError):
    """A schedule expression EventBridge refuses, or one the runner does not simulate."""


@dataclass(frozen=True)
class Rate:
    """``rate(value unit)``: every ``seconds``, from the rule's creation."""

    seconds: int

    def after(self, created: float, moment: float) -> float:
        """The first firing strictly after ``moment`` (the schedule started at ``created``)."""
        periods = int((moment - created) // self.seconds) + 1
        return created + periods * self.seconds


@dataclass(frozen=True)
class Cron:
    """``cron(...)``: the sets of minutes, hours, days of the month (or of the week), months and
    years it fires in (``None``: that day field is ``?``)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None
    years: frozenset[int]

    def _day(self, year: int, month: int, day: int) -> bool:
        if year not in self.years or month not in self.months:
            return False
        if self.days_of_month is not None:
            return day in self.days_of_month
        assert self.days_of_week is not None
        weekday = (calendar.weekday(year, month, day) + 1) % 7 + 1  # Monday=0 → MON=2
        return weekday in self.days_of_week

    def after(self, created: float, moment: float) -> float:
        """The first firing strictly after ``moment`` (UTC); ``ScheduleError`` if none comes."""
        start = int(moment // 60 + 1) * 60  # the next whole minute
        day_start = start - start % 86400
        for offset in range(_HORIZON_DAYS):
            midnight = day_start + offset * 86400
            year, month, day = time.gmtime(midnight)[:3]
            if not self._day(year, month, day):
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    at = midnight + hour * 3600 + minute * 60
                    if at >= start:
                        return float(at)
        raise ScheduleError("the cron expression never fires in the next five years")


Schedule = Rate | Cron


def parse(expression: str) -> Schedule:
    """``expression`` read as EventBridge reads it; ``ScheduleError`` says why it cannot be."""
    text = expression.strip() if isinstance(expression, str) else ""
    if text.startswith("rate("):
        return _rate(text)
    if text.startswith("cron("):
        return _cron(text)
    raise ScheduleError(f"{expression!r} is neither rate(value unit) nor cron(fields)")


def _rate(text: str) -> Rate:
    found = _RATE.fullmatch(text)
    if found is None:
        raise ScheduleError(
            f"{text!r}: a rate expression is rate(value unit), value a positive whole number and unit "
            "minute | minutes | hour | hours | day | days"
        )
    value, unit = int(found.group(1)), found.group(2)
    if value < 1:
        raise ScheduleError(f"{text!r}: the value must be a positive number")
    if (value == 1) != (not unit.endswith("s")):
        raise ScheduleError(
            f"{text!r}: if the value is 1 the unit must be singular, if greater than 1 it must be plural"
        )
    return Rate(seconds=value * _UNIT_SECONDS[unit.rstrip("s")])


def _cron(text: str) -> Cron:
    found = _CRON.fullmatch(text)
    fields = found.group(1).split() if found else []
    if len(fields) != 6:
        raise ScheduleError(f"{text!r}: a cron expression has six fields separated by white space")
    for field in fields:
        if "#" in field or any(_SPECIAL.fullmatch(token) for token in re.split(r"[,/-]", field)):
            raise ScheduleError(
                f"{text!r}: the runner does not simulate the L, W and # wildcards; use , - * / and ?"
            )
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"{text!r}: one of day-of-month and day-of-week must be ? (the other a value or *)"
        )
    values = [
        None if field == "?" else _values(field, name, low, high, names, text)
        for field, (name, low, high, names) in zip(fields, _FIELDS, strict=True)
    ]
    for (name, *_), field, found_values in zip(_FIELDS, fields, values, strict=True):
        if field == "?" and name not in ("day-of-month", "day-of-week"):
            raise ScheduleError(f"{text!r}: ? is allowed only in day-of-month and day-of-week")
        if found_values is not None and not found_values:
            raise ScheduleError(f"{text!r}: the {name} field matches nothing")
    minutes, hours, days_of_month, months, days_of_week, years = values
    assert minutes is not None and hours is not None and months is not None and years is not None
    return Cron(minutes, hours, days_of_month, months, days_of_week, years)


def _values(field: str, name: str, low: int, high: int, names: dict[str, int], text: str) -> frozenset[int]:
    def number(token: str) -> int:
        value = names.get(token.upper()) if token.isalpha() else int(token) if token.isdigit() else None
        if value is None or not low <= value <= high:
            raise ScheduleError(f"{text!r}: {token!r} is not a {name} value ({low}-{high})")
        return value

    found: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        if (step_text and not step_text.isdigit()) or step_text == "0":
            raise ScheduleError(f"{text!r}: {part!r} has no valid increment")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first, last = number(first_text), number(last_text)
        else:
            first = number(base)
            last = high if step_text else first
        span = range(first, last + 1) if first <= last else [*range(first, high + 1), *range(low, last + 1)]
        found.update(list(span)[::step])
    return frozenset(found)


def first_firing(schedule: Schedule, created: float) -> float:
    """When a schedule created at ``created`` fires first."""
    return schedule.after(created, created)
