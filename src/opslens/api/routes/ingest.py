"""``POST /api/ingest/{kind}``: JSON, NDJSON or CSV records of one kind."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from opslens.api.deps import OrgDep, SettingsDep, StoreDep
from opslens.errors import InvalidInput
from opslens.ingest import formats
from opslens.ingest.kinds import kind_names
from opslens.ingest.service import ingest
from opslens.plant import rollups

router = APIRouter(prefix="/api/ingest", tags=["ingest"])
log = logging.getLogger("opslens.ingest")


def _refresh(store, org: str, touched: rollups.Touched) -> None:
    """Best effort: a concurrent writer may win a day first, and the next read fills in
    whatever is still missing, so a failure here costs time, never numbers."""
    try:
        rollups.refresh_touched(store, org, touched)
    except Exception as exc:
        log.warning("rollup refresh after ingest deferred to the next read: %s", exc)


@router.get("", summary="The record kinds that can be ingested")
def list_kinds() -> dict:
    return {"kinds": kind_names()}


@router.post(
    "/{kind}",
    summary="Ingest records of one kind",
    description=(
        "Send a JSON array (or one object, or `{\"records\": [...]}`), NDJSON "
        "(`application/x-ndjson`) or CSV (`text/csv`). Records are upserted by id. A batch "
        "with any invalid record stores nothing and answers 422 with each record's index, "
        "field and reason, unless `partial=true`, which stores the valid ones."
    ),
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    }}},
)
async def ingest_records(
    request: Request, store: StoreDep, org: OrgDep, settings: SettingsDep,
    background: BackgroundTasks,
    kind: Annotated[str, Path(description="sites, lines, machines, shifts, work_orders, "
                                          "work_order_logs")],
    partial: Annotated[bool, Query(description="Store the valid records of a bad batch.")] = False,
    format: Annotated[formats.Format | None, Query(
        description="Override the Content-Type.")] = None,
) -> JSONResponse:
    if kind not in kind_names():
        raise InvalidInput(f"unknown record kind {kind!r}; known kinds: "
                           f"{', '.join(kind_names())}")
    fmt = format or formats.format_of_media_type(request.headers.get("content-type"))
    body = await request.body()
    try:
        payload = formats.parse(body, fmt)
    except UnicodeDecodeError:
        raise InvalidInput("the request body is not UTF-8 text") from None
    size = settings.ingest_batch_size
    chunks = [payload[i:i + size] for i in range(0, len(payload), size)] or [[]]
    result = await run_in_threadpool(ingest, store, org, kind, chunks, partial)
    if result.touched:  # recompute the stale days after answering; reads would do it anyway
        background.add_task(_refresh, store, org, result.touched)
    status = 422 if result.errors and not result.stored else 200
    body_out = result.as_dict()
    if status == 422:
        body_out = {"ok": False, "status": 422, "error": (
            f"none of the {result.received} {kind} records is valid; nothing was stored"),
            "errors": body_out["errors"]}
    return JSONResponse(body_out, status_code=status)
