"""Crews and assignments (seed 002 crew tracking; DESIGN.md §4 ``crews``,
``crew_assignments``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.api.responses import OutputFormat, csv_response, wants_csv
from opslens.grid import crews

router = APIRouter(prefix="/api/oms/crews", tags=["oms crews"])

CREW_EXAMPLE = {"id": "CREW-A", "name": "Line Crew Alpha", "type": "line", "skills": ["MV"],
                "home_latitude": 48.41, "home_longitude": 7.85}
ASSIGNMENT_EXAMPLE = {"id": "ASG-1", "outage_id": "OUT-000001", "assignment_type": "repair",
                      "dispatched_at": "2026-03-01T12:10:00Z", "eta": "2026-03-01T12:40:00Z"}
Record = Annotated[dict[str, Any], Body()]


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), status_code=status)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("", summary="Every crew, with its active assignment")
def list_crews(request: Request, store: StoreDep, org: OrgDep,
               format: OutputFormat | None = None) -> Response:
    rows = in_transaction(store, lambda conn: crews.list_crews(conn, org))
    if wants_csv(request, format):
        return csv_response([{k: v for k, v in r.items() if k != "active_assignment"}
                             for r in rows], "crews")
    return _json({"crews": rows})


@router.post("", summary="Create a crew", status_code=201)
async def create_crew(store: StoreDep, org: OrgDep,
                      record: Annotated[dict[str, Any], Body(examples=[CREW_EXAMPLE])]
                      ) -> JSONResponse:
    return _json(await run_in_threadpool(crews.save_crew, store, org, record, _now()), 201)


@router.get("/{crew_id}", summary="One crew")
def get_crew(crew_id: str, store: StoreDep, org: OrgDep) -> JSONResponse:
    return _json(in_transaction(store, lambda conn: crews.crew(conn, org, crew_id)))


@router.patch("/{crew_id}", summary="Change a crew: position, status, skills…")
async def patch_crew(crew_id: str, store: StoreDep, org: OrgDep, record: Record
                     ) -> JSONResponse:
    return _json(await run_in_threadpool(crews.save_crew, store, org, record, _now(), crew_id))


@router.get("/{crew_id}/assignments", summary="A crew's assignments, oldest first")
def list_assignments(request: Request, crew_id: str, store: StoreDep, org: OrgDep,
                     format: OutputFormat | None = None) -> Response:
    rows = in_transaction(store, lambda conn: crews.assignments(conn, org, crew_id))
    if wants_csv(request, format):
        return csv_response(rows, "assignments")
    return _json({"assignments": rows})


@router.post("/{crew_id}/assignments", summary="Dispatch the crew to an outage (confirms "
             "a predicted outage)", status_code=201)
async def create_assignment(crew_id: str, store: StoreDep, org: OrgDep,
                            record: Annotated[dict[str, Any],
                                              Body(examples=[ASSIGNMENT_EXAMPLE])]
                            ) -> JSONResponse:
    return _json(await run_in_threadpool(crews.assign, store, org, crew_id, record, _now()),
                 201)


@router.patch("/{crew_id}/assignments/{assignment_id}", summary="Record progress: eta, "
              "arrival, completion, cancellation")
async def patch_assignment(crew_id: str, assignment_id: str, store: StoreDep, org: OrgDep,
                           record: Record) -> JSONResponse:
    return _json(await run_in_threadpool(crews.assign, store, org, crew_id, record, _now(),
                                         assignment_id))
