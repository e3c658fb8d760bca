"""Work Order Status KPI, dashboard mode (seed 003): planned for today, real-time execution."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from opslens.domain.intervals import local_day_bounds
from opslens.plant.analytics import site_block
from opslens.plant.sites import Site
from opslens.store import plant as plant_store

SECTIONS = {
    "planned_for_today": ("assigned",),
    "real_time_execution": ("hold", "start", "completed", "closed"),
}


def serialize_work_order(row: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """A work order for the API: times in the site's local time, with their offset."""
    out = dict(row)
    for name in ("start_time", "end_time", "updated_at"):
        if out.get(name) is not None:
            out[name] = out[name].astimezone(tz).isoformat()
    return out


def current(conn: Connection, org: str, site: Site, as_of: datetime) -> dict[str, Any]:
    today = as_of.astimezone(site.tz).date()
    day_start, day_end = local_day_bounds(today, site.tz)
    sections = plant_store.work_order_sections(conn, org, site.id, day_start, day_end)
    names = {m["id"]: m["name"] for m in site.machines}
    distribution = {
        status: {
            "count": len(rows),
            "work_orders": [{**serialize_work_order(r, site.tz),
                             "machine_name": names.get(r["machine_id"])} for r in rows],
        }
        for status, rows in sections.items()
    }
    return {
        "site": site_block(site), "as_of": as_of.isoformat(), "date": today.isoformat(),
        "sections": {name: list(statuses) for name, statuses in SECTIONS.items()},
        "status_distribution": distribution,
        "total_work_orders": sum(d["count"] for d in distribution.values()),
        "updated_at": as_of.isoformat(),
    }
