"""The demo utility: mv_oberrhein with months of outages and crew work, through the real
intake (so every number the dashboards show was correlated, not invented).

Every day has a few faults, momentary blips and false reports; every few weeks a storm of
20 faults; the last storm is still going at ``as_of``, so the operations view has open
outages, crews on the way and storm mode to show. Deterministic from the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from opslens.domain.topology import Network
from opslens.errors import InvalidInput
from opslens.grid import crews, intake, outages, topology
from opslens.grid.outages import OutageAction
from opslens.grid.pandapower_network import document
from opslens.grid.simulate import StormConfig, simulate
from opslens.store import grid as grid_store
from opslens.store.engine import Store

CREWS = (("CREW-A", "Line Crew Alpha", "line"), ("CREW-B", "Line Crew Bravo", "line"),
         ("CREW-C", "Cable Crew Charlie", "cable"), ("CREW-D", "Line Crew Delta", "line"),
         ("CREW-E", "Substation Crew Echo", "substation"),
         ("CREW-F", "Assessment Team Foxtrot", "assessment"))
ASSIGNMENT_TYPES = (("repair", 0.6), ("assessment", 0.2), ("restoration", 0.12),
                    ("inspection", 0.08))
BATCH = 5000


def load(store: Store, org: str, *, seed: int = 7, days: int = 90,
         as_of: datetime | None = None, storm_every_days: int = 21,
         progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Load the demo network, ``days`` of events ending at ``as_of`` and the crews' work."""
    as_of = (as_of or datetime.now(UTC)).astimezone(UTC)
    built = document("mv_oberrhein", lv_beneath=3, seed=seed)
    summary = topology.load_document(store, org, built, as_of - timedelta(days=days + 1))
    with store.engine.connect() as conn:
        network = topology.require(store, conn, org).network
    rng = random.Random(seed)
    for crew_id, name, crew_type in CREWS:
        home = _home(network, rng)
        crews.save_crew(store, org, {"id": crew_id, "name": name, "type": crew_type,
                                     "skills": ["MV", "LV"] if crew_type == "line" else
                                     [crew_type], "home_latitude": home[0],
                                     "home_longitude": home[1], "latitude": home[0],
                                     "longitude": home[1]}, as_of - timedelta(days=days + 1))
    events = 0
    first = (as_of - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(days + 1):
        start = first + timedelta(days=day, hours=rng.uniform(6, 20))
        stormy = day % storm_every_days == storm_every_days - 1 or day == days
        if day == days:  # the storm still going now
            start = as_of - timedelta(hours=2)
        config = StormConfig(
            faults=20 if stormy else rng.choice((0, 1, 1, 2, 2, 3)),
            momentary_blips=rng.choice((0, 0, 1)) if not stormy else 3,
            false_reports=rng.choice((0, 1)) if not stormy else 4)
        storm = simulate(network, config, seed * 1000 + day, start)
        arrived = [e for e in storm.events if e["received_at"] <= as_of.isoformat()]
        for i in range(0, len(arrived), BATCH):
            intake.accept(store, org, [{**e, "id": f"demo-{day}-{e['id']}"}
                                       for e in arrived[i:i + BATCH]], as_of)
        intake.tick(store, org, min(start + timedelta(days=1), as_of))
        _check_single_reports(store, org, min(start + timedelta(days=1), as_of), as_of)
        events += len(arrived)
        if progress:
            progress("grid days", day + 1, days + 1)
    assignments = _crew_work(store, org, network, rng, as_of)
    return {"elements": summary["elements"], "customers": summary["customers"],
            "events": events, "crew_assignments": assignments}


def _home(network: Network, rng: random.Random) -> tuple[float, float]:
    substations = [e for e in network.elements.values() if e.kind == "substation"
                   and e.latitude is not None]
    where = rng.choice(substations)
    return where.latitude + rng.uniform(-0.01, 0.01), where.longitude + rng.uniform(-0.01, 0.01)


def _crew_work(store: Store, org: str, network: Network, rng: random.Random, as_of: datetime
               ) -> int:
    """Dispatch the crew that is free first to every sustained outage with a device, in
    the order they were detected, and follow its work up to ``as_of``. An outage that
    meters never reported back is restored when its crew finishes the repair; a place-only
    outage (calls nobody could place) that nobody worked on is closed by the operator after
    12 hours as a false alarm."""
    with store.engine.connect() as conn:
        rows = grid_store.list_outages(
            conn, org, statuses=["predicted", "confirmed", "restored"], severities=None,
            feeder_id=None, started_from=None, started_to=None, include_merged=False,
            limit=100_000, offset=0)[1]
    free_at = {crew_id: datetime.min.replace(tzinfo=UTC) for crew_id, _, _ in CREWS}
    repaired: list[tuple[str, str, datetime]] = []
    count = 0
    for row in sorted(rows, key=lambda r: (r["detected_at"], r["id"])):
        if row["outage_type"] != "sustained" or row["device_id"] is None:
            continue
        crew_id = min(free_at, key=lambda c: (free_at[c], c))
        dispatched = max(row["detected_at"] + timedelta(minutes=rng.uniform(3, 20)),
                         free_at[crew_id])
        if dispatched >= as_of:
            continue
        eta = dispatched + timedelta(minutes=rng.uniform(20, 60))
        arrived = max(eta + timedelta(minutes=rng.gauss(0, 12)),
                      dispatched + timedelta(minutes=5))
        restored = row["restored_at"]
        repair = arrived + timedelta(minutes=rng.lognormvariate(4.3, 0.5))
        done = (restored if restored is not None
                and arrived + timedelta(minutes=10) <= restored <= repair + timedelta(hours=4)
                else repair)
        record: dict[str, Any] = {
            "id": f"ASG-{row['id']}", "outage_id": row["id"],
            "assignment_type": _weighted(rng, ASSIGNMENT_TYPES),
            "dispatched_at": dispatched.isoformat(), "eta": eta.isoformat(),
            "status": "en_route"}
        if arrived <= as_of:
            record |= {"arrived_at": arrived.isoformat(), "status": "on_site"}
            if done <= as_of:
                record |= {"completed_at": done.isoformat(), "status": "completed"}
                if restored is None:
                    repaired.append((row["id"], crew_id, done))
        free_at[crew_id] = done
        crews.assign(store, org, crew_id, record, as_of)
        count += 1
    for outage_id, crew_id, done in repaired:
        _close(store, org, outage_id, OutageAction(action="restore", at=done,
                                                   actor=f"crew {crew_id}"), as_of)
    for row in rows:
        if row["device_id"] is None and row["status"] in ("predicted", "confirmed") and (
                as_of - row["started_at"] > timedelta(hours=12)):
            _close(store, org, row["id"], OutageAction(
                action="cancel", at=row["started_at"] + timedelta(hours=12),
                actor="operator", note="no outage found at the callers' places"), as_of)
    return count


def _check_single_reports(store: Store, org: str, until: datetime, as_of: datetime) -> None:
    """The operator's morning round: an outage still predicted an hour after a single
    report (one last gasp, one call) is checked by pinging the meter; it answers, so the
    outage is cancelled as a false alarm."""
    with store.engine.connect() as conn:
        rows = grid_store.list_outages(
            conn, org, statuses=["predicted"], severities=None, feeder_id=None,
            started_from=None, started_to=until - timedelta(hours=1), include_merged=False,
            limit=10_000, offset=0)[1]
    for row in rows:
        reports = sum(row[f"{s}_events"] for s in ("scada", "ami", "onu", "call_center"))
        if reports <= 1:
            _close(store, org, row["id"], OutageAction(
                action="cancel", at=row["started_at"] + timedelta(hours=1), actor="operator",
                note="the meter answered a ping: no outage"), as_of)


def _close(store: Store, org: str, outage_id: str, action: OutageAction, as_of: datetime
           ) -> None:
    with suppress(InvalidInput):  # closed meanwhile (restored by reports, merged, nested)
        outages.act(store, org, outage_id, action, as_of)


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
