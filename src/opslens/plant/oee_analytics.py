"""OEE analytics built on the per-machine calculation (seed 004 §4.8): reliability (MTBF and
MTTR per machine) and bottlenecks (per line, the machine with the lowest effective rate)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.engine import Connection

from opslens.domain.rounding import round_half_up
from opslens.plant.oee import OeeQuery, calculate


def _per_machine(conn: Connection, org: str, query: OeeQuery) -> dict[str, Any]:
    return calculate(conn, org, query.model_copy(update={"include_machines": True}))


def mtbf(conn: Connection, org: str, query: OeeQuery) -> dict[str, Any]:
    """MTBF and MTTR (ISO 22400-2) of the scope, pooled, and of each machine, worst first."""
    result = _per_machine(conn, org, query)
    machines = [{"machine_id": m["machine_id"], "name": m["name"], "line_id": m["line_id"],
                 "run_minutes": m["time_model"]["run_minutes"], **m["reliability"]}
                for m in result["machines"]]
    machines.sort(key=lambda m: (m["mtbf_minutes"] is None, m["mtbf_minutes"] or 0,
                                 m["machine_id"]))
    return {"scope": result["scope"], "window": result["window"], "as_of": result["as_of"],
            **result["reliability"], "machines": machines}


def bottlenecks(conn: Connection, org: str, query: OeeQuery) -> dict[str, Any]:
    """Per line: each machine's effective rate, good units per hour of planned production
    time, and the line's bottleneck, the machine with the lowest rate (machines that were not
    planned to run are listed but not ranked)."""
    result = _per_machine(conn, org, query)
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in result["machines"]:
        planned_h = m["time_model"]["planned_production_minutes"] / 60
        rate = m["counts"]["good"] / planned_h if planned_h > 0 else None
        lines[m["line_id"] or ""].append({
            "machine_id": m["machine_id"], "name": m["name"], "oee": m["oee"],
            "good_units": m["counts"]["good"], "planned_production_hours": round(planned_h, 2),
            "effective_rate_per_hour": None if rate is None else round_half_up(rate, 2)})
    out = []
    for line_id, machines in sorted(lines.items()):
        ranked = sorted((m for m in machines if m["effective_rate_per_hour"] is not None),
                        key=lambda m: (m["effective_rate_per_hour"], m["machine_id"]))
        out.append({"line_id": line_id or None,
                    "bottleneck": ranked[0]["machine_id"] if ranked else None,
                    "line_rate_per_hour": ranked[0]["effective_rate_per_hour"] if ranked else None,
                    "machines": ranked + [m for m in machines if m not in ranked]})
    return {"scope": result["scope"], "window": result["window"], "as_of": result["as_of"],
            "lines": out}


def performance(conn: Connection, org: str, query: OeeQuery) -> dict[str, Any]:
    """Speed of the scope and of each machine: actual and ideal cycle time per unit, rate per
    hour of run time, performance, and the speed losses (minor stops, reduced speed)."""
    result = _per_machine(conn, org, query)
    return {"scope": result["scope"], "window": result["window"], "as_of": result["as_of"],
            **_speed(result), "machines": [{"machine_id": m["machine_id"], "name": m["name"],
                                            **_speed(m)} for m in result["machines"]]}


def _speed(r: dict[str, Any]) -> dict[str, Any]:
    model, total = r["time_model"], r["counts"]["total"]
    known = total - r["counts"]["without_ideal_cycle_time"]
    return {
        "units": total,
        "actual_cycle_seconds": (round_half_up(model["run_minutes"] * 60 / total, 3)
                                 if total else None),
        "ideal_cycle_seconds": (round_half_up(model["ideal_output_minutes"] * 60 / known, 3)
                                if known else None),
        "rate_per_hour": r["production_rate_per_hour"],
        "performance": r["performance"], "performance_raw": r["performance_raw"],
        "minor_stop_minutes": r["losses"]["minor_stops"]["minutes"],
        "reduced_speed_minutes": r["losses"]["reduced_speed"]["minutes"],
    }


def quality(conn: Connection, org: str, query: OeeQuery) -> dict[str, Any]:
    """Yield of the scope and of each machine: good, scrap, rework and startup rejects, first
    pass yield (good / total), scrap and rework rates, and the quality losses in minutes."""
    result = _per_machine(conn, org, query)
    return {"scope": result["scope"], "window": result["window"], "as_of": result["as_of"],
            **_yield(result), "machines": [{"machine_id": m["machine_id"], "name": m["name"],
                                            **_yield(m)} for m in result["machines"]]}


def _yield(r: dict[str, Any]) -> dict[str, Any]:
    counts = r["counts"]
    total = counts["total"]

    def pct(part: float) -> float | None:
        return round_half_up(100 * part / total, 2) if total else None

    return {**counts, "first_pass_yield": pct(counts["good"]), "scrap_rate": pct(counts["scrap"]),
            "rework_rate": pct(counts["rework"]),
            "process_defect_minutes": r["losses"]["process_defects"]["minutes"],
            "reduced_yield_minutes": r["losses"]["reduced_yield"]["minutes"]}
