"""OEE snapshots (seed 004 §3.1 oee_snapshots, §4.1): a calculation stored as it was, so a
shift's or a day's figure can be quoted later even after late data changes the live one."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy.engine import Connection

from opslens.errors import Conflict, NotFound
from opslens.plant import oee
from opslens.plant.oee import OeeQuery
from opslens.store import oee as oee_store
from opslens.store import records


class SnapshotRequest(OeeQuery):
    id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    created_by: str | None = Field(None, max_length=200)


def create(conn: Connection, org: str, request: SnapshotRequest, now: datetime
           ) -> dict[str, Any]:
    """Calculate and store; the snapshot keeps the whole result (``detail``)."""
    snapshot_id = request.id or f"S-{uuid.uuid4().hex[:12]}"
    if oee_store.snapshot(conn, org, snapshot_id) is not None:
        raise Conflict(f"snapshot {snapshot_id!r} exists; snapshots are never overwritten")
    result = oee.calculate(conn, org, request.model_copy(update={"include_machines": True}))
    kind, ref = request.scope
    model = result["time_model"]
    records.ensure_organization(conn, org, now)
    oee_store.insert_snapshot(conn, org, {
        "id": snapshot_id, "scope": "work_order" if request.work_order_id else kind,
        "reference_id": request.work_order_id or ref,
        "window_start": result["window"]["start"] or now,
        "window_end": result["window"]["end"] or now, "snapshot_time": now,
        "availability": result["availability"], "performance": result["performance"],
        "quality": result["quality"], "oee": result["oee"],
        "planned_production_s": model["planned_production_minutes"] * 60,
        "run_s": model["run_minutes"] * 60,
        "ideal_output_s": model["ideal_output_minutes"] * 60,
        "total_count": result["counts"]["total"], "good_count": result["counts"]["good"],
        "detail": json.dumps(result, default=_isoformat), "created_by": request.created_by,
    })
    return get(conn, org, snapshot_id)


def _isoformat(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def get(conn: Connection, org: str, snapshot_id: str) -> dict[str, Any]:
    found = oee_store.snapshot(conn, org, snapshot_id)
    if found is None:
        raise NotFound(f"unknown snapshot {snapshot_id!r}")
    return {**found, "detail": json.loads(found["detail"])}


def list_snapshots(conn: Connection, org: str, *, scope: str | None, reference_id: str | None,
                   limit: int, offset: int) -> dict[str, Any]:
    rows, total = oee_store.snapshots(conn, org, scope=scope, reference_id=reference_id,
                                      limit=limit, offset=offset)
    return {"data": rows, "count": total, "limit": limit, "offset": offset}
