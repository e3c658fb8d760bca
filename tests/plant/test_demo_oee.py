"""The demo's OEE data: it passes every ingest rule on both stores and shows what the OEE
screens need (minor stops, planned changeovers, breakdowns, counts, energy)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from opslens.ingest.service import ingest
from opslens.plant import oee
from opslens.plant.demo import build_demo_plant
from opslens.plant.demo_oee import OEE_KINDS, build_demo_oee
from opslens.plant.oee import OeeQuery
from opslens.store.engine import Store

AS_OF = datetime(2025, 11, 12, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict]]:
    plant = build_demo_plant(seed=3, days=4, as_of=AS_OF)
    return plant | build_demo_oee(plant, 3, as_of=AS_OF)


def test_the_same_seed_gives_the_same_records(demo):
    plant = build_demo_plant(seed=3, days=4, as_of=AS_OF)
    assert build_demo_oee(plant, 3, as_of=AS_OF) == {k: demo[k] for k in OEE_KINDS}


def test_stops_cover_the_reasons_the_screens_show(demo):
    reasons = Counter(e["reason_code"] for e in demo["downtime_events"])
    assert {"MINOR-STOP", "CHANGEOVER-PLAN", "MATERIAL", "BREAKDOWN"} <= set(reasons)
    assert all(datetime.fromisoformat(e["start_time"]) < AS_OF for e in demo["downtime_events"])
    assert all(c["good"] + c["scrap"] <= c["total"] for c in demo["production_counts"])


def test_the_demo_loads_cleanly_and_gives_plausible_oee(store: Store, demo):
    for kind, records in demo.items():
        result = ingest(store, "demo", kind, [records])
        assert (result.stored, result.errors) == (len(records), []), kind
    with store.engine.begin() as conn:
        body = oee.calculate(conn, "demo", OeeQuery(time_period="yesterday", as_of=AS_OF,
                                                     include_machines=False))
    assert 30 < body["oee"] < 95
    assert 0 < body["availability"] <= 100 and 0 < body["quality"] <= 100
    assert body["time_model"]["minor_stop_minutes"] > 0
    assert body["losses"]["setup_adjustments"]["minutes"] >= 0
