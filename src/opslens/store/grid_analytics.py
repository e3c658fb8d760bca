"""SQL of the OMS analytics (DESIGN.md §6.2): aggregates over outages, their customers,
events and crew assignments, set-wise on either store.

Conventions of every query here:

- An outage counts when it belongs to the organization, was not merged into another, was
  not cancelled by ``as_of``, and started in ``[lo, hi)`` (callers keep ``hi ≤ as_of``).
  Only ``cancelled`` source reliability looks at cancelled outages.
- ``as_of`` is "now": an outage or a customer restored after it is still off, and its
  customer-minutes run up to ``as_of``; events after it are not yet known.
- Local calendar buckets are computed without a time-zone function per row (ICU conversion
  costs ~75 ns a row on DuckDB): the caller passes the zone's UTC offsets over the range as
  steps ``[(since, offset_s), …]`` and a row's local time is its epoch plus the offset of its
  step. Groups are keyed by local hour (with its offset, so the two 02:00 hours of a
  fall-back night stay apart), day, Monday week or month; each group also reports its first
  instant, by which the caller places it in its calendar bucket.
- Medians and percentiles use ``percentile_cont … WITHIN GROUP``, which DuckDB and
  PostgreSQL both evaluate with linear interpolation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from opslens.store.grid_schema import (
    crew_assignments,
    crews,
    grid_events,
    grid_networks,
    outage_customers,
    outages,
)

OffsetSteps = Sequence[tuple[datetime, int]]
SOURCES = ("scada", "ami", "onu", "call_center")
SEVERITIES = ("critical", "high", "medium", "low")
#: Restoration-time bins [min): (name, lower, upper); the last is open.
RESTORATION_BINS = (("<30", 0, 30), ("30-60", 30, 60), ("60-120", 60, 120),
                    ("120-240", 120, 240), ("240-480", 240, 480), (">=480", 480, None))
CRITICAL_LIST_LIMIT = 100
_EPOCH_DAY = date(1970, 1, 1)


def _rows(conn: Connection, query: sa.Select) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(query).mappings().all()]


def _epoch(column: Any) -> ColumnElement:
    return sa.cast(sa.extract("epoch", column), sa.Double)


def _minutes(start: Any, end: Any) -> ColumnElement:
    return (_epoch(end) - _epoch(start)) / 60.0


def _num(value: int) -> ColumnElement:
    """An integer written into the statement: offsets and limits are ours, never user text,
    and a literal keeps GROUP BY expressions identical on PostgreSQL."""
    return sa.literal_column(str(int(value)))


def _offset(column: Any, steps: OffsetSteps) -> ColumnElement:
    if len(steps) == 1:
        return _num(steps[0][1])
    whens = [(column < since, _num(prev)) for (_, prev), (since, _) in pairwise(steps)]
    return sa.case(*whens, else_=_num(steps[-1][1]))


def _local_day(column: Any, steps: OffsetSteps) -> ColumnElement:
    """Days since 1970-01-01 of the local date of ``column``."""
    return sa.func.floor((_epoch(column) + _offset(column, steps)) / 86400)


def bucket_key(column: Any, granularity: str, steps: OffsetSteps) -> ColumnElement:
    """A number that is equal for two instants exactly when they fall in the same local hour,
    day, week (from Monday) or month."""
    offset = _offset(column, steps)
    if granularity == "hour":
        return sa.func.floor((_epoch(column) + offset) / 3600) * 3600 - offset
    day = _local_day(column, steps)
    if granularity == "day":
        return day
    if granularity == "week":
        return sa.func.floor((day + 3) / 7)  # 1970-01-01 was a Thursday
    local_date = sa.literal(_EPOCH_DAY, sa.Date) + sa.cast(day, sa.Integer)
    return sa.extract("year", local_date) * 12 + sa.extract("month", local_date)


def network(conn: Connection, org: str) -> dict[str, Any] | None:
    """The organization's network settings: time zone and customers served, or None."""
    n = grid_networks
    found = _rows(conn, sa.select(n.c.timezone, n.c.customers).where(n.c.organization_id == org))
    return found[0] if found else None


def _cancelled(o: sa.Table, as_of: datetime) -> ColumnElement:
    return sa.and_(o.c.status == "cancelled",
                   sa.or_(o.c.cancelled_at.is_(None), o.c.cancelled_at <= as_of))


def _restored(o: sa.Table, as_of: datetime) -> ColumnElement:
    return sa.and_(o.c.restored_at.is_not(None), o.c.restored_at <= as_of)


def _counted(o: sa.Table, org: str, lo: datetime, hi: datetime, as_of: datetime
             ) -> list[ColumnElement]:
    return [o.c.organization_id == org, o.c.merged_into.is_(None), o.c.started_at >= lo,
            o.c.started_at < hi, sa.not_(_cancelled(o, as_of))]


def _count(condition: ColumnElement) -> ColumnElement:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _sum(condition: ColumnElement, value: Any) -> ColumnElement:
    return sa.func.sum(sa.case((condition, value), else_=0))


def _median(value: Any, fraction: str = "0.5") -> ColumnElement:
    return sa.func.percentile_cont(sa.literal_column(fraction)).within_group(value)


# ---- outage trends and customer impact --------------------------------------------------------

def outage_trends(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime,
                  granularity: str, steps: OffsetSteps, outage_type: str | None,
                  severity: str | None) -> list[dict[str, Any]]:
    """One row per non-empty bucket and a total row (``total`` 1), each with ``first_at`` (the
    epoch [s] of its first outage, by which the caller places it in its calendar bucket),
    ``outages``, one count per severity, ``confidence_sum``, ``customers_affected``,
    ``restored`` and the mean and median restoration minutes of the restored outages."""
    o = outages
    where = _counted(o, org, lo, hi, as_of)
    if outage_type is not None:
        where.append(o.c.outage_type == outage_type)
    if severity is not None:
        where.append(o.c.severity == severity)
    restored = _restored(o, as_of)
    minutes = sa.case((restored, _minutes(o.c.started_at, o.c.restored_at)))
    rows = sa.select(
        bucket_key(o.c.started_at, granularity, steps).label("k"),
        _epoch(o.c.started_at).label("at"),
        o.c.severity, o.c.confidence, o.c.customers_affected, minutes.label("minutes"),
    ).where(*where).subquery()
    query = sa.select(
        sa.func.min(rows.c.at).label("first_at"), sa.func.count().label("outages"),
        *(_count(rows.c.severity == s).label(s) for s in SEVERITIES),
        sa.func.sum(rows.c.confidence).label("confidence_sum"),
        sa.func.coalesce(sa.func.sum(rows.c.customers_affected), 0).label("customers_affected"),
        sa.func.count(rows.c.minutes).label("restored"),
        sa.func.sum(rows.c.minutes).label("minutes_sum"),
        _median(rows.c.minutes).label("median_minutes"),
    ).group_by(rows.c.k)
    buckets = _rows(conn, query)
    total = _total(buckets, list(query.selected_columns.keys()))
    total["median_minutes"] = conn.execute(sa.select(_median(minutes)).where(*where)).scalar()
    for row in (*buckets, total):
        minutes = row.pop("minutes_sum") or 0.0
        row["mean_minutes"] = minutes / row["restored"] if row["restored"] else None
    return [*buckets, total]


def _total(buckets: Sequence[dict[str, Any]], columns: Sequence[str]) -> dict[str, Any]:
    """The total row of per-bucket rows whose ``columns`` add up (``first_at``: the
    earliest; zero, or None for ``first_at``, without buckets).

    Cheaper than ``GROUP BY ROLLUP``, which DuckDB answers by materializing the whole input
    once more."""
    total: dict[str, Any] = {name: 0 for name in columns if name != "median_minutes"}
    total.update(total=1, first_at=None)
    for row in buckets:
        row["total"] = 0
        for name, value in row.items():
            if name in ("total", "median_minutes") or value is None:
                continue
            if name == "first_at":
                total[name] = value if total[name] is None else min(total[name], value)
            else:
                total[name] += value
    return total


def customer_impact(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime,
                    granularity: str, steps: OffsetSteps, major_threshold: int,
                    sla_minutes: float) -> list[dict[str, Any]]:
    """One row per non-empty bucket and a total row: outages, customers affected, the final
    customer-minutes of outages restored by ``as_of`` (open ones: :func:`open_customer_minutes`),
    major (customers ≥ ``major_threshold``) and minor outages and their customers, critical
    outages, and over restored outages the restoration-time bins and those within the SLA."""
    o = outages
    restored = _restored(o, as_of)
    rows = sa.select(
        bucket_key(o.c.started_at, granularity, steps).label("k"),
        _epoch(o.c.started_at).label("at"),
        o.c.customers_affected, o.c.critical_customers,
        sa.case((restored, o.c.customer_minutes), else_=0.0).label("customer_minutes"),
        sa.case((restored, _minutes(o.c.started_at, o.c.restored_at))).label("minutes"),
    ).where(*_counted(o, org, lo, hi, as_of)).subquery()
    major = rows.c.customers_affected >= major_threshold
    bins = []
    for name, low, high in RESTORATION_BINS:
        inside = (rows.c.minutes >= low if high is None
                  else sa.and_(rows.c.minutes >= low, rows.c.minutes < high))
        bins += [_count(inside).label(f"bin_{name}"),
                 _sum(inside, rows.c.customers_affected).label(f"bin_{name}_customers")]
    critical = rows.c.critical_customers > 0
    query = sa.select(
        sa.func.min(rows.c.at).label("first_at"), sa.func.count().label("outages"),
        sa.func.coalesce(sa.func.sum(rows.c.customers_affected), 0).label("customers_affected"),
        sa.func.coalesce(sa.func.sum(rows.c.customer_minutes), 0.0).label("customer_minutes"),
        _count(major).label("major_outages"),
        _sum(major, rows.c.customers_affected).label("major_customers"),
        _count(sa.not_(major)).label("minor_outages"),
        _sum(sa.not_(major), rows.c.customers_affected).label("minor_customers"),
        _count(critical).label("critical_outages"),
        _sum(critical, rows.c.customers_affected).label("critical_outage_customers"),
        _sum(critical, rows.c.critical_customers).label("critical_customers"),
        sa.func.count(rows.c.minutes).label("restored"),
        _count(rows.c.minutes <= sla_minutes).label("within_sla"),
        *bins,
    ).group_by(rows.c.k)
    buckets = _rows(conn, query)
    return [*buckets, _total(buckets, list(query.selected_columns.keys()))]


def open_customer_minutes(conn: Connection, org: str, lo: datetime, hi: datetime,
                          as_of: datetime) -> list[dict[str, Any]]:
    """Outages of the window not restored by ``as_of`` with their customer-minutes so far:
    Σ customers × (min(restored_at, as_of) − off_at) over their customers [customer-min]."""
    o, c = outages, outage_customers
    until = sa.func.least(sa.func.coalesce(c.c.restored_at, as_of), as_of)
    query = (sa.select(o.c.id, o.c.started_at,
                       sa.func.coalesce(sa.func.sum(
                           c.c.customers * sa.func.greatest(_minutes(c.c.off_at, until), 0.0)),
                           0.0).label("customer_minutes"))
             .select_from(o.join(c, sa.and_(c.c.organization_id == o.c.organization_id,
                                            c.c.outage_id == o.c.id, c.c.off_at < as_of)))
             .where(*_counted(o, org, lo, hi, as_of), sa.not_(_restored(o, as_of)))
             .group_by(o.c.id, o.c.started_at))
    return _rows(conn, query)


def critical_outages(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime,
                     limit: int = CRITICAL_LIST_LIMIT) -> list[dict[str, Any]]:
    """The window's outages with critical customers, newest first (at most ``limit``)."""
    o = outages
    query = (sa.select(o.c.id, o.c.started_at, o.c.customers_affected, o.c.critical_customers,
                       o.c.severity, sa.case((_restored(o, as_of), o.c.restored_at))
                       .label("restored_at"))
             .where(*_counted(o, org, lo, hi, as_of), o.c.critical_customers > 0)
             .order_by(o.c.started_at.desc(), o.c.id).limit(limit))
    return _rows(conn, query)


# ---- crews ------------------------------------------------------------------------------------

def crew_performance(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime,
                     crew_name: str | None, assignment_type: str | None
                     ) -> list[dict[str, Any]]:
    """Assignments dispatched in ``[lo, hi)`` grouped by ROLLUP(crew, type): ``level`` 0 per
    crew and type, 1 per crew, 2 over all. Times known at ``as_of`` only; minutes [min]."""
    a, c, o = crew_assignments, crews, outages
    arrived = sa.and_(a.c.arrived_at.is_not(None), a.c.arrived_at <= as_of)
    completed = sa.and_(a.c.completed_at.is_not(None), a.c.completed_at <= as_of)
    merged = sa.select(o.c.id).where(o.c.organization_id == org, o.c.merged_into.is_not(None))
    where = [a.c.organization_id == org, a.c.dispatched_at >= lo, a.c.dispatched_at < hi,
             a.c.outage_id.not_in(merged)]  # the few merged away, not a join with every outage
    if crew_name is not None:
        where.append(c.c.name == crew_name)
    if assignment_type is not None:
        where.append(a.c.assignment_type == assignment_type)
    rows = (sa.select(
        a.c.crew_id, c.c.name, a.c.assignment_type,
        sa.case((completed, 1), else_=0).label("completed"),
        sa.case((a.c.status == "cancelled", 1), else_=0).label("cancelled"),
        sa.case((arrived, _minutes(a.c.dispatched_at, a.c.arrived_at))).label("response"),
        sa.case((sa.and_(arrived, completed), _minutes(a.c.arrived_at, a.c.completed_at)))
        .label("work"),
        sa.case((sa.and_(arrived, a.c.eta.is_not(None)),
                 sa.case((a.c.arrived_at <= a.c.eta, 1), else_=0))).label("on_time"),
    ).select_from(
        a.outerjoin(c, sa.and_(c.c.organization_id == a.c.organization_id, c.c.id == a.c.crew_id))
    ).where(*where)).subquery()
    query = sa.select(
        (sa.func.grouping(rows.c.crew_id) + sa.func.grouping(rows.c.assignment_type))
        .label("level"),
        rows.c.crew_id, sa.func.max(rows.c.name).label("crew_name"), rows.c.assignment_type,
        sa.func.count().label("assignments"), sa.func.sum(rows.c.completed).label("completed"),
        sa.func.sum(rows.c.cancelled).label("cancelled"),
        sa.func.count(rows.c.response).label("arrived"),
        sa.func.avg(rows.c.response).label("mean_response"),
        _median(rows.c.response).label("median_response"),
        _median(rows.c.response, "0.9").label("p90_response"),
        sa.func.count(rows.c.work).label("worked"), sa.func.avg(rows.c.work).label("mean_work"),
        _median(rows.c.work).label("median_work"),
        sa.func.count(rows.c.on_time).label("with_eta"),
        sa.func.sum(rows.c.on_time).label("on_time"),
    ).group_by(sa.func.rollup(rows.c.crew_id, rows.c.assignment_type))
    return _rows(conn, query)


# ---- source reliability -----------------------------------------------------------------------

def source_events(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime
                  ) -> list[dict[str, Any]]:
    """Per source, events that occurred in ``[lo, hi)``: all, suppressed, correlated (in an
    outage that was not merged away) and accurate (correlated into an outage not cancelled by
    ``as_of``). Only the few merged or cancelled outages are joined, not every outage."""
    e, o = grid_events, outages
    merged = o.c.merged_into.is_not(None)
    odd = (sa.select(o.c.id, sa.case((merged, 1), else_=0).label("merged"))
           .where(o.c.organization_id == org, sa.or_(merged, _cancelled(o, as_of)))
           .subquery())
    correlated = sa.and_(e.c.outage_id.is_not(None), sa.func.coalesce(odd.c.merged, 0) == 0)
    query = (sa.select(e.c.source, sa.func.count().label("events"),
                       _count(e.c.suppressed).label("suppressed"),
                       _count(correlated).label("correlated"),
                       _count(sa.and_(e.c.outage_id.is_not(None), odd.c.id.is_(None)))
                       .label("accurate"))
             .select_from(e.outerjoin(odd, odd.c.id == e.c.outage_id))
             .where(e.c.organization_id == org, e.c.occurred_at >= lo, e.c.occurred_at < hi)
             .group_by(e.c.source))
    return _rows(conn, query)


def source_outages(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime,
                   high_confidence: float) -> dict[str, Any]:
    """Over the window's outages (not cancelled): how many, how many of high confidence, and
    per source those holding ≥ 1 of its events (the outage's per-source event counts, as
    correlation keeps them): ``{source}_outages``, ``_restored``, ``_high_confidence``."""
    o = outages
    high = o.c.confidence >= high_confidence
    restored = _restored(o, as_of)
    columns = [sa.func.count().label("outages"), _count(high).label("high_confidence")]
    for source in SOURCES:
        held = o.c[f"{source}_events"] > 0
        columns += [_count(held).label(f"{source}_outages"),
                    _count(sa.and_(held, restored)).label(f"{source}_restored"),
                    _count(sa.and_(held, high)).label(f"{source}_high_confidence")]
    return _rows(conn, sa.select(*columns).where(*_counted(o, org, lo, hi, as_of)))[0]


# ---- hotspots ---------------------------------------------------------------------------------

def outages_by_position(conn: Connection, org: str, lo: datetime, hi: datetime,
                        as_of: datetime) -> tuple[list[dict[str, Any]], int]:
    """The window's outages counted per position (outages sit at their devices, so a year of
    them is a few hundred rows): outages, per severity, customers, first and last start; and
    how many had no position."""
    o = outages
    placed = sa.and_(o.c.latitude.is_not(None), o.c.longitude.is_not(None))
    where = _counted(o, org, lo, hi, as_of)
    rows = _rows(conn, sa.select(
        o.c.latitude, o.c.longitude, sa.func.count().label("outages"),
        *[_count(o.c.severity == name).label(name) for name in SEVERITIES],
        sa.func.sum(o.c.customers_affected).label("customers"),
        sa.func.min(o.c.started_at).label("first_outage_at"),
        sa.func.max(o.c.started_at).label("last_outage_at"),
    ).where(*where, placed).group_by(o.c.latitude, o.c.longitude)
        .order_by(o.c.latitude, o.c.longitude))
    unplaced = conn.execute(sa.select(sa.func.count()).where(*where, sa.not_(placed))
                            ).scalar_one()
    return rows, int(unplaced)


# ---- IEEE 1366 --------------------------------------------------------------------------------

def daily_customer_minutes(conn: Connection, org: str, lo: datetime, hi: datetime,
                           as_of: datetime, steps: OffsetSteps) -> dict[date, float]:
    """Sustained customer-minutes [customer-min] per local day an outage began, over outages
    begun in ``[lo, hi)``: the final ``customer_minutes`` of those restored by ``as_of``,
    Σ over their customers up to ``as_of`` for the rest. Days without any are absent."""
    o, c = outages, outage_customers
    where = [*_counted(o, org, lo, hi, as_of), o.c.outage_type == "sustained"]
    day = _local_day(o.c.started_at, steps)
    restored = (sa.select(day.label("day"), sa.func.sum(o.c.customer_minutes).label("cm"))
                .where(*where, _restored(o, as_of)).group_by(day))
    until = sa.func.least(sa.func.coalesce(c.c.restored_at, as_of), as_of)
    still_off = (sa.select(day.label("day"), sa.func.sum(
        c.c.customers * sa.func.greatest(_minutes(c.c.off_at, until), 0.0)).label("cm"))
        .select_from(o.join(c, sa.and_(c.c.organization_id == o.c.organization_id,
                                       c.c.outage_id == o.c.id, c.c.off_at < as_of)))
        .where(*where, sa.not_(_restored(o, as_of))).group_by(day))
    out: dict[date, float] = {}
    for query in (restored, still_off):
        for row in conn.execute(query).all():
            day_of = date.fromordinal(_EPOCH_DAY.toordinal() + int(row.day))
            out[day_of] = out.get(day_of, 0.0) + float(row.cm or 0.0)
    return out


TOTAL_FIELDS = ("customer_interruptions", "customer_minutes", "customers_interrupted",
                "customers_over_n", "customers_long_single", "customers_long_total",
                "momentary_interruptions", "momentary_events")


def reliability_totals(conn: Connection, org: str, lo: datetime, hi: datetime, as_of: datetime,
                       steps: OffsetSteps, excluded_days: Sequence[date], cemi_n: int,
                       celid_minutes: float) -> tuple[dict[str, float], dict[str, float]]:
    """The sums of :class:`opslens.domain.ieee1366.Totals` over the customers of outages begun
    in ``[lo, hi)``, once over every day and once without ``excluded_days`` (local days the
    outages began on): the set-wise form of :func:`opslens.domain.ieee1366.tally`."""
    o, c = outages, outage_customers
    until = sa.func.least(sa.func.coalesce(c.c.restored_at, as_of), as_of)
    day = _local_day(o.c.started_at, steps)
    numbers = [(d - _EPOCH_DAY).days for d in excluded_days]
    kept = sa.not_(day.in_(numbers)) if numbers else sa.true()
    records = (sa.select(
        c.c.element_id, c.c.customers.label("n"), (o.c.outage_type == "sustained").label("sus"),
        o.c.interruptions.label("ops"),
        sa.func.greatest(_minutes(c.c.off_at, until), 0.0).label("minutes"),
        sa.case((kept, 1), else_=0).label("kept"),
    ).select_from(o.join(c, sa.and_(c.c.organization_id == o.c.organization_id,
                                    c.c.outage_id == o.c.id, c.c.off_at < as_of)))
        .where(*_counted(o, org, lo, hi, as_of))).subquery()
    r = records
    per_customer = []
    for prefix, scope in (("a_", sa.true()), ("x_", r.c.kept == 1)):
        sus = sa.and_(scope, r.c.sus)
        mom = sa.and_(scope, sa.not_(r.c.sus))
        per_customer += [
            sa.func.max(sa.case((sus, r.c.n))).label(prefix + "w"),
            _count(sus).label(prefix + "count"),
            _sum(sus, r.c.n).label(prefix + "ci"),
            _sum(sus, r.c.n * r.c.minutes).label(prefix + "cmi"),
            _sum(sus, r.c.minutes).label(prefix + "total"),
            sa.func.max(sa.case((sus, r.c.minutes))).label(prefix + "longest"),
            _sum(mom, r.c.n * r.c.ops).label(prefix + "mi"),
            _sum(mom, r.c.n).label(prefix + "me"),
        ]
    customers = sa.select(*per_customer).group_by(r.c.element_id).subquery()
    out = []
    for prefix in ("a_", "x_"):
        col = customers.c
        w = sa.func.coalesce(col[prefix + "w"], 0)
        out += [
            sa.func.sum(col[prefix + "ci"]), sa.func.sum(col[prefix + "cmi"]),
            _sum(col[prefix + "count"] > 0, w), _sum(col[prefix + "count"] > cemi_n, w),
            _sum(col[prefix + "longest"] >= celid_minutes, w),
            _sum(col[prefix + "total"] >= celid_minutes, w),
            sa.func.sum(col[prefix + "mi"]), sa.func.sum(col[prefix + "me"]),
        ]
    values = [float(v or 0.0) for v in conn.execute(sa.select(*out)).one()]
    n = len(TOTAL_FIELDS)
    return dict(zip(TOTAL_FIELDS, values[:n], strict=True)), dict(zip(TOTAL_FIELDS, values[n:],
                                                                       strict=True))
