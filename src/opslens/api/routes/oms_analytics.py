"""Seed 000's OMS analytics endpoints and the IEEE 1366 reliability indices (DESIGN.md §6.2).

Each answers JSON, or one table of its result as CSV (``?format=csv`` or ``Accept: text/csv``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.api.responses import OutputFormat, csv_response, wants_csv
from opslens.grid import analytics
from opslens.grid.analytics import (
    CrewQuery,
    HotspotQuery,
    ImpactQuery,
    ReliabilityQuery,
    TrendQuery,
    WindowQuery,
)

router = APIRouter(prefix="/api/oms/analytics", tags=["oms analytics"])


class _Format(BaseModel):
    format: OutputFormat | None = Field(None, description="json (default) or csv.")


class TrendParams(TrendQuery, _Format):
    pass


class CrewParams(CrewQuery, _Format):
    pass


class SourceParams(WindowQuery, _Format):
    pass


class HotspotParams(HotspotQuery, _Format):
    pass


class ImpactParams(ImpactQuery, _Format):
    pass


class ReliabilityParams(ReliabilityQuery, _Format):
    pass


Table = Callable[[dict[str, Any]], list[dict[str, Any]]]


def _answer(request: Request, store: StoreDep, org: str, params: _Format, name: str,
            work: Callable[[Connection], dict[str, Any]], table: Table) -> Response:
    body = in_transaction(store, work)
    if wants_csv(request, params.format):
        return csv_response(table(body), name)
    return JSONResponse(jsonable_encoder(body))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts (severity counts) as ``severity_critical``… columns."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out |= {f"{key}_{k}": v for k, v in value.items()}
        else:
            out[key] = value
    return out


@router.get("/outage-trends", summary="Outages per local hour, day, week or month")
def outage_trends(request: Request, params: Annotated[TrendParams, Query()], store: StoreDep,
                  org: OrgDep) -> Response:
    return _answer(request, store, org, params, "outage-trends",
                   lambda conn: analytics.outage_trends(conn, org, params),
                   lambda body: [_flat(b) for b in body["buckets"]])


@router.get("/crew-performance", summary="Response, work and completion per crew and type")
def crew_performance(request: Request, params: Annotated[CrewParams, Query()],
                     store: StoreDep, org: OrgDep) -> Response:
    return _answer(request, store, org, params, "crew-performance",
                   lambda conn: analytics.crew_performance(conn, org, params),
                   lambda body: body["crews"])


@router.get("/source-reliability", summary="Correlation, accuracy and restoration per source")
def source_reliability(request: Request, params: Annotated[SourceParams, Query()],
                       store: StoreDep, org: OrgDep) -> Response:
    return _answer(request, store, org, params, "source-reliability",
                   lambda conn: analytics.source_reliability(conn, org, params),
                   lambda body: body["sources"])


@router.get("/geographic-hotspots", summary="Density clusters (DBSCAN) of outage positions")
def geographic_hotspots(request: Request, params: Annotated[HotspotParams, Query()],
                        store: StoreDep, org: OrgDep) -> Response:
    return _answer(request, store, org, params, "geographic-hotspots",
                   lambda conn: analytics.geographic_hotspots(conn, org, params),
                   lambda body: [_flat(h) for h in body["hotspots"]])


@router.get("/customer-impact",
            summary="Customers and customer-minutes per bucket, major outages, SLA")
def customer_impact(request: Request, params: Annotated[ImpactParams, Query()],
                    store: StoreDep, org: OrgDep) -> Response:
    return _answer(request, store, org, params, "customer-impact",
                   lambda conn: analytics.customer_impact(conn, org, params),
                   lambda body: body["buckets"])


def _indices_table(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"index": name, "unit": body["units"][name], "value": body["indices"][name],
             "with_major_event_days": body["indices_with_major_event_days"][name],
             "without_major_event_days": body["indices_without_major_event_days"][name]}
            for name in body["units"]]


@router.get("/reliability-indices",
            summary="IEEE 1366-2012 indices with and without major event days")
def reliability_indices(request: Request, params: Annotated[ReliabilityParams, Query()],
                        store: StoreDep, org: OrgDep) -> Response:
    return _answer(request, store, org, params, "reliability-indices",
                   lambda conn: analytics.reliability_indices(conn, org, params),
                   _indices_table)
