"""Machine Utilization KPI (seed 003 with DESIGN.md §5.3): per day, per machine and day, per
machine over the period, and a pooled summary, with comparison."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from opslens.domain import utilization as kpi
from opslens.domain.periods import DateRange
from opslens.plant import rollups
from opslens.plant.analytics import (
    AnalyticsQuery,
    analytics_response,
    page_of,
)
from opslens.plant.sites import Site


def analytics(conn: Connection, org: str, site: Site, query: AnalyticsQuery,
              paginate: bool = True) -> dict[str, Any]:
    """Seed 003's analytics-mode response; ``paginate=False`` gives every day (CSV export)."""
    return analytics_response(conn, org, site, query, paginate, _period, kpi.DIRECTIONS)


def _period(conn: Connection, org: str, site: Site, period: DateRange, as_of: datetime,
            query: AnalyticsQuery, paginate: bool, comparison: bool) -> dict[str, Any]:
    names = {m["id"]: m["name"] for m in site.machines}
    data = rollups.prepare(conn, org, site, period.start, period.end, as_of)
    per_day = data.totals("day")
    per_machine = {mid: sums for mid, sums in data.totals("machine_id").items()
                   if mid in names}

    days = list(reversed(period.days))  # newest first, as seed 003's table
    if paginate:
        days, paging = page_of(days, query.page, query.per_page, clamp=comparison)
    daily = [{"date": day.isoformat(), **kpi.metrics(kpi.ProductionSums.of(per_day.get(day)))}
             for day in days]
    machine_daily = sorted(
        ({"date": row["day"].isoformat(), "machine_id": row["machine_id"],
          "name": names[row["machine_id"]], **kpi.metrics(kpi.ProductionSums.of(row))}
         for row in data.rows(days) if row["machine_id"] in names),
        key=lambda r: r["machine_id"])
    machine_daily.sort(key=lambda r: r["date"], reverse=True)  # newest day first, stable

    machines = []
    for mid in sorted(per_machine):
        metrics = kpi.metrics(kpi.ProductionSums.of(per_machine[mid]))
        metrics["days_worked"] = metrics.pop("machine_count")
        machines.append({"machine_id": mid, "name": names[mid], **metrics})

    summary = kpi.metrics(kpi.pool(kpi.ProductionSums.of(sums) for sums in per_day.values()))
    # over a period, machine_count is the number of machines that worked on any of its days
    summary["machine_count"] = sum(1 for sums in per_machine.values() if sums["has_work"])
    summary["total_machines"] = len(names)
    summary["days_analyzed"] = len(period)
    block: dict[str, Any] = {
        "start_date": period.start.isoformat(),
        "end_date": period.end.isoformat(),
        "daily_breakdown": daily,
        "machine_daily": machine_daily,
        "machines": machines,
        "summary": summary,
    }
    if paginate:
        block["pagination"] = paging
    return block
