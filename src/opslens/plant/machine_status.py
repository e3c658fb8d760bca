"""Machine Status KPI (seed 003): analytics mode over any period, and dashboard mode at as_of."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from opslens.domain import status as status_kpi
from opslens.domain.periods import DateRange
from opslens.plant import rollups
from opslens.plant.analytics import (
    AnalyticsQuery,
    analytics_response,
    page_of,
    site_block,
)
from opslens.plant.sites import Site
from opslens.plant.work_orders import in_force, serialize_work_order
from opslens.store import plant as plant_store


def analytics(conn: Connection, org: str, site: Site, query: AnalyticsQuery,
              paginate: bool = True) -> dict[str, Any]:
    """Seed 003's analytics-mode response; ``paginate=False`` gives every day (CSV export)."""
    return analytics_response(conn, org, site, query, paginate, _period, status_kpi.DIRECTIONS,
        keys={s: f"avg_{s}" for s in status_kpi.STATUSES}, ndigits=lambda _name: 1)


def _period(conn: Connection, org: str, site: Site, period: DateRange, as_of: datetime,
            query: AnalyticsQuery, paginate: bool, comparison: bool) -> dict[str, Any]:
    machines = {m["id"]: m for m in site.machines}
    data = rollups.prepare(conn, org, site, period.start, period.end, as_of)
    per_day = data.totals("day")
    per_machine = data.totals("machine_id")
    days = period.days
    daily = status_kpi.daily_counts(per_day, days, len(machines))

    def hours(sums: dict[str, float]) -> dict[str, float | None]:
        return status_kpi.state_hours(sums["running_s"], sums["hold_s"], sums["assigned_s"],
                                      sums["day_s"])

    block: dict[str, Any] = {
        "start_date": period.start.isoformat(),
        "end_date": period.end.isoformat(),
        "daily_breakdown": list(reversed(daily)),  # newest first, as seed 003's table
        "summary": status_kpi.summary(daily, len(machines)),
        "state_hours": {
            "daily": [{"date": day.isoformat(), **hours(per_day[day])}
                      for day in reversed(days) if day in per_day],
            "machines": [
                {"machine_id": mid, "name": machines[mid]["name"], **hours(per_machine[mid])}
                for mid in sorted(per_machine) if mid in machines
            ],
        },
    }
    if paginate:
        block["daily_breakdown"], block["pagination"] = page_of(
            block["daily_breakdown"], query.page, query.per_page, clamp=comparison)
    return block


def current(conn: Connection, org: str, site: Site, as_of: datetime) -> dict[str, Any]:
    """Dashboard mode: each machine's status at the instant ``as_of``, with its work orders.

    The day rule of DESIGN.md §5.2 applied to one instant: Running if a work order of the
    machine is in Start at as_of, else Hold, else Scheduled (a work order starting today is
    Assigned), else Idle.
    """
    today, _, segments = in_force(conn, org, site, as_of)
    flags: dict[str, set[str]] = defaultdict(set)
    order_ids: dict[str, set[str]] = defaultdict(set)
    for seg in segments:
        flags[seg["machine_id"]].add(seg["status"])
        order_ids[seg["machine_id"]].add(seg["work_order_id"])
    orders = {o["id"]: o for o in plant_store.work_orders_by_id(
        conn, org, sorted({i for ids in order_ids.values() for i in ids}))}
    machines = []
    counts = dict.fromkeys(status_kpi.STATUSES, 0)
    for machine in site.machines:
        states = flags.get(machine["id"], set())
        status = status_kpi.day_status("Start" in states, "Hold" in states, "Assigned" in states)
        counts[status] += 1
        machines.append({
            "machine_id": machine["id"], "name": machine["name"],
            "asset_id": machine["asset_id"], "line_id": machine["line_id"], "status": status,
            "work_orders": [serialize_work_order(orders[i], site.tz)
                            for i in sorted(order_ids.get(machine["id"], ()))],
        })
    return {
        "site": site_block(site), "as_of": as_of.isoformat(), "date": today.isoformat(),
        "counts": counts, "total_machines": len(site.machines), "machines": machines,
    }
