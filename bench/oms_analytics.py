"""OMS analytics over a year of 1 M outages (DESIGN.md §9: ≤ 200 ms), on DuckDB.

A generator writes a year of outages at 300 device positions around the Oberrhein (97 %
restored, some cancelled, merged, momentary, still open), about three events per outage plus
uncorrelated ones, crew assignments for a fifth of them and per-customer rows for the
reliability indices. Each seed 000 endpoint's service is timed uncached over the 365 days, next
to a baseline in the same process: the same daily trend computed the plain way, every outage
of the window fetched and tallied in Python.

Run ``python -m bench.oms_analytics`` (``make bench-oms ARGS=--analytics``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from opslens.grid import analytics
from opslens.store import migrate, records
from opslens.store.engine import Store, open_store
from opslens.store.grid_schema import (
    crew_assignments,
    crews,
    grid_events,
    grid_networks,
    outage_customers,
    outages,
)

ORG = "bench"
AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
SEVERITY = np.array(["critical", "high", "medium", "low"])
SOURCES = np.array(["scada", "ami", "onu", "call_center"])


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/out/oms_analytics.json"))
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def _chunks(conn, table: sa.Table, columns: dict[str, Any], n: int, constants: dict[str, Any],
            size: int = 500_000) -> None:
    for start in range(0, n, size):
        rows = [dict(zip(columns, values, strict=True)) for values in zip(
            *(c[start:start + size] for c in columns.values()), strict=True)]
        records.upsert(conn, table, rows, constants)


def generate(store: Store, n: int, seed: int) -> dict[str, int]:
    """A year of ``n`` outages and what goes with them, written in bulk."""
    rng = np.random.default_rng(seed)
    devices = 300
    lat = rng.uniform(48.30, 48.55, devices)
    lon = rng.uniform(7.70, 8.05, devices)
    served = np.maximum(1, rng.lognormal(4.0, 1.0, devices).astype(int))
    start = (AS_OF - timedelta(days=365)).timestamp()
    began = np.sort(rng.uniform(start, AS_OF.timestamp(), n))
    device = rng.integers(0, devices, n)
    momentary = rng.random(n) < 0.15
    minutes = np.where(momentary, rng.uniform(0.5, 5, n), np.maximum(6, rng.lognormal(4.5, 0.8, n)))
    status = np.where(rng.random(n) < 0.01, "cancelled", "restored").astype(object)
    status[began > AS_OF.timestamp() - 6 * 3600] = "confirmed"
    restored = began + minutes * 60
    customers = served[device]
    critical = (rng.random(n) < 0.02).astype(int)
    severity = np.where(critical > 0, 0, np.where(customers >= 1000, 0, np.where(
        customers >= 250, 1, np.where(customers >= 50, 2, 3))))
    ids = np.array([f"OUT-{i:07d}" for i in range(n)], dtype=object)
    merged = rng.random(n) < 0.01
    counts = {s: rng.poisson(lam, n) for s, lam in
              (("scada", 0.05), ("ami", 2.0), ("onu", 0.6), ("call_center", 0.3))}

    def ts(values: np.ndarray) -> list[datetime]:
        return [datetime.fromtimestamp(v, UTC) for v in values]

    closed = status == "restored"
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        records.ensure_organization(conn, ORG, now)
        records.upsert(conn, grid_networks, [{"version": 1, "source": "bench",
                                              "timezone": "Europe/Berlin", "elements": devices,
                                              "customers": int(served.sum())}],
                       {"organization_id": ORG, "updated_at": now})
        _chunks(conn, outages, {
            "id": ids, "device_id": [f"D{d}" for d in device],
            "device_kind": np.full(n, "transformer", dtype=object),
            "feeder_id": [f"F{d % 8}" for d in device], "substation_id": [f"S{d % 2}"
                                                                          for d in device],
            "status": status, "severity": SEVERITY[severity],
            "outage_type": np.where(momentary, "momentary", "sustained"),
            "interruptions": np.where(momentary, rng.integers(1, 4, n), 1),
            "confidence": rng.uniform(0.4, 1.0, n), "started_at": ts(began),
            "detected_at": ts(began + 8), "confirmed_at": [None] * n,
            "restored_at": [datetime.fromtimestamp(r, UTC) if c else None
                            for r, c in zip(restored, closed, strict=True)],
            "cancelled_at": [datetime.fromtimestamp(b + 600, UTC) if s == "cancelled" else None
                             for b, s in zip(began, status, strict=True)],
            "customers_affected": customers, "critical_customers": critical,
            "customer_minutes": np.where(closed, customers * minutes, 0.0),
            "latitude": lat[device], "longitude": lon[device], "parent_outage_id": [None] * n,
            "merged_into": [ids[i - 1] if m and i else None for i, m in enumerate(merged)],
            "storm": rng.random(n) < 0.3,
            **{f"{s}_events": counts[s] for s in ("scada", "ami", "onu", "call_center")},
        }, n, {"organization_id": ORG, "updated_at": now})
        # about three events per outage, and one uncorrelated event in ten
        per = np.minimum(3, counts["ami"] + counts["onu"] + counts["call_center"] + 1)
        owner = np.repeat(np.arange(n), per)
        m = len(owner)
        loose = n // 10
        source = np.concatenate([SOURCES[rng.integers(0, 4, m)], SOURCES[rng.integers(1, 4,
                                                                                      loose)]])
        at = np.concatenate([began[owner] + rng.uniform(0, 60, m),
                             rng.uniform(start, AS_OF.timestamp(), loose)])
        _chunks(conn, grid_events, {
            "id": [f"E{i:08d}" for i in range(m + loose)], "source": source,
            "kind": np.full(m + loose, "power_loss", dtype=object),
            "device_id": [None] * (m + loose), "customer_id": [None] * (m + loose),
            "element_id": [None] * (m + loose), "latitude": [None] * (m + loose),
            "longitude": [None] * (m + loose), "occurred_at": ts(at), "received_at": ts(at + 5),
            "detail": [None] * (m + loose),
            "outage_id": np.concatenate([ids[owner], np.full(loose, None, dtype=object)]),
            "suppressed": np.zeros(m + loose, dtype=bool),
        }, m + loose, {"organization_id": ORG, "updated_at": now})
        records.upsert(conn, crews, [{"id": f"C{i}", "name": f"Crew {i}", "crew_type": "line",
                                      "skills": "[]", "home_latitude": None,
                                      "home_longitude": None, "latitude": None,
                                      "longitude": None, "position_at": None,
                                      "status": "available"} for i in range(12)],
                       {"organization_id": ORG, "updated_at": now})
        worked = np.flatnonzero(closed & ~momentary & (rng.random(n) < 0.2))
        k = len(worked)
        dispatched = began[worked] + rng.uniform(300, 1200, k)
        eta = dispatched + rng.uniform(1200, 3600, k)
        arrived = np.maximum(dispatched + 300, eta + rng.normal(0, 600, k))
        done = np.maximum(restored[worked], arrived + 600)
        _chunks(conn, crew_assignments, {
            "id": [f"A{i:07d}" for i in range(k)], "crew_id": [f"C{c}" for c in
                                                               rng.integers(0, 12, k)],
            "outage_id": ids[worked], "assignment_type": rng.choice(
                ["repair", "assessment", "restoration", "inspection"], k),
            "status": np.full(k, "completed", dtype=object), "dispatched_at": ts(dispatched),
            "eta": ts(eta), "arrived_at": ts(arrived), "completed_at": ts(done),
            "notes": [None] * k,
        }, k, {"organization_id": ORG, "updated_at": now})
        # per-customer rows of the sustained restored outages: a handful each
        sustained = np.flatnonzero(closed & ~momentary)
        rows = np.minimum(customers[sustained], rng.integers(1, 10, len(sustained)))
        who = np.repeat(sustained, rows)
        c = len(who)
        # the points of one outage are consecutive in a pool of the network's customers, so
        # customers are interrupted again and again over the year, as on a real network
        pool = int(served.sum())
        first = np.repeat(rng.integers(0, pool, len(sustained)), rows)
        offset = np.arange(c) - np.repeat(np.cumsum(rows) - rows, rows)
        point = (first + offset) % pool
        _chunks(conn, outage_customers, {
            "outage_id": ids[who], "element_id": [f"P{v:06d}" for v in point],
            "customer_id": [f"CUS{v:06d}" for v in point],
            "customers": np.ones(c, dtype=int), "critical": np.zeros(c, dtype=bool),
            "off_at": ts(began[who]), "restored_at": ts(restored[who]),
        }, c, {"organization_id": ORG})
    return {"outages": n, "events": m + loose, "crew_assignments": k, "customer_rows": c}


def _timed(work, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": statistics.median(samples), "max_ms": max(samples)}


def naive_daily_trend(conn) -> dict[str, int]:
    """The baseline: every outage of the year fetched and tallied per day in Python."""
    days: dict[str, int] = {}
    lo = AS_OF - timedelta(days=365)
    for started, _severity, _customers in conn.execute(sa.select(
            outages.c.started_at, outages.c.severity, outages.c.customers_affected).where(
            outages.c.organization_id == ORG, outages.c.started_at >= lo,
            outages.c.merged_into.is_(None))):
        key = started.astimezone(UTC).date().isoformat()
        days[key] = days.get(key, 0) + 1
    return days


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="opslens-oms-analytics-"))
    directory.mkdir(parents=True, exist_ok=True)
    store = open_store(f"duckdb:///{directory / 'bench.duckdb'}")
    migrate.upgrade(store)
    t0 = time.perf_counter()
    sizes = generate(store, args.outages, args.seed)
    print(f"generated {sizes} in {time.perf_counter() - t0:.1f} s")
    year = {"days": 365, "as_of": AS_OF}
    queries = {
        "outage_trends_day": (analytics.outage_trends, analytics.TrendQuery(**year)),
        "outage_trends_month": (analytics.outage_trends,
                                analytics.TrendQuery(**year, granularity="month")),
        "crew_performance": (analytics.crew_performance, analytics.CrewQuery(**year)),
        "source_reliability": (analytics.source_reliability, analytics.WindowQuery(**year)),
        "geographic_hotspots": (analytics.geographic_hotspots,
                                analytics.HotspotQuery(**year, radius_km=2.0)),
        "customer_impact": (analytics.customer_impact, analytics.ImpactQuery(**year)),
        "reliability_indices": (analytics.reliability_indices,
                                analytics.ReliabilityQuery(as_of=AS_OF)),
    }
    results: dict[str, Any] = {"data": sizes, "endpoints": {}}
    with store.engine.connect() as conn:
        for name, (service, query) in queries.items():
            results["endpoints"][name] = _timed(lambda s=service, q=query: s(conn, ORG, q),
                                                args.repeat)
            print(name, results["endpoints"][name])
        baseline = _timed(lambda: naive_daily_trend(conn), max(1, args.repeat // 3))
    ours = results["endpoints"]["outage_trends_day"]["p50_ms"]
    results["baseline_daily_trend_in_python"] = baseline
    results["ratio_baseline_to_opslens_daily_trend"] = baseline["p50_ms"] / ours
    print("baseline", baseline, "ratio", results["ratio_baseline_to_opslens_daily_trend"])
    store.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
