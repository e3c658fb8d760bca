"""A site as the analytics see it: its time zone, shift calendar, machines and local days."""

from __future__ import annotations

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
        available = available_seconds_by_day(self.shifts, first, last, self.tz)
        out = []
        for day in sorted(available):
            start, end = local_day_bounds(day, self.tz)
            out.append(DayWindow(day=day, start=start, end=end, available_s=available[day]))
        return out

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


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
