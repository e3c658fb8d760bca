"""The ISO 22400-2 time model of one machine over one window (DESIGN.md §5.5).

From the machine's shift calendar, its stops (already resolved so none overlap, see
:mod:`opslens.domain.downtime`) and its production counts, build the sums that
:mod:`opslens.domain.oee` turns into availability, performance, quality and OEE::

    scheduled            = ⋃ shift intervals ∩ window                     (breaks included)
    planned downtime     = breaks ∩ scheduled  +  planned stops ∩ (scheduled − breaks)
    planned production   = scheduled − planned downtime
    unplanned downtime   = availability-loss stops ∩ planned production   (minor stops excluded)
    minor stops          = minor stops ∩ planned production               (a performance loss)

The window ends at ``as_of`` at the latest: time that has not happened yet is not planned
production time, and counts and stops after ``as_of`` are not yet known. A count with a
``period_start`` was made over ``[period_start, counted_at)`` and is pro-rated by the share of
that period inside the window; a count without one is a point at ``counted_at``. A count is
known from its ``counted_at`` on (a count reported at 11:30 for 10:30–11:30 adds nothing at
11:00).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from opslens.domain.calendars import ShiftInstance
from opslens.domain.downtime import DEFAULT_MINOR_STOP_S, Piece, stop_loss
from opslens.domain.intervals import Interval, intersect, measure, subtract, union
from opslens.domain.oee import OeeInputs


@dataclass(frozen=True)
class Count:
    """Units made by one machine: increments, at ``counted_at`` or over a period ending there."""

    counted_at: datetime
    total: float
    good: float
    scrap: float = 0.0
    rework: float = 0.0
    startup_rejects: float = 0.0
    period_start: datetime | None = None
    ideal_cycle_time_s: float | None = None  # None: unknown for this machine and product


def _seconds(intervals: Iterable[Interval]) -> float:
    return measure(intervals).total_seconds()


def count_share(count: Count, window: Interval) -> float:
    """The share of a count that falls inside ``window`` (0 to 1).

    >>> from datetime import UTC, timedelta
    >>> t = datetime(2025, 3, 3, 10, tzinfo=UTC)
    >>> c = Count(t, total=60, good=60, period_start=t - timedelta(minutes=30))
    >>> count_share(c, (t - timedelta(minutes=10), t + timedelta(hours=1)))
    0.3333333333333333
    >>> count_share(Count(t, 1, 1), (t, t + timedelta(hours=1)))
    1.0
    """
    lo, hi = window
    if count.period_start is None:
        return 1.0 if lo <= count.counted_at < hi else 0.0
    period = (count.counted_at - count.period_start).total_seconds()
    inside = (min(count.counted_at, hi) - max(count.period_start, lo)).total_seconds()
    return max(0.0, inside) / period


def machine_inputs(
    window: Interval,
    shifts: Sequence[ShiftInstance],
    pieces: Sequence[Piece],
    counts: Sequence[Count],
    as_of: datetime,
    minor_stop_s: float = DEFAULT_MINOR_STOP_S,
) -> OeeInputs:
    """Sums of one machine over ``window`` (see the module docstring). [s], [units]

    ``pieces`` are the machine's stops resolved at ``as_of``; a piece whose stop is a failure
    (``stop.failure``) adds to ``failures`` (when the stop begins in the window) and
    ``repair_s``.

    Examples
    --------
    An 8-hour shift with a 30-minute break, a 45-minute breakdown and a 90-second jam; 400
    units at an ideal 60 s, 390 good:

    >>> from datetime import UTC, timedelta
    >>> from opslens.domain.downtime import Stop, resolve
    >>> t = datetime(2025, 3, 3, 6, tzinfo=UTC)
    >>> h = timedelta(hours=1)
    >>> shift = ShiftInstance("A", "Early", t.date(), (t, t + 8 * h),
    ...                       ((t + 4 * h, t + 4.5 * h),))
    >>> stops = [Stop("s1", t + h, t + 1.75 * h, "BREAKDOWN", False, "breakdowns", 1),
    ...          Stop("s2", t + 2 * h, t + 2 * h + timedelta(seconds=90), "BREAKDOWN", False,
    ...               "breakdowns", 1)]
    >>> pieces = resolve(stops, as_of=t + 9 * h)
    >>> i = machine_inputs((t, t + 8 * h), [shift], pieces,
    ...                    [Count(t + 7 * h, 400, 390, scrap=10, ideal_cycle_time_s=60)],
    ...                    as_of=t + 9 * h)
    >>> (i.planned_production_s / 60, i.unplanned_downtime_s / 60, i.minor_stop_s, i.run_s / 60)
    (450.0, 45.0, 90.0, 405.0)
    """
    lo, hi = window[0], min(window[1], as_of)
    if hi <= lo:
        return OeeInputs()
    w = [(lo, hi)]
    scheduled = intersect(union(s.interval for s in shifts), w)
    breaks = intersect(union(b for s in shifts for b in s.breaks), scheduled)
    working = subtract(scheduled, breaks)
    planned_stops = intersect(
        union((p.start, p.end) for p in pieces if p.stop.planned), working)
    production = subtract(working, planned_stops)

    by_loss: dict[str, list[Interval]] = {"breakdowns": [], "setup_adjustments": [],
                                          "minor_stops": []}
    failure_spans: list[Interval] = []
    failures = 0
    for piece in pieces:
        if piece.stop.planned:
            continue
        loss = stop_loss(piece.stop, as_of, minor_stop_s)
        by_loss[loss].append((piece.start, piece.end))
        if piece.stop.failure and loss != "minor_stops":
            failure_spans.append((piece.start, piece.end))
    for stop in {p.stop for p in pieces}:
        if (stop.failure and lo <= stop.start < hi
                and stop_loss(stop, as_of, minor_stop_s) != "minor_stops"):
            failures += 1
    down = {loss: _seconds(intersect(union(spans), production))
            for loss, spans in by_loss.items()}

    sums = dict(total=0.0, good=0.0, scrap=0.0, rework=0.0, startup=0.0, ideal_total=0.0,
                ideal_good=0.0, ideal_startup=0.0, unknown=0.0)
    for count in counts:
        if count.counted_at > as_of:  # reported later: not yet known
            continue
        share = count_share(count, (lo, hi))
        if share == 0:
            continue
        sums["total"] += share * count.total
        sums["good"] += share * count.good
        sums["scrap"] += share * count.scrap
        sums["rework"] += share * count.rework
        sums["startup"] += share * count.startup_rejects
        if count.ideal_cycle_time_s is None:
            sums["unknown"] += share * count.total
        else:
            sums["ideal_total"] += share * count.total * count.ideal_cycle_time_s
            sums["ideal_good"] += share * count.good * count.ideal_cycle_time_s
            sums["ideal_startup"] += share * count.startup_rejects * count.ideal_cycle_time_s

    return OeeInputs(
        all_time_s=(hi - lo).total_seconds(),
        scheduled_s=_seconds(scheduled),
        planned_downtime_s=_seconds(breaks) + _seconds(planned_stops),
        unplanned_downtime_s=down["breakdowns"] + down["setup_adjustments"],
        setup_s=down["setup_adjustments"],
        minor_stop_s=down["minor_stops"],
        ideal_output_s=sums["ideal_total"],
        ideal_good_s=sums["ideal_good"],
        ideal_startup_reject_s=sums["ideal_startup"],
        total_count=sums["total"],
        good_count=sums["good"],
        scrap_count=sums["scrap"],
        rework_count=sums["rework"],
        startup_reject_count=sums["startup"],
        unknown_ideal_count=sums["unknown"],
        failures=failures,
        repair_s=_seconds(intersect(union(failure_spans), production)),
    )
