"""Seed 004's OEE endpoints (§4.1–4.2): calculation, downtime events, reason codes, Pareto."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.api.responses import OutputFormat, csv_response, wants_csv
from opslens.errors import InvalidInput
from opslens.export.tables import render
from opslens.plant import (
    downtime,
    energy,
    energy_analytics,
    oee,
    oee_analytics,
    oee_reports,
    oee_trends,
    snapshots,
    targets,
)
from opslens.plant.analytics import AsOfQuery
from opslens.plant.downtime import ParetoQuery
from opslens.plant.energy import EnergyQuery
from opslens.plant.energy_analytics import (
    EnergyComparisonQuery,
    EnergyTableQuery,
    EnergyTrendQuery,
)
from opslens.plant.oee import OeeQuery
from opslens.plant.oee_reports import ExportQuery
from opslens.plant.oee_trends import ComparisonQuery, HeatmapQuery, TrendQuery
from opslens.plant.snapshots import SnapshotRequest

router = APIRouter(prefix="/api/oee", tags=["oee"])

EVENT_EXAMPLE = {"machine_id": "M1", "start_time": "2025-10-14T09:12:00+02:00",
                 "end_time": "2025-10-14T09:40:00+02:00", "reason_code": "BREAKDOWN",
                 "notes": "hydraulic leak", "logged_by": "j.doe"}
REASON_EXAMPLE = {"code": "HYDRAULIC", "category": "unplanned",
                  "description": "Hydraulic failure", "planned": False, "loss": "breakdowns",
                  "parent_code": "BREAKDOWN", "color": "#c0392b"}
Payload = Annotated[dict[str, Any], Body(openapi_examples={"example": {"value": EVENT_EXAMPLE}})]
ReasonPayload = Annotated[dict[str, Any], Body(
    openapi_examples={"example": {"value": REASON_EXAMPLE}})]


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), status_code=status)


def _aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a UTC offset, e.g. 2025-10-14T06:00:00+02:00",
                               [{"field": name, "reason": "naive timestamp"}])


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/calculate", summary="OEE of a machine, line, site or organization over a window")
def calculate(params: Annotated[OeeQuery, Query()], store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: oee.calculate(conn, org, params)))


@router.get("/analytics/mtbf", summary="MTBF and MTTR of the scope and of each machine")
def analytics_mtbf(params: Annotated[OeeQuery, Query()], store: StoreDep, org: OrgDep
                   ) -> Response:
    return _json(in_transaction(store, lambda conn: oee_analytics.mtbf(conn, org, params)))


@router.get("/analytics/bottlenecks",
            summary="Per line, the machine with the lowest effective rate")
def analytics_bottlenecks(params: Annotated[OeeQuery, Query()], store: StoreDep, org: OrgDep
                          ) -> Response:
    return _json(in_transaction(store, lambda conn: oee_analytics.bottlenecks(
        conn, org, params)))


@router.get("/analytics/trends",
            summary="Pooled OEE per hour, day, week or month; by machine, line or shift")
def analytics_trends(params: Annotated[TrendQuery, Query()], store: StoreDep, org: OrgDep
                     ) -> Response:
    return _json(in_transaction(store, lambda conn: oee_trends.trends(conn, org, params)))


@router.get("/analytics/comparisons",
            summary="OEE in the period against a comparison period (DESIGN.md §3)")
def analytics_comparisons(params: Annotated[ComparisonQuery, Query()], store: StoreDep,
                          org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: oee_trends.comparisons(conn, org, params)))


@router.get("/analytics/utilization",
            summary="Machine × local hour-of-day heatmap of running time or OEE")
def analytics_utilization(params: Annotated[HeatmapQuery, Query()], store: StoreDep,
                          org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: oee_trends.heatmap(conn, org, params)))


@router.get("/reports/export", summary="OEE, downtime, counts or the Pareto as a file",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def reports_export(params: Annotated[ExportQuery, Query()], store: StoreDep, org: OrgDep
                   ) -> Response:
    table, columns = in_transaction(store, lambda conn: oee_reports.rows(conn, org, params))
    content, media_type, extension = render(table, params.format, columns, sheet=params.dataset)
    name = f"opslens-{params.dataset}.{extension}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/performance/{machine_id}",
            summary="A machine's cycle times, rate and speed losses over a window")
def machine_performance(machine_id: str, params: Annotated[OeeQuery, Query()],
                        store: StoreDep, org: OrgDep) -> Response:
    query = params.model_copy(update={"machine_id": machine_id, "line_id": None,
                                      "site_id": None})
    return _json(in_transaction(store, lambda conn: oee_analytics.performance(conn, org, query)))


@router.get("/quality/yield",
            summary="First pass yield, scrap and rework of the scope and each machine")
def quality_yield(params: Annotated[OeeQuery, Query()], store: StoreDep, org: OrgDep
                  ) -> Response:
    return _json(in_transaction(store, lambda conn: oee_analytics.quality(conn, org, params)))


@router.get("/realtime/{machine_id}", summary="A machine's OEE in its current shift so far")
def realtime(machine_id: str, params: Annotated[AsOfQuery, Query()], store: StoreDep,
             org: OrgDep) -> Response:
    as_of = params.resolved_as_of()
    return _json(in_transaction(store, lambda conn: oee.realtime(conn, org, machine_id, as_of)))


@router.get("/snapshots", summary="Stored OEE snapshots, newest first")
def list_snapshots(
    request: Request, store: StoreDep, org: OrgDep,
    scope: Literal["machine", "line", "site", "organization", "work_order"] | None = None,
    reference_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: OutputFormat | None = None,
) -> Response:
    body = in_transaction(store, lambda conn: snapshots.list_snapshots(
        conn, org, scope=scope, reference_id=reference_id, limit=limit, offset=offset))
    if wants_csv(request, format):
        return csv_response(body["data"], "oee-snapshots")
    return _json(body)


@router.post("/snapshots", status_code=201,
             summary="Calculate OEE (same parameters as /calculate) and store it as a snapshot")
def create_snapshot(body: SnapshotRequest, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: snapshots.create(conn, org, body, _now())),
                 201)


@router.get("/snapshots/{snapshot_id}", summary="One snapshot with its whole result")
def get_snapshot(snapshot_id: str, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: snapshots.get(conn, org, snapshot_id)))


# ---- reason codes (declared before /downtime/{event_id}) --------------------------------------

@router.get("/downtime/reasons", summary="Reason codes (seed 004's standard tree and yours)")
def list_reasons(request: Request, store: StoreDep, org: OrgDep,
                 format: OutputFormat | None = None) -> Response:
    rows = in_transaction(store, lambda conn: downtime.list_reasons(conn, org, _now()))
    if wants_csv(request, format):
        return csv_response(rows, "reason-codes")
    return _json({"data": rows, "count": len(rows)})


@router.post("/downtime/reasons", status_code=201, summary="Create a reason code")
def create_reason(body: ReasonPayload, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: downtime.create_reason(
        conn, org, body, _now())), 201)


@router.patch("/downtime/reasons/{code}", summary="Edit a reason code (or deactivate it)")
def update_reason(code: str, body: ReasonPayload, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: downtime.update_reason(
        conn, org, code, body, _now())))


@router.get("/downtime/analysis", summary="Pareto of downtime by duration and by frequency")
def downtime_analysis(params: Annotated[ParetoQuery, Query()], store: StoreDep,
                      org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: downtime.pareto(conn, org, params)))


# ---- downtime events ---------------------------------------------------------------------------

@router.get("/downtime", summary="Downtime events, newest first")
def list_events(
    request: Request, store: StoreDep, org: OrgDep,
    machine_id: str | None = None,
    start: Annotated[datetime | None, Query(description="Events reaching past this.")] = None,
    end: Annotated[datetime | None, Query(description="Events starting before this.")] = None,
    reason_code: str | None = None,
    open_only: Annotated[bool, Query(description="Only stops still going on.")] = False,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: OutputFormat | None = None,
) -> Response:
    _aware(start=start, end=end)
    body = in_transaction(store, lambda conn: downtime.list_events(
        conn, org, machine_id=machine_id, lo=start, hi=end, reason_code=reason_code,
        open_only=open_only, limit=limit, offset=offset))
    if wants_csv(request, format):
        return csv_response(body["data"], "downtime-events")
    return _json(body)


@router.post("/downtime", status_code=201,
             summary="Log a downtime event (leave out end_time while it goes on)")
def create_event(body: Payload, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: downtime.create_event(
        conn, org, body, _now())), 201)


@router.get("/downtime/{event_id}", summary="One downtime event")
def get_event(event_id: str, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: downtime.get_event(conn, org, event_id)))


@router.patch("/downtime/{event_id}", summary="Edit or close a downtime event")
def update_event(event_id: str, body: Payload, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: downtime.update_event(
        conn, org, event_id, body, _now())))


@router.delete("/downtime/{event_id}", status_code=204, summary="Delete a downtime event")
def delete_event(event_id: str, store: StoreDep, org: OrgDep) -> Response:
    in_transaction(store, lambda conn: downtime.delete_event(conn, org, event_id))
    return Response(status_code=204)


# ---- targets -------------------------------------------------------------------------------------

TARGET_EXAMPLE = {"scope": "line", "reference_id": "L1", "oee_target": 85,
                  "availability_target": 90, "effective_date": "2025-01-01"}
TargetPayload = Annotated[dict[str, Any], Body(
    openapi_examples={"example": {"value": TARGET_EXAMPLE}})]


@router.get("/targets", summary="OEE targets (organization, site, line, machine)")
def list_targets(request: Request, store: StoreDep, org: OrgDep,
                 format: OutputFormat | None = None) -> Response:
    rows = in_transaction(store, lambda conn: targets.list_targets(conn, org))
    if wants_csv(request, format):
        return csv_response(rows, "oee-targets")
    return _json({"data": rows, "count": len(rows)})


@router.post("/targets", status_code=201, summary="Create an OEE target")
def create_target(body: TargetPayload, store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: targets.create_target(
        conn, org, body, _now())), 201)


@router.patch("/targets/{target_id}", summary="Edit an OEE target")
def update_target(target_id: str, body: TargetPayload, store: StoreDep, org: OrgDep
                  ) -> Response:
    return _json(in_transaction(store, lambda conn: targets.update_target(
        conn, org, target_id, body, _now())))


@router.delete("/targets/{target_id}", status_code=204, summary="Delete an OEE target")
def delete_target(target_id: str, store: StoreDep, org: OrgDep) -> Response:
    in_transaction(store, lambda conn: targets.delete_target(conn, org, target_id))
    return Response(status_code=204)


# ---- energy --------------------------------------------------------------------------------------

READING_EXAMPLE = {"machine_id": "M1", "reading_time": "2025-10-14T10:00:00+02:00",
                   "meter_reading": 15234.5}


@router.get("/energy/readings", summary="Energy readings, newest first")
def list_readings(
    request: Request, store: StoreDep, org: OrgDep, machine_id: str | None = None,
    start: datetime | None = None, end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: OutputFormat | None = None,
) -> Response:
    _aware(start=start, end=end)
    body = in_transaction(store, lambda conn: energy.list_readings(
        conn, org, machine_id=machine_id, lo=start, hi=end, limit=limit, offset=offset))
    if wants_csv(request, format):
        return csv_response(body["data"], "energy-readings")
    return _json(body)


@router.post("/energy/readings", status_code=201,
             summary="Log energy readings (kwh_consumed increments or cumulative meter_reading)")
def log_readings(body: Annotated[dict[str, Any] | list[dict[str, Any]], Body(
        openapi_examples={"example": {"value": READING_EXAMPLE}})],
        store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: energy.log_readings(
        conn, org, body, _now())), 201)


@router.get("/energy/consumption/{machine_id}",
            summary="A machine's kWh over a window: series, per unit, against its baseline")
def consumption(machine_id: str, params: Annotated[EnergyQuery, Query()], store: StoreDep,
                org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: energy.consumption(
        conn, org, machine_id, params)))


@router.get("/energy/cost",
            summary="Energy cost of a machine, line, site or organization by rate period")
def energy_cost(params: Annotated[EnergyQuery, Query()], store: StoreDep, org: OrgDep
                ) -> Response:
    return _json(in_transaction(store, lambda conn: energy.cost(conn, org, params)))


@router.get("/energy/baselines", summary="Energy baselines (kWh per unit, kWh per hour)")
def list_baselines(store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: energy.list_baselines(conn, org)))


@router.post("/energy/baselines", status_code=201, summary="Create an energy baseline")
def create_baseline(body: Annotated[dict[str, Any], Body(openapi_examples={"example": {
        "value": {"machine_id": "M1", "kwh_per_unit": 0.8, "effective_date": "2025-01-01"}}})],
        store: StoreDep, org: OrgDep) -> Response:
    return _json(in_transaction(store, lambda conn: energy.create_baseline(
        conn, org, body, _now())), 201)


# fixed paths first: /energy/trends and /energy/comparisons, then /energy/by/{dimension}

@router.get("/energy/trends",
            summary="kWh, units, kWh per unit and cost per local hour, day, week or month")
def energy_trends(request: Request, params: Annotated[EnergyTrendQuery, Query()],
                  store: StoreDep, org: OrgDep) -> Response:
    body = in_transaction(store, lambda conn: energy_analytics.trends(conn, org, params))
    if wants_csv(request, params.format):
        return csv_response(energy_analytics.trends_table(body), "energy-trends")
    return _json(body)


@router.get("/energy/comparisons",
            summary="kWh and kWh per unit against a previous period, ranked by kWh per good unit")
def energy_comparisons(request: Request, params: Annotated[EnergyComparisonQuery, Query()],
                       store: StoreDep, org: OrgDep) -> Response:
    body = in_transaction(store, lambda conn: energy_analytics.comparisons(conn, org, params))
    if wants_csv(request, params.format):
        return csv_response(energy_analytics.comparisons_table(body), "energy-comparisons")
    return _json(body)


@router.get("/energy/by/{dimension}",
            summary="kWh, units and kWh per unit per work order, batch, product or machine")
def energy_by(dimension: energy_analytics.Dimension, request: Request,
              params: Annotated[EnergyTableQuery, Query()], store: StoreDep, org: OrgDep
              ) -> Response:
    body = in_transaction(store, lambda conn: energy_analytics.by_dimension(
        conn, org, dimension, params))
    if wants_csv(request, params.format):
        return csv_response(energy_analytics.by_dimension_table(body), f"energy-by-{dimension}")
    return _json(body)
