"""The hourly and daily OEE rollups (seed 004 §3.4): writing them, marking which site-hours
and site-days are complete, forgetting them when data changes, and summing them.

Rows hold the additive sums of :class:`opslens.domain.oee.OeeInputs` (``schema.OEE_SUMS``),
so every read is a ``SUM ... GROUP BY`` and pooling stays exact. The rows of a site-hour are
trusted only while ``oee_rollup_hours`` marks it; a day's rows in ``oee_days`` are the sums of
its hours, written once every hour of the day is marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import records, schema
from opslens.store.schema import OEE_SUMS

#: What the sums can be grouped by (a day row has no hour).
HOUR_KEYS = ("machine_id", "day", "hour_start", "hour", "shift_id")
DAY_KEYS = ("machine_id", "day", "shift_id")
_LONGEST_HOUR = timedelta(hours=2)  # a local hour lasts at most 1.5 h (Lord Howe's DST)


def marked_hours(conn: Connection, org: str, site_id: str, lo: datetime, hi: datetime
                 ) -> dict[datetime, datetime]:
    """The complete site-hours that reach into [lo, hi), each with its ``stable_from``."""
    m = schema.oee_rollup_hours
    query = sa.select(m.c.hour_start, m.c.stable_from).where(
        m.c.organization_id == org, m.c.site_id == site_id,
        m.c.hour_start > lo - _LONGEST_HOUR, m.c.hour_start < hi, m.c.hour_end > lo)
    return dict(conn.execute(query).all())


def marked_days(conn: Connection, org: str, site_id: str, first: date, last: date
                ) -> dict[date, datetime]:
    """The complete site-days of [first, last], each with its ``stable_from``."""
    m = schema.oee_rollup_days
    query = sa.select(m.c.day, m.c.stable_from).where(
        m.c.organization_id == org, m.c.site_id == site_id, m.c.day.between(first, last))
    return dict(conn.execute(query).all())


def write_hours(conn: Connection, org: str, site_id: str, rows: Sequence[dict[str, Any]],
                reason_rows: Sequence[dict[str, Any]], marks: Sequence[dict[str, Any]],
                now: datetime) -> None:
    """Replace the rows of the site-hours in ``marks`` (hour_start, hour_end, day,
    stable_from) with ``rows`` and ``reason_rows``, and mark those hours complete."""
    if not marks:
        return
    starts = sorted(m["hour_start"] for m in marks)
    for table in (schema.oee_hours, schema.oee_hour_reasons, schema.oee_rollup_hours):
        conn.execute(table.delete().where(
            table.c.organization_id == org, table.c.site_id == site_id,
            table.c.hour_start.between(starts[0], starts[-1]), table.c.hour_start.in_(starts)))
    constants = {"organization_id": org, "site_id": site_id}
    records.upsert(conn, schema.oee_hours, rows, constants)
    records.upsert(conn, schema.oee_hour_reasons, reason_rows, constants)
    records.upsert(conn, schema.oee_rollup_hours, marks, {**constants, "computed_at": now})


def complete_days(conn: Connection, org: str, site_id: str, hours_of: Mapping[date, int]
                  ) -> dict[date, datetime]:
    """Of the days in ``hours_of`` (day → its number of local hours), those whose every hour
    is marked, each with the latest ``stable_from`` of its hours."""
    if not hours_of:
        return {}
    m = schema.oee_rollup_hours
    days = sorted(hours_of)
    query = sa.select(m.c.day, sa.func.count(), sa.func.max(m.c.stable_from)).where(
        m.c.organization_id == org, m.c.site_id == site_id,
        m.c.day.between(days[0], days[-1]), m.c.day.in_(days)).group_by(m.c.day)
    return {day: stable for day, marked, stable in conn.execute(query).all()
            if marked == hours_of[day]}


def write_days(conn: Connection, org: str, site_id: str, days: Mapping[date, dict[str, Any]],
               now: datetime) -> None:
    """Sum the hours of each complete day in ``days`` (day → day_start, day_end,
    stable_from) into ``oee_days`` and mark the day complete."""
    if not days:
        return
    wanted = sorted(days)
    h, d, m = schema.oee_hours, schema.oee_days, schema.oee_rollup_days
    for table in (d, m):
        conn.execute(table.delete().where(
            table.c.organization_id == org, table.c.site_id == site_id,
            table.c.day.between(wanted[0], wanted[-1]), table.c.day.in_(wanted)))
    keys = [h.c.organization_id, h.c.site_id, h.c.machine_id, h.c.day, h.c.shift_id]
    summed = sa.select(*keys, *(sa.func.sum(h.c[name]) for name in OEE_SUMS)).where(
        h.c.organization_id == org, h.c.site_id == site_id,
        h.c.day.between(wanted[0], wanted[-1]), h.c.day.in_(wanted)).group_by(*keys)
    conn.execute(d.insert().from_select(
        ["organization_id", "site_id", "machine_id", "day", "shift_id", *OEE_SUMS], summed))
    records.upsert(conn, m, [{"day": day, **mark} for day, mark in days.items()],
                   {"organization_id": org, "site_id": site_id, "computed_at": now})


def invalidate(conn: Connection, org: str, site_id: str | None = None,
               span: tuple[datetime, datetime | None] | None = None,
               days: tuple[date, date | None] | None = None) -> None:
    """Forget a site's hours reaching into ``span`` [lo, hi) (hi None: every later hour)
    and its days in ``days`` [first, last]; without them, all of the site's (or, without
    ``site_id``, the organization's) rollups."""
    for table in (schema.oee_rollup_hours, schema.oee_hours, schema.oee_hour_reasons):
        where = [table.c.organization_id == org]
        if site_id is not None:
            where.append(table.c.site_id == site_id)
        if span is not None:
            lo, hi = span
            where.append(table.c.hour_start > lo - _LONGEST_HOUR)
            if hi is not None:
                where.append(table.c.hour_start < hi)
        conn.execute(table.delete().where(*where))
    for table in (schema.oee_rollup_days, schema.oee_days):
        where = [table.c.organization_id == org]
        if site_id is not None:
            where.append(table.c.site_id == site_id)
        if days is not None:
            first, last = days
            where.append(table.c.day >= first)
            if last is not None:
                where.append(table.c.day <= last)
        conn.execute(table.delete().where(*where))


def sums(conn: Connection, org: str, site_id: str, by: Sequence[str], *,
         machine_ids: Sequence[str] | None = None, days: Sequence[date] = (),
         hours: Sequence[datetime] = ()) -> list[dict[str, Any]]:
    """The stored sums of ``days`` (from oee_days) or of ``hours`` (from oee_hours), one row
    per distinct value of the ``by`` columns, with every column of ``OEE_SUMS``."""
    if bool(days) == bool(hours):
        raise ValueError("sum either days or hours")
    table, column, values = (("oee_days", "day", days) if days
                             else ("oee_hours", "hour_start", hours))
    allowed = DAY_KEYS if days else HOUR_KEYS
    if not set(by) <= set(allowed):
        raise ValueError(f"{table} rows cannot be grouped by {sorted(set(by) - set(allowed))}")
    values = sorted(values)
    params: dict[str, Any] = {"org": org, "site": site_id, "lo": values[0], "hi": values[-1],
                              "values": values}
    listed = "" if days and _consecutive(values) else f"AND {column} IN :values"
    machine_filter = ""
    if machine_ids is not None:
        machine_filter = "AND machine_id IN :machines"
        params["machines"] = list(machine_ids)
    # Plain SQL: this is the hot read of every OEE figure, and SQLAlchemy's compilation of
    # seventeen SUMs costs more than DuckDB's answer. Names come from constants, not input.
    keys = ", ".join(by)
    statement = sa.text(
        f"SELECT {keys}{', ' if by else ''}{_SUMS} FROM {table} "  # noqa: S608
        f"WHERE organization_id = :org AND site_id = :site AND {column} BETWEEN :lo AND :hi "
        f"{listed} {machine_filter}"
        + (f" GROUP BY {keys}" if by else "")
    )
    if listed:
        statement = statement.bindparams(sa.bindparam("values", expanding=True))
    else:
        del params["values"]
    if machine_ids is not None:
        statement = statement.bindparams(sa.bindparam("machines", expanding=True))
    return [dict(row) for row in conn.execute(statement, params).mappings().all()]


_SUMS = ", ".join(f"SUM({name}) AS {name}" for name in OEE_SUMS)


def _consecutive(days: Sequence[date]) -> bool:
    """Sorted days without a gap: a range test alone selects them (an IN list of many dates
    costs DuckDB more than the rows it filters)."""
    return (days[-1] - days[0]).days == len(days) - 1


def reason_sums(conn: Connection, org: str, site_id: str, by: Sequence[str], *,
                machine_ids: Sequence[str] | None = None, days: Sequence[date] = (),
                hours: Sequence[datetime] = ()) -> list[dict[str, Any]]:
    """Stored downtime seconds and stops per reason and loss (and the ``by`` columns) over
    whole ``days`` and single ``hours``."""
    r = schema.oee_hour_reasons
    spans = []
    if days:
        days = sorted(days)
        spans.append(sa.and_(r.c.day.between(days[0], days[-1]),
                             *([] if _consecutive(days) else [r.c.day.in_(days)])))
    if hours:
        hours = sorted(hours)
        spans.append(sa.and_(r.c.hour_start.between(hours[0], hours[-1]),
                             r.c.hour_start.in_(hours)))
    if not spans:
        return []
    keys = [r.c[name] for name in (*by, "reason_code", "loss")]
    where = [r.c.organization_id == org, r.c.site_id == site_id, sa.or_(*spans)]
    if machine_ids is not None:
        where.append(r.c.machine_id.in_(list(machine_ids)))
    query = sa.select(*keys, sa.func.sum(r.c.seconds).label("seconds"),
                      sa.func.sum(r.c.stops).label("stops")).where(*where).group_by(*keys)
    return [dict(row) for row in conn.execute(query).mappings().all()]
