"""Energy analytics on both stores (seed 004 §7.5): kWh by work order, batch, product and
machine; trends by local hour, day, week and month; comparison with a previous period. Every
expected value is worked out by hand in the comments."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import load

# Berlin (CEST, +02:00 in mid-October; CET from 26 October) and a UTC site.
PLANT: dict[str, list[dict[str, Any]]] = {
    "sites": [{"id": "S1", "name": "Berlin", "timezone": "Europe/Berlin"},
              {"id": "S2", "name": "Round the clock", "timezone": "UTC"}],
    "lines": [{"id": "L1", "site_id": "S1", "name": "Line 1"}],
    "machines": [{"id": "M1", "site_id": "S1", "line_id": "L1", "name": "Press 1"},
                 {"id": "M2", "site_id": "S1", "line_id": "L1", "name": "Press 2"},
                 {"id": "M9", "site_id": "S2", "name": "Oven"}],
    "work_orders": [
        {"id": "WO-A", "site_id": "S1", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-14T00:00:00", "end_time": "2025-10-14T08:00:00",
         "product_id": "P1"},
        {"id": "WO-B", "site_id": "S1", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-14T08:00:00", "end_time": "2025-10-14T16:00:00",
         "product_id": "P2"},
        {"id": "WO-C", "site_id": "S1", "machine_id": "M2", "status": "Completed",
         "start_time": "2025-10-14T06:00:00", "end_time": "2025-10-14T14:00:00",
         "product_id": "P1"},
    ],
}
DAY = "2025-10-14"
AS_OF = "2025-10-16T00:00:00+02:00"
LATER = "2025-12-01T00:00:00+01:00"
ONE_DAY = {"time_period": "custom", "date_from": DAY, "date_to": DAY, "as_of": AS_OF}

# M1: a meter, reset to 0 before the noon reading. The window is local 14 October.
#   13 Oct 22:00  1000                baseline (before the window)
#   14 Oct 02:00  1040  WO-A, batch BA  40 kWh over 22:00–02:00, 2 h of 4 inside: 20
#   14 Oct 08:00  1100  WO-A, batch BA  60                                    WO-A 80
#   14 Oct 12:00    30  WO-B            reset: counted from 0, 30
#   14 Oct 16:00    90  WO-B            60                                    WO-B 90
#   14 Oct 20:00   110  (none)          20
#   15 Oct 04:00   190  (none)          80 over 20:00–04:00, 4 h of 8 inside: 40  none 60
# M1 total 230 kWh. Counts: WO-A 100 (80 good), WO-B 60 (45 good), none 10 (10 good).
M1_READINGS = [
    {"machine_id": "M1", "reading_time": "2025-10-13T22:00:00", "meter_reading": 1000},
    {"machine_id": "M1", "reading_time": f"{DAY}T02:00:00", "meter_reading": 1040,
     "work_order_id": "WO-A", "batch_id": "BA"},
    {"machine_id": "M1", "reading_time": f"{DAY}T08:00:00", "meter_reading": 1100,
     "work_order_id": "WO-A", "batch_id": "BA"},
    {"machine_id": "M1", "reading_time": f"{DAY}T12:00:00", "meter_reading": 30,
     "work_order_id": "WO-B"},
    {"machine_id": "M1", "reading_time": f"{DAY}T16:00:00", "meter_reading": 90,
     "work_order_id": "WO-B"},
    {"machine_id": "M1", "reading_time": f"{DAY}T20:00:00", "meter_reading": 110},
    {"machine_id": "M1", "reading_time": "2025-10-15T04:00:00", "meter_reading": 190},
]
# M2: increments. WO-C ran in two batches: B1 (5 at 06:00 with no earlier reading, then 40
# over 06:00–10:00: 45) and B2 (20 over 10:00–14:00). M2 total 65 kWh.
M2_READINGS = [
    {"machine_id": "M2", "reading_time": f"{DAY}T06:00:00", "kwh_consumed": 5,
     "work_order_id": "WO-C", "batch_id": "B1"},
    {"machine_id": "M2", "reading_time": f"{DAY}T10:00:00", "kwh_consumed": 40,
     "work_order_id": "WO-C", "batch_id": "B1"},
    {"machine_id": "M2", "reading_time": f"{DAY}T14:00:00", "kwh_consumed": 20,
     "work_order_id": "WO-C", "batch_id": "B2"},
]
COUNTS = [
    {"machine_id": "M1", "timestamp": f"{DAY}T07:00:00", "total": 100, "good": 80,
     "work_order_id": "WO-A"},
    {"machine_id": "M1", "timestamp": f"{DAY}T15:00:00", "total": 60, "good": 45,
     "work_order_id": "WO-B"},
    {"machine_id": "M1", "timestamp": f"{DAY}T21:00:00", "total": 10, "good": 10},
    # WO-C ran in B1 and B2: each count goes to the batch whose increment covers it
    {"machine_id": "M2", "timestamp": f"{DAY}T09:00:00", "total": 50, "good": 50,
     "work_order_id": "WO-C"},
    {"machine_id": "M2", "timestamp": f"{DAY}T13:00:00", "total": 20, "good": 10,
     "work_order_id": "WO-C"},
]
BASELINES = [
    {"id": "BL-P1", "product_id": "P1", "kwh_per_unit": 0.7, "effective_date": "2025-01-01"},
    {"id": "BL-M1", "machine_id": "M1", "kwh_per_unit": 1.0, "effective_date": "2025-01-01"},
    {"id": "BL-M1-P2", "machine_id": "M1", "product_id": "P2", "kwh_per_unit": 1.5,
     "effective_date": "2025-01-01"},
]


@pytest.fixture
def plant(client: TestClient) -> TestClient:
    load(client, PLANT)
    return client


@pytest.fixture
def day(plant: TestClient) -> TestClient:
    load(plant, {"energy_readings": M1_READINGS + M2_READINGS, "production_counts": COUNTS,
                 "energy_baselines": BASELINES})
    return plant


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/oee/energy/{path}", params=params)
    assert response.status_code == 200, response.json()
    return response.json()


def rows_by_key(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


# ---- kWh by work order, batch, product and machine --------------------------------------------

def test_kwh_by_work_order_with_a_meter_reset_and_a_reading_straddling_the_window(
        day: TestClient):
    body = get(day, "by/work_order", machine_id="M1", **ONE_DAY)
    rows = rows_by_key(body)
    assert list(rows) == ["WO-B", "WO-A", None]  # most kWh first, the unattributed last
    a, b, none = rows["WO-A"], rows["WO-B"], rows[None]
    assert (a["kwh"], a["units"], a["good_units"]) == (80.0, 100.0, 80.0)
    assert (a["kwh_per_unit"], a["kwh_per_good_unit"]) == (0.8, 1.0)
    assert (b["kwh"], b["units"], b["good_units"]) == (90.0, 60.0, 45.0)
    assert (b["kwh_per_unit"], b["kwh_per_good_unit"]) == (1.5, 2.0)
    assert (none["kwh"], none["units"], none["unattributed"]) == (60.0, 10.0, True)
    # shares of 230 kWh: 80/230, 90/230, 60/230
    assert (a["kwh_share_pct"], b["kwh_share_pct"], none["kwh_share_pct"]) == (
        34.78, 39.13, 26.09)
    assert body["totals"] == {"kwh": 230.0, "units": 170.0, "good_units": 135.0,
                              "kwh_per_unit": 1.353, "kwh_per_good_unit": 1.704}
    assert (body["window"]["start"], body["window"]["end"]) == (
        "2025-10-13T22:00:00+00:00", "2025-10-14T22:00:00+00:00")  # local 14 October


def test_baselines_most_specific_first_and_deviations_beyond_10_percent_flagged(
        day: TestClient):
    rows = rows_by_key(get(day, "by/work_order", machine_id="M1", **ONE_DAY))
    # WO-A makes P1 on M1: no M1+P1 baseline, so P1's 0.7: (0.8 − 0.7) / 0.7 = +14.29 %
    assert rows["WO-A"]["baseline"]["id"] == "BL-P1"
    assert (rows["WO-A"]["deviation_pct"], rows["WO-A"]["flagged"]) == (14.29, True)
    # WO-B makes P2 on M1: the M1+P2 baseline 1.5 exactly
    assert rows["WO-B"]["baseline"]["id"] == "BL-M1-P2"
    assert (rows["WO-B"]["deviation_pct"], rows["WO-B"]["flagged"]) == (0.0, False)
    assert rows[None]["baseline"] is None and rows[None]["deviation_pct"] is None
    machines = rows_by_key(get(day, "by/machine", line_id="L1", **ONE_DAY))
    # M1 made P1 and P2: its own baseline 1.0; 230 / 170 = 1.3529 → +35.29 %
    assert machines["M1"]["baseline"]["id"] == "BL-M1"
    assert (machines["M1"]["deviation_pct"], machines["M1"]["flagged"]) == (35.29, True)
    assert machines["M1"]["name"] == "Press 1"
    # M2 made only P1 (no M2 baseline): P1's 0.7; 65 / 70 = 0.9286 → +32.65 %
    assert machines["M2"]["baseline"]["id"] == "BL-P1"
    assert machines["M2"]["deviation_pct"] == 32.65


def test_batches_take_their_units_through_their_work_orders(day: TestClient):
    rows = rows_by_key(get(day, "by/batch", line_id="L1", **ONE_DAY))
    # BA: WO-A ran in BA only, so WO-A's count is BA's
    assert (rows["BA"]["kwh"], rows["BA"]["units"], rows["BA"]["good_units"]) == (80, 100, 80)
    # WO-C ran in B1 and B2: the 09:00 count falls in B1's increment, the 13:00 one in B2's
    assert (rows["B1"]["kwh"], rows["B1"]["units"], rows["B1"]["kwh_per_unit"]) == (45, 50, 0.9)
    assert (rows["B2"]["kwh"], rows["B2"]["units"], rows["B2"]["good_units"]) == (20, 20, 10)
    assert rows["B2"]["kwh_per_good_unit"] == 2.0
    # everything else has no batch: M1's WO-B (90) and untagged (60); units 60 + 10
    assert (rows[None]["kwh"], rows[None]["units"], rows[None]["good_units"]) == (150, 70, 55)


def test_products_come_from_the_work_orders(day: TestClient):
    rows = rows_by_key(get(day, "by/product", line_id="L1", **ONE_DAY))
    # P1: WO-A on M1 (80 kWh, 100 units) and WO-C on M2 (65 kWh, 70 units)
    assert (rows["P1"]["kwh"], rows["P1"]["units"], rows["P1"]["machine_ids"]) == (
        145, 170, ["M1", "M2"])
    assert rows["P1"]["baseline"]["id"] == "BL-P1"  # two machines: the product's own
    assert (rows["P2"]["kwh"], rows["P2"]["units"]) == (90, 60)
    assert (rows[None]["kwh"], rows[None]["units"]) == (60, 10)


@pytest.mark.parametrize("dimension", ["work_order", "batch", "product", "machine"])
def test_rows_always_sum_to_the_totals(day: TestClient, dimension: str):
    body = get(day, f"by/{dimension}", **ONE_DAY)  # the whole organization
    rows = body["rows"]
    assert body["totals"]["kwh"] == 295.0  # M1 230 + M2 65
    assert sum(r["kwh"] for r in rows) == pytest.approx(295.0)
    assert sum(r["units"] for r in rows) == pytest.approx(240.0)
    assert sum(r["good_units"] for r in rows) == pytest.approx(195.0)
    assert sum(r["kwh_share_pct"] for r in rows) == pytest.approx(100.0, abs=0.02)


def test_an_empty_window_has_zero_kwh_and_no_ratio(day: TestClient):
    body = get(day, "by/machine", time_period="custom", date_from="2025-09-01",
               date_to="2025-09-02", as_of=AS_OF)
    assert body["rows"] == [] and body["count"] == 0
    assert body["totals"] == {"kwh": 0.0, "units": 0.0, "good_units": 0.0,
                              "kwh_per_unit": None, "kwh_per_good_unit": None}
    future = get(day, "by/work_order", start="2030-01-01T00:00:00+00:00",
                 end="2030-01-02T00:00:00+00:00", as_of=AS_OF)
    assert future["totals"]["kwh"] == 0.0 and future["rows"] == []


def test_energy_without_units_has_no_intensity(plant: TestClient):
    load(plant, {"energy_readings": M2_READINGS})
    rows = rows_by_key(get(plant, "by/batch", machine_id="M2", **ONE_DAY))
    assert (rows["B1"]["kwh"], rows["B1"]["units"], rows["B1"]["kwh_per_unit"]) == (45, 0, None)
    assert rows["B1"]["kwh_per_good_unit"] is None and rows["B1"]["flagged"] is False


def test_the_window_is_cut_exactly_at_start_and_end(day: TestClient):
    # 01:00–07:00 local: 10 of the 40 kWh of 22:00–02:00 (1 h of 4) and 50 of the 60 of
    # 02:00–08:00 (5 h of 6); the 07:00 count is at the end, outside [start, end)
    body = get(day, "by/work_order", machine_id="M1", start=f"{DAY}T01:00:00+02:00",
               end=f"{DAY}T07:00:00+02:00", as_of=AS_OF)
    assert [(r["key"], r["kwh"], r["units"]) for r in body["rows"]] == [("WO-A", 60.0, 0.0)]


def test_readings_weeks_away_still_bound_the_increment_across_the_window(plant: TestClient):
    # M9 (UTC): meter 0 on 1 September, 720 on 1 October: 1 kWh an hour; 14 September gets 24
    load(plant, {"energy_readings": [
        {"machine_id": "M9", "reading_time": "2025-09-01T00:00:00+00:00", "meter_reading": 0},
        {"machine_id": "M9", "reading_time": "2025-10-01T00:00:00+00:00", "meter_reading": 720,
         "batch_id": "LONG"}]})
    body = get(plant, "by/batch", machine_id="M9", time_period="custom", date_from="2025-09-14",
               date_to="2025-09-14", as_of=AS_OF)
    assert [(r["key"], r["kwh"]) for r in body["rows"]] == [("LONG", 24.0)]
    # known at as_of only: on 20 September the October reading is not there yet
    early = get(plant, "by/batch", machine_id="M9", time_period="custom",
                date_from="2025-09-14", date_to="2025-09-14", as_of="2025-09-20T00:00:00Z")
    assert early["rows"] == [] and early["totals"]["kwh"] == 0.0


def test_by_dimension_as_csv(day: TestClient):
    response = day.get("/api/oee/energy/by/work_order",
                       params={"machine_id": "M1", "format": "csv", **ONE_DAY})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["key"], r["kwh"]) for r in table] == [("WO-B", "90.0"), ("WO-A", "80.0"),
                                                      ("", "60.0")]
    assert table[1]["baseline_kwh_per_unit"] == "0.7"


# ---- trends --------------------------------------------------------------------------------------

def hourly_meter(machine: str, first: str, hours: int, per_hour: float = 1.0,
                 zone: str = "+00:00") -> list[dict[str, Any]]:
    """A meter read every real hour from ``first`` (UTC), ``per_hour`` kWh an hour."""
    from datetime import datetime, timedelta
    start = datetime.fromisoformat(first + zone)
    return [{"machine_id": machine, "reading_time": (start + timedelta(hours=h)).isoformat(),
             "meter_reading": per_hour * h} for h in range(hours + 1)]


@pytest.fixture
def autumn(plant: TestClient) -> TestClient:
    # M1 draws 1 kWh every real hour from 24 Oct 22:00 UTC (25 Oct 00:00 CEST) for 5 days:
    # Berlin leaves summer time on Sunday 26 October (a 25-hour day)
    load(plant, {"energy_readings": hourly_meter("M1", "2025-10-24T22:00:00", 5 * 24),
                 "production_counts": [
                     {"machine_id": "M1", "timestamp": "2025-10-26T12:00:00", "total": 50,
                      "good": 40},
                     {"machine_id": "M1", "timestamp": "2025-10-27T12:00:00", "total": 48,
                      "good": 48}],
                 "energy_tariffs": [{"id": "T1", "effective_date": "2025-01-01",
                                     "flat_rate": 0.2, "currency": "EUR"}]})
    return plant


def test_daily_trend_has_a_25_hour_day_in_autumn(autumn: TestClient):
    body = get(autumn, "trends", machine_id="M1", time_period="custom", date_from="2025-10-26",
               date_to="2025-10-27", granularity="day", as_of=LATER)
    assert [(b["period"], b["hours"], b["kwh"]) for b in body["buckets"]] == [
        ("2025-10-26", 25.0, 25.0), ("2025-10-27", 24.0, 24.0)]
    first, second = body["buckets"]
    assert (first["units"], first["kwh_per_unit"], first["kwh_per_good_unit"]) == (50, 0.5,
                                                                                   0.625)
    assert (first["cost"], second["cost"]) == (5.0, 4.8)  # 25 and 24 kWh at 0.20
    assert (first["start"], first["end"]) == ("2025-10-25T22:00:00+00:00",
                                              "2025-10-26T23:00:00+00:00")
    assert body["totals"] == {"kwh": 49.0, "units": 98.0, "good_units": 88.0,
                              "kwh_per_unit": 0.5, "kwh_per_good_unit": 0.557, "cost": 9.8}
    assert body["currency"] == "EUR" and body["series"] is None


def test_hourly_trend_shows_both_two_oclock_hours(autumn: TestClient):
    body = get(autumn, "trends", machine_id="M1", time_period="custom", date_from="2025-10-26",
               date_to="2025-10-26", granularity="hour", as_of=LATER)
    periods = [b["period"] for b in body["buckets"]]
    assert len(periods) == 25 and all(b["kwh"] == 1.0 for b in body["buckets"])
    assert periods[2:4] == ["2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00"]


def test_spring_forward_day_has_23_hours(plant: TestClient):
    # 1 kWh an hour from 29 March 23:00 UTC (30 March 00:00 CET) for two days
    load(plant, {"energy_readings": hourly_meter("M1", "2025-03-29T23:00:00", 48)})
    body = get(plant, "trends", machine_id="M1", time_period="custom", date_from="2025-03-30",
               date_to="2025-03-31", as_of=LATER)
    assert [(b["period"], b["hours"], b["kwh"]) for b in body["buckets"]] == [
        ("2025-03-30", 23.0, 23.0), ("2025-03-31", 24.0, 24.0)]
    assert body["totals"]["cost"] is None and body["currency"] is None  # no tariff
    hours = get(plant, "trends", machine_id="M1", time_period="custom", date_from="2025-03-30",
                date_to="2025-03-30", granularity="hour", as_of=LATER)
    assert len(hours["buckets"]) == 23


def test_weeks_start_on_monday_and_months_are_calendar_months(autumn: TestClient):
    weekly = get(autumn, "trends", machine_id="M1", time_period="custom",
                 date_from="2025-10-20", date_to="2025-11-02", granularity="week", as_of=LATER)
    # 120 h from Sat 25 Oct 00:00 local: Sat 24 h + Sun 25 h in the first week, then 71 h
    assert [(b["period"], b["hours"], b["kwh"]) for b in weekly["buckets"]] == [
        ("2025-10-20", 169.0, 49.0), ("2025-10-27", 168.0, 71.0)]
    monthly = get(autumn, "trends", machine_id="M1", time_period="custom",
                  date_from="2025-10-01", date_to="2025-11-30", granularity="month",
                  as_of=LATER)
    assert [(b["period"], b["hours"], b["kwh"]) for b in monthly["buckets"]] == [
        ("2025-10", 31 * 24 + 1, 120.0), ("2025-11", 30 * 24, 0.0)]


def test_trend_series_per_machine_and_per_product(day: TestClient):
    body = get(day, "trends", line_id="L1", by="machine", **ONE_DAY)
    series = {s["key"]: s for s in body["series"]}
    assert list(series) == ["M1", "M2"]
    assert series["M1"]["totals"]["kwh"] == 230.0 and series["M2"]["totals"]["kwh"] == 65.0
    assert body["totals"]["kwh"] == 295.0 and len(body["buckets"]) == 1
    products = get(day, "trends", line_id="L1", by="product", **ONE_DAY)
    totals = {s["key"]: (s["totals"]["kwh"], s["totals"]["units"]) for s in products["series"]}
    assert totals == {"P1": (145.0, 170.0), "P2": (90.0, 60.0), None: (60.0, 10.0)}
    response = day.get("/api/oee/energy/trends",
                       params={"line_id": "L1", "by": "machine", "format": "csv", **ONE_DAY})
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["machine"], r["kwh"]) for r in table] == [("M1", "230.0"), ("M2", "65.0")]


def test_an_empty_trend_has_zero_buckets_not_missing_ones(plant: TestClient):
    body = get(plant, "trends", machine_id="M1", time_period="custom", date_from="2025-10-01",
               date_to="2025-10-03", as_of=AS_OF)
    assert [(b["kwh"], b["units"], b["kwh_per_unit"]) for b in body["buckets"]] == [
        (0.0, 0.0, None)] * 3


# ---- comparisons -------------------------------------------------------------------------------

@pytest.fixture
def two_weeks(plant: TestClient) -> TestClient:
    # M1: 100 kWh for 100 good units last week, 80 kWh for 100 this week (better);
    # M2: 50 kWh for 100 good units last week, 90 kWh for 100 this week (worse)
    readings, counts = [], []
    for machine, kwh_then, kwh_now in (("M1", 100, 80), ("M2", 50, 90)):
        for day, kwh in (("2025-10-07", kwh_then), ("2025-10-14", kwh_now)):
            # an empty reading at 09:00 starts the hour the energy was used in
            readings += [{"machine_id": machine, "reading_time": f"{day}T09:00:00",
                          "kwh_consumed": 0},
                         {"machine_id": machine, "reading_time": f"{day}T10:00:00",
                          "kwh_consumed": kwh}]
            counts.append({"machine_id": machine, "timestamp": f"{day}T10:00:00",
                           "total": 100, "good": 100})
    load(plant, {"energy_readings": readings, "production_counts": counts})
    return plant


def test_lower_kwh_per_unit_is_an_improvement_and_ranks_first(two_weeks: TestClient):
    body = get(two_weeks, "comparisons", line_id="L1", comparison_type="previous_week",
               **ONE_DAY)
    assert body["current_period"]["start"].startswith("2025-10-13T22:00:00")
    assert body["comparison_period"]["start"].startswith("2025-10-06T22:00:00")
    rows = rows_by_key(body)
    m1, m2 = rows["M1"]["comparison"], rows["M2"]["comparison"]
    assert (m1["kwh_per_good_unit"]["current"], m1["kwh_per_good_unit"]["previous"]) == (0.8, 1.0)
    assert m1["kwh_per_good_unit"]["trend"] == "down"
    assert m1["kwh_per_good_unit"]["status"] == "improved"  # lower is better
    assert (m1["kwh"]["status"], m1["kwh"]["percentage_change"]) == ("improved", -20.0)
    assert m2["kwh_per_unit"]["status"] == "declined" and m2["kwh"]["percentage_change"] == 80.0
    assert m1["units"]["status"] == "unchanged"
    assert [(r["key"], r["rank"]) for r in body["rows"]] == [("M1", 1), ("M2", 2)]
    summary = body["summary"]["comparison"]
    # 170 kWh now against 150: more energy for the same 200 units
    assert (summary["kwh"]["current"], summary["kwh"]["previous"]) == (170.0, 150.0)
    assert summary["kwh_per_unit"]["status"] == "declined"
    assert body["directions"]["kwh_per_good_unit"] == "lower_is_better"
    assert body["directions"]["units"] == "higher_is_better"


def test_previous_period_and_ranking_without_good_units_last(two_weeks: TestClient):
    body = get(two_weeks, "comparisons", comparison_type="previous_period", **ONE_DAY)
    # previous_period of one day is the day before: nothing there
    assert body["comparison_period"]["start"].startswith("2025-10-12T22:00:00")
    rows = rows_by_key(body)
    assert rows["M1"]["comparison"]["kwh"]["previous"] == 0.0
    assert rows["M1"]["comparison"]["kwh"]["percentage_change"] is None
    # M9 (other site) has no data at all: listed, unranked, last
    assert body["rows"][-1]["key"] == "M9" and body["rows"][-1]["rank"] is None
    assert [r["key"] for r in body["rows"] if r["rank"]] == ["M1", "M2"]


def test_comparison_by_product_as_csv(two_weeks: TestClient):
    response = two_weeks.get("/api/oee/energy/comparisons", params={
        "by": "product", "comparison_type": "previous_week", "format": "csv", **ONE_DAY})
    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.text)))
    # no product on these readings or counts: one unattributed row, 170 now and 150 before
    assert [(r["product"], r["kwh_current"], r["kwh_previous"], r["kwh_status"])
            for r in table] == [("", "170.0", "150.0", "declined")]


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "params", "field"), [
    ("by/shift", ONE_DAY, "dimension"),
    ("trends", {**ONE_DAY, "granularity": "minute"}, "granularity"),
    ("trends", {**ONE_DAY, "by": "line"}, "by"),
    ("comparisons", {**ONE_DAY, "comparison_type": "previous_decade"}, "comparison_type"),
    ("comparisons", {"work_order_id": "WO-A", "as_of": AS_OF}, "work_order_id"),
    ("trends", {"start": "2020-01-01T00:00:00+00:00", "end": "2022-09-01T00:00:00+00:00",
                "granularity": "hour", "as_of": AS_OF}, "granularity"),
    ("by/machine", {"start": "2025-10-14T00:00:00", "end": "2025-10-15T00:00:00+02:00"},
     "start"),
    ("by/machine", {"time_period": "custom", "date_from": "0001-01-01", "date_to": DAY},
     "date_from"),
    ("comparisons", {"start": "0001-01-01T00:00:00+00:00", "end": "0001-01-02T00:00:00+00:00",
                     "comparison_type": "previous_year"}, "start"),
])
def test_bad_input_names_the_field_and_the_reason(day: TestClient, path: str,
                                                  params: dict[str, Any], field: str):
    response = day.get(f"/api/oee/energy/{path}", params=params)
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["ok"] is False and body["errors"]
    assert any(field in (e["field"] or "") for e in body["errors"]), body
    assert all(e["reason"] for e in body["errors"])


def test_unknown_scope_is_not_found(day: TestClient):
    for path in ("by/machine", "trends", "comparisons"):
        response = day.get(f"/api/oee/energy/{path}", params={"machine_id": "M404", **ONE_DAY})
        assert response.status_code == 404 and "M404" in response.json()["error"]
