"""Derived work-order timelines: status segments and production marks (DESIGN.md §5.1).

Rebuilt set-wise in SQL for the work orders an ingest touched, so late and corrected logs
are always reflected. Callers put the touched ids in place with :func:`load` first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import records
from opslens.store.schema import OPEN_END

IDS = "tmp_wo_ids"

_DELETE_SEGMENTS = (  # IDS is our temporary table, not input
    f"DELETE FROM wo_segments WHERE organization_id = :org AND work_order_id IN (SELECT id FROM {IDS})"  # noqa: S608, E501
)
_DELETE_MARKS = (  # IDS is our temporary table, not input
    f"DELETE FROM wo_marks WHERE organization_id = :org AND work_order_id IN (SELECT id FROM {IDS})"  # noqa: S608
)

# A status from a log holds until the next log; the last one until as_of (OPEN_END).
# Completed and Closed end the timeline and get no segment. A work order without (known) logs
# is in its own status over [start_time, end_time or as_of), Completed and Closed counting as
# Start and ending at end_time (without an end_time their duration is unknown: no segment).
# Logs at or after as_of are not yet known (DESIGN.md §5.1), so a work order whose first log
# comes after its start_time also gets that log-less reading, marked with ``logs_from`` = its
# first log: it holds only for an as_of up to then. (With the first log at or before the
# start, the reading could never add a second, so it is not stored.)
_INSERT_SEGMENTS = f"""
INSERT INTO wo_segments (organization_id, work_order_id, status, seg_start, seg_end,
                         site_id, machine_id, wo_start_time, wo_end_time, ran_from, logs_from)
WITH l AS (
    SELECT work_order_id, changed_at, status,
           LEAD(changed_at) OVER (PARTITION BY work_order_id ORDER BY changed_at) AS next_at
    FROM work_order_logs
    WHERE organization_id = :org AND work_order_id IN (SELECT id FROM {IDS})
), firsts AS (
    SELECT work_order_id, MIN(changed_at) AS first_log FROM l GROUP BY work_order_id
)
SELECT :org, l.work_order_id, l.status, l.changed_at, COALESCE(l.next_at, :open_end),
       w.site_id, w.machine_id, w.start_time, w.end_time,
       CAST(NULL AS TIMESTAMPTZ), CAST(NULL AS TIMESTAMPTZ)
FROM l JOIN work_orders w ON w.organization_id = :org AND w.id = l.work_order_id
WHERE l.status IN ('Assigned', 'Start', 'Hold') AND w.id IN (SELECT id FROM {IDS})
UNION ALL
SELECT :org, w.id,
       CASE WHEN w.status IN ('Completed', 'Closed') THEN 'Start' ELSE w.status END,
       w.start_time, COALESCE(w.end_time, :open_end),
       w.site_id, w.machine_id, w.start_time, w.end_time, CAST(NULL AS TIMESTAMPTZ),
       f.first_log
FROM work_orders w
LEFT JOIN firsts f ON f.work_order_id = w.id
WHERE w.organization_id = :org AND w.id IN (SELECT id FROM {IDS})
  AND (f.first_log IS NULL OR f.first_log > w.start_time)
  AND (w.status NOT IN ('Completed', 'Closed') OR w.end_time IS NOT NULL)
ORDER BY 4
"""  # noqa: S608  (IDS is our temporary table)

# The scheduled span of each work order that ran, from the instant it first started: one row
# for its logged timeline and one for its log-less reading, each valid when its segments are.
_INSERT_SCHEDULED = f"""
INSERT INTO wo_segments (organization_id, work_order_id, status, seg_start, seg_end,
                         site_id, machine_id, wo_start_time, wo_end_time, ran_from, logs_from)
SELECT w.organization_id, w.id, 'Scheduled', w.start_time, COALESCE(w.end_time, :open_end),
       w.site_id, w.machine_id, w.start_time, w.end_time, f.ran_from, f.logs_from
FROM work_orders w
JOIN (SELECT work_order_id, logs_from, MIN(seg_start) AS ran_from FROM wo_segments
      WHERE organization_id = :org AND status = 'Start'
        AND work_order_id IN (SELECT id FROM {IDS})
      GROUP BY work_order_id, logs_from) f ON f.work_order_id = w.id
WHERE w.organization_id = :org AND w.id IN (SELECT id FROM {IDS})
"""  # noqa: S608

# Production: cumulative counts in logs become increments at the log's instant. A log without
# a count repeats the last one, so the increment of a log that has one is its count minus the
# previous log's *that has one*, which is one LAG over the logs with that count. A work order
# that logged no counts puts its own ok/scrap quantities on its start instant (seed 003's
# rule). Completion: a log turning Completed, or a log-less Completed work order at its
# end_time. fpy is weighted by the units its log reported.
_INSERT_MARKS = f"""
INSERT INTO wo_marks (organization_id, work_order_id, marked_at, site_id, machine_id,
                      good_units, scrap_units, completed, fpy_weighted, fpy_units, logs_from)
WITH logs AS (
    SELECT work_order_id, changed_at, status, ok_qty, scrap_qty, fpy
    FROM work_order_logs
    WHERE organization_id = :org AND work_order_id IN (SELECT id FROM {IDS})
), firsts AS (
    SELECT work_order_id, MIN(changed_at) AS first_log,
           MIN(CASE WHEN ok_qty IS NOT NULL OR scrap_qty IS NOT NULL THEN changed_at END)
               AS first_count
    FROM logs GROUP BY work_order_id
), marks AS (
    SELECT work_order_id, changed_at AS marked_at,
           ok_qty - COALESCE(LAG(ok_qty) OVER (PARTITION BY work_order_id
                                                ORDER BY changed_at), 0) AS good,
           0 AS scrap, 0 AS completed, CAST(NULL AS DOUBLE PRECISION) AS fpy,
           CAST(NULL AS TIMESTAMPTZ) AS logs_from, 0 AS fallback
    FROM logs WHERE ok_qty IS NOT NULL
    UNION ALL
    SELECT work_order_id, changed_at, 0,
           scrap_qty - COALESCE(LAG(scrap_qty) OVER (PARTITION BY work_order_id
                                                      ORDER BY changed_at), 0),
           0, NULL, NULL, 0
    FROM logs WHERE scrap_qty IS NOT NULL
    UNION ALL
    SELECT work_order_id, changed_at, 0, 0,
           CASE WHEN status = 'Completed'
                 AND COALESCE(LAG(status) OVER (PARTITION BY work_order_id
                                                ORDER BY changed_at), '') <> 'Completed'
                THEN 1 ELSE 0 END,
           fpy, NULL, 0
    FROM logs
    UNION ALL
    -- the log-less readings, valid while no count (no log) is known yet
    SELECT w.id, w.start_time, COALESCE(w.ok_qty, 0), COALESCE(w.scrap_qty, 0), 0, NULL,
           f.first_count, 1
    FROM work_orders w LEFT JOIN firsts f ON f.work_order_id = w.id
    WHERE w.organization_id = :org AND w.id IN (SELECT id FROM {IDS})
      AND (f.first_count IS NULL OR f.first_count > w.start_time)
    UNION ALL
    SELECT w.id, COALESCE(w.end_time, w.start_time), 0, 0, 1, NULL, f.first_log, 1
    FROM work_orders w LEFT JOIN firsts f ON f.work_order_id = w.id
    WHERE w.organization_id = :org AND w.id IN (SELECT id FROM {IDS})
      AND w.status = 'Completed'
      AND (f.first_log IS NULL OR f.first_log > COALESCE(w.end_time, w.start_time))
), per_instant AS (
    -- a log's fpy weighs the units that log reported, never a log-less reading's units
    SELECT work_order_id, marked_at, logs_from, SUM(good) AS good, SUM(scrap) AS scrap,
           SUM(completed) AS completed, MAX(fpy) AS fpy
    FROM marks GROUP BY work_order_id, marked_at, logs_from, fallback
)
SELECT :org, p.work_order_id, p.marked_at, w.site_id, w.machine_id,
       p.good, p.scrap, p.completed,
       CASE WHEN p.fpy IS NOT NULL THEN p.fpy * (p.good + p.scrap) ELSE 0 END,
       CASE WHEN p.fpy IS NOT NULL THEN p.good + p.scrap ELSE 0 END,
       p.logs_from
FROM per_instant p
JOIN work_orders w ON w.organization_id = :org AND w.id = p.work_order_id
WHERE (p.good <> 0 OR p.scrap <> 0 OR p.completed <> 0)
  AND w.id IN (SELECT id FROM {IDS})
"""  # noqa: S608

# Everything a work order contributes to rollups lies inside its scheduled span, its
# segments and its marks; an open end (NULL) means "until as_of", so every later day.
_SPANS = f"""
WITH spans AS (
    SELECT site_id, start_time AS lo, end_time AS hi, end_time IS NULL AS open_end
    FROM work_orders
    WHERE organization_id = :org AND id IN (SELECT id FROM {IDS})
    UNION ALL
    SELECT site_id, seg_start, seg_end, seg_end >= :open_end
    FROM wo_segments WHERE organization_id = :org AND work_order_id IN (SELECT id FROM {IDS})
    UNION ALL
    SELECT site_id, marked_at, marked_at, FALSE
    FROM wo_marks WHERE organization_id = :org AND work_order_id IN (SELECT id FROM {IDS})
)
SELECT site_id, MIN(lo), MAX(CASE WHEN open_end THEN lo ELSE hi END), BOOL_OR(open_end)
FROM spans GROUP BY site_id
"""  # noqa: S608


@dataclass(frozen=True)
class Span:
    """The instants [first, last] of one site that some change touched; open: and after."""

    site_id: str
    first: datetime
    last: datetime
    open_end: bool


@dataclass(frozen=True)
class OrderBatch:
    """The work orders an ingest touched, loaded into the id table, with their id range."""

    lo: str
    hi: str


def load(conn: Connection, ids: Collection[str]) -> OrderBatch:
    """Put ``ids`` in the id table the statements here join with."""
    records.load_ids(conn, IDS, ids)
    return OrderBatch(lo=min(ids), hi=max(ids))


_ID_FILTER = re.compile(rf"([\w.]+) IN \(SELECT id FROM {IDS}\)")  # noqa: S608  (a pattern)


@functools.cache
def _statement(template: str, dialect: str) -> sa.TextClause:
    """The statement for a dialect. On DuckDB every ``x IN (ids)`` also gets ``x BETWEEN lo
    AND hi``: a literal range its zone maps prune by (ids of one batch are mostly a narrow
    range), where the semi-join alone scans the whole table. PostgreSQL uses its indexes,
    and its collation may order text unlike Python, so it gets no range."""
    if dialect == "duckdb":
        template = _ID_FILTER.sub(
            lambda m: f"{m.group(0)} AND {m.group(1)} BETWEEN :id_lo AND :id_hi", template)
    return sa.text(template)


def _run(conn: Connection, template: str, org: str, batch: OrderBatch):
    params = {"org": org, "open_end": OPEN_END, "id_lo": batch.lo, "id_hi": batch.hi}
    return conn.execute(_statement(template, conn.dialect.name), params)


def spans(conn: Connection, org: str, batch: OrderBatch) -> list[Span]:
    """Where the work orders in the id table currently reach, per site."""
    return [Span(site, lo, hi, bool(open_end))
            for site, lo, hi, open_end in _run(conn, _SPANS, org, batch).all()]


def rebuild(conn: Connection, org: str, batch: OrderBatch) -> None:
    """Recompute segments and marks of the work orders in the id table."""
    for template in (_DELETE_SEGMENTS, _DELETE_MARKS, _INSERT_SEGMENTS, _INSERT_SCHEDULED,
                     _INSERT_MARKS):
        _run(conn, template, org, batch)


def compact(conn: Connection) -> None:
    """Rewrite the derived tables in (organization, site, time) order (DuckDB only).

    DuckDB skips row groups by their min/max values, which only works when rows arrive
    roughly in time order, as they do in live operation. A bulk load of history machine by
    machine leaves every row group spanning all of it; this puts it back in order. The rows
    are the same before and after. PostgreSQL uses its indexes instead and needs nothing.
    """
    if conn.dialect.name != "duckdb":
        return
    for table, order in (("wo_segments", "seg_end"), ("wo_marks", "marked_at")):
        conn.execute(sa.text(
            f"CREATE TEMPORARY TABLE compact_{table} AS SELECT * FROM {table} "  # noqa: S608
            f"ORDER BY organization_id, site_id, {order}"))
        conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608
        conn.execute(sa.text(f"INSERT INTO {table} SELECT * FROM compact_{table}"))  # noqa: S608
        conn.execute(sa.text(f"DROP TABLE compact_{table}"))
