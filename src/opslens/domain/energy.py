"""Energy: readings to increments, pro-rating, local days and hours, tariffs, intensity.

Seed 004 §3.2 (``energy_readings``, ``energy_baselines``, ``energy_costs``) and §7.5 (kWh per
batch and per unit, baselines with deviations above 10 % flagged, peak/off-peak rates);
DESIGN.md §3 (UTC instants, half-open windows, local days of 23 h or 25 h across DST) and §4
(``kwh_consumed`` is the increment since the previous reading, ``meter_reading`` the cumulative
meter value). Units: energy [kWh], rates [currency/kWh], costs [currency].

An increment's energy flows uniformly over ``(start, end]``. Its share of a window ``W`` is

    E_W = E · |(start, end) ∩ W| / (end − start)

so energy is clipped to days, hours and rate periods and never given whole to one side.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TypeVar
from zoneinfo import ZoneInfo

from opslens.domain.calendars import ALL_WEEKDAYS
from opslens.domain.comparison import Direction
from opslens.domain.intervals import Interval, local_day_bounds, union
from opslens.domain.periods import Bucket
from opslens.domain.periods import as_utc as _utc
from opslens.domain.periods import require as _require
from opslens.errors import InvalidInput

__all__ = [
    "DIRECTIONS", "FLAT", "CostBreakdown", "Increment",
    "Reading", "Tariff", "TouPeriod", "baseline_deviation_pct", "by_bucket", "by_hour",
    "by_local_day", "cost", "cost_by_bucket",
    "deviation_flag", "increments", "kwh_by_key", "kwh_per_good_unit", "kwh_per_unit",
    "prorate", "rate_at",
]

FLAT = "flat"
"""Period name of energy billed at a tariff's flat rate."""

K = TypeVar("K", bound=Hashable)
_DAY, _HOUR, _TICK = timedelta(days=1), timedelta(hours=1), timedelta(microseconds=1)
_PCT_TOLERANCE = 1e-9  # 100·(1.1 − 1.0)/1.0 is 10.000000000000009 in floats: not above 10 %


def _amount(value: object, what: str | Callable[[], str]) -> float:
    """``value`` as a float if it is a finite number ≥ 0; ``what`` names it in the error (a
    callable when the name is costly to build: readings are checked by the thousand)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
            and value >= 0:
        return float(value)
    raise InvalidInput(f"{what if isinstance(what, str) else what()} ({value!r}) must be a "
                       "finite number ≥ 0")


def _wall(t: time) -> timedelta:
    """Wall-clock time since local midnight."""
    return datetime.combine(date.min, t) - datetime.min


@dataclass(frozen=True)
class Reading:
    """One energy reading of one machine: exactly one of an increment or a meter value.

    ``kwh`` is the energy used since the machine's previous reading [kWh]; ``meter`` is the
    cumulative meter value [kWh]. ``at`` must be timezone-aware; it is stored in UTC.
    """

    at: datetime
    kwh: float | None = None
    meter: float | None = None

    def __post_init__(self) -> None:
        at = _utc(self.at, "reading time")
        if (self.kwh is None) == (self.meter is None):
            raise InvalidInput(f"reading at {at.isoformat()} must give exactly one of kwh (the "
                               "increment since the previous reading) and meter (the cumulative "
                               "meter value)")
        kind = "kwh" if self.meter is None else "meter"
        value = _amount(getattr(self, kind), lambda: f"{kind} of the reading at {at.isoformat()}")
        object.__setattr__(self, kind, value)
        object.__setattr__(self, "at", at)


@dataclass(frozen=True)
class Increment:
    """Energy ``kwh`` [kWh] used over ``(start, end]``; ``start=None`` means all at ``end``."""

    start: datetime | None
    end: datetime
    kwh: float

    def __post_init__(self) -> None:
        end = _utc(self.end, "increment end")
        start = None if self.start is None else _utc(self.start, "increment start")
        if start is not None and start >= end:
            raise InvalidInput(f"increment start {self.start} is not before its end "
                               f"{end.isoformat()}; use start=None for energy at one instant")
        object.__setattr__(self, "kwh", _amount(self.kwh, lambda: f"kwh of the increment to {end}"))
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


def increments(readings: Iterable[Reading]) -> list[Increment]:
    """Energy increments of ONE machine from its readings, in time order.

    Readings are sorted by time. An increment reading at ``t`` covers ``(t_prev, t]`` where
    ``t_prev`` is the previous reading of either kind (``start=None`` if it is the first). A meter
    reading ``m`` after the previous meter reading ``m_prev`` at ``t_m`` covers ``(t_m, t]`` with

        E = m − m_prev   if m ≥ m_prev,   else   E = m   (reset or rollover: counted from 0)

    The meter's rollover value is unknown, so energy between the last reading before a reset and
    the reset itself is lost (an underestimate, never a negative or huge spike). The first meter
    reading only sets the baseline; increment readings never change it.

    Raises
    ------
    InvalidInput
        Two readings at one instant, or a negative value (the message names the reading time).

    Examples
    --------
    >>> t = lambda h: datetime(2025, 1, 6, h, tzinfo=UTC)
    >>> [(i.start.hour, i.end.hour, i.kwh) for i in increments(
    ...     [Reading(t(10), meter=3), Reading(t(8), meter=1000), Reading(t(9), meter=1010)])]
    [(8, 9, 10.0), (9, 10, 3.0)]
    """
    ordered = list(readings)
    _require(all(isinstance(r, Reading) for r in ordered), "readings must be Reading values")
    ordered.sort(key=lambda reading: reading.at)
    result: list[Increment] = []
    previous: datetime | None = None
    meter_at: datetime | None = None
    meter = 0.0
    for reading in ordered:
        _require(reading.at != previous, f"two readings at {reading.at.isoformat()} for one "
                 "machine; keep one reading per instant")
        if reading.meter is None:
            result.append(Increment(previous, reading.at, reading.kwh or 0.0))
        else:
            if meter_at is not None:
                used = reading.meter - meter if reading.meter >= meter else reading.meter
                result.append(Increment(meter_at, reading.at, used))
            meter_at, meter = reading.at, reading.meter
        previous = reading.at
    return result


def _spread(items: Iterable[Increment], edges: Sequence[datetime]) -> list[float]:
    """Energy [kWh] in each bucket ``[edges[i], edges[i+1])`` (edges sorted, UTC)."""
    totals = [0.0] * max(len(edges) - 1, 0)
    for item in items:
        _require(isinstance(item, Increment), f"{item!r} is not an Increment(start, end, kwh)")
        if item.start is None:
            i = bisect_right(edges, item.end) - 1
            if 0 <= i < len(totals):
                totals[i] += item.kwh
            continue
        span = item.end - item.start
        i = max(bisect_right(edges, item.start) - 1, 0)
        while i < len(totals) and edges[i] < item.end:
            overlap = min(item.end, edges[i + 1]) - max(item.start, edges[i])
            if overlap > timedelta(0):
                totals[i] += item.kwh * (overlap / span)
            i += 1
    return totals


def prorate(items: Iterable[Increment], window: Interval) -> float:
    """Energy inside a window. [kWh]

    ``E_W = Σ E_i · |(start_i, end_i) ∩ W| / (end_i − start_i)``; an increment without a start
    counts wholly when its end lies in ``W = [window start, window end)``.

    Examples
    --------
    >>> t = lambda h, m=0: datetime(2025, 1, 6, h, m, tzinfo=UTC)
    >>> six = [Increment(t(10), t(10, 30), 6.0)]
    >>> round(prorate(six, (t(10), t(10, 10))), 9), round(prorate(six, (t(10, 10), t(11))), 9)
    (2.0, 4.0)
    """
    bounds = union([window])
    return _spread(items, bounds[0])[0] if bounds else 0.0


def _range(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[list[date], Interval]:
    """The days ``first_day`` … ``last_day`` and the real interval they span."""
    start, stop = local_day_bounds(first_day, tz)[0], local_day_bounds(last_day, tz)[1]
    _require(first_day <= last_day, f"first_day ({first_day}) is after last_day ({last_day}); "
             "swap them")
    return [first_day + k * _DAY for k in range((last_day - first_day).days + 1)], (start, stop)


def by_local_day(
    items: Iterable[Increment], tz: ZoneInfo, first_day: date, last_day: date
) -> dict[date, float]:
    """Energy per site-local day, ``first_day`` to ``last_day`` inclusive. [kWh]

    ``E_D = prorate(items, [local 00:00 of D, local 00:00 of D+1))``.

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> night = [Increment(datetime(2025, 1, 1, 22, tzinfo=ny), datetime(2025, 1, 2, 6,
    ...          tzinfo=ny), 8.0)]
    >>> by_local_day(night, ny, date(2025, 1, 1), date(2025, 1, 2))
    {datetime.date(2025, 1, 1): 2.0, datetime.date(2025, 1, 2): 6.0}
    """
    days, (_, stop) = _range(first_day, last_day, tz)
    edges = [local_day_bounds(day, tz)[0] for day in days] + [stop]
    return dict(zip(days, _spread(items, edges), strict=True))


def by_hour(
    items: Iterable[Increment], tz: ZoneInfo, first_day: date, last_day: date
) -> dict[datetime, float]:
    """Energy per hour of the site's local days ``first_day`` … ``last_day``. [kWh]

    Buckets are consecutive real hours from local midnight of ``first_day``, keyed by their start
    in UTC (``key.astimezone(tz)`` gives the local hour, with the right ``fold`` on a repeated
    hour). A spring-forward day has 23 buckets and a fall-back day 25.

    Examples
    --------
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> day = [Increment(*local_day_bounds(date(2025, 3, 30), berlin), 23.0)]
    >>> hours = by_hour(day, berlin, date(2025, 3, 30), date(2025, 3, 30))
    >>> len(hours), round(sum(hours.values()), 9)
    (23, 23.0)
    """
    _, (start, stop) = _range(first_day, last_day, tz)
    edges = [start + k * _HOUR for k in range(math.ceil((stop - start) / _HOUR))] + [stop]
    return dict(zip(edges[:-1], _spread(items, edges), strict=True))


@dataclass(frozen=True)
class TouPeriod:
    """A time-of-use rate ``rate`` [currency/kWh] over local wall times ``[start, end)``.

    ``end ≤ start`` wraps midnight (``end == start`` is 24 h); ``weekdays`` (ISO, 1 = Monday) are
    the days an occurrence starts on, as for shifts.
    """

    start: time
    end: time
    rate: float
    name: str
    weekdays: frozenset[int] = ALL_WEEKDAYS

    def __post_init__(self) -> None:
        _require(all(isinstance(t, time) and t.tzinfo is None for t in (self.start, self.end)),
                 f"period {self.name!r} start and end must be local times, e.g. time(8, 0)")
        _amount(self.rate, f"rate of period {self.name!r}")
        _require(isinstance(self.name, str) and self.name.strip() and self.name != FLAT,
                 f"period name {self.name!r} must be non-empty text other than {FLAT!r} "
                 "(reserved for the flat rate)")
        weekdays = frozenset(self.weekdays)
        _require(weekdays and weekdays <= ALL_WEEKDAYS, f"period {self.name!r} weekdays "
                 f"{sorted(weekdays)} must be ISO weekday numbers 1-7 (1 = Monday)")
        object.__setattr__(self, "weekdays", weekdays)

    @property
    def length(self) -> timedelta:
        """Wall-clock length, in (0 h, 24 h]."""
        return (_wall(self.end) - _wall(self.start)) % _DAY or _DAY

    def _covers(self, day: date, wall: timedelta) -> bool:
        begin = _wall(self.start)
        return any((day - k * _DAY).isoweekday() in self.weekdays
                   and begin <= wall + k * _DAY < begin + self.length for k in (0, 1))


@dataclass(frozen=True)
class Tariff:
    """Energy rates in force from local date ``effective_from`` until the next tariff.

    ``flat_rate`` [currency/kWh] applies wherever no ``periods`` entry covers the local time.
    Periods of one tariff must not overlap in the weekly wall-clock schedule.
    """

    effective_from: date
    flat_rate: float
    periods: tuple[TouPeriod, ...] = ()

    def __post_init__(self) -> None:
        since = self.effective_from
        _require(isinstance(since, date) and not isinstance(since, datetime),
                 f"effective_from {since!r} must be a date")
        _amount(self.flat_rate, f"flat_rate of the tariff from {since}")
        periods = tuple(self.periods)
        _require(all(isinstance(p, TouPeriod) for p in periods),
                 f"periods of the tariff from {since} must be TouPeriod values")
        object.__setattr__(self, "periods", periods)
        # occurrences as [from, to) offsets in a wall-clock week; the part past Sunday wraps
        week = 7 * _DAY
        spans = [((d - 1) * _DAY + _wall(p.start), p) for p in periods for d in p.weekdays]
        spans = sorted([(a, a + p.length, p.name) for a, p in spans]
                       + [(a - week, a + p.length - week, p.name) for a, p in spans])
        for (_, end, first), (start, _, second) in pairwise(spans):
            _require(start >= end, f"periods {first!r} and {second!r} of the tariff from {since} "
                     "overlap; make them disjoint")


def _schedule(tariffs: Iterable[Tariff]) -> list[Tariff]:
    ordered = list(tariffs)
    _require(all(isinstance(t, Tariff) for t in ordered), "tariffs must be Tariff values")
    ordered.sort(key=lambda t: t.effective_from)
    for left, right in pairwise(ordered):
        _require(left.effective_from != right.effective_from,
                 f"two tariffs take effect on {left.effective_from}; keep one")
    return ordered


def _rate(schedule: Sequence[Tariff], instant: datetime, tz: ZoneInfo) -> tuple[str, float]:
    local = instant.astimezone(tz)
    day = local.date()
    i = bisect_right(schedule, day, key=lambda t: t.effective_from) - 1
    _require(i >= 0, f"no tariff is in force on {day}; add one effective on or before it")
    wall = _wall(local.time())
    for period in schedule[i].periods:
        if period._covers(day, wall):
            return period.name, period.rate
    return FLAT, schedule[i].flat_rate


def rate_at(tariffs: Iterable[Tariff], instant: datetime, tz: ZoneInfo) -> tuple[str, float]:
    """The rate period name and rate [currency/kWh] in force at an instant.

    The tariff is the one with the latest ``effective_from`` ≤ the local date; the rate is that of
    the period covering the local wall time, else the flat rate (name ``'flat'``).

    Examples
    --------
    >>> peak = TouPeriod(time(8), time(20), 0.30, "peak")
    >>> rate_at([Tariff(date(2025, 1, 1), 0.10, (peak,))], datetime(2025, 6, 2, 9, tzinfo=UTC),
    ...         ZoneInfo("Europe/Berlin"))
    ('peak', 0.3)
    """
    return _rate(_schedule(tariffs), _utc(instant, "instant"), tz)


def _rate_edges(
    schedule: Sequence[Tariff], tz: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Cuts of ``[start, end)`` into pieces of constant rate: local midnights and period ends
    (both folds of a repeated wall time) and the zone's offset changes (where wall time jumps)."""
    walls = {time(0)} | {t for tariff in schedule for p in tariff.periods for t in (p.start, p.end)}
    cuts: set[datetime] = set()
    day, last = start.astimezone(tz).date() - _DAY, end.astimezone(tz).date() + _DAY
    while day <= last:
        lo, hi = local_day_bounds(day, tz)
        cuts |= {datetime.combine(day, t.replace(fold=f), tz).astimezone(UTC)
                 for t in walls for f in (0, 1)}
        offset = lo.astimezone(tz).utcoffset()
        if hi.astimezone(tz).utcoffset() != offset:  # bisect for the DST transition
            while hi - lo > _TICK:
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if mid.astimezone(tz).utcoffset() == offset else (lo, mid)
            cuts.add(hi)
        day += _DAY
    return [start, *sorted(cut for cut in cuts if start < cut < end), end]


@dataclass(frozen=True)
class CostBreakdown:
    """Energy [kWh] and cost [currency] in a window, in total and per rate period name."""

    kwh: float
    cost: float
    kwh_by_period: dict[str, float]
    cost_by_period: dict[str, float]


def cost(
    items: Iterable[Increment], tariffs: Iterable[Tariff], tz: ZoneInfo, window: Interval
) -> CostBreakdown:
    """Energy cost in a window, split at rate-period boundaries and tariff changes. [currency]

    ``C = Σ_p r_p · E_p`` where ``E_p`` is the energy pro-rated (see :func:`prorate`) into the
    window's pieces where rate period ``p`` (rate ``r_p`` [currency/kWh]) is in force, found from
    local wall times (DST-correct). Only periods with energy appear; totals are the sums of the
    per-period values. Raises InvalidInput if energy falls on a date with no tariff in force.

    Examples
    --------
    >>> t = lambda h: datetime(2025, 6, 2, h, tzinfo=UTC)
    >>> peak = Tariff(date(2025, 1, 1), 0.10, (TouPeriod(time(8), time(20), 0.30, "peak"),))
    >>> bill = cost([Increment(t(19), t(21), 12.0)], [peak], ZoneInfo("UTC"), (t(0), t(23)))
    >>> round(bill.cost, 6), {k: round(v, 6) for k, v in bill.cost_by_period.items()}
    (2.4, {'peak': 1.8, 'flat': 0.6})
    """
    schedule, items = _schedule(tariffs), list(items)
    kwh_by: dict[str, float] = {}
    cost_by: dict[str, float] = {}
    bounds = union([window])
    if bounds and items:
        edges = _rate_edges(schedule, tz, *bounds[0])
        for edge, energy in zip(edges, _spread(items, edges), strict=False):
            if energy > 0:
                name, rate = _rate(schedule, edge, tz)
                kwh_by[name] = kwh_by.get(name, 0.0) + energy
                cost_by[name] = cost_by.get(name, 0.0) + energy * rate
    return CostBreakdown(math.fsum(kwh_by.values()), math.fsum(cost_by.values()), kwh_by, cost_by)


def kwh_per_unit(kwh: float, units: float) -> float | None:
    """Energy intensity ``e = E / n`` [kWh/unit]; None when ``n = 0`` (seed 004 §7.5).

    >>> kwh_per_unit(50.0, 200), kwh_per_unit(5.0, 0)
    (0.25, None)
    """
    energy, count = _amount(kwh, "kwh"), _amount(units, "units")
    return None if count == 0 else energy / count


def kwh_per_good_unit(kwh: float, good_units: float) -> float | None:
    """Energy per good (saleable) unit ``E / n_good`` [kWh/unit]; None when no good unit.

    >>> kwh_per_good_unit(50.0, 160)
    0.3125
    """
    return kwh_per_unit(kwh, _amount(good_units, "good_units"))


def baseline_deviation_pct(actual: float | None, baseline: float | None) -> float | None:
    """Deviation from a baseline ``100 · (actual − baseline) / baseline`` [%].

    Both in the same unit (kWh/unit or kWh/h). None when either is missing or the baseline is 0.

    >>> baseline_deviation_pct(111.0, 100.0), baseline_deviation_pct(1.0, 0)
    (11.0, None)
    """
    if actual is None or baseline is None:
        return None
    actual, baseline = _amount(actual, "actual"), _amount(baseline, "baseline")
    return None if baseline == 0 else 100.0 * (actual - baseline) / baseline


def deviation_flag(pct: float | None, threshold_pct: float = 10.0) -> bool:
    """True when ``|pct| > threshold_pct`` [%] (seed 004 §7.5 "flag deviations > 10%").

    A deviation equal to the threshold (up to float noise of 1e-9 %) or None is not flagged.

    >>> deviation_flag(11.0), deviation_flag(-11.0), deviation_flag(10.0), deviation_flag(None)
    (True, True, False, False)
    """
    threshold = _amount(threshold_pct, "threshold_pct")
    if pct is None:
        return False
    _require(not isinstance(pct, bool) and isinstance(pct, int | float) and not math.isnan(pct),
             f"pct ({pct!r}) must be a number or None")
    return abs(pct) - threshold > _PCT_TOLERANCE


# ---- analytics: attribution and buckets (seed 004 §7.5; buckets: domain.periods) ----------

DIRECTIONS: dict[str, Direction] = {
    "kwh": Direction.lower_is_better,
    "kwh_per_unit": Direction.lower_is_better,
    "kwh_per_good_unit": Direction.lower_is_better,
    "cost": Direction.lower_is_better,
    "units": Direction.higher_is_better,
    "good_units": Direction.higher_is_better,
}
"""Which way each energy metric improves, declared once (DESIGN.md §3, §11: energy is lower is
better, unlike seed 001's ranking)."""

def kwh_by_key(tagged: Iterable[tuple[K, Increment]], window: Interval) -> dict[K, float]:
    """Energy inside a window per key (work order, batch, product, machine…). [kWh]

    ``E_k = Σ_{i: key_i = k} E_i · |(start_i, end_i) ∩ W| / (end_i − start_i)`` (see
    :func:`prorate`); every key that is given appears, with 0 if none of its energy is inside.
    The values sum to ``prorate`` of all the increments: nothing is lost or counted twice.

    Examples
    --------
    >>> t = lambda h: datetime(2025, 1, 6, h, tzinfo=UTC)
    >>> kwh_by_key([("WO-1", Increment(t(8), t(10), 20.0)), (None, Increment(t(10), t(11), 5.0)),
    ...             ("WO-1", Increment(t(11), t(12), 1.0))], (t(9), t(11)))
    {'WO-1': 10.0, None: 5.0}
    """
    grouped: dict[K, list[Increment]] = {}
    for key, item in tagged:
        grouped.setdefault(key, []).append(item)
    return {key: prorate(items, window) for key, items in grouped.items()}


def _edges(buckets: Sequence[Bucket]) -> list[datetime]:
    for left, right in pairwise(buckets):
        _require(left.end == right.start, f"buckets {left.label} and {right.label} do not "
                 "touch; pass consecutive buckets")
    return [b.start for b in buckets] + [buckets[-1].end] if buckets else []


def by_bucket(items: Iterable[Increment], buckets: Sequence[Bucket]) -> list[float]:
    """Energy in each of consecutive buckets, pro-rated as in :func:`prorate`. [kWh]

    >>> t = lambda h: datetime(2025, 1, 6, h, tzinfo=UTC)
    >>> by_bucket([Increment(t(9), t(12), 6.0)], [Bucket("a", t(8), t(10)), Bucket("b", t(10),
    ...           t(11))])
    [2.0, 2.0]
    """
    edges = _edges(buckets)
    return _spread(items, edges) if edges else []


def cost_by_bucket(
    items: Iterable[Increment], tariffs: Iterable[Tariff], tz: ZoneInfo,
    buckets: Sequence[Bucket],
) -> list[float | None]:
    """Energy cost in each of consecutive buckets, at the rates in force (see :func:`cost`).

    ``C_b = Σ_p r_p · E_{b,p}`` over the pieces of bucket ``b`` of constant rate. [currency]
    A bucket with energy on a date that no tariff covers yet has cost None (unknown), never 0.

    >>> t = lambda h: datetime(2025, 6, 2, h, tzinfo=UTC)
    >>> peak = Tariff(date(2025, 1, 1), 0.10, (TouPeriod(time(8), time(20), 0.30, "peak"),))
    >>> [round(c, 6) for c in cost_by_bucket([Increment(t(19), t(21), 12.0)], [peak],
    ...  ZoneInfo("UTC"), [Bucket("19", t(19), t(20)), Bucket("20", t(20), t(21))])]
    [1.8, 0.6]
    """
    schedule, items, edges = _schedule(tariffs), list(items), _edges(buckets)
    costs: list[float | None] = [0.0] * len(buckets)
    if not edges or not items:
        return costs
    pieces = sorted(set(_rate_edges(schedule, tz, edges[0], edges[-1])) | set(edges))
    for edge, energy in zip(pieces, _spread(items, pieces), strict=False):
        i = bisect_right(edges, edge) - 1
        if energy <= 0 or costs[i] is None:
            continue
        day = edge.astimezone(tz).date()
        if not schedule or day < schedule[0].effective_from:
            costs[i] = None
            continue
        costs[i] = (costs[i] or 0.0) + energy * _rate(schedule, edge, tz)[1]
    return costs
