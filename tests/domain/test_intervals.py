"""Interval algebra: worked examples, edge cases and properties (DESIGN.md §3 "Time")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.intervals import (
    Interval,
    clip,
    intersect,
    local_day_bounds,
    local_to_utc,
    measure,
    measure_hours,
    split_by_local_day,
    split_by_windows,
    subtract,
    union,
)
from opslens.errors import InvalidInput

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
BASE = datetime(2025, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def at(hours: float) -> datetime:
    """UTC instant ``hours`` after 2025-01-01 00:00 UTC."""
    return BASE + timedelta(hours=hours)


def iv(start_h: float, end_h: float) -> Interval:
    return at(start_h), at(end_h)


def hours(intervals: list[Interval]) -> list[tuple[float, float]]:
    return [((s - BASE) / HOUR, (e - BASE) / HOUR) for s, e in intervals]


# --- clip --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "window", "expected"),
    [
        ((2, 5), (0, 24), (2, 5)),  # inside
        ((22, 30), (0, 24), (22, 24)),  # overnight: the part before midnight
        ((-3, 2), (0, 24), (0, 2)),  # started the day before
        ((-3, 30), (0, 24), (0, 24)),  # covers the window
        ((24, 30), (0, 24), None),  # touching at the end: shares no instant
        ((-2, 0), (0, 24), None),  # touching at the start
        ((30, 40), (0, 24), None),  # disjoint
        ((5, 5), (0, 24), None),  # zero length
        ((6, 5), (0, 24), None),  # inverted
    ],
)
def test_clip(interval, window, expected):
    result = clip(iv(*interval), iv(*window))
    assert (None if result is None else hours([result])[0]) == expected


def test_clip_mixes_time_zones_as_instants():
    # 20:00 New York on 1 Jan is 01:00 UTC on 2 Jan
    result = clip((datetime(2025, 1, 1, 20, tzinfo=NY), at(30)), iv(24, 48))
    assert result is not None
    assert result[0] == at(25)
    assert result[1] == at(30)


def test_naive_datetimes_are_refused_with_a_fix():
    with pytest.raises(InvalidInput, match="timezone-aware"):
        clip((datetime(2025, 1, 1), datetime(2025, 1, 2)), iv(0, 24))
    with pytest.raises(InvalidInput, match="timezone-aware"):
        union([(at(0), datetime(2025, 1, 2))])
    with pytest.raises(InvalidInput, match="not a \\(start, end\\) pair"):
        measure([(at(0),)])  # type: ignore[list-item]


# --- union and measure -------------------------------------------------------------------------


def test_union_of_nothing_is_empty():
    assert union([]) == []
    assert measure([]) == timedelta(0)
    assert measure_hours([]) == 0.0


def test_union_merges_touching_and_overlapping_and_drops_empty():
    merged = union([iv(8, 10), iv(0, 2), iv(2, 3), iv(9, 12), iv(11, 11.5), iv(5, 5), iv(7, 6)])
    assert hours(merged) == [(0, 3), (8, 12)]


def test_union_keeps_separate_intervals_apart():
    assert hours(union([iv(3, 4), iv(0, 1)])) == [(0, 1), (3, 4)]


def test_nested_intervals_merge_into_the_outer_one():
    assert hours(union([iv(0, 10), iv(2, 3), iv(4, 6)])) == [(0, 10)]


def test_measure_counts_overlaps_once():
    # two work orders 06-14 and 12-20 on one machine: 14 h, not 16 h
    assert measure([iv(6, 14), iv(12, 20)]) == timedelta(hours=14)
    assert measure_hours([iv(6, 14), iv(12, 20), iv(6, 14)]) == 14.0


def test_measure_of_zero_length_and_inverted_is_zero():
    assert measure([iv(5, 5), iv(6, 4)]) == timedelta(0)


def test_measure_uses_real_time_across_a_dst_change():
    # New York 00:00 to 12:00 local on 2025-03-09 is only 11 real hours (Python's own
    # subtraction of two datetimes sharing a tzinfo would say 12)
    start = datetime(2025, 3, 9, 0, tzinfo=NY)
    end = datetime(2025, 3, 9, 12, tzinfo=NY)
    assert measure_hours([(start, end)]) == 11.0
    assert (
        measure_hours([(datetime(2025, 11, 2, 0, tzinfo=NY), datetime(2025, 11, 2, 12, tzinfo=NY))])
        == 13.0
    )


def test_the_repeated_hour_of_a_fall_back_night_is_a_real_hour():
    first = datetime(2025, 11, 2, 1, 30, tzinfo=NY)  # 05:30 UTC (EDT)
    second = first.replace(fold=1)  # 06:30 UTC (EST)
    assert measure_hours([(first, second)]) == 1.0
    assert union([(first, second)]) == [(at(7320 + 5.5), at(7320 + 6.5))]


def test_results_are_in_utc():
    start, end = clip(
        (datetime(2025, 1, 1, 1, tzinfo=NY), datetime(2025, 1, 1, 3, tzinfo=NY)), iv(0, 48)
    )
    assert (start, end) == (at(6), at(8))
    assert start.tzinfo is UTC and end.tzinfo is UTC


# --- intersect and subtract --------------------------------------------------------------------


def test_intersect_examples():
    assert hours(intersect([iv(0, 10)], [iv(2, 4), iv(8, 12)])) == [(2, 4), (8, 10)]
    assert intersect([iv(0, 10)], []) == []
    assert intersect([], [iv(0, 10)]) == []
    assert intersect([iv(0, 2)], [iv(2, 4)]) == []  # touching: no common instant
    assert hours(intersect([iv(0, 2), iv(1, 3)], [iv(0, 5)])) == [(0, 3)]


def test_subtract_examples():
    # a 06-14 shift minus a 10:00-10:30 break and a stop that runs past the end
    assert hours(subtract([iv(6, 14)], [iv(10, 10.5), iv(13, 15)])) == [(6, 10), (10.5, 13)]
    assert hours(subtract([iv(6, 14)], [])) == [(6, 14)]
    assert subtract([iv(6, 14)], [iv(0, 24)]) == []
    assert subtract([], [iv(0, 24)]) == []
    assert hours(subtract([iv(6, 14)], [iv(0, 6), iv(14, 20)])) == [(6, 14)]  # touching
    assert hours(subtract([iv(0, 4), iv(6, 10)], [iv(3, 7)])) == [(0, 3), (7, 10)]


# --- local days --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "start_utc", "end_utc", "length_h"),
    [
        (NY, date(2025, 1, 15), "2025-01-15T05:00:00+00:00", "2025-01-16T05:00:00+00:00", 24),
        (NY, date(2025, 3, 9), "2025-03-09T05:00:00+00:00", "2025-03-10T04:00:00+00:00", 23),
        (NY, date(2025, 11, 2), "2025-11-02T04:00:00+00:00", "2025-11-03T05:00:00+00:00", 25),
        (BERLIN, date(2025, 3, 30), "2025-03-29T23:00:00+00:00", "2025-03-30T22:00:00+00:00", 23),
        (BERLIN, date(2025, 10, 26), "2025-10-25T22:00:00+00:00", "2025-10-26T23:00:00+00:00", 25),
        (BERLIN, date(2024, 2, 29), "2024-02-28T23:00:00+00:00", "2024-02-29T23:00:00+00:00", 24),
        (ZoneInfo("UTC"), date(2024, 12, 31), "2024-12-31T00:00:00+00:00",
         "2025-01-01T00:00:00+00:00", 24),
    ],
)  # fmt: skip
def test_local_day_bounds(tz, day, start_utc, end_utc, length_h):
    start, end = local_day_bounds(day, tz)
    assert (start.isoformat(), end.isoformat()) == (start_utc, end_utc)
    assert (end - start) / HOUR == length_h
    assert start.tzinfo is UTC


def test_local_day_bounds_refuses_a_datetime():
    with pytest.raises(InvalidInput, match="must be a date"):
        local_day_bounds(datetime(2025, 1, 1, tzinfo=UTC), NY)


def test_nonexistent_and_ambiguous_wall_times_read_with_fold_0():
    # spring-forward gap: 02:30 does not exist in New York on 2025-03-09; read as EST (-05:00)
    assert local_to_utc(date(2025, 3, 9), time(2, 30), NY) == datetime(
        2025, 3, 9, 7, 30, tzinfo=UTC
    )
    # fall-back: 01:30 happens twice on 2025-11-02; the first (EDT, -04:00) is meant
    assert local_to_utc(date(2025, 11, 2), time(1, 30), NY) == datetime(
        2025, 11, 2, 5, 30, tzinfo=UTC
    )
    # Berlin: 02:30 on 2025-03-30 does not exist (read as CET), 02:30 on 2025-10-26 is doubled
    assert local_to_utc(date(2025, 3, 30), time(2, 30), BERLIN) == datetime(
        2025, 3, 30, 1, 30, tzinfo=UTC
    )
    assert local_to_utc(date(2025, 10, 26), time(2, 30), BERLIN) == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )


def test_split_overnight_interval_across_two_days():
    night = (datetime(2025, 1, 1, 22, tzinfo=NY), datetime(2025, 1, 2, 6, tzinfo=NY))
    pieces = split_by_local_day(night, NY)
    assert [day for day, _ in pieces] == [date(2025, 1, 1), date(2025, 1, 2)]
    assert [measure_hours([piece]) for _, piece in pieces] == [2.0, 6.0]
    assert pieces[0][1][1] == datetime(2025, 1, 2, 0, tzinfo=NY)


def test_split_whole_local_day_is_one_piece():
    day = local_day_bounds(date(2025, 3, 9), NY)
    assert split_by_local_day(day, NY) == [(date(2025, 3, 9), day)]


def test_split_across_spring_forward_day():
    interval = (datetime(2025, 3, 8, 12, tzinfo=NY), datetime(2025, 3, 10, 12, tzinfo=NY))
    pieces = split_by_local_day(interval, NY)
    assert [(d.day, measure_hours([p])) for d, p in pieces] == [(8, 12.0), (9, 23.0), (10, 12.0)]


def test_split_across_fall_back_day_in_berlin():
    interval = (datetime(2025, 10, 25, 22, tzinfo=UTC), datetime(2025, 10, 27, 1, tzinfo=UTC))
    pieces = split_by_local_day(interval, BERLIN)
    assert [(d.day, measure_hours([p])) for d, p in pieces] == [(26, 25.0), (27, 2.0)]


def test_split_a_utc_interval_by_another_zones_days():
    # 03:00-05:00 UTC on 2 Jan is 22:00-24:00 New York time on 1 Jan
    assert [d for d, _ in split_by_local_day(iv(27, 29), NY)] == [date(2025, 1, 1)]


def test_split_empty_and_zero_length_give_nothing():
    assert split_by_local_day(iv(5, 5), NY) == []
    assert split_by_local_day(iv(6, 5), NY) == []


def test_split_by_windows():
    shifts = [("A", iv(6, 14)), ("B", iv(14, 22)), ("C", iv(22, 30))]
    pieces = split_by_windows(iv(12, 23), shifts)
    assert [(k, hours([p])[0]) for k, p in pieces] == [
        ("A", (12, 14)),
        ("B", (14, 22)),
        ("C", (22, 23)),
    ]
    assert split_by_windows(iv(40, 50), shifts) == []
    assert split_by_windows(iv(14, 22), shifts) == [("B", iv(14, 22))]  # touching A and C
    assert split_by_windows(iv(0, 10), []) == []
    # overlapping windows both receive the overlap; keys may be anything
    overlap = split_by_windows(iv(0, 10), [((1, "x"), iv(0, 6)), ((2, "y"), iv(4, 8))])
    assert [(k, hours([p])[0]) for k, p in overlap] == [((1, "x"), (0, 6)), ((2, "y"), (4, 8))]


# --- properties --------------------------------------------------------------------------------

# Intervals on a whole-minute grid, so a brute-force set of covered minutes is an exact oracle.
minute_intervals = st.tuples(st.integers(0, 600), st.integers(0, 600)).map(
    lambda p: (BASE + timedelta(minutes=p[0]), BASE + timedelta(minutes=p[1]))
)
interval_lists = st.lists(minute_intervals, max_size=8)


def covered(intervals: list[Interval]) -> set[int]:
    minutes: set[int] = set()
    for start, end in intervals:
        minutes.update(range(int((start - BASE) / timedelta(minutes=1)),
                             int((end - BASE) / timedelta(minutes=1))))  # fmt: skip
    return minutes


def assert_normalized(intervals: list[Interval]) -> None:
    for start, end in intervals:
        assert start < end
    for (_, end), (next_start, _) in pairwise(intervals):
        assert end < next_start


@settings(max_examples=150, deadline=None)
@given(interval_lists, st.randoms(use_true_random=False))
def test_union_is_normalized_idempotent_and_order_independent(intervals, rnd):
    merged = union(intervals)
    assert_normalized(merged)
    assert union(merged) == merged
    shuffled = list(intervals)
    rnd.shuffle(shuffled)
    assert union(shuffled) == merged
    assert covered(merged) == covered(intervals)


@settings(max_examples=150, deadline=None)
@given(interval_lists)
def test_measure_of_union_is_measure(intervals):
    assert measure(union(intervals)) == measure(intervals)
    assert measure(intervals) == timedelta(minutes=len(covered(intervals)))


@settings(max_examples=150, deadline=None)
@given(interval_lists, interval_lists)
def test_intersect_and_subtract_partition_a(a, b):
    both, only_a = intersect(a, b), subtract(a, b)
    assert_normalized(both)
    assert_normalized(only_a)
    assert measure(a) == measure(both) + measure(only_a)
    assert covered(both) == covered(a) & covered(b)
    assert covered(only_a) == covered(a) - covered(b)
    assert intersect(a, b) == intersect(b, a)


ZONES = [NY, BERLIN, ZoneInfo("UTC"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata")]
year_intervals = st.tuples(st.integers(0, 366 * 24 * 60), st.integers(0, 5 * 24 * 60)).map(
    lambda p: (BASE + timedelta(minutes=p[0]), BASE + timedelta(minutes=p[0] + p[1]))
)


@settings(max_examples=200, deadline=None)
@given(year_intervals, st.sampled_from(ZONES))
def test_split_by_local_day_tiles_the_interval(interval, tz):
    pieces = split_by_local_day(interval, tz)
    start, end = interval
    if start == end:
        assert pieces == []
        return
    assert pieces[0][1][0] == start
    assert pieces[-1][1][1] == end
    assert sum((e - s for _, (s, e) in pieces), timedelta(0)) == end - start
    for (day, (_, piece_end)), (next_day, (next_start, _)) in pairwise(pieces):
        assert piece_end == next_start
        assert next_day == day + timedelta(days=1)
    for day, (piece_start, piece_end) in pieces:
        day_start, day_end = local_day_bounds(day, tz)
        assert day_start <= piece_start < piece_end <= day_end
        assert piece_start.astimezone(tz).date() == day


@settings(max_examples=200, deadline=None)
@given(st.dates(date(1990, 1, 1), date(2040, 12, 31)), st.sampled_from(ZONES))
def test_local_days_tile_time(day, tz):
    start, end = local_day_bounds(day, tz)
    assert end == local_day_bounds(day + timedelta(days=1), tz)[0]
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)
    assert start.astimezone(tz).date() == day
