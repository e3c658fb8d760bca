"""Outages for operators: lists with filters, one outage whole, and the actions operators
take on it (confirm, cancel, restore, merge, split), each through the correlation engine so
memory and store agree, each recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opslens.domain.correlation import Correlator
from opslens.errors import InvalidInput, NotFound
from opslens.grid import intake
from opslens.store import grid as grid_store
from opslens.store.engine import Store

Action = Literal["confirm", "cancel", "restore", "merge", "split"]


class OutageAction(BaseModel):
    """An operator's action on an outage (PATCH /api/oms/outages/{id})."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    action: Action
    at: datetime | None = Field(None, description="When it happened (default: now); with an "
                                "offset. For restore: the restoration time.")
    actor: str = Field("operator", min_length=1, max_length=200)
    outages: list[str] = Field([], description="merge: the outages to merge into this one",
                               max_length=1000)
    event_ids: list[str] = Field([], description="split: the events that form the new outage",
                                 max_length=100000)
    note: str | None = Field(None, max_length=2000)


def act(store: Store, org: str, outage_id: str, action: OutageAction, now: datetime
        ) -> dict[str, Any]:
    at = action.at or now
    if at.tzinfo is None:
        raise InvalidInput("at needs a UTC offset", [{"field": "at", "reason": "no offset"}])

    def work(conn, engine: Correlator):
        _load_closed(conn, org, engine, outage_id)
        if action.action == "confirm":
            changes = engine.confirm(outage_id, at, action.actor)
        elif action.action == "cancel":
            changes = engine.cancel(outage_id, at, action.actor)
        elif action.action == "restore":
            changes = engine.restore(outage_id, at, action.actor)
        elif action.action == "merge":
            changes = engine.merge(outage_id, action.outages, at, action.actor)
        else:
            changes = engine.split(outage_id, action.event_ids, at, action.actor)
        if action.note:
            for entry in changes.log:
                entry[2]["note"] = action.note
        return sorted(changes.outages), changes

    touched = intake.run(store, org, now, work)
    with store.engine.connect() as conn:
        return {"ok": True, "outage": detail(conn, org, outage_id), "touched": touched}


def _load_closed(conn, org: str, engine: Correlator, outage_id: str) -> None:
    """An action on an outage the engine no longer holds: a clear error, not a 500."""
    if outage_id in engine.outages:
        return
    row = grid_store.outage(conn, org, outage_id)
    if row is None:
        raise NotFound(f"unknown outage {outage_id!r}")
    raise InvalidInput(f"outage {outage_id} is {row['status']}; only an open outage can be "
                       "changed", [{"field": "action", "reason": "not open"}])


def listing(conn, org: str, *, statuses: Sequence[str] | None = None,
            severities: Sequence[str] | None = None, feeder_id: str | None = None,
            started_from: datetime | None = None, started_to: datetime | None = None,
            include_merged: bool = False, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    total, rows = grid_store.list_outages(
        conn, org, statuses=statuses, severities=severities, feeder_id=feeder_id,
        started_from=started_from, started_to=started_to, include_merged=include_merged,
        limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "outages": rows}


def detail(conn, org: str, outage_id: str) -> dict[str, Any]:
    """One outage with its events, customers (once closed), crews and history."""
    row = grid_store.outage(conn, org, outage_id)
    if row is None:
        raise NotFound(f"unknown outage {outage_id!r}")
    return {
        **row,
        "events": grid_store.events_of(conn, org, [outage_id]),
        "customers": grid_store.customers_of(conn, org, outage_id),
        "assignments": grid_store.assignments_of(conn, org, outage_id),
        "history": grid_store.changes_after(conn, org, 0, limit=10000, entity="outage",
                                            entity_id=outage_id),
    }
