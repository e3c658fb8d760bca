"""Work Order Status KPI, dashboard mode (seed 003): planned for today, real-time execution."""

from __future__ import annotations

from datetime import date, datetime
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


def in_force(conn: Connection, org: str, site: Site, as_of: datetime
             ) -> tuple[date, tuple[datetime, datetime], list[dict[str, Any]]]:
    """The site's local day at ``as_of``, its bounds, and the work-order segments that count
    at that instant for both dashboards: Start and Hold whenever they began, Assigned only
    for work orders scheduled to start that day (seed 003)."""
    today = as_of.astimezone(site.tz).date()
    day_start, day_end = local_day_bounds(today, site.tz)
    segments = [seg for seg in plant_store.segments_at(conn, org, site.id, as_of)
                if seg["status"] != "Assigned" or day_start <= seg["wo_start_time"] < day_end]
    return today, (day_start, day_end), segments


def current(conn: Connection, org: str, site: Site, as_of: datetime) -> dict[str, Any]:
    """Seed 003's two sections with its filters, each work order in its status at ``as_of``
    (its timeline, DESIGN.md §5.1, so the dashboard of any past instant can be reproduced):
    planned for today — Assigned, starting today; real-time execution — every Start and every
    Hold, whenever they began, and Completed and Closed whose log turned so today."""
    today, (day_start, _), segments = in_force(conn, org, site, as_of)
    ids: dict[str, list[str]] = {status: [] for status in
                                 ("assigned", "start", "hold", "completed", "closed")}
    since: dict[str, datetime] = {}
    for seg in segments:
        ids[seg["status"].lower()].append(seg["work_order_id"])
    for log in plant_store.terminal_changes(conn, org, site.id, day_start, as_of):
        ids[log["status"].lower()].append(log["work_order_id"])
        since[log["work_order_id"]] = log["changed_at"]
    orders = {o["id"]: o for o in plant_store.work_orders_by_id(
        conn, org, sorted({i for group in ids.values() for i in group}))}
    names = {m["id"]: m["name"] for m in site.machines}

    def section(status: str) -> dict[str, Any]:
        rows = [orders[i] for i in set(ids[status])]
        if status in ("completed", "closed"):  # the seed lists the latest first
            rows.sort(key=lambda o: (since[o["id"]], o["id"]), reverse=True)
        else:
            rows.sort(key=lambda o: (o["start_time"], o["id"]))
        return {"count": len(rows), "work_orders": [
            {**serialize_work_order(o, site.tz), "machine_name": names.get(o["machine_id"]),
             **({"status_changed_at": since[o["id"]].astimezone(site.tz).isoformat()}
                if o["id"] in since else {})}
            for o in rows]}

    distribution = {status: section(status) for status in ids}
    return {
        "site": site_block(site), "as_of": as_of.isoformat(), "date": today.isoformat(),
        "sections": {name: list(statuses) for name, statuses in SECTIONS.items()},
        "status_distribution": distribution,
        "total_work_orders": sum(d["count"] for d in distribution.values()),
        "updated_at": as_of.isoformat(),
    }
