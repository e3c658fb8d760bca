"""Seed 003's KPI endpoints: machine status, machine utilization, work-order status."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from opslens.api.deps import CacheDep, OrgDep, SettingsDep, StoreDep, cached
from opslens.api.responses import OutputFormat, csv_response, json_response, wants_csv
from opslens.domain.periods import cache_ttl_seconds
from opslens.plant import machine_status, utilization, work_orders
from opslens.plant.analytics import AnalyticsQuery, AsOfQuery
from opslens.plant.sites import resolve_site

router = APIRouter(prefix="/api/kpi", tags=["kpi"])
DASHBOARD_TTL = 300  # seed 003: the dashboard caches for 5 minutes; refresh bypasses


class AnalyticsParams(AnalyticsQuery):
    format: OutputFormat | None = Field(None, description="json (default) or csv.")


class UtilizationParams(AnalyticsParams):
    table: Literal["daily_breakdown", "machine_daily", "machines"] = Field(
        "daily_breakdown", description="Which table the CSV holds.")


class CurrentParams(AsOfQuery):
    site_id: str | None = None
    format: OutputFormat | None = None


def _key(params: BaseModel) -> str:
    return params.model_dump_json(exclude={"refresh", "format", "table"})


def _analytics(request: Request, params: AnalyticsParams, store: StoreDep, org: str,
               cache: CacheDep, settings: SettingsDep, service, name: str, table: str
               ) -> Response:
    """One analytics endpoint: resolve the site, compute (or take from the cache), and
    answer JSON, or CSV of one table of the primary period."""
    csv = wants_csv(request, params.format)

    def work(conn):
        site = resolve_site(conn, org, params.site_id)
        return service.analytics(conn, org, site, params, paginate=not csv)

    body, hit = cached(store, cache, org, f"{name}:{csv}", _key(params),
                       cache_ttl_seconds(params.time_period), params.refresh, work,
                       settings.cache_enabled)
    if csv:
        return csv_response(body["primary_period"][table], name)
    return json_response(body, hit)


@router.get("/machine-status/analytics", summary="Machine status distribution over a period")
def machine_status_analytics(
    request: Request, params: Annotated[AnalyticsParams, Query()], store: StoreDep,
    org: OrgDep, cache: CacheDep, settings: SettingsDep,
) -> Response:
    return _analytics(request, params, store, org, cache, settings, machine_status,
                      "machine-status", "daily_breakdown")


def _dashboard(request: Request, params: CurrentParams, store: StoreDep, org: str,
               cache: CacheDep, settings: SettingsDep, service, name: str, table) -> Response:
    """One dashboard endpoint: the site's state at as_of, as JSON or as a CSV table."""
    as_of = params.resolved_as_of()

    def work(conn):
        return service.current(conn, org, resolve_site(conn, org, params.site_id), as_of)

    body, hit = cached(store, cache, org, name, _key(params), DASHBOARD_TTL, params.refresh,
                       work, settings.cache_enabled)
    if wants_csv(request, params.format):
        return csv_response(table(body), name)
    return json_response(body, hit)


def _machines_table(body: dict) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "work_orders"}
            | {"work_orders": " ".join(o["id"] for o in m["work_orders"])}
            for m in body["machines"]]


def _work_orders_table(body: dict) -> list[dict]:
    return [{"status": status, **order}
            for status, section in body["status_distribution"].items()
            for order in section["work_orders"]]


@router.get("/machine-status/current", summary="Each machine's status now (dashboard mode)")
def machine_status_current(
    request: Request, params: Annotated[CurrentParams, Query()], store: StoreDep, org: OrgDep,
    cache: CacheDep, settings: SettingsDep,
) -> Response:
    return _dashboard(request, params, store, org, cache, settings, machine_status,
                      "machine-status-current", _machines_table)


@router.get("/machine-utilization/analytics",
            summary="Utilization and production per day, machine and period")
def machine_utilization_analytics(
    request: Request, params: Annotated[UtilizationParams, Query()], store: StoreDep,
    org: OrgDep, cache: CacheDep, settings: SettingsDep,
) -> Response:
    return _analytics(request, params, store, org, cache, settings, utilization,
                      f"utilization-{params.table}", params.table)


@router.get("/work-order-status/current",
            summary="Work orders planned for today and in execution (dashboard mode)")
def work_order_status_current(
    request: Request, params: Annotated[CurrentParams, Query()], store: StoreDep, org: OrgDep,
    cache: CacheDep, settings: SettingsDep,
) -> Response:
    return _dashboard(request, params, store, org, cache, settings, work_orders,
                      "work-order-status", _work_orders_table)
