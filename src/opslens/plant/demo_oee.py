"""OEE data for the demo plant: stops with realistic reasons, output counts and energy meters,
derived from the demo's work orders so that machines stop, make parts and draw power while
their work orders run.

- Counts: one per machine per hour of running (``period_start`` to the end of the hour or of
  the run), at 80–98 % of the ideal rate, 1–4 % scrap, a few startup rejects after a stop.
- Stops inside runs: jams under two minutes (minor stops) several times a shift, material
  waits, breakdowns now and then (one still open at ``as_of`` on some machines), unplanned
  changeovers; planned changeovers at the start of runs and planned maintenance some days.
- Energy: a cumulative meter per machine read hourly, idle base load plus a running load.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

OEE_KINDS = ("production_counts", "downtime_events", "energy_readings")
_UNPLANNED = (("MINOR-STOP", 0.55, 30, 110), ("MATERIAL", 0.2, 300, 1800),
              ("BREAKDOWN", 0.1, 900, 5400), ("CHANGEOVER", 0.1, 600, 2400),
              ("OPERATOR", 0.05, 300, 1200))


def _runs(records: dict[str, list[dict[str, Any]]], as_of: datetime
          ) -> dict[str, list[tuple[datetime, datetime, dict[str, Any]]]]:
    """Each machine's Start segments known at ``as_of``, from the work-order logs."""
    orders = {w["id"]: w for w in records["work_orders"]}
    logs: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for log in records["work_order_logs"]:
        at = datetime.fromisoformat(log["changed_at"])
        if at < as_of:
            logs[log["work_order_id"]].append((at, log["status"]))
    runs: dict[str, list[tuple[datetime, datetime, dict[str, Any]]]] = defaultdict(list)
    for order_id, changes in logs.items():
        changes.sort()
        order = orders[order_id]
        for (at, status), (after, _) in zip(changes, [*changes[1:], (as_of, "")], strict=True):
            if status == "Start" and after > at:
                runs[order["machine_id"]].append((at, after, order))
    for spans in runs.values():
        spans.sort(key=lambda span: span[0])
    return runs


def build_demo_oee(records: dict[str, list[dict[str, Any]]], seed: int, *, as_of: datetime
                   ) -> dict[str, list[dict[str, Any]]]:
    """Counts, stops and energy readings for the demo plant ``records`` (see module doc)."""
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in OEE_KINDS}
    ideal = {m["id"]: m.get("ideal_cycle_time_s") or 60.0 for m in records["machines"]}
    runs = _runs(records, as_of)
    for machine_id in sorted(ideal):
        rng = random.Random(f"opslens-demo-oee:{seed}:{machine_id}")
        spans = runs.get(machine_id, [])
        stops = _stops(rng, machine_id, spans, as_of)
        out["downtime_events"] += [stop for per_span in stops for stop in per_span]
        out["production_counts"] += _counts(rng, machine_id, ideal[machine_id], spans, stops)
        out["energy_readings"] += _energy(rng, machine_id, spans, as_of)
    return out


def _stops(rng: random.Random, machine_id: str, spans, as_of: datetime
           ) -> list[list[dict[str, Any]]]:
    """The stops of each run (one list per span)."""
    out: list[list[dict[str, Any]]] = []
    for index, (start, end, order) in enumerate(spans):
        stops: list[dict[str, Any]] = []
        out.append(stops)
        if rng.random() < 0.6:  # a planned changeover opens most runs
            length = timedelta(minutes=rng.randint(10, 25))
            stops.append(_stop(f"{machine_id}-{index}-CO", machine_id, start,
                               min(end, start + length), "CHANGEOVER-PLAN", order))
        t = start + timedelta(minutes=30)
        while True:
            t += timedelta(minutes=rng.expovariate(1 / 70))
            if t >= end:
                break
            code = rng.choices([u[0] for u in _UNPLANNED], [u[1] for u in _UNPLANNED])[0]
            low, high = next((u[2], u[3]) for u in _UNPLANNED if u[0] == code)
            stop_end = min(end, t + timedelta(seconds=rng.uniform(low, high)))
            open_now = code == "BREAKDOWN" and end >= as_of and stop_end >= end
            stops.append(_stop(f"{machine_id}-{index}-{len(stops)}", machine_id, t,
                               None if open_now else stop_end, code, order))
            t = stop_end
    return out


def _stop(id_: str, machine_id: str, start: datetime, end: datetime | None, code: str,
          order: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"DT-{id_}", "machine_id": machine_id, "start_time": start.isoformat(),
            "end_time": None if end is None else end.isoformat(), "reason_code": code,
            "work_order_id": order["id"], "logged_by": order.get("operator_id")}


def _counts(rng: random.Random, machine_id: str, ict: float, spans, stops
            ) -> list[dict[str, Any]]:
    counts = []
    for (start, end, order), span_stops in zip(spans, stops, strict=True):
        down = [(datetime.fromisoformat(s["start_time"]),
                 datetime.fromisoformat(s["end_time"]) if s["end_time"] else None)
                for s in span_stops]
        speed = rng.uniform(0.8, 0.98)
        t = start
        while t < end:
            hour_end = min(end, t.replace(minute=0, second=0, microsecond=0)
                           + timedelta(hours=1))
            stopped = sum(((min(hour_end, e or hour_end) - max(t, s)).total_seconds()
                           for s, e in down if s < hour_end and (e is None or e > t)), 0.0)
            running = max(0.0, (hour_end - t).total_seconds() - max(0.0, stopped))
            total = int(running * speed / ict)
            if total > 0:
                scrap = sum(rng.random() < rng.uniform(0.01, 0.04) for _ in range(min(total, 50)))
                scrap = min(total, round(scrap * total / min(total, 50)))
                startup = min(scrap, rng.randint(0, 2)) if t == start else 0
                counts.append({"machine_id": machine_id, "timestamp": hour_end.isoformat(),
                               "period_start": t.isoformat(), "total": total,
                               "good": total - scrap, "scrap": scrap,
                               "startup_rejects": startup, "work_order_id": order["id"]})
            t = hour_end
    return counts


def _energy(rng: random.Random, machine_id: str, spans, as_of: datetime
            ) -> list[dict[str, Any]]:
    if not spans:
        return []
    base_kw, run_kw = rng.uniform(2, 6), rng.uniform(15, 60)
    first = spans[0][0].replace(minute=0, second=0, microsecond=0)
    meter = float(rng.randint(10_000, 90_000))
    readings = []
    t = first
    next_span = 0  # spans are sorted by start: only those from here on can still overlap
    while t < as_of:
        following = min(as_of, t + timedelta(hours=1))
        while next_span < len(spans) and spans[next_span][1] <= t:
            next_span += 1
        running = 0.0
        for s, e, _ in spans[next_span:]:
            if s >= following:
                break
            running += max(0.0, (min(following, e) - max(t, s)).total_seconds())
        meter += base_kw * (following - t).total_seconds() / 3600 + run_kw * running / 3600
        readings.append({"machine_id": machine_id, "reading_time": following.isoformat(),
                         "meter_reading": round(meter, 3)})
        t = following
    return readings
