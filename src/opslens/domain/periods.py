"""Named reporting periods and comparison periods, on the site's local calendar.

DESIGN.md §3 "Named periods" and "Comparison periods" (seed 003 "Time Periods", "Comparison
Mode" and "Caching Strategy"). All ranges are of local calendar dates, inclusive at both ends;
"today" is always passed in (see :func:`local_today`), never read from a clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from opslens.errors import InvalidInput

__all__ = [
    "COMPARISON_TYPES",
    "PERIOD_NAMES",
    "DateRange",
    "cache_ttl_seconds",
    "comparison_range",
    "local_today",
    "resolve_period",
    "shift_months",
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
