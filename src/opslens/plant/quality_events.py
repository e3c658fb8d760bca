"""Quality events (seed 004 §4.4): log scrap, rework, defects, inspections and holds, list
them, and the scrap analysis of a machine, line, site or the organization over a window.

Two sources, never added together: production counts say how much was made and scrapped
(the scrap rate, counted scrap / counted total, pro-rated into the window as OEE does), and
quality events say why (reason code, defect type), so the Paretos rank the quantities of
scrap events (and of rework events with ``include_rework``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import Field
from sqlalchemy.engine import Connection

from opslens.domain import scrap
from opslens.ingest.oee_logs import EventType
from opslens.plant.oee import OeeQuery
from opslens.plant.performance_logs import (
    LogFilter,
    day_shares,
    pct,
    rounded,
    scope_of,
    site_windows,
    write_batch,
)
from opslens.store import oee as oee_store
from opslens.store import oee_logs as logs_store
from opslens.store import schema

SCRAP_TYPES = ("scrap", "rework")


class EventFilter(LogFilter):
    event_type: EventType | None = None


class ScrapQuery(OeeQuery):
    include_rework: bool = Field(False, description="Also rank rework events.")


def list_events(conn: Connection, org: str, f: EventFilter) -> dict[str, Any]:
    rows, total = logs_store.quality_events(
        conn, org, machine_id=f.machine_id, line_id=f.line_id, site_id=f.site_id,
        work_order_id=f.work_order_id, event_type=f.event_type, lo=f.start, hi=f.end,
        limit=f.limit, offset=f.offset)
    return {"data": rows, "count": total, "limit": f.limit, "offset": f.offset}


def create_events(conn: Connection, org: str, body: dict[str, Any] | list[dict[str, Any]],
                  now: datetime) -> dict[str, Any]:
    """Log one quality event or a list of them (all or none)."""
    ids = write_batch(conn, org, "quality_events", schema.quality_events, "QE", body, now)
    rows, _ = logs_store.quality_events(conn, org, ids=ids, limit=len(ids))
    by_id = {r["id"]: r for r in rows}
    return {"stored": len(ids), "data": [by_id[i] for i in ids]}


@dataclass
class _Events:
    """Sums of scrap and rework events under one key [units]."""

    quantity: float = 0.0  # what the Pareto ranks: scrap, plus rework when asked
    scrap: float = 0.0
    rework: float = 0.0
    events: int = 0


@dataclass
class _Counted:
    """Sums of production counts, pro-rated into the window [units]."""

    total: float = 0.0
    good: float = 0.0
    scrap: float = 0.0
    rework: float = 0.0

    def add(self, row: dict[str, Any], share: float) -> None:
        self.total += share * row["total"]
        self.good += share * row["good"]
        self.scrap += share * row["scrap"]
        self.rework += share * row["rework"]

    def as_dict(self) -> dict[str, Any]:
        return {"total": rounded(self.total, 3), "good": rounded(self.good, 3),
                "scrap": rounded(self.scrap, 3), "rework": rounded(self.rework, 3),
                "scrap_rate": pct(scrap.scrap_rate(self.scrap, self.total)),
                "rework_rate": pct(scrap.scrap_rate(self.rework, self.total))}


def scrap_analysis(conn: Connection, org: str, query: ScrapQuery) -> dict[str, Any]:
    """Scrap of the scope over the query's window: Paretos of scrap events by reason code,
    defect type and machine (shares and cumulative shares of the ranked quantity), the
    counted scrap rate of the scope and of each machine, and a daily trend (local days with
    events or counts only)."""
    as_of = query.resolved_as_of()
    windows = list(site_windows(conn, org, query, as_of))
    by: dict[str, dict[Hashable, _Events]] = {
        "reason": defaultdict(_Events), "defect": defaultdict(_Events),
        "machine": defaultdict(_Events)}
    events_by_day: dict[date, _Events] = defaultdict(_Events)
    counted = _Counted()
    counted_by_machine: dict[str, _Counted] = defaultdict(_Counted)
    counted_by_day: dict[date, _Counted] = defaultdict(_Counted)
    totals = _Events()
    names: dict[str, str] = {}
    wo = query.work_order_id
    for w in windows:
        lo, hi = w.known
        names |= {m["id"]: m["name"] for m in w.machines}
        if hi <= lo:
            continue
        ids = [m["id"] for m in w.machines]
        for e in logs_store.events_in(conn, org, ids, lo, hi, SCRAP_TYPES):
            if wo is not None and e["work_order_id"] != wo:
                continue
            ranked = e["event_type"] == "scrap" or query.include_rework
            day = e["occurred_at"].astimezone(w.site.tz).date()
            for sums in (totals, events_by_day[day]):
                _add(sums, e, True)
            for group, key in (("reason", e["reason_code"]), ("defect", e["defect_type"]),
                               ("machine", e["machine_id"])):
                if ranked:
                    _add(by[group][key], e, query.include_rework)
        for row in oee_store.counts(conn, org, ids, lo, hi):
            if row["counted_at"] > as_of or (wo is not None and row["work_order_id"] != wo):
                continue
            shares = day_shares(row["counted_at"], row["period_start"], w.known, w.site.tz)
            if not shares:
                continue
            counted.add(row, sum(s for _, s in shares))
            counted_by_machine[row["machine_id"]].add(row, sum(s for _, s in shares))
            for day, share in shares:
                counted_by_day[day].add(row, share)
    for machine_id, sums in counted_by_machine.items():
        if sums.total > 0 or sums.scrap > 0:
            by["machine"].setdefault(machine_id, _Events())
    machines = _pareto(by["machine"])
    for row in machines:
        row["name"] = names.get(row["key"])
        row["counted"] = counted_by_machine.get(row["key"], _Counted()).as_dict()
    return {
        **scope_of(query, windows, as_of),
        "include_rework": query.include_rework,
        "scrap_quantity": rounded(totals.scrap, 3),
        "rework_quantity": rounded(totals.rework, 3),
        "events": totals.events,
        "counted": counted.as_dict(),
        "by_reason": _pareto(by["reason"]),
        "by_defect_type": _pareto(by["defect"]),
        "by_machine": machines,
        "daily": [{"date": day.isoformat(),
                   "scrap_quantity": rounded(events_by_day[day].scrap, 3),
                   "rework_quantity": rounded(events_by_day[day].rework, 3),
                   "events": events_by_day[day].events,
                   "counted": counted_by_day[day].as_dict()}
                  for day in sorted(set(events_by_day) | set(counted_by_day))],
    }


def _add(sums: _Events, event: dict[str, Any], rework_ranked: bool) -> None:
    quantity = event["quantity"]
    if event["event_type"] == "scrap":
        sums.scrap += quantity
        sums.quantity += quantity
    else:
        sums.rework += quantity
        if rework_ranked:
            sums.quantity += quantity
    sums.events += 1


def _pareto(groups: dict[Hashable, _Events]) -> list[dict[str, Any]]:
    rows = scrap.pareto({key: sums.quantity for key, sums in groups.items()})
    return [{"key": r.key, "quantity": rounded(r.quantity, 3),
             "scrap": rounded(groups[r.key].scrap, 3),
             "rework": rounded(groups[r.key].rework, 3), "events": groups[r.key].events,
             "share": pct(r.share), "cumulative_share": pct(r.cumulative_share)}
            for r in rows]
