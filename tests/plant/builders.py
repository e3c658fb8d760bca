"""Small plants for tests: a site with a shift calendar, machines, work orders and logs,
ingested through the real ingest service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from opslens.ingest.service import ingest
from opslens.plant.analytics import AnalyticsQuery
from opslens.plant.sites import load_site

THREE_SHIFTS = [("A", "06:00", "14:00"), ("B", "14:00", "22:00"), ("C", "22:00", "06:00")]


def plant(store, org: str = "acme", tz: str = "UTC", machines: int = 1,
          shifts=THREE_SHIFTS, site_id: str = "S1") -> list[str]:
    ingest(store, org, "sites", [[{"id": site_id, "name": "Plant", "timezone": tz}]])
    ids = [f"M{i}" for i in range(1, machines + 1)]
    ingest(store, org, "machines", [[{"id": m, "site_id": site_id, "name": m} for m in ids]])
    if shifts:
        ingest(store, org, "shifts", [[
            {"id": f"{site_id}-{name}", "site_id": site_id, "name": name, "start_time": start,
             "end_time": end} for name, start, end in shifts]])
    return ids


def local(tz: str, text: str) -> str:
    """An ISO timestamp with the zone's offset at that wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).isoformat()


def work_orders(store, rows: list[dict[str, Any]], org: str = "acme",
                site_id: str = "S1") -> None:
    ingest(store, org, "work_orders", [[{"site_id": site_id, **row} for row in rows]])


def logs(store, rows: list[dict[str, Any]], org: str = "acme") -> None:
    ingest(store, org, "work_order_logs", [rows])


def run(store, service, org: str = "acme", site_id: str = "S1", **query: Any) -> dict:
    """Call an analytics service the way the API does, in one transaction."""
    with store.engine.begin() as conn:
        site = load_site(conn, org, site_id)
        return service.analytics(conn, org, site, AnalyticsQuery(site_id=site_id, **query))


def custom(first: date, last: date, as_of: str, **extra: Any) -> dict[str, Any]:
    return {"time_period": "custom", "date_from": first, "date_to": last,
            "as_of": datetime.fromisoformat(as_of), **extra}
