"""Downtime events and reason codes (seed 004 §4.2, §7.2): create, edit, close, delete, list,
and the Pareto analysis of where the time went."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.engine import Connection

from opslens.errors import Conflict, NotFound
from opslens.ingest.service import write_changes, write_one
from opslens.plant import oee_rollups
from opslens.plant.oee import OeeQuery, machines_in_scope, window_of
from opslens.plant.reasons import ensure_standard_reasons
from opslens.plant.sites import load_site
from opslens.store import oee as oee_store
from opslens.store import records

EVENT_INPUT_FIELDS = ("machine_id", "start_time", "end_time", "reason_code", "planned",
                      "work_order_id", "notes", "logged_by")
REASON_INPUT_FIELDS = ("category", "description", "planned", "loss", "parent_code", "color",
                       "sort_order", "active")


# ---- reason codes ------------------------------------------------------------------------------

def list_reasons(conn: Connection, org: str, now: datetime) -> list[dict[str, Any]]:
    records.ensure_organization(conn, org, now)
    ensure_standard_reasons(conn, org, now)
    return oee_store.reasons(conn, org)


def create_reason(conn: Connection, org: str, body: dict[str, Any], now: datetime
                  ) -> dict[str, Any]:
    existing = {r["code"] for r in list_reasons(conn, org, now)}
    if body.get("code") in existing:
        raise Conflict(f"reason code {body['code']!r} exists; PATCH it to change it")
    write_one(conn, org, "reason_codes", body, now)
    return _reason(conn, org, body["code"])


def update_reason(conn: Connection, org: str, code: str, changes: dict[str, Any],
                  now: datetime) -> dict[str, Any]:
    current = {r["code"]: r for r in list_reasons(conn, org, now)}.get(code)
    if current is None:
        raise NotFound(f"unknown reason code {code!r}")
    write_changes(conn, org, "reason_codes", current, changes, "code", REASON_INPUT_FIELDS, now)
    return _reason(conn, org, code)


def _reason(conn: Connection, org: str, code: str) -> dict[str, Any]:
    return next(r for r in oee_store.reasons(conn, org) if r["code"] == code)


# ---- downtime events ---------------------------------------------------------------------------

def create_event(conn: Connection, org: str, body: dict[str, Any], now: datetime
                 ) -> dict[str, Any]:
    ensure_standard_reasons(conn, org, now)
    body = dict(body)
    body.setdefault("id", f"DT-{uuid.uuid4().hex[:12]}")
    if oee_store.event(conn, org, str(body["id"])) is not None:
        raise Conflict(f"downtime event {body['id']!r} exists; PATCH it to change it")
    row = write_one(conn, org, "downtime_events", body, now)
    return get_event(conn, org, row["id"])


def get_event(conn: Connection, org: str, event_id: str) -> dict[str, Any]:
    found = oee_store.event(conn, org, event_id)
    if found is None:
        raise NotFound(f"unknown downtime event {event_id!r}")
    return found


def update_event(conn: Connection, org: str, event_id: str, changes: dict[str, Any],
                 now: datetime) -> dict[str, Any]:
    """Edit an event; ``end_time`` closes an open one, ``end_time: null`` reopens it."""
    current = get_event(conn, org, event_id)
    write_changes(conn, org, "downtime_events", current, changes, "id", EVENT_INPUT_FIELDS, now)
    return get_event(conn, org, event_id)


def delete_event(conn: Connection, org: str, event_id: str) -> None:
    event = get_event(conn, org, event_id)
    oee_store.delete_event(conn, org, event_id)
    oee_rollups.invalidate(conn, org, [(event["site_id"], event["start_time"],
                                        event["end_time"])])
    records.bump_data_version(conn, org)


def list_events(conn: Connection, org: str, *, machine_id: str | None, lo: datetime | None,
                hi: datetime | None, reason_code: str | None, open_only: bool, limit: int,
                offset: int) -> dict[str, Any]:
    machine_ids = None if machine_id is None else [machine_id]
    rows, total = oee_store.events(conn, org, machine_ids=machine_ids, lo=lo, hi=hi,
                                   reason_code=reason_code, open_only=open_only, limit=limit,
                                   offset=offset)
    return {"data": rows, "count": total, "limit": limit, "offset": offset}


# ---- Pareto ------------------------------------------------------------------------------------

class ParetoQuery(OeeQuery):
    include_planned: bool = Field(False, description="Also rank planned downtime.")
    group_by: Literal["reason", "loss", "machine"] = "reason"


def pareto(conn: Connection, org: str, query: ParetoQuery) -> dict[str, Any]:
    """Downtime minutes per reason (or loss, or machine) inside the window, overlaps resolved,
    and the stops that began in it, ranked by duration and by frequency with cumulative
    shares (served from the hourly rollups where they hold)."""
    as_of = query.resolved_as_of()
    descriptions = {r["code"]: r["description"] for r in oee_store.reasons(conn, org)}
    minutes: dict[str, float] = defaultdict(float)
    stops: dict[str, int] = defaultdict(int)
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for machine in machines_in_scope(conn, org, query):
        by_site[machine["site_id"]].append(machine)
    for site_id, machines in sorted(by_site.items()):
        site = load_site(conn, org, site_id)
        window = window_of(conn, org, query, site, as_of)
        coverage = oee_rollups.cover(conn, org, site, machines, window, as_of,
                                     minor_stop_s=query.minor_stop_seconds)
        found = oee_rollups.downtime(conn, org, coverage, ("machine_id",))
        for (machine_id, code, loss), (seconds, begun) in found.items():
            if loss == "planned" and not query.include_planned:
                continue
            key = {"reason": code, "loss": loss, "machine": machine_id}[query.group_by]
            minutes[key] += seconds / 60
            stops[key] += begun
    return {
        "group_by": query.group_by,
        "total_minutes": round(sum(minutes.values()), 2),
        "total_stops": sum(stops.values()),
        "by_duration": _ranked(dict(minutes), stops, descriptions, "minutes"),
        "by_frequency": _ranked({k: float(v) for k, v in stops.items()}, stops, descriptions,
                                "stops"),
    }


def _ranked(values: dict[str, float], stops: dict[str, int],
            descriptions: dict[str, str], measure: str) -> list[dict[str, Any]]:
    total = sum(values.values())
    out, running = [], 0.0
    for key, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        running += value
        out.append({"key": key, "description": descriptions.get(key),
                    measure: round(value, 2) if measure == "minutes" else int(value),
                    "stops": stops.get(key, 0),
                    "share": round(100 * value / total, 2) if total else None,
                    "cumulative_share": round(100 * running / total, 2) if total else None})
    return out
