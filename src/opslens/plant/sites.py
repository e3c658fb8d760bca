"""A site as the analytics see it: its time zone, shift calendar, machines and local days."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from opslens.domain.calendars import ShiftDef, available_seconds_by_day, parse_breaks, parse_hhmm
from opslens.domain.intervals import local_day_bounds
from opslens.errors import InvalidInput, NotFound
from opslens.store import plant as plant_store
from opslens.store.rollups import DayWindow


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    tz: ZoneInfo
    shifts: tuple[ShiftDef, ...]
    machines: tuple[dict[str, Any], ...]

    def windows(self, first: date, last: date) -> list[DayWindow]:
        """Each local day in [first, last] with its UTC bounds and available shift seconds."""
        return list(_windows(self.shifts, self.tz, first, last))

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


@functools.lru_cache(maxsize=256)
def _windows(shifts: tuple[ShiftDef, ...], tz: ZoneInfo, first: date, last: date
             ) -> tuple[DayWindow, ...]:
    # Pure in its arguments (a changed calendar is a different key), and asked for the same
    # ranges by every request of a dashboard.
    available = available_seconds_by_day(shifts, first, last, tz)
    out = []
    for day in sorted(available):
        start, end = local_day_bounds(day, tz)
        out.append(DayWindow(day=day, start=start, end=end, available_s=available[day]))
    return tuple(out)


def shift_def(row: dict[str, Any]) -> ShiftDef:
    return ShiftDef(
        id=row["id"], name=row["name"], start=parse_hhmm(row["start_time"]),
        end=parse_hhmm(row["end_time"]),
        weekdays=frozenset(int(d) for d in row["weekdays"]),
        breaks=parse_breaks(row["breaks"] or None),
    )


def load_site(conn: Connection, org: str, site_id: str) -> Site:
    row = plant_store.get_site(conn, org, site_id)
    if row is None:
        known = [s["id"] for s in plant_store.list_sites(conn, org)]
        hint = f"; known sites: {', '.join(known[:20])}" if known else "; ingest sites first"
        raise NotFound(f"unknown site {site_id!r}{hint}")
    return Site(
        id=row["id"], name=row["name"], tz=ZoneInfo(row["timezone"]),
        shifts=tuple(shift_def(s) for s in plant_store.shifts_of_site(conn, org, site_id)),
        machines=tuple(plant_store.machines_of_site(conn, org, site_id)),
    )


def resolve_site(conn: Connection, org: str, site_id: str | None) -> Site:
    """The named site, or the organization's only site when none is named."""
    if site_id is not None:
        return load_site(conn, org, site_id)
    known = [s["id"] for s in plant_store.list_sites(conn, org)]
    if len(known) == 1:
        return load_site(conn, org, known[0])
    raise InvalidInput(
        "site_id is required: this organization has "
        + (f"{len(known)} sites ({', '.join(known[:20])})" if known else "no sites yet")
    )
