"""Daily machine rollups (DESIGN.md §5.2–5.3), computed set-wise in SQL on either store.

For one site and a set of local days (given with their UTC bounds and available seconds), one
statement yields a row per machine and day: the day's status by priority, time-weighted state
seconds, scheduled and active seconds (unions, so overlaps count once), production and
completions. Interval unions use the running-maximum method: with pieces sorted by start, each
adds ``max(0, end - max(start, greatest end before it))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import records, schema
from opslens.store.schema import OPEN_END

DAYS = "tmp_rollup_days"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class DayWindow:
    """A local day of a site: its UTC bounds and the seconds of shift time it offers."""

    day: date
    start: datetime
    end: datetime
    available_s: float


_CREATE_DAYS = sa.text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {DAYS} (day DATE PRIMARY KEY, "
    "day_start TIMESTAMPTZ NOT NULL, day_end TIMESTAMPTZ NOT NULL, available_s DOUBLE PRECISION)"
)

_COMPUTE = sa.text(f"""
WITH seg AS (
    -- open segments end at as_of; a Scheduled span without an end_time too (DESIGN.md §5.3)
    SELECT machine_id, status, seg_start, wo_start_time, LEAST(seg_end, :as_of) AS seg_end
    FROM wo_segments
    WHERE organization_id = :org AND site_id = :site
      AND seg_end > :range_start AND seg_start < :range_end
      AND status <> 'Scheduled' AND seg_start < :as_of
      AND (logs_from IS NULL OR :as_of <= logs_from)
    UNION ALL
    SELECT machine_id, status, seg_start, wo_start_time,
           CASE WHEN seg_end < :open_end THEN seg_end ELSE :as_of END
    FROM wo_segments
    WHERE organization_id = :org AND site_id = :site
      AND seg_end > :range_start AND seg_start < :range_end
      AND status = 'Scheduled' AND ran_from < :as_of
      AND (logs_from IS NULL OR :as_of <= logs_from)
), clipped AS (
    SELECT d.day, d.day_start, d.day_end, s.machine_id, s.status, s.wo_start_time,
           GREATEST(s.seg_start, d.day_start) AS s, LEAST(s.seg_end, d.day_end) AS e
    FROM seg s JOIN {DAYS} d ON s.seg_start < d.day_end AND s.seg_end > d.day_start
), pieces AS (
    -- level 1: Start; 2: Start or Hold; 3: any status (Assigned only from the work order's
    -- scheduled start); 4: scheduled spans of work orders that ran
    SELECT day, machine_id, 1 AS lvl, s, e FROM clipped WHERE status = 'Start'
    UNION ALL
    SELECT day, machine_id, 2, s, e FROM clipped WHERE status IN ('Start', 'Hold')
    UNION ALL
    SELECT day, machine_id, 3,
           CASE WHEN status = 'Assigned' THEN GREATEST(s, wo_start_time) ELSE s END, e
    FROM clipped WHERE status <> 'Scheduled'
    UNION ALL
    SELECT day, machine_id, 4, s, e FROM clipped WHERE status = 'Scheduled'
), ordered AS (
    SELECT day, machine_id, lvl, s, e,
           MAX(e) OVER (PARTITION BY day, machine_id, lvl ORDER BY s, e
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
    FROM pieces WHERE e > s
), measures AS (
    SELECT day, machine_id,
           SUM(CASE WHEN lvl = 1 THEN gain ELSE 0 END) AS l1,
           SUM(CASE WHEN lvl = 2 THEN gain ELSE 0 END) AS l2,
           SUM(CASE WHEN lvl = 3 THEN gain ELSE 0 END) AS l3,
           SUM(CASE WHEN lvl = 4 THEN gain ELSE 0 END) AS l4
    FROM (
        SELECT day, machine_id, lvl,
               GREATEST(0, EXTRACT(EPOCH FROM e)
                           - EXTRACT(EPOCH FROM GREATEST(s, COALESCE(prev_e, s)))) AS gain
        FROM ordered
    ) g
    GROUP BY day, machine_id
), flags AS (
    SELECT day, machine_id,
           MAX(CASE WHEN status = 'Start' THEN 1 ELSE 0 END) AS running,
           MAX(CASE WHEN status = 'Hold' THEN 1 ELSE 0 END) AS hold,
           MAX(CASE WHEN status = 'Assigned' AND wo_start_time >= day_start
                     AND wo_start_time < day_end THEN 1 ELSE 0 END) AS scheduled
    FROM clipped WHERE e > s AND status <> 'Scheduled'
    GROUP BY day, machine_id
), marks AS (
    SELECT d.day, m.machine_id, SUM(m.good_units) AS good, SUM(m.scrap_units) AS scrap,
           SUM(m.completed) AS completed, SUM(m.fpy_weighted) AS fpy_weighted,
           SUM(m.fpy_units) AS fpy_units
    FROM wo_marks m
    JOIN {DAYS} d ON m.marked_at >= d.day_start AND m.marked_at < d.day_end
    WHERE m.organization_id = :org AND m.site_id = :site AND m.marked_at < :as_of
      AND (m.logs_from IS NULL OR :as_of <= m.logs_from)
      AND m.marked_at >= :range_start AND m.marked_at < :range_end
    GROUP BY d.day, m.machine_id
)
SELECT b.*,
       -- per machine-day, before any pooling (DESIGN.md §5.3): downtime is the available time
       -- not run, never negative; the planned part comes from planned stops inside it, which
       -- downtime events will bring (until then none); a machine "worked" on a day with any
       -- status but idle or any production or completion
       GREATEST(0, b.available_s - b.active_s) AS downtime_s,
       CAST(0 AS DOUBLE PRECISION) AS planned_downtime_s,
       CASE WHEN b.status <> 'idle' OR b.good_units <> 0 OR b.scrap_units <> 0
                 OR b.completed <> 0 THEN 1 ELSE 0 END AS has_work
FROM (
SELECT d.day, mc.id AS machine_id,
       CASE WHEN f.running = 1 THEN 'running' WHEN f.hold = 1 THEN 'hold'
            WHEN f.scheduled = 1 THEN 'scheduled' ELSE 'idle' END AS status,
       CAST(EXTRACT(EPOCH FROM d.day_end) - EXTRACT(EPOCH FROM d.day_start)
            AS DOUBLE PRECISION) AS day_s,
       CAST(COALESCE(ms.l1, 0) AS DOUBLE PRECISION) AS running_s,
       CAST(COALESCE(ms.l2, 0) - COALESCE(ms.l1, 0) AS DOUBLE PRECISION) AS hold_s,
       CAST(COALESCE(ms.l3, 0) - COALESCE(ms.l2, 0) AS DOUBLE PRECISION) AS assigned_s,
       CAST(d.available_s AS DOUBLE PRECISION) AS available_s,
       CAST(COALESCE(ms.l4, 0) AS DOUBLE PRECISION) AS scheduled_s,
       CAST(COALESCE(ms.l1, 0) AS DOUBLE PRECISION) AS active_s,
       CAST(COALESCE(mk.good, 0) AS DOUBLE PRECISION) AS good_units,
       CAST(COALESCE(mk.scrap, 0) AS DOUBLE PRECISION) AS scrap_units,
       CAST(COALESCE(mk.completed, 0) AS INTEGER) AS completed,
       CAST(COALESCE(mk.fpy_weighted, 0) AS DOUBLE PRECISION) AS fpy_weighted,
       CAST(COALESCE(mk.fpy_units, 0) AS DOUBLE PRECISION) AS fpy_units
FROM machines mc
CROSS JOIN {DAYS} d
LEFT JOIN flags f ON f.day = d.day AND f.machine_id = mc.id
LEFT JOIN measures ms ON ms.day = d.day AND ms.machine_id = mc.id
LEFT JOIN marks mk ON mk.day = d.day AND mk.machine_id = mc.id
WHERE mc.organization_id = :org AND mc.site_id = :site
) b
ORDER BY b.day, b.machine_id
""")  # noqa: S608  (DAYS is our temporary table)


def _load_days(conn: Connection, windows: Sequence[DayWindow]) -> None:
    conn.execute(_CREATE_DAYS)
    conn.execute(sa.text(f"DELETE FROM {DAYS}"))  # noqa: S608
    conn.execute(
        sa.text(f"INSERT INTO {DAYS} VALUES (:day, :start, :end, :available_s)"),  # noqa: S608
        [{"day": w.day, "start": w.start, "end": w.end, "available_s": w.available_s}
         for w in windows],
    )


# The latest instant, per day, at which knowledge arriving later still changes the day's
# numbers: the first Start of a work order scheduled that day (whether it "ran") and the first
# log or count that ends a log-less reading covering it. From that instant on, any as_of
# gives the day the same numbers, so its rollup can be stored and shared.
_STABLE_FROM = sa.text(f"""
WITH late AS (
    SELECT d.day, GREATEST(COALESCE(s.ran_from, s.seg_start),
                           COALESCE(s.logs_from, s.seg_start)) AS x
    FROM wo_segments s JOIN {DAYS} d ON s.seg_start < d.day_end AND s.seg_end > d.day_start
    WHERE s.organization_id = :org AND s.site_id = :site
      AND s.seg_end > :range_start AND s.seg_start < :range_end
      AND (s.ran_from IS NOT NULL OR s.logs_from IS NOT NULL)
    UNION ALL
    SELECT d.day, m.logs_from
    FROM wo_marks m JOIN {DAYS} d ON m.marked_at >= d.day_start AND m.marked_at < d.day_end
    WHERE m.organization_id = :org AND m.site_id = :site AND m.logs_from IS NOT NULL
      AND m.marked_at >= :range_start AND m.marked_at < :range_end
)
SELECT day, MAX(x) FROM late GROUP BY day
""")  # noqa: S608


def compute(
    conn: Connection, org: str, site_id: str, windows: Sequence[DayWindow], as_of: datetime
) -> tuple[list[dict[str, Any]], dict[date, datetime]]:
    """Machine-day rows of ``site_id`` for ``windows`` as known at ``as_of``, and for each day
    the instant from which every as_of gives it these numbers (see ``_STABLE_FROM``)."""
    if not windows:
        return [], {}
    _load_days(conn, windows)
    params = {
        "org": org, "site": site_id, "as_of": as_of, "open_end": OPEN_END,
        "range_start": min(w.start for w in windows), "range_end": max(w.end for w in windows),
    }
    rows = [dict(row) for row in conn.execute(_COMPUTE, params).mappings().all()]
    late = dict(conn.execute(_STABLE_FROM, params).all())
    # Knowledge at instant x counts only for as_of strictly after x (logs at as_of are not
    # yet known), so the numbers settle one tick (1 µs, the stores' resolution) after it.
    stable = {w.day: max(w.end, late[w.day] + _TICK) if late.get(w.day) else w.end
              for w in windows}
    return rows, stable


def store(
    conn: Connection, org: str, site_id: str, rows: Sequence[dict[str, Any]],
    stable_from: dict[date, datetime], now: datetime,
) -> None:
    """Replace the rollups of the days in ``stable_from`` with ``rows``; mark them complete."""
    if not stable_from:
        return
    days = list(stable_from)
    md, rd = schema.machine_days, schema.rollup_days
    conn.execute(md.delete().where(md.c.organization_id == org, md.c.site_id == site_id,
                                   md.c.day.in_(days)))
    records.upsert(conn, md, [
        {**row, "organization_id": org, "site_id": site_id, "computed_at": now}
        for row in rows if row["day"] in stable_from
    ])
    records.upsert(conn, rd, [
        {"organization_id": org, "site_id": site_id, "day": day, "computed_at": now,
         "stable_from": stable_from[day]}
        for day in days
    ])


def complete_days(conn: Connection, org: str, site_id: str, first: date, last: date
                  ) -> dict[date, datetime]:
    """The stored days of [first, last], each with the as_of from which it holds."""
    rd = schema.rollup_days
    query = sa.select(rd.c.day, rd.c.stable_from).where(
        rd.c.organization_id == org, rd.c.site_id == site_id, rd.c.day.between(first, last)
    )
    return dict(conn.execute(query).all())


def invalidate(conn: Connection, org: str, site_id: str, first: date | None = None,
               last: date | None = None) -> None:
    """Forget the rollups of a site's days in [first, last] (open ends: every day)."""
    for table in (schema.rollup_days, schema.machine_days):
        conditions = [table.c.organization_id == org, table.c.site_id == site_id]
        if first is not None:
            conditions.append(table.c.day >= first)
        if last is not None:
            conditions.append(table.c.day <= last)
        conn.execute(table.delete().where(*conditions))


def _in_days(table: sa.Table, days: Sequence[date]) -> list:
    """``day`` among ``days``: a range test (kind to zone maps and indexes) plus the list."""
    days = sorted(days)
    if not days:
        return [sa.false()]
    return [table.c.day.between(days[0], days[-1]), table.c.day.in_(days)]


#: The additive columns of a machine-day: every pooled figure is a sum of these.
SUMMABLE = ("day_s", "running_s", "hold_s", "assigned_s", "available_s", "scheduled_s",
            "active_s", "downtime_s", "planned_downtime_s", "good_units", "scrap_units",
            "completed", "fpy_weighted", "fpy_units", "has_work")
STATUS_COUNTS = ("running", "hold", "scheduled")


def aggregate(conn: Connection, org: str, site_id: str, days: Sequence[date],
              by: str) -> dict[Any, dict[str, float]]:
    """Stored machine-days of ``days`` summed per ``day`` or per ``machine_id``, with the
    number of machines in each status (idle is the rest)."""
    md = schema.machine_days
    key = {"day": md.c.day, "machine_id": md.c.machine_id}[by]
    sums = [sa.func.sum(md.c[name]).label(name) for name in SUMMABLE]
    counts = [sa.func.sum(sa.case((md.c.status == status, 1), else_=0)).label(status)
              for status in STATUS_COUNTS]
    query = sa.select(key, *sums, *counts).where(
        md.c.organization_id == org, md.c.site_id == site_id, *_in_days(md, days)
    ).group_by(key)
    names = [*SUMMABLE, *STATUS_COUNTS]
    return {row[0]: dict(zip(names, (float(v or 0) for v in row[1:]), strict=True))
            for row in conn.execute(query).all()}


def read(conn: Connection, org: str, site_id: str, days: Sequence[date]) -> list[dict]:
    """Stored machine-days of ``days``."""
    md = schema.machine_days
    columns = [c for c in md.columns if c.name not in ("organization_id", "computed_at")]
    query = sa.select(*columns).where(
        md.c.organization_id == org, md.c.site_id == site_id, *_in_days(md, days))
    names = [c.name for c in columns]
    return [dict(zip(names, row, strict=True))
            for row in conn.execute(query.order_by(md.c.day, md.c.machine_id)).all()]
