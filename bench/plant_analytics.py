"""Plant benchmark (DESIGN.md §9): ingest, rollups and uncached analytics at full size.

500 machines × 90 days (about 5 M work orders and 20 M logs) are generated, ingested through
the real ingest service into a fresh DuckDB file, and then machine-status and utilization
analytics over the whole range are timed, uncached (the result cache is bypassed; the daily
rollups are the design). The baseline is seed 003's own algorithm, run in the same process on
the same store: a loop over the days with one query per day on raw work orders (Machine Status
"Service Layer"; Utilization "Batch Processing" with its logs), aggregated in Python.

    python -m bench.plant_analytics                    # full size (tens of minutes)
    python -m bench.plant_analytics --machines 50 --days 30
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.common import arguments, fresh_store, timed
from bench.plant_data import count_records, iter_bench_batches
from opslens.domain.intervals import local_day_bounds
from opslens.ingest.service import ingest
from opslens.plant import machine_status, rollups, utilization
from opslens.plant.analytics import AnalyticsQuery
from opslens.plant.sites import load_site
from opslens.store import plant as plant_store
from opslens.store import timelines
from opslens.store.engine import Store

ORG = "bench"
console = Console()


def load(store: Store, machines: int, days: int, as_of: datetime, batch: int) -> dict[str, Any]:
    expected = count_records(machines, days)
    total = sum(expected.values())
    counts: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("ingest", total=total)
        for kind, records in iter_bench_batches(machines, days, seed=1, as_of=as_of,
                                                batch_size=batch):
            t0 = time.perf_counter()
            ingest(store, ORG, kind, [records])
            counts[f"{kind}_seconds"] += time.perf_counter() - t0
            counts[kind] += len(records)
            progress.advance(task, len(records))
    elapsed = time.perf_counter() - started
    ingest_seconds = sum(v for k, v in counts.items() if k.endswith("_seconds"))
    return {"records": total, "wall_seconds": round(elapsed, 1),
            "ingest_seconds": round(ingest_seconds, 1),
            "records_per_second": round(total / ingest_seconds),
            "generate_seconds": round(elapsed - ingest_seconds, 1)}


def build_rollups(store: Store, as_of: datetime, days: int) -> dict[str, Any]:
    started = time.perf_counter()
    with store.engine.begin() as conn:  # history was loaded machine by machine: order it
        timelines.compact(conn)
    compacted = time.perf_counter() - started
    with store.engine.begin() as conn:
        site_ids = [s["id"] for s in plant_store.list_sites(conn, ORG)]
    rollups.refresh_touched(store, ORG, dict.fromkeys(site_ids, (None, None)),
                            horizon_days=days, now=as_of)
    return {"sites": len(site_ids), "compact_seconds": round(compacted, 1),
            "seconds": round(time.perf_counter() - started, 1)}


def analytics(store: Store, as_of: datetime, days: int, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with store.engine.begin() as conn:
        site_ids = [s["id"] for s in plant_store.list_sites(conn, ORG)]
    for name, service in (("machine_status", machine_status), ("utilization", utilization)):
        per_call: list[float] = []
        for site_id in site_ids:
            def work(site_id=site_id, service=service):
                with store.engine.begin() as conn:
                    site = load_site(conn, ORG, site_id)
                    today = as_of.astimezone(site.tz).date()
                    query = AnalyticsQuery(site_id=site_id, time_period="custom",
                                           date_from=today - timedelta(days=days - 1),
                                           date_to=today, as_of=as_of, refresh=True)
                    return service.analytics(conn, ORG, site, query)
            work()  # warm the rollups of the open day's neighbours and the driver
            per_call += timed(work, repeat)
        out[name] = {"site_calls": len(per_call), "p50_ms": round(statistics.median(per_call), 1),
                     "max_ms": round(max(per_call), 1)}
    return out


def seed_baseline(store: Store, as_of: datetime, days: int) -> dict[str, Any]:
    """Seed 003's algorithm, one site: per day, its queries over raw work orders and logs."""
    with store.engine.begin() as conn:
        site_id = plant_store.list_sites(conn, ORG)[0]["id"]
        site = load_site(conn, ORG, site_id)
    today = as_of.astimezone(site.tz).date()
    status_sql = sa.text(
        "SELECT machine_id, status FROM work_orders WHERE organization_id = :org "
        "AND site_id = :site AND start_time >= :a AND start_time < :b "
        "AND status IN ('Start', 'Assigned', 'Hold', 'Completed')")
    wo_sql = sa.text(
        "SELECT id, machine_id, start_time, end_time FROM work_orders "
        "WHERE organization_id = :org AND site_id = :site AND start_time >= :a "
        "AND start_time < :b AND status IN ('Start', 'Completed', 'Hold')")
    log_sql = sa.text(
        "SELECT l.work_order_id, l.status, l.changed_at FROM work_order_logs l "
        "JOIN work_orders w ON w.organization_id = l.organization_id AND w.id = l.work_order_id "
        "WHERE w.organization_id = :org AND w.site_id = :site AND w.start_time >= :a "
        "AND w.start_time < :b ORDER BY l.work_order_id, l.changed_at")

    def status_loop():
        with store.engine.connect() as conn:
            for n in range(days):
                a, b = local_day_bounds(today - timedelta(days=n), site.tz)
                rows = conn.execute(status_sql, {"org": ORG, "site": site_id, "a": a, "b": b})
                by_status = defaultdict(set)
                for machine_id, status in rows:
                    by_status[status].add(machine_id)

    def utilization_loop():
        with store.engine.connect() as conn:
            for n in range(days):
                a, b = local_day_bounds(today - timedelta(days=n), site.tz)
                params = {"org": ORG, "site": site_id, "a": a, "b": b}
                scheduled = defaultdict(float)
                for _, machine, start, end in conn.execute(wo_sql, params):
                    end = min(end or as_of, b)
                    scheduled[machine] += max(0.0, (end - max(start, a)).total_seconds())
                active = defaultdict(float)
                previous = None
                for wo, status, changed in conn.execute(log_sql, params):
                    if previous and previous[0] == wo and previous[1] == "Start":
                        active[wo] += (min(changed, b) - max(previous[2], a)).total_seconds()
                    previous = (wo, status, changed)

    return {
        "site_machines": len(site.machines),
        "machine_status_ms": round(statistics.median(timed(status_loop, 3)), 1),
        "utilization_ms": round(statistics.median(timed(utilization_loop, 3)), 1),
    }


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0], "bench/out/plant_analytics.json", argv)
    as_of = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
    store, directory = fresh_store(args.dir, "opslens-bench-")
    console.print(f"{args.machines} machines × {args.days} days into {directory}")
    results: dict[str, Any] = {"machines": args.machines, "days": args.days,
                               "as_of": as_of.isoformat()}
    results["ingest"] = load(store, args.machines, args.days, as_of, args.batch)
    results["rollups"] = build_rollups(store, as_of, args.days)
    results["analytics"] = analytics(store, as_of, args.days, args.repeat)
    results["seed_baseline"] = seed_baseline(store, as_of, args.days)
    per_site = results["analytics"]
    base = results["seed_baseline"]
    results["ratio_seed_over_opslens"] = {
        name: round(base[f"{name}_ms"] / per_site[name]["p50_ms"], 1)
        for name in ("machine_status", "utilization")
    }
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))

    table = Table(title="opslens plant benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("records ingested", f"{results['ingest']['records']:,}")
    table.add_row("ingest records/s", f"{results['ingest']['records_per_second']:,}")
    table.add_row("compact + rollup build (s)", str(results["rollups"]["seconds"]))
    for name in ("machine_status", "utilization"):
        table.add_row(f"{name} p50 per site (ms)", str(per_site[name]["p50_ms"]))
        table.add_row(f"{name} seed algorithm, one site (ms)",
                      str(base[f"{name}_ms"]))
        table.add_row(f"{name} ratio seed/opslens", str(results["ratio_seed_over_opslens"][name]))
    table.add_row("peak RSS (MB)", str(results["peak_rss_mb"]))
    console.print(table)
    console.print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
