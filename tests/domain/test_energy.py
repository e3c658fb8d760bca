"""Energy: increments, pro-rating, days and hours, tariffs, intensity (seed 004 §3.2, §7.5)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.comparison import Direction
from opslens.domain.energy import (
    DIRECTIONS,
    FLAT,
    CostBreakdown,
    Increment,
    Reading,
    Tariff,
    TouPeriod,
    baseline_deviation_pct,
    by_bucket,
    by_hour,
    by_local_day,
    cost,
    cost_by_bucket,
    deviation_flag,
    increments,
    kwh_by_key,
    kwh_per_good_unit,
    kwh_per_unit,
    prorate,
    rate_at,
)
from opslens.domain.intervals import local_day_bounds
from opslens.domain.periods import GRANULARITIES, Bucket, calendar_buckets, comparison_window
from opslens.errors import InvalidInput

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


def at(hour: float, day: int = 6, month: int = 1, tz: ZoneInfo = UTC_ZONE) -> datetime:
    """Monday 2025-01-06 (by default) plus ``hour`` hours of wall time in ``tz``."""
    return datetime(2025, month, day, tzinfo=tz) + timedelta(hours=hour)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spans(items: list[Increment]) -> list[tuple[datetime | None, datetime, float]]:
    return [(i.start, i.end, i.kwh) for i in items]


# --- increments --------------------------------------------------------------------------------


def test_increment_and_cumulative_readings_give_the_same_energy():
    # meter: 100 at 08:00 (baseline only), 104 at 09:00, 110 at 10:00 ⇒ 104−100 = 4, 110−104 = 6
    metered = increments([Reading(at(8), meter=100), Reading(at(9), meter=104),
                          Reading(at(10), meter=110)])
    # increments: a 0 kWh reading at 08:00 (instantaneous, start=None), then 4 and 6 since it
    stepped = increments([Reading(at(8), kwh=0), Reading(at(9), kwh=4), Reading(at(10), kwh=6)])
    assert spans(metered) == [(at(8), at(9), 4.0), (at(9), at(10), 6.0)]
    assert spans(stepped) == [(None, at(8), 0.0), (at(8), at(9), 4.0), (at(9), at(10), 6.0)]
    day = local_day_bounds(date(2025, 1, 6), UTC_ZONE)
    assert prorate(metered, day) == prorate(stepped, day) == 10.0
    half = (at(8.5), at(9.5))  # half of (08, 09] ⇒ 2, half of (09, 10] ⇒ 3
    assert prorate(metered, half) == prorate(stepped, half) == pytest.approx(5.0)


def test_a_meter_reset_counts_the_new_value_from_zero():
    # 1000 → 1010: 10 kWh; 1010 → 3 is a drop, so the meter was reset and 3 kWh were used since 0
    result = increments([Reading(at(8), meter=1000), Reading(at(9), meter=1010),
                         Reading(at(10), meter=3)])
    assert spans(result) == [(at(8), at(9), 10.0), (at(9), at(10), 3.0)]


def test_the_first_meter_reading_only_sets_the_baseline():
    assert increments([Reading(at(8), meter=5000)]) == []


def test_an_increment_reading_does_not_move_the_meter_baseline():
    # meter 100 at 08:00, 2 kWh logged by hand at 08:30 (since the 08:00 reading), meter 105 at
    # 09:00 ⇒ the meter increment is 105 − 100 = 5 over (08:00, 09:00], not 105 − ? from 08:30
    result = increments([Reading(at(9), meter=105), Reading(at(8.5), kwh=2),
                         Reading(at(8), meter=100)])
    assert spans(result) == [(at(8), at(8.5), 2.0), (at(8), at(9), 5.0)]


def test_readings_are_stored_in_utc_and_sorted_across_offsets():
    # 09:00 in New York is 14:00 UTC, later than 13:00 UTC even though its wall time is earlier
    result = increments([Reading(datetime(2025, 1, 6, 9, tzinfo=NY), meter=7),
                         Reading(utc(2025, 1, 6, 13), meter=2)])
    assert spans(result) == [(utc(2025, 1, 6, 13), utc(2025, 1, 6, 14), 5.0)]


def test_empty_readings_give_no_increments():
    assert increments([]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"kwh": -3.0}, r"kwh of the reading at 2025-01-06T08:00:00\+00:00 \(-3.0\) must be"),
     ({"meter": -1}, r"meter of the reading at 2025-01-06T08:00:00\+00:00"),
     ({"kwh": math.nan}, "finite number"),
     ({}, "exactly one of kwh"),
     ({"kwh": 1.0, "meter": 2.0}, "exactly one of kwh")],
)  # fmt: skip
def test_bad_readings_are_refused_naming_the_time(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        Reading(at(8), **kwargs)


def test_naive_reading_time_and_duplicate_times_are_refused():
    with pytest.raises(InvalidInput, match="timezone-aware"):
        Reading(datetime(2025, 1, 6, 8), kwh=1.0)
    with pytest.raises(InvalidInput, match=r"two readings at 2025-01-06T08:00:00\+00:00"):
        increments([Reading(at(8), kwh=1.0), Reading(at(8), meter=3.0)])


def test_inverted_increments_are_refused():
    with pytest.raises(InvalidInput, match="use start=None"):
        Increment(at(9), at(9), 1.0)
    with pytest.raises(InvalidInput, match="kwh of the increment"):
        Increment(at(8), at(9), -1.0)
    with pytest.raises(InvalidInput, match="must be Reading values"):
        increments([(at(8), 1.0)])


# --- pro-rating, days and hours ----------------------------------------------------------------


def test_prorating_across_a_window_edge():
    # 6 kWh over 10:00–10:30 = 0.2 kWh/min: 10 min before 10:10 ⇒ 2 kWh, 20 min after ⇒ 4 kWh
    six = [Increment(at(10), at(10.5), 6.0)]
    assert prorate(six, (at(9), at(10) + timedelta(minutes=10))) == pytest.approx(2.0)
    assert prorate(six, (at(10) + timedelta(minutes=10), at(11))) == pytest.approx(4.0)
    assert prorate(six, (at(11), at(10))) == 0.0  # an empty window holds nothing


def test_an_instantaneous_increment_counts_in_the_half_open_window_of_its_end():
    point = [Increment(None, at(10), 5.0)]
    assert prorate(point, (at(10), at(11))) == 5.0  # end == window start: inside
    assert prorate(point, (at(9), at(10))) == 0.0  # end == window end: outside


def test_empty_increments_hold_no_energy():
    assert prorate([], (at(0), at(24))) == 0.0
    assert by_local_day([], BERLIN, date(2025, 1, 6), date(2025, 1, 7)) == {
        date(2025, 1, 6): 0.0, date(2025, 1, 7): 0.0}


def test_by_local_day_splits_at_local_midnight():
    # 8 kWh over 22:00–06:00 New York = 1 kWh/h: 2 h on the 6th, 6 h on the 7th
    night = [Increment(at(22, tz=NY), at(30, tz=NY), 8.0)]
    assert by_local_day(night, NY, date(2025, 1, 6), date(2025, 1, 7)) == {
        date(2025, 1, 6): pytest.approx(2.0), date(2025, 1, 7): pytest.approx(6.0)}
    with pytest.raises(InvalidInput, match="swap them"):
        by_local_day(night, NY, date(2025, 1, 7), date(2025, 1, 6))


def test_spring_forward_day_has_23_hourly_buckets():
    # Berlin 2025-03-30: 02:00 CET jumps to 03:00 CEST; the day is 23 real hours, so 23 kWh spread
    # uniformly over it is 1 kWh per bucket
    day = local_day_bounds(date(2025, 3, 30), BERLIN)
    hours = by_hour([Increment(*day, 23.0)], BERLIN, date(2025, 3, 30), date(2025, 3, 30))
    assert len(hours) == 23
    assert all(value == pytest.approx(1.0) for value in hours.values())
    local = [key.astimezone(BERLIN).hour for key in hours]
    assert local[:3] == [0, 1, 3]  # no 02:00 hour
    assert by_local_day([Increment(*day, 23.0)], BERLIN, date(2025, 3, 30), date(2025, 3, 30)) \
        == {date(2025, 3, 30): 23.0}


def test_fall_back_day_has_25_hourly_buckets_with_two_2_am_hours():
    # Berlin 2025-10-26: 03:00 CEST falls back to 02:00 CET; 25 real hours, 02:00 happens twice
    day = local_day_bounds(date(2025, 10, 26), BERLIN)
    hours = by_hour([Increment(*day, 50.0)], BERLIN, date(2025, 10, 26), date(2025, 10, 26))
    assert len(hours) == 25
    assert all(value == pytest.approx(2.0) for value in hours.values())  # 50 kWh / 25 h
    local = [key.astimezone(BERLIN) for key in hours]
    assert [t.hour for t in local[:5]] == [0, 1, 2, 2, 3]
    assert [t.utcoffset() for t in local[2:4]] == [timedelta(hours=2), timedelta(hours=1)]
    assert next(iter(hours)) == utc(2025, 10, 25, 22)  # keys are UTC hour starts


def test_by_hour_splits_one_increment_across_hours():
    # 3 kWh over 10:30–12:00 UTC = 2 kWh/h: 10:00 bucket 0.5 h ⇒ 1, 11:00 bucket 1 h ⇒ 2
    item = Increment(at(10.5), at(12), 3.0)
    hours = by_hour([item], UTC_ZONE, date(2025, 1, 6), date(2025, 1, 6))
    assert len(hours) == 24
    assert (hours[at(10)], hours[at(11)], hours[at(12)]) == (1.0, 2.0, 0.0)


# --- tariffs and cost ----------------------------------------------------------------------------

FLAT_012 = Tariff(date(2025, 1, 1), 0.12)
PEAK = TouPeriod(time(8), time(20), 0.30, "peak")
OFF_PEAK = TouPeriod(time(20), time(8), 0.10, "off_peak")  # wraps midnight
NIGHT = TouPeriod(time(22), time(6), 0.08, "night")


def test_flat_tariff():
    # 10 kWh × 0.12 /kWh = 1.20
    bill = cost([Increment(at(9), at(11), 10.0)], [FLAT_012], UTC_ZONE, (at(0), at(24)))
    assert bill == CostBreakdown(10.0, pytest.approx(1.2), {FLAT: 10.0},
                                 {FLAT: pytest.approx(1.2)})


def test_peak_and_off_peak_with_an_increment_crossing_the_peak_end():
    # 12 kWh over 19:00–21:00 = 6 kWh/h: 19–20 peak 6 × 0.30 = 1.80; 20–21 off-peak 6 × 0.10 = 0.60
    tariff = Tariff(date(2025, 1, 1), 0.99, (PEAK, OFF_PEAK))
    bill = cost([Increment(at(19), at(21), 12.0)], [tariff], UTC_ZONE, (at(0), at(24)))
    assert bill.kwh_by_period == {"peak": pytest.approx(6.0), "off_peak": pytest.approx(6.0)}
    assert bill.cost_by_period == {"peak": pytest.approx(1.8), "off_peak": pytest.approx(0.6)}
    assert (bill.kwh, bill.cost) == (pytest.approx(12.0), pytest.approx(2.4))


def test_night_rate_wrapping_midnight():
    # 8 kWh over 21:00–01:00 = 2 kWh/h: 21–22 flat 2 × 0.20 = 0.40; 22–01 night 6 × 0.08 = 0.48
    tariff = Tariff(date(2025, 1, 1), 0.20, (NIGHT,))
    bill = cost([Increment(at(21, tz=BERLIN), at(25, tz=BERLIN), 8.0)], [tariff], BERLIN,
                (at(0, tz=BERLIN), at(48, tz=BERLIN)))
    assert bill.kwh_by_period == {FLAT: pytest.approx(2.0), "night": pytest.approx(6.0)}
    assert bill.cost == pytest.approx(0.40 + 0.48)


def test_a_weekday_night_period_runs_into_the_next_morning_only():
    # Friday-night rate 22:00–06:00 starting on Fridays (ISO 5): Sat 03:00 is in it, Sun 03:00 not
    tariff = Tariff(date(2025, 1, 1), 0.20, (TouPeriod(time(22), time(6), 0.05, "fri_night",
                                                       frozenset({5})),))
    saturday = cost([Increment(None, at(3, day=11), 1.0)], [tariff], UTC_ZONE, (at(0), at(240)))
    sunday = cost([Increment(None, at(3, day=12), 1.0)], [tariff], UTC_ZONE, (at(0), at(240)))
    assert (saturday.cost_by_period, sunday.cost_by_period) == ({"fri_night": 0.05}, {FLAT: 0.2})


def test_a_tariff_change_at_local_midnight():
    # Berlin, 10 kWh over 2025-05-31 22:00 – 06-01 02:00 (4 h, 2.5 kWh/h, CEST both sides):
    # 2 h before midnight at 0.10 ⇒ 5 × 0.10 = 0.50; 2 h after at 0.20 ⇒ 5 × 0.20 = 1.00
    tariffs = [Tariff(date(2025, 6, 1), 0.20), Tariff(date(2025, 1, 1), 0.10)]
    window = (at(0, day=31, month=5, tz=BERLIN), at(48, day=31, month=5, tz=BERLIN))
    item = Increment(at(22, day=31, month=5, tz=BERLIN), at(26, day=31, month=5, tz=BERLIN), 10.0)
    bill = cost([item], tariffs, BERLIN, window)
    assert bill.kwh_by_period == {FLAT: pytest.approx(10.0)}
    assert bill.cost == pytest.approx(1.5)


def test_a_night_rate_on_the_spring_forward_night_lasts_7_real_hours():
    # Berlin 2025-03-29 20:00 CET to 03-30 08:00 CEST is 11 real hours; 11 kWh = 1 kWh/h.
    # Night 22:00–06:00 loses the skipped hour: 7 h ⇒ 7 × 0.08 = 0.56; flat 20–22 and 06–08:
    # 4 h ⇒ 4 × 0.20 = 0.80; total 1.36
    start = datetime(2025, 3, 29, 20, tzinfo=BERLIN)
    end = datetime(2025, 3, 30, 8, tzinfo=BERLIN)
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=11)
    bill = cost([Increment(start, end, 11.0)], [Tariff(date(2025, 1, 1), 0.20, (NIGHT,))],
                BERLIN, (start, end))
    assert bill.kwh_by_period == {FLAT: pytest.approx(4.0), "night": pytest.approx(7.0)}
    assert bill.cost == pytest.approx(1.36)


def test_a_period_inside_the_repeated_fall_back_hour_counts_both_times():
    # New York 2025-11-02: 01:00–02:00 happens twice (05:00–06:00 UTC EDT, 06:00–07:00 UTC EST).
    # A 01:30–02:00 period is in force 05:30–06:00 and 06:30–07:00 UTC; 4 kWh over 04:00–08:00
    # UTC is 1 kWh/h ⇒ 0.5 + 0.5 = 1 kWh in it, 3 kWh flat
    tariff = Tariff(date(2025, 1, 1), 0.10, (TouPeriod(time(1, 30), time(2), 1.0, "p"),))
    item = Increment(utc(2025, 11, 2, 4), utc(2025, 11, 2, 8), 4.0)
    bill = cost([item], [tariff], NY, (item.start, item.end))
    assert bill.kwh_by_period == {FLAT: pytest.approx(3.0), "p": pytest.approx(1.0)}


def test_a_period_starting_in_the_spring_forward_gap_starts_at_the_jump():
    # New York 2025-03-09: 02:00 EST (07:00 UTC) jumps to 03:00 EDT; 02:30–04:00 is in force from
    # the jump to 04:00 EDT (08:00 UTC) = 1 h; 5 kWh over 05:00–10:00 UTC ⇒ 1 kWh in it
    tariff = Tariff(date(2025, 1, 1), 0.10, (TouPeriod(time(2, 30), time(4), 1.0, "p"),))
    item = Increment(utc(2025, 3, 9, 5), utc(2025, 3, 9, 10), 5.0)
    bill = cost([item], [tariff], NY, (item.start, item.end))
    assert bill.kwh_by_period == {FLAT: pytest.approx(4.0), "p": pytest.approx(1.0)}


def test_cost_of_nothing_is_zero():
    assert cost([], [], BERLIN, (at(0), at(24))) == CostBreakdown(0.0, 0.0, {}, {})


def test_cost_only_counts_energy_inside_the_window():
    # 4 kWh over 10:00–12:00 UTC, window 11:00–12:00 ⇒ 2 kWh × 0.12 = 0.24
    bill = cost([Increment(at(10), at(12), 4.0)], [FLAT_012], UTC_ZONE, (at(11), at(12)))
    assert (bill.kwh, bill.cost) == (pytest.approx(2.0), pytest.approx(0.24))


def test_energy_before_the_first_tariff_is_refused():
    with pytest.raises(InvalidInput, match="no tariff is in force on 2024-12-31"):
        cost([Increment(None, utc(2024, 12, 31, 12), 1.0)], [FLAT_012], UTC_ZONE,
             (utc(2024, 12, 31), utc(2025, 1, 2)))


@pytest.mark.parametrize(
    ("build", "message"),
    [(lambda: Tariff(date(2025, 1, 1), -0.1), "flat_rate .* must be a finite number ≥ 0"),
     (lambda: TouPeriod(time(8), time(20), -1.0, "peak"), "rate of period 'peak'"),
     (lambda: Tariff(date(2025, 1, 1), 0.1, (PEAK, TouPeriod(time(19), time(21), 0.2, "eve"))),
      "periods 'peak' and 'eve' .* overlap"),
     (lambda: Tariff(date(2025, 1, 1), 0.1, (NIGHT, TouPeriod(time(5), time(7), 0.2, "dawn"))),
      "'night' and 'dawn' .* overlap"),
     (lambda: TouPeriod(time(8), time(9), 0.1, FLAT), "reserved for the flat rate"),
     (lambda: TouPeriod(time(8), time(9), 0.1, "x", frozenset({8})), "weekday numbers 1-7"),
     (lambda: Tariff(datetime(2025, 1, 1), 0.1), "must be a date")],
)  # fmt: skip
def test_bad_tariffs_are_refused(build, message):
    with pytest.raises(InvalidInput, match=message):
        build()


def test_periods_on_different_weekdays_may_share_hours():
    weekday = TouPeriod(time(8), time(20), 0.30, "weekday", frozenset(range(1, 6)))
    weekend = TouPeriod(time(8), time(20), 0.15, "weekend", frozenset({6, 7}))
    assert Tariff(date(2025, 1, 1), 0.1, (weekday, weekend)).periods == (weekday, weekend)


def test_rate_at_uses_the_tariff_of_the_local_date():
    # 2025-05-31 23:30 UTC is 06-01 01:30 in Berlin (CEST): the June tariff, inside its night rate
    tariffs = [Tariff(date(2025, 1, 1), 0.10), Tariff(date(2025, 6, 1), 0.20, (NIGHT,))]
    assert rate_at(tariffs, utc(2025, 5, 31, 23, 30), BERLIN) == ("night", 0.08)
    assert rate_at(tariffs, utc(2025, 5, 31, 23, 30), UTC_ZONE) == (FLAT, 0.10)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        rate_at(tariffs, datetime(2025, 6, 1), BERLIN)


def test_two_tariffs_on_one_date_are_refused():
    with pytest.raises(InvalidInput, match="two tariffs take effect on 2025-01-01"):
        cost([], [FLAT_012, Tariff(date(2025, 1, 1), 0.2)], UTC_ZONE, (at(0), at(1)))


# --- intensity and baselines ---------------------------------------------------------------------


def test_kwh_per_unit_and_per_good_unit():
    assert kwh_per_unit(50.0, 200) == 0.25  # 50 kWh / 200 units
    assert kwh_per_good_unit(50.0, 160) == 0.3125  # 50 kWh / 160 good units
    assert kwh_per_unit(50.0, 0) is None
    assert kwh_per_good_unit(0.0, 0) is None
    with pytest.raises(InvalidInput, match="units"):
        kwh_per_unit(1.0, -2)


@pytest.mark.parametrize(
    ("actual", "baseline", "pct", "flagged"),
    [(111.0, 100.0, 11.0, True),    # 100 · (111 − 100) / 100 = 11 % > 10 %
     (109.0, 100.0, 9.0, False),    # 9 % ≤ 10 %
     (89.0, 100.0, -11.0, True),    # −11 %: |−11| > 10
     (110.0, 100.0, 10.0, False),   # exactly 10 % is not "> 10 %"
     (0.55, 0.5, 10.0, False),      # float noise: 100·(0.55 − 0.5)/0.5 = 10.000000000000009
     (5.0, 0.0, None, False),       # no baseline to compare with
     (5.0, None, None, False),
     (None, 1.0, None, False)],
)  # fmt: skip
def test_baseline_deviation_and_flag(actual, baseline, pct, flagged):
    result = baseline_deviation_pct(actual, baseline)
    assert result == (None if pct is None else pytest.approx(pct))
    assert deviation_flag(result) is flagged


def test_deviation_flag_threshold_is_configurable():
    assert deviation_flag(6.0, threshold_pct=5.0)
    assert not deviation_flag(-4.0, threshold_pct=5.0)


# --- properties ----------------------------------------------------------------------------------

ZONES = [NY, BERLIN, UTC_ZONE]
# around the 2025 DST changes of both zones, so that 23 h and 25 h days occur
ORIGIN = utc(2025, 3, 7)
minutes = st.integers(0, 60 * 24 * 10)


@st.composite
def increment_lists(draw):
    items = []
    for _ in range(draw(st.integers(0, 8))):
        end = ORIGIN + timedelta(minutes=draw(minutes))
        kwh = draw(st.floats(0, 1000, allow_nan=False))
        if draw(st.booleans()):
            items.append(Increment(None, end, kwh))
        else:
            items.append(Increment(end - timedelta(minutes=draw(st.integers(1, 3000))), end, kwh))
    return items


@settings(max_examples=100, deadline=None)
@given(increment_lists(), st.lists(minutes, min_size=3, max_size=3))
def test_prorating_over_a_split_window_equals_the_whole(items, cuts):
    a, b, c = (ORIGIN + timedelta(minutes=m) for m in sorted(cuts))
    assert prorate(items, (a, b)) + prorate(items, (b, c)) == pytest.approx(
        prorate(items, (a, c)), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(increment_lists(), st.sampled_from(ZONES), st.integers(0, 12), st.integers(0, 4))
def test_daily_energy_sums_to_the_energy_of_the_range(items, tz, offset, extra):
    first = date(2025, 3, 5) + timedelta(days=offset)
    last = first + timedelta(days=extra)
    days = by_local_day(items, tz, first, last)
    hours = by_hour(items, tz, first, last)
    whole = prorate(items, (local_day_bounds(first, tz)[0], local_day_bounds(last, tz)[1]))
    assert len(days) == extra + 1
    assert sum(days.values()) == pytest.approx(whole, rel=1e-9, abs=1e-9)
    assert sum(hours.values()) == pytest.approx(whole, rel=1e-9, abs=1e-9)


rates = st.floats(0, 2)


@st.composite
def tariffs(draw):
    """A ToU tariff from quarter-hour cuts (consecutive cuts bound a period; the last gap is
    flat), then a flat one from a date around the March DST changes."""
    cuts = sorted(draw(st.lists(st.integers(0, 24 * 4 - 1), max_size=4, unique=True)))
    walls = [time(q // 4, q % 4 * 15) for q in cuts]
    periods = tuple(TouPeriod(walls[i], walls[i + 1], draw(rates), f"p{i}")
                    for i in range(len(walls) - 1))
    change = date(2025, 3, 8) + timedelta(days=draw(st.integers(0, 3)))
    return [Tariff(date(2025, 1, 1), draw(rates), periods), Tariff(change, draw(rates))]


@settings(max_examples=60, deadline=None)
@given(increment_lists(), tariffs(), st.sampled_from(ZONES), st.lists(minutes, min_size=2,
       max_size=2))  # fmt: skip
def test_cost_total_is_the_sum_of_the_period_costs(items, schedule, tz, ends):
    window = tuple(ORIGIN + timedelta(minutes=m) for m in sorted(ends))
    bill = cost(items, schedule, tz, window)
    assert bill.cost == pytest.approx(sum(bill.cost_by_period.values()), rel=1e-12, abs=1e-12)
    assert bill.kwh == pytest.approx(prorate(items, window), rel=1e-9, abs=1e-9)
    assert bill.cost <= bill.kwh * 2 + 1e-9  # no rate above 2


@st.composite
def reading_lists(draw):
    offsets = draw(st.lists(minutes, max_size=10, unique=True))
    return [Reading(ORIGIN + timedelta(minutes=m), kwh=draw(st.floats(0, 100)))
            if draw(st.booleans()) else
            Reading(ORIGIN + timedelta(minutes=m), meter=draw(st.floats(0, 1e6)))
            for m in offsets]


@settings(max_examples=100, deadline=None)
@given(reading_lists(), st.randoms(use_true_random=False))
def test_reading_order_does_not_change_increments(readings, rng):
    shuffled = list(readings)
    rng.shuffle(shuffled)
    result = increments(shuffled)
    assert result == increments(readings)
    assert all(i.kwh >= 0 for i in result)
    assert [i.end for i in result] == sorted(i.end for i in result)


@settings(max_examples=40, deadline=None)
@given(tariffs(), st.sampled_from(ZONES), st.integers(0, 60 * 24 * 6), st.integers(1, 60 * 30))
def test_cost_matches_a_minute_by_minute_sum(schedule, tz, offset, length):
    # oracle: period cuts, tariff changes and DST changes all fall on whole minutes, so the rate is
    # constant within each minute; 1 kWh per minute costs Σ rate_at(minute start)
    start = ORIGIN + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    bill = cost([Increment(start, end, float(length))], schedule, tz, (start, end))
    expected: dict[str, float] = {}
    for m in range(length):
        name, rate = rate_at(schedule, start + timedelta(minutes=m), tz)
        expected[name] = expected.get(name, 0.0) + rate
    assert bill.cost_by_period.keys() == expected.keys()
    for name, value in expected.items():
        assert bill.cost_by_period[name] == pytest.approx(value, rel=1e-9, abs=1e-9)


# --- analytics: attribution, calendar buckets, comparison windows -------------------------------

def test_kwh_by_key_splits_the_window_energy_without_loss():
    # (08, 10] 20 kWh for WO-1 and (10, 11] 5 kWh untagged; window 09–11: 10 + 5
    tagged = [("WO-1", Increment(at(8), at(10), 20.0)), (None, Increment(at(10), at(11), 5.0)),
              ("WO-2", Increment(at(12), at(13), 7.0))]
    assert kwh_by_key(tagged, (at(9), at(11))) == {"WO-1": 10.0, None: 5.0, "WO-2": 0.0}
    assert kwh_by_key([], (at(9), at(11))) == {}


@pytest.mark.parametrize(("day", "hours"), [(date(2025, 3, 30), 23.0), (date(2025, 10, 26), 25.0),
                                            (date(2025, 10, 27), 24.0)])
def test_a_local_day_bucket_lasts_23_24_or_25_hours(day: date, hours: float):
    buckets = calendar_buckets(local_day_bounds(day, BERLIN), BERLIN, "day")
    assert [(b.label, b.hours) for b in buckets] == [(day.isoformat(), hours)]
    assert len(calendar_buckets(local_day_bounds(day, BERLIN), BERLIN, "hour")) == hours


def test_weeks_start_on_monday_and_months_on_the_first_clipped_to_the_window():
    # Wednesday 1 Oct 12:00 to Tuesday 14 Oct 00:00, Berlin
    window = (datetime(2025, 10, 1, 12, tzinfo=BERLIN).astimezone(UTC),
              datetime(2025, 10, 14, tzinfo=BERLIN).astimezone(UTC))
    weeks = calendar_buckets(window, BERLIN, "week")
    assert [(b.label, b.hours) for b in weeks] == [
        ("2025-09-29", 4.5 * 24), ("2025-10-06", 7 * 24), ("2025-10-13", 24.0)]
    assert weeks[0].start == window[0] and weeks[-1].end == window[1]  # partial at the edges
    months = calendar_buckets((utc(2025, 1, 31, 23), utc(2025, 3, 1, 1)), BERLIN, "month")
    # 31 Jan 23:00 UTC is 1 Feb 00:00 in Berlin; 1 Mar 01:00 UTC is 02:00 local
    assert [(b.label, b.hours) for b in months] == [("2025-02", 28 * 24), ("2025-03", 2.0)]


def test_no_buckets_for_an_empty_window_and_refusal_of_an_unknown_granularity():
    assert calendar_buckets((at(10), at(10)), BERLIN, "day") == []
    with pytest.raises(InvalidInput, match="granularity 'minute'"):
        calendar_buckets((at(10), at(11)), BERLIN, "minute")


def test_energy_and_cost_by_bucket():
    # 12 kWh over 19:00–21:00 UTC, peak 0.30 until 20:00, then flat 0.10
    peak = Tariff(date(2025, 1, 1), 0.10, (TouPeriod(time(8), time(20), 0.30, "peak"),))
    buckets = calendar_buckets((at(18), at(22)), UTC_ZONE, "hour")
    items = [Increment(at(19), at(21), 12.0)]
    assert by_bucket(items, buckets) == [0.0, 6.0, 6.0, 0.0]
    assert cost_by_bucket(items, [peak], UTC_ZONE, buckets) == pytest.approx([0, 1.8, 0.6, 0])
    assert by_bucket(items, []) == [] and cost_by_bucket(items, [peak], UTC_ZONE, []) == []


def test_cost_is_unknown_where_no_tariff_is_in_force_yet():
    later = Tariff(date(2025, 1, 7), 0.5)  # from Tuesday; the energy is on Monday and Tuesday
    buckets = calendar_buckets((at(0), at(48)), UTC_ZONE, "day")
    items = [Increment(at(20), at(28), 8.0)]
    assert cost_by_bucket(items, [later], UTC_ZONE, buckets) == [None, 2.0]
    assert cost_by_bucket([], [later], UTC_ZONE, buckets) == [0.0, 0.0]


def test_buckets_must_touch():
    with pytest.raises(InvalidInput, match="do not touch"):
        by_bucket([], [Bucket("a", at(1), at(2)), Bucket("b", at(3), at(4))])


@pytest.mark.parametrize(("first", "last", "kind", "expected"), [
    # whole local days: the dates move as periods.comparison_range moves them
    (date(2025, 10, 1), date(2025, 10, 31), "previous_month",
     (date(2025, 9, 1), date(2025, 9, 30))),
    (date(2025, 10, 1), date(2025, 10, 14), "previous_period",
     (date(2025, 9, 17), date(2025, 9, 30))),
    (date(2025, 10, 27), date(2025, 10, 27), "previous_week",  # Monday after the DST change
     (date(2025, 10, 20), date(2025, 10, 20))),
    (date(2024, 2, 29), date(2024, 2, 29), "previous_year", (date(2023, 2, 28), date(2023, 2, 28))),
    (date(2025, 5, 31), date(2025, 5, 31), "previous_quarter",
     (date(2025, 2, 28), date(2025, 2, 28))),
])  # fmt: skip
def test_a_window_of_whole_days_compares_with_whole_days(first, last, kind, expected):
    window = local_day_bounds(first, BERLIN)[0], local_day_bounds(last, BERLIN)[1]
    assert comparison_window(window, BERLIN, kind) == (
        local_day_bounds(expected[0], BERLIN)[0], local_day_bounds(expected[1], BERLIN)[1])


def test_a_partial_window_moves_its_wall_clock_or_its_duration():
    # the early shift 06:00–14:00 on Monday 27 Oct (CET) against Monday 20 Oct (CEST)
    shift = (datetime(2025, 10, 27, 6, tzinfo=BERLIN).astimezone(UTC),
             datetime(2025, 10, 27, 14, tzinfo=BERLIN).astimezone(UTC))
    week = comparison_window(shift, BERLIN, "previous_week")
    assert [t.astimezone(BERLIN).isoformat() for t in week] == [
        "2025-10-20T06:00:00+02:00", "2025-10-20T14:00:00+02:00"]
    assert comparison_window(shift, BERLIN, "previous_period") == (
        shift[0] - timedelta(hours=8), shift[0])
    # 10:00 on 30 Oct to 08:00 on 31 Oct: a month back, both ends clamp to 30 Sep
    odd = (utc(2025, 10, 30, 10), utc(2025, 10, 31, 8))
    start, end = comparison_window(odd, UTC_ZONE, "previous_month")
    assert (start, end) == (utc(2025, 9, 30, 10), utc(2025, 9, 30, 10))  # never negative
    with pytest.raises(InvalidInput, match="comparison type"):
        comparison_window(shift, BERLIN, "previous_decade")


def test_energy_metrics_declare_lower_is_better():
    assert DIRECTIONS["kwh"] is DIRECTIONS["kwh_per_good_unit"] is Direction.lower_is_better
    assert DIRECTIONS["units"] is Direction.higher_is_better


@settings(max_examples=60, deadline=None)
@given(increment_lists(), st.sampled_from(ZONES), st.sampled_from(GRANULARITIES),
       st.lists(minutes, min_size=2, max_size=2), st.lists(st.sampled_from(["a", "b", None])))
def test_buckets_and_keys_share_out_the_window_energy_exactly(items, tz, granularity, ends,
                                                              keys):
    window = tuple(ORIGIN + timedelta(minutes=m) for m in sorted(ends))
    buckets = calendar_buckets(window, tz, granularity)
    whole = prorate(items, window)
    assert sum(by_bucket(items, buckets)) == pytest.approx(whole, rel=1e-9, abs=1e-9)
    if buckets:
        assert (buckets[0].start, buckets[-1].end) == window
        assert all(b.start < b.end for b in buckets)
    tagged = [(keys[i % len(keys)] if keys else None, item) for i, item in enumerate(items)]
    assert sum(kwh_by_key(tagged, window).values()) == pytest.approx(whole, rel=1e-9, abs=1e-9)
