"""Shift calendars: parse shift definitions and turn them into real (UTC) intervals.

DESIGN.md §4 table ``shifts`` (start/end ``HH:MM``, end ≤ start means the shift ends the next
day, optional weekdays, optional breaks ``HH:MM-HH:MM`` of planned downtime inside the shift) and
§5.3 "available" time: the measure of the site's shift intervals inside local day D minus shift
breaks (24 h for three 8-hour shifts; a 22:00–06:00 shift gives 2 h to D and 6 h to D+1).

Shift times are local wall-clock times of the site. A shift instance starts on local day D at
``start`` and lasts the shift's *wall-clock* length; both ends are converted to UTC with
zoneinfo's ``fold=0`` rule (see :mod:`opslens.domain.intervals`), so a 22:00–06:00 shift lasts
7 real hours across a spring-forward night and 9 across a fall-back night. In the rare case that
a shift starts inside a spring-forward gap and ends less than the gap's length later, its real
interval would be inverted; it is then kept as an empty interval (no time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opslens.domain.intervals import (
    Interval,
    clip,
    local_to_utc,
    split_by_local_day,
    subtract,
)
from opslens.errors import InvalidInput

__all__ = [
    "ALL_WEEKDAYS",
    "ShiftDef",
    "ShiftInstance",
    "available_seconds_by_day",
    "parse_breaks",
    "parse_hhmm",
    "parse_weekdays",
    "shift_at",
    "shift_instances",
]

ALL_WEEKDAYS: frozenset[int] = frozenset(range(1, 8))
"""ISO weekday numbers, 1 = Monday … 7 = Sunday."""

_DAY = timedelta(days=1)
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")
_SEPARATORS = re.compile(r"[;,]")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAMES = {name[:3]: n for n, name in enumerate(_FULL_NAMES, 1)} | {
    name: n for n, name in enumerate(_FULL_NAMES, 1)
}


def parse_hhmm(text: str) -> time:
    """Parse a local wall-clock time written ``HH:MM`` (00:00 to 23:59).

    Examples
    --------
    >>> parse_hhmm("06:00")
    datetime.time(6, 0)
    >>> parse_hhmm("24:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    opslens.errors.InvalidInput: time '24:00' is not allowed: write '00:00' ...
    """
    if not isinstance(text, str):
        raise InvalidInput(f"time {text!r} must be text in the form HH:MM, e.g. '06:00'")
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(f"time {text!r} is not in the form HH:MM, e.g. '06:00' or '22:30'")
    hour, minute = int(match[1]), int(match[2])
    if (hour, minute) == (24, 0):
        raise InvalidInput(
            f"time {text!r} is not allowed: write '00:00' "
            "(a shift that ends at or before its start ends the next day)"
        )
    if hour > 23 or minute > 59:
        raise InvalidInput(
            f"time {text!r} is out of range: expected HH:MM with HH 00-23 and MM 00-59"
        )
    return time(hour, minute)


def parse_breaks(
    value: str | Iterable[str | tuple[time, time]] | None,
) -> tuple[tuple[time, time], ...]:
    """Parse shift breaks: ``"HH:MM-HH:MM"`` items, as a list or one ``;``/``,``-separated string.

    None or a blank string means no breaks. A break may cross midnight (``"23:45-00:15"``);
    whether it lies inside its shift is checked by :class:`ShiftDef`.

    Examples
    --------
    >>> parse_breaks("10:00-10:30; 18:00-18:15")
    ((datetime.time(10, 0), datetime.time(10, 30)), (datetime.time(18, 0), datetime.time(18, 15)))
    >>> parse_breaks(["23:45-00:15"])
    ((datetime.time(23, 45), datetime.time(0, 15)),)
    >>> parse_breaks(None)
    ()
    """
    if value is None:
        return ()
    items = _SEPARATORS.split(value) if isinstance(value, str) else list(value)
    breaks: list[tuple[time, time]] = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and all(isinstance(t, time) for t in item):
            start, end = item
        elif isinstance(item, str):
            if not item.strip():
                continue
            parts = item.split("-")
            if len(parts) != 2:
                raise InvalidInput(
                    f"break {item!r} is not in the form HH:MM-HH:MM, e.g. '10:00-10:30'"
                )
            start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
        else:
            raise InvalidInput(f"break {item!r} must be text in the form HH:MM-HH:MM")
        if start == end:
            raise InvalidInput(f"break {item!r} has zero length; give its start and end times")
        breaks.append((start, end))
    return tuple(breaks)


def parse_weekdays(value: str | Iterable[int | str] | None) -> frozenset[int]:
    """Parse the days a shift starts on, as ISO weekday numbers (1 = Monday … 7 = Sunday).

    Accepts None or a blank string (every day), or a list or ``;``/``,``-separated string of
    numbers 1-7 or names (``mon`` … ``sun`` or ``monday`` … ``sunday``, any case). An item
    ``first-last`` is an inclusive range that may wrap past Sunday (``fri-mon`` = Fri, Sat, Sun,
    Mon).

    Examples
    --------
    >>> sorted(parse_weekdays("Mon, tue;3"))
    [1, 2, 3]
    >>> sorted(parse_weekdays(["saturday", 7]))
    [6, 7]
    >>> sorted(parse_weekdays("fri-mon"))
    [1, 5, 6, 7]
    >>> parse_weekdays(None) == ALL_WEEKDAYS
    True
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ALL_WEEKDAYS
    items = _SEPARATORS.split(value) if isinstance(value, str) else list(value)
    days: set[int] = set()
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        if isinstance(item, str) and "-" in item:
            ends = item.split("-")
            if len(ends) != 2:
                raise InvalidInput(f"weekday range {item!r} must look like 'mon-fri'")
            first, last = _parse_weekday(ends[0]), _parse_weekday(ends[1])
            days.update((first - 1 + step) % 7 + 1 for step in range((last - first) % 7 + 1))
        else:
            days.add(_parse_weekday(item))
    if not days:
        raise InvalidInput(
            f"weekdays {value!r} lists no day; give days such as 'mon;tue' or leave it out "
            "for every day"
        )
    return frozenset(days)


def _parse_weekday(item: int | str) -> int:
    number: int | None = None
    if isinstance(item, int) and not isinstance(item, bool):
        number = item
    elif isinstance(item, str):
        text = item.strip().lower()
        number = int(text) if text.isdigit() else _WEEKDAY_NAMES.get(text)
    if number is None or not 1 <= number <= 7:
        raise InvalidInput(
            f"weekday {item!r} is not a day: use 1-7 (1 = Monday) or mon, tue, wed, thu, fri, "
            "sat, sun"
        )
    return number


def _offset(t: time) -> timedelta:
    """Wall-clock time since local midnight."""
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


@dataclass(frozen=True)
class ShiftDef:
    """A recurring shift in local wall-clock times.

    ``end <= start`` means the shift ends the next day; ``end == start`` is a 24-hour shift.
    A break whose times are earlier than ``start`` belongs to the next calendar day of an
    overnight shift. Every break must lie inside the shift.

    Examples
    --------
    >>> night = ShiftDef("C", "Night", time(22), time(6), breaks=((time(2), time(2, 30)),))
    >>> night.length / timedelta(hours=1)
    8.0
    >>> [(a / timedelta(hours=1), b / timedelta(hours=1)) for a, b in night.break_offsets]
    [(4.0, 4.5)]
    >>> ShiftDef("C", "Night", time(22), time(6), breaks=((time(21), time(21, 30)),))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    opslens.errors.InvalidInput: break 21:00-21:30 of shift 'C' (22:00-06:00) does not lie inside...
    """

    id: str
    name: str
    start: time
    end: time
    weekdays: frozenset[int] = ALL_WEEKDAYS
    breaks: tuple[tuple[time, time], ...] = ()

    def __post_init__(self) -> None:
        for field, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidInput(
                    f"shift {self.id!r} {field} {value!r} must be a local time without a time "
                    "zone, e.g. time(6, 0)"
                )
        weekdays = frozenset(self.weekdays)
        if not weekdays or not weekdays <= ALL_WEEKDAYS:
            raise InvalidInput(
                f"shift {self.id!r} weekdays {sorted(weekdays)} must be a non-empty set of ISO "
                "weekday numbers 1-7 (1 = Monday)"
            )
        object.__setattr__(self, "weekdays", weekdays)
        breaks = tuple(tuple(p) if isinstance(p, tuple | list) else (p,) for p in self.breaks)
        for pair in breaks:
            if len(pair) != 2 or not all(isinstance(t, time) and t.tzinfo is None for t in pair):
                raise InvalidInput(
                    f"break {pair!r} of shift {self.id!r} must be a (start, end) pair of local "
                    "times; parse text with parse_breaks('10:00-10:30')"
                )
        object.__setattr__(self, "breaks", breaks)
        for break_start, break_end in self.breaks:
            label = f"{break_start:%H:%M}-{break_end:%H:%M}"
            if _offset(break_end) == _offset(break_start):
                raise InvalidInput(f"break {label} of shift {self.id!r} has zero length")
            offset, duration = self._break_span(break_start, break_end)
            if offset + duration > self.length:
                raise InvalidInput(
                    f"break {label} of shift {self.id!r} ({self.start:%H:%M}-{self.end:%H:%M}) "
                    "does not lie inside the shift; move it within the shift's hours"
                )

    @classmethod
    def from_text(
        cls,
        id: str,
        name: str,
        start: str,
        end: str,
        weekdays: str | Iterable[int | str] | None = None,
        breaks: str | Iterable[str] | None = None,
    ) -> ShiftDef:
        """Build a shift from the text forms of DESIGN.md's ``shifts`` table.

        >>> early = ShiftDef.from_text("A", "Early", "06:00", "14:00", "mon-fri", "10:00-10:30")
        >>> sorted(early.weekdays), early.breaks
        ([1, 2, 3, 4, 5], ((datetime.time(10, 0), datetime.time(10, 30)),))
        """
        return cls(
            id,
            name,
            parse_hhmm(start),
            parse_hhmm(end),
            parse_weekdays(weekdays),
            parse_breaks(breaks),
        )

    @property
    def length(self) -> timedelta:
        """Wall-clock length of the shift, in (0 h, 24 h]."""
        return (_offset(self.end) - _offset(self.start)) % _DAY or _DAY

    def _break_span(self, break_start: time, break_end: time) -> tuple[timedelta, timedelta]:
        offset = (_offset(break_start) - _offset(self.start)) % _DAY
        duration = (_offset(break_end) - _offset(break_start)) % _DAY
        return offset, duration

    @property
    def break_offsets(self) -> tuple[tuple[timedelta, timedelta], ...]:
        """Each break as wall-clock offsets ``(from, to)`` from the shift's start."""
        spans = (self._break_span(start, end) for start, end in self.breaks)
        return tuple((offset, offset + duration) for offset, duration in spans)


@dataclass(frozen=True)
class ShiftInstance:
    """One occurrence of a shift: started on local day ``day``, with real (UTC) intervals."""

    shift_id: str
    name: str
    day: date
    interval: Interval
    breaks: tuple[Interval, ...]

    @property
    def working(self) -> list[Interval]:
        """The shift's interval minus its breaks (normalized)."""
        return subtract([self.interval], self.breaks)


def _check_day_range(first_day: date, last_day: date) -> None:
    for name, value in (("first_day", first_day), ("last_day", last_day)):
        if isinstance(value, datetime) or not isinstance(value, date):
            raise InvalidInput(f"{name} {value!r} must be a date, e.g. date(2025, 10, 14)")
    if first_day > last_day:
        raise InvalidInput(f"first_day ({first_day}) is after last_day ({last_day}); swap them")


def _instance(shift: ShiftDef, day: date, tz: ZoneInfo) -> ShiftInstance:
    start_offset = _offset(shift.start)
    start = local_to_utc(day, start_offset, tz)
    end = max(start, local_to_utc(day, start_offset + shift.length, tz))
    breaks: list[Interval] = []
    for break_from, break_to in shift.break_offsets:
        real = (
            local_to_utc(day, start_offset + break_from, tz),
            local_to_utc(day, start_offset + break_to, tz),
        )
        clipped = clip(real, (start, end))
        if clipped is not None:
            breaks.append(clipped)
    return ShiftInstance(shift.id, shift.name, day, (start, end), tuple(breaks))


def shift_instances(
    shifts: Sequence[ShiftDef], first_day: date, last_day: date, tz: ZoneInfo
) -> list[ShiftInstance]:
    """Occurrences of the shifts that start on local days ``first_day − 1`` … ``last_day``.

    The day before ``first_day`` is included so that an overnight shift spilling into
    ``first_day`` is present. A shift occurs on day D when D's ISO weekday is in its weekdays.

    Returns
    -------
    list of ShiftInstance
        Sorted by real start time; ties keep the order of ``shifts``.

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> night = ShiftDef("C", "Night", time(22), time(6))
    >>> [(i.day.isoformat(), (i.interval[1] - i.interval[0]) / timedelta(hours=1))
    ...  for i in shift_instances([night], date(2025, 3, 9), date(2025, 3, 9), ny)]
    [('2025-03-08', 7.0), ('2025-03-09', 8.0)]
    """
    _check_day_range(first_day, last_day)
    instances: list[ShiftInstance] = []
    day = first_day - _DAY
    while day <= last_day:
        instances.extend(
            _instance(shift, day, tz) for shift in shifts if day.isoweekday() in shift.weekdays
        )
        day += _DAY
    instances.sort(key=lambda instance: instance.interval[0])
    return instances


def available_seconds_by_day(
    shifts: Sequence[ShiftDef], first_day: date, last_day: date, tz: ZoneInfo
) -> dict[date, float]:
    """Available (scheduled, non-break) time per local day. [s]

    ``available(D) = measure((⋃ shift intervals − ⋃ break intervals) ∩ D)``

    where ``D = [local 00:00, next local 00:00)`` and the unions run over all shift instances.
    Overlapping shifts count once. (A break of one shift also removes time that an overlapping
    shift covers.)

    Returns
    -------
    dict of date to float
        Every day from ``first_day`` to ``last_day`` inclusive, 0.0 when no shift covers it.

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> three = [ShiftDef("A", "Early", time(6), time(14)), ShiftDef("B", "Late", time(14),
    ...          time(22)), ShiftDef("C", "Night", time(22), time(6))]
    >>> {d.isoformat(): s / 3600 for d, s in
    ...  available_seconds_by_day(three, date(2025, 3, 8), date(2025, 3, 10), ny).items()}
    {'2025-03-08': 24.0, '2025-03-09': 23.0, '2025-03-10': 24.0}
    """
    _check_day_range(first_day, last_day)
    instances = shift_instances(shifts, first_day, last_day, tz)
    working = subtract(
        [instance.interval for instance in instances],
        [interval for instance in instances for interval in instance.breaks],
    )
    available: dict[date, float] = {}
    day = first_day
    while day <= last_day:
        available[day] = 0.0
        day += _DAY
    for interval in working:
        for day, (start, end) in split_by_local_day(interval, tz):
            if day in available:
                available[day] += (end - start).total_seconds()
    return available


def shift_at(shifts: Sequence[ShiftDef], instant: datetime, tz: ZoneInfo) -> ShiftInstance | None:
    """The shift instance whose interval contains ``instant`` (breaks included), or None.

    Where shifts overlap (a handover), the instance that started last wins; if several started at
    the same instant, the first in ``shifts`` wins.

    Examples
    --------
    >>> ny = ZoneInfo("America/New_York")
    >>> three = [ShiftDef("A", "Early", time(6), time(14)), ShiftDef("B", "Late", time(14),
    ...          time(22)), ShiftDef("C", "Night", time(22), time(6))]
    >>> found = shift_at(three, datetime(2025, 1, 2, 3, tzinfo=ny), ny)
    >>> found.shift_id, found.day.isoformat()
    ('C', '2025-01-01')
    >>> shift_at(three[:1], datetime(2025, 1, 2, 14, tzinfo=ny), ny) is None
    True
    """
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise InvalidInput(
            f"instant {instant!r} must be a timezone-aware datetime; attach the site's time zone"
        )
    local_day = instant.astimezone(tz).date()
    instant = instant.astimezone(UTC)
    best: ShiftInstance | None = None
    for instance in shift_instances(shifts, local_day, local_day + _DAY, tz):
        start, end = instance.interval
        if start <= instant < end and (best is None or start > best.interval[0]):
            best = instance
    return best
