"""The OEE endpoints on both stores: worked examples end to end, downtime and reason CRUD,
Pareto, and bad input that stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import load

# One Berlin site. The early shift is 06:00–14:00 with a 60-minute break: 480 minutes
# scheduled, 420 planned production (Vorne's Fast Guide to OEE). M1 makes parts at an
# ideal 1 s (60 a minute); M2 at an ideal 60 s. The 24/7 site S2 holds the overlap case.
PLANT: dict[str, list[dict[str, Any]]] = {
    "sites": [{"id": "S1", "name": "Berlin", "timezone": "Europe/Berlin"},
              {"id": "S2", "name": "Round the clock", "timezone": "UTC"}],
    "lines": [{"id": "L1", "site_id": "S1", "name": "Line 1"}],
    "machines": [
        {"id": "M1", "site_id": "S1", "line_id": "L1", "name": "Press 1",
         "ideal_cycle_time_s": 1},
        {"id": "M2", "site_id": "S1", "line_id": "L1", "name": "Press 2",
         "ideal_cycle_time_s": 60},
        {"id": "M9", "site_id": "S2", "name": "Oven"},
    ],
    "shifts": [{"id": "EARLY", "site_id": "S1", "name": "Early", "start_time": "06:00",
                "end_time": "14:00", "breaks": ["10:00-11:00"]},
               {"id": "ALLDAY", "site_id": "S2", "name": "All day", "start_time": "00:00",
                "end_time": "00:00"}],
}
DAY = "2025-10-14"
AS_OF = "2025-10-15T00:00:00+02:00"
SHIFT = {"shift_id": "EARLY", "date": DAY, "as_of": AS_OF}


@pytest.fixture
def plant(client: TestClient) -> TestClient:
    load(client, PLANT)
    return client


def post_events(client: TestClient, *events: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for event in events:
        response = client.post("/api/oee/downtime", json=event)
        assert response.status_code == 201, response.json()
        out.append(response.json())
    return out


def ingest(client: TestClient, kind: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return client.post(f"/api/ingest/{kind}", json=records).json()


def vorne(client: TestClient) -> None:
    post_events(client, {"id": "D1", "machine_id": "M1", "reason_code": "BREAKDOWN",
                         "start_time": f"{DAY}T07:00:00", "end_time": f"{DAY}T07:47:00"})
    result = ingest(client, "production_counts", [
        {"machine_id": "M1", "timestamp": f"{DAY}T13:59:00", "total": 19271, "good": 18848}])
    assert result["stored"] == 1, result


def test_vorne_fast_guide_example_for_one_machine_and_shift(plant: TestClient):
    vorne(plant)
    body = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert body["time_model"] == {
        "all_time_minutes": 480.0, "scheduled_minutes": 480.0,
        "planned_downtime_minutes": 60.0, "planned_production_minutes": 420.0,
        "unplanned_downtime_minutes": 47.0, "minor_stop_minutes": 0.0, "run_minutes": 373.0,
        "ideal_output_minutes": pytest.approx(19271 / 60, abs=0.01)}
    assert (body["availability"], body["performance"], body["quality"], body["oee"],
            body["teep"]) == (88.81, 86.11, 97.8, 74.79, 65.44)
    assert body["counts"]["total"] == 19271 and body["counts"]["good"] == 18848
    assert body["counts"]["scrap"] == 423
    assert body["reliability"] == {"failures": 1, "mtbf_minutes": 373.0, "mttr_minutes": 47.0}
    assert body["window"] == {"start": "2025-10-14T04:00:00+00:00",
                              "end": "2025-10-14T12:00:00+00:00"}


def test_a_line_pools_its_machines_instead_of_averaging_them(plant: TestClient):
    vorne(plant)
    # M2: the whole shift without stops, 300 parts at 60 s of 420 minutes run, all good
    ingest(plant, "production_counts", [
        {"machine_id": "M2", "timestamp": f"{DAY}T12:00:00", "total": 300, "good": 300}])
    body = plant.get("/api/oee/calculate", params={"line_id": "L1", **SHIFT}).json()
    m1, m2 = body["machines"]
    assert (m1["machine_id"], m2["machine_id"]) == ("M1", "M2")
    assert m2["oee"] == pytest.approx(100 * 300 / 420, abs=0.01)
    planned = 420 + 420
    run = 373 + 420
    ideal = 19271 / 60 + 300
    expected = run / planned * min(1, ideal / run) * (18848 + 300) / (19271 + 300)
    assert body["oee"] == pytest.approx(100 * expected, abs=0.01)
    assert body["oee"] != pytest.approx((m1["oee"] + m2["oee"]) / 2, abs=0.01)
    site = plant.get("/api/oee/calculate", params={"site_id": "S1", **SHIFT}).json()
    assert site["oee"] == body["oee"] and site["machine_count"] == 2


def test_overlapping_reasons_count_once_and_never_make_availability_negative(plant: TestClient):
    post_events(plant,
                {"machine_id": "M9", "reason_code": "BREAKDOWN",
                 "start_time": f"{DAY}T00:00:00Z", "end_time": f"{DAY}T15:00:00Z"},
                {"machine_id": "M9", "reason_code": "MATERIAL",
                 "start_time": f"{DAY}T00:10:00Z", "end_time": f"{DAY}T14:00:00Z"})
    body = plant.get("/api/oee/calculate", params={
        "machine_id": "M9", "start": f"{DAY}T00:00:00Z", "end": "2025-10-15T00:00:00Z",
        "as_of": "2025-10-15T00:00:00Z"}).json()
    assert body["time_model"]["unplanned_downtime_minutes"] == 15 * 60
    assert body["availability"] == pytest.approx(100 * 9 / 24, abs=0.01)
    assert body["performance"] == 0  # it ran 9 hours and made nothing
    assert body["quality"] is None and body["oee"] is None  # nothing made: undefined


def test_an_open_stop_runs_to_as_of(plant: TestClient):
    post_events(plant, {"id": "OPEN", "machine_id": "M9", "reason_code": "BREAKDOWN",
                        "start_time": f"{DAY}T10:00:00Z"})
    params = {"machine_id": "M9", "start": f"{DAY}T00:00:00Z", "end": "2025-10-15T00:00:00Z",
              "as_of": f"{DAY}T12:00:00Z"}
    body = plant.get("/api/oee/calculate", params=params).json()
    assert body["time_model"]["planned_production_minutes"] == 12 * 60  # up to as_of only
    assert body["time_model"]["unplanned_downtime_minutes"] == 120
    closed = plant.patch("/api/oee/downtime/OPEN", json={"end_time": f"{DAY}T11:00:00Z"})
    assert closed.status_code == 200 and closed.json()["end_time"] == f"{DAY}T11:00:00+00:00"
    body = plant.get("/api/oee/calculate", params=params).json()
    assert body["time_model"]["unplanned_downtime_minutes"] == 60


def test_short_stops_are_minor_stops_a_performance_loss(plant: TestClient):
    post_events(plant, {"machine_id": "M1", "reason_code": "BREAKDOWN",
                        "start_time": f"{DAY}T08:00:00", "end_time": f"{DAY}T08:01:30"})
    body = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert body["time_model"]["unplanned_downtime_minutes"] == 0
    assert body["time_model"]["minor_stop_minutes"] == 1.5
    strict = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT,
                                                     "minor_stop_seconds": 60}).json()
    assert strict["time_model"]["unplanned_downtime_minutes"] == 1.5


def test_a_planned_stop_leaves_planned_production_time(plant: TestClient):
    post_events(plant, {"machine_id": "M1", "reason_code": "MAINT-SCHED",
                        "start_time": f"{DAY}T12:00:00", "end_time": f"{DAY}T13:00:00"})
    body = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert body["time_model"]["planned_downtime_minutes"] == 120
    assert body["time_model"]["planned_production_minutes"] == 360
    assert body["availability"] == 100.0


# ---- downtime events ---------------------------------------------------------------------------

def test_downtime_event_lifecycle(plant: TestClient):
    created = post_events(plant, {"machine_id": "M1", "reason_code": "breakdown".upper(),
                                  "start_time": f"{DAY}T09:00:00", "notes": "leak"})[0]
    assert created["id"].startswith("DT-") and created["end_time"] is None
    assert created["site_id"] == "S1" and created["start_time"] == f"{DAY}T07:00:00+00:00"
    listed = plant.get("/api/oee/downtime", params={"open_only": True}).json()
    assert [e["id"] for e in listed["data"]] == [created["id"]] and listed["count"] == 1
    edited = plant.patch(f"/api/oee/downtime/{created['id']}",
                         json={"reason_code": "MATERIAL", "end_time": f"{DAY}T09:30:00"})
    assert edited.json()["reason_code"] == "MATERIAL"
    assert plant.get("/api/oee/downtime", params={"open_only": True}).json()["count"] == 0
    assert plant.delete(f"/api/oee/downtime/{created['id']}").status_code == 204
    assert plant.get(f"/api/oee/downtime/{created['id']}").status_code == 404
    assert plant.delete(f"/api/oee/downtime/{created['id']}").status_code == 404


@pytest.mark.parametrize(("event", "field"), [
    ({"machine_id": "M404", "reason_code": "BREAKDOWN", "start_time": f"{DAY}T09:00:00"},
     "machine_id"),
    ({"machine_id": "M1", "reason_code": "NOPE", "start_time": f"{DAY}T09:00:00"},
     "reason_code"),
    ({"machine_id": "M1", "reason_code": "BREAKDOWN", "start_time": f"{DAY}T09:00:00",
      "end_time": f"{DAY}T08:00:00"}, "end_time"),
    ({"machine_id": "M1", "reason_code": "BREAKDOWN", "start_time": "yesterday"},
     "start_time"),
    ({"machine_id": "M1", "reason_code": "BREAKDOWN"}, "start_time"),
    ({"machine_id": "M1", "reason_code": "BREAKDOWN", "start_time": f"{DAY}T09:00:00",
      "colour": "red"}, "colour"),
])
def test_bad_downtime_events_are_rejected_with_the_field_and_store_nothing(
        plant: TestClient, event: dict[str, Any], field: str):
    response = plant.post("/api/oee/downtime", json=event)
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["ok"] is False and [e["field"] for e in body["errors"]] == [field]
    assert plant.get("/api/oee/downtime").json()["count"] == 0


def test_a_duplicate_event_id_is_a_conflict(plant: TestClient):
    event = {"id": "D1", "machine_id": "M1", "reason_code": "BREAKDOWN",
             "start_time": f"{DAY}T09:00:00"}
    post_events(plant, event)
    assert plant.post("/api/oee/downtime", json=event).status_code == 409


# ---- reason codes ------------------------------------------------------------------------------

def test_the_standard_tree_is_there_from_the_start_and_editable(client: TestClient):
    reasons = client.get("/api/oee/downtime/reasons").json()
    codes = {r["code"]: r for r in reasons["data"]}
    assert reasons["count"] == 14
    assert codes["BREAK"]["planned"] and codes["BREAK"]["loss"] == "planned"
    assert codes["CHANGEOVER"]["loss"] == "setup_adjustments"
    assert codes["MINOR-STOP"]["loss"] == "minor_stops"
    created = client.post("/api/oee/downtime/reasons", json={
        "code": "HYDRAULIC", "category": "unplanned", "description": "Hydraulic failure",
        "planned": False, "loss": "breakdowns", "parent_code": "BREAKDOWN"})
    assert created.status_code == 201 and created.json()["parent_code"] == "BREAKDOWN"
    assert client.post("/api/oee/downtime/reasons", json={
        "code": "HYDRAULIC", "category": "x", "description": "x", "planned": False,
        "loss": "breakdowns"}).status_code == 409
    patched = client.patch("/api/oee/downtime/reasons/HYDRAULIC", json={"active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert client.patch("/api/oee/downtime/reasons/NOPE", json={}).status_code == 404


@pytest.mark.parametrize(("reason", "field"), [
    ({"code": "X", "category": "planned", "description": "x", "planned": True,
      "loss": "breakdowns"}, "loss"),
    ({"code": "X", "category": "u", "description": "x", "planned": False,
      "loss": "process_defects"}, "loss"),
    ({"code": "X", "category": "u", "description": "x", "planned": False, "loss": "breakdowns",
      "parent_code": "MISSING"}, "parent_code"),
    ({"code": "X", "category": "u", "description": "x", "planned": False, "loss": "speed"},
     "loss"),
])
def test_bad_reason_codes_are_rejected(client: TestClient, reason: dict[str, Any], field: str):
    response = client.post("/api/oee/downtime/reasons", json=reason)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_reason_tree_cannot_loop(client: TestClient):
    client.patch("/api/oee/downtime/reasons/BREAKDOWN", json={})  # no change: fine
    response = client.patch("/api/oee/downtime/reasons/UNPLANNED",
                            json={"parent_code": "BREAKDOWN"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent_code"


# ---- Pareto ------------------------------------------------------------------------------------

def test_pareto_ranks_by_duration_and_by_frequency_with_cumulative_shares(plant: TestClient):
    post_events(
        plant,
        {"machine_id": "M1", "reason_code": "BREAKDOWN", "start_time": f"{DAY}T07:00:00",
         "end_time": f"{DAY}T08:00:00"},
        *({"machine_id": "M2", "reason_code": "MATERIAL", "start_time": f"{DAY}T0{h}:00:00",
           "end_time": f"{DAY}T0{h}:10:00"} for h in (7, 8, 9)),
        {"machine_id": "M2", "reason_code": "BREAK", "start_time": f"{DAY}T12:00:00",
         "end_time": f"{DAY}T12:30:00"},
    )
    body = plant.get("/api/oee/downtime/analysis", params={"site_id": "S1", **SHIFT}).json()
    assert body["total_minutes"] == 90 and body["total_stops"] == 4
    assert [(r["key"], r["minutes"], r["share"], r["cumulative_share"])
            for r in body["by_duration"]] == [("BREAKDOWN", 60, 66.67, 66.67),
                                              ("MATERIAL", 30, 33.33, 100.0)]
    assert [(r["key"], r["stops"]) for r in body["by_frequency"]] == [
        ("MATERIAL", 3), ("BREAKDOWN", 1)]
    with_planned = plant.get("/api/oee/downtime/analysis",
                             params={"site_id": "S1", **SHIFT, "include_planned": True}).json()
    assert with_planned["total_minutes"] == 120


# ---- counts --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("record", "field"), [
    ({"machine_id": "M1", "timestamp": f"{DAY}T09:00:00", "total": 100, "good": 120}, "good"),
    ({"machine_id": "M1", "timestamp": f"{DAY}T09:00:00", "total": -1, "good": 0}, "total"),
    ({"machine_id": "M1", "timestamp": f"{DAY}T09:00:00", "total": 10, "good": 5, "scrap": 4,
      "rework": 2}, "scrap"),
    ({"machine_id": "M7", "timestamp": f"{DAY}T09:00:00", "total": 10, "good": 5},
     "machine_id"),
    ({"machine_id": "M1", "timestamp": f"{DAY}T09:00:00", "total": 10, "good": 5,
      "period_start": f"{DAY}T10:00:00"}, "period_start"),
    ({"machine_id": "M1", "timestamp": f"{DAY}T09:00:00", "total": 10, "good": 5,
      "period_start": "1900-01-01T00:00:00"}, "period_start"),  # over a year: split it
])
def test_bad_counts_are_rejected(plant: TestClient, record: dict[str, Any], field: str):
    response = plant.post("/api/ingest/production_counts", json=[record])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_count_over_a_period_is_pro_rated_at_the_window_edge(plant: TestClient):
    ingest(plant, "production_counts", [
        {"machine_id": "M1", "period_start": f"{DAY}T13:00:00", "timestamp": f"{DAY}T15:00:00",
         "total": 120, "good": 120}])
    body = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert body["counts"]["total"] == 60  # the hour 13:00–14:00 of two


# ---- energy readings and ideal cycle times ------------------------------------------------------

@pytest.mark.parametrize(("record", "field"), [
    ({"machine_id": "M1", "reading_time": f"{DAY}T09:00:00", "kwh_consumed": -1}, "kwh_consumed"),
    ({"machine_id": "M1", "reading_time": f"{DAY}T09:00:00", "meter_reading": -5},
     "meter_reading"),
    ({"machine_id": "M1", "reading_time": f"{DAY}T09:00:00", "kwh_consumed": 1,
      "meter_reading": 5}, "kwh_consumed"),
    ({"machine_id": "M1", "reading_time": f"{DAY}T09:00:00"}, "kwh_consumed"),
    ({"machine_id": "M0", "reading_time": f"{DAY}T09:00:00", "kwh_consumed": 1}, "machine_id"),
    ({"machine_id": "M1", "reading_time": f"{DAY}T09:00:00", "kwh_consumed": 1,
      "work_order_id": "W404"}, "work_order_id"),
])
def test_bad_energy_readings_are_rejected(plant: TestClient, record: dict[str, Any], field: str):
    response = plant.post("/api/ingest/energy_readings", json=[record])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_product_ideal_cycle_time_overrides_the_machines(plant: TestClient):
    ingest(plant, "ideal_cycle_times", [{"product_id": "P1", "ideal_cycle_time_s": 2}])
    ingest(plant, "production_counts", [
        {"machine_id": "M1", "timestamp": f"{DAY}T09:00:00", "total": 600, "good": 600,
         "product_id": "P1"},
        {"machine_id": "M1", "timestamp": f"{DAY}T09:30:00", "total": 600, "good": 600}])
    body = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert body["time_model"]["ideal_output_minutes"] == 600 * 2 / 60 + 600 * 1 / 60
    assert ingest(plant, "ideal_cycle_times", [
        {"product_id": "P1", "machine_id": "M404", "ideal_cycle_time_s": 2}])["ok"] is False


def test_realtime_shows_the_current_shift_so_far_and_the_open_stop(plant: TestClient):
    post_events(plant, {"id": "NOW", "machine_id": "M1", "reason_code": "MATERIAL",
                        "start_time": f"{DAY}T09:00:00"})
    body = plant.get("/api/oee/realtime/M1", params={"as_of": f"{DAY}T09:30:00+02:00"}).json()
    assert body["shift"] == {"id": "EARLY", "name": "Early", "date": DAY}
    assert body["state"] == "down"
    assert body["current_stop"]["reason_code"] == "MATERIAL"
    assert body["current_stop"]["minutes"] == 30
    assert body["time_model"]["planned_production_minutes"] == 210  # 06:00–09:30
    assert body["time_model"]["unplanned_downtime_minutes"] == 30
    later = plant.get("/api/oee/realtime/M1", params={"as_of": f"{DAY}T20:00:00+02:00"}).json()
    assert later["shift"] is None and later["state"] == "down"  # no shift: its local day
    assert plant.get("/api/oee/realtime/M404").status_code == 404


# ---- targets -------------------------------------------------------------------------------------

def test_the_most_specific_target_in_force_is_compared(plant: TestClient):
    vorne(plant)
    for target in ({"id": "ORG", "scope": "organization", "oee_target": 85,
                    "effective_date": "2025-01-01"},
                   {"id": "LINE", "scope": "line", "reference_id": "L1", "oee_target": 70,
                    "quality_target": 99, "effective_date": "2025-10-01",
                    "expiry_date": "2025-10-31"}):
        assert plant.post("/api/oee/targets", json=target).status_code == 201
    body = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert body["targets"]["id"] == "LINE"
    assert body["targets"]["oee"] == {"target": 70.0, "actual": 74.79, "gap": 4.79, "met": True}
    assert body["targets"]["quality"]["met"] is False
    assert body["targets"]["availability"] is None
    later = plant.get("/api/oee/calculate", params={
        "machine_id": "M1", "shift_id": "EARLY", "date": "2025-11-03",
        "as_of": "2025-11-04T00:00:00+01:00"}).json()
    assert later["targets"]["id"] == "ORG"
    assert plant.patch("/api/oee/targets/LINE", json={"oee_target": 80}).json()["oee_target"] == 80
    assert plant.get("/api/oee/targets").json()["count"] == 2
    assert plant.delete("/api/oee/targets/LINE").status_code == 204
    assert plant.delete("/api/oee/targets/LINE").status_code == 404


@pytest.mark.parametrize(("target", "field"), [
    ({"scope": "line", "oee_target": 80, "effective_date": "2025-01-01"}, "reference_id"),
    ({"scope": "line", "reference_id": "L9", "oee_target": 80, "effective_date": "2025-01-01"},
     "reference_id"),
    ({"scope": "machine", "reference_id": "M1", "oee_target": 180,
      "effective_date": "2025-01-01"}, "oee_target"),
    ({"scope": "site", "reference_id": "S1", "effective_date": "2025-01-01"}, "oee_target"),
    ({"scope": "site", "reference_id": "S1", "oee_target": 80, "effective_date": "2025-02-01",
      "expiry_date": "2025-01-01"}, "expiry_date"),
    ({"scope": "plant", "oee_target": 80, "effective_date": "2025-01-01"}, "scope"),
])
def test_bad_targets_are_rejected(plant: TestClient, target: dict[str, Any], field: str):
    response = plant.post("/api/oee/targets", json=target)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert plant.get("/api/oee/targets").json()["count"] == 0


# ---- energy ------------------------------------------------------------------------------------

def test_energy_consumption_per_day_per_unit_and_against_the_baseline(plant: TestClient):
    # a meter read every 6 hours (local time), reset to 0 before the last reading
    meter = [("00:00", 1000.0), ("06:00", 1060.0), ("12:00", 1180.0), ("18:00", 12.0)]
    response = plant.post("/api/oee/energy/readings", json=[
        {"machine_id": "M1", "reading_time": f"{DAY}T{t}:00", "meter_reading": v}
        for t, v in meter])
    assert response.status_code == 201 and response.json() == {"stored": 4}
    ingest(plant, "production_counts", [
        {"machine_id": "M1", "timestamp": f"{DAY}T10:00:00", "total": 100, "good": 90}])
    assert plant.post("/api/oee/energy/baselines", json={
        "machine_id": "M1", "kwh_per_unit": 1.6, "effective_date": "2025-01-01"}
    ).status_code == 201
    body = plant.get("/api/oee/energy/consumption/M1", params={
        "time_period": "custom", "date_from": DAY, "date_to": DAY, "as_of": AS_OF}).json()
    # 60 + 120 + 12 (the reset: counted from zero) = 192 kWh; 192 / 100 units
    assert body["kwh"] == 192 and body["units"] == 100 and body["good_units"] == 90
    assert body["kwh_per_unit"] == 1.92
    assert body["kwh_per_good_unit"] == pytest.approx(192 / 90, abs=1e-3)
    assert body["deviation_pct"]["kwh_per_unit"] == 20.0 and body["flagged"] is True
    assert body["series"] == [{"period": DAY, "kwh": 192.0}]
    hourly = plant.get("/api/oee/energy/consumption/M1", params={
        "start": f"{DAY}T06:00:00+02:00", "end": f"{DAY}T08:00:00+02:00", "as_of": AS_OF,
        "granularity": "hour"}).json()
    assert [h["kwh"] for h in hourly["series"]] == [20.0, 20.0]  # 120 kWh over 6 h
    listed = plant.get("/api/oee/energy/readings", params={"machine_id": "M1"}).json()
    assert listed["count"] == 4


def test_a_bad_reading_in_a_list_stores_none_of_them(plant: TestClient):
    response = plant.post("/api/oee/energy/readings", json=[
        {"machine_id": "M1", "reading_time": f"{DAY}T00:00:00", "meter_reading": 5},
        {"machine_id": "M1", "reading_time": f"{DAY}T01:00:00", "meter_reading": -5}])
    assert response.status_code == 422
    assert plant.get("/api/oee/energy/readings").json()["count"] == 0
    assert plant.get("/api/oee/energy/consumption/M404").status_code == 404
    assert plant.post("/api/oee/energy/baselines", json={
        "machine_id": "M1", "effective_date": "2025-01-01"}).status_code == 422


def test_keys_cannot_change_through_patch(plant: TestClient):
    post_events(plant, {"id": "K1", "machine_id": "M1", "reason_code": "BREAKDOWN",
                        "start_time": f"{DAY}T09:00:00"})
    response = plant.patch("/api/oee/downtime/K1", json={"id": "K2"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "id"
    response = plant.patch("/api/oee/downtime/reasons/BREAKDOWN", json={"code": "X"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "code"


# ---- snapshots ---------------------------------------------------------------------------------

def test_a_snapshot_keeps_the_result_as_it_was(plant: TestClient):
    vorne(plant)
    created = plant.post("/api/oee/snapshots", json={
        "id": "EARLY-1014", "machine_id": "M1", **SHIFT, "created_by": "supervisor"})
    assert created.status_code == 201, created.json()
    snap = created.json()
    assert (snap["scope"], snap["reference_id"], snap["oee"]) == ("machine", "M1", 74.79)
    assert snap["planned_production_s"] == 420 * 60 and snap["total_count"] == 19271
    assert snap["detail"]["availability"] == 88.81
    # late data changes the live figure, not the snapshot
    post_events(plant, {"machine_id": "M1", "reason_code": "BREAKDOWN",
                        "start_time": f"{DAY}T12:00:00", "end_time": f"{DAY}T12:30:00"})
    live = plant.get("/api/oee/calculate", params={"machine_id": "M1", **SHIFT}).json()
    assert live["availability"] < 88.81  # (the same output in less run time: same OEE)
    again = plant.get("/api/oee/snapshots/EARLY-1014").json()
    assert again["availability"] == 88.81 and again["created_by"] == "supervisor"
    listed = plant.get("/api/oee/snapshots", params={"scope": "machine"}).json()
    assert [s["id"] for s in listed["data"]] == ["EARLY-1014"]
    assert plant.post("/api/oee/snapshots", json={"id": "EARLY-1014", "machine_id": "M1",
                                                  **SHIFT}).status_code == 409
    assert plant.get("/api/oee/snapshots/NOPE").status_code == 404
    bad = plant.post("/api/oee/snapshots", json={"machine_id": "M1", "start": "2025-10-14"})
    assert bad.status_code == 422


def test_energy_cost_by_time_of_day_period(plant: TestClient):
    # 10 kWh an hour from 06:00 to 12:00 local; peak 08:00–11:00 at 0.30, else flat 0.10
    ingest(plant, "energy_readings", [
        {"machine_id": "M1", "reading_time": f"{DAY}T{h:02d}:00:00", "meter_reading": 10 * h}
        for h in range(6, 13)])
    tariff = {"id": "T1", "effective_date": "2025-01-01", "flat_rate": 0.10, "currency": "EUR",
              "periods": [{"name": "peak", "start": "08:00", "end": "11:00", "rate": 0.30}]}
    assert ingest(plant, "energy_tariffs", [tariff])["stored"] == 1
    body = plant.get("/api/oee/energy/cost", params={
        "machine_id": "M1", "time_period": "custom", "date_from": DAY, "date_to": DAY,
        "as_of": AS_OF}).json()
    assert (body["kwh"], body["cost"], body["currency"]) == (60, 12.0, "EUR")
    assert body["by_period"] == [{"period": "flat", "kwh": 30.0, "cost": 3.0},
                                 {"period": "peak", "kwh": 30.0, "cost": 9.0}]
    overlapping = {**tariff, "id": "T2", "periods": [
        {"name": "a", "start": "08:00", "end": "11:00", "rate": 0.3},
        {"name": "b", "start": "10:00", "end": "12:00", "rate": 0.2}]}
    response = plant.post("/api/ingest/energy_tariffs", json=[overlapping])
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "periods"


def test_energy_cost_without_a_tariff_says_how_to_add_one(plant: TestClient):
    response = plant.get("/api/oee/energy/cost", params={"site_id": "S1", "as_of": AS_OF})
    assert response.status_code == 422 and "energy_tariffs" in response.json()["error"]


# ---- analytics: reliability and bottlenecks ----------------------------------------------------

def test_mtbf_and_mttr_per_machine_from_breakdowns_only(plant: TestClient):
    post_events(
        plant,
        *({"machine_id": "M1", "reason_code": "BREAKDOWN", "start_time": f"{DAY}T0{h}:00:00",
           "end_time": f"{DAY}T0{h}:10:00"} for h in (7, 8)),
        {"machine_id": "M1", "reason_code": "MATERIAL", "start_time": f"{DAY}T09:00:00",
         "end_time": f"{DAY}T09:30:00"},  # an availability loss, not a failure
    )
    body = plant.get("/api/oee/analytics/mtbf", params={"line_id": "L1", **SHIFT}).json()
    m1, m2 = body["machines"]
    # M1: planned 420 min, down 50 → run 370 min; 2 failures of 10 min
    assert (m1["machine_id"], m1["failures"], m1["mtbf_minutes"], m1["mttr_minutes"]) == (
        "M1", 2, 185.0, 10.0)
    assert (m2["machine_id"], m2["failures"], m2["mtbf_minutes"]) == ("M2", 0, None)
    assert body["failures"] == 2 and body["mtbf_minutes"] == (370 + 420) / 2


def test_the_bottleneck_is_the_machine_with_the_lowest_effective_rate(plant: TestClient):
    ingest(plant, "production_counts", [
        {"machine_id": "M1", "timestamp": f"{DAY}T12:00:00", "total": 7000, "good": 7000},
        {"machine_id": "M2", "timestamp": f"{DAY}T12:00:00", "total": 350, "good": 350}])
    body = plant.get("/api/oee/analytics/bottlenecks", params={"line_id": "L1", **SHIFT}).json()
    (line,) = body["lines"]
    assert line["line_id"] == "L1" and line["bottleneck"] == "M2"
    assert line["line_rate_per_hour"] == 50.0  # 350 good in 7 planned hours
    assert [m["machine_id"] for m in line["machines"]] == ["M2", "M1"]


def test_performance_and_quality_of_a_machine(plant: TestClient):
    vorne(plant)
    body = plant.get("/api/oee/performance/M1", params=SHIFT).json()
    assert body["scope"]["id"] == "M1"
    assert body["units"] == 19271 and body["ideal_cycle_seconds"] == 1.0
    assert body["actual_cycle_seconds"] == round(373 * 60 / 19271, 3)
    assert body["performance"] == 86.11
    assert body["reduced_speed_minutes"] == pytest.approx(373 - 19271 / 60, abs=0.01)
    assert plant.get("/api/oee/performance/M404", params=SHIFT).status_code == 404
    q = plant.get("/api/oee/quality/yield", params={"machine_id": "M1", **SHIFT}).json()
    assert (q["good"], q["scrap"], q["first_pass_yield"], q["scrap_rate"]) == (
        18848, 423, 97.8, 2.2)
    assert q["process_defect_minutes"] == pytest.approx(423 / 60, abs=0.01)
