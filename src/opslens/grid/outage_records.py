"""Between the correlation engine and the store: write what a batch changed, and rebuild an
engine from what the store holds (after a restart, or another worker's batch)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from opslens.domain.correlation import LOSS, Correlator
from opslens.domain.outages import Changes, Outage, Settings
from opslens.domain.topology import Network
from opslens.store import grid as grid_store
from opslens.store import records

#: What a change entry carries of its outage, for the stream and the audit trail.
STREAMED = ("status", "severity", "device_id", "device_kind", "customers_affected",
            "critical_customers", "confidence", "latitude", "longitude", "started_at",
            "restored_at", "outage_type", "parent_outage_id", "merged_into")


def write(conn: Connection, org: str, engine: Correlator, changes: Changes, now: datetime,
          actor: str = "system") -> int:
    """Store a batch's changes: outages, their customers once closed, moved events, the
    change feed, storm periods and the engine's counters. Returns the sequence number of
    the last change correlation depends on."""
    network = engine.network
    if changes.moved:
        grid_store.move_events(conn, org, {old: engine.final_id(new) or new
                                           for old, new in changes.moved.items()}, now)
    if changes.reassigned:
        grid_store.reassign_events(conn, org, changes.reassigned, now)
    rows = {}
    for outage in changes.outages.values():
        row = outage.snapshot()
        path = network.path_up(outage.device_id) if outage.device_id else []
        kinds = {network.elements[a].kind: a for a in path}
        row["feeder_id"], row["substation_id"] = kinds.get("feeder"), kinds.get("substation")
        customers = _customer_rows(network, outage) if outage.status == "restored" else []
        row["customer_minutes"] = _customer_minutes(outage, customers)
        rows[outage.id] = (row, customers)
    grid_store.upsert_outages(conn, org, [row for row, _ in rows.values()], now)
    for oid, (row, customers) in rows.items():
        if row["status"] in ("restored", "cancelled"):
            grid_store.replace_customers(conn, org, oid, customers)
    entries = [{"entity": "outage", "entity_id": oid, "action": action,
                "actor": detail.pop("by", actor),
                "detail": {**detail, "outage": {k: rows[oid][0][k] for k in STREAMED}}}
               for oid, action, detail in changes.log]
    for switch, at, rate in changes.storm:
        entries.append({"entity": "storm", "entity_id": org, "action": switch,
                        "actor": "system", "detail": {"at": at, "events_per_hour": rate}})
        if switch == "on":
            grid_store.storm_started(conn, org, at, rate)
        else:
            grid_store.storm_ended(conn, org, at, rate)
    _, correlated = grid_store.append_changes(conn, org, entries, now,
                                              next_outage=engine.next_number,
                                              storm_since=engine.storm_since)
    if rows or entries:
        records.bump_data_version(conn, org)
    return correlated


def _customer_rows(network: Network, outage: Outage) -> list[dict[str, Any]]:
    """Each service point the outage interrupted, with its own restoration time: its
    power-restored report when it sent one (within the outage), else the outage's."""
    if outage.device_id is None or outage.restored_at is None:
        return []
    children = [c for c in outage.children if c in network.elements]
    rows = []
    for eid in network.points_below(outage.device_id, children):  # nested ones hold theirs
        element = network.elements[eid]
        if element.customers <= 0:
            continue
        restored = outage.restored.get(eid, outage.restored_at)
        restored = min(max(restored, outage.started_at), outage.restored_at)
        rows.append({"element_id": eid, "customer_id": element.customer_id,
                     "customers": element.customers, "critical": element.critical,
                     "off_at": outage.started_at, "restored_at": restored})
    return rows


def _customer_minutes(outage: Outage, customers: list[dict[str, Any]]) -> float:
    if outage.restored_at is None:
        return 0.0
    if customers:
        return sum(r["customers"] * (r["restored_at"] - r["off_at"]).total_seconds() / 60
                   for r in customers)
    if outage.device_id is None:  # a place, not a device: the callers are what is known
        return outage.customers * (outage.restored_at - outage.started_at).total_seconds() / 60
    return 0.0


def rebuild(conn: Connection, org: str, network: Network, settings: Settings) -> Correlator:
    """An engine holding what the store holds."""
    state = grid_store.state(conn, org)
    engine = Correlator(network, settings, next_number=state["next_outage"] if state else 1)
    latest = grid_store.latest_event_time(conn, org)
    if latest is None:
        return engine
    rows = grid_store.open_outages(conn, org)
    events: dict[str, list[dict[str, Any]]] = {}
    for event in grid_store.events_of(conn, org, [r["id"] for r in rows]):
        events.setdefault(event["outage_id"], []).append(event)
    outages = {row["id"]: _outage_of(row, events.get(row["id"], []), settings) for row in rows}
    for outage in outages.values():
        parent = outages.get(outage.parent_id or "")
        if parent is not None and outage.device_id is not None:
            parent.children.append(outage.device_id)
    momentary = [_outage_of(row, [], settings) for row in
                 grid_store.recent_momentary(conn, org, latest - settings.momentary)]
    recent = grid_store.event_times_since(conn, org, latest - timedelta(hours=1))
    engine.resume(outages.values(), recent, state["storm_since"] if state else None,
                  momentary, latest)
    return engine


def _outage_of(row: dict[str, Any], events: list[dict[str, Any]], settings: Settings
               ) -> Outage:
    outage = Outage(
        id=row["id"], device_id=row["device_id"], device_kind=row["device_kind"],
        started_at=row["started_at"], detected_at=row["detected_at"],
        latitude=row["latitude"], longitude=row["longitude"],
        customers=row["customers_affected"], critical=row["critical_customers"],
        status=row["status"], severity=row["severity"], outage_type=row["outage_type"],
        interruptions=row["interruptions"], confirmed_at=row["confirmed_at"],
        restored_at=row["restored_at"], cancelled_at=row["cancelled_at"],
        parent_id=row["parent_outage_id"], merged_into=row["merged_into"], storm=row["storm"],
        source_events=Counter({source: row[f"{source}_events"] for source in
                               ("scada", "ami", "onu", "call_center")}),
        last_activity=row["started_at"],
    )
    for event in events:
        outage.events.append(event["id"])
        at, point = event["occurred_at"], event["element_id"]
        outage.sources[event["id"]] = (event["source"], point, at)
        outage.last_activity = max(outage.last_activity, at)
        if event["kind"] == "power_restored" and point:
            outage.restored[point] = at
            outage.last_restore = max(outage.last_restore or at, at)
        elif not event["suppressed"] and event["kind"] != "power_restored":
            key = (event["source"], point or event["device_id"] or event["id"])
            outage.evidence.setdefault(key, settings.weights.get(event["source"], 0.0))
            if event["kind"] in LOSS and point:
                outage.off.setdefault(point, at)
    return outage
