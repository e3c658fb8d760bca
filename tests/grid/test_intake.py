"""The network and event intake services on both stores: validation, de-duplication,
correlation stored, the change feed, per-customer restoration, and an engine rebuilt from the
store (a restart, or another worker) carrying on exactly where the first left off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grid.networks import document
from opslens.errors import InvalidInput, NotFound
from opslens.grid import intake, topology
from opslens.store import grid as grid_store

ORG = "utility"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def gasp(point: str, seconds: int, kind: str = "power_loss", **extra) -> dict:
    at = (T0 + timedelta(seconds=seconds)).isoformat()
    return {"id": f"{kind}-{point}-{seconds}", "source": "ami", "kind": kind,
            "device_id": point, "occurred_at": at, **extra}


def test_network_load_validates_stores_and_replaces(store):
    summary = topology.load_document(store, ORG, document(), T0)
    assert (summary["version"], summary["customers"], summary["transformers"]) == (1, 30, 3)
    with store.engine.connect() as conn:
        loaded = topology.require(store, conn, ORG)
        assert loaded.network.customers_below("FU1") == 20
        rows = {r["id"]: r for r in grid_store.elements(conn, ORG)}
    assert rows["T2-M3"]["feeder_id"] == "F1" and rows["T2-M3"]["substation_id"] == "S1"
    bad = document()
    bad["devices"][1]["parent_id"] = "NOPE"
    bad["service_points"].append(bad["service_points"][0])
    with pytest.raises(InvalidInput) as caught:
        topology.load_document(store, ORG, bad, T0)
    fields = {e["field"] for e in caught.value.errors}
    assert {"FU1.parent", "T1-M0.id"} <= fields
    with pytest.raises(InvalidInput, match="time zone"):
        topology.load_document(store, ORG, {**document(), "timezone": "Mars/Base"}, T0)
    assert topology.load_document(store, ORG, document(), T0)["version"] == 2


def test_events_without_a_network_need_one_for_nothing_but_places(store):
    with store.engine.connect() as conn, pytest.raises(NotFound, match="no network"):
        topology.require(store, conn, ORG)
    result = intake.accept(store, ORG, [{"id": "call-1", "source": "call_center",
                                         "kind": "ticket", "occurred_at": T0.isoformat(),
                                         "latitude": 48.4, "longitude": 7.8}], T0)
    assert result.stored == 1 and len(result.outages) == 1


def test_bad_events_are_named_and_nothing_is_stored(store):
    bad = [gasp("T1-M0", 0), {"id": "x", "source": "radio", "kind": "power_loss",
                              "occurred_at": "2026-03-01T12:00:00"},
           {**gasp("T1-M1", 1), "latitude": 95.0, "longitude": 7.0}]
    with pytest.raises(InvalidInput) as caught:
        intake.accept(store, ORG, bad, T0)
    found = {(e["index"], e["field"]) for e in caught.value.errors}
    assert {(1, "source"), (2, "latitude")} <= found
    naive = [{**gasp("T1-M0", 0), "occurred_at": "2026-03-01T12:00:00"}]
    with pytest.raises(InvalidInput) as caught:
        intake.accept(store, ORG, naive, T0)
    assert "offset" in caught.value.errors[0]["reason"]
    with store.engine.connect() as conn:
        assert grid_store.latest_event_time(conn, ORG) is None
    partial = intake.accept(store, ORG, bad, T0, partial=True)
    assert (partial.stored, len({e.index for e in partial.errors})) == (1, 2)


def test_correlation_is_stored_and_survives_a_rebuild(store):
    topology.load_document(store, ORG, document(), T0)
    first = intake.accept(store, ORG, [gasp("T1-M0", 0), gasp("T1-M1", 2)], T0)
    assert first.stored == 2 and len(first.outages) == 1
    again = intake.accept(store, ORG, [gasp("T1-M0", 0)], T0)
    assert (again.stored, again.duplicates) == (0, 1)
    intake.ENGINES.drop(store, ORG)  # as after a restart: the next batch rebuilds
    intake.accept(store, ORG, [gasp("T2-M5", 10)], T0)
    with store.engine.connect() as conn:
        total, rows = grid_store.list_outages(
            conn, ORG, statuses=None, severities=None, feeder_id=None, started_from=None,
            started_to=None, include_merged=False, limit=10, offset=0)
        (outage,) = rows
        assert total == 1 and outage["device_id"] == "FU1" and outage["customers_affected"] == 20
        assert outage["ami_events"] == 3
        events = grid_store.events_of(conn, ORG, [outage["id"]])
        assert len(events) == 3
        actions = [c["action"] for c in grid_store.changes_after(conn, ORG, 0)]
    assert actions[:3] == ["replaced", "created", "rolled_up"]
    restores = [gasp(p, 3600 + i, "power_restored")
                for i, p in enumerate(["T1-M0", "T1-M1", "T2-M5"])]
    intake.accept(store, ORG, restores, T0 + timedelta(hours=1))
    with store.engine.connect() as conn:
        (outage,) = grid_store.list_outages(
            conn, ORG, statuses=["restored"], severities=None, feeder_id=None,
            started_from=None, started_to=None, include_merged=False, limit=10, offset=0)[1]
        customers = grid_store.customers_of(conn, ORG, outage["id"])
    assert outage["restored_at"] == T0 + timedelta(seconds=3602)
    assert len(customers) == 20
    # T1-M0 and T1-M1 restored at 3600 s and 3601 s by their own reports, the other 18 at
    # the outage's restoration (the last report, 3602 s); all off since 0 s
    expected = (3600 + 3601 + 18 * 3602) / 60
    assert outage["customer_minutes"] == pytest.approx(expected)
