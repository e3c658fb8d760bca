"""Performance logs (seed 004 §4.3): log cycle times, list them with their efficiency, and the
cycle-time analysis of a machine, line, site or the organization over a window.

A log's target cycle time is its own, else the ideal in force for its product and machine
(as for production counts). A log with ``period_start`` made its units over
``[period_start, logged_at)`` and is pro-rated into windows and local days by the share of
that period inside them, as counts are (:func:`opslens.domain.time_model.count_share`); a log
without one is a point at ``logged_at``. Logs reported after ``as_of`` are not yet known.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy.engine import Connection

from opslens.domain import cycle_time
from opslens.domain.cycle_time import CycleLog, CycleStats
from opslens.domain.intervals import Interval, split_by_local_day
from opslens.domain.periods import check_day
from opslens.domain.rounding import round_half_up
from opslens.errors import Conflict, InvalidInput
from opslens.ingest.service import write_one
from opslens.plant.oee import OeeQuery, machines_in_scope, window_of
from opslens.plant.sites import Site, load_site
from opslens.store import oee_logs as logs_store
from opslens.store import schema

MAX_BATCH = 1000  # records per POST; larger batches go to POST /api/ingest/{kind}


# ---- shared by the log and event services ------------------------------------------------------

class LogFilter(BaseModel):
    """Which logs or events to list: any of machine, line, site, work order, and a window."""

    model_config = ConfigDict(extra="forbid")

    machine_id: str | None = None
    line_id: str | None = None
    site_id: str | None = None
    work_order_id: str | None = None
    start: datetime | None = Field(None, description="Records reaching past this (ISO 8601 "
                                                     "with offset).")
    end: datetime | None = Field(None, description="Records before this, exclusive.")
    limit: int = Field(100, ge=1, le=10000)
    offset: int = Field(0, ge=0, le=10_000_000)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{info.field_name} needs a UTC offset, e.g. "
                             "2025-10-14T06:00:00+02:00")
        try:
            return check_day(value.astimezone(UTC), info.field_name)
        except OverflowError:
            raise ValueError(f"{info.field_name} {value.isoformat()} is out of range") from None

    @model_validator(mode="after")
    def _ordered(self) -> LogFilter:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


def write_batch(conn: Connection, org: str, kind: str, table: sa.Table, prefix: str,
                body: dict[str, Any] | list[dict[str, Any]], now: datetime) -> list[str]:
    """Store one record or a list of them with :func:`write_one` (all or none: the caller's
    transaction), giving records without an id a new one. Returns the ids in input order.

    An id the organization already has is a conflict (re-send it to ``/api/ingest/{kind}``
    to replace it); bad records are reported together, each with its index in the list."""
    single = not isinstance(body, list)
    items = [body] if single else list(body)
    noun = kind.replace("_", " ")
    if not items:
        raise InvalidInput(f"send one {noun.removesuffix('s')} or a non-empty list of them",
                           [{"field": None, "reason": "empty list"}])
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"{len(items)} {noun} in one request; send at most {MAX_BATCH}, "
                           f"or send larger batches to POST /api/ingest/{kind}",
                           [{"field": None, "reason": "too many records"}])
    items = [{"id": f"{prefix}-{uuid.uuid4().hex[:12]}", **item} for item in items]
    ids = [str(item["id"]) for item in items]
    taken = logs_store.existing_ids(conn, org, table, ids)
    if taken:
        shown = ", ".join(repr(i) for i in sorted(taken)[:20])
        which = f"id {shown} is" if len(taken) == 1 else f"ids {shown} are"
        raise Conflict(f"{noun.removesuffix('s')} {which} already stored; leave out the id to "
                       f"log a new record, or send it to POST /api/ingest/{kind} to replace it",
                       [{"index": index, "field": "id", "reason": "exists"}
                        for index, i in enumerate(ids) if i in taken][:1000])
    if single:
        write_one(conn, org, kind, items[0], now)
        return ids
    errors: list[dict[str, Any]] = []
    first: dict[str, int] = {}
    for index, (record_id, item) in enumerate(zip(ids, items, strict=True)):
        if record_id in first:
            errors.append({"index": index, "field": "id", "reason": (
                f"duplicate of record {first[record_id]}; send each record once")})
            continue
        first[record_id] = index
        try:
            write_one(conn, org, kind, item, now)
        except InvalidInput as exc:
            errors += [{"index": index, **error} for error in exc.errors]
    if errors:
        bad = len({e["index"] for e in errors})
        raise InvalidInput(f"{bad} of {len(items)} {noun} are invalid; nothing was stored",
                           errors[:1000])
    return ids


@dataclass(frozen=True)
class SiteWindow:
    site: Site
    machines: list[dict[str, Any]]
    window: Interval  # the query's window in this site's calendar
    known: Interval  # the part of it up to as_of (may be empty)


def site_windows(conn: Connection, org: str, query: OeeQuery, as_of: datetime
                 ) -> Iterator[SiteWindow]:
    """The machines in the query's scope by site, each site with its window."""
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for machine in machines_in_scope(conn, org, query):
        by_site[machine["site_id"]].append(machine)
    for site_id, machines in sorted(by_site.items()):
        site = load_site(conn, org, site_id)
        lo, hi = window_of(conn, org, query, site, as_of)
        yield SiteWindow(site, machines, (lo, hi), (lo, max(lo, min(hi, as_of))))


def day_shares(at: datetime, period_start: datetime | None, window: Interval, tz: ZoneInfo
               ) -> list[tuple[date, float]]:
    """The share (0 to 1) of a record made over ``[period_start, at)`` (a point at ``at``
    without a period) that falls in ``window``, per local day; the shares sum to the
    record's :func:`~opslens.domain.time_model.count_share` of the window."""
    lo, hi = window
    if period_start is None:
        return [(at.astimezone(tz).date(), 1.0)] if lo <= at < hi else []
    length = (at - period_start).total_seconds()
    start, end = max(period_start, lo), min(at, hi)
    if start >= end:
        return []
    return [(day, (piece_end - piece_start).total_seconds() / length)
            for day, (piece_start, piece_end) in split_by_local_day((start, end), tz)]


def scope_of(query: OeeQuery, windows: list[SiteWindow], as_of: datetime) -> dict[str, Any]:
    """The scope, window and as_of of a result, as :func:`opslens.plant.oee.calculate` shows
    them."""
    kind, ref = query.scope
    return {
        "scope": {"type": kind, "id": ref or None, "work_order_id": query.work_order_id},
        "window": {"start": min((w.window[0] for w in windows), default=None),
                   "end": max((w.window[1] for w in windows), default=None)},
        "as_of": as_of,
    }


def rounded(value: float | None, digits: int) -> float | None:
    """``value`` rounded half up; None for None or a non-finite value."""
    if value is None or not math.isfinite(value):
        return None
    return round_half_up(value, digits)


def pct(ratio: float | None) -> float | None:
    return None if ratio is None else rounded(100 * ratio, 2)


# ---- performance logs --------------------------------------------------------------------------

def _with_derived(row: dict[str, Any]) -> dict[str, Any]:
    """A stored log as the API shows it: the target in force and where it came from, and the
    log's own efficiency and speed loss [%]."""
    row = dict(row)
    ideal = row.pop("ideal_cycle_time_s")
    logged = row["target_cycle_time_s"]
    row["target_cycle_time_s"] = logged if logged is not None else ideal
    row["target_source"] = ("logged" if logged is not None
                            else "ideal" if ideal is not None else None)
    efficiency = cycle_time.log_efficiency(row["actual_cycle_time_s"],
                                           row["target_cycle_time_s"])
    row["efficiency_pct"] = pct(efficiency)
    row["speed_loss_pct"] = pct(cycle_time.log_speed_loss(efficiency))
    return row


def list_logs(conn: Connection, org: str, f: LogFilter) -> dict[str, Any]:
    rows, total = logs_store.performance_logs(
        conn, org, machine_id=f.machine_id, line_id=f.line_id, site_id=f.site_id,
        work_order_id=f.work_order_id, lo=f.start, hi=f.end, limit=f.limit, offset=f.offset)
    return {"data": [_with_derived(r) for r in rows], "count": total, "limit": f.limit,
            "offset": f.offset}


def create_logs(conn: Connection, org: str, body: dict[str, Any] | list[dict[str, Any]],
                now: datetime) -> dict[str, Any]:
    """Log one performance record or a list of them (all or none)."""
    ids = write_batch(conn, org, "performance_logs", schema.performance_logs, "PL", body, now)
    rows, _ = logs_store.performance_logs(conn, org, ids=ids, limit=len(ids))
    by_id = {r["id"]: _with_derived(r) for r in rows}
    return {"stored": len(ids), "data": [by_id[i] for i in ids]}


# ---- cycle-time analysis -----------------------------------------------------------------------

def serialize(stats: CycleStats) -> dict[str, Any]:
    """Cycle-time statistics as the API shows them: seconds (3 decimals), percentages (2),
    minutes (2); None where undefined."""
    return {
        "logs": stats.logs,
        "units": rounded(stats.units, 3),
        "mean_cycle_time_s": rounded(stats.mean_s, 3),
        "min_cycle_time_s": rounded(stats.min_s, 3),
        "max_cycle_time_s": rounded(stats.max_s, 3),
        "p50_cycle_time_s": rounded(stats.p50_s, 3),
        "p90_cycle_time_s": rounded(stats.p90_s, 3),
        "target_cycle_time_s": rounded(stats.target_s, 3),
        "efficiency_pct": pct(stats.efficiency),
        "speed_loss_pct": pct(cycle_time.log_speed_loss(stats.efficiency)),
        "speed_loss_minutes": rounded(None if stats.speed_loss_s is None
                                      else stats.speed_loss_s / 60, 2),
        "actual_work_s": rounded(stats.actual_work_s, 3),
        "target_work_s": rounded(stats.target_work_s, 3),
        "units_without_target": rounded(stats.units_without_target, 3),
    }


def _log_of(row: dict[str, Any], share: float) -> CycleLog:
    target = row["target_cycle_time_s"]
    return CycleLog(row["actual_cycle_time_s"], share * row["units_produced"],
                    target if target is not None else row["ideal_cycle_time_s"])


def cycle_time_analysis(conn: Connection, org: str, query: OeeQuery) -> dict[str, Any]:
    """Cycle times of the scope over the query's window: pooled over the scope, per machine
    and product, per product, and per local day (days with logs only), from
    :func:`opslens.domain.cycle_time.summarize`."""
    as_of = query.resolved_as_of()
    windows = list(site_windows(conn, org, query, as_of))
    everything: list[CycleLog] = []
    per_machine: dict[str, list[CycleLog]] = defaultdict(list)
    per_product: dict[tuple[str, str | None], list[CycleLog]] = defaultdict(list)
    per_day: dict[date, list[CycleLog]] = defaultdict(list)
    for w in windows:
        lo, hi = w.known
        if hi <= lo:
            continue
        for row in logs_store.logs_in(conn, org, [m["id"] for m in w.machines], lo, hi):
            if row["logged_at"] > as_of or (query.work_order_id is not None
                                            and row["work_order_id"] != query.work_order_id):
                continue
            shares = day_shares(row["logged_at"], row["period_start"], w.known, w.site.tz)
            if not shares:
                continue
            log = _log_of(row, sum(share for _, share in shares))
            everything.append(log)
            per_machine[row["machine_id"]].append(log)
            per_product[row["machine_id"], row["product_id"]].append(log)
            for day, share in shares:
                per_day[day].append(_log_of(row, share))
    out = {**scope_of(query, windows, as_of), **summary(everything)}
    products: dict[str | None, list[CycleLog]] = defaultdict(list)
    for (_, product_id), logs in per_product.items():
        products[product_id] += logs
    out["products"] = [{"product_id": p, **summary(products[p])}
                       for p in sorted(products, key=_none_last)]
    if query.include_machines:
        out["machines"] = [
            {"machine_id": m["id"], "name": m["name"], "line_id": m["line_id"],
             "site_id": m["site_id"], **summary(per_machine[m["id"]]),
             "products": [{"product_id": p, **summary(per_product[m["id"], p])}
                          for p in sorted({p for mid, p in per_product if mid == m["id"]},
                                          key=_none_last)]}
            for w in windows for m in w.machines]
    out["daily"] = [{"date": day.isoformat(), **summary(per_day[day])}
                    for day in sorted(per_day)]
    return out


def summary(logs: list[CycleLog]) -> dict[str, Any]:
    return serialize(cycle_time.summarize(logs))


def _none_last(key: str | None) -> tuple[bool, str]:
    return key is None, key or ""
