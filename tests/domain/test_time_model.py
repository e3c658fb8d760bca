"""The time model of one machine over one window (domain.time_model): edges and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from opslens.domain.calendars import ShiftDef, shift_instances
from opslens.domain.downtime import Stop, resolve
from opslens.domain.time_model import Count, count_share, machine_inputs

H = timedelta(hours=1)
M = timedelta(minutes=1)
BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = ShiftDef("N", "Night", time(22), time(6), breaks=((time(2), time(2, 30)),))
ALLDAY = ShiftDef("D", "Day", time(0), time(0))


def breakdown(id_: str, start: datetime, end: datetime | None) -> Stop:
    return Stop(id_, start, end, "BREAKDOWN", False, "breakdowns", 1, failure=True)


def inputs(shifts, day_from, day_to, window, stops=(), counts=(), as_of=None, tz=BERLIN):
    as_of = as_of or window[1] + 24 * H
    instances = shift_instances(shifts, day_from, day_to, tz)
    return machine_inputs(window, instances, resolve(stops, as_of), list(counts), as_of)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


def test_a_night_shift_splits_at_midnight_with_its_break_after_it():
    d = date(2025, 10, 14)
    before = inputs([NIGHT], d, d + timedelta(1), (local(d, 0), local(d + timedelta(1), 0)))
    after = inputs([NIGHT], d, d + timedelta(1),
                   (local(d + timedelta(1), 0), local(d + timedelta(2), 0)))
    # day d holds 22:00–24:00 of the shift begun on d and 00:00–06:00 of the one begun d − 1
    assert before.scheduled_s == 8 * 3600 and before.planned_downtime_s == 30 * 60
    assert after.scheduled_s == 8 * 3600
    # the shift begun at 22:00 on d: 2 h before midnight, 6 h after, break after midnight
    shift = (local(d, 22), local(d + timedelta(1), 6))
    whole = inputs([NIGHT], d, d + timedelta(1), shift)
    assert whole.planned_production_s == 7.5 * 3600


def test_a_stop_across_midnight_is_split_not_dropped():
    d = date(2025, 10, 14)
    stop = breakdown("s", local(d, 23), local(d + timedelta(1), 1))
    first = inputs([ALLDAY], d, d, (local(d, 0), local(d + timedelta(1), 0)), [stop])
    second = inputs([ALLDAY], d + timedelta(1), d + timedelta(1),
                    (local(d + timedelta(1), 0), local(d + timedelta(2), 0)), [stop])
    assert first.unplanned_downtime_s == second.unplanned_downtime_s == 3600
    assert first.failures == 1 and second.failures == 0  # counted where it began


def test_dst_days_have_23_and_25_hours_of_round_the_clock_shifts():
    spring, autumn = date(2025, 3, 30), date(2025, 10, 26)
    short = inputs([ALLDAY], spring, spring, (local(spring, 0), local(spring + timedelta(1), 0)))
    long = inputs([ALLDAY], autumn, autumn, (local(autumn, 0), local(autumn + timedelta(1), 0)))
    assert short.all_time_s == short.scheduled_s == 23 * 3600
    assert long.all_time_s == long.scheduled_s == 25 * 3600


def test_a_window_edge_cutting_a_short_stop_keeps_it_a_minor_stop():
    d = date(2025, 10, 14)
    jam = breakdown("j", local(d, 8, 59) + timedelta(seconds=20), local(d, 9, 0) +
                    timedelta(seconds=40))  # 80 s across 09:00
    hour = inputs([ALLDAY], d, d, (local(d, 9), local(d, 10)), [jam])
    assert hour.minor_stop_s == 40 and hour.unplanned_downtime_s == 0 and hour.failures == 0


def test_an_open_stop_runs_to_as_of_and_nothing_after_as_of_is_planned():
    d = date(2025, 10, 14)
    as_of = local(d, 12)
    i = inputs([ALLDAY], d, d, (local(d, 0), local(d + timedelta(1), 0)),
               [breakdown("o", local(d, 10), None)], as_of=as_of)
    assert i.all_time_s == i.planned_production_s == 12 * 3600
    assert i.unplanned_downtime_s == 2 * 3600 and i.repair_s == 2 * 3600


def test_stops_outside_planned_time_do_not_count():
    d = date(2025, 10, 14)
    early = ShiftDef("E", "Early", time(6), time(14), breaks=((time(10), time(11)),))
    stop = breakdown("s", local(d, 5), local(d, 10, 30))  # 06:00–10:00 counts; break is planned
    i = inputs([early], d, d, (local(d, 0), local(d + timedelta(1), 0)), [stop])
    assert i.unplanned_downtime_s == 4 * 3600
    assert i.planned_production_s == 7 * 3600 and i.run_s == 3 * 3600


def test_no_shift_means_no_planned_time_and_undefined_ratios():
    d = date(2025, 10, 14)
    i = inputs([], d, d, (local(d, 0), local(d + timedelta(1), 0)),
               counts=[Count(local(d, 9), 10, 10, ideal_cycle_time_s=1)])
    assert i.planned_production_s == 0 and i.total_count == 10


def test_counts_are_points_or_pro_rated_over_their_period():
    t = datetime(2025, 10, 14, 10, tzinfo=UTC)
    point = Count(t, 10, 10)
    assert count_share(point, (t, t + H)) == 1.0
    assert count_share(point, (t - H, t)) == 0.0  # half-open: the window ends before it
    spread = Count(t, 60, 60, period_start=t - 60 * M)
    assert count_share(spread, (t - 15 * M, t + H)) == 0.25


@given(st.integers(1, 23 * 60 - 1), st.lists(st.tuples(st.integers(0, 1439),
                                                        st.integers(1, 300)), max_size=6))
def test_splitting_a_day_in_two_windows_adds_up(cut_minute, spec):
    d = date(2025, 10, 14)
    start, end = local(d, 0), local(d + timedelta(1), 0)
    cut = start + cut_minute * M
    stops = [breakdown(f"s{i}", start + a * M, start + (a + b) * M)
             for i, (a, b) in enumerate(spec)]
    counts = [Count(start + a * M, 5, 4, scrap=1, ideal_cycle_time_s=30,
                    period_start=start + max(0, a - b) * M) for a, b in spec if a > 0]
    whole = inputs([ALLDAY], d, d, (start, end), stops, counts)
    parts = (inputs([ALLDAY], d, d, (start, cut), stops, counts)
             + inputs([ALLDAY], d, d, (cut, end), stops, counts))
    for name in ("all_time_s", "scheduled_s", "planned_downtime_s", "minor_stop_s",
                 "unplanned_downtime_s", "total_count", "good_count", "ideal_output_s",
                 "failures", "repair_s"):
        assert abs(getattr(whole, name) - getattr(parts, name)) < 1e-6, name
