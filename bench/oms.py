"""The OMS benchmark (DESIGN.md §9 grid targets), on mv_oberrhein in a fresh DuckDB file.

1. Sustained correlation: simulated storms of 20 faults, replayed in arrival order, through
   the engine alone and through the intake service (validated, de-duplicated, correlated,
   stored: durable) in batches; the naive proximity rule on the same events as the baseline.
2. A 10,000-last-gasp burst arriving over 10 s, fed in real time as a queue consumer would
   (each commit takes everything that arrived meanwhile): latency from an event's arrival to
   the commit of its outage with the customer count (p50/p99), next to the same rate of
   events fed one per transaction.
3. Analytics over a year of 1 M outages (see ``bench.oms_analytics``).

Run ``python -m bench.oms`` (``make bench-oms``); results in ``bench/out/oms.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from opslens.domain.correlation import Correlator
from opslens.domain.topology import Network
from opslens.grid import intake, replay, topology
from opslens.grid.evaluate import naive_proximity
from opslens.grid.pandapower_network import document
from opslens.grid.simulate import StormConfig, simulate
from opslens.store import grid as grid_store
from opslens.store import migrate
from opslens.store.engine import Store, open_store

ORG = "bench"
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storms", type=int, default=6, help="20-fault storms to replay")
    parser.add_argument("--batch", type=int, default=5000, help="events per intake batch")
    parser.add_argument("--burst", type=int, default=10_000, help="last gasps in the burst")
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--baseline-burst", type=int, default=2000,
                        help="events of the burst fed one per transaction")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/out/oms.json"))
    return parser.parse_args(argv)


def _store(directory: Path, name: str, doc: dict[str, Any]) -> Store:
    store = open_store(f"duckdb:///{directory / name}")
    migrate.upgrade(store)
    topology.load_document(store, ORG, doc, START)
    return store


def _storms(network: Network, count: int) -> list[dict[str, Any]]:
    """``count`` storms a day apart, events in arrival order."""
    events: list[dict[str, Any]] = []
    for seed in range(count):
        storm = simulate(network, StormConfig(faults=20), seed, START + timedelta(days=seed))
        events += [{**e, "id": f"d{seed}-{e['id']}"} for e in storm.events]
    return sorted(events, key=lambda e: e["received_at"])


def sustained(network: Network, store: Store, events: list[dict[str, Any]], batch: int
              ) -> dict[str, Any]:
    resolved = replay.events_of(network, events)
    engine = Correlator(network)
    t0 = time.perf_counter()
    for group in replay.batches(resolved, timedelta(seconds=1)):
        engine.process(group)
    engine_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, len(events), batch):
        intake.accept(store, ORG, [dict(e) for e in events[start:start + batch]],
                      datetime.now(UTC))
    stored_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive_proximity(events, network=network)
    naive_s = time.perf_counter() - t0
    single = [{**e, "id": f"single-{e['id']}"} for e in events[:1000]]
    t0 = time.perf_counter()
    for event in single:
        intake.accept(store, ORG, [event], datetime.now(UTC))
    single_s = time.perf_counter() - t0
    n = len(events)
    return {"events": n, "engine_events_per_s": n / engine_s,
            "stored_events_per_s": n / stored_s, "stored_batch": batch,
            "one_per_transaction_events_per_s": len(single) / single_s,
            "ratio_batched_to_one_per_transaction": (n / stored_s) / (len(single) / single_s),
            "naive_proximity_events_per_s": n / naive_s}


def _burst(network: Network, size: int, seconds: float, seed: int = 0) -> list[dict[str, Any]]:
    """``size`` last gasps from meters and ONUs below every feeder's breaker (a storm takes
    the whole network down), occurring within 2 s and arriving over ``seconds``."""
    rng = random.Random(seed)
    points = sorted(e for e, el in network.elements.items() if el.kind == "service_point")
    chosen = rng.sample(points, min(size, len(points)))
    t0 = START + timedelta(days=30)
    events = []
    for i, point in enumerate(chosen):
        occurred = t0 + timedelta(seconds=rng.uniform(0, 2))
        received = t0 + timedelta(seconds=rng.uniform(0, seconds))
        kind = network.elements[point].point_kind
        events.append({"id": f"burst-{i:06d}", "source": "onu" if kind == "onu" else "ami",
                       "kind": "power_loss", "device_id": point,
                       "occurred_at": min(occurred, received).isoformat(),
                       "received_at": received.isoformat()})
    return sorted(events, key=lambda e: e["received_at"])


def burst_latency(store: Store, events: list[dict[str, Any]], batched: bool
                  ) -> dict[str, Any]:
    """Feed events in real time, as a queue consumer would: each time a commit is done,
    everything that arrived meanwhile goes in as the next batch (``batched``), or one event
    per transaction. Latency: from an event's arrival to the commit that stores its outage
    with the customer count."""
    first = datetime.fromisoformat(events[0]["received_at"])
    arrival = [(datetime.fromisoformat(e["received_at"]) - first).total_seconds()
               for e in events]
    latencies: list[float] = []
    batches = 0
    wall0 = time.perf_counter()
    i = 0
    while i < len(events):
        now = time.perf_counter() - wall0
        if arrival[i] > now:
            time.sleep(min(arrival[i] - now, 0.005))
            continue
        j = i + 1
        while batched and j < len(events) and arrival[j] <= now:
            j += 1
        result = intake.accept(store, ORG, [dict(e) for e in events[i:j]], datetime.now(UTC))
        done = time.perf_counter() - wall0
        assert result.stored == j - i and len(result.outages) >= 1
        latencies += [(done - a) * 1000 for a in arrival[i:j]]
        batches += 1
        i = j
    with store.engine.connect() as conn:
        _, rows = grid_store.list_outages(conn, ORG, statuses=["predicted", "confirmed"],
                                          severities=None, feeder_id=None, started_from=None,
                                          started_to=None, include_merged=False, limit=100,
                                          offset=0)
    values = np.array(latencies)
    return {"events": len(events), "arrival_seconds": arrival[-1], "transactions": batches,
            "latency_ms_p50": float(np.percentile(values, 50)),
            "latency_ms_p99": float(np.percentile(values, 99)),
            "latency_ms_max": float(values.max()),
            "open_outages": len(rows),
            "customers_in_open_outages": sum(r["customers_affected"] for r in rows)}


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    warnings.filterwarnings("ignore")
    directory = args.dir or Path(tempfile.mkdtemp(prefix="opslens-oms-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    doc = document("mv_oberrhein", lv_beneath=3)
    network = Network(topology.to_elements(topology.parse_document(doc)))
    results: dict[str, Any] = {"network": {
        "elements": len(network.elements),
        "customers": sum(e.customers for e in network.elements.values())}}
    events = _storms(network, args.storms)
    store = _store(directory, "sustained.duckdb", doc)
    results["sustained"] = sustained(network, store, events, args.batch)
    store.dispose()
    print(json.dumps(results["sustained"], indent=2))
    burst = _burst(network, args.burst, args.burst_seconds)
    store = _store(directory, "burst.duckdb", doc)
    results["burst"] = burst_latency(store, burst, batched=True)
    store.dispose()
    print(json.dumps(results["burst"], indent=2))
    store = _store(directory, "burst-baseline.duckdb", doc)
    results["burst_one_per_transaction"] = burst_latency(
        store, _burst(network, args.baseline_burst, args.burst_seconds * args.baseline_burst
                      / args.burst), batched=False)
    store.dispose()
    print(json.dumps(results["burst_one_per_transaction"], indent=2))
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
