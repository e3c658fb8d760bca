"""SQL of the grid: the network, events, outages, the change feed, correlation state."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.store import records
from opslens.store.grid_schema import (
    crew_assignments,
    crews,
    grid_dead_letters,
    grid_elements,
    grid_events,
    grid_networks,
    oms_changes,
    oms_state,
    outage_customers,
    outages,
    storm_periods,
)

ORG = "organization_id"


def _rows(conn: Connection, query) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(query).mappings()]


# ---- the network ------------------------------------------------------------------------------

def network_row(conn: Connection, org: str) -> dict[str, Any] | None:
    found = _rows(conn, sa.select(grid_networks).where(grid_networks.c[ORG] == org))
    return found[0] if found else None


def elements(conn: Connection, org: str) -> list[dict[str, Any]]:
    return _rows(conn, sa.select(grid_elements).where(grid_elements.c[ORG] == org)
                 .order_by(grid_elements.c.id))


def replace_network(conn: Connection, org: str, meta: Mapping[str, Any],
                    rows: Sequence[Mapping[str, Any]], now: datetime) -> int:
    """Replace the organization's network whole; returns the new version."""
    current = network_row(conn, org)
    version = (current["version"] if current else 0) + 1
    conn.execute(grid_elements.delete().where(grid_elements.c[ORG] == org))
    records.upsert(conn, grid_elements, rows, {ORG: org, "updated_at": now})
    records.upsert(conn, grid_networks, [{**meta, "version": version}],
                   {ORG: org, "updated_at": now})
    return version


# ---- events and dead letters ------------------------------------------------------------------

def known_event_ids(conn: Connection, org: str, ids: Iterable[str]) -> set[str]:
    return set(records.fetch_by_ids(conn, grid_events, org, ids, ["id"]))


def insert_events(conn: Connection, org: str, rows: Sequence[Mapping[str, Any]],
                  now: datetime) -> None:
    """New events only (the caller left out the ids already stored)."""
    records.upsert(conn, grid_events, rows, {ORG: org, "updated_at": now}, new=True)


def move_events(conn: Connection, org: str, moved: Mapping[str, str], now: datetime) -> None:
    """Events of absorbed outages now belong to the outage that absorbed them."""
    for old, new in sorted(moved.items()):
        conn.execute(grid_events.update().where(
            grid_events.c[ORG] == org, grid_events.c.outage_id == old
        ).values(outage_id=new, updated_at=now))


def reassign_events(conn: Connection, org: str, outage_of: Mapping[str, str], now: datetime
                    ) -> None:
    """Events that moved to another outage (a nested one), by event id."""
    by_outage: dict[str, list[str]] = {}
    for event_id, outage_id in outage_of.items():
        by_outage.setdefault(outage_id, []).append(event_id)
    for outage_id, event_ids in sorted(by_outage.items()):
        for start in range(0, len(event_ids), 5000):
            conn.execute(grid_events.update().where(
                grid_events.c[ORG] == org, grid_events.c.id.in_(event_ids[start:start + 5000])
            ).values(outage_id=outage_id, updated_at=now))


def events_of(conn: Connection, org: str, outage_ids: Sequence[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(outage_ids), 1000):
        chunk = list(outage_ids[start:start + 1000])
        found += _rows(conn, sa.select(grid_events).where(
            grid_events.c[ORG] == org, grid_events.c.outage_id.in_(chunk)
        ).order_by(grid_events.c.occurred_at, grid_events.c.id))
    return found


def latest_event_time(conn: Connection, org: str) -> datetime | None:
    return conn.execute(sa.select(sa.func.max(grid_events.c.occurred_at)).where(
        grid_events.c[ORG] == org)).all()[0][0]


def event_times_since(conn: Connection, org: str, since: datetime) -> list[datetime]:
    return list(conn.execute(sa.select(grid_events.c.occurred_at).where(
        grid_events.c[ORG] == org, grid_events.c.occurred_at > since
    ).order_by(grid_events.c.occurred_at)).scalars())


def add_dead_letter(conn: Connection, org: str, row: Mapping[str, Any]) -> None:
    conn.execute(grid_dead_letters.insert().values({**row, ORG: org}))


def dead_letters(conn: Connection, org: str, *, adapter: str | None, limit: int, offset: int
                 ) -> tuple[int, list[dict[str, Any]]]:
    where = [grid_dead_letters.c[ORG] == org]
    if adapter:
        where.append(grid_dead_letters.c.adapter == adapter)
    total = conn.execute(sa.select(sa.func.count()).select_from(grid_dead_letters)
                         .where(*where)).all()[0][0]
    rows = _rows(conn, sa.select(grid_dead_letters).where(*where).order_by(
        grid_dead_letters.c.received_at.desc(), grid_dead_letters.c.id
    ).limit(limit).offset(offset))
    return total, rows


# ---- outages ----------------------------------------------------------------------------------

def upsert_outages(conn: Connection, org: str, rows: Sequence[Mapping[str, Any]],
                   now: datetime) -> None:
    records.upsert(conn, outages, rows, {ORG: org, "updated_at": now})


def open_outages(conn: Connection, org: str) -> list[dict[str, Any]]:
    return _rows(conn, sa.select(outages).where(
        outages.c[ORG] == org, outages.c.status.in_(("predicted", "confirmed"))
    ).order_by(outages.c.id))


def recent_momentary(conn: Connection, org: str, since: datetime) -> list[dict[str, Any]]:
    return _rows(conn, sa.select(outages).where(
        outages.c[ORG] == org, outages.c.status == "restored",
        outages.c.outage_type == "momentary", outages.c.restored_at >= since))


def outage(conn: Connection, org: str, outage_id: str) -> dict[str, Any] | None:
    found = _rows(conn, sa.select(outages).where(outages.c[ORG] == org,
                                                 outages.c.id == outage_id))
    return found[0] if found else None


def list_outages(conn: Connection, org: str, *, statuses: Sequence[str] | None,
                 severities: Sequence[str] | None, feeder_id: str | None,
                 started_from: datetime | None, started_to: datetime | None,
                 include_merged: bool, limit: int, offset: int
                 ) -> tuple[int, list[dict[str, Any]]]:
    where = [outages.c[ORG] == org]
    if statuses:
        where.append(outages.c.status.in_(list(statuses)))
    if severities:
        where.append(outages.c.severity.in_(list(severities)))
    if feeder_id:
        where.append(outages.c.feeder_id == feeder_id)
    if started_from:
        where.append(outages.c.started_at >= started_from)
    if started_to:
        where.append(outages.c.started_at < started_to)
    if not include_merged:
        where.append(outages.c.merged_into.is_(None))
    total = conn.execute(sa.select(sa.func.count()).select_from(outages).where(*where)
                         ).all()[0][0]
    rows = _rows(conn, sa.select(outages).where(*where).order_by(
        outages.c.started_at.desc(), outages.c.id).limit(limit).offset(offset))
    return total, rows


def replace_customers(conn: Connection, org: str, outage_id: str,
                      rows: Sequence[Mapping[str, Any]]) -> None:
    conn.execute(outage_customers.delete().where(outage_customers.c[ORG] == org,
                                                 outage_customers.c.outage_id == outage_id))
    if rows:
        records.upsert(conn, outage_customers, [{**row, "outage_id": outage_id}
                                                for row in rows], {ORG: org})


def customers_of(conn: Connection, org: str, outage_id: str) -> list[dict[str, Any]]:
    return _rows(conn, sa.select(outage_customers).where(
        outage_customers.c[ORG] == org, outage_customers.c.outage_id == outage_id
    ).order_by(outage_customers.c.element_id))


def assignments_of(conn: Connection, org: str, outage_id: str) -> list[dict[str, Any]]:
    return assignments(conn, org, outage_id=outage_id)


# ---- crews ------------------------------------------------------------------------------------

def crews_list(conn: Connection, org: str) -> list[dict[str, Any]]:
    return _rows(conn, sa.select(crews).where(crews.c[ORG] == org).order_by(crews.c.id))


def crew(conn: Connection, org: str, crew_id: str) -> dict[str, Any] | None:
    found = _rows(conn, sa.select(crews).where(crews.c[ORG] == org, crews.c.id == crew_id))
    return found[0] if found else None


def assignments(conn: Connection, org: str, *, crew_id: str | None = None,
                outage_id: str | None = None, statuses: Sequence[str] | None = None
                ) -> list[dict[str, Any]]:
    table = crew_assignments
    where = [table.c[ORG] == org]
    if crew_id is not None:
        where.append(table.c.crew_id == crew_id)
    if outage_id is not None:
        where.append(table.c.outage_id == outage_id)
    if statuses:
        where.append(table.c.status.in_(list(statuses)))
    return _rows(conn, sa.select(table).where(*where).order_by(table.c.dispatched_at,
                                                                 table.c.id))


def assignment(conn: Connection, org: str, assignment_id: str) -> dict[str, Any] | None:
    found = _rows(conn, sa.select(crew_assignments).where(
        crew_assignments.c[ORG] == org, crew_assignments.c.id == assignment_id))
    return found[0] if found else None


# ---- correlation state and the change feed ----------------------------------------------------

CORRELATION_ENTITIES = ("outage", "storm", "network")


def state(conn: Connection, org: str) -> dict[str, Any] | None:
    found = _rows(conn, sa.select(oms_state).where(oms_state.c[ORG] == org))
    return found[0] if found else None


def _ensure_state(conn: Connection, org: str, now: datetime) -> dict[str, Any]:
    found = state(conn, org)
    if found is None:
        found = {"next_outage": 1, "storm_since": None, "last_seq": 0, "correlation_seq": 0}
        conn.execute(oms_state.insert().values({**found, ORG: org, "updated_at": now}))
    return found


def last_seq(conn: Connection, org: str) -> int:
    found = state(conn, org)
    return found["last_seq"] if found else 0


def correlation_seq(conn: Connection, org: str) -> int:
    """The last change that correlation state depends on (outages, storm mode, network)."""
    found = state(conn, org)
    return found["correlation_seq"] if found else 0


def append_changes(conn: Connection, org: str, entries: Sequence[Mapping[str, Any]],
                   now: datetime, **state_values: Any) -> tuple[int, int]:
    """Append change entries ``{entity, entity_id, action, actor, detail}`` and store any
    ``state_values`` (``next_outage``, ``storm_since``) with the sequence numbers; returns
    the last sequence number and the last one correlation depends on."""
    current = _ensure_state(conn, org, now)
    seq, correlated = current["last_seq"], current["correlation_seq"]
    rows = []
    for entry in entries:
        seq += 1
        if entry["entity"] in CORRELATION_ENTITIES:
            correlated = seq
        rows.append({**entry, "seq": seq, "changed_at": entry.get("changed_at", now),
                     "detail": json.dumps(entry.get("detail", {}), default=str,
                                          sort_keys=True)})
    if rows:
        records.upsert(conn, oms_changes, rows, {ORG: org}, new=True)  # fresh sequence numbers
    if rows or state_values:
        conn.execute(oms_state.update().where(oms_state.c[ORG] == org).values(
            last_seq=seq, correlation_seq=correlated, updated_at=now, **state_values))
    return seq, correlated


def changes_after(conn: Connection, org: str, seq: int, limit: int = 1000,
                  entity: str | None = None, entity_id: str | None = None
                  ) -> list[dict[str, Any]]:
    where = [oms_changes.c[ORG] == org, oms_changes.c.seq > seq]
    if entity:
        where += [oms_changes.c.entity == entity, oms_changes.c.entity_id == entity_id]
    rows = _rows(conn, sa.select(oms_changes).where(*where).order_by(oms_changes.c.seq)
                 .limit(limit))
    for row in rows:
        row["detail"] = json.loads(row["detail"])
    return rows


def storm_started(conn: Connection, org: str, at: datetime, rate: float) -> None:
    records.upsert(conn, storm_periods, [{"started_at": at, "ended_at": None,
                                          "peak_events_per_hour": rate}], {ORG: org})


def storm_ended(conn: Connection, org: str, at: datetime, peak: float) -> None:
    conn.execute(storm_periods.update().where(
        storm_periods.c[ORG] == org, storm_periods.c.ended_at.is_(None)
    ).values(ended_at=at, peak_events_per_hour=peak))
