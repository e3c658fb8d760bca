"""Named reporting periods and comparison periods, on the site's local calendar.

DESIGN.md §3 "Named periods" and "Comparison periods" (seed 003 "Time Periods", "Comparison
Mode" and "Caching Strategy"). All ranges are of local calendar dates, inclusive at both ends;
"today" is always passed in (see :func:`local_today`), never read from a clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from opslens.domain.intervals import Interval, local_day_bounds, local_hours, union
from opslens.errors import InvalidInput

__all__ = [
    "COMPARISON_TYPES",
    "GRANULARITIES",
    "PERIOD_NAMES",
    "Bucket",
    "DateRange",
    "Granularity",
    "aware_as_of",
    "cache_ttl_seconds",
    "calendar_buckets",
    "comparison_range",
    "comparison_window",
    "local_today",
    "next_unit",
    "resolve_period",
    "shift_months",
    "unit_start",
]

PERIOD_NAMES: tuple[str, ...] = (
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "last_7_days",
    "last_14_days",
    "last_30_days",
    "last_60_days",
    "last_90_days",
    "this_month",
    "last_month",
    "this_quarter",
    "this_year",
    "custom",
)

COMPARISON_TYPES: tuple[str, ...] = (
    "previous_period",
    "previous_week",
    "previous_month",
    "previous_quarter",
    "previous_year",
)

_ONE_DAY = timedelta(days=1)
_ROLLING_DAYS = {f"last_{n}_days": n for n in (7, 14, 30, 60, 90)}
_MONTHS_BACK = {"previous_month": 1, "previous_quarter": 3, "previous_year": 12}
_CACHE_TTL_SECONDS = {"yesterday": 3600, "last_week": 3600, "last_month": 7200, "custom": 1800}
_TTL_CONTAINS_TODAY = 300


def _check_date(name: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(f"{name} {value!r} must be a date (no time of day), e.g. 2025-10-14")
    return value


@dataclass(frozen=True)
class DateRange:
    """Local calendar dates ``start`` … ``end``, both inclusive.

    Examples
    --------
    >>> october = DateRange(date(2025, 10, 1), date(2025, 10, 14))
    >>> len(october), october.days[-1].isoformat()
    (14, '2025-10-14')
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        _check_date("start", self.start)
        _check_date("end", self.end)
        if self.start > self.end:
            raise InvalidInput(
                f"range start ({self.start}) is after its end ({self.end}); swap the dates"
            )

    @property
    def days(self) -> list[date]:
        """Every date of the range, in order."""
        return [self.start + timedelta(days=n) for n in range(len(self))]

    def __len__(self) -> int:
        return (self.end - self.start).days + 1


def resolve_period(
    name: str, today: date, date_from: date | None = None, date_to: date | None = None
) -> DateRange:
    """Turn a named period into its inclusive date range.

    - ``today``, ``yesterday``: that one day.
    - ``this_week``: Monday of this week to today; ``last_week``: the previous Monday–Sunday.
    - ``last_N_days``: the N days ending with today, ``[today − (N − 1), today]``.
    - ``this_month``, ``this_quarter``, ``this_year``: from the unit's first day to today.
    - ``last_month``: the whole previous calendar month.
    - ``custom``: ``[date_from, date_to]``; both are required and only allowed here.

    Parameters
    ----------
    name : str
        One of :data:`PERIOD_NAMES`.
    today : date
        The site's local date "now" (from :func:`local_today` and ``as_of``).
    date_from, date_to : date, optional
        Inclusive bounds of a ``custom`` period.

    Examples
    --------
    >>> r = resolve_period("last_7_days", date(2025, 10, 14))
    >>> r.start.isoformat(), r.end.isoformat()
    ('2025-10-08', '2025-10-14')
    >>> r = resolve_period("last_week", date(2025, 10, 14))
    >>> r.start.isoformat(), r.end.isoformat()
    ('2025-10-06', '2025-10-12')
    """
    if name not in PERIOD_NAMES:
        raise InvalidInput(f"unknown period {name!r}; use one of: {', '.join(PERIOD_NAMES)}")
    today = _check_date("today", today)
    if name == "custom":
        missing = [n for n, v in (("date_from", date_from), ("date_to", date_to)) if v is None]
        if missing:
            raise InvalidInput(f"period 'custom' needs {' and '.join(missing)} (inclusive dates)")
        start, end = _check_date("date_from", date_from), _check_date("date_to", date_to)
        if start > end:
            raise InvalidInput(
                f"date_from ({start}) is after date_to ({end}); swap them or fix one of them"
            )
        return DateRange(start, end)
    if date_from is not None or date_to is not None:
        raise InvalidInput(
            f"date_from and date_to are only allowed with period 'custom', not {name!r}; "
            "drop them or set period to 'custom'"
        )
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    if name == "today":
        return DateRange(today, today)
    if name == "yesterday":
        return DateRange(today - _ONE_DAY, today - _ONE_DAY)
    if name == "this_week":
        return DateRange(monday, today)
    if name == "last_week":
        return DateRange(monday - timedelta(days=7), monday - _ONE_DAY)
    if name in _ROLLING_DAYS:
        return DateRange(today - timedelta(days=_ROLLING_DAYS[name] - 1), today)
    if name == "this_month":
        return DateRange(first_of_month, today)
    if name == "last_month":
        last_month_end = first_of_month - _ONE_DAY
        return DateRange(last_month_end.replace(day=1), last_month_end)
    if name == "this_quarter":
        return DateRange(first_of_month.replace(month=3 * ((today.month - 1) // 3) + 1), today)
    return DateRange(date(today.year, 1, 1), today)  # this_year


def shift_months(day: date, months: int) -> date:
    """Move a date by whole calendar months, clamping to the target month's last day.

    Examples
    --------
    >>> shift_months(date(2025, 10, 31), -1).isoformat()  # there is no 31 September
    '2025-09-30'
    >>> shift_months(date(2024, 2, 29), -12).isoformat()
    '2023-02-28'
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def comparison_range(current: DateRange, comparison_type: str) -> DateRange:
    """The range to compare ``current`` with.

    - ``previous_period``: the same number of days immediately before,
      ``[start − n, start − 1]`` with ``n = len(current)``.
    - ``previous_week``: both ends minus 7 days.
    - ``previous_month``, ``previous_quarter``, ``previous_year``: both ends moved back 1, 3 or
      12 calendar months; a day that does not exist (31 Sep, 29 Feb in a common year) is clamped
      to the month's last day.

    Examples
    --------
    >>> r = comparison_range(DateRange(date(2025, 10, 1), date(2025, 10, 14)), "previous_period")
    >>> r.start.isoformat(), r.end.isoformat()
    ('2025-09-17', '2025-09-30')
    >>> r = comparison_range(DateRange(date(2025, 10, 1), date(2025, 12, 31)), "previous_quarter")
    >>> r.start.isoformat(), r.end.isoformat()
    ('2025-07-01', '2025-09-30')
    """
    if not isinstance(current, DateRange):
        raise InvalidInput(f"current {current!r} must be a DateRange")
    if comparison_type == "previous_period":
        length = timedelta(days=len(current))
        return DateRange(current.start - length, current.start - _ONE_DAY)
    if comparison_type == "previous_week":
        week = timedelta(days=7)
        return DateRange(current.start - week, current.end - week)
    if comparison_type in _MONTHS_BACK:
        months = -_MONTHS_BACK[comparison_type]
        return DateRange(shift_months(current.start, months), shift_months(current.end, months))
    raise InvalidInput(
        f"unknown comparison type {comparison_type!r}; use one of: {', '.join(COMPARISON_TYPES)}"
    )


#: The calendar opslens accepts: wide enough for any plant's history and plans, and far
#: enough from date.min/date.max that every day ± a year and every local offset still exist.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def aware_as_of(value: datetime | None, name: str = "as_of") -> datetime | None:
    """An ``as_of`` as given by a caller: None stays None (now); a naive instant or one
    outside the calendar is a ValueError saying how to write it; else the instant in UTC.

    >>> aware_as_of(datetime(2025, 10, 14, 12, tzinfo=UTC)).isoformat()
    '2025-10-14T12:00:00+00:00'
    """
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{name} needs a UTC offset, e.g. 2025-10-14T12:00:00+02:00")
    try:
        return check_day(value.astimezone(UTC), name)
    except OverflowError:  # 9999-12-31T23:59-12:00 has no UTC date
        raise ValueError(f"{name} {value.isoformat()} is out of range: use a date between "
                         f"{EARLIEST.isoformat()} and {LATEST.isoformat()}") from None


def check_day(value: date, name: str) -> date:
    """``value`` itself, if it lies in [EARLIEST, LATEST]; else InvalidInput naming ``name``.

    >>> check_day(date(2025, 10, 14), "date_from")
    datetime.date(2025, 10, 14)
    """
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(f"{name} {value.isoformat()} is out of range: use a date between "
                           f"{EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


def local_today(as_of: datetime, tz: ZoneInfo) -> date:
    """The site's local calendar date at the instant ``as_of``.

    Examples
    --------
    >>> from datetime import UTC
    >>> local_today(datetime(2025, 10, 15, 2, 30, tzinfo=UTC), ZoneInfo("America/New_York"))
    datetime.date(2025, 10, 14)
    """
    if not isinstance(as_of, datetime) or as_of.utcoffset() is None:
        raise InvalidInput(
            f"as_of {as_of!r} must be a timezone-aware datetime, e.g. 2025-10-14T08:00:00+00:00"
        )
    return as_of.astimezone(tz).date()


def cache_ttl_seconds(period_name: str) -> int:
    """How long a result for a named period may be cached (seed 003 "Caching Strategy"). [s]

    ``yesterday`` and ``last_week`` 3600, ``last_month`` 7200, ``custom`` 1800; ``today`` and
    every other named period, which all contain today and so still change, 300.

    Examples
    --------
    >>> cache_ttl_seconds("last_month"), cache_ttl_seconds("this_week")
    (7200, 300)
    """
    if period_name not in PERIOD_NAMES:
        raise InvalidInput(f"unknown period {period_name!r}; use one of: {', '.join(PERIOD_NAMES)}")
    return _CACHE_TTL_SECONDS.get(period_name, _TTL_CONTAINS_TODAY)


# ---- calendar buckets and comparison windows of real instants --------------------------------

_HOUR = timedelta(hours=1)


def require(ok: object, message: str) -> None:
    """Raise InvalidInput(``message``) unless ``ok``: the domain's argument check."""
    if not ok:
        raise InvalidInput(message)


def as_utc(value: object, what: str) -> datetime:
    """An aware datetime in UTC, or InvalidInput naming ``what``."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC)
    raise InvalidInput(f"{what} {value!r} must be a timezone-aware datetime; attach the site's "
                       "time zone")


Granularity = Literal["hour", "day", "week", "month"]
GRANULARITIES: tuple[str, ...] = ("hour", "day", "week", "month")


@dataclass(frozen=True)
class Bucket:
    """One bucket of a local calendar: its label and the real instants ``[start, end)`` (UTC).

    ``label`` is the local date of a day, the local date of a week's Monday, ``YYYY-MM`` for a
    month, and for an hour its local start with the offset (``2025-10-26T02:00:00+01:00``), which
    tells the two 02:00 hours of a fall-back night apart.
    """

    label: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        """Real length [h]: 23 or 25 for a whole DST-change day."""
        return (self.end - self.start) / _HOUR


def unit_start(day: date, granularity: str) -> date:
    """The first day of the week (Monday) or month holding ``day``; ``day`` itself else."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if granularity == "month" else day


def next_unit(day: date, granularity: str) -> date:
    """The first day of the unit after the one ``day`` starts."""
    if granularity == "week":
        return day + timedelta(days=7)
    if granularity == "month":
        return shift_months(day, 1)
    return day + _ONE_DAY


def calendar_buckets(window: Interval, tz: ZoneInfo, granularity: str) -> list[Bucket]:
    """The site-local hours, days, weeks (from Monday) or months that ``window`` reaches, each
    clipped to the window (DESIGN.md §3).

    A bucket is ``[local start of the unit, local start of the next unit) ∩ window``, so a
    whole day lasts 23 h or 25 h on a DST change, and the first and last buckets of a window
    that starts or ends inside a unit are partial. An empty window has no buckets.

    Examples
    --------
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> days = calendar_buckets((datetime(2025, 3, 29, 23, tzinfo=UTC),
    ...                          datetime(2025, 3, 31, 22, tzinfo=UTC)), berlin, "day")
    >>> [(b.label, b.hours) for b in days]
    [('2025-03-30', 23.0), ('2025-03-31', 24.0)]
    >>> [b.label for b in calendar_buckets((datetime(2025, 10, 26, 0, tzinfo=UTC),
    ...     datetime(2025, 10, 26, 2, tzinfo=UTC)), berlin, "hour")]
    ['2025-10-26T02:00:00+02:00', '2025-10-26T02:00:00+01:00']
    """
    require(granularity in GRANULARITIES, f"unknown granularity {granularity!r}; use one of: "
             f"{', '.join(GRANULARITIES)}")
    bounds = union([window])
    if not bounds:
        return []
    lo, hi = bounds[0]
    if granularity == "hour":
        return [Bucket(start.astimezone(tz).isoformat(), max(start, lo), min(end, hi))
                for start, end in local_hours((lo, hi), tz)]
    out: list[Bucket] = []
    unit = unit_start(lo.astimezone(tz).date(), granularity)
    while True:
        start = local_day_bounds(unit, tz)[0]
        if start >= hi:
            return out
        following = next_unit(unit, granularity)
        label = unit.isoformat()[:7] if granularity == "month" else unit.isoformat()
        out.append(Bucket(label, max(start, lo), min(local_day_bounds(following, tz)[0], hi)))
        unit = following


def comparison_window(window: Interval, tz: ZoneInfo, comparison_type: str) -> Interval:
    """The window to compare ``window`` with (DESIGN.md §3 "Comparison periods").

    A window of whole local days is read as its dates and moved by
    :func:`opslens.domain.periods.comparison_range` (so ``previous_month`` of 1–31 October is
    1–30 September). Any other window: ``previous_period`` is the same real duration just
    before it; the others move its local wall-clock start and end back by 7 days or by 1, 3 or
    12 calendar months (clamped to the month's end), so a shift is compared with the same shift.

    Examples
    --------
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> october = (datetime(2025, 9, 30, 22, tzinfo=UTC), datetime(2025, 10, 31, 23, tzinfo=UTC))
    >>> [t.astimezone(berlin).isoformat() for t in comparison_window(october, berlin,
    ...                                                               "previous_month")]
    ['2025-09-01T00:00:00+02:00', '2025-10-01T00:00:00+02:00']
    >>> shift = (datetime(2025, 10, 28, 5, tzinfo=UTC), datetime(2025, 10, 28, 13, tzinfo=UTC))
    >>> [t.astimezone(berlin).strftime("%d %H:%M") for t in comparison_window(shift, berlin,
    ...                                                                      "previous_week")]
    ['21 06:00', '21 14:00']
    """
    require(comparison_type in COMPARISON_TYPES, f"unknown comparison type "
             f"{comparison_type!r}; use one of: {', '.join(COMPARISON_TYPES)}")
    lo, hi = as_utc(window[0], "window start"), as_utc(window[1], "window end")
    require(lo < hi, f"window start {lo.isoformat()} is not before its end {hi.isoformat()}")
    first, after = lo.astimezone(tz).date(), hi.astimezone(tz).date()
    if local_day_bounds(first, tz)[0] == lo and local_day_bounds(after, tz)[0] == hi:
        days = comparison_range(DateRange(first, after - _ONE_DAY), comparison_type)
        return local_day_bounds(days.start, tz)[0], local_day_bounds(days.end, tz)[1]
    if comparison_type == "previous_period":
        return lo - (hi - lo), lo

    def back(instant: datetime) -> datetime:
        local = instant.astimezone(tz)
        day = local.date()
        day = (day - timedelta(days=7) if comparison_type == "previous_week"
               else shift_months(day, -_MONTHS_BACK[comparison_type]))
        return datetime.combine(day, local.time(), tz).replace(fold=local.fold).astimezone(UTC)

    start = back(lo)
    return start, max(start, back(hi))
