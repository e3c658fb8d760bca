"""Event intake: validate canonical events, correlate them, store events and outages.

One correlation engine per organization lives in the process. Every batch runs under a lock
(a PostgreSQL advisory lock too, so several API workers take turns) in one transaction: the
engine first checks that the store holds nothing it has not seen (another worker's batch, a
new network); if it does, it is rebuilt from the open outages and their events. A batch that
fails to commit drops the engine, so memory never holds what the store does not.
"""

from __future__ import annotations

import functools
import json
import threading
import weakref
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NotRequired
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError, with_config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from typing_extensions import TypedDict

from opslens.domain.correlation import Correlator
from opslens.domain.outages import Event, Settings
from opslens.domain.topology import Network
from opslens.errors import InvalidInput
from opslens.grid import outage_records, topology
from opslens.ingest.kinds import RECORD_CONFIG, RecordError, _pydantic_errors, to_utc
from opslens.store import grid as grid_store
from opslens.store import records
from opslens.store.engine import Store

Source = Literal["scada", "ami", "onu", "call_center"]
Kind = Literal["power_loss", "power_restored", "breaker_open", "breaker_close", "alarm",
               "ticket"]
UTC_ZONE = ZoneInfo("UTC")
EMPTY = Network([])


@with_config(RECORD_CONFIG)
class CanonicalEvent(TypedDict):
    """A canonical OMS event (DESIGN.md §4 ``events``)."""

    id: str
    source: Source
    kind: Kind
    occurred_at: str
    device_id: NotRequired[str | None]
    customer_id: NotRequired[str | None]
    latitude: NotRequired[float | None]
    longitude: NotRequired[float | None]
    received_at: NotRequired[str | None]
    detail: NotRequired[dict[str, Any] | None]


@dataclass
class IntakeResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[RecordError] | None = None
    outages: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": True, "received": self.received, "stored": self.stored,
                "duplicates": self.duplicates,
                "rejected": len({e.index for e in self.errors or []}),
                "errors": [e.as_dict() for e in (self.errors or [])[:1000]],
                "outages": self.outages or []}


def validate(raw: Sequence[Any]) -> tuple[list[tuple[int, dict[str, Any]]], list[RecordError]]:
    """Canonical events checked one by one: fields, ranges, timestamps with an offset."""
    try:  # a clean batch in one call into pydantic's core; a bad one event by event
        validated = list(enumerate(_adapter(list[CanonicalEvent]).validate_python(raw)))
        errors: list[RecordError] = []
    except ValidationError:
        validated, errors = [], []
        adapter = _adapter(CanonicalEvent)
        for index, item in enumerate(raw):
            try:
                validated.append((index, adapter.validate_python(item)))
            except ValidationError as exc:
                errors += _pydantic_errors(index, exc)
    good = []
    for index, event in validated:
        problems = _check(event)
        if problems:
            errors += [RecordError(index, f, r) for f, r in problems]
        else:
            good.append((index, event))
    return good, errors


def _check(event: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if not 0 < len(event["id"]) <= 64:
        problems.append(("id", "must be 1 to 64 characters"))
    for name in ("device_id", "customer_id"):
        if event.get(name) is not None and len(event[name]) > 64:
            problems.append((name, "at most 64 characters"))
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = event.get(name)
        if value is not None and not -limit <= value <= limit:
            problems.append((name, f"{value} is outside ±{limit}"))
    if (event.get("latitude") is None) != (event.get("longitude") is None):
        problems.append(("longitude" if event.get("latitude") is not None else "latitude",
                         "give both latitude and longitude, or neither"))
    for name in ("occurred_at", "received_at"):
        value = event.get(name)
        if value is None:
            continue
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError(f"{value!r} has no UTC offset; send UTC (Z) or an offset")
            event[name] = to_utc(parsed, UTC_ZONE)
        except ValueError as exc:
            reason = str(exc)
            if "Invalid isoformat" in reason:
                reason = f"malformed timestamp {value!r}; use ISO 8601 with an offset"
            problems.append((name, reason))
    if event.get("detail") is not None:  # stored as JSON text: encoded once, here
        event["detail"] = json.dumps(event["detail"], sort_keys=True, default=str)
        if len(event["detail"]) > 20000:
            problems.append(("detail", "at most 20,000 characters of JSON"))
    return problems


@functools.cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


@dataclass
class _StoreEngines:
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    engines: dict[str, tuple[Correlator, int, int]] = field(default_factory=dict)
    ensured: set[str] = field(default_factory=set)


class _Engines:
    """The engine of each organization, with the store state it has seen. Kept per store
    object (weakly: a closed store takes its engines with it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._stores: weakref.WeakKeyDictionary[Store, _StoreEngines] = (
            weakref.WeakKeyDictionary())

    def _of(self, store: Store) -> _StoreEngines:
        with self.lock:
            return self._stores.setdefault(store, _StoreEngines())

    def org_lock(self, store: Store, org: str) -> threading.Lock:
        mine = self._of(store)
        with self.lock:
            return mine.locks.setdefault(org, threading.Lock())

    def get(self, store: Store, conn: Connection, org: str, settings: Settings) -> Correlator:
        loaded = topology.current(store, conn, org)
        version = loaded.version if loaded else 0
        seq = grid_store.correlation_seq(conn, org)
        engines = self._of(store).engines
        found = engines.get(org)
        if found and found[1] == version and found[2] == seq:
            return found[0]
        engine = outage_records.rebuild(conn, org, loaded.network if loaded else EMPTY,
                                        settings)
        engines[org] = (engine, version, seq)
        return engine

    def saw(self, store: Store, org: str, engine: Correlator, seq: int) -> None:
        engines = self._of(store).engines
        engines[org] = (engine, engines[org][1], seq)

    def ensure_organization(self, store: Store, conn: Connection, org: str, now: datetime
                            ) -> None:
        """Once per process and organization: the rows every organization needs."""
        ensured = self._of(store).ensured
        if org not in ensured:
            records.ensure_organization(conn, org, now)
            ensured.add(org)

    def drop(self, store: Store, org: str) -> None:
        self._of(store).engines.pop(org, None)

    def forget(self, store: Store) -> None:
        """Everything held for ``store`` (its tables were emptied under this process)."""
        with self.lock:
            self._stores.pop(store, None)

    def organizations(self, store: Store) -> list[str]:
        return sorted(self._of(store).engines)


ENGINES = _Engines()


def _lock_advisory(conn: Connection, org: str) -> None:
    if conn.dialect.name == "postgresql":  # several workers: one correlates at a time
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                     {"key": zlib.crc32(f"opslens-oms:{org}".encode())})


def run(store: Store, org: str, now: datetime, work, settings: Settings | None = None):
    """Run ``work(conn, engine)`` with the organization's engine, under its lock, in one
    transaction; ``work`` returns (result, Changes) and the changes are stored with it."""
    settings = settings or Settings()
    with ENGINES.org_lock(store, org):
        try:
            with store.engine.begin() as conn:
                ENGINES.ensure_organization(store, conn, org, now)
                _lock_advisory(conn, org)
                engine = ENGINES.get(store, conn, org, settings)
                result, changes = work(conn, engine)
                seq = outage_records.write(conn, org, engine, changes, now)
                ENGINES.saw(store, org, engine, seq)
                engine.forget_closed()
            return result
        except BaseException:
            ENGINES.drop(store, org)
            raise


def accept(store: Store, org: str, raw: Sequence[Any], now: datetime, partial: bool = False,
           settings: Settings | None = None) -> IntakeResult:
    """Validate, de-duplicate and correlate a batch of canonical events."""
    good, errors = validate(raw)
    result = IntakeResult(received=len(raw), errors=errors)
    if errors and not partial:
        rejected = len({e.index for e in errors})
        raise InvalidInput(
            f"{rejected} of {len(raw)} events are invalid; nothing was stored (fix them, or "
            "send ?partial=true to store the valid ones)", [e.as_dict() for e in errors[:1000]])
    seen: set[str] = set()
    unique = []
    for _, event in good:
        if event["id"] in seen:
            result.duplicates += 1
            continue
        seen.add(event["id"])
        unique.append(event)

    def work(conn: Connection, engine: Correlator):
        known = grid_store.known_event_ids(conn, org, [e["id"] for e in unique])
        fresh = [e for e in unique if e["id"] not in known]
        result.duplicates += len(unique) - len(fresh)
        resolved = [resolve(engine.network, e, now) for e in fresh]
        changes = engine.process(resolved)
        rows = []
        for event, canonical in zip(resolved, fresh, strict=True):
            outage_id, suppressed = changes.assignments.get(event.id, (None, False))
            rows.append(_event_row(canonical, event, engine.final_id(outage_id), suppressed,
                                   now))
        grid_store.insert_events(conn, org, rows, now)
        result.stored = len(rows)
        result.outages = sorted({r["outage_id"] for r in rows if r["outage_id"]})
        return result, changes

    return run(store, org, now, work, settings)


def tick(store: Store, org: str, now: datetime, settings: Settings | None = None) -> None:
    """Let time pass for the organization's engine (settling, storm mode ending)."""
    run(store, org, now, lambda conn, engine: (None, engine.tick(now)), settings)


def tick_all(store: Store, now: datetime, settings: Settings | None = None) -> None:
    """Tick every organization this process correlates for (the server does every 30 s)."""
    for org in ENGINES.organizations(store):
        tick(store, org, now, settings)


def _event_row(canonical: dict[str, Any], event: Event, outage_id: str | None,
               suppressed: bool, now: datetime) -> dict[str, Any]:
    return {
        "id": event.id, "source": event.source, "kind": event.kind,
        "device_id": canonical.get("device_id"), "customer_id": canonical.get("customer_id"),
        "element_id": event.element_id, "latitude": canonical.get("latitude"),
        "longitude": canonical.get("longitude"), "occurred_at": event.occurred_at,
        "received_at": canonical.get("received_at") or now,
        "detail": canonical.get("detail"),
        "outage_id": outage_id, "suppressed": suppressed,
    }


def resolve(network: Network, event: dict[str, Any], now: datetime) -> Event:
    """The network element an event names: its meter or ONU, the customer's meter, the
    breaker or feeder (a feeder's SCADA trip is its head breaker's)."""
    elements = network.elements
    element = None
    device = event.get("device_id")
    if device is not None and device in elements:
        element = device
        if elements[device].kind == "feeder" and event["source"] == "scada":
            element = network.head_device(device)
    elif event.get("customer_id") is not None:
        element = network.point_of_customer(event["customer_id"])
    return Event(event["id"], event["source"], event["kind"], event["occurred_at"], element,
                 event.get("latitude"), event.get("longitude"),
                 event.get("received_at") or now)
