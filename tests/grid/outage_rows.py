"""Builders of grid rows for analytics tests: outages with their customers, events, crews and
assignments, written straight into the grid tables (the analytics read them; how correlation
makes them is tested elsewhere).

Defaults fill what a test does not care about. An outage's ``customers_affected``,
``critical_customers`` and, once restored, ``customer_minutes`` are derived from the customer
rows given with it, as the OMS keeps them; its per-source counts from its events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from opslens.store.engine import Store
from opslens.store.grid_schema import (
    crew_assignments,
    crews,
    grid_events,
    grid_networks,
    outage_customers,
    outages,
)

ORG = "default"
WRITTEN = datetime(2025, 1, 1, tzinfo=UTC)
Row = dict[str, Any]


def at(text: str) -> datetime:
    """An ISO 8601 instant with its offset, e.g. ``at("2025-03-30T12:00:00+02:00")``."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"{text} needs an offset"
    return value


def customer(element_id: str, off_at: datetime, restored_at: datetime | None = None, *,
             customers: int = 1, critical: bool = False, customer_id: str | None = None
             ) -> Row:
    return {"element_id": element_id, "customer_id": customer_id or f"C-{element_id}",
            "customers": customers, "critical": critical, "off_at": off_at,
            "restored_at": restored_at}


def outage(id: str, started_at: datetime, restored_at: datetime | None = None, *,
           customers: Sequence[Row] = (), **fields: Any) -> tuple[Row, list[Row]]:
    """An outage row and its customer rows (``outage_id`` filled in); customers without a
    restoration time of their own are restored with the outage."""
    customers = [{**c, "restored_at": c["restored_at"] or restored_at} for c in customers]
    minutes = sum(c["customers"] * (c["restored_at"] - c["off_at"])
                  .total_seconds() / 60 for c in customers) if restored_at else 0.0
    row = {
        "id": id, "device_id": f"D-{id}", "device_kind": "fuse", "feeder_id": "F1",
        "substation_id": "S1", "status": "restored" if restored_at else "confirmed",
        "severity": "low", "outage_type": "sustained", "interruptions": 1, "confidence": 0.9,
        "started_at": started_at, "detected_at": started_at, "confirmed_at": None,
        "restored_at": restored_at, "cancelled_at": None,
        "customers_affected": sum(c["customers"] for c in customers),
        "critical_customers": sum(c["customers"] for c in customers if c["critical"]),
        "customer_minutes": minutes, "latitude": None, "longitude": None,
        "parent_outage_id": None, "merged_into": None, "storm": False,
        "scada_events": 0, "ami_events": 0, "onu_events": 0, "call_center_events": 0,
    }
    row.update(fields)
    return row, [{"outage_id": id, **c} for c in customers]


def event(id: str, source: str, occurred_at: datetime, outage_id: str | None = None, *,
          kind: str = "power_loss", suppressed: bool = False) -> Row:
    return {"id": id, "source": source, "kind": kind, "device_id": None, "customer_id": None,
            "element_id": None, "latitude": None, "longitude": None, "occurred_at": occurred_at,
            "received_at": occurred_at, "detail": None, "outage_id": outage_id,
            "suppressed": suppressed}


def crew(id: str, name: str, crew_type: str = "line") -> Row:
    return {"id": id, "name": name, "crew_type": crew_type, "skills": "[]",
            "home_latitude": None, "home_longitude": None, "latitude": None, "longitude": None,
            "position_at": None, "status": "available"}


def assignment(id: str, crew_id: str, outage_id: str, assignment_type: str,
               dispatched_at: datetime, *, eta: datetime | None = None,
               arrived_at: datetime | None = None, completed_at: datetime | None = None,
               status: str | None = None) -> Row:
    status = status or ("completed" if completed_at else "on_site" if arrived_at
                        else "dispatched")
    return {"id": id, "crew_id": crew_id, "outage_id": outage_id,
            "assignment_type": assignment_type, "status": status,
            "dispatched_at": dispatched_at, "eta": eta, "arrived_at": arrived_at,
            "completed_at": completed_at, "notes": None}


def insert(store: Store, *, org: str = ORG, timezone: str | None = None,
           customers_served: int = 1000, outage_rows: Iterable[tuple[Row, list[Row]]] = (),
           events: Sequence[Row] = (), crew_rows: Sequence[Row] = (),
           assignments: Sequence[Row] = ()) -> None:
    """Write one organization's rows; a network row only when ``timezone`` is given."""
    held = Counter((e["outage_id"], e["source"]) for e in events if e["outage_id"])
    stamp = {"organization_id": org, "updated_at": WRITTEN}
    with store.engine.begin() as conn:
        if timezone is not None:
            conn.execute(grid_networks.insert(), [{**stamp, "version": 1, "source": "test",
                                                   "timezone": timezone, "elements": 0,
                                                   "customers": customers_served}])
        rows, points = [], []
        for row, members in outage_rows:
            counts = {f"{s}_events": held[(row["id"], s)]
                      for s in ("scada", "ami", "onu", "call_center")}
            rows.append({**stamp, **row, **{k: v for k, v in counts.items() if v}})
            points += [{"organization_id": org, **m} for m in members]
        for table, values in ((outages, rows), (outage_customers, points),
                              (grid_events, [{**stamp, **e} for e in events]),
                              (crews, [{**stamp, **c} for c in crew_rows]),
                              (crew_assignments, [{**stamp, **a} for a in assignments])):
            if values:
                conn.execute(table.insert(), values)


# ---- a hand-built week in Berlin ---------------------------------------------------------------
# Europe/Berlin, 1,000 customers. DST begins 2025-03-30 02:00 CET → 03:00 CEST (a 23 h day).
# id  started (local)        restored (real min)     customers            notes
# O1  28 10:00+01   90 min   P1 ×1, P2 ×3 critical   high, conf 0.95, at (49.000, 8.4)
# O2  28 23:30+01   180 min  P3 ×600 (major)        critical, conf 0.70, at (49.500, 8.4);
#                                                    spans midnight: counts on the 28th
# O3  30 01:30+01   60 min   P4 ×2                   low, conf 0.50, at (49.003, 8.4);
#                   (03:30+02; 120 min of wall clock across the DST jump)
# O4  30 12:00+02   open     P1 ×1 (720 min by as_of) medium, conf 0.85, at (49.006, 8.4)
# O5  29 08:00+01   —        P5 ×5                   cancelled (false alarm) at 08:30
# O6  29 09:00+01   —        P8 ×9                   merged into O1: never counts
# O7  27 22:00+01   3 min    P9 ×4                   before the window (momentary)
# O8  30 20:00+02   after as_of (31 01:00): still off, 240 min by as_of; P6 ×10, conf 0.90
# O9  29 12:00+01   2 min    P7 ×50                  momentary, 2 reclose operations, conf 0.6
# H1, H2: history for the MED threshold (2024-06-01: 10 × 100 min; 2024-06-02: 20 × 200 min);
# H0 2019-01-01: 1000 × 1000 min, more than five years before the period: ignored.
# Events E1–E11 (scada, ami, onu, call centre; one uncorrelated, one after as_of, one before
# the window, one in the merged O6) and crew assignments A1–A8 of Line Crew Alpha and Bravo:
# their worked numbers are in the comments of tests/grid/test_analytics.py.


def berlin_week() -> dict[str, Any]:
    """The keyword arguments of :func:`insert` for the week above."""
    o = [
        outage("O1", at("2025-03-28T10:00:00+01:00"), at("2025-03-28T11:30:00+01:00"),
               customers=[customer("P1", at("2025-03-28T10:00:00+01:00")),
                          customer("P2", at("2025-03-28T10:00:00+01:00"), customers=3,
                                   critical=True)],
               severity="high", confidence=0.95, latitude=49.0, longitude=8.4),
        outage("O2", at("2025-03-28T23:30:00+01:00"), at("2025-03-29T02:30:00+01:00"),
               customers=[customer("P3", at("2025-03-28T23:30:00+01:00"), customers=600)],
               severity="critical", confidence=0.7, latitude=49.5, longitude=8.4),
        outage("O3", at("2025-03-30T01:30:00+01:00"), at("2025-03-30T03:30:00+02:00"),
               customers=[customer("P4", at("2025-03-30T01:30:00+01:00"), customers=2)],
               confidence=0.5, latitude=49.003, longitude=8.4),
        outage("O4", at("2025-03-30T12:00:00+02:00"),
               customers=[customer("P1", at("2025-03-30T12:00:00+02:00"))],
               severity="medium", confidence=0.85, latitude=49.006, longitude=8.4),
        outage("O5", at("2025-03-29T08:00:00+01:00"), status="cancelled",
               cancelled_at=at("2025-03-29T08:30:00+01:00"), latitude=49.001, longitude=8.4,
               customers=[customer("P5", at("2025-03-29T08:00:00+01:00"), customers=5)]),
        outage("O6", at("2025-03-29T09:00:00+01:00"), status="cancelled", merged_into="O1",
               customers=[customer("P8", at("2025-03-29T09:00:00+01:00"), customers=9)],
               latitude=49.002, longitude=8.4),
        outage("O7", at("2025-03-27T22:00:00+01:00"), at("2025-03-27T22:03:00+01:00"),
               customers=[customer("P9", at("2025-03-27T22:00:00+01:00"), customers=4)],
               outage_type="momentary"),
        outage("O8", at("2025-03-30T20:00:00+02:00"), at("2025-03-31T01:00:00+02:00"),
               customers=[customer("P6", at("2025-03-30T20:00:00+02:00"), customers=10)]),
        outage("O9", at("2025-03-29T12:00:00+01:00"), at("2025-03-29T12:02:00+01:00"),
               customers=[customer("P7", at("2025-03-29T12:00:00+01:00"), customers=50)],
               outage_type="momentary", interruptions=2, confidence=0.6),
        outage("H0", at("2019-01-01T12:00:00+01:00"), at("2019-01-02T04:40:00+01:00"),
               customers=[customer("P0", at("2019-01-01T12:00:00+01:00"), customers=1000)]),
        outage("H1", at("2024-06-01T12:00:00+02:00"), at("2024-06-01T13:40:00+02:00"),
               customers=[customer("P1", at("2024-06-01T12:00:00+02:00"), customers=10)]),
        outage("H2", at("2024-06-02T12:00:00+02:00"), at("2024-06-02T15:20:00+02:00"),
               customers=[customer("P2", at("2024-06-02T12:00:00+02:00"), customers=20)]),
    ]
    events = [
        event("E1", "scada", at("2025-03-28T23:31:00+01:00"), "O2"),
        event("E2", "ami", at("2025-03-28T10:01:00+01:00"), "O1"),
        event("E3", "ami", at("2025-03-28T10:02:00+01:00"), "O1"),
        event("E4", "ami", at("2025-03-29T08:01:00+01:00"), "O5"),
        event("E5", "call_center", at("2025-03-30T12:05:00+02:00"), "O4"),
        event("E6", "call_center", at("2025-03-30T13:00:00+02:00")),
        event("E7", "onu", at("2025-03-30T12:01:00+02:00"), "O4", suppressed=True),
        event("E8", "ami", at("2025-03-30T20:01:00+02:00"), "O8"),
        event("E9", "ami", at("2025-03-27T12:00:00+01:00"), "O7"),
        event("E10", "scada", at("2025-03-31T01:00:00+02:00")),
        event("E11", "ami", at("2025-03-29T09:01:00+01:00"), "O6"),
    ]
    crews = [crew("C1", "Line Crew Alpha"), crew("C2", "Line Crew Bravo")]
    t = at
    assignments = [
        assignment("A1", "C1", "O1", "repair", t("2025-03-28T10:05:00+01:00"),
                   eta=t("2025-03-28T10:35:00+01:00"), arrived_at=t("2025-03-28T10:25:00+01:00"),
                   completed_at=t("2025-03-28T11:25:00+01:00")),
        assignment("A2", "C1", "O2", "repair", t("2025-03-28T23:35:00+01:00"),
                   eta=t("2025-03-28T23:55:00+01:00"), arrived_at=t("2025-03-29T00:15:00+01:00"),
                   completed_at=t("2025-03-29T02:15:00+01:00")),
        assignment("A3", "C1", "O4", "assessment", t("2025-03-30T12:10:00+02:00"),
                   arrived_at=t("2025-03-30T12:40:00+02:00")),
        assignment("A4", "C2", "O3", "repair", t("2025-03-30T01:35:00+01:00"),
                   eta=t("2025-03-30T03:30:00+02:00"), arrived_at=t("2025-03-30T03:05:00+02:00"),
                   completed_at=t("2025-03-30T03:25:00+02:00")),
        assignment("A5", "C2", "O8", "restoration", t("2025-03-30T20:10:00+02:00"),
                   eta=t("2025-03-30T20:40:00+02:00"), arrived_at=t("2025-03-31T01:00:00+02:00")),
        assignment("A6", "C2", "O6", "repair", t("2025-03-29T09:10:00+01:00")),
        assignment("A7", "C1", "O1", "inspection", t("2025-03-27T12:00:00+01:00")),
        assignment("A8", "C2", "O9", "repair", t("2025-03-29T12:01:00+01:00"),
                   status="cancelled"),
    ]
    return {"outage_rows": o, "events": events, "crew_rows": crews, "assignments": assignments}
