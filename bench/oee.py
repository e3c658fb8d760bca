"""OEE benchmark (DESIGN.md §9, issue 3): rollups, one machine-shift, org-wide trend and Pareto.

The plant of the plant benchmark (500 machines in 5 sites and three time zones, three shifts
with breaks) gets 90 days of OEE data: hourly production counts per machine (each over the hour
before it) and about 6 stops per machine-day (jams under the minor-stop threshold, breakdowns,
material shortages, planned changeovers, some overlapping). It is ingested through the ingest
service into a fresh DuckDB file, the hourly and daily rollups are built, and then timed,
uncached:

- OEE of one machine over one past shift (``/api/oee/calculate``), and over the shift now
  running (its open hour computed from raw rows);
- the organization's 90-day daily OEE trend and its 90-day downtime Pareto (all 500 machines).

The baseline, run in the same process on the same store, is the naive way: the same time model
straight from the raw rows (one query per site for stops and one for counts, then every machine
and day in Python), as opslens computed OEE before the rollups.

    python -m bench.oee                        # full size (a few minutes)
    python -m bench.oee --machines 50 --days 14
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import arguments, fresh_store, timed
from bench.plant_data import static_records
from opslens.domain.calendars import shift_instances
from opslens.domain.downtime import resolve
from opslens.domain.intervals import local_day_bounds
from opslens.domain.oee import OeeInputs
from opslens.domain.time_model import machine_inputs
from opslens.ingest.service import ingest
from opslens.plant import oee, oee_trends, rollups
from opslens.plant.downtime import ParetoQuery, pareto
from opslens.plant.oee import OeeQuery
from opslens.plant.oee_rollups import Reasons, count_of
from opslens.plant.oee_trends import TrendQuery
from opslens.plant.sites import load_site
from opslens.store import oee as oee_store
from opslens.store import plant as plant_store
from opslens.store.engine import Store

ORG = "bench"
AS_OF = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
console = Console()
# (reason, share of stops, shortest and longest length in seconds)
STOPS = (("MINOR-STOP", 0.35, 20, 110), ("BREAKDOWN", 0.2, 60, 5400),
         ("MATERIAL", 0.2, 300, 2400), ("CHANGEOVER-PLAN", 0.15, 1200, 2700),
         ("CHANGEOVER", 0.1, 600, 1800))


def oee_records(machines: list[dict[str, Any]], days: int, seed: int = 1
                ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Day by day, as a plant reports them: every machine's stops begun that day (UTC), then
    every machine's hourly counts of that day, over the ``days`` before AS_OF."""
    rng = random.Random(seed)
    start = (AS_OF - timedelta(days=days)).replace(minute=0)
    reasons = [r for r, *_ in STOPS]
    weights = [w for _, w, *_ in STOPS]
    lengths = {r: (lo, hi) for r, _, lo, hi in STOPS}
    next_stop = {m["id"]: start + timedelta(seconds=rng.expovariate(6 / 86_400))
                 for m in machines}
    numbers = dict.fromkeys(next_stop, 0)
    for day in range(days):
        day_start = start + timedelta(days=day)
        day_end = min(day_start + timedelta(days=1), AS_OF)
        stops = []
        for m in machines:
            t = next_stop[m["id"]]
            while t < day_end:
                reason = rng.choices(reasons, weights)[0]
                length = timedelta(seconds=rng.uniform(*lengths[reason]))
                stops.append({"id": f"{m['id']}-{numbers[m['id']]}", "machine_id": m["id"],
                              "reason_code": reason, "start_time": t.isoformat(),
                              "end_time": min(t + length, AS_OF).isoformat()})
                numbers[m["id"]] += 1
                t += timedelta(seconds=rng.expovariate(6 / 86_400))
            next_stop[m["id"]] = t
        yield "downtime_events", stops
        counts = []
        for m in machines:
            rate = 3600 / m["ideal_cycle_time_s"]
            for h in range(24):
                begin = day_start + timedelta(hours=h)
                total = int(rate * rng.uniform(0.55, 0.95))
                good = int(total * rng.uniform(0.95, 0.995))
                counts.append({"machine_id": m["id"], "period_start": begin.isoformat(),
                               "counted_at": (begin + timedelta(hours=1)).isoformat(),
                               "total": total, "good": good})
        yield "production_counts", counts


def load(store: Store, machines: int, days: int, batch: int) -> dict[str, Any]:
    plant = static_records(machines)
    for kind, records in plant.items():
        ingest(store, ORG, kind, [records], now=AS_OF)
    pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    counted: dict[str, int] = defaultdict(int)
    touched: rollups.Touched = {}

    def flush(kind: str) -> None:
        t0 = time.perf_counter()
        result = ingest(store, ORG, kind, [pending[kind]], now=AS_OF)
        seconds[kind] += time.perf_counter() - t0
        counted[kind] += len(pending[kind])
        rollups.merge(touched, result.touched)
        pending[kind] = []

    started = time.perf_counter()
    with console.status("ingesting OEE records"):
        for kind, records in oee_records(plant["machines"], days):
            pending[kind] += records
            if len(pending[kind]) >= batch:
                flush(kind)
        for kind in list(pending):
            if pending[kind]:
                flush(kind)
    total, spent = sum(counted.values()), sum(seconds.values())
    return {"records": dict(counted), "ingest_seconds": round(spent, 1),
            "records_per_second": round(total / spent),
            "wall_seconds": round(time.perf_counter() - started, 1), "touched": touched}


def build_rollups(store: Store, touched: rollups.Touched, days: int) -> dict[str, Any]:
    started = time.perf_counter()
    rollups.refresh_touched(store, ORG, touched, horizon_days=days + 1, now=AS_OF)
    return {"seconds": round(time.perf_counter() - started, 1)}


def _stats(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1),
            "calls": len(samples)}


def measure(store: Store, days: int, repeat: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        machines = plant_store.machines(conn, ORG)
    rng = random.Random(7)
    out: dict[str, Any] = {}

    def run(build):
        with store.engine.begin() as conn:
            return build(conn)

    shift_calls = []
    for _ in range(repeat * 5):
        m = rng.choice(machines)
        day = (AS_OF - timedelta(days=rng.randint(2, days - 2))).date()
        query = OeeQuery(machine_id=m["id"], shift_id=f"{m['site_id']}-EARLY", date=day,
                         as_of=AS_OF, include_machines=False)
        shift_calls += timed(lambda q=query: run(lambda c: oee.calculate(c, ORG, q)), 1)
    out["one_machine_past_shift"] = _stats(shift_calls)
    live_calls = []
    for _ in range(repeat * 5):
        m = rng.choice(machines)
        live_calls += timed(lambda i=m["id"]: run(lambda c: oee.realtime(c, ORG, i, AS_OF)), 1)
    out["one_machine_current_shift"] = _stats(live_calls)
    period = {"time_period": "custom", "date_from": AS_OF.date() - timedelta(days=_span(days) - 1),
              "date_to": AS_OF.date(), "as_of": AS_OF}
    trend = TrendQuery(granularity="day", **period)
    out["trend_oee"] = run(lambda c: oee_trends.trends(c, ORG, trend))["total"]["oee"]
    out["org_trend_90_days"] = _stats(timed(
        lambda: run(lambda c: oee_trends.trends(c, ORG, trend)), repeat))
    query = ParetoQuery(include_planned=True, **period)
    out["pareto_minutes"] = run(lambda c: pareto(c, ORG, query))["total_minutes"]
    out["org_pareto_90_days"] = _stats(timed(lambda: run(lambda c: pareto(c, ORG, query)),
                                             repeat))
    return out


def _span(days: int) -> int:
    """Days of the timed period: 90, or the data's days less a margin on smaller runs."""
    return min(90, days - 1)


def naive(store: Store, days: int) -> dict[str, Any]:
    """The time model and the Pareto straight from raw rows, every machine and day."""
    t0 = time.perf_counter()
    daily: dict[Any, OeeInputs] = defaultdict(OeeInputs)
    minutes: dict[str, float] = defaultdict(float)
    with store.engine.begin() as conn:
        reasons = Reasons.load(conn, ORG)
        for site_row in plant_store.list_sites(conn, ORG):
            site = load_site(conn, ORG, site_row["id"])
            today = AS_OF.astimezone(site.tz).date()
            first = AS_OF.date() - timedelta(days=_span(days) - 1)
            lo, hi = local_day_bounds(first, site.tz)[0], AS_OF
            ids = [m["id"] for m in site.machines]
            stops, counts = defaultdict(list), defaultdict(list)
            for row in oee_store.stops(conn, ORG, ids, lo, hi):
                stops[row["machine_id"]].append(reasons.stop(row))
            for row in oee_store.counts(conn, ORG, ids, lo, hi):
                counts[row["machine_id"]].append(count_of(row))
            shifts = shift_instances(site.shifts, first - timedelta(days=1), today, site.tz)
            windows = [local_day_bounds(first + timedelta(days=d), site.tz)
                       for d in range((today - first).days + 1)]
            for machine_id in ids:
                pieces = resolve(stops[machine_id], AS_OF)
                piece_ends = [p.end for p in pieces]
                machine_counts = counts[machine_id]
                count_ends = [c.counted_at for c in machine_counts]
                for day_lo, day_hi in windows:
                    day_pieces = [p for p in pieces[bisect_right(piece_ends, day_lo):]
                                  if p.start < day_hi]
                    reach = day_hi + timedelta(hours=1)  # hourly counts end up to 1 h later
                    day_counts = machine_counts[bisect_left(count_ends, day_lo):
                                                bisect_right(count_ends, reach)]
                    daily[day_lo.date()] += machine_inputs((day_lo, day_hi), shifts, day_pieces,
                                                           day_counts, AS_OF)
                for piece in pieces:
                    if piece.end > lo:
                        minutes[piece.stop.reason_code] += (
                            piece.end - max(piece.start, lo)).total_seconds() / 60
    return {"trend_and_pareto_ms": round((time.perf_counter() - t0) * 1000, 1),
            "days": len(daily), "reasons": len(minutes),
            "oee": oee.summary(sum(daily.values(), OeeInputs()))["oee"],
            "downtime_minutes": round(sum(minutes.values()), 2)}


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0], "bench/out/oee.json", argv)
    store, directory = fresh_store(args.dir, "opslens-bench-oee-")
    console.print(f"{args.machines} machines × {args.days} days of OEE data into {directory}")
    results: dict[str, Any] = {"machines": args.machines, "days": args.days,
                               "as_of": AS_OF.isoformat()}
    loaded = load(store, args.machines, args.days, args.batch)
    touched = loaded.pop("touched")
    results["ingest"] = loaded
    results["rollups"] = build_rollups(store, touched, args.days)
    results["opslens"] = measure(store, args.days, args.repeat)
    results["naive"] = naive(store, args.days)
    ours = (results["opslens"]["org_trend_90_days"]["p50_ms"]
            + results["opslens"]["org_pareto_90_days"]["p50_ms"])
    results["ratio_naive_over_opslens"] = round(results["naive"]["trend_and_pareto_ms"] / ours, 1)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))

    table = Table(title="opslens OEE benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("records ingested", f"{sum(loaded['records'].values()):,}")
    table.add_row("ingest records/s", f"{loaded['records_per_second']:,}")
    table.add_row("rollup build (s)", str(results["rollups"]["seconds"]))
    for name, value in results["opslens"].items():
        if isinstance(value, dict):
            table.add_row(f"{name} p50 / max (ms)", f"{value['p50_ms']} / {value['max_ms']}")
    table.add_row("trend OEE % opslens / naive",
                  f"{results['opslens']['trend_oee']} / {results['naive']['oee']}")
    table.add_row("naive trend + Pareto from raw rows (ms)",
                  str(results["naive"]["trend_and_pareto_ms"]))
    table.add_row("ratio naive / opslens (trend + Pareto)",
                  str(results["ratio_naive_over_opslens"]))
    table.add_row("peak RSS (MB)", str(results["peak_rss_mb"]))
    console.print(table)
    console.print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
