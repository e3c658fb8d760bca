"""The network service: read a topology document, validate it, store it, serve it laid out.

A document (DESIGN.md §4 ``topology``) lists substations, feeders, devices, transformers and
service points. It replaces the organization's network whole; each load is a new version,
and every process notices the new version on its next request and lays the network out again
(``domain.topology.Network``: descendant sets as slices, customer counts as prefix sums).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Connection

from opslens.domain.topology import PROTECTIVE, Element, Network
from opslens.errors import InvalidInput, NotFound
from opslens.store import grid as grid_store
from opslens.store import records
from opslens.store.engine import Store

Coordinate = list[float]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              coerce_numbers_to_str=True)
    id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(None, max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class _Lined(_Part):
    geometry: list[Coordinate] | None = Field(
        None, description="GeoJSON coordinates [[lon, lat], …] of the line feeding it")


class Substation(_Part):
    pass


class Feeder(_Lined):
    substation_id: str


class Device(_Lined):
    type: Literal["breaker", "recloser", "sectionalizer", "fuse", "switch"]
    parent_id: str
    normally_open: bool = False


class Transformer(_Lined):
    parent_id: str


class ServicePoint(_Part):
    transformer_id: str
    kind: Literal["meter", "onu"] = "meter"
    customer_id: str | None = Field(None, max_length=64)
    customers: int = Field(1, ge=0)
    critical: bool = False


class TopologyDocument(BaseModel):
    """One whole network (DESIGN.md §4 ``topology``)."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field("uploaded document", max_length=200)
    timezone: str = Field("UTC", description="IANA time zone of the utility's days")
    substations: list[Substation] = Field(min_length=1)
    feeders: list[Feeder] = []
    devices: list[Device] = []
    transformers: list[Transformer] = []
    service_points: list[ServicePoint] = []


def parse_document(raw: Any) -> TopologyDocument:
    """Validate a document; every problem named by its path (``devices.3.parent_id``)."""
    try:
        document = TopologyDocument.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or None,
                   "reason": e["msg"].removeprefix("Value error, ")}
                  for e in exc.errors(include_url=False)]
        raise InvalidInput(f"the topology document has {len(errors)} problem(s); first: "
                           f"{errors[0]['field']}: {errors[0]['reason']}", errors[:1000]
                           ) from None
    try:
        ZoneInfo(document.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {document.timezone!r}; use an IANA name such "
                           "as Europe/Berlin", [{"field": "timezone", "reason": "unknown"}]
                           ) from None
    return document


def to_elements(document: TopologyDocument) -> list[Element]:
    out = [Element(s.id, "substation", None, s.latitude, s.longitude)
           for s in document.substations]
    out += [Element(f.id, "feeder", f.substation_id, f.latitude, f.longitude)
            for f in document.feeders]
    out += [Element(d.id, d.type, d.parent_id, d.latitude, d.longitude, d.normally_open)
            for d in document.devices]
    out += [Element(t.id, "transformer", t.parent_id, t.latitude, t.longitude)
            for t in document.transformers]
    out += [Element(p.id, "service_point", p.transformer_id, p.latitude, p.longitude,
                    customers=p.customers, critical=p.critical, point_kind=p.kind,
                    customer_id=p.customer_id)
            for p in document.service_points]
    return out


def _rows(document: TopologyDocument, network: Network) -> list[dict[str, Any]]:
    names, geometry = {}, {}
    for part in (*document.substations, *document.feeders, *document.devices,
                 *document.transformers):
        names[part.id] = part.name
        if isinstance(part, _Lined) and part.geometry is not None:
            geometry[part.id] = _geojson(part.geometry)
    rows = []
    for eid in network.order:
        element = network.elements[eid]
        path = network.path_up(eid)
        kinds = {network.elements[a].kind: a for a in path}
        rows.append({
            "id": eid, "kind": element.kind, "parent_id": element.parent,
            "name": names.get(eid), "latitude": element.latitude,
            "longitude": element.longitude, "normally_open": element.normally_open,
            "customers": element.customers, "critical": element.critical,
            "customer_id": element.customer_id, "point_kind": element.point_kind,
            "feeder_id": kinds.get("feeder"), "substation_id": kinds.get("substation"),
            "geometry": geometry.get(eid),
        })
    return rows


def _geojson(coordinates: list[Coordinate]) -> str:
    import json

    return json.dumps({"type": "LineString", "coordinates": coordinates})


@dataclass(frozen=True)
class LoadedNetwork:
    version: int
    timezone: str
    source: str
    network: Network


def load_document(store: Store, org: str, raw: Any, now: datetime) -> dict[str, Any]:
    """Validate and store a whole network, replacing the previous one; the summary."""
    document = parse_document(raw)
    network = Network(to_elements(document))
    rows = _rows(document, network)
    customers = sum(e.customers for e in network.elements.values())
    meta = {"source": document.source, "timezone": document.timezone,
            "elements": len(rows), "customers": customers}
    with store.engine.begin() as conn:
        records.ensure_organization(conn, org, now)
        version = grid_store.replace_network(conn, org, meta, rows, now)
        grid_store.append_changes(conn, org, [{
            "entity": "network", "entity_id": org, "action": "replaced", "actor": "system",
            "detail": {**meta, "version": version}}], now)
        records.bump_data_version(conn, org)
    _CACHE.put(store, org, LoadedNetwork(version, document.timezone, document.source, network))
    return {"ok": True, "version": version, **meta, **_counts(network)}


def _counts(network: Network) -> dict[str, int]:
    counts = {"substations": 0, "feeders": 0, "devices": 0, "transformers": 0,
              "service_points": 0}
    for element in network.elements.values():
        key = ("devices" if element.kind in PROTECTIVE else
               {"service_point": "service_points"}.get(element.kind, element.kind + "s"))
        counts[key] += 1
    return counts


class _NetworkCache:
    """The laid-out network of each organization, per store object (weakly held), kept while
    its version holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: weakref.WeakKeyDictionary[Store, dict[str, LoadedNetwork]] = (
            weakref.WeakKeyDictionary())

    def put(self, store: Store, org: str, loaded: LoadedNetwork) -> None:
        with self._lock:
            self._loaded.setdefault(store, {})[org] = loaded

    def get(self, store: Store, conn: Connection, org: str) -> LoadedNetwork | None:
        meta = grid_store.network_row(conn, org)
        if meta is None:
            return None
        with self._lock:
            cached = self._loaded.get(store, {}).get(org)
        if cached is not None and cached.version == meta["version"]:
            return cached
        network = Network(_element_of(row) for row in grid_store.elements(conn, org))
        loaded = LoadedNetwork(meta["version"], meta["timezone"], meta["source"], network)
        self.put(store, org, loaded)
        return loaded

    def forget(self, store: Store) -> None:
        with self._lock:
            self._loaded.pop(store, None)


_CACHE = _NetworkCache()


def _element_of(row: dict[str, Any]) -> Element:
    return Element(row["id"], row["kind"], row["parent_id"], row["latitude"],
                   row["longitude"], row["normally_open"], row["customers"], row["critical"],
                   row["point_kind"], row["customer_id"])


def current(store: Store, conn: Connection, org: str) -> LoadedNetwork | None:
    """The organization's network, laid out (None when it has none yet)."""
    return _CACHE.get(store, conn, org)


def forget(store: Store) -> None:
    """Drop the networks held for ``store`` (its tables were emptied under this process)."""
    _CACHE.forget(store)


def require(store: Store, conn: Connection, org: str) -> LoadedNetwork:
    loaded = current(store, conn, org)
    if loaded is None:
        raise NotFound("this organization has no network yet; load one with PUT "
                       "/api/oms/network or `opslens grid import-pandapower mv_oberrhein`")
    return loaded
