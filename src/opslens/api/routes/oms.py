"""The OMS API of seed 002: the network, event intake, outages, operator actions, the live
stream of changes and the dead letters (DESIGN.md §4, §6.1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.api.responses import OutputFormat, csv_response, wants_csv
from opslens.domain.outages import SEVERITIES, STATUSES
from opslens.errors import InvalidInput, NotFound
from opslens.grid import dead_letters as dead_letters_service
from opslens.grid import intake, outages, topology
from opslens.ingest import call_center, formats, kaifa, onu, scada
from opslens.store import grid as grid_store

router = APIRouter(prefix="/api/oms", tags=["oms"])
MAX_BODY = 50 * 1024 * 1024

EVENT_EXAMPLE = {"id": "ami-MTR-000123-20260301T120000Z", "source": "ami",
                 "kind": "power_loss", "device_id": "MTR-000123",
                 "occurred_at": "2026-03-01T12:00:00Z"}


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), status_code=status)


def _now() -> datetime:
    return datetime.now(UTC)


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the body has {len(body)} bytes; send at most {MAX_BODY} per "
                           "request", [{"field": "body", "reason": "too large"}])
    return body


# ---- the network ------------------------------------------------------------------------------

@router.put("/network", summary="Replace the network with a topology document",
            description="A whole topology document (DESIGN.md §4): substations, feeders, "
                        "devices, transformers and service points. It replaces the current "
                        "network; correlation takes it up on its next batch.")
async def put_network(request: Request, store: StoreDep, org: OrgDep,
                      document: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    summary = await run_in_threadpool(topology.load_document, store, org, document, _now())
    return _json(summary)


class ElementParams(BaseModel):
    kind: list[str] | None = Field(None, description="Only these kinds (e.g. feeder, "
                                   "transformer); default: all but service points.")
    format: OutputFormat | None = None


@router.get("/network", summary="The network's elements, for maps and exports")
def get_network(request: Request, params: Annotated[ElementParams, Query()], store: StoreDep,
                org: OrgDep) -> Response:
    def work(conn):
        loaded = topology.require(store, conn, org)
        kinds = set(params.kind or ()) or None
        rows = [r for r in grid_store.elements(conn, org)
                if (r["kind"] in kinds if kinds else r["kind"] != "service_point")]
        return loaded, rows

    loaded, rows = in_transaction(store, work)
    if wants_csv(request, params.format):
        return csv_response(rows, "network")
    return _json({"version": loaded.version, "source": loaded.source,
                  "timezone": loaded.timezone, "elements": rows})


# ---- events -----------------------------------------------------------------------------------

@router.post(
    "/events", summary="Canonical events, one or a batch (JSON or NDJSON)",
    description="Each event is validated, de-duplicated by id (a re-sent id is ignored) and "
                "correlated. A batch with any invalid event stores nothing (422 with each "
                "event's index, field and reason) unless `partial=true`.",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}},
                             "example": [EVENT_EXAMPLE]},
        "application/x-ndjson": {"schema": {"type": "string"}}}}},
)
async def post_events(request: Request, store: StoreDep, org: OrgDep,
                      partial: bool = False) -> JSONResponse:
    fmt = formats.format_of_media_type(request.headers.get("content-type"))
    if fmt == "csv":
        raise InvalidInput("send events as JSON or NDJSON",
                           [{"field": "content-type", "reason": "csv is not accepted here"}])
    body = await _body(request)
    try:
        events = formats.parse(body, fmt)
    except UnicodeDecodeError:
        raise InvalidInput("the request body is not UTF-8 text") from None
    result = await run_in_threadpool(intake.accept, store, org, events, _now(), partial)
    return _json(result.as_dict())


ADAPTERS = {"scada": scada.parse, "kaifa": kaifa.parse, "onu": onu.parse,
            "call-center": call_center.parse}


@router.post(
    "/ingest/{adapter}", summary="A native message: SCADA, Kaifa, ONU or call centre",
    description="`scada`: seed 002's SCADA event JSON (alone, wrapped in `{\"event\": …}`, an "
                "array or NDJSON); `kaifa`: IEC 61968-9 `EndDeviceEvents` in a SOAP envelope; "
                "`onu`: `ONU_LastGaspAlert` / `ONU_PowerRestored`; `call-center`: tickets. Each "
                "becomes canonical events, de-duplicated and correlated. A message that cannot "
                "be read is answered 422 with every problem and kept in the dead letters.",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {}}, "application/x-ndjson": {"schema": {}},
        "application/soap+xml": {"schema": {"type": "string"}},
        "text/xml": {"schema": {"type": "string"}}}}},
)
async def ingest_native(request: Request, adapter: str, store: StoreDep, org: OrgDep
                        ) -> JSONResponse:
    if adapter not in ADAPTERS:
        raise NotFound(f"unknown adapter {adapter!r}; use one of {', '.join(ADAPTERS)}")
    body = await request.body()
    content_type = request.headers.get("content-type")
    now = _now()
    try:
        events = ADAPTERS[adapter](body, content_type)
    except InvalidInput as exc:
        letter = await run_in_threadpool(dead_letters_service.keep, store, org, adapter, body,
                                         content_type, exc, now)
        return _json({"ok": False, "status": 422, "error": exc.message, "errors": exc.errors,
                      "dead_letter_id": letter}, 422)
    result = await run_in_threadpool(intake.accept, store, org, events, now)
    return _json({**result.as_dict(), "adapter": adapter})


# ---- outages ----------------------------------------------------------------------------------

class OutageParams(BaseModel):
    status: list[Literal[STATUSES]] | None = Field(None, description="Any of these statuses.")
    severity: list[Literal[SEVERITIES]] | None = None
    feeder_id: str | None = Field(None, max_length=64)
    started_from: datetime | None = Field(None, description="Started at or after (ISO, "
                                          "with offset).")
    started_to: datetime | None = Field(None, description="Started before.")
    include_merged: bool = Field(False, description="Also the outages merged into others.")
    limit: int = Field(100, ge=1, le=10000)
    offset: int = Field(0, ge=0)
    format: OutputFormat | None = None


@router.get("/outages", summary="Outages, newest first, with filters")
def list_outages(request: Request, params: Annotated[OutageParams, Query()], store: StoreDep,
                 org: OrgDep) -> Response:
    for name in ("started_from", "started_to"):
        value = getattr(params, name)
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a UTC offset", [{"field": name,
                                                               "reason": "no offset"}])
    body = in_transaction(store, lambda conn: outages.listing(
        conn, org, statuses=params.status, severities=params.severity,
        feeder_id=params.feeder_id, started_from=params.started_from,
        started_to=params.started_to, include_merged=params.include_merged,
        limit=params.limit, offset=params.offset))
    if wants_csv(request, params.format):
        return csv_response(body["outages"], "outages")
    return _json(body)


@router.get("/outages/{outage_id}", summary="One outage with its events, customers, crews "
            "and history")
def get_outage(outage_id: str, store: StoreDep, org: OrgDep) -> JSONResponse:
    return _json(in_transaction(store, lambda conn: outages.detail(conn, org, outage_id)))


@router.patch("/outages/{outage_id}", summary="An operator's action: confirm, cancel (false "
              "alarm), restore, merge or split")
async def patch_outage(outage_id: str, action: outages.OutageAction, store: StoreDep,
                       org: OrgDep) -> JSONResponse:
    body = await run_in_threadpool(outages.act, store, org, outage_id, action, _now())
    return _json(body)


# ---- the stream and dead letters --------------------------------------------------------------

@router.get("/stream", summary="Server-sent events: every change of the OMS, in order",
            description="Each change is one SSE message with `id` (its sequence number), "
                        "`event` (outage, storm, network, crew, assignment) and `data` (JSON). "
                        "Resume with the `Last-Event-ID` header or `after`; without either, "
                        "the stream starts with what happens next.",
            response_class=StreamingResponse)
async def stream(request: Request, store: StoreDep, org: OrgDep,
                 after: Annotated[int | None, Query(ge=0)] = None,
                 limit: Annotated[int | None, Query(ge=1, le=100000, description=(
                     "Close after this many changes."))] = None,
                 idle_s: Annotated[float | None, Query(gt=0, le=3600, description=(
                     "Close after this many seconds without a change."))] = None,
                 last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    if after is None and last_event_id is not None:
        try:
            after = int(last_event_id)
        except ValueError:
            raise InvalidInput("Last-Event-ID must be a change sequence number",
                               [{"field": "Last-Event-ID", "reason": "not an integer"}]
                               ) from None
    if after is None:
        after = await run_in_threadpool(in_transaction, store,
                                        lambda conn: grid_store.last_seq(conn, org))

    async def messages() -> AsyncIterator[str]:
        seq, sent, idle = after, 0, 0.0
        yield ": opslens OMS stream\n\n"
        while limit is None or sent < limit:
            rows = await run_in_threadpool(_changes_after, store, org, seq)
            for row in rows[:None if limit is None else limit - sent]:
                seq, sent = row["seq"], sent + 1
                data = json.dumps(jsonable_encoder(row), separators=(",", ":"))
                yield f"id: {row['seq']}\nevent: {row['entity']}\ndata: {data}\n\n"
            if rows:
                idle = 0.0
                continue
            if await request.is_disconnected() or (idle_s is not None and idle >= idle_s):
                return
            await asyncio.sleep(0.25)
            idle += 0.25
            if idle % 15 < 0.25:
                yield ": keep-alive\n\n"

    return StreamingResponse(messages(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _changes_after(store, org: str, seq: int) -> list[dict[str, Any]]:
    return in_transaction(store, lambda conn: grid_store.changes_after(conn, org, seq))


@router.get("/dead-letters", summary="Native messages that could not be read, newest first")
def dead_letters(request: Request, store: StoreDep, org: OrgDep,
                 adapter: Annotated[str | None, Query(max_length=32)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 offset: Annotated[int, Query(ge=0)] = 0,
                 format: OutputFormat | None = None) -> Response:
    total, rows = in_transaction(store, lambda conn: grid_store.dead_letters(
        conn, org, adapter=adapter, limit=limit, offset=offset))
    for row in rows:
        row["errors"] = json.loads(row["errors"])
    if wants_csv(request, format):
        return csv_response(rows, "dead-letters")
    return _json({"total": total, "limit": limit, "offset": offset, "dead_letters": rows})
