"""OEE trends, comparisons and the utilization heatmap on both stores, against numbers worked
out by hand, served the first time from raw rows and the second from the stored rollups."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import load

# A UTC site running round the clock: every minute of a day is planned production.
# A makes a part in an ideal 60 s, B in 30 s.
PLANT: dict[str, list[dict[str, Any]]] = {
    "sites": [{"id": "U", "name": "Round the clock", "timezone": "UTC"}],
    "lines": [{"id": "L", "site_id": "U", "name": "Line"}],
    "machines": [{"id": "A", "site_id": "U", "line_id": "L", "name": "Press A",
                  "ideal_cycle_time_s": 60},
                 {"id": "B", "site_id": "U", "line_id": "L", "name": "Press B",
                  "ideal_cycle_time_s": 30}],
    "shifts": [{"id": "ALLDAY", "site_id": "U", "name": "All day", "start_time": "00:00",
                "end_time": "00:00"}],
    "downtime_events": [
        {"id": "A1", "machine_id": "A", "reason_code": "BREAKDOWN",
         "start_time": "2025-10-13T10:00:00+00:00", "end_time": "2025-10-13T11:00:00Z"},
        # began the evening before: its minutes count on the 13th, its start does not
        {"id": "B1", "machine_id": "B", "reason_code": "MATERIAL",
         "start_time": "2025-10-12T23:00:00Z", "end_time": "2025-10-13T01:00:00Z"}],
    "production_counts": [
        {"machine_id": "A", "timestamp": "2025-10-13T12:00:00Z", "total": 600, "good": 580},
        {"machine_id": "B", "timestamp": "2025-10-13T15:00:00Z", "total": 1000, "good": 1000},
        {"machine_id": "A", "timestamp": "2025-10-14T12:00:00Z", "total": 1200, "good": 1200}],
}
AS_OF = "2025-10-16T00:00:00Z"
TWO_DAYS = {"time_period": "custom", "date_from": "2025-10-13", "date_to": "2025-10-14",
            "as_of": AS_OF}


@pytest.fixture
def plant(client: TestClient) -> TestClient:
    load(client, PLANT)
    return client


def get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/oee/analytics/{path}", params=params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_daily_trend_pools_machines_per_day(plant: TestClient):
    for _ in range(2):  # computed, then read from the stored rollups
        body = get(plant, "trends", **TWO_DAYS)
        (series,) = body["series"]
        day1, day2 = series["points"]
        assert (day1["bucket"], day2["bucket"]) == ("2025-10-13", "2025-10-14")
        # day 1: planned 2 × 1440 min, down 60 (A) + 60 (B, 00:00–01:00); ideal output
        # 600 × 1 + 1000 × 0.5 = 1100 min; good 1580 of 1600
        assert day1["availability"] == pytest.approx(100 * 2760 / 2880, abs=0.005)
        assert day1["oee"] == pytest.approx(100 * 1100 / 2880 * 1580 / 1600, abs=0.005)
        assert day1["oee"] == 37.72
        assert day2["oee"] == 41.67 and day2["quality"] == 100.0
        assert body["total"]["oee"] == 39.65  # 2300 ideal min × 2780/2800 over 5760
        assert body["total"]["counts"] == {"total": 2800.0, "good": 2780.0, "scrap": 20.0}


def test_a_week_is_pooled_not_the_mean_of_its_days(plant: TestClient):
    body = get(plant, "trends", granularity="week", **TWO_DAYS)
    (point,) = body["series"][0]["points"]
    assert point["bucket"] == "2025-10-13"  # the Monday
    assert point["oee"] == 39.65 != round((37.72 + 41.67) / 2, 2)
    month = get(plant, "trends", granularity="month", **TWO_DAYS)
    assert [p["bucket"] for p in month["series"][0]["points"]] == ["2025-10-01"]


def test_hourly_trend_and_series_by_machine_line_and_shift(plant: TestClient):
    hourly = get(plant, "trends", granularity="hour", **TWO_DAYS)
    points = hourly["series"][0]["points"]
    assert len(points) == 48
    ten = next(p for p in points if p["bucket"] == "2025-10-13T10:00:00+00:00")
    assert ten["availability"] == 50.0  # A down the whole hour, B up
    by_machine = get(plant, "trends", by="machine", **TWO_DAYS)
    a = next(s for s in by_machine["series"] if s["key"] == "A")
    assert a["name"] == "Press A"
    assert a["points"][0]["oee"] == pytest.approx(100 * 600 / 1440 * 580 / 600, abs=0.005)
    assert [s["key"] for s in get(plant, "trends", by="line", **TWO_DAYS)["series"]] == ["L"]
    assert [s["key"] for s in get(plant, "trends", by="shift", **TWO_DAYS)["series"]] == [
        "ALLDAY"]


def test_a_trend_point_is_the_calculation_of_its_day(plant: TestClient):
    trend = get(plant, "trends", **TWO_DAYS)["series"][0]["points"]
    for point in trend:
        calc = plant.get("/api/oee/calculate", params={
            "time_period": "custom", "date_from": point["bucket"], "date_to": point["bucket"],
            "as_of": AS_OF}).json()
        for name in ("oee", "availability", "performance", "quality"):
            assert calc[name] == point[name]


def test_comparison_with_the_previous_day(plant: TestClient):
    body = get(plant, "comparisons", time_period="custom", date_from="2025-10-14",
               date_to="2025-10-14", as_of=AS_OF, by="machine")
    oee = body["comparison"]["oee"]
    assert (oee["current"], oee["previous"], oee["difference"]) == (41.67, 37.72, 3.95)
    assert (oee["trend"], oee["status"]) == ("up", "improved")
    scrap = body["comparison"]["scrap"]
    assert (scrap["current"], scrap["previous"], scrap["status"]) == (0.0, 20.0, "improved")
    assert body["previous"]["window"]["start"] == "2025-10-13T00:00:00+00:00"
    b = next(i for i in body["items"] if i["key"] == "B")
    # nothing made on the 14th: quality (good / total) is undefined, so OEE is null, not 0
    assert b["current"]["oee"] is None and b["current"]["availability"] == 100.0
    assert b["previous"]["oee"] == pytest.approx(100 * 500 / 1440, abs=0.005)
    assert b["comparison"]["oee"]["status"] is None


def test_a_shift_is_compared_with_the_same_shift_earlier(plant: TestClient):
    body = get(plant, "comparisons", start="2025-10-14T06:00:00Z", end="2025-10-14T14:00:00Z",
               comparison_type="previous_month", as_of=AS_OF)
    assert body["previous"]["window"] == {"start": "2025-09-14T06:00:00+00:00",
                                          "end": "2025-09-14T14:00:00+00:00"}
    custom = get(plant, "comparisons", start="2025-10-14T00:00:00Z",
                 end="2025-10-15T00:00:00Z", as_of=AS_OF)
    assert custom["previous"]["window"]["start"] == "2025-10-13T00:00:00+00:00"


def test_heatmap_of_running_time_by_hour_of_day(plant: TestClient):
    body = get(plant, "utilization", **TWO_DAYS)
    cells = {m["machine_id"]: {c["hour"]: c for c in m["cells"]} for m in body["machines"]}
    assert cells["A"][10]["value"] == 50.0  # down 10–11 on the 13th, up on the 14th
    assert cells["A"][9]["value"] == 100.0
    assert cells["B"][0]["value"] == 50.0 and cells["B"][0]["calendar_minutes"] == 120
    oee = get(plant, "utilization", metric="availability", **TWO_DAYS)
    assert oee["machines"][0]["cells"][10]["value"] == 50.0


def test_pareto_counts_the_stops_that_began_in_the_window(plant: TestClient):
    body = plant.get("/api/oee/downtime/analysis", params={
        "time_period": "custom", "date_from": "2025-10-13", "date_to": "2025-10-13",
        "as_of": AS_OF}).json()
    rows = {r["key"]: r for r in body["by_duration"]}
    assert rows["BREAKDOWN"]["minutes"] == 60 and rows["BREAKDOWN"]["stops"] == 1
    assert rows["MATERIAL"]["minutes"] == 60 and rows["MATERIAL"]["stops"] == 0
    assert body["total_stops"] == 1


def test_empty_window_gives_nulls_not_zeros(plant: TestClient):
    body = get(plant, "trends", time_period="custom", date_from="2025-10-20",
               date_to="2025-10-20", as_of=AS_OF)
    assert body["series"] == [] or all(p["oee"] is None for s in body["series"]
                                       for p in s["points"])
    assert body["total"]["oee"] is None


@pytest.mark.parametrize("params", [
    {"granularity": "minute"}, {"by": "operator"}, {"work_order_id": "WO1"},
    {"metric": "speed"}, {"start": "2025-10-14T00:00:00"},
    {"start": "9999-12-31T23:00:00Z", "end": "9999-12-31T23:30:00Z"},  # beyond the calendar
    {"time_period": "custom", "date_from": "1900-01-01", "date_to": "2199-12-31"},  # too long
    {"start": "2020-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"},
])
def test_bad_parameters_are_rejected_with_the_field(plant: TestClient, params):
    path = "utilization" if "metric" in params else "trends"
    response = plant.get(f"/api/oee/analytics/{path}", params={**params, "as_of": AS_OF})
    assert response.status_code == 422, response.json()


def export(client: TestClient, **params: Any):
    response = client.get("/api/oee/reports/export", params={**TWO_DAYS, **params})
    assert response.status_code == 200, response.text
    return response


def test_export_of_daily_oee_in_every_format(plant: TestClient):
    import io
    import json

    import openpyxl
    import pyarrow.parquet as pq

    csv_text = export(plant).text
    header, *lines = csv_text.splitlines()
    assert header.startswith("day,site_id,line_id,machine_id,machine_name,shift_id,oee,")
    assert len(lines) == 4  # two machines × two days, one shift
    a13 = next(line for line in lines if line.startswith("2025-10-13,U,L,A,"))
    assert ",40.28," in a13  # 600 ideal min of 1440, 580 good of 600
    as_json = json.loads(export(plant, format="json").content)
    assert {r["oee"] for r in as_json if r["machine_id"] == "A"} == {40.28, 83.33}
    response = export(plant, format="xlsx")
    assert 'filename="opslens-oee_daily.xlsx"' in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 5 and sheet.cell(1, 1).value == "day"
    table = pq.read_table(io.BytesIO(export(plant, format="parquet").content))
    assert table.num_rows == 4 and table.column("good").to_pylist().count(1200.0) == 1


def test_export_of_hours_events_counts_and_pareto(plant: TestClient):
    hourly = export(plant, dataset="oee_hourly", format="json").json()
    assert len(hourly) == 2 * 48
    events = export(plant, dataset="downtime_events", format="json").json()
    assert {e["id"] for e in events} == {"A1", "B1"}  # B1 began the day before, reaches in
    counts = export(plant, dataset="production_counts", format="json").json()
    assert sum(c["total"] for c in counts) == 2800
    pareto = export(plant, dataset="pareto").text.splitlines()
    assert pareto[0] == "key,description,minutes,stops,share,cumulative_share"
    assert len(pareto) == 3


def test_export_rejects_unknown_datasets_and_formats(plant: TestClient):
    for params in ({"dataset": "everything"}, {"format": "pdf"}):
        response = plant.get("/api/oee/reports/export", params={**TWO_DAYS, **params})
        assert response.status_code == 422
        assert next(iter(params)) in str(response.json())
