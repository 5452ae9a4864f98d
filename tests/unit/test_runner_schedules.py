"""Schedule expressions read as EventBridge reads them (endpointctl/runner/schedules.py): what it
accepts and refuses, and when each schedule fires."""

from __future__ import annotations

import calendar

import pytest

from endpointctl.runner import schedules
from endpointctl.runner.schedules import Cron, Rate, ScheduleError, first_firing, parse

#: 2024-01-01T00:00:00Z, a Monday.
MONDAY = float(calendar.timegm((2024, 1, 1, 0, 0, 0)))


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(2 days)", 172800)],
)
def test_rates(expression: str, seconds: int) -> None:
    assert parse(expression) == Rate(seconds)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(1.5 hours)",
        "rate(5 seconds)",
        "rate(5  minutes)",
        "every 5 minutes",
    ],
)
def test_rates_eventbridge_refuses(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse(expression)


def test_a_rate_fires_one_period_after_its_creation_then_every_period() -> None:
    rate = parse("rate(5 minutes)")
    assert first_firing(rate, 1000.0) == 1300.0
    assert rate.after(1000.0, 1300.0) == 1600.0
    assert rate.after(1000.0, 1299.0) == 1300.0


def firings(expression: str, start: float, count: int) -> list[float]:
    schedule, found, at = parse(expression), [], start
    for _ in range(count):
        at = schedule.after(start, at)
        found.append(at)
    return found


def test_cron_every_fifteen_minutes() -> None:
    assert firings("cron(0/15 * * * ? *)", MONDAY + 1, 4) == [MONDAY + s for s in (900, 1800, 2700, 3600)]


def test_cron_at_a_time_of_day() -> None:
    assert firings("cron(15 12 * * ? *)", MONDAY, 2) == [
        MONDAY + 12 * 3600 + 900,
        MONDAY + 86400 + 12 * 3600 + 900,
    ]


def test_cron_on_weekdays_only() -> None:
    # Monday to Friday at 18:00: the sixth firing is the next Monday.
    found = firings("cron(0 18 ? * MON-FRI *)", MONDAY, 6)
    assert [int((at - MONDAY) // 86400) for at in found] == [0, 1, 2, 3, 4, 7]


def test_cron_day_of_week_numbers_start_on_sunday() -> None:
    [at] = firings("cron(0 0 ? * 1 *)", MONDAY, 1)  # 1 is SUN
    assert (at - MONDAY) / 86400 == 6


def test_cron_hour_ranges_may_wrap_past_midnight() -> None:
    cron = parse("cron(0/30 20-2 ? * MON-FRI *)")
    assert isinstance(cron, Cron) and cron.hours == frozenset({20, 21, 22, 23, 0, 1, 2})


def test_cron_on_a_day_of_the_month_and_a_month() -> None:
    [at] = firings("cron(0 8 1 JUL ? *)", MONDAY, 1)
    assert at == calendar.timegm((2024, 7, 1, 8, 0, 0))


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("cron(0 10 * * * *)", "must be ?"),  # * in both day fields
        ("cron(0 10 ? * ? *)", "must be ?"),
        ("cron(0 10 * *)", "six fields"),
        ("cron(60 10 * * ? *)", "not a minutes value"),
        ("cron(0 10 L * ? *)", "does not simulate"),
        ("cron(0 10 ? * 6L *)", "does not simulate"),
        ("cron(0 10 ? * 3#2 *)", "does not simulate"),
        ("cron(0 10 15W * ? *)", "does not simulate"),
        ("cron(0/0 10 * * ? *)", "increment"),
        ("cron(? 10 * * ? *)", "only in day-of-month"),
    ],
)
def test_cron_expressions_refused(expression: str, why: str) -> None:
    with pytest.raises(ScheduleError, match=why):
        parse(expression)


def test_cron_names_with_the_letters_of_wildcards_are_names() -> None:
    assert isinstance(parse("cron(0 10 ? JUL WED *)"), Cron)


def test_schedules_module_names_its_sources() -> None:
    for url in (
        "eb-rate-expressions.html",
        "eb-cron-expressions.html",
        "eb-create-rule-schedule.html",
    ):
        assert url in (schedules.__doc__ or "")
