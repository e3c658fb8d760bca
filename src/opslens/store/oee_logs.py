"""Reads of the OEE log tables: performance logs (with the target cycle time in force) and
quality events, listed with filters or taken over a window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import schema
from opslens.store.oee import with_ideal_cycle_time

LOG_FIELDS = ("id", "site_id", "machine_id", "work_order_id", "operation_id", "logged_at",
              "period_start", "actual_cycle_time_s", "target_cycle_time_s", "units_produced",
              "product_id", "notes", "logged_by", "updated_at")
EVENT_FIELDS = ("id", "site_id", "machine_id", "work_order_id", "operation_id", "occurred_at",
                "event_type", "quantity", "reason_code", "defect_type", "logged_by", "notes",
                "updated_at")


def _rows(conn: Connection, query) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(query).mappings().all()]


def _logs_with_targets() -> sa.Select:
    """Performance logs with ``ideal_cycle_time_s``, the ideal in force for each."""
    p = schema.performance_logs
    return with_ideal_cycle_time(p, *(p.c[f] for f in LOG_FIELDS))


def _reaching_into(at: sa.Column, start: sa.Column | None, lo: datetime | None,
                   hi: datetime | None) -> list[Any]:
    """Rows at a point in [lo, hi), or over a period [start, at) that reaches into it."""
    if lo is None and hi is None:
        return []
    point = sa.and_(*([at >= lo] if lo is not None else []), *([at < hi] if hi is not None
                                                               else []))
    if start is None:
        return [point]
    period = sa.and_(start.is_not(None), *([start < hi] if hi is not None else []),
                     *([at > lo] if lo is not None else []))
    return [sa.or_(point, period)]


def _filters(table: sa.Table, org: str, *, machine_ids: Iterable[str] | None,
             machine_id: str | None, line_id: str | None, site_id: str | None,
             work_order_id: str | None) -> list[Any]:
    where = [table.c.organization_id == org]
    if machine_ids is not None:
        where.append(table.c.machine_id.in_(list(machine_ids)))
    if machine_id is not None:
        where.append(table.c.machine_id == machine_id)
    if site_id is not None:
        where.append(table.c.site_id == site_id)
    if work_order_id is not None:
        where.append(table.c.work_order_id == work_order_id)
    if line_id is not None:
        m = schema.machines
        where.append(table.c.machine_id.in_(
            sa.select(m.c.id).where(m.c.organization_id == org, m.c.line_id == line_id)))
    return where


def performance_logs(conn: Connection, org: str, *, machine_id: str | None = None,
                     line_id: str | None = None, site_id: str | None = None,
                     work_order_id: str | None = None, lo: datetime | None = None,
                     hi: datetime | None = None, ids: Sequence[str] | None = None,
                     limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Performance logs that reach into [lo, hi), newest first, with the total that match."""
    p = schema.performance_logs
    where = _filters(p, org, machine_ids=None, machine_id=machine_id, line_id=line_id,
                     site_id=site_id, work_order_id=work_order_id)
    where += _reaching_into(p.c.logged_at, p.c.period_start, lo, hi)
    if ids is not None:
        where.append(p.c.id.in_(list(ids)))
    total = conn.execute(sa.select(sa.func.count()).select_from(p).where(*where)).scalar_one()
    query = (_logs_with_targets().where(*where)
             .order_by(p.c.logged_at.desc(), p.c.id).limit(limit).offset(offset))
    return _rows(conn, query), total


def logs_in(conn: Connection, org: str, machine_ids: Sequence[str], lo: datetime,
            hi: datetime) -> list[dict[str, Any]]:
    """Performance logs of the machines that fall in [lo, hi) or whose period reaches into
    it, oldest first, each with its ideal cycle time."""
    if not machine_ids:
        return []
    p = schema.performance_logs
    where = _filters(p, org, machine_ids=machine_ids, machine_id=None, line_id=None,
                     site_id=None, work_order_id=None)
    where += _reaching_into(p.c.logged_at, p.c.period_start, lo, hi)
    return _rows(conn, _logs_with_targets().where(*where)
                 .order_by(p.c.machine_id, p.c.logged_at, p.c.id))


def quality_events(conn: Connection, org: str, *, machine_id: str | None = None,
                   line_id: str | None = None, site_id: str | None = None,
                   work_order_id: str | None = None, event_type: str | None = None,
                   lo: datetime | None = None, hi: datetime | None = None,
                   ids: Sequence[str] | None = None, limit: int = 100, offset: int = 0
                   ) -> tuple[list[dict[str, Any]], int]:
    """Quality events in [lo, hi), newest first, with the total that match."""
    q = schema.quality_events
    where = _filters(q, org, machine_ids=None, machine_id=machine_id, line_id=line_id,
                     site_id=site_id, work_order_id=work_order_id)
    where += _reaching_into(q.c.occurred_at, None, lo, hi)
    if event_type is not None:
        where.append(q.c.event_type == event_type)
    if ids is not None:
        where.append(q.c.id.in_(list(ids)))
    total = conn.execute(sa.select(sa.func.count()).select_from(q).where(*where)).scalar_one()
    query = (sa.select(*(q.c[f] for f in EVENT_FIELDS)).where(*where)
             .order_by(q.c.occurred_at.desc(), q.c.id).limit(limit).offset(offset))
    return _rows(conn, query), total


def events_in(conn: Connection, org: str, machine_ids: Sequence[str], lo: datetime,
              hi: datetime, event_types: Sequence[str]) -> list[dict[str, Any]]:
    """Quality events of the machines and types in [lo, hi), oldest first."""
    if not machine_ids:
        return []
    q = schema.quality_events
    query = (sa.select(*(q.c[f] for f in EVENT_FIELDS))
             .where(q.c.organization_id == org, q.c.machine_id.in_(list(machine_ids)),
                    q.c.event_type.in_(list(event_types)), q.c.occurred_at >= lo,
                    q.c.occurred_at < hi)
             .order_by(q.c.machine_id, q.c.occurred_at, q.c.id))
    return _rows(conn, query)


def existing_ids(conn: Connection, org: str, table: sa.Table, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` the table already holds for the organization."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    return set(conn.execute(sa.select(table.c.id).where(
        table.c.organization_id == org, table.c.id.in_(wanted))).scalars())
