"""Crew record kinds of DESIGN.md §4: crews and their assignments to outages (seed 002 crew
tracking, seed 000 crew analytics). Naive timestamps are read in the network's time zone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal, NotRequired
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, with_config
from typing_extensions import TypedDict

from opslens.ingest.kinds import RECORD_CONFIG, Checked, Context, Record, RecordKind, register
from opslens.ingest.kinds import to_utc as _to_utc
from opslens.store import grid as grid_store
from opslens.store import records
from opslens.store.grid_schema import crew_assignments, crews, outages

Id = Annotated[str, Field(min_length=1, max_length=64)]
Latitude = Annotated[float | None, Field(ge=-90, le=90)]
Longitude = Annotated[float | None, Field(ge=-180, le=180)]
Timestamp = str | datetime
CREW_STATUSES = ("available", "dispatched", "en_route", "on_site", "off_duty")
ASSIGNMENT_TYPES = ("assessment", "repair", "restoration", "inspection")
ASSIGNMENT_STATUSES = ("dispatched", "en_route", "on_site", "completed", "cancelled")


@with_config(RECORD_CONFIG)
class CrewRecord(TypedDict):
    id: Id
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: Annotated[str, Field(min_length=1, max_length=32,
                               validation_alias=AliasChoices("type", "crew_type"))]
    skills: NotRequired[list[Annotated[str, Field(max_length=64)]] | None]
    home_latitude: NotRequired[Latitude]
    home_longitude: NotRequired[Longitude]
    latitude: NotRequired[Latitude]
    longitude: NotRequired[Longitude]
    position_at: NotRequired[Timestamp | None]
    status: NotRequired[Literal[CREW_STATUSES]]


@with_config(RECORD_CONFIG)
class AssignmentRecord(TypedDict):
    id: Id
    crew_id: Id
    outage_id: Id
    assignment_type: Literal[ASSIGNMENT_TYPES]
    dispatched_at: Timestamp
    eta: NotRequired[Timestamp | None]
    arrived_at: NotRequired[Timestamp | None]
    completed_at: NotRequired[Timestamp | None]
    status: NotRequired[Literal[ASSIGNMENT_STATUSES]]
    notes: NotRequired[Annotated[str | None, Field(max_length=2000)]]


def _zone(ctx: Context) -> ZoneInfo:
    network = grid_store.network_row(ctx.conn, ctx.org)
    return ZoneInfo(network["timezone"] if network else "UTC")


def _times(out: Checked, index: int, record: Record, names: Sequence[str], zone: ZoneInfo
           ) -> dict[str, datetime | None] | None:
    found: dict[str, datetime | None] = {}
    for name in names:
        value = record.get(name)
        try:
            found[name] = None if value is None else _to_utc(value, zone)
        except ValueError as exc:
            out.reject(index, name, str(exc))
            return None
    return found


@register
class Crews(RecordKind):
    name = "crews"
    table = crews
    model = CrewRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        zone = _zone(ctx)
        for index, r in batch:
            times = _times(out, index, r, ("position_at",), zone)
            if times is None:
                continue
            for pair in (("home_latitude", "home_longitude"), ("latitude", "longitude")):
                if (r.get(pair[0]) is None) != (r.get(pair[1]) is None):
                    out.reject(index, pair[1], f"give both {pair[0]} and {pair[1]}, or neither")
                    break
            else:
                out.add(index, {
                    "id": r["id"], "name": r["name"], "crew_type": r["type"],
                    "skills": json.dumps(sorted(set(r.get("skills") or ()))),
                    "home_latitude": r.get("home_latitude"),
                    "home_longitude": r.get("home_longitude"),
                    "latitude": r.get("latitude"), "longitude": r.get("longitude"),
                    "position_at": times["position_at"],
                    "status": r.get("status", "available"),
                })
        return out


@register
class CrewAssignments(RecordKind):
    name = "crew_assignments"
    table = crew_assignments
    model = AssignmentRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        zone = _zone(ctx)
        known_crews = records.fetch_by_ids(ctx.conn, crews, ctx.org,
                                           {r["crew_id"] for _, r in batch}, ["status"])
        known_outages = records.fetch_by_ids(ctx.conn, outages, ctx.org,
                                             {r["outage_id"] for _, r in batch}, ["started_at"])
        for index, r in batch:
            if r["crew_id"] not in known_crews:
                out.unknown(index, "crew_id", "crew", r["crew_id"])
                continue
            if r["outage_id"] not in known_outages:
                out.unknown(index, "outage_id", "outage", r["outage_id"])
                continue
            times = _times(out, index, r, ("dispatched_at", "eta", "arrived_at",
                                           "completed_at"), zone)
            if times is None:
                continue
            problem = _order_problem(times)
            status = r.get("status") or _status_from(times)
            problem = problem or _status_problem(status, times)
            if problem:
                out.reject(index, *problem)
                continue
            out.add(index, {"id": r["id"], "crew_id": r["crew_id"],
                            "outage_id": r["outage_id"],
                            "assignment_type": r["assignment_type"], "status": status,
                            **times, "notes": r.get("notes")})
        return out


def _order_problem(times: dict[str, datetime | None]) -> tuple[str, str] | None:
    dispatched = times["dispatched_at"]
    for name in ("eta", "arrived_at", "completed_at"):
        if times[name] is not None and times[name] < dispatched:
            return name, f"{name} ({times[name].isoformat()}) is before dispatched_at " \
                         f"({dispatched.isoformat()})"
    if times["arrived_at"] and times["completed_at"] and \
            times["completed_at"] < times["arrived_at"]:
        return "completed_at", "completed_at is before arrived_at"
    return None


def _status_from(times: dict[str, datetime | None]) -> str:
    if times["completed_at"] is not None:
        return "completed"
    return "on_site" if times["arrived_at"] is not None else "dispatched"


def _status_problem(status: str, times: dict[str, datetime | None]) -> tuple[str, str] | None:
    if status == "completed" and times["completed_at"] is None:
        return "completed_at", "a completed assignment needs completed_at"
    if status in ("dispatched", "en_route") and times["arrived_at"] is not None:
        return "status", f"status {status} but arrived_at is set; use on_site or completed"
    if status == "on_site" and times["arrived_at"] is None:
        return "arrived_at", "an on_site assignment needs arrived_at"
    if status != "completed" and times["completed_at"] is not None:
        return "status", f"status {status} but completed_at is set; use completed"
    return None
