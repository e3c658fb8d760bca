"""Reads and writes of the OEE tables: reason codes, stops, counts with their ideal cycle
times, downtime events by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import schema

REASON_FIELDS = ("code", "category", "description", "planned", "loss", "parent_code", "color",
                 "sort_order", "active", "updated_at")
EVENT_FIELDS = ("id", "site_id", "machine_id", "start_time", "end_time", "reason_code",
                "planned", "work_order_id", "notes", "logged_by", "updated_at")
ANY_MACHINE = "*"  # an ideal cycle time of a product on every machine


def _rows(conn: Connection, query) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(query).mappings().all()]


def count_reasons(conn: Connection, org: str) -> int:
    t = schema.reason_codes
    return conn.execute(sa.select(sa.func.count()).select_from(t)
                        .where(t.c.organization_id == org)).scalar_one()


def reasons(conn: Connection, org: str) -> list[dict[str, Any]]:
    t = schema.reason_codes
    query = sa.select(*(t.c[f] for f in REASON_FIELDS)).where(t.c.organization_id == org)
    return _rows(conn, query.order_by(t.c.sort_order, t.c.code))


def _machine_filter(table: sa.Table, machine_ids: Sequence[str]):
    return table.c.machine_id.in_(list(machine_ids))


def stops(conn: Connection, org: str, machine_ids: Sequence[str], lo: datetime, hi: datetime
          ) -> list[dict[str, Any]]:
    """Downtime events of the machines that reach into [lo, hi), with their reason's loss and
    the planned flag in force (the event's own, else its reason's)."""
    if not machine_ids:
        return []
    e, r = schema.downtime_events, schema.reason_codes
    query = (
        sa.select(e.c.id, e.c.machine_id, e.c.start_time, e.c.end_time, e.c.reason_code,
                  sa.func.coalesce(e.c.planned, r.c.planned).label("planned"), r.c.loss)
        .join(r, sa.and_(r.c.organization_id == e.c.organization_id,
                         r.c.code == e.c.reason_code))
        .where(e.c.organization_id == org, _machine_filter(e, machine_ids),
               e.c.start_time < hi, sa.or_(e.c.end_time.is_(None), e.c.end_time > lo))
        .order_by(e.c.machine_id, e.c.start_time, e.c.id)
    )
    return _rows(conn, query)


def with_ideal_cycle_time(table: sa.Table, *columns) -> sa.Select:
    """Select ``columns`` of ``table`` (rows with machine_id and product_id) with the ideal
    cycle time in force for each row as ``ideal_cycle_time_s``: the product's on that
    machine, else the product's on any machine, else the machine's own (None when none)."""
    m = schema.machines
    own = schema.ideal_cycle_times.alias("own")
    anywhere = schema.ideal_cycle_times.alias("anywhere")
    return (
        sa.select(*columns,
                  sa.func.coalesce(own.c.ideal_cycle_time_s, anywhere.c.ideal_cycle_time_s,
                                   m.c.ideal_cycle_time_s).label("ideal_cycle_time_s"))
        .select_from(table)
        .outerjoin(m, sa.and_(m.c.organization_id == table.c.organization_id,
                              m.c.id == table.c.machine_id))
        .outerjoin(own, sa.and_(own.c.organization_id == table.c.organization_id,
                                own.c.product_id == table.c.product_id,
                                own.c.machine_id == table.c.machine_id))
        .outerjoin(anywhere, sa.and_(anywhere.c.organization_id == table.c.organization_id,
                                     anywhere.c.product_id == table.c.product_id,
                                     anywhere.c.machine_id == ANY_MACHINE))
    )


def counts(conn: Connection, org: str, machine_ids: Sequence[str], lo: datetime, hi: datetime
           ) -> list[dict[str, Any]]:
    """Production counts of the machines that fall in [lo, hi) or whose period reaches into
    it, each with its ideal cycle time (:func:`with_ideal_cycle_time`)."""
    if not machine_ids:
        return []
    c = schema.production_counts
    query = (
        with_ideal_cycle_time(c, c.c.machine_id, c.c.counted_at, c.c.period_start, c.c.total,
                              c.c.good, c.c.scrap, c.c.rework, c.c.startup_rejects,
                              c.c.work_order_id, c.c.product_id)
        .where(c.c.organization_id == org, _machine_filter(c, machine_ids),
               sa.or_(sa.and_(c.c.counted_at >= lo, c.c.counted_at < hi),
                      sa.and_(c.c.period_start.is_not(None), c.c.period_start < hi,
                              c.c.counted_at > lo)))
        .order_by(c.c.machine_id, c.c.counted_at)
    )
    return _rows(conn, query)


def events(conn: Connection, org: str, *, machine_ids: Sequence[str] | None = None,
           lo: datetime | None = None, hi: datetime | None = None,
           reason_code: str | None = None, open_only: bool = False,
           limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Downtime events, newest first, with the total that match."""
    e = schema.downtime_events
    where = [e.c.organization_id == org]
    if machine_ids is not None:
        where.append(_machine_filter(e, machine_ids))
    if hi is not None:
        where.append(e.c.start_time < hi)
    if lo is not None:
        where.append(sa.or_(e.c.end_time.is_(None), e.c.end_time > lo))
    if reason_code is not None:
        where.append(e.c.reason_code == reason_code)
    if open_only:
        where.append(e.c.end_time.is_(None))
    total = conn.execute(sa.select(sa.func.count()).select_from(e).where(*where)).scalar_one()
    query = (sa.select(*(e.c[f] for f in EVENT_FIELDS)).where(*where)
             .order_by(e.c.start_time.desc(), e.c.id).limit(limit).offset(offset))
    return _rows(conn, query), total


def event(conn: Connection, org: str, event_id: str) -> dict[str, Any] | None:
    e = schema.downtime_events
    rows = _rows(conn, sa.select(*(e.c[f] for f in EVENT_FIELDS))
                 .where(e.c.organization_id == org, e.c.id == event_id))
    return rows[0] if rows else None


def delete_event(conn: Connection, org: str, event_id: str) -> int:
    e = schema.downtime_events
    return conn.execute(e.delete().where(e.c.organization_id == org, e.c.id == event_id)
                        ).rowcount


def reason_in_use(conn: Connection, org: str, code: str) -> int:
    e = schema.downtime_events
    return conn.execute(sa.select(sa.func.count()).select_from(e)
                        .where(e.c.organization_id == org, e.c.reason_code == code)
                        ).scalar_one()


TARGET_FIELDS = ("id", "scope", "reference_id", "oee_target", "availability_target",
                 "performance_target", "quality_target", "effective_date", "expiry_date",
                 "updated_at")


def targets(conn: Connection, org: str, target_id: str | None = None) -> list[dict[str, Any]]:
    t = schema.oee_targets
    query = sa.select(*(t.c[f] for f in TARGET_FIELDS)).where(t.c.organization_id == org)
    if target_id is not None:
        query = query.where(t.c.id == target_id)
    return _rows(conn, query.order_by(t.c.scope, t.c.reference_id, t.c.effective_date))


def delete_target(conn: Connection, org: str, target_id: str) -> int:
    t = schema.oee_targets
    return conn.execute(t.delete().where(t.c.organization_id == org, t.c.id == target_id)
                        ).rowcount


READING_FIELDS = ("machine_id", "reading_time", "site_id", "kwh_consumed", "meter_reading",
                  "work_order_id", "batch_id", "product_id", "updated_at")


def readings_around(conn: Connection, org: str, machine_id: str, lo: datetime, hi: datetime
                    ) -> list[dict[str, Any]]:
    """A machine's energy readings in [lo, hi), with the last one before lo (the start of
    the first increment, or the meter's baseline) and the first at or after hi (its increment
    may reach back into the window)."""
    r = schema.energy_readings
    base = sa.select(*(r.c[f] for f in READING_FIELDS)).where(
        r.c.organization_id == org, r.c.machine_id == machine_id)
    inside = base.where(r.c.reading_time >= lo, r.c.reading_time < hi)
    before = base.where(r.c.reading_time < lo).order_by(r.c.reading_time.desc()).limit(1)
    after = base.where(r.c.reading_time >= hi).order_by(r.c.reading_time).limit(1)
    rows = _rows(conn, before) + _rows(conn, inside.order_by(r.c.reading_time))
    return rows + _rows(conn, after)


def readings(conn: Connection, org: str, *, machine_id: str | None, lo: datetime | None,
             hi: datetime | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    r = schema.energy_readings
    where = [r.c.organization_id == org]
    if machine_id is not None:
        where.append(r.c.machine_id == machine_id)
    if lo is not None:
        where.append(r.c.reading_time >= lo)
    if hi is not None:
        where.append(r.c.reading_time < hi)
    total = conn.execute(sa.select(sa.func.count()).select_from(r).where(*where)).scalar_one()
    query = (sa.select(*(r.c[f] for f in READING_FIELDS)).where(*where)
             .order_by(r.c.reading_time.desc(), r.c.machine_id).limit(limit).offset(offset))
    return _rows(conn, query), total


BASELINE_FIELDS = ("id", "machine_id", "product_id", "kwh_per_unit", "kwh_per_hour",
                   "effective_date", "notes", "updated_at")


def baselines(conn: Connection, org: str) -> list[dict[str, Any]]:
    b = schema.energy_baselines
    return _rows(conn, sa.select(*(b.c[f] for f in BASELINE_FIELDS))
                 .where(b.c.organization_id == org)
                 .order_by(b.c.machine_id, b.c.product_id, b.c.effective_date))


SNAPSHOT_FIELDS = ("id", "scope", "reference_id", "window_start", "window_end", "snapshot_time",
                   "availability", "performance", "quality", "oee", "planned_production_s",
                   "run_s", "ideal_output_s", "total_count", "good_count", "created_by")


def insert_snapshot(conn: Connection, org: str, row: dict[str, Any]) -> None:
    conn.execute(schema.oee_snapshots.insert().values(organization_id=org, **row))


def snapshots(conn: Connection, org: str, *, scope: str | None, reference_id: str | None,
              limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    s = schema.oee_snapshots
    where = [s.c.organization_id == org]
    if scope is not None:
        where.append(s.c.scope == scope)
    if reference_id is not None:
        where.append(s.c.reference_id == reference_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(s).where(*where)).scalar_one()
    query = (sa.select(*(s.c[f] for f in SNAPSHOT_FIELDS)).where(*where)
             .order_by(s.c.snapshot_time.desc(), s.c.id).limit(limit).offset(offset))
    return _rows(conn, query), total


def snapshot(conn: Connection, org: str, snapshot_id: str) -> dict[str, Any] | None:
    s = schema.oee_snapshots
    rows = _rows(conn, sa.select(*(s.c[f] for f in SNAPSHOT_FIELDS), s.c.detail)
                 .where(s.c.organization_id == org, s.c.id == snapshot_id))
    return rows[0] if rows else None


def tariffs(conn: Connection, org: str, site_id: str) -> list[dict[str, Any]]:
    """The site's energy tariffs, else the organization-wide ones (site_id "")."""
    t = schema.energy_tariffs
    rows = _rows(conn, sa.select(t.c.id, t.c.site_id, t.c.effective_date, t.c.flat_rate,
                                 t.c.periods, t.c.currency)
                 .where(t.c.organization_id == org, t.c.site_id.in_([site_id, ""]))
                 .order_by(t.c.effective_date))
    own = [r for r in rows if r["site_id"] == site_id]
    return own or rows


def _nearest_readings(conn: Connection, org: str, machine_ids: Sequence[str], where: list,
                      latest: bool) -> dict[str, dict[str, Any]]:
    """Per machine, its latest (or earliest) energy reading that matches ``where``."""
    r = schema.energy_readings
    order = r.c.reading_time.desc() if latest else r.c.reading_time.asc()
    rank = sa.func.row_number().over(partition_by=r.c.machine_id, order_by=order).label("rank")
    ranked = (sa.select(*(r.c[f] for f in READING_FIELDS), rank)
              .where(r.c.organization_id == org, _machine_filter(r, machine_ids), *where)
              .subquery())
    rows = _rows(conn, sa.select(*(ranked.c[f] for f in READING_FIELDS))
                 .where(ranked.c.rank == 1))
    return {row["machine_id"]: row for row in rows}


def readings_around_machines(conn: Connection, org: str, machine_ids: Sequence[str],
                             lo: datetime, hi: datetime, until: datetime,
                             near: timedelta = timedelta(days=7)
                             ) -> dict[str, list[dict[str, Any]]]:
    """What :func:`readings_around` gives, for many machines in a few queries: each machine's
    readings in [lo, hi) in time order, with the last one before lo and the first at or after hi
    (but before ``until``, the instant after which readings are not yet known).

    Neighbours are sought within ``near`` of the window first and further only for the machines
    that have none that close, so a query never ranks a machine's whole history needlessly."""
    if not machine_ids:
        return {}
    r = schema.energy_readings
    t = r.c.reading_time
    before = _nearest_readings(conn, org, machine_ids, [t < lo, t >= lo - near], latest=True)
    missing = [m for m in machine_ids if m not in before]
    if missing:
        before |= _nearest_readings(conn, org, missing, [t < lo - near], latest=True)
    after: dict[str, dict[str, Any]] = {}
    if hi < until:
        after = _nearest_readings(conn, org, machine_ids, [t >= hi, t < min(hi + near, until)],
                                  latest=False)
        missing = [m for m in machine_ids if m not in after]
        if missing and hi + near < until:
            after |= _nearest_readings(conn, org, missing, [t >= hi + near, t < until],
                                       latest=False)
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in machine_ids}
    for row in before.values():
        out[row["machine_id"]].append(row)
    inside = (sa.select(*(r.c[f] for f in READING_FIELDS))
              .where(r.c.organization_id == org, _machine_filter(r, machine_ids), t >= lo,
                     t < hi)
              .order_by(r.c.machine_id, t))
    for row in _rows(conn, inside):
        out[row["machine_id"]].append(row)
    for row in after.values():
        out[row["machine_id"]].append(row)
    return out
