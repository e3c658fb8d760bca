"""Named periods, comparison ranges, local today and cache TTLs (DESIGN.md §3, seed 003)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.periods import (
    COMPARISON_TYPES,
    PERIOD_NAMES,
    DateRange,
    cache_ttl_seconds,
    comparison_range,
    local_today,
    resolve_period,
    shift_months,
)
from opslens.errors import InvalidInput

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = date(2025, 10, 14)


def d(text: str) -> date:
    return date.fromisoformat(text)


def rng(start: str, end: str) -> DateRange:
    return DateRange(d(start), d(end))


# --- DateRange ---------------------------------------------------------------------------------


def test_date_range_days_and_length():
    r = rng("2025-02-27", "2025-03-02")
    assert r.days == [d("2025-02-27"), d("2025-02-28"), d("2025-03-01"), d("2025-03-02")]
    assert len(r) == 4
    leap = rng("2024-02-27", "2024-03-01")
    assert len(leap) == 4 and d("2024-02-29") in leap.days


def test_single_day_range():
    r = rng("2025-10-14", "2025-10-14")
    assert len(r) == 1 and r.days == [TUESDAY]


def test_date_range_refuses_reversed_and_datetimes():
    with pytest.raises(InvalidInput, match="after its end"):
        rng("2025-10-15", "2025-10-14")
    with pytest.raises(InvalidInput, match="must be a date"):
        DateRange(datetime(2025, 10, 1), d("2025-10-14"))


# --- resolve_period ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", "2025-10-14", "2025-10-14"),
        ("yesterday", "2025-10-13", "2025-10-13"),
        ("this_week", "2025-10-13", "2025-10-14"),  # Monday to today
        ("last_week", "2025-10-06", "2025-10-12"),
        ("last_7_days", "2025-10-08", "2025-10-14"),  # seed 003: "Last 7 Days (Oct 8-14, 2025)"
        ("last_14_days", "2025-10-01", "2025-10-14"),
        ("last_30_days", "2025-09-15", "2025-10-14"),
        ("last_60_days", "2025-08-16", "2025-10-14"),
        ("last_90_days", "2025-07-17", "2025-10-14"),
        ("this_month", "2025-10-01", "2025-10-14"),
        ("last_month", "2025-09-01", "2025-09-30"),
        ("this_quarter", "2025-10-01", "2025-10-14"),
        ("this_year", "2025-01-01", "2025-10-14"),
    ],
)
def test_named_periods_on_tuesday_14_october_2025(name, start, end):
    assert resolve_period(name, TUESDAY) == rng(start, end)


def test_seed_days_analyzed_for_this_month():
    # seed 003: "This Month" (October) analyzes 19 days if today is Oct 19
    assert len(resolve_period("this_month", d("2025-10-19"))) == 19


def test_weeks_on_monday_and_sunday():
    assert resolve_period("this_week", d("2025-10-13")) == rng("2025-10-13", "2025-10-13")
    assert resolve_period("this_week", d("2025-10-19")) == rng("2025-10-13", "2025-10-19")
    assert resolve_period("last_week", d("2025-10-19")) == rng("2025-10-06", "2025-10-12")


def test_periods_across_the_new_year():
    new_year = d("2025-01-01")  # a Wednesday
    assert resolve_period("yesterday", new_year) == rng("2024-12-31", "2024-12-31")
    assert resolve_period("this_week", new_year) == rng("2024-12-30", "2025-01-01")
    assert resolve_period("last_week", new_year) == rng("2024-12-23", "2024-12-29")
    assert resolve_period("last_month", new_year) == rng("2024-12-01", "2024-12-31")
    assert resolve_period("this_quarter", new_year) == rng("2025-01-01", "2025-01-01")
    assert resolve_period("this_year", new_year) == rng("2025-01-01", "2025-01-01")


def test_leap_february():
    assert resolve_period("last_month", d("2024-03-01")) == rng("2024-02-01", "2024-02-29")
    assert resolve_period("last_month", d("2025-03-31")) == rng("2025-02-01", "2025-02-28")
    assert resolve_period("last_7_days", d("2024-03-03")) == rng("2024-02-26", "2024-03-03")


@pytest.mark.parametrize(
    ("today", "quarter_start"),
    [("2025-02-14", "2025-01-01"), ("2025-03-31", "2025-01-01"), ("2025-04-01", "2025-04-01"),
     ("2025-06-30", "2025-04-01"), ("2025-08-15", "2025-07-01"), ("2025-12-31", "2025-10-01")],
)  # fmt: skip
def test_this_quarter_starts_on_the_quarters_first_day(today, quarter_start):
    assert resolve_period("this_quarter", d(today)) == rng(quarter_start, today)


def test_custom_period():
    assert resolve_period("custom", TUESDAY, d("2025-09-01"), d("2025-09-30")) == rng(
        "2025-09-01", "2025-09-30"
    )
    # a custom range need not contain today, and may be one day
    assert resolve_period("custom", TUESDAY, d("2030-01-01"), d("2030-01-01")) == rng(
        "2030-01-01", "2030-01-01"
    )


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        (None, None, "needs date_from and date_to"),
        (d("2025-09-01"), None, "needs date_to"),
        (None, d("2025-09-30"), "needs date_from"),
        (d("2025-10-01"), d("2025-09-30"), r"date_from \(2025-10-01\) is after date_to"),
    ],
)
def test_custom_period_errors_name_the_field(date_from, date_to, message):
    with pytest.raises(InvalidInput, match=message):
        resolve_period("custom", TUESDAY, date_from, date_to)


def test_dates_are_refused_with_a_named_period():
    with pytest.raises(InvalidInput, match="only allowed with period 'custom'"):
        resolve_period("last_7_days", TUESDAY, date_from=d("2025-10-01"))
    with pytest.raises(InvalidInput, match="only allowed with period 'custom'"):
        resolve_period("today", TUESDAY, date_to=d("2025-10-01"))


def test_unknown_period_lists_the_allowed_names():
    with pytest.raises(InvalidInput, match="unknown period 'last_3_days'") as caught:
        resolve_period("last_3_days", TUESDAY)
    for name in PERIOD_NAMES:
        assert name in str(caught.value)


def test_today_must_be_a_date():
    with pytest.raises(InvalidInput, match="must be a date"):
        resolve_period("today", datetime(2025, 10, 14, 8))


# --- comparison_range --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "comparison_type", "expected"),
    [
        # seed 003 "Comparison Types"
        (("2025-10-01", "2025-10-14"), "previous_period", ("2025-09-17", "2025-09-30")),
        (("2025-10-08", "2025-10-14"), "previous_week", ("2025-10-01", "2025-10-07")),
        (("2025-10-01", "2025-10-14"), "previous_month", ("2025-09-01", "2025-09-14")),
        (("2025-10-01", "2025-12-31"), "previous_quarter", ("2025-07-01", "2025-09-30")),
        (("2025-10-01", "2025-10-14"), "previous_year", ("2024-10-01", "2024-10-14")),
        # month ends and leap years: a day that does not exist is clamped to the month's end
        (("2025-10-01", "2025-10-31"), "previous_month", ("2025-09-01", "2025-09-30")),
        (("2024-02-29", "2024-02-29"), "previous_year", ("2023-02-28", "2023-02-28")),
        (("2025-03-31", "2025-03-31"), "previous_month", ("2025-02-28", "2025-02-28")),
        (("2024-03-30", "2024-03-31"), "previous_month", ("2024-02-29", "2024-02-29")),
        (("2025-05-31", "2025-05-31"), "previous_quarter", ("2025-02-28", "2025-02-28")),
        (("2025-01-01", "2025-01-31"), "previous_month", ("2024-12-01", "2024-12-31")),
        (("2025-02-01", "2025-02-28"), "previous_year", ("2024-02-01", "2024-02-28")),
        (("2025-03-01", "2025-03-07"), "previous_period", ("2025-02-22", "2025-02-28")),
        (("2024-03-01", "2024-03-07"), "previous_period", ("2024-02-23", "2024-02-29")),
        (("2025-01-01", "2025-01-01"), "previous_period", ("2024-12-31", "2024-12-31")),
    ],
)
def test_comparison_range(current, comparison_type, expected):
    assert comparison_range(rng(*current), comparison_type) == rng(*expected)


def test_unknown_comparison_type_lists_the_allowed_ones():
    with pytest.raises(InvalidInput, match="unknown comparison type 'previous_decade'") as caught:
        comparison_range(rng("2025-10-01", "2025-10-14"), "previous_decade")
    for name in COMPARISON_TYPES:
        assert name in str(caught.value)


def test_shift_months():
    assert shift_months(d("2025-01-31"), 1) == d("2025-02-28")
    assert shift_months(d("2024-01-31"), 1) == d("2024-02-29")
    assert shift_months(d("2025-12-15"), 1) == d("2026-01-15")
    assert shift_months(d("2025-01-15"), -13) == d("2023-12-15")
    assert shift_months(d("2025-07-31"), 0) == d("2025-07-31")


# --- local_today and cache TTL -----------------------------------------------------------------


def test_local_today():
    late_evening_ny = datetime(2025, 10, 15, 2, 30, tzinfo=UTC)  # 22:30 EDT on the 14th
    assert local_today(late_evening_ny, NY) == d("2025-10-14")
    assert local_today(late_evening_ny, BERLIN) == d("2025-10-15")
    assert local_today(datetime(2025, 10, 14, 0, 0, tzinfo=NY), NY) == d("2025-10-14")  # midnight
    assert local_today(datetime(2025, 10, 13, 23, 59, 59, tzinfo=NY), NY) == d("2025-10-13")


def test_local_today_refuses_a_naive_as_of():
    with pytest.raises(InvalidInput, match="timezone-aware"):
        local_today(datetime(2025, 10, 14, 8), NY)


@pytest.mark.parametrize(
    ("name", "ttl"),
    [("today", 300), ("yesterday", 3600), ("last_week", 3600), ("last_month", 7200),
     ("custom", 1800), ("this_week", 300), ("last_7_days", 300), ("last_90_days", 300),
     ("this_month", 300), ("this_quarter", 300), ("this_year", 300)],
)  # fmt: skip
def test_cache_ttl_seconds(name, ttl):
    assert cache_ttl_seconds(name) == ttl


def test_every_period_has_a_ttl_and_unknown_names_are_refused():
    assert {cache_ttl_seconds(name) for name in PERIOD_NAMES} == {300, 1800, 3600, 7200}
    with pytest.raises(InvalidInput, match="unknown period"):
        cache_ttl_seconds("forever")


# --- properties --------------------------------------------------------------------------------

dates = st.dates(date(1900, 3, 1), date(2199, 12, 31))
ranges = st.tuples(dates, st.integers(0, 400)).map(
    lambda p: DateRange(p[0], p[0] + timedelta(days=p[1]))
)


@settings(max_examples=200, deadline=None)
@given(dates, st.sampled_from([n for n in PERIOD_NAMES if n != "custom"]))
def test_named_periods_are_well_formed(today, name):
    period = resolve_period(name, today)
    assert period.start <= period.end
    if name in ("yesterday", "last_week", "last_month"):
        assert period.end < today
    else:
        assert period.end == today  # every this_* and last_N_days period ends with today
    if name.startswith("last_") and name.endswith("_days"):
        assert len(period) == int(name.split("_")[1])
    if name in ("this_week", "last_week"):
        assert period.start.isoweekday() == 1
    if name == "last_week":
        assert len(period) == 7 and period.end == resolve_period(
            "this_week", today
        ).start - timedelta(days=1)
    if name == "last_month":
        assert period.start.day == 1 and (period.end + timedelta(days=1)).day == 1
        assert period.end + timedelta(days=1) == today.replace(day=1)


@settings(max_examples=200, deadline=None)
@given(ranges)
def test_previous_period_has_the_same_length_and_ends_the_day_before(current):
    previous = comparison_range(current, "previous_period")
    assert len(previous) == len(current)
    assert previous.end == current.start - timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(ranges, st.sampled_from(COMPARISON_TYPES))
def test_comparison_ranges_lie_before_and_are_ordered(current, comparison_type):
    previous = comparison_range(current, comparison_type)
    assert previous.start < current.start
    assert previous.start <= previous.end
    if comparison_type == "previous_week":
        assert len(previous) == len(current)
        assert current.start - previous.start == timedelta(days=7)


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(-30, 30))
def test_shift_months_clamps_only_days_that_do_not_exist(day, months):
    moved = shift_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)
