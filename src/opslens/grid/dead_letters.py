"""Dead letters: native messages no adapter could read, kept for inspection (DESIGN.md §4)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from opslens.errors import InvalidInput
from opslens.store import grid as grid_store
from opslens.store import records
from opslens.store.engine import Store

#: More than this is kept as its first part: a body an adapter refused for its size.
KEPT_BYTES = 10 * 1024 * 1024


def keep(store: Store, org: str, adapter: str, body: bytes, content_type: str | None,
         error: InvalidInput, now: datetime) -> str:
    """Store a refused message with its problems; returns the dead letter's id."""
    letter = uuid.uuid4().hex
    # PostgreSQL text holds no NUL character; the rest is kept as sent
    payload = body[:KEPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    problems = list(error.errors[:1000])
    if len(body) > KEPT_BYTES:
        problems.append({"field": "body", "reason": f"kept the first {KEPT_BYTES} of "
                                                    f"{len(body)} bytes"})
    with store.engine.begin() as conn:
        records.ensure_organization(conn, org, now)
        grid_store.add_dead_letter(conn, org, {
            "id": letter, "adapter": adapter, "received_at": now,
            "reason": error.message[:2000], "errors": json.dumps(problems, default=str),
            "content_type": (content_type or "")[:200] or None, "payload": payload})
    return letter
