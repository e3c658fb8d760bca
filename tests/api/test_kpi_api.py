"""Seed 003's KPI endpoints through the API, on both stores (DESIGN.md §5.2-5.4, §7): response
shapes and hand-worked numbers for the small plant of :mod:`api.plant_records`, comparison,
pagination, CSV, the cache, site resolution, tenancy and ``as_of``; and the invariants on a
realistic demo plant."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

import opslens
from api.conftest import ClientFactory, load
from api.plant_records import AS_OF, PLANT
from opslens.domain import utilization as utilization_kpi
from opslens.ingest.kinds import kind_names
from opslens.plant.demo import build_demo_plant
from opslens.store import migrate
from opslens.store.engine import Store

STATUS = "/api/kpi/machine-status/analytics"
STATUS_NOW = "/api/kpi/machine-status/current"
UTILIZATION = "/api/kpi/machine-utilization/analytics"
ORDERS_NOW = "/api/kpi/work-order-status/current"
ENDPOINTS = (STATUS, STATUS_NOW, UTILIZATION, ORDERS_NOW)
WHEN = {"as_of": AS_OF.isoformat()}
WEEK = {**WHEN, "time_period": "last_7_days"}
# Monday and Tuesday: closed days with every kind of activity of the small plant
MON_TUE = {**WHEN, "time_period": "custom", "date_from": "2025-10-13", "date_to": "2025-10-14"}
UTILIZATION_FIELDS = ["scheduled_utilization", "active_utilization", "available_hours",
                      "uptime_hours", "downtime_hours", "planned_downtime_hours",
                      "unplanned_downtime_hours", "units_produced", "scrap_units",
                      "work_orders_completed", "quality_rate", "scrap_rate", "first_pass_yield",
                      "average_cycle_time"]
COMPARISON_FIELDS = {"current", "previous", "difference", "percentage_change", "trend", "status"}


def ok(response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def day(date: str, running: int = 0, hold: int = 0, scheduled: int = 0, idle: int = 3) -> dict:
    return {"date": date, "running": running, "hold": hold, "scheduled": scheduled,
            "idle": idle, "total_machines": 3}


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


def utilization(sched, active, avail, up, down, units, scrap, done, quality, scrap_rate, fpy,
                cycle) -> dict[str, Any]:
    return dict(zip(UTILIZATION_FIELDS, [sched, active, avail, up, down, 0.0, down, units, scrap,
                                         done, quality, scrap_rate, fpy, cycle], strict=True))


# ---- meta ---------------------------------------------------------------------------------------

def test_health_sites_kinds_and_index_page(loaded_client: TestClient, store: Store):
    assert ok(loaded_client.get("/api/health")) == {
        "ok": True, "version": opslens.__version__, "store": store.dialect,
        "schema_revision": migrate.head_revision(), "schema_up_to_date": True}
    sites = ok(loaded_client.get("/api/sites"))
    assert sites["organization"] == "default"
    (site,) = sites["sites"]
    assert {k: site[k] for k in ("id", "name", "timezone", "latitude", "longitude")} == {
        "id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin", "latitude": 52.52,
        "longitude": 13.40}
    assert site["machines"] == [
        {"id": m, "name": f"Machine {m[1]}", "asset_id": f"A-{m}", "line_id": "L1",
         "ideal_cycle_time_s": 60.0}
        for m in ("M1", "M2", "M3")]
    kinds = ok(loaded_client.get("/api/ingest"))["kinds"]
    assert kinds == kind_names() and kinds[:len(PLANT)] == list(PLANT)  # dependency order
    page = loaded_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Berlin Works" in page.text


# ---- machine status -----------------------------------------------------------------------------

def test_machine_status_analytics(loaded_client: TestClient):
    response = loaded_client.get(STATUS, params=WEEK)
    body = ok(response)
    assert response.headers["x-opslens-cache"] == "miss"
    assert body["site"] == {"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}
    assert (body["as_of"], body["time_period"]) == ("2025-10-15T12:00:00+00:00", "last_7_days")
    assert "comparison_period" not in body and "comparison_analysis" not in body
    primary = body["primary_period"]
    assert (primary["start_date"], primary["end_date"]) == ("2025-10-09", "2025-10-15")
    assert primary["daily_breakdown"] == [  # newest first
        day("2025-10-15", running=1, hold=1, scheduled=1, idle=0),
        day("2025-10-14", running=1, idle=2),
        day("2025-10-13", running=1, idle=2),
        *(day(f"2025-10-{d:02}") for d in (12, 11, 10, 9)),
    ]
    # 3/7 machines running on average is 0.4 machines and 14.3 % (from the unrounded mean)
    assert primary["summary"] == {
        "avg_running": 0.4, "avg_running_pct": 14.3, "avg_hold": 0.1, "avg_hold_pct": 4.8,
        "avg_scheduled": 0.1, "avg_scheduled_pct": 4.8, "avg_idle": 2.3, "avg_idle_pct": 76.2,
        "total_machines": 3, "days_analyzed": 7}
    assert primary["pagination"] == {"page": 1, "per_page": 10, "total_items": 7,
                                     "total_pages": 1}
    hours = primary["state_hours"]
    assert {m["machine_id"]: m["running_hours"] for m in hours["machines"]} == {
        "M1": 16.0, "M2": 2.0, "M3": 0.0}
    monday = next(d for d in hours["daily"] if d["date"] == "2025-10-13")
    assert monday == {"date": "2025-10-13", "running_hours": 8.0, "hold_hours": 0.0,
                      "scheduled_hours": 0.0, "idle_hours": 64.0}


def test_machine_status_comparison(loaded_client: TestClient):
    body = ok(loaded_client.get(STATUS, params={**WEEK, "enable_comparison": "true"}))
    assert body["comparison_type"] == "previous_period"
    previous = body["comparison_period"]
    assert (previous["start_date"], previous["end_date"]) == ("2025-10-02", "2025-10-08")
    assert previous["daily_breakdown"] == [day(f"2025-10-{d:02}") for d in range(8, 1, -1)]
    analysis = body["comparison_analysis"]
    assert set(analysis) == {"running", "hold", "scheduled", "idle"}
    assert all(set(v) == COMPARISON_FIELDS for v in analysis.values())
    assert analysis["running"] == {"current": 0.4, "previous": 0.0, "difference": 0.4,
                                   "percentage_change": None, "trend": "up",
                                   "status": "improved"}
    assert analysis["hold"]["status"] == "declined"  # more machines on hold is worse
    assert analysis["idle"] == {"current": 2.3, "previous": 3.0, "difference": -0.7,
                                "percentage_change": -23.33, "trend": "down",
                                "status": "improved"}

    for kind, (start, end) in {"previous_week": ("2025-10-02", "2025-10-08"),
                               "previous_month": ("2025-09-09", "2025-09-15"),
                               "previous_year": ("2024-10-09", "2024-10-15")}.items():
        other = ok(loaded_client.get(STATUS, params={**WEEK, "enable_comparison": "true",
                                                     "comparison_type": kind}))
        assert other["comparison_type"] == kind
        assert (other["comparison_period"]["start_date"],
                other["comparison_period"]["end_date"]) == (start, end)


def test_pagination_of_the_daily_table(loaded_client: TestClient):
    month = {**WHEN, "time_period": "last_30_days"}
    first = ok(loaded_client.get(STATUS, params=month))["primary_period"]
    assert first["pagination"] == {"page": 1, "per_page": 10, "total_items": 30,
                                   "total_pages": 3}
    assert [d["date"] for d in first["daily_breakdown"]] == [
        f"2025-10-{d:02}" for d in range(15, 5, -1)]
    assert first["summary"]["days_analyzed"] == 30  # the summary covers every page
    last = ok(loaded_client.get(STATUS, params={**month, "page": 3}))["primary_period"]
    assert [d["date"] for d in last["daily_breakdown"]] == [
        f"2025-09-{d:02}" for d in range(25, 15, -1)]
    seven = ok(loaded_client.get(UTILIZATION, params={**month, "per_page": 7, "page": 5}))
    paged = seven["primary_period"]
    assert paged["pagination"] == {"page": 5, "per_page": 7, "total_items": 30,
                                   "total_pages": 5}
    assert [d["date"] for d in paged["daily_breakdown"]] == ["2025-09-17", "2025-09-16"]
    assert {d["date"] for d in paged["machine_daily"]} == {"2025-09-17", "2025-09-16"}


def test_machine_status_now(loaded_client: TestClient):
    body = ok(loaded_client.get(STATUS_NOW, params=WHEN))
    assert (body["as_of"], body["date"]) == ("2025-10-15T12:00:00+00:00", "2025-10-15")
    assert body["counts"] == {"running": 1, "hold": 1, "scheduled": 1, "idle": 0}
    assert body["total_machines"] == 3
    machines = {m["machine_id"]: m for m in body["machines"]}
    assert {mid: (m["status"], [o["id"] for o in m["work_orders"]])
            for mid, m in machines.items()} == {
        "M1": ("running", ["WO-4"]), "M2": ("hold", ["WO-2"]), "M3": ("scheduled", ["WO-3"])}
    (order,) = machines["M1"]["work_orders"]
    assert (order["start_time"], order["status"], order["qty"]) == (
        "2025-10-15T06:00:00+02:00", "Start", 80)


# ---- utilization --------------------------------------------------------------------------------

def test_machine_utilization_analytics(loaded_client: TestClient):
    body = ok(loaded_client.get(UTILIZATION, params=MON_TUE))
    primary = body["primary_period"]
    assert (primary["start_date"], primary["end_date"]) == ("2025-10-13", "2025-10-14")
    # Tue: M2 scheduled 08:00-24:00 (16 h, open work order), active 08:00-10:00, 20 good.
    # Mon: M1 06:00-14:00 active, 100 good and 5 scrap, completed. 15 h per machine and day.
    tuesday = utilization(35.56, 4.44, 45.0, 2.0, 43.0, 20, 0, 0, 100.0, 0.0, None, 6.0)
    monday = utilization(17.78, 17.78, 45.0, 8.0, 37.0, 100, 5, 1, 95.24, 4.76, 95.0, 4.8)
    assert primary["daily_breakdown"] == [
        {"date": "2025-10-14", **tuesday, "machine_count": 1},
        {"date": "2025-10-13", **monday, "machine_count": 1}]
    assert [(r["date"], r["machine_id"]) for r in primary["machine_daily"]] == [
        (d, m) for d in ("2025-10-14", "2025-10-13") for m in ("M1", "M2", "M3")]
    m1_monday = primary["machine_daily"][3]
    assert m1_monday == {"date": "2025-10-13", "machine_id": "M1", "name": "Machine 1",
                         **utilization(53.33, 53.33, 15.0, 8.0, 7.0, 100, 5, 1, 95.24, 4.76,
                                       95.0, 4.8), "machine_count": 1}
    machines = {m["machine_id"]: m for m in primary["machines"]}
    assert set(machines) == {"M1", "M2", "M3"}
    assert machines["M2"] == {"machine_id": "M2", "name": "Machine 2", **utilization(
        53.33, 6.67, 30.0, 2.0, 28.0, 20, 0, 0, 100.0, 0.0, None, 6.0), "days_worked": 1}
    # pooled: sums over machines and days, rates recomputed from the sums
    assert primary["summary"] == {
        **utilization(26.67, 11.11, 90.0, 10.0, 80.0, 120, 5, 1, 96.0, 4.0, 95.0, 5.0),
        "machine_count": 2, "total_machines": 3, "days_analyzed": 2}
    assert primary["pagination"] == {"page": 1, "per_page": 10, "total_items": 2,
                                     "total_pages": 1}


def test_machine_utilization_comparison(loaded_client: TestClient):
    body = ok(loaded_client.get(UTILIZATION, params={**MON_TUE, "enable_comparison": "true"}))
    previous = body["comparison_period"]
    assert (previous["start_date"], previous["end_date"]) == ("2025-10-11", "2025-10-12")
    assert previous["summary"]["units_produced"] == 0
    analysis = body["comparison_analysis"]
    assert set(analysis) == set(utilization_kpi.DIRECTIONS)
    assert all(set(v) == COMPARISON_FIELDS for v in analysis.values())
    assert analysis["units_produced"] == {"current": 120, "previous": 0, "difference": 120,
                                          "percentage_change": None, "trend": "up",
                                          "status": "improved"}
    assert analysis["downtime_hours"] == {"current": 80.0, "previous": 90.0,
                                          "difference": -10.0, "percentage_change": -11.11,
                                          "trend": "down", "status": "improved"}
    assert analysis["scrap_units"]["status"] == "declined"
    assert analysis["quality_rate"] == {"current": 96.0, "previous": None, "difference": None,
                                        "percentage_change": None, "trend": None,
                                        "status": None}


def test_work_order_status_now(loaded_client: TestClient):
    body = ok(loaded_client.get(ORDERS_NOW, params=WHEN))
    assert (body["date"], body["as_of"]) == ("2025-10-15", "2025-10-15T12:00:00+00:00")
    assert body["sections"] == {"planned_for_today": ["assigned"],
                                "real_time_execution": ["hold", "start", "completed", "closed"]}
    distribution = body["status_distribution"]
    assert {status: [o["id"] for o in section["work_orders"]]
            for status, section in distribution.items()} == {
        "assigned": ["WO-3"], "start": ["WO-4"], "hold": ["WO-2"], "completed": [],
        "closed": []}
    assert all(s["count"] == len(s["work_orders"]) for s in distribution.values())
    assert body["total_work_orders"] == 3
    (planned,) = distribution["assigned"]["work_orders"]
    assert (planned["machine_id"], planned["machine_name"], planned["start_time"]) == (
        "M3", "Machine 3", "2025-10-15T18:00:00+02:00")


def test_completed_today_appears_on_the_work_order_dashboard(loaded_client: TestClient):
    monday_evening = {"as_of": "2025-10-13T18:00:00+00:00"}  # 20:00 in Berlin
    body = ok(loaded_client.get(ORDERS_NOW, params=monday_evening))
    assert [o["id"] for o in body["status_distribution"]["completed"]["work_orders"]] == ["WO-1"]


def test_dashboards_at_a_past_as_of_show_that_moment(loaded_client: TestClient):
    """At Monday 10:00 Berlin, WO-1 was running on M1 and nothing else had happened: both
    dashboards must say so (DESIGN.md §3: as_of makes results reproducible)."""
    monday_morning = {"as_of": "2025-10-13T08:00:00+00:00"}
    machines = ok(loaded_client.get(STATUS_NOW, params=monday_morning))
    assert machines["counts"] == {"running": 1, "hold": 0, "scheduled": 0, "idle": 2}
    assert [o["id"] for o in machines["machines"][0]["work_orders"]] == ["WO-1"]
    orders = ok(loaded_client.get(ORDERS_NOW, params=monday_morning))
    assert {status: [o["id"] for o in section["work_orders"]]
            for status, section in orders["status_distribution"].items()} == {
        "assigned": [], "start": ["WO-1"], "hold": [], "completed": [], "closed": []}


def test_as_of_makes_results_reproducible(loaded_client: TestClient):
    for path, params in ((STATUS, WEEK), (UTILIZATION, WEEK), (STATUS_NOW, WHEN),
                         (ORDERS_NOW, WHEN)):
        first = ok(loaded_client.get(path, params={**params, "refresh": "true"}))
        again = ok(loaded_client.get(path, params={**params, "refresh": "true"}))
        assert first == again, path
        assert first["as_of"] == "2025-10-15T12:00:00+00:00"
    # the same instant written in another offset is the same question
    berlin = ok(loaded_client.get(STATUS, params={**WEEK, "as_of": "2025-10-15T14:00:00+02:00"}))
    utc = ok(loaded_client.get(STATUS, params=WEEK))
    assert berlin["primary_period"] == utc["primary_period"]
    # a week earlier everything was idle
    earlier = ok(loaded_client.get(STATUS, params={**WEEK, "as_of": "2025-10-08T12:00:00Z"}))
    assert earlier["primary_period"]["summary"]["avg_idle"] == 3.0


# ---- CSV ----------------------------------------------------------------------------------------

def test_csv_by_query_and_by_accept_header(loaded_client: TestClient):
    by_query = loaded_client.get(STATUS, params={**WEEK, "format": "csv", "per_page": 2})
    rows = csv_rows(by_query)
    assert by_query.text.splitlines()[0] == "date,running,hold,scheduled,idle,total_machines"
    assert 'filename="machine-status.csv"' in by_query.headers["content-disposition"]
    assert len(rows) == 7  # the whole period, not one page
    assert rows[0] == {"date": "2025-10-15", "running": "1", "hold": "1", "scheduled": "1",
                       "idle": "0", "total_machines": "3"}
    by_header = loaded_client.get(STATUS, params=WEEK, headers={"Accept": "text/csv"})
    assert by_header.text == by_query.text
    # JSON wins when the client accepts both, or asks for it explicitly
    assert loaded_client.get(STATUS, params=WEEK, headers={
        "Accept": "text/csv, application/json"}).headers["content-type"] == "application/json"
    assert loaded_client.get(STATUS, params={**WEEK, "format": "json"}, headers={
        "Accept": "text/csv"}).headers["content-type"] == "application/json"


def test_utilization_csv_tables(loaded_client: TestClient):
    daily = csv_rows(loaded_client.get(UTILIZATION, params={**WEEK, "format": "csv"}))
    assert len(daily) == 7
    assert list(daily[0]) == ["date", *UTILIZATION_FIELDS, "machine_count"]
    tuesday = next(r for r in daily if r["date"] == "2025-10-14")
    assert (tuesday["units_produced"], tuesday["first_pass_yield"]) == ("20", "")  # null: empty
    machine_daily = csv_rows(loaded_client.get(
        UTILIZATION, params={**WEEK, "table": "machine_daily"}, headers={"Accept": "text/csv"}))
    assert len(machine_daily) == 7 * 3
    assert list(machine_daily[0])[:3] == ["date", "machine_id", "name"]
    machines = csv_rows(loaded_client.get(UTILIZATION, params={**WEEK, "format": "csv",
                                                               "table": "machines"}))
    assert [(r["machine_id"], r["units_produced"]) for r in machines] == [
        ("M1", "100"), ("M2", "20"), ("M3", "0")]
    assert "days_worked" in machines[0]


def test_dashboard_csv(loaded_client: TestClient):
    machines = csv_rows(loaded_client.get(STATUS_NOW, params={**WHEN, "format": "csv"}))
    assert [(r["machine_id"], r["status"], r["work_orders"]) for r in machines] == [
        ("M1", "running", "WO-4"), ("M2", "hold", "WO-2"), ("M3", "scheduled", "WO-3")]
    orders = csv_rows(loaded_client.get(ORDERS_NOW, params=WHEN,
                                        headers={"Accept": "text/csv"}))
    assert sorted((r["id"], r["status"], r["machine_name"]) for r in orders) == [
        ("WO-2", "Hold", "Machine 2"), ("WO-3", "Assigned", "Machine 3"),
        ("WO-4", "Start", "Machine 1")]


# ---- cache --------------------------------------------------------------------------------------

def _units(response) -> int:
    return ok(response)["primary_period"]["summary"]["units_produced"]


def test_cache_hits_refresh_and_ingest_invalidation(loaded_client: TestClient):
    def get(**extra):
        return loaded_client.get(UTILIZATION, params={**MON_TUE, **extra})

    first = get()
    assert (first.headers["x-opslens-cache"], _units(first)) == ("miss", 120)
    second = get()
    assert second.headers["x-opslens-cache"] == "hit"
    assert second.json() == first.json()
    assert get(refresh="true").headers["x-opslens-cache"] == "miss"
    assert get().headers["x-opslens-cache"] == "hit"
    assert get(per_page=5).headers["x-opslens-cache"] == "miss"  # other parameters

    # another organization's ingest leaves this organization's cache alone
    load(loaded_client, {"sites": PLANT["sites"]}, org="other")
    assert get().headers["x-opslens-cache"] == "hit"

    # a corrected count for Monday: the next request recomputes, with the new number
    correction = [{**PLANT["work_order_logs"][2], "ok_qty": 150}]
    assert ok(loaded_client.post("/api/ingest/work_order_logs", json=correction))["stored"] == 1
    after = get()
    assert (after.headers["x-opslens-cache"], _units(after)) == ("miss", 170)
    assert get().headers["x-opslens-cache"] == "hit"


def test_dashboard_cache_is_invalidated_by_ingest(loaded_client: TestClient):
    assert loaded_client.get(STATUS_NOW, params=WHEN).headers["x-opslens-cache"] == "miss"
    assert loaded_client.get(STATUS_NOW, params=WHEN).headers["x-opslens-cache"] == "hit"
    assert loaded_client.get(ORDERS_NOW, params=WHEN).headers["x-opslens-cache"] == "miss"
    assert loaded_client.get(ORDERS_NOW, params=WHEN).headers["x-opslens-cache"] == "hit"
    # WO-2 resumes at 11:00 Berlin, before AS_OF
    resume = {"work_order_id": "WO-2", "status": "Start", "changed_at": "2025-10-15T11:00:00+02:00"}
    ok(loaded_client.post("/api/ingest/work_order_logs", json=[resume]))
    ok(loaded_client.post("/api/ingest/work_orders",
                          json=[{**PLANT["work_orders"][1], "status": "Start"}]))
    now = loaded_client.get(STATUS_NOW, params=WHEN)
    assert now.headers["x-opslens-cache"] == "miss"
    assert now.json()["counts"] == {"running": 2, "hold": 0, "scheduled": 1, "idle": 0}
    orders = loaded_client.get(ORDERS_NOW, params=WHEN)
    assert orders.headers["x-opslens-cache"] == "miss"
    assert [o["id"] for o in orders.json()["status_distribution"]["start"]["work_orders"]] == [
        "WO-2", "WO-4"]


def test_cache_can_be_switched_off(make_client: ClientFactory):
    client = make_client(cache_enabled=False)
    load(client, PLANT)
    for _ in range(2):
        assert client.get(STATUS, params=WEEK).headers["x-opslens-cache"] == "miss"


# ---- sites and tenants --------------------------------------------------------------------------

def test_site_id_is_optional_only_with_one_site(loaded_client: TestClient):
    for path in ENDPOINTS:
        assert ok(loaded_client.get(path, params=WHEN))["site"]["id"] == "S1", path
    load(loaded_client, {"sites": [{"id": "S0", "name": "Annex", "timezone": "Europe/Berlin"}]})
    for path in ENDPOINTS:
        response = loaded_client.get(path, params=WHEN)
        assert response.status_code == 422, path
        assert response.json() == {
            "ok": False, "status": 422, "errors": [],
            "error": "site_id is required: this organization has 2 sites (S0, S1)"}
        named = ok(loaded_client.get(path, params={**WHEN, "site_id": "S1"}))
        assert named["site"]["id"] == "S1"
    annex = ok(loaded_client.get(STATUS_NOW, params={**WHEN, "site_id": "S0"}))
    assert (annex["total_machines"], annex["machines"]) == (0, [])


def test_organizations_are_isolated(loaded_client: TestClient):
    other = {"X-Organization": "other-co"}
    # the same ids in another organization: the same site with only machine M1 and WO-1
    smaller = {
        "sites": [{**PLANT["sites"][0], "name": "Other Co Berlin"}],
        "lines": PLANT["lines"],
        "machines": PLANT["machines"][:1],
        "shifts": PLANT["shifts"],
        "work_orders": PLANT["work_orders"][:1],
        "work_order_logs": PLANT["work_order_logs"][:3],
    }
    load(loaded_client, smaller, org="other-co")

    mine = ok(loaded_client.get("/api/sites"))
    theirs = ok(loaded_client.get("/api/sites", headers=other))
    assert (mine["organization"], theirs["organization"]) == ("default", "other-co")
    assert [s["name"] for s in mine["sites"]] == ["Berlin Works"]
    assert [s["name"] for s in theirs["sites"]] == ["Other Co Berlin"]
    assert len(mine["sites"][0]["machines"]) == 3 and len(theirs["sites"][0]["machines"]) == 1

    assert ok(loaded_client.get(STATUS_NOW, params=WHEN))["total_machines"] == 3
    assert ok(loaded_client.get(STATUS_NOW, params=WHEN, headers=other))["counts"] == {
        "running": 0, "hold": 0, "scheduled": 0, "idle": 1}
    assert _units(loaded_client.get(UTILIZATION, params=MON_TUE)) == 120
    assert _units(loaded_client.get(UTILIZATION, params=MON_TUE, headers=other)) == 100
    assert ok(loaded_client.get(ORDERS_NOW, params=WHEN, headers=other))[
        "total_work_orders"] == 0
    nobody = ok(loaded_client.get("/api/sites", headers={"X-Organization": "nobody"}))
    assert nobody == {"organization": "nobody", "sites": []}


# ---- a realistic plant --------------------------------------------------------------------------

DEMO_AS_OF = datetime(2025, 10, 15, 12, 0, tzinfo=UTC)


def test_demo_plant_invariants(client: TestClient):
    org = "demo"
    plant = build_demo_plant(seed=3, days=5, as_of=DEMO_AS_OF)
    load(client, plant, org=org)
    headers = {"X-Organization": org}
    sites = ok(client.get("/api/sites", headers=headers))["sites"]
    assert [s["id"] for s in sites] == sorted(s["id"] for s in plant["sites"])
    when = {"as_of": DEMO_AS_OF.isoformat()}
    for site in sites:
        params = {**when, "site_id": site["id"], "time_period": "last_7_days"}
        machines = len(site["machines"])
        status = ok(client.get(STATUS, params=params, headers=headers))["primary_period"]
        assert len(status["daily_breakdown"]) == 7
        for row in status["daily_breakdown"]:  # one status per machine and day
            assert row["running"] + row["hold"] + row["scheduled"] + row["idle"] == machines
            assert row["total_machines"] == machines
        assert sum(r["running"] for r in status["daily_breakdown"]) > 0, site["id"]

        util = ok(client.get(UTILIZATION, params=params, headers=headers))["primary_period"]
        summary, daily = util["summary"], util["daily_breakdown"]
        assert summary["total_machines"] == machines
        assert 0 < summary["machine_count"] <= machines
        assert summary["units_produced"] == sum(d["units_produced"] for d in daily)
        assert summary["work_orders_completed"] == sum(d["work_orders_completed"] for d in daily)
        assert summary["units_produced"] == sum(m["units_produced"] for m in util["machines"])
        for row in daily:
            assert 0 <= row["active_utilization"] <= row["scheduled_utilization"] <= 100
            assert row["machine_count"] <= machines

        now = ok(client.get(STATUS_NOW, params={**when, "site_id": site["id"]},
                            headers=headers))
        assert sum(now["counts"].values()) == now["total_machines"] == machines
        orders = ok(client.get(ORDERS_NOW, params={**when, "site_id": site["id"]},
                               headers=headers))
        assert orders["total_work_orders"] == sum(
            s["count"] for s in orders["status_distribution"].values())
        assert orders["status_distribution"]["start"]["count"] > 0
