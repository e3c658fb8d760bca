"""OEE targets (seed 004 §4.9, OEE-009): per organization, site, line or machine, in force from
their effective date to their expiry date; the most specific one in force applies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from opslens.errors import Conflict, NotFound
from opslens.ingest.service import write_changes, write_one
from opslens.store import oee as oee_store
from opslens.store import records

INPUT_FIELDS = ("scope", "reference_id", "oee_target", "availability_target",
                "performance_target", "quality_target", "effective_date", "expiry_date")
#: Most specific first: a machine's own target beats its line's, its site's, the organization's.
SPECIFICITY = ("machine", "line", "site", "organization")


def list_targets(conn: Connection, org: str) -> list[dict[str, Any]]:
    return oee_store.targets(conn, org)


def get_target(conn: Connection, org: str, target_id: str) -> dict[str, Any]:
    found = oee_store.targets(conn, org, target_id)
    if not found:
        raise NotFound(f"unknown target {target_id!r}")
    return found[0]


def create_target(conn: Connection, org: str, body: dict[str, Any], now: datetime
                  ) -> dict[str, Any]:
    body = dict(body)
    body.setdefault("id", f"T-{uuid.uuid4().hex[:12]}")
    if oee_store.targets(conn, org, str(body["id"])):
        raise Conflict(f"target {body['id']!r} exists; PATCH it to change it")
    row = write_one(conn, org, "oee_targets", body, now)
    return get_target(conn, org, row["id"])


def update_target(conn: Connection, org: str, target_id: str, changes: dict[str, Any],
                  now: datetime) -> dict[str, Any]:
    current = get_target(conn, org, target_id)
    write_changes(conn, org, "oee_targets", current, changes, "id", INPUT_FIELDS, now)
    return get_target(conn, org, target_id)


def delete_target(conn: Connection, org: str, target_id: str) -> None:
    get_target(conn, org, target_id)
    oee_store.delete_target(conn, org, target_id)
    records.bump_data_version(conn, org)


def target_for(targets: list[dict[str, Any]], scope: dict[str, str | None], day: date
               ) -> dict[str, Any] | None:
    """The most specific target in force on ``day`` for a scope given as its ids, e.g.
    ``{"machine": "M1", "line": "L1", "site": "S1"}`` (missing levels are skipped); among
    targets of one level, the latest effective date wins.

    >>> t = [{"scope": "organization", "reference_id": "", "effective_date": date(2025, 1, 1),
    ...       "expiry_date": None, "oee_target": 85.0},
    ...      {"scope": "line", "reference_id": "L1", "effective_date": date(2025, 6, 1),
    ...       "expiry_date": date(2025, 6, 30), "oee_target": 70.0}]
    >>> target_for(t, {"machine": "M1", "line": "L1"}, date(2025, 6, 15))["oee_target"]
    70.0
    >>> target_for(t, {"machine": "M1", "line": "L1"}, date(2025, 7, 1))["oee_target"]
    85.0
    """
    for level in SPECIFICITY:
        reference = "" if level == "organization" else scope.get(level)
        if reference is None:
            continue
        in_force = [t for t in targets if t["scope"] == level and t["reference_id"] == reference
                    and t["effective_date"] <= day
                    and (t["expiry_date"] is None or day <= t["expiry_date"])]
        if in_force:
            return max(in_force, key=lambda t: t["effective_date"])
    return None
