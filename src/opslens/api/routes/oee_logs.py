"""Seed 004's performance and quality endpoints (§4.3–4.4) over the logged records:
performance logs and their cycle-time analysis, quality events and their scrap analysis.

Included before :mod:`opslens.api.routes.oee`, whose ``/performance/{machine_id}`` would
otherwise take ``/performance/cycle-time``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.api.responses import OutputFormat, csv_response, wants_csv
from opslens.plant import performance_logs, quality_events
from opslens.plant.oee import OeeQuery
from opslens.plant.performance_logs import LogFilter
from opslens.plant.quality_events import EventFilter, ScrapQuery

router = APIRouter(prefix="/api/oee", tags=["oee"])

LOG_EXAMPLE = {"machine_id": "M1", "logged_at": "2025-10-14T10:00:00+02:00",
               "period_start": "2025-10-14T09:00:00+02:00", "actual_cycle_time_s": 62.5,
               "target_cycle_time_s": 60, "units_produced": 57, "work_order_id": None}
EVENT_EXAMPLE = {"machine_id": "M1", "occurred_at": "2025-10-14T10:12:00+02:00",
                 "event_type": "scrap", "quantity": 4, "reason_code": "DIM-OOT",
                 "defect_type": "dimensional", "logged_by": "qa.lee"}
Records = dict[str, Any] | list[dict[str, Any]]


class LogListParams(LogFilter):
    format: OutputFormat | None = Field(None, description="json (default) or csv.")


class EventListParams(EventFilter):
    format: OutputFormat | None = Field(None, description="json (default) or csv.")


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), status_code=status)


def _now() -> datetime:
    return datetime.now(UTC)


# ---- performance (declared before oee.py's /performance/{machine_id}) --------------------------

@router.get("/performance", summary="Performance logs, newest first, with their efficiency")
def list_performance_logs(request: Request, params: Annotated[LogListParams, Query()],
                          store: StoreDep, org: OrgDep) -> Response:
    body = in_transaction(store, lambda conn: performance_logs.list_logs(conn, org, params))
    if wants_csv(request, params.format):
        return csv_response(body["data"], "performance-logs")
    return _json(body)


@router.get("/performance/cycle-time",
            summary="Cycle times per machine, product and day: percentiles, pooled "
                    "efficiency, speed loss")
def cycle_time(params: Annotated[OeeQuery, Query()], store: StoreDep, org: OrgDep
               ) -> Response:
    return _json(in_transaction(store, lambda conn: performance_logs.cycle_time_analysis(
        conn, org, params)))


@router.post("/performance/log", status_code=201,
             summary="Log performance data (one record or a list; all or none)")
def log_performance(body: Annotated[Records, Body(
        openapi_examples={"example": {"value": LOG_EXAMPLE}})],
        store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: performance_logs.create_logs(
        conn, org, body, _now())), 201)


# ---- quality -----------------------------------------------------------------------------------

@router.get("/quality", summary="Quality events, newest first")
def list_quality_events(request: Request, params: Annotated[EventListParams, Query()],
                        store: StoreDep, org: OrgDep) -> Response:
    body = in_transaction(store, lambda conn: quality_events.list_events(conn, org, params))
    if wants_csv(request, params.format):
        return csv_response(body["data"], "quality-events")
    return _json(body)


@router.post("/quality/event", status_code=201,
             summary="Log a quality event: scrap, rework, defect, inspection, hold, release "
                     "(one or a list; all or none)")
def log_quality_event(body: Annotated[Records, Body(
        openapi_examples={"example": {"value": EVENT_EXAMPLE}})],
        store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: quality_events.create_events(
        conn, org, body, _now())), 201)


@router.get("/quality/scrap",
            summary="Scrap Pareto by reason, defect type and machine; counted scrap rate; "
                    "daily trend")
def scrap_analysis(params: Annotated[ScrapQuery, Query()], store: StoreDep, org: OrgDep
                   ) -> Response:
    return _json(in_transaction(store, lambda conn: quality_events.scrap_analysis(
        conn, org, params)))
