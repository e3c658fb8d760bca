"""Machine Utilization KPI (seed 003 with DESIGN.md §5.3): per day, per machine and day, per
machine over the period, and a pooled summary, with comparison."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from opslens.domain import utilization as kpi
from opslens.domain.periods import DateRange
from opslens.plant import rollups
from opslens.plant.analytics import (
    AnalyticsQuery,
    comparison_analysis,
    page_of,
    resolve,
    site_block,
)
from opslens.plant.sites import Site


def analytics(conn: Connection, org: str, site: Site, query: AnalyticsQuery,
              paginate: bool = True) -> dict[str, Any]:
    """Seed 003's analytics-mode response; ``paginate=False`` gives every day (CSV export)."""
    as_of = query.resolved_as_of()
    periods = resolve(query, site, as_of)
    result: dict[str, Any] = {
        "site": site_block(site), "as_of": as_of.isoformat(),
        "time_period": query.time_period,
        "primary_period": _period(conn, org, site, periods.primary, as_of, query, paginate),
    }
    if periods.comparison is not None:
        result["comparison_type"] = query.comparison_type
        result["comparison_period"] = _period(conn, org, site, periods.comparison, as_of, query,
                                              paginate, comparison=True)
        result["comparison_analysis"] = comparison_analysis(
            result["primary_period"]["summary"], result["comparison_period"]["summary"],
            kpi.DIRECTIONS,
        )
    return result


def _period(conn: Connection, org: str, site: Site, period: DateRange, as_of: datetime,
            query: AnalyticsQuery, paginate: bool, comparison: bool = False) -> dict[str, Any]:
    names = {m["id"]: m["name"] for m in site.machines}
    by_day: dict[date, list[tuple[str, kpi.ProductionSums]]] = defaultdict(list)
    for row in rollups.machine_days(conn, org, site, period.start, period.end, as_of):
        if row["machine_id"] in names:
            by_day[row["day"]].append((row["machine_id"], kpi.machine_day(row)))

    days = list(reversed(period.days))  # newest first, as seed 003's table
    if paginate:
        days, paging = page_of(days, query.page, query.per_page, clamp=comparison)
    daily = [{"date": day.isoformat(), **kpi.metrics(kpi.pool(s for _, s in by_day[day]))}
             for day in days]
    machine_daily = [
        {"date": day.isoformat(), "machine_id": mid, "name": names[mid], **kpi.metrics(sums)}
        for day in days for mid, sums in sorted(by_day[day], key=lambda item: item[0])
    ]

    per_machine: dict[str, kpi.ProductionSums] = defaultdict(kpi.ProductionSums)
    for parts in by_day.values():
        for mid, sums in parts:
            per_machine[mid] += sums
    machines = []
    for mid in sorted(per_machine):
        metrics = kpi.metrics(per_machine[mid])
        metrics["days_worked"] = metrics.pop("machine_count")
        machines.append({"machine_id": mid, "name": names[mid], **metrics})

    total = kpi.pool(per_machine.values())
    summary = kpi.metrics(total)
    # over a period, machine_count is the number of machines that worked on any of its days
    summary["machine_count"] = sum(1 for m in per_machine.values() if m.machine_count)
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
