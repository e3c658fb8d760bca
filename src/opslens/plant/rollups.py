"""Keeping the daily machine rollups current, and reading machine-days for any range.

Days that had ended by ``as_of`` (and by now) are read from ``machine_days``; any such day
without a complete rollup is computed and stored first. Days still running at ``as_of`` are
computed live and never stored, since their numbers still move. Ingest forgets the rollups of
every day a change reaches (:func:`invalidate`), late and corrected records included.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from opslens.plant.sites import Site
from opslens.store import plant as plant_store
from opslens.store import rollups as rollup_store
from opslens.store.timelines import Span


def machine_days(
    conn: Connection, org: str, site: Site, first: date, last: date, as_of: datetime,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per machine of ``site`` and local day in [first, last], as known at as_of."""
    now = now or datetime.now(UTC)
    horizon = min(as_of, now)
    windows = site.windows(first, last)
    closed = [w for w in windows if w.end <= horizon]
    live = [w for w in windows if w.end > horizon]
    if closed:
        done = rollup_store.complete_days(conn, org, site.id, closed[0].day, closed[-1].day)
        missing = [w for w in closed if w.day not in done]
        if missing:
            rows = rollup_store.compute(conn, org, site.id, missing, as_of)
            rollup_store.store(conn, org, site.id, rows, [w.day for w in missing], now)
    rows = (rollup_store.read(conn, org, site.id, closed[0].day, closed[-1].day)
            if closed else [])
    if live:
        rows += [{**row, "site_id": site.id}
                 for row in rollup_store.compute(conn, org, site.id, live, as_of)]
    return rows


def refresh(conn: Connection, org: str, site: Site, first: date, last: date,
            now: datetime | None = None) -> int:
    """Compute and store every closed day in [first, last] that lacks a rollup."""
    now = now or datetime.now(UTC)
    before = len(rollup_store.complete_days(conn, org, site.id, first, last))
    machine_days(conn, org, site, first, last, now, now)
    return len(rollup_store.complete_days(conn, org, site.id, first, last)) - before


def invalidate(conn: Connection, org: str, spans: Iterable[Span]) -> None:
    """Forget the rollups of every local day the spans reach (an open span: every later day)."""
    zones: dict[str, Any] = {}
    for span in spans:
        if span.site_id not in zones:
            row = plant_store.get_site(conn, org, span.site_id)
            zones[span.site_id] = row and row["timezone"]
        if not zones[span.site_id]:
            continue
        tz = ZoneInfo(zones[span.site_id])
        first = span.first.astimezone(tz).date()
        last = None if span.open_end else span.last.astimezone(tz).date()
        rollup_store.invalidate(conn, org, span.site_id, first, last)


def invalidate_sites(conn: Connection, org: str, site_ids: Iterable[str]) -> None:
    for site_id in site_ids:
        rollup_store.invalidate(conn, org, site_id)
