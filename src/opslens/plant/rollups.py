"""Keeping the daily machine rollups current, and reading machine-days for any range.

A day's rollup is stored once its numbers can no longer move: the day has ended and no
knowledge still to come (a first Start of a work order scheduled that day, the first log of
one read without logs) can change them; ``rollup_days.stable_from`` records that instant.
A query reads every stored day whose ``stable_from`` is at or before its ``as_of`` and
computes the others (today, or a day seen from an earlier as_of). Ingest forgets the
rollups of every day a change reaches (:func:`invalidate`), late and corrected records
included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from opslens.errors import NotFound
from opslens.plant import oee_rollups
from opslens.plant.sites import Site, load_site
from opslens.store import plant as plant_store
from opslens.store import rollups as rollup_store
from opslens.store.engine import Store
from opslens.store.timelines import Span


@dataclass
class MachineDays:
    """The machine-days of a site over a range as known at ``as_of``: days whose stored
    rollup holds at as_of are read from the store, the others are computed and held here."""

    conn: Connection
    org: str
    site_id: str
    stored: list[date]
    live: list[dict[str, Any]]
    newly_stored: int = 0  # days this call computed and stored

    def rows(self, days: Sequence[date] | None = None) -> list[dict[str, Any]]:
        """One row per machine and day (only ``days``, if given), stored ones first."""
        wanted = None if days is None else set(days)
        stored = [d for d in self.stored if wanted is None or d in wanted]
        rows = rollup_store.read(self.conn, self.org, self.site_id, stored) if stored else []
        return rows + [r for r in self.live if wanted is None or r["day"] in wanted]

    def totals(self, by: str) -> dict[Any, dict[str, float]]:
        """Sums of every additive column and status counts, per ``day`` or ``machine_id``."""
        totals = (rollup_store.aggregate(self.conn, self.org, self.site_id, self.stored, by)
                  if self.stored else {})
        for row in self.live:
            into = totals.setdefault(
                row[by], dict.fromkeys((*rollup_store.SUMMABLE, *rollup_store.STATUS_COUNTS),
                                       0.0))
            for name in rollup_store.SUMMABLE:
                into[name] += row[name]
            if row["status"] in rollup_store.STATUS_COUNTS:
                into[row["status"]] += 1
        return totals


def prepare(
    conn: Connection, org: str, site: Site, first: date, last: date, as_of: datetime,
    now: datetime | None = None,
) -> MachineDays:
    """Read the days of [first, last] whose stored rollup holds at ``as_of``; compute the
    rest, storing those that had ended and whose numbers no later as_of can change."""
    now = now or datetime.now(UTC)
    windows = site.windows(first, last)
    known = rollup_store.complete_days(conn, org, site.id, first, last)
    stored = [w.day for w in windows if w.day in known and known[w.day] <= as_of]
    todo = [w for w in windows if w.day not in stored]
    rows, stable = rollup_store.compute(conn, org, site.id, todo, as_of)
    keep = {day: instant for day, instant in stable.items()
            if day not in known and instant <= min(as_of, now)}
    if keep:
        rollup_store.store(conn, org, site.id, rows, keep, now)
    return MachineDays(conn=conn, org=org, site_id=site.id, stored=stored,
                       live=[{**row, "site_id": site.id} for row in rows],
                       newly_stored=len(keep))


def machine_days(
    conn: Connection, org: str, site: Site, first: date, last: date, as_of: datetime,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per machine of ``site`` and local day in [first, last], as known at as_of."""
    return prepare(conn, org, site, first, last, as_of, now).rows()


def refresh(conn: Connection, org: str, site: Site, first: date, last: date,
            now: datetime | None = None) -> int:
    """Compute and store every closed day in [first, last] that lacks a rollup."""
    now = now or datetime.now(UTC)
    return prepare(conn, org, site, first, last, now, now).newly_stored


#: Per site, the first and last local day an ingest made stale (None: no bound).
Touched = dict[str, tuple[date | None, date | None]]


def invalidate(conn: Connection, org: str, spans: Iterable[Span]) -> Touched:
    """Forget the rollups of every local day the spans reach (an open span: every later day)."""
    zones: dict[str, ZoneInfo | None] = {}
    touched: Touched = {}
    for span in spans:
        if span.site_id not in zones:
            row = plant_store.get_site(conn, org, span.site_id)
            zones[span.site_id] = ZoneInfo(row["timezone"]) if row else None
        tz = zones[span.site_id]
        if tz is None:
            continue
        first = span.first.astimezone(tz).date()
        last = None if span.open_end else span.last.astimezone(tz).date()
        rollup_store.invalidate(conn, org, span.site_id, first, last)
        _widen(touched, span.site_id, first, last)
    return touched


def invalidate_sites(conn: Connection, org: str, site_ids: Iterable[str]) -> Touched:
    touched: Touched = {}
    for site_id in site_ids:
        rollup_store.invalidate(conn, org, site_id)
        _widen(touched, site_id, None, None)
    return touched


def _widen(touched: Touched, site_id: str, first: date | None, last: date | None) -> None:
    if site_id in touched:
        old_first, old_last = touched[site_id]
        first = None if first is None or old_first is None else min(first, old_first)
        last = None if last is None or old_last is None else max(last, old_last)
    touched[site_id] = (first, last)


def merge(into: Touched, other: Touched) -> None:
    for site_id, (first, last) in other.items():
        _widen(into, site_id, first, last)


def refresh_touched(store: Store, org: str, touched: Touched, horizon_days: int = 400,
                    now: datetime | None = None,
                    on_site: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Compute and store the ended days of each site's range that lack a rollup, and its
    OEE hours (reads would do both on demand), at most ``horizon_days`` back; machine-days
    computed per site."""
    now = now or datetime.now(UTC)
    computed: dict[str, int] = {}
    for site_id, (first, last) in sorted(touched.items()):
        with store.engine.begin() as conn:
            try:
                site = load_site(conn, org, site_id)
            except NotFound:
                continue
            today = now.astimezone(site.tz).date()
            start = max(first or date.min, today - timedelta(days=horizon_days))
            end = min(last or today, today)
            computed[site_id] = refresh(conn, org, site, start, end, now) if start <= end else 0
            if start <= end:
                oee_rollups.refresh(conn, org, site, start, end, now)
        if on_site:
            on_site(site_id, computed[site_id])
    return computed
