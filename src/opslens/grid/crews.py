"""Crews and their assignments (seed 002 crew tracking): create and move crews, dispatch
them to outages and follow the work to completion. Assigning a crew confirms its outage
(DESIGN.md §6.1); every change is in the audit trail and on the stream."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from opslens.domain.correlation import Correlator
from opslens.domain.outages import Changes
from opslens.errors import InvalidInput, NotFound
from opslens.grid import intake
from opslens.ingest.service import write_changes, write_one
from opslens.store import grid as grid_store
from opslens.store.engine import Store

CREW_FIELDS = ("id", "name", "type", "skills", "home_latitude", "home_longitude", "latitude",
               "longitude", "position_at", "status")
ASSIGNMENT_FIELDS = ("id", "crew_id", "outage_id", "assignment_type", "dispatched_at", "eta",
                     "arrived_at", "completed_at", "status", "notes")
ACTIVE = ("dispatched", "en_route", "on_site")


def _public(crew: dict[str, Any]) -> dict[str, Any]:
    out = dict(crew)
    out["type"] = out.pop("crew_type")
    out["skills"] = json.loads(out["skills"])
    out.pop("organization_id", None)
    return out


def list_crews(conn: Connection, org: str) -> list[dict[str, Any]]:
    """Every crew with its active assignment (None when free)."""
    active = {a["crew_id"]: a for a in grid_store.assignments(conn, org, statuses=ACTIVE)}
    return [{**_public(c), "active_assignment": active.get(c["id"])}
            for c in grid_store.crews_list(conn, org)]


def crew(conn: Connection, org: str, crew_id: str) -> dict[str, Any]:
    found = grid_store.crew(conn, org, crew_id)
    if found is None:
        raise NotFound(f"unknown crew {crew_id!r}")
    return _public(found)


def _logged(conn: Connection, org: str, entity: str, entity_id: str, action: str, actor: str,
            detail: dict[str, Any], now: datetime) -> None:
    grid_store.append_changes(conn, org, [{"entity": entity, "entity_id": entity_id,
                                           "action": action, "actor": actor,
                                           "detail": detail}], now)


def save_crew(store: Store, org: str, record: dict[str, Any], now: datetime,
              crew_id: str | None = None, actor: str = "operator") -> dict[str, Any]:
    """Create a crew (``crew_id`` None) or change one: its position, status, skills…"""
    with store.engine.begin() as conn:
        if crew_id is None:
            if grid_store.crew(conn, org, str(record.get("id", ""))) is not None:
                raise InvalidInput(f"crew {record['id']!r} exists; PATCH it instead",
                                   [{"field": "id", "reason": "exists"}])
            write_one(conn, org, "crews", record, now)
            crew_id, action = str(record["id"]), "created"
        else:
            current = crew(conn, org, crew_id)
            write_changes(conn, org, "crews", current, record, "id", CREW_FIELDS, now)
            action = "moved" if {"latitude", "longitude"} & set(record) else "updated"
        saved = crew(conn, org, crew_id)
        _logged(conn, org, "crew", crew_id, action, actor, saved, now)
        return saved


def assignments(conn: Connection, org: str, crew_id: str) -> list[dict[str, Any]]:
    crew(conn, org, crew_id)
    return grid_store.assignments(conn, org, crew_id=crew_id)


def assign(store: Store, org: str, crew_id: str, record: dict[str, Any], now: datetime,
           assignment_id: str | None = None, actor: str = "operator") -> dict[str, Any]:
    """Dispatch a crew to an outage (``assignment_id`` None) or record its progress:
    arrival, completion, cancellation. A new assignment confirms a predicted outage."""

    def work(conn: Connection, engine: Correlator):
        the_crew = crew(conn, org, crew_id)
        if assignment_id is None:
            row = write_one(conn, org, "crew_assignments", {**record, "crew_id": crew_id}, now)
            action = "dispatched"
        else:
            current = grid_store.assignment(conn, org, assignment_id)
            if current is None or current["crew_id"] != crew_id:
                raise NotFound(f"crew {crew_id!r} has no assignment {assignment_id!r}")
            if "crew_id" in record and record["crew_id"] != crew_id:
                raise InvalidInput("crew_id cannot change; cancel this assignment and "
                                   "dispatch the other crew", [{"field": "crew_id",
                                                                "reason": "fixed"}])
            row = write_changes(conn, org, "crew_assignments", current, record, "id",
                                ASSIGNMENT_FIELDS, now)
            action = row["status"]
        changes = Changes()
        outage = engine.outages.get(row["outage_id"])
        if assignment_id is None and outage is not None and outage.status == "predicted":
            changes = engine.confirm(outage.id, row["dispatched_at"], f"crew {crew_id}")
        status = {"dispatched": "dispatched", "en_route": "en_route",
                  "on_site": "on_site"}.get(row["status"])
        if status is None:  # completed or cancelled: free unless busy elsewhere
            busy = [a for a in grid_store.assignments(conn, org, crew_id=crew_id,
                                                      statuses=ACTIVE) if a["id"] != row["id"]]
            status = "available" if not busy else the_crew["status"]
        if status != the_crew["status"]:
            write_changes(conn, org, "crews", the_crew, {"status": status}, "id", CREW_FIELDS,
                          now)
        _logged(conn, org, "assignment", row["id"], action, actor, row, now)
        return row, changes

    return intake.run(store, org, now, work)
