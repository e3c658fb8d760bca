"""Reads of the plant hierarchy and of work orders for the live dashboards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import schema

WORK_ORDER_FIELDS = ("id", "machine_id", "start_time", "end_time", "status", "qty", "ok_qty",
                     "scrap_qty", "product_id", "operator_id", "updated_at")


def _rows(conn: Connection, query) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(query).mappings().all()]


def list_sites(conn: Connection, org: str) -> list[dict[str, Any]]:
    t = schema.sites
    query = sa.select(t.c.id, t.c.name, t.c.timezone, t.c.latitude, t.c.longitude)
    return _rows(conn, query.where(t.c.organization_id == org).order_by(t.c.id))


def get_site(conn: Connection, org: str, site_id: str) -> dict[str, Any] | None:
    t = schema.sites
    query = sa.select(t.c.id, t.c.name, t.c.timezone, t.c.latitude, t.c.longitude)
    rows = _rows(conn, query.where(t.c.organization_id == org, t.c.id == site_id))
    return rows[0] if rows else None


def shifts_of_site(conn: Connection, org: str, site_id: str) -> list[dict[str, Any]]:
    t = schema.shifts
    query = sa.select(t.c.id, t.c.name, t.c.start_time, t.c.end_time, t.c.weekdays, t.c.breaks)
    return _rows(conn, query.where(t.c.organization_id == org, t.c.site_id == site_id)
                 .order_by(t.c.start_time, t.c.id))


def machines_of_site(conn: Connection, org: str, site_id: str) -> list[dict[str, Any]]:
    t = schema.machines
    query = sa.select(t.c.id, t.c.name, t.c.asset_id, t.c.line_id, t.c.ideal_cycle_time_s)
    return _rows(conn, query.where(t.c.organization_id == org, t.c.site_id == site_id)
                 .order_by(t.c.id))


def machines(conn: Connection, org: str, *, machine_id: str | None = None,
             line_id: str | None = None, site_id: str | None = None) -> list[dict[str, Any]]:
    """Machines of the organization, or of one site, line or machine, by id."""
    t = schema.machines
    query = sa.select(t.c.id, t.c.site_id, t.c.line_id, t.c.name, t.c.asset_id,
                      t.c.ideal_cycle_time_s).where(t.c.organization_id == org)
    for column, value in (("id", machine_id), ("line_id", line_id), ("site_id", site_id)):
        if value is not None:
            query = query.where(t.c[column] == value)
    return _rows(conn, query.order_by(t.c.id))


def terminal_changes(
    conn: Connection, org: str, site_id: str, day_start: datetime, as_of: datetime
) -> list[dict[str, Any]]:
    """Logs of a site that turned a work order Completed or Closed in [day_start, as_of) and
    are still its last known log at as_of (seed 003: "changed to that status today")."""
    logs, later = schema.work_order_logs, schema.work_order_logs.alias("later")
    w = schema.work_orders
    superseded = sa.exists().where(
        later.c.organization_id == logs.c.organization_id,
        later.c.work_order_id == logs.c.work_order_id,
        later.c.changed_at > logs.c.changed_at, later.c.changed_at < as_of,
    )
    query = (
        sa.select(logs.c.work_order_id, logs.c.status, logs.c.changed_at)
        .join(w, sa.and_(w.c.organization_id == logs.c.organization_id,
                         w.c.id == logs.c.work_order_id))
        .where(logs.c.organization_id == org, w.c.site_id == site_id,
               logs.c.status.in_(("Completed", "Closed")),
               logs.c.changed_at >= day_start, logs.c.changed_at < as_of, ~superseded)
    )
    return _rows(conn, query)


def segments_at(
    conn: Connection, org: str, site_id: str, as_of: datetime
) -> list[dict[str, Any]]:
    """Work-order segments of a site in force at the instant ``as_of``: the state just before
    it, from logs written before it (the rule the rollups follow)."""
    s = schema.wo_segments
    query = sa.select(s.c.work_order_id, s.c.machine_id, s.c.status, s.c.seg_start,
                      s.c.wo_start_time).where(
        s.c.organization_id == org, s.c.site_id == site_id, s.c.status != "Scheduled",
        s.c.seg_start < as_of, s.c.seg_end >= as_of,
        sa.or_(s.c.logs_from.is_(None), s.c.logs_from >= as_of),
    )
    return _rows(conn, query)


def work_orders_by_id(conn: Connection, org: str, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    t = schema.work_orders
    query = sa.select(*(t.c[name] for name in WORK_ORDER_FIELDS)).where(
        t.c.organization_id == org, t.c.id.in_(ids)
    )
    return _rows(conn, query.order_by(t.c.start_time, t.c.id))
