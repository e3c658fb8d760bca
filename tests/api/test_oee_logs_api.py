"""Performance logs and quality events on both stores (seed 004 §3.1, §4.3–4.4): worked
examples computed by hand, empty windows and zero units (null, not 0), bad input that stores
nothing, the lists with their filters and CSV, and pooled efficiency over a split window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.conftest import load
from api.test_errors import check_error

# One Berlin site with a line of two machines (ideal cycle times 60 s and 30 s) and one UTC
# site whose oven has no ideal cycle time. W1 runs on M1 making P1.
PLANT: dict[str, list[dict[str, Any]]] = {
    "sites": [{"id": "S1", "name": "Berlin", "timezone": "Europe/Berlin"},
              {"id": "S2", "name": "Round the clock", "timezone": "UTC"}],
    "lines": [{"id": "L1", "site_id": "S1", "name": "Line 1"}],
    "machines": [
        {"id": "M1", "site_id": "S1", "line_id": "L1", "name": "Press 1",
         "ideal_cycle_time_s": 60},
        {"id": "M2", "site_id": "S1", "line_id": "L1", "name": "Press 2",
         "ideal_cycle_time_s": 30},
        {"id": "M9", "site_id": "S2", "name": "Oven"},
    ],
    "work_orders": [{"id": "W1", "site_id": "S1", "machine_id": "M1", "status": "Start",
                     "start_time": "2025-10-14T06:00:00", "end_time": "2025-10-14T14:00:00",
                     "product_id": "P1"}],
}
DAY, NEXT = "2025-10-14", "2025-10-15"
AS_OF = "2025-10-17T00:00:00+02:00"
TWO_DAYS = {"time_period": "custom", "date_from": DAY, "date_to": NEXT, "as_of": AS_OF}
CYCLE, SCRAP = "/api/oee/performance/cycle-time", "/api/oee/quality/scrap"
LOGS, EVENTS = "/api/oee/performance", "/api/oee/quality"


@pytest.fixture
def plant(client: TestClient) -> TestClient:
    load(client, PLANT)
    return client


def log(client: TestClient, *records: dict[str, Any], org: str | None = None
        ) -> list[dict[str, Any]]:
    headers = {"X-Organization": org} if org else None
    response = client.post(f"{LOGS}/log", json=list(records), headers=headers)
    assert response.status_code == 201, response.json()
    assert response.json()["stored"] == len(records)
    return response.json()["data"]


def events(client: TestClient, *records: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(f"{EVENTS}/event", json=list(records))
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.json()
    return response.json()


# ---- cycle-time analysis -----------------------------------------------------------------------

def test_cycle_time_worked_example_pools_efficiency(plant: TestClient):
    # 100 units at 60 s, 50 at 75 s, 50 at 50 s against M1's 60 s ideal (one target logged):
    # A = 6000 + 3750 + 2500 = 12250 s, T = 60 · 200 = 12000 s, efficiency 97.96 %;
    # speed loss only where slower: (75 − 60) · 50 = 750 s = 12.5 min.
    rows = log(plant,
               {"machine_id": "M1", "logged_at": f"{DAY}T08:00:00", "actual_cycle_time_s": 60,
                "units_produced": 100},
               {"machine_id": "M1", "logged_at": f"{DAY}T09:00:00", "actual_cycle_time_s": 75,
                "units_produced": 50},
               {"machine_id": "M1", "logged_at": f"{DAY}T10:00:00", "actual_cycle_time_s": 50,
                "units_produced": 50, "target_cycle_time_s": 60})
    assert [(r["efficiency_pct"], r["speed_loss_pct"], r["target_source"]) for r in rows] == [
        (100.0, 0.0, "ideal"), (80.0, 20.0, "ideal"), (120.0, 0.0, "logged")]
    body = get(plant, CYCLE, machine_id="M1", **TWO_DAYS)
    assert {k: body[k] for k in (
        "logs", "units", "mean_cycle_time_s", "min_cycle_time_s", "max_cycle_time_s",
        "p50_cycle_time_s", "p90_cycle_time_s", "target_cycle_time_s", "efficiency_pct",
        "speed_loss_pct", "speed_loss_minutes", "actual_work_s", "target_work_s",
        "units_without_target")} == {
        "logs": 3, "units": 200, "mean_cycle_time_s": 61.25, "min_cycle_time_s": 50,
        "max_cycle_time_s": 75, "p50_cycle_time_s": 60, "p90_cycle_time_s": 75,
        "target_cycle_time_s": 60, "efficiency_pct": 97.96, "speed_loss_pct": 2.04,
        "speed_loss_minutes": 12.5, "actual_work_s": 12250, "target_work_s": 12000,
        "units_without_target": 0}
    assert body["efficiency_pct"] != (100 + 80 + 120) / 3  # never the mean of percentages
    assert body["scope"] == {"type": "machine", "id": "M1", "work_order_id": None}
    (machine,) = body["machines"]
    assert machine["machine_id"] == "M1" and machine["efficiency_pct"] == 97.96
    assert [d["date"] for d in body["daily"]] == [DAY]
    line = get(plant, CYCLE, line_id="L1", **TWO_DAYS)
    assert [m["machine_id"] for m in line["machines"]] == ["M1", "M2"]
    assert line["machines"][1]["logs"] == 0 and line["machines"][1]["efficiency_pct"] is None
    assert line["efficiency_pct"] == 97.96


def test_targets_products_and_local_days(plant: TestClient):
    # P1 on M1 has an ideal of 50 s (more specific than P1's 40 s anywhere).
    # A: 60 units of P1 at 55 s at noon. B: 120 units at 75 s over 23:00–01:00 local, half on
    # each day, against M1's own 60 s. Whole: A = 3300 + 9000, T = 3000 + 7200.
    load(plant, {"ideal_cycle_times": [
        {"product_id": "P1", "ideal_cycle_time_s": 40},
        {"product_id": "P1", "machine_id": "M1", "ideal_cycle_time_s": 50}]})
    log(plant,
        {"id": "A", "machine_id": "M1", "logged_at": f"{DAY}T12:00:00",
         "actual_cycle_time_s": 55, "units_produced": 60, "product_id": "P1"},
        {"id": "B", "machine_id": "M1", "period_start": f"{DAY}T23:00:00",
         "logged_at": f"{NEXT}T01:00:00+02:00", "actual_cycle_time_s": 75,
         "units_produced": 120})
    body = get(plant, CYCLE, machine_id="M1", **TWO_DAYS)
    assert body["efficiency_pct"] == round(100 * 10200 / 12300, 2) == 82.93
    assert body["speed_loss_minutes"] == (5 * 60 + 15 * 120) / 60 == 35
    assert [(p["product_id"], p["units"], p["target_cycle_time_s"], p["efficiency_pct"])
            for p in body["products"]] == [("P1", 60, 50, 90.91), (None, 120, 60, 80.0)]
    assert [(d["date"], d["units"], d["efficiency_pct"]) for d in body["daily"]] == [
        (DAY, 120, round(100 * (3000 + 3600) / (3300 + 4500), 2)), (NEXT, 60, 80.0)]
    second_day = get(plant, CYCLE, machine_id="M1", time_period="custom", date_from=NEXT,
                     date_to=NEXT, as_of=AS_OF)
    assert (second_day["units"], second_day["mean_cycle_time_s"]) == (60, 75)  # pro-rated
    half_known = get(plant, CYCLE, machine_id="M1", **{**TWO_DAYS,
                                                        "as_of": f"{NEXT}T00:30:00+02:00"})
    assert half_known["units"] == 60  # B is reported at 01:00: not yet known at 00:30


def test_an_empty_window_is_null_not_zero(plant: TestClient):
    body = get(plant, CYCLE, site_id="S1", **TWO_DAYS)
    assert (body["logs"], body["units"]) == (0, 0)
    for field in ("mean_cycle_time_s", "min_cycle_time_s", "p50_cycle_time_s",
                  "target_cycle_time_s", "efficiency_pct", "speed_loss_pct",
                  "speed_loss_minutes", "target_work_s"):
        assert body[field] is None, field
    assert body["daily"] == [] and body["products"] == []
    assert [m["machine_id"] for m in body["machines"]] == ["M1", "M2"]
    scrap = get(plant, SCRAP, site_id="S1", **TWO_DAYS)
    assert scrap["counted"]["scrap_rate"] is None and scrap["counted"]["total"] == 0
    assert (scrap["events"], scrap["by_reason"], scrap["daily"]) == (0, [], [])
    future = get(plant, CYCLE, machine_id="M1", start="2026-01-01T00:00:00Z",
                 end="2026-01-02T00:00:00Z", as_of=AS_OF)
    assert future["efficiency_pct"] is None and future["logs"] == 0


def test_zero_units_and_missing_targets_leave_ratios_undefined(plant: TestClient):
    log(plant, {"machine_id": "M1", "logged_at": f"{DAY}T08:00:00", "actual_cycle_time_s": 60,
                "units_produced": 0})
    body = get(plant, CYCLE, machine_id="M1", **TWO_DAYS)
    assert (body["logs"], body["units"], body["mean_cycle_time_s"], body["min_cycle_time_s"],
            body["efficiency_pct"], body["speed_loss_minutes"]) == (1, 0, None, None, None, None)
    # the oven has no ideal cycle time: its efficiency is not guessed
    log(plant, {"machine_id": "M9", "logged_at": f"{DAY}T08:00:00Z", "actual_cycle_time_s": 90,
                "units_produced": 10},
        {"machine_id": "M9", "logged_at": f"{DAY}T09:00:00Z", "actual_cycle_time_s": 80,
         "units_produced": 10, "target_cycle_time_s": 80})
    oven = get(plant, CYCLE, machine_id="M9", **TWO_DAYS)
    assert (oven["units"], oven["mean_cycle_time_s"], oven["units_without_target"]) == (20, 85, 10)
    assert oven["efficiency_pct"] is None and oven["target_cycle_time_s"] is None
    listed = get(plant, LOGS, machine_id="M9")["data"]
    assert [(r["target_source"], r["efficiency_pct"]) for r in listed] == [
        ("logged", 100.0), (None, None)]


def test_a_work_order_window_counts_its_own_logs_only(plant: TestClient):
    log(plant,
        {"machine_id": "M1", "logged_at": f"{DAY}T08:00:00", "actual_cycle_time_s": 50,
         "units_produced": 10, "work_order_id": "W1"},
        {"machine_id": "M1", "logged_at": f"{DAY}T09:00:00", "actual_cycle_time_s": 90,
         "units_produced": 10},
        {"machine_id": "M1", "logged_at": f"{DAY}T15:00:00", "actual_cycle_time_s": 90,
         "units_produced": 10, "work_order_id": "W1"})  # after W1's end: outside its window
    body = get(plant, CYCLE, work_order_id="W1", as_of=AS_OF)
    assert body["scope"]["work_order_id"] == "W1"
    assert (body["units"], body["mean_cycle_time_s"]) == (10, 50)
    (machine,) = body["machines"]
    assert machine["products"][0]["product_id"] == "P1"  # from the work order


def test_the_machine_performance_route_is_not_shadowed(plant: TestClient):
    assert "units" in get(plant, "/api/oee/performance/M1", as_of=AS_OF)
    assert get(plant, CYCLE, machine_id="M1", as_of=AS_OF)["logs"] == 0


# ---- scrap analysis ------------------------------------------------------------------------------

SCRAP_EVENTS = [
    {"machine_id": "M1", "occurred_at": f"{DAY}T08:00:00", "event_type": "scrap",
     "quantity": 12, "reason_code": "DIM", "defect_type": "dimensional"},
    {"machine_id": "M1", "occurred_at": f"{DAY}T09:00:00", "event_type": "scrap",
     "quantity": 6, "reason_code": "SCRATCH", "defect_type": "surface"},
    {"machine_id": "M2", "occurred_at": f"{NEXT}T08:00:00", "event_type": "scrap",
     "quantity": 8, "reason_code": "DIM", "defect_type": "dimensional"},
    {"machine_id": "M2", "occurred_at": f"{NEXT}T09:00:00", "event_type": "scrap",
     "quantity": 4, "defect_type": "surface"},
    {"machine_id": "M2", "occurred_at": f"{NEXT}T10:00:00", "event_type": "rework",
     "quantity": 10, "reason_code": "SCRATCH"},
    {"machine_id": "M1", "occurred_at": f"{DAY}T11:00:00", "event_type": "inspection_pass",
     "quantity": 100},
]
SCRAP_COUNTS = [
    {"machine_id": "M1", "timestamp": f"{DAY}T12:00:00", "total": 1000, "good": 970},
    {"machine_id": "M2", "timestamp": f"{NEXT}T12:00:00", "total": 500, "good": 470,
     "scrap": 20, "rework": 10},
]


def test_scrap_worked_example(plant: TestClient):
    # Scrap events: DIM 12 + 8 = 20, SCRATCH 6, no reason 4: 30 in all. Counted: M1 30 of
    # 1000, M2 20 of 500 (and 10 rework): 50 / 1500 = 3.33 %.
    events(plant, *SCRAP_EVENTS)
    load(plant, {"production_counts": SCRAP_COUNTS})
    body = get(plant, SCRAP, site_id="S1", **TWO_DAYS)
    assert (body["scrap_quantity"], body["rework_quantity"], body["events"]) == (30, 10, 5)
    assert body["counted"] == {"total": 1500, "good": 1440, "scrap": 50, "rework": 10,
                               "scrap_rate": 3.33, "rework_rate": 0.67}
    assert [(r["key"], r["quantity"], r["events"], r["share"], r["cumulative_share"])
            for r in body["by_reason"]] == [("DIM", 20, 2, 66.67, 66.67),
                                            ("SCRATCH", 6, 1, 20.0, 86.67),
                                            (None, 4, 1, 13.33, 100.0)]
    assert [(r["key"], r["quantity"], r["share"], r["cumulative_share"])
            for r in body["by_defect_type"]] == [("dimensional", 20, 66.67, 66.67),
                                                 ("surface", 10, 33.33, 100.0)]
    assert [(r["key"], r["name"], r["quantity"], r["share"], r["counted"]["scrap_rate"])
            for r in body["by_machine"]] == [("M1", "Press 1", 18, 60.0, 3.0),
                                             ("M2", "Press 2", 12, 40.0, 4.0)]
    assert [(d["date"], d["scrap_quantity"], d["rework_quantity"], d["events"],
             d["counted"]["total"], d["counted"]["scrap_rate"]) for d in body["daily"]] == [
        (DAY, 18, 0, 2, 1000, 3.0), (NEXT, 12, 10, 3, 500, 4.0)]
    with_rework = get(plant, SCRAP, site_id="S1", include_rework=True, **TWO_DAYS)
    assert [(r["key"], r["quantity"], r["share"], r["cumulative_share"])
            for r in with_rework["by_reason"]] == [("DIM", 20, 50.0, 50.0),
                                                   ("SCRATCH", 16, 40.0, 90.0),
                                                   (None, 4, 10.0, 100.0)]
    # the counted scrap rate is the one /quality/yield reports for the same window
    yielded = get(plant, "/api/oee/quality/yield", site_id="S1", **TWO_DAYS)
    assert yielded["scrap_rate"] == body["counted"]["scrap_rate"]
    one_machine = get(plant, SCRAP, machine_id="M2", **TWO_DAYS)
    assert [r["key"] for r in one_machine["by_reason"]] == ["DIM", None]


# ---- bad input ---------------------------------------------------------------------------------

GOOD_LOG = {"machine_id": "M1", "logged_at": f"{DAY}T08:00:00", "actual_cycle_time_s": 60,
            "units_produced": 10}
GOOD_EVENT = {"machine_id": "M1", "occurred_at": f"{DAY}T08:00:00", "event_type": "scrap",
              "quantity": 3}


@pytest.mark.parametrize(("change", "field"), [
    ({"machine_id": "M404"}, "machine_id"),
    ({"work_order_id": "W404"}, "work_order_id"),
    ({"machine_id": "M2", "work_order_id": "W1"}, "work_order_id"),  # W1 runs on M1
    ({"actual_cycle_time_s": 0}, "actual_cycle_time_s"),
    ({"actual_cycle_time_s": -5}, "actual_cycle_time_s"),
    ({"units_produced": -1}, "units_produced"),
    ({"target_cycle_time_s": -60}, "target_cycle_time_s"),
    ({"period_start": f"{DAY}T09:00:00"}, "period_start"),
    ({"period_start": "2023-01-01T00:00:00"}, "period_start"),  # longer than a year
    ({"logged_at": "yesterday"}, "logged_at"),
    ({"logged_at": None}, "logged_at"),
    ({"efficiency_pct": 90}, "efficiency_pct"),  # derived on read, never sent
])
def test_bad_performance_logs_are_rejected_and_store_nothing(
        plant: TestClient, change: dict[str, Any], field: str):
    response = plant.post(f"{LOGS}/log", json={**GOOD_LOG, **change})
    assert response.status_code == 422, response.json()
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert check_error(response, 422, "^invalid performance log: ",
                       [{"field": field, "reason": "."}]) == []
    assert get(plant, LOGS)["count"] == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": -1}, "quantity"),
    ({"event_type": "explosion"}, "event_type"),
    ({"machine_id": "M404"}, "machine_id"),
    ({"work_order_id": "W404"}, "work_order_id"),
    ({"occurred_at": "2025-13-01T00:00:00"}, "occurred_at"),
])
def test_bad_quality_events_are_rejected_and_store_nothing(
        plant: TestClient, change: dict[str, Any], field: str):
    response = plant.post(f"{EVENTS}/event", json={**GOOD_EVENT, **change})
    assert response.status_code == 422, response.json()
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert get(plant, EVENTS)["count"] == 0


def test_a_bad_record_in_a_list_stores_none_and_names_its_index(plant: TestClient):
    response = plant.post(f"{EVENTS}/event", json=[
        GOOD_EVENT, {**GOOD_EVENT, "quantity": -2}, {**GOOD_EVENT, "machine_id": "M404"}])
    assert check_error(response, 422, "2 of 3 quality events are invalid; nothing was stored", [
        {"index": 1, "field": "quantity", "reason": "greater than or equal to 0"},
        {"index": 2, "field": "machine_id", "reason": "^unknown machine 'M404'$"}]) == []
    twice = plant.post(f"{LOGS}/log", json=[{**GOOD_LOG, "id": "X"}, {**GOOD_LOG, "id": "X"}])
    assert twice.status_code == 422 and twice.json()["errors"][0]["index"] == 1
    assert get(plant, EVENTS)["count"] == 0 and get(plant, LOGS)["count"] == 0
    log(plant, {**GOOD_LOG, "id": "X"})
    again = plant.post(f"{LOGS}/log", json={**GOOD_LOG, "id": "X", "units_produced": 99})
    assert again.status_code == 409 and "POST /api/ingest/performance_logs" in again.json()[
        "error"]
    assert get(plant, LOGS)["data"][0]["units_produced"] == 10
    assert check_error(plant.post(f"{LOGS}/log", json=[]), 422,
                       "send one performance log or a non-empty list of them",
                       [{"field": None, "reason": "empty list"}]) == []
    assert plant.post(f"{LOGS}/log", json=[5]).status_code == 422
    assert plant.post(f"{EVENTS}/event", json="scrap").status_code == 422


def test_naive_timestamps_are_read_in_the_site_zone(plant: TestClient):
    (berlin,) = log(plant, GOOD_LOG)
    assert berlin["logged_at"] == f"{DAY}T06:00:00+00:00"
    (oven,) = events(plant, {**GOOD_EVENT, "machine_id": "M9", "event_type": "Inspection-Pass"})
    assert oven["occurred_at"] == f"{DAY}T08:00:00+00:00"
    assert oven["event_type"] == "inspection_pass" and oven["site_id"] == "S2"
    for path in (LOGS, EVENTS, CYCLE):
        response = plant.get(path, params={"start": f"{DAY}T00:00:00",
                                           "end": f"{NEXT}T00:00:00+02:00"})
        assert response.status_code == 422, path
        assert [e["field"] for e in response.json()["errors"]] in (["start"], [None]), path
        assert "UTC offset" in response.json()["errors"][0]["reason"]
    assert plant.get(LOGS, params={"start": f"{NEXT}T00:00:00Z",
                                   "end": f"{DAY}T00:00:00Z"}).status_code == 422


def test_ingest_accepts_the_new_kinds_and_upserts_by_id(plant: TestClient):
    record = {**GOOD_LOG, "id": "L1", "timestamp": GOOD_LOG["logged_at"]}
    del record["logged_at"]  # seed 004's name for it
    assert plant.post("/api/ingest/performance_logs", json=[record]).json()["stored"] == 1
    record["units_produced"] = 20
    assert plant.post("/api/ingest/performance_logs", json=[record]).json()["stored"] == 1
    assert [r["units_produced"] for r in get(plant, LOGS)["data"]] == [20]
    bad = plant.post("/api/ingest/quality_events", json=[{**GOOD_EVENT, "id": "Q1"},
                                                         {**GOOD_EVENT, "id": "Q2",
                                                          "quantity": -1}])
    assert bad.status_code == 422 and bad.json()["errors"][0]["index"] == 1
    assert "performance_logs" in plant.get("/api/ingest").json()["kinds"]


# ---- lists -----------------------------------------------------------------------------------

def test_lists_filter_page_and_answer_csv(plant: TestClient):
    log(plant,
        {**GOOD_LOG, "id": "P-a", "logged_at": f"{DAY}T08:00:00", "work_order_id": "W1"},
        {**GOOD_LOG, "id": "P-b", "logged_at": f"{DAY}T09:00:00", "machine_id": "M2"},
        {**GOOD_LOG, "id": "P-c", "logged_at": f"{DAY}T10:00:00Z", "machine_id": "M9"},
        {**GOOD_LOG, "id": "P-d", "period_start": f"{DAY}T23:00:00",
         "logged_at": f"{NEXT}T01:00:00"})
    events(plant, *({**e, "id": f"E{i}"} for i, e in enumerate(SCRAP_EVENTS)))

    def ids(path: str, **params: Any) -> list[str]:
        return [r["id"] for r in get(plant, path, **params)["data"]]

    assert ids(LOGS) == ["P-d", "P-c", "P-b", "P-a"]  # newest first
    assert ids(LOGS, line_id="L1") == ["P-d", "P-b", "P-a"]
    assert ids(LOGS, site_id="S2") == ["P-c"] and ids(LOGS, work_order_id="W1") == ["P-a"]
    assert ids(LOGS, machine_id="M1", line_id="L1") == ["P-d", "P-a"]
    # a log over 23:00–01:00 reaches into a window that ends at midnight
    assert ids(LOGS, start=f"{DAY}T07:30:00+02:00", end=f"{NEXT}T00:00:00+02:00") == [
        "P-d", "P-c", "P-b", "P-a"]
    assert ids(LOGS, end=f"{DAY}T08:30:00+02:00") == ["P-a"]
    page = get(plant, LOGS, limit=2, offset=1)
    assert [r["id"] for r in page["data"]] == ["P-c", "P-b"] and page["count"] == 4
    assert ids(EVENTS, event_type="rework") == ["E4"]
    assert ids(EVENTS, machine_id="M2", start=f"{NEXT}T09:00:00+02:00") == ["E4", "E3"]
    assert ids(LOGS, machine_id="M404") == []
    for path, name in ((LOGS, "performance-logs"), (EVENTS, "quality-events")):
        as_csv = plant.get(path, params={"format": "csv"})
        assert as_csv.status_code == 200
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert f'filename="{name}.csv"' in as_csv.headers["content-disposition"]
        header, *lines = as_csv.text.splitlines()
        assert header.startswith("id,site_id,machine_id,") and len(lines) in (4, 6)
        accepted = plant.get(path, headers={"Accept": "text/csv"})
        assert accepted.text == as_csv.text
    assert "efficiency_pct" in plant.get(LOGS, params={"format": "csv"}).text.splitlines()[0]
    assert plant.get(LOGS, params={"limit": 0}).status_code == 422
    assert plant.get(EVENTS, params={"event_type": "explosion"}).status_code == 422


# ---- property: efficiency pools ----------------------------------------------------------------

START = datetime(2025, 10, 14, tzinfo=UTC)
HOURS = 48
LOGS_STRATEGY = st.lists(st.tuples(
    st.integers(0, HOURS * 60 - 1),  # logged_at, minutes after START
    st.one_of(st.none(), st.integers(1, 600)),  # the period it covers, minutes
    st.integers(10, 600),  # actual cycle time [s]
    st.integers(1, 1000),  # units
    st.sampled_from([None, 30.0, 60.0, 90.0]),  # logged target (None: M1's ideal 60 s)
), min_size=1, max_size=8)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=LOGS_STRATEGY, split=st.integers(1, HOURS * 60 - 1))
def test_efficiency_over_a_split_window_pools_to_the_whole(
        client: TestClient, records: list[tuple], split: int):
    org = f"prop-{uuid.uuid4().hex[:12]}"
    load(client, {k: PLANT[k] for k in ("sites", "lines", "machines")}, org=org)
    log(client, *({"machine_id": "M9" if target is None and i % 3 == 2 else "M1",
                   "logged_at": (START + timedelta(minutes=at)).isoformat(),
                   "period_start": None if period is None
                   else (START + timedelta(minutes=at - period)).isoformat(),
                   "actual_cycle_time_s": actual, "units_produced": units,
                   "target_cycle_time_s": target}
                  for i, (at, period, actual, units, target) in enumerate(records)), org=org)
    cut = START + timedelta(minutes=split)
    end = START + timedelta(hours=HOURS)

    def over(lo: datetime, hi: datetime) -> dict[str, Any]:
        response = client.get(CYCLE, headers={"X-Organization": org}, params={
            "start": lo.isoformat(), "end": hi.isoformat(), "as_of": AS_OF,
            "include_machines": False})
        assert response.status_code == 200, response.json()
        return response.json()

    whole, halves = over(START, end), [over(START, cut), over(cut, end)]
    assert whole["units"] == pytest.approx(sum(h["units"] for h in halves), abs=0.01)
    parts = [h for h in halves if h["units"] > 0]
    if not parts or any(h["target_work_s"] is None for h in parts):
        assert whole["efficiency_pct"] is None
        return
    target = sum(h["target_work_s"] for h in parts)
    actual = sum(h["actual_work_s"] for h in parts)
    pooled = 100 * target / actual
    # the halves' seconds are rounded to 3 decimals: a sliver of a log in one half carries
    # that rounding into the pooled ratio (relative error ≤ slack/target + slack/actual)
    slack = 0.0005 * len(parts)
    assert whole["efficiency_pct"] == pytest.approx(
        pooled, abs=0.01 + pooled * (slack / target + slack / actual))
