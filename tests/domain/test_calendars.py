"""Shift calendars: parsing, real shift intervals and available time (DESIGN.md §3, §5.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.calendars import (
    ALL_WEEKDAYS,
    ShiftDef,
    ShiftInstance,
    available_seconds_by_day,
    parse_breaks,
    parse_hhmm,
    parse_weekdays,
    shift_at,
    shift_instances,
)
from opslens.domain.intervals import local_day_bounds, measure
from opslens.errors import InvalidInput

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
HOUR = 3600.0

EARLY = ShiftDef("A", "Early", time(6), time(14))
LATE = ShiftDef("B", "Late", time(14), time(22))
NIGHT = ShiftDef("C", "Night", time(22), time(6))
THREE_SHIFTS = [EARLY, LATE, NIGHT]


def hours_of(instance: ShiftInstance) -> float:
    start, end = instance.interval
    return (end - start).total_seconds() / HOUR


# --- parse_hhmm --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("06:00", time(6)), ("00:00", time(0)), ("23:59", time(23, 59)), (" 22:30 ", time(22, 30)),
     ("6:05", time(6, 5))],
)  # fmt: skip
def test_parse_hhmm(text, expected):
    assert parse_hhmm(text) == expected


def test_parse_hhmm_refuses_24_00_and_says_what_to_write():
    with pytest.raises(InvalidInput, match=r"'24:00' is not allowed: write '00:00'"):
        parse_hhmm("24:00")


@pytest.mark.parametrize("text", ["25:00", "12:60", "noon", "", "6", "06:00:00", "06h00", "-1:00"])
def test_parse_hhmm_names_the_bad_value_and_the_form(text):
    with pytest.raises(InvalidInput, match="HH:MM") as caught:
        parse_hhmm(text)
    assert repr(text) in str(caught.value)


def test_parse_hhmm_refuses_non_text():
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_hhmm(600)  # type: ignore[arg-type]


# --- parse_breaks ------------------------------------------------------------------------------


def test_parse_breaks_forms():
    expected = ((time(10), time(10, 30)), (time(18), time(18, 15)))
    assert parse_breaks(["10:00-10:30", "18:00-18:15"]) == expected
    assert parse_breaks("10:00-10:30;18:00-18:15") == expected
    assert parse_breaks("10:00-10:30, 18:00-18:15") == expected
    assert parse_breaks("10:00 - 10:30; 18:00-18:15;") == expected
    assert parse_breaks([(time(10), time(10, 30))]) == expected[:1]


def test_parse_breaks_empty():
    assert parse_breaks(None) == ()
    assert parse_breaks("") == ()
    assert parse_breaks("  ") == ()
    assert parse_breaks([]) == ()


def test_parse_breaks_across_midnight():
    assert parse_breaks("23:45-00:15") == ((time(23, 45), time(0, 15)),)


@pytest.mark.parametrize("text", ["10:00", "10:00-", "10-11", "10:00-10:30-11:00", "lunch"])
def test_parse_breaks_refuses_malformed(text):
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_breaks(text)


def test_parse_breaks_refuses_zero_length():
    with pytest.raises(InvalidInput, match="zero length"):
        parse_breaks("10:00-10:00")


# --- parse_weekdays ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {1, 2, 3, 4, 5, 6, 7}),
        ("", {1, 2, 3, 4, 5, 6, 7}),
        ("1;2;3", {1, 2, 3}),
        ("Mon, TUE", {1, 2}),
        ("saturday;Sunday", {6, 7}),
        ([1, "wed", "7"], {1, 3, 7}),
        ("mon-fri", {1, 2, 3, 4, 5}),
        ("fri-mon", {5, 6, 7, 1}),
        ("3-3", {3}),
        ("1;1;mon", {1}),
    ],
)
def test_parse_weekdays(value, expected):
    assert parse_weekdays(value) == frozenset(expected)


@pytest.mark.parametrize("value", ["8", "0", "funday", "mon;xyz", [True], [1.5], "mon-fri-sat"])
def test_parse_weekdays_refuses_unknown_days(value):
    with pytest.raises(InvalidInput, match="mon"):
        parse_weekdays(value)


def test_parse_weekdays_refuses_an_explicit_empty_list():
    with pytest.raises(InvalidInput, match="lists no day"):
        parse_weekdays([])


# --- ShiftDef ----------------------------------------------------------------------------------


def test_shift_lengths():
    assert EARLY.length == timedelta(hours=8)
    assert NIGHT.length == timedelta(hours=8)
    assert ShiftDef("D", "Day", time(0), time(0)).length == timedelta(hours=24)
    assert ShiftDef("E", "Odd", time(6, 30), time(6, 15)).length == timedelta(hours=23, minutes=45)


def test_breaks_before_the_start_belong_to_the_next_day_of_an_overnight_shift():
    night = ShiftDef("C", "Night", time(22), time(6), breaks=((time(2), time(2, 30)),))
    assert night.break_offsets == ((timedelta(hours=4), timedelta(hours=4, minutes=30)),)
    across = ShiftDef("C", "Night", time(22), time(6), breaks=((time(23, 45), time(0, 15)),))
    assert across.break_offsets == (
        (timedelta(hours=1, minutes=45), timedelta(hours=2, minutes=15)),
    )


def test_breaks_may_touch_the_shift_ends():
    shift = ShiftDef(
        "A", "Early", time(6), time(14), breaks=((time(6), time(6, 30)), (time(13, 30), time(14)))
    )
    assert len(shift.breaks) == 2


@pytest.mark.parametrize(
    ("start", "end", "brk"),
    [
        (time(6), time(14), (time(5), time(5, 30))),  # before the start of a day shift
        (time(6), time(14), (time(13, 45), time(14, 15))),  # runs past the end
        (time(6), time(14), (time(14), time(14, 30))),  # starts at the end
        (time(22), time(6), (time(21), time(21, 30))),  # before an overnight shift
        (time(22), time(6), (time(5, 30), time(6, 30))),  # past an overnight shift's end
        (time(0), time(0), (time(23, 30), time(0, 30))),  # across the end of a 24 h shift
    ],
)
def test_breaks_outside_the_shift_are_refused(start, end, brk):
    with pytest.raises(InvalidInput, match="does not lie inside the shift"):
        ShiftDef("X", "Shift X", start, end, breaks=(brk,))


def test_shiftdef_refuses_bad_weekdays_and_times():
    with pytest.raises(InvalidInput, match="weekday numbers 1-7"):
        ShiftDef("X", "X", time(6), time(14), weekdays=frozenset({0, 1}))
    with pytest.raises(InvalidInput, match="weekday numbers 1-7"):
        ShiftDef("X", "X", time(6), time(14), weekdays=frozenset())
    with pytest.raises(InvalidInput, match="local time without a time zone"):
        ShiftDef("X", "X", time(6, tzinfo=UTC), time(14))
    with pytest.raises(InvalidInput, match="zero length"):
        ShiftDef("X", "X", time(6), time(14), breaks=((time(8), time(8)),))
    with pytest.raises(InvalidInput, match="parse_breaks"):
        ShiftDef("X", "X", time(6), time(14), breaks=(("10:00", "10:30"),))  # type: ignore[arg-type]


def test_shiftdef_normalizes_weekdays_to_a_frozenset():
    shift = ShiftDef("X", "X", time(6), time(14), weekdays={1, 2})  # type: ignore[arg-type]
    assert shift.weekdays == frozenset({1, 2})
    assert isinstance(shift.weekdays, frozenset)
    assert hash(shift) == hash(ShiftDef("X", "X", time(6), time(14), weekdays=frozenset({1, 2})))


def test_shiftdef_from_text():
    shift = ShiftDef.from_text("C", "Night", "22:00", "06:00", "mon;tue", "02:00-02:30")
    assert shift == ShiftDef(
        "C", "Night", time(22), time(6), frozenset({1, 2}), ((time(2), time(2, 30)),)
    )
    assert ShiftDef.from_text("A", "Early", "06:00", "14:00").weekdays == ALL_WEEKDAYS


# --- shift_instances ---------------------------------------------------------------------------


def test_instances_include_the_day_before_for_overnight_spill():
    instances = shift_instances(THREE_SHIFTS, date(2025, 1, 15), date(2025, 1, 15), UTC_ZONE)
    assert [(i.shift_id, i.day.day) for i in instances] == [
        ("A", 14), ("B", 14), ("C", 14), ("A", 15), ("B", 15), ("C", 15)
    ]  # fmt: skip
    c14 = instances[2]
    assert c14.interval == (
        datetime(2025, 1, 14, 22, tzinfo=UTC),
        datetime(2025, 1, 15, 6, tzinfo=UTC),
    )
    assert c14.name == "Night"


def test_instances_follow_the_weekday_of_the_start_day():
    friday_night = ShiftDef("F", "Fri night", time(22), time(6), weekdays=frozenset({5}))
    # Mon 2025-01-06 .. Sun 2025-01-12: only the Friday 10th instance, which ends Saturday
    instances = shift_instances([friday_night], date(2025, 1, 6), date(2025, 1, 12), UTC_ZONE)
    assert [i.day for i in instances] == [date(2025, 1, 10)]
    # asking for Saturday alone still finds it (it started the day before)
    saturday = shift_instances([friday_night], date(2025, 1, 11), date(2025, 1, 11), UTC_ZONE)
    assert [i.day for i in saturday] == [date(2025, 1, 10)]


@pytest.mark.parametrize(
    ("tz", "night_of", "real_hours"),
    [
        (NY, date(2025, 3, 8), 7.0),
        (NY, date(2025, 11, 1), 9.0),
        (NY, date(2025, 6, 1), 8.0),
        (BERLIN, date(2025, 3, 29), 7.0),
        (BERLIN, date(2025, 10, 25), 9.0),
    ],
)
def test_overnight_shift_across_dst_lasts_7_or_9_real_hours(tz, night_of, real_hours):
    instances = shift_instances(
        [NIGHT], night_of + timedelta(days=1), night_of + timedelta(days=1), tz
    )
    first = instances[0]
    assert first.day == night_of
    assert hours_of(first) == real_hours


def test_instance_breaks_are_in_utc_on_the_right_day():
    night = ShiftDef("C", "Night", time(22), time(6), breaks=((time(2), time(2, 30)),))
    instance = shift_instances([night], date(2025, 1, 16), date(2025, 1, 16), NY)[0]
    assert instance.day == date(2025, 1, 15)
    # 02:00 EST on 16 Jan is 07:00 UTC
    assert instance.breaks == (
        (datetime(2025, 1, 16, 7, tzinfo=UTC), datetime(2025, 1, 16, 7, 30, tzinfo=UTC)),
    )
    assert measure(instance.working).total_seconds() == 7.5 * HOUR


def test_a_break_inside_the_spring_forward_gap_takes_no_time():
    night = ShiftDef("C", "Night", time(22), time(6), breaks=((time(2), time(3)),))
    instance = shift_instances([night], date(2025, 3, 9), date(2025, 3, 9), NY)[0]
    assert instance.day == date(2025, 3, 8)
    assert instance.breaks == ()
    assert hours_of(instance) == 7.0


def test_a_shift_inside_the_spring_forward_gap_is_empty():
    day = date(2025, 3, 9)
    # 02:15-02:45 does not exist on 2025-03-09 in New York; both ends read as EST: 30 minutes
    odd = ShiftDef("G", "Gap", time(2, 15), time(2, 45))
    assert [hours_of(i) for i in shift_instances([odd], day, day, NY) if i.day == day] == [0.5]
    # 02:30-03:15: start read as EST is 07:30 UTC, end 03:15 EDT is 07:15 UTC: inverted, so empty
    inverted = ShiftDef("H", "Gap", time(2, 30), time(3, 15))
    assert [hours_of(i) for i in shift_instances([inverted], day, day, NY) if i.day == day] == [0.0]
    assert available_seconds_by_day([inverted], day, day, NY) == {day: 0.0}


def test_shift_instances_refuse_a_reversed_range():
    with pytest.raises(InvalidInput, match="swap them"):
        shift_instances(THREE_SHIFTS, date(2025, 1, 2), date(2025, 1, 1), NY)
    with pytest.raises(InvalidInput, match="must be a date"):
        shift_instances(THREE_SHIFTS, datetime(2025, 1, 2), date(2025, 1, 3), NY)


def test_no_shifts_no_instances():
    assert shift_instances([], date(2025, 1, 1), date(2025, 1, 31), NY) == []


# --- available_seconds_by_day ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "expected_hours"),
    [
        (NY, date(2025, 1, 15), 24.0),
        (NY, date(2025, 3, 9), 23.0),
        (NY, date(2025, 11, 2), 25.0),
        (BERLIN, date(2025, 3, 30), 23.0),
        (BERLIN, date(2025, 10, 26), 25.0),
        (BERLIN, date(2024, 2, 29), 24.0),
    ],
)
def test_three_eight_hour_shifts_cover_the_local_day(tz, day, expected_hours):
    assert available_seconds_by_day(THREE_SHIFTS, day, day, tz) == {day: expected_hours * HOUR}


def test_a_night_shift_gives_2_hours_to_its_day_and_6_to_the_next():
    # DESIGN.md §5.3: one 22:00-06:00 instance, started on Wednesday 2025-01-15
    wednesday_night = ShiftDef("C", "Night", time(22), time(6), weekdays=frozenset({3}))
    available = available_seconds_by_day(
        [wednesday_night], date(2025, 1, 15), date(2025, 1, 17), NY
    )
    assert available == {
        date(2025, 1, 15): 2 * HOUR,
        date(2025, 1, 16): 6 * HOUR,
        date(2025, 1, 17): 0.0,
    }


def test_night_shift_every_day_gives_8_hours_a_day_and_less_across_spring_forward():
    available = available_seconds_by_day([NIGHT], date(2025, 3, 8), date(2025, 3, 10), NY)
    # 8 Mar: 6 h from the 7th's night + 2 h; 9 Mar: 5 real hours (02:00-03:00 skipped) + 2 h
    assert available == {
        date(2025, 3, 8): 8 * HOUR,
        date(2025, 3, 9): 7 * HOUR,
        date(2025, 3, 10): 8 * HOUR,
    }


def test_breaks_are_not_available():
    early = ShiftDef.from_text("A", "Early", "06:00", "14:00", breaks="10:00-10:30")
    assert available_seconds_by_day([early], date(2025, 1, 15), date(2025, 1, 15), NY) == {
        date(2025, 1, 15): 7.5 * HOUR
    }


def test_overlapping_shifts_count_once():
    overlapping = [EARLY, ShiftDef("B2", "Mid", time(12), time(20))]
    assert available_seconds_by_day(overlapping, date(2025, 1, 15), date(2025, 1, 15), NY) == {
        date(2025, 1, 15): 14 * HOUR
    }


def test_every_day_appears_even_without_shifts():
    mondays = ShiftDef("A", "Early", time(6), time(14), weekdays=frozenset({1}))
    available = available_seconds_by_day([mondays], date(2025, 1, 6), date(2025, 1, 12), NY)
    assert list(available) == [date(2025, 1, 6) + timedelta(days=n) for n in range(7)]
    assert list(available.values()) == [8 * HOUR] + [0.0] * 6
    assert available_seconds_by_day([], date(2025, 1, 1), date(2025, 1, 2), NY) == {
        date(2025, 1, 1): 0.0,
        date(2025, 1, 2): 0.0,
    }


def test_a_24_hour_shift_is_the_local_day():
    all_day = ShiftDef("D", "All day", time(0), time(0))
    available = available_seconds_by_day([all_day], date(2025, 11, 1), date(2025, 11, 3), NY)
    assert [s / HOUR for s in available.values()] == [24.0, 25.0, 24.0]


# --- shift_at ----------------------------------------------------------------------------------


def test_shift_at_finds_the_overnight_instance_of_the_previous_day():
    found = shift_at(THREE_SHIFTS, datetime(2025, 1, 2, 3, tzinfo=NY), NY)
    assert found is not None
    assert (found.shift_id, found.day) == ("C", date(2025, 1, 1))


def test_shift_at_boundaries_are_half_open():
    found = shift_at(THREE_SHIFTS, datetime(2025, 1, 2, 14, tzinfo=NY), NY)
    assert found is not None and found.shift_id == "B"
    assert shift_at([EARLY], datetime(2025, 1, 2, 14, tzinfo=NY), NY) is None
    found = shift_at([EARLY], datetime(2025, 1, 2, 6, tzinfo=NY), NY)
    assert found is not None and found.day == date(2025, 1, 2)


def test_shift_at_counts_breaks_as_inside_the_shift():
    early = ShiftDef.from_text("A", "Early", "06:00", "14:00", breaks="10:00-10:30")
    found = shift_at([early], datetime(2025, 1, 2, 15, 15, tzinfo=UTC), NY)  # 10:15 EST
    assert found is not None and found.shift_id == "A"


def test_shift_at_prefers_the_shift_that_started_last():
    long_early = ShiftDef("A", "Early", time(6), time(14, 30))
    found = shift_at([long_early, LATE], datetime(2025, 1, 2, 14, 15, tzinfo=NY), NY)
    assert found is not None and found.shift_id == "B"
    twin = ShiftDef("A2", "Early bis", time(6), time(14))
    found = shift_at([EARLY, twin], datetime(2025, 1, 2, 7, tzinfo=NY), NY)
    assert found is not None and found.shift_id == "A"


def test_shift_at_across_spring_forward():
    # 05:30 EDT on 2025-03-09 is still the night shift that started on the 8th
    found = shift_at(THREE_SHIFTS, datetime(2025, 3, 9, 9, 30, tzinfo=UTC), NY)
    assert found is not None and (found.shift_id, found.day) == ("C", date(2025, 3, 8))


def test_shift_at_refuses_a_naive_instant():
    with pytest.raises(InvalidInput, match="timezone-aware"):
        shift_at(THREE_SHIFTS, datetime(2025, 1, 2, 3), NY)


# --- properties --------------------------------------------------------------------------------

ZONES = [NY, BERLIN, UTC_ZONE]
days_2024_2026 = st.dates(date(2024, 1, 1), date(2026, 12, 31))


def wall(minutes: int) -> time:
    minutes %= 24 * 60
    return time(minutes // 60, minutes % 60)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 24 * 4 - 1), days_2024_2026, st.integers(0, 20), st.sampled_from(ZONES))
def test_three_rotating_shifts_make_every_day_available(quarter_hours, first, extra_days, tz):
    b0 = quarter_hours * 15
    shifts = [
        ShiftDef(str(n), str(n), wall(b0 + n * 480), wall(b0 + (n + 1) * 480)) for n in range(3)
    ]
    last = first + timedelta(days=extra_days)
    available = available_seconds_by_day(shifts, first, last, tz)
    for day, seconds in available.items():
        day_start, day_end = local_day_bounds(day, tz)
        assert seconds == (day_end - day_start).total_seconds()
    range_seconds = (local_day_bounds(last, tz)[1] - local_day_bounds(first, tz)[0]).total_seconds()
    assert sum(available.values()) == range_seconds


@st.composite
def single_shifts(draw):
    start = draw(st.integers(0, 24 * 4 - 1)) * 15
    length = draw(st.integers(1, 24 * 4)) * 15
    breaks = ()
    if draw(st.booleans()) and length > 15:
        offset = draw(st.integers(0, length // 15 - 1)) * 15
        duration = draw(st.integers(1, (length - offset) // 15)) * 15
        breaks = ((wall(start + offset), wall(start + offset + duration)),)
    return ShiftDef("S", "S", wall(start), wall(start + length), breaks=breaks)


@settings(max_examples=80, deadline=None)
@given(single_shifts(), days_2024_2026, st.integers(0, 20), st.sampled_from(ZONES))
def test_available_time_sums_the_shifts_wholly_inside_the_range(shift, first, extra_days, tz):
    last = first + timedelta(days=extra_days)
    # keep out the instances that cross the range's ends: those starting on first - 1 and last
    weekdays = ALL_WEEKDAYS - {(first - timedelta(days=1)).isoweekday(), last.isoweekday()}
    shift = ShiftDef(shift.id, shift.name, shift.start, shift.end, weekdays, shift.breaks)
    available = available_seconds_by_day([shift], first, last, tz)
    inside = [i for i in shift_instances([shift], first, last, tz) if first <= i.day <= last]
    expected = sum(measure(i.working).total_seconds() for i in inside)
    assert sum(available.values()) == pytest.approx(expected, abs=1e-6)
    if tz is UTC_ZONE:  # no DST: every instance lasts its wall-clock length minus its break
        break_seconds = sum((b - a).total_seconds() for a, b in shift.break_offsets)
        net = shift.length.total_seconds() - break_seconds
        assert sum(available.values()) == len(inside) * net
