"""Every organization starts with seed 004's standard reason-code tree (§7.2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from opslens.domain.downtime import STANDARD_REASONS
from opslens.store import oee as oee_store
from opslens.store import records, schema


def ensure_standard_reasons(conn: Connection, org: str, now: datetime) -> None:
    """Give an organization without reason codes seed 004's standard tree."""
    if oee_store.count_reasons(conn, org):
        return
    rows = [{"code": r.code, "category": r.category, "description": r.description,
             "planned": r.planned, "loss": r.loss, "parent_code": r.parent_code,
             "color": r.color, "sort_order": order, "active": True}
            for order, r in enumerate(STANDARD_REASONS)]
    records.upsert(conn, schema.reason_codes, rows, {"organization_id": org, "updated_at": now})
