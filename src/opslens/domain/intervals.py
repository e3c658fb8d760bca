"""Interval algebra on half-open ``[start, end)`` intervals of timezone-aware datetimes.

DESIGN.md §3 "Time": intervals are half-open, and an interval is clipped to a day, shift or
window exactly; it is never dropped because it crosses a boundary, and never assigned whole to
its start day.

Conventions used by every function here:

- An interval is a pair ``(start, end)`` of timezone-aware datetimes; ``start`` is inside it and
  ``end`` is not. An interval with ``end <= start`` is *empty*: it has measure 0 and is dropped.
- A *list* of intervals stands for the union of its members. Functions that return lists return
  them *normalized*: sorted by start, non-empty, pairwise disjoint and not touching (``[a, b)``
  and ``[b, c)`` merge into ``[a, c)``).
- Every endpoint is converted to UTC on the way in, and results are in UTC. This matters:
  Python compares and subtracts two datetimes that share a ``tzinfo`` by their *wall* times,
  so New York 00:00 to 12:00 on 2025-03-09 would otherwise measure 12 h instead of 11 h, and
  the two 01:30s of a fall-back night would compare equal.
- Local wall times are read with zoneinfo's ``fold=0`` rule and converted with
  ``.astimezone(UTC)``: a wall time skipped by a spring-forward gap is read with the offset in
  force before the gap (New York 02:30 on 2025-03-09 is 07:30 UTC, i.e. 03:30 EDT), and a wall
  time repeated by a fall-back is read as its first occurrence (01:30 on 2025-11-02 is 05:30 UTC,
  EDT). Local midnights are converted the same way, so consecutive local days always tile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import TypeVar
from zoneinfo import ZoneInfo

from opslens.errors import InvalidInput

Interval = tuple[datetime, datetime]
K = TypeVar("K")

__all__ = [
    "Interval",
    "clip",
    "intersect",
    "local_day_bounds",
    "local_hours",
    "local_to_utc",
    "measure",
    "measure_hours",
    "split_by_local_day",
    "split_by_windows",
    "subtract",
    "union",
]


def _checked(interval: Interval, what: str = "interval") -> Interval:
    """Return ``interval`` in UTC if it is a pair of aware datetimes, else raise InvalidInput."""
    try:
        start, end = interval
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{what} {interval!r} is not a (start, end) pair of timezone-aware datetimes"
        ) from None
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise InvalidInput(
                f"{what} {name} {value!r} must be a timezone-aware datetime; "
                "attach the site's time zone or an explicit UTC offset"
            )
    return start.astimezone(UTC), end.astimezone(UTC)


def local_to_utc(day: date, wall: time | timedelta, tz: ZoneInfo) -> datetime:
    """Convert a local wall time on ``day`` (or an offset from its midnight) to an aware UTC time.

    Parameters
    ----------
    day : date
        Local calendar date.
    wall : time or timedelta
        Wall-clock time of day, or a wall-clock offset from local midnight of ``day`` (may exceed
        24 h to reach the next day's wall times).
    tz : ZoneInfo
        IANA time zone of the site.

    Returns
    -------
    datetime
        The instant, in UTC. Nonexistent and ambiguous wall times are read with ``fold=0``.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> ny = ZoneInfo("America/New_York")
    >>> local_to_utc(date(2025, 3, 9), time(2, 30), ny).isoformat()  # in the spring gap
    '2025-03-09T07:30:00+00:00'
    >>> local_to_utc(date(2025, 11, 2), time(1, 30), ny).isoformat()  # first of two 01:30s
    '2025-11-02T05:30:00+00:00'
    >>> local_to_utc(date(2025, 1, 1), timedelta(hours=30), ny).isoformat()  # next day 06:00
    '2025-01-02T11:00:00+00:00'
    """
    if isinstance(wall, timedelta):
        offset = wall
    else:
        offset = timedelta(
            hours=wall.hour, minutes=wall.minute, seconds=wall.second, microseconds=wall.microsecond
        )
    naive = datetime.combine(day, time(0)) + offset
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def clip(interval: Interval, window: Interval) -> Interval | None:
    """Intersect one interval with a window.

    ``clip([s, e), [ws, we)) = [max(s, ws), min(e, we))``, or None when that is empty.

    Parameters
    ----------
    interval : Interval
        ``(start, end)``, aware datetimes.
    window : Interval
        ``(start, end)`` of the window, aware datetimes.

    Returns
    -------
    Interval or None
        The part of ``interval`` inside ``window``, in UTC; None if they share no instant
        (touching intervals share none).

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> s, e = clip((d(22), d(30)), (d(0), d(24)))
    >>> (s.hour, e - s)
    (22, datetime.timedelta(seconds=7200))
    >>> clip((d(0), d(6)), (d(6), d(12))) is None
    True
    """
    start, end = _checked(interval)
    window_start, window_end = _checked(window, "window")
    clipped_start = max(start, window_start)
    clipped_end = min(end, window_end)
    if clipped_start >= clipped_end:
        return None
    return clipped_start, clipped_end


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Normalize intervals: sort, drop empty or inverted ones, and merge overlapping or touching.

    Parameters
    ----------
    intervals : iterable of Interval
        In any order.

    Returns
    -------
    list of Interval
        Sorted, pairwise disjoint and non-touching; the same set of instants as the input.

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> merged = union([(d(8), d(10)), (d(0), d(2)), (d(2), d(3)), (d(9), d(12)), (d(5), d(4))])
    >>> [(s.hour, e.hour) for s, e in merged]
    [(0, 3), (8, 12)]
    """
    ordered = sorted(
        (pair for pair in map(_checked, intervals) if pair[0] < pair[1]),
        key=lambda pair: pair[0],
    )
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def measure(intervals: Iterable[Interval]) -> timedelta:
    """Total length of the union of the intervals; overlaps count once.

    ``measure(I) = Σ (end − start)`` over the intervals of ``union(I)``.

    Parameters
    ----------
    intervals : iterable of Interval

    Returns
    -------
    timedelta
        Real elapsed time (UTC), so a local day across a DST change measures 23 h or 25 h.

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> measure([(d(0), d(2)), (d(1), d(3))])
    datetime.timedelta(seconds=10800)
    >>> measure([])
    datetime.timedelta(0)
    """
    return sum((end - start for start, end in union(intervals)), timedelta(0))


def measure_hours(intervals: Iterable[Interval]) -> float:
    """Measure of the union of the intervals. [h]

    ``measure_hours(I) = measure(I) / 3600 s``.

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> measure_hours([(d(6), d(14)), (d(13), d(14.5))])
    8.5
    """
    return measure(intervals).total_seconds() / 3600.0


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants that lie in both the union of ``a`` and the union of ``b``.

    Parameters
    ----------
    a, b : iterable of Interval

    Returns
    -------
    list of Interval
        Normalized (see the module docstring).

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> both = intersect([(d(0), d(10))], [(d(2), d(4)), (d(8), d(12))])
    >>> [(s.hour, e.hour) for s, e in both]
    [(2, 4), (8, 10)]
    """
    left, right = union(a), union(b)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] <= right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants that lie in the union of ``a`` but not in the union of ``b``.

    Parameters
    ----------
    a : iterable of Interval
        What to keep.
    b : iterable of Interval
        What to remove (e.g. breaks from shifts).

    Returns
    -------
    list of Interval
        Normalized (see the module docstring).

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> rest = subtract([(d(6), d(14))], [(d(10), d(10.5)), (d(13), d(15))])
    >>> [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in rest]
    [('06:00', '10:00'), ('10:30', '13:00')]
    """
    removed = union(b)
    result: list[Interval] = []
    j = 0
    for start, end in union(a):
        cursor = start
        while j < len(removed) and removed[j][1] <= cursor:
            j += 1
        k = j
        while k < len(removed) and removed[k][0] < end:
            if removed[k][0] > cursor:
                result.append((cursor, removed[k][0]))
            cursor = max(cursor, removed[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def local_day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """The local calendar day ``[local 00:00, next local 00:00)`` as UTC instants.

    Parameters
    ----------
    day : date
        Local calendar date.
    tz : ZoneInfo
        IANA time zone of the site.

    Returns
    -------
    Interval
        Aware UTC datetimes. The day lasts 24 h, or 23 h / 25 h on DST change days. A midnight
        that does not exist or is repeated is read with ``fold=0`` (see the module docstring).

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> start, end = local_day_bounds(date(2025, 3, 9), ny)
    >>> start.isoformat(), end - start
    ('2025-03-09T05:00:00+00:00', datetime.timedelta(seconds=82800))
    >>> start, end = local_day_bounds(date(2025, 11, 2), ny)
    >>> (end - start) / timedelta(hours=1)
    25.0
    """
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidInput(f"day {day!r} must be a date (no time of day), e.g. date(2025, 3, 9)")
    return local_to_utc(day, time(0), tz), local_to_utc(day + timedelta(days=1), time(0), tz)


def split_by_local_day(interval: Interval, tz: ZoneInfo) -> list[tuple[date, Interval]]:
    """Cut an interval at local midnights into the local days it touches.

    Piece for day D = ``clip(interval, local_day_bounds(D, tz))``; the pieces tile the interval
    (their measures sum to its measure). An empty interval gives no pieces.

    Parameters
    ----------
    interval : Interval
        ``(start, end)``, aware datetimes.
    tz : ZoneInfo
        IANA time zone whose local days are meant.

    Returns
    -------
    list of (date, Interval)
        In time order, one entry per local day with a non-empty piece.

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> night = (datetime(2025, 1, 1, 22, tzinfo=ny), datetime(2025, 1, 2, 6, tzinfo=ny))
    >>> [(day.isoformat(), (e - s) / timedelta(hours=1)) for day, (s, e) in
    ...  split_by_local_day(night, ny)]
    [('2025-01-01', 2.0), ('2025-01-02', 6.0)]
    """
    start, end = _checked(interval)
    pieces: list[tuple[date, Interval]] = []
    if start >= end:
        return pieces
    # Start a day early so a repeated or skipped midnight can never lose the first piece.
    day = start.astimezone(tz).date() - timedelta(days=1)
    while True:
        bounds = local_day_bounds(day, tz)
        if bounds[0] >= end:
            return pieces
        piece = clip((start, end), bounds)
        if piece is not None:
            pieces.append((day, piece))
        day += timedelta(days=1)


def split_by_windows(
    interval: Interval, windows: Sequence[tuple[K, Interval]]
) -> list[tuple[K, Interval]]:
    """Clip an interval to each keyed window (shifts, hours, work orders, …).

    Piece for window ``k`` = ``clip(interval, window_k)``; windows that the interval does not
    reach are left out. Windows are not merged: if they overlap, the overlap appears under each.

    Parameters
    ----------
    interval : Interval
        ``(start, end)``, aware datetimes.
    windows : sequence of (key, Interval)
        Keyed windows, in the order wanted in the result.

    Returns
    -------
    list of (key, Interval)
        In the order of ``windows``.

    Examples
    --------
    >>> d = lambda h: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=h)
    >>> shifts = [("A", (d(6), d(14))), ("B", (d(14), d(22))), ("C", (d(22), d(30)))]
    >>> [(k, (e - s) / timedelta(hours=1)) for k, (s, e) in
    ...  split_by_windows((d(12), d(23)), shifts)]
    [('A', 2.0), ('B', 8.0), ('C', 1.0)]
    """
    pieces: list[tuple[K, Interval]] = []
    for key, window in windows:
        piece = clip(interval, window)
        if piece is not None:
            pieces.append((key, piece))
    return pieces



_QUARTER = timedelta(minutes=15)


def local_hours(interval: Interval, tz: ZoneInfo) -> list[Interval]:
    """The local clock hours of ``tz`` that ``interval`` reaches, as UTC ``(start, end)``.

    A local hour begins where the wall clock shows ``HH:00``; the hours tile time, so a DST
    day has 23 or 25 of them, and in a zone offset by a half hour they begin at ``:30`` UTC.
    Every zone's offset is a multiple of 15 minutes, so boundaries are sought on quarters.

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> len(local_hours(local_day_bounds(date(2025, 11, 2), ny), ny))
    25
    >>> t = datetime(2025, 1, 1, 0, 10, tzinfo=UTC)
    >>> [(s.strftime("%H:%M"), e.strftime("%H:%M"))
    ...  for s, e in local_hours((t, t + timedelta(minutes=30)), ZoneInfo("Asia/Kolkata"))]
    [('23:30', '00:30'), ('00:30', '01:30')]
    """
    start, end = _checked(interval)
    if start >= end:
        return []
    t = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    while t.astimezone(tz).minute != 0:
        t -= _QUARTER
    boundaries = [t]
    while boundaries[-1] < end:
        t += _QUARTER
        if t.astimezone(tz).minute == 0:
            boundaries.append(t)
    return list(pairwise(boundaries))
