"""The demo utility: mv_oberrhein with months of outages and crew work, through the real
intake (so every number the dashboards show was correlated, not invented).

Every day has a few faults, momentary blips and false reports; every few weeks a storm of
20 faults; the last storm is still going at ``as_of``, so the operations view has open
outages, crews on the way and storm mode to show. Deterministic from the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from opslens.domain.topology import Network
from opslens.grid import crews, intake, topology
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
    """Dispatch the crew that is free first to every sustained outage with customers,
    in the order they were detected, and record its progress up to ``as_of``."""
    with store.engine.connect() as conn:
        rows = [r for r in grid_store.list_outages(
            conn, org, statuses=["predicted", "confirmed", "restored"], severities=None,
            feeder_id=None, started_from=None, started_to=None, include_merged=False,
            limit=100_000, offset=0)[1]
            if r["outage_type"] == "sustained" and r["device_id"] is not None]
    free_at = {crew_id: datetime.min.replace(tzinfo=UTC) for crew_id, _, _ in CREWS}
    count = 0
    for row in sorted(rows, key=lambda r: (r["detected_at"], r["id"])):
        crew_id = min(free_at, key=lambda c: (free_at[c], c))
        dispatched = max(row["detected_at"] + timedelta(minutes=rng.uniform(3, 20)),
                         free_at[crew_id])
        if dispatched >= as_of:
            continue
        eta = dispatched + timedelta(minutes=rng.uniform(20, 60))
        arrived = eta + timedelta(minutes=rng.gauss(0, 12))
        arrived = max(arrived, dispatched + timedelta(minutes=5))
        restored = row["restored_at"]
        record: dict[str, Any] = {
            "id": f"ASG-{row['id']}", "outage_id": row["id"],
            "assignment_type": _weighted(rng, ASSIGNMENT_TYPES),
            "dispatched_at": dispatched.isoformat(), "eta": eta.isoformat()}
        if arrived <= as_of:
            record["arrived_at"] = arrived.isoformat()
            record["status"] = "on_site"
            done = max(restored or as_of, arrived + timedelta(minutes=10))
            if restored is not None and done <= as_of:
                record["completed_at"] = done.isoformat()
                record["status"] = "completed"
                free_at[crew_id] = done
            else:
                free_at[crew_id] = as_of
        else:
            record["status"] = "en_route"
            free_at[crew_id] = as_of
        crews.assign(store, org, crew_id, record, as_of)
        count += 1
    return count


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
