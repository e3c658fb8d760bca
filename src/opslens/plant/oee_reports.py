"""Exports for BI tools (seed 004 §4.9 ``/api/oee/reports/export``, OEE-028): OEE per machine
and day or hour, downtime events, production counts and the downtime Pareto of a scope and
window, as tables that :func:`opslens.export.tables.render` writes as CSV, XLSX, JSON or
Parquet."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.engine import Connection

from opslens.errors import InvalidInput
from opslens.export.tables import TableFormat
from opslens.plant import oee_rollups
from opslens.plant.downtime import ParetoQuery, pareto
from opslens.plant.oee import OeeQuery, machines_in_scope, summary, window_of
from opslens.plant.sites import load_site
from opslens.store import oee as oee_store

Dataset = Literal["oee_daily", "oee_hourly", "downtime_events", "production_counts", "pareto"]
#: Rows an export may hold: a worksheet's limit, and a file a BI tool opens in one go.
MAX_ROWS = 1_048_575


class ExportQuery(OeeQuery):
    dataset: Dataset = Field("oee_daily", description="What to export.")
    format: TableFormat = Field("csv", description="csv, xlsx, json or parquet.")


OEE_COLUMNS = ("site_id", "line_id", "machine_id", "machine_name", "shift_id", "oee",
               "availability", "performance", "performance_raw", "quality", "teep",
               "utilization", "planned_production_minutes", "run_minutes",
               "unplanned_downtime_minutes", "total", "good", "scrap")


def rows(conn: Connection, org: str, query: ExportQuery) -> tuple[list[dict[str, Any]],
                                                                   list[str]]:
    """The dataset's rows and its columns, in order."""
    if query.dataset == "pareto":
        result = pareto(conn, org, ParetoQuery(**query.model_dump(
            exclude={"dataset", "format", "include_machines"})))
        columns = ["key", "description", "minutes", "stops", "share", "cumulative_share"]
        return [{name: row[name] for name in columns} for row in result["by_duration"]], columns
    as_of = query.resolved_as_of()
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for machine in machines_in_scope(conn, org, query):
        by_site[machine["site_id"]].append(machine)
    out: list[dict[str, Any]] = []
    columns: list[str] = []
    for site_id, machines in sorted(by_site.items()):
        site = load_site(conn, org, site_id)
        lo, hi = window_of(conn, org, query, site, as_of)
        ids = [m["id"] for m in machines]
        if query.dataset in ("oee_daily", "oee_hourly"):
            time_key = "day" if query.dataset == "oee_daily" else "hour_start"
            columns = [time_key, *OEE_COLUMNS]
            coverage = oee_rollups.cover(conn, org, site, machines, (lo, hi), as_of,
                                         minor_stop_s=query.minor_stop_seconds,
                                         work_order_id=query.work_order_id,
                                         hourly=query.dataset == "oee_hourly")
            named = {m["id"]: m for m in machines}
            sums = oee_rollups.pooled(conn, org, coverage, (time_key, "machine_id", "shift_id"))
            for (when, machine_id, shift_id), inputs in sorted(sums.items()):
                point = summary(inputs)
                counts = point.pop("counts")
                m = named[machine_id]
                out.append({time_key: when, "site_id": site_id, "line_id": m["line_id"],
                            "machine_id": machine_id, "machine_name": m["name"],
                            "shift_id": shift_id or None, **point, **counts})
        elif query.dataset == "downtime_events":
            found, _ = oee_store.events(conn, org, machine_ids=ids, lo=lo, hi=min(hi, as_of),
                                        limit=MAX_ROWS + 1)
            columns = list(oee_store.EVENT_FIELDS)
            out += found
        else:
            found = oee_store.counts(conn, org, ids, lo, min(hi, as_of))
            columns = ["machine_id", "counted_at", "period_start", "total", "good", "scrap",
                       "rework", "startup_rejects", "work_order_id", "product_id",
                       "ideal_cycle_time_s"]
            out += found
        if len(out) > MAX_ROWS:
            raise InvalidInput(f"the export would hold more than {MAX_ROWS:,} rows; narrow the "
                               "window or the scope", [{"field": "dataset", "reason": "too big"}])
    return out, columns
