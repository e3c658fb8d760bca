"""The ingest service: validate a batch, write it in one transaction, keep derived data current.

A batch with any bad record stores nothing unless ``partial`` is set, in which case the good
records are stored and the bad ones reported. Records are upserted by key, so re-sending is
harmless. The same transaction rebuilds the timelines of touched work orders, forgets the
rollups of every day they reach, and bumps the organization's data version (which expires
cached results).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from opslens.errors import InvalidInput
from opslens.ingest.kinds import (
    Checked,
    Context,
    RecordError,
    RecordKind,
    get_kind,
    invalid_batch,
    validate_models,
)
from opslens.plant import oee_rollups, rollups
from opslens.plant.reasons import ensure_standard_reasons
from opslens.store import records, timelines
from opslens.store.engine import Store


@dataclass
class IngestResult:
    kind: str
    received: int = 0
    stored: int = 0
    errors: list[RecordError] = field(default_factory=list)
    touched: rollups.Touched = field(default_factory=dict)  # stale rollup days per site

    @property
    def rejected(self) -> int:
        return len({e.index for e in self.errors})

    def as_dict(self) -> dict[str, Any]:
        return {"ok": True, "kind": self.kind, "received": self.received,
                "stored": self.stored, "rejected": self.rejected,
                "errors": [e.as_dict() for e in self.errors[:1000]]}


def ingest(
    store: Store, org: str, kind_name: str, chunks: Iterable[list[dict[str, Any]]],
    partial: bool = False, now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Ingest ``chunks`` of one record kind as one transaction (all of it, or none of it)."""
    kind = get_kind(kind_name)
    now = now or datetime.now(UTC)
    result = IngestResult(kind=kind.name)
    with _collector_paused(), store.engine.begin() as conn:
        records.ensure_organization(conn, org, now)
        ensure_standard_reasons(conn, org, now)
        ctx = Context(conn=conn, org=org, now=now)
        for chunk in chunks:
            models, errors = validate_models(kind, chunk, offset=result.received)
            result.received += len(chunk)
            checked = kind.check(ctx, models) if models else Checked()
            checked.drop_duplicates(kind.name, kind.table)
            result.errors += errors + checked.errors
            if not result.errors or partial:
                rollups.merge(result.touched, _write(conn, org, now, kind, checked))
                result.stored += len(checked.rows)
            if progress:
                progress(len(chunk))
        result.errors.sort(key=lambda e: e.index)  # as a client walking its file reads them
        if result.errors and not partial:
            raise invalid_batch(kind.name, result.errors, result.received)  # rolls back
        if result.stored:
            records.bump_data_version(conn, org)
    return result


def write_one(conn: Connection, org: str, kind_name: str, record: dict[str, Any],
              now: datetime) -> dict[str, Any]:
    """Validate and upsert one record inside the caller's transaction (the API's create and
    update of single records); the same rules as a batch. Returns the stored row."""
    kind = get_kind(kind_name)
    records.ensure_organization(conn, org, now)
    ensure_standard_reasons(conn, org, now)
    models, errors = validate_models(kind, [record])
    checked = kind.check(Context(conn=conn, org=org, now=now), models) if models else Checked()
    errors += checked.errors
    if errors:
        noun = kind.name.removesuffix("s").replace("_", " ")
        raise InvalidInput(f"invalid {noun}: " + "; ".join(
            f"{e.field or 'record'}: {e.reason}" for e in errors),
            [{"field": e.field, "reason": e.reason} for e in errors])
    _write(conn, org, now, kind, checked)
    records.bump_data_version(conn, org)
    return checked.rows[0]


def write_changes(conn: Connection, org: str, kind_name: str, current: dict[str, Any],
                  changes: dict[str, Any], key: str, fields: Iterable[str], now: datetime
                  ) -> dict[str, Any]:
    """Apply ``changes`` to the stored record ``current`` (its ``fields``) and write it with
    :func:`write_one`: a PATCH checked by the same rules as a new record. The key is fixed."""
    if key in changes and changes[key] != current[key]:
        raise InvalidInput(f"{key} cannot change; create a new record instead",
                           [{"field": key, "reason": "fixed"}])
    merged = {name: current[name] for name in fields} | changes | {key: current[key]}
    for name, value in merged.items():  # stored instants are exact and in UTC
        if isinstance(value, datetime):
            merged[name] = value.isoformat()
    return write_one(conn, org, kind_name, merged, now)


_pauses = 0  # ingests running now; the collector runs again when the last one ends
_resume = True  # whether the collector was on when the first of them began
_pauses_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is converted.

    A batch allocates hundreds of thousands of dicts and datetimes that form no cycles, yet
    each allocation burst triggers collections that walk every live object, the whole batch
    included: a fifth of ingest time on a 100,000-record batch. Reference counting still
    frees everything; the collector resumes when the last concurrent ingest ends.
    """
    global _pauses, _resume
    with _pauses_lock:
        _pauses += 1
        if _pauses == 1:
            _resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def _write(
    conn: Connection, org: str, now: datetime, kind: RecordKind, checked: Checked
) -> rollups.Touched:
    touched: rollups.Touched = {}
    if checked.work_orders:
        batch = timelines.load(conn, checked.work_orders)
        before = timelines.spans(conn, org, batch)
    oee_reach = oee_rollups.spans(conn, org, kind.name, checked.rows)  # before the write
    records.upsert(conn, kind.table, checked.rows, {"organization_id": org, "updated_at": now})
    if checked.work_orders:
        timelines.rebuild(conn, org, batch)
        touched = rollups.invalidate(conn, org, before + timelines.spans(conn, org, batch))
    rollups.merge(touched, rollups.invalidate_sites(conn, org, checked.sites))
    rollups.merge(touched, oee_rollups.invalidate(conn, org, oee_reach))
    if kind.name in oee_rollups.CONFIG_KINDS and checked.rows:
        oee_rollups.forget(conn, org)
    elif checked.sites:
        oee_rollups.forget(conn, org, checked.sites)
    return touched
