"""Seed 003's worked examples, through the services, on both stores.

Where seed 003 contradicts itself, the expected value follows DESIGN.md §5 and §11, and the
comment says which number of the seed is not reproduced and why.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.plant.builders import custom, local, logs, plant, run, work_orders

from opslens.plant import machine_status, utilization

OCT = date(2025, 10, 1)


def day(n: int) -> date:
    return OCT + timedelta(days=n - 1)


# Seed 003 "Calculation Details": 8 machines, Oct 8–14 2025, daily (running, hold, scheduled).
STATUS_DAYS = {
    14: (5, 1, 2), 13: (4, 2, 2), 12: (6, 0, 1), 11: (5, 1, 2),
    10: (4, 2, 2), 9: (5, 1, 2), 8: (5, 1, 2),
}


def _status_plant(store) -> None:
    machines = plant(store, machines=8)
    orders = []
    for d, (running, hold, scheduled) in STATUS_DAYS.items():
        statuses = ["Completed"] * running + ["Hold"] * hold + ["Assigned"] * scheduled
        for machine, status in zip(machines, statuses, strict=False):
            orders.append({
                "id": f"WO-{d}-{machine}", "machine_id": machine, "status": status,
                "start_time": f"2025-10-{d:02d}T08:00:00Z",
                "end_time": f"2025-10-{d:02d}T10:00:00Z",
            })
    work_orders(store, orders)


def test_machine_status_calculation_details(store):
    _status_plant(store)
    result = run(store, machine_status, **custom(day(8), day(14), "2025-10-20T00:00:00+00:00",
                                                 per_page=10))
    period = result["primary_period"]
    assert (period["start_date"], period["end_date"]) == ("2025-10-08", "2025-10-14")
    daily = {row["date"]: row for row in period["daily_breakdown"]}
    for d, (running, hold, scheduled) in STATUS_DAYS.items():
        row = daily[f"2025-10-{d:02d}"]
        assert (row["running"], row["hold"], row["scheduled"]) == (running, hold, scheduled)
        assert row["idle"] == 8 - running - hold - scheduled
        assert row["total_machines"] == 8
    summary = period["summary"]
    assert (summary["avg_running"], summary["avg_hold"], summary["avg_scheduled"],
            summary["avg_idle"]) == (4.9, 1.1, 1.9, 0.1)
    # From the unrounded means (DESIGN.md §5.2), not the seed's 61.3, 13.8, 23.8, 1.3.
    assert (summary["avg_running_pct"], summary["avg_hold_pct"], summary["avg_scheduled_pct"],
            summary["avg_idle_pct"]) == (60.7, 14.3, 23.2, 1.8)
    assert summary["total_machines"] == 8 and summary["days_analyzed"] == 7
    # The seed's avg_scheduled is computed from the hold column (DESIGN.md §11); not here.
    assert summary["avg_scheduled"] != summary["avg_hold"]


def test_machine_status_table_is_newest_first_and_paged(store):
    _status_plant(store)
    result = run(store, machine_status, **custom(day(1), day(14), "2025-10-20T00:00:00+00:00",
                                                 per_page=5, page=2))
    period = result["primary_period"]
    assert [r["date"] for r in period["daily_breakdown"]] == [
        "2025-10-09", "2025-10-08", "2025-10-07", "2025-10-06", "2025-10-05"]
    assert period["pagination"] == {"page": 2, "per_page": 5, "total_items": 14,
                                    "total_pages": 3}
    assert period["summary"]["days_analyzed"] == 14


def test_machine_status_comparison_directions(store):
    _status_plant(store)
    result = run(store, machine_status, **custom(
        day(12), day(14), "2025-10-20T00:00:00+00:00", enable_comparison=True,
        comparison_type="previous_period"))
    assert result["comparison_period"]["start_date"] == "2025-10-09"
    assert result["comparison_period"]["end_date"] == "2025-10-11"
    analysis = result["comparison_analysis"]
    # current: running (6+4+5)/3 = 5.0, previous (5+4+5)/3 = 4.7
    assert analysis["running"] == {"current": 5.0, "previous": 4.7, "difference": 0.3,
                                   "percentage_change": 6.38, "trend": "up",
                                   "status": "improved"}
    # hold: current (0+2+1)/3 = 1.0, previous (1+2+1)/3 = 1.3: fewer holds is better
    assert analysis["hold"]["trend"] == "down" and analysis["hold"]["status"] == "improved"
    # scheduled is neutral: it changes without being better or worse
    assert analysis["scheduled"]["current"] == 1.7 and analysis["scheduled"]["previous"] == 2.0
    assert analysis["scheduled"]["status"] == "neutral"
    # idle: 1/3 = 0.3 vs 0: more idle is worse; previous 0 gives no percentage
    assert analysis["idle"]["status"] == "declined"
    assert analysis["idle"]["percentage_change"] is None


def _util_day(result, d: int) -> dict:
    rows = {r["date"]: r for r in result["primary_period"]["daily_breakdown"]}
    return rows[f"2025-10-{d:02d}"]


def test_utilization_test_case_1_full_day(store):
    """Seed 003, Metric 1.1 Test Case 1: 16 scheduled hours of 24 → 66.67 %. Its WO3
    ("22:00–06:00, next day") starts the next day, so it gives Oct 14 nothing."""
    plant(store)
    work_orders(store, [
        {"id": "WO1", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T14:00:00Z"},
        {"id": "WO2", "machine_id": "M1", "status": "Start",
         "start_time": "2025-10-14T14:00:00Z", "end_time": "2025-10-14T22:00:00Z"},
        {"id": "WO3", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-15T22:00:00Z", "end_time": "2025-10-16T06:00:00Z"},
    ])
    result = run(store, utilization, **custom(day(14), day(16), "2025-10-20T00:00:00+00:00"))
    oct14 = _util_day(result, 14)
    assert oct14["scheduled_utilization"] == 66.67
    assert oct14["available_hours"] == 24.0
    assert oct14["uptime_hours"] == 16.0 and oct14["downtime_hours"] == 8.0
    assert _util_day(result, 15)["scheduled_utilization"] == 8.33  # WO3's 22:00–24:00
    assert _util_day(result, 16)["scheduled_utilization"] == 25.0  # and its 00:00–06:00


def test_utilization_test_case_2_no_production(store):
    plant(store, machines=2)
    work_orders(store, [{"id": "WO1", "machine_id": "M1", "status": "Completed",
                         "start_time": "2025-10-14T06:00:00Z",
                         "end_time": "2025-10-14T14:00:00Z"}])
    result = run(store, utilization, **custom(day(14), day(14), "2025-10-20T00:00:00+00:00"))
    m2 = next(r for r in result["primary_period"]["machine_daily"] if r["machine_id"] == "M2")
    assert m2["scheduled_utilization"] == 0.0 and m2["active_utilization"] == 0.0
    assert m2["machine_count"] == 0
    assert m2["quality_rate"] is None and m2["average_cycle_time"] is None


def test_utilization_test_case_3_spanning_midnight(store):
    """22:00 Oct 14 → 06:00 Oct 15 gives Oct 14 exactly 2 h (8.33 %): no second is lost to
    a 23:59:59 end of day (DESIGN.md §11)."""
    plant(store)
    work_orders(store, [{"id": "WO1", "machine_id": "M1", "status": "Completed",
                         "start_time": "2025-10-14T22:00:00Z",
                         "end_time": "2025-10-15T06:00:00Z"}])
    result = run(store, utilization, **custom(day(14), day(15), "2025-10-20T00:00:00+00:00"))
    m1 = {r["date"]: r for r in result["primary_period"]["machine_daily"]}
    assert m1["2025-10-14"]["scheduled_utilization"] == 8.33
    assert m1["2025-10-15"]["scheduled_utilization"] == 25.0
    assert m1["2025-10-15"]["work_orders_completed"] == 1
    assert m1["2025-10-14"]["work_orders_completed"] == 0


def test_active_utilization_with_hold(store):
    """Seed 003, Metric 1.2: a 10:00–16:00 work order with a 12:00–14:00 hold is active 4 h
    and scheduled 6 h. Over the 24 h its shifts give (not the seed's 28 h, DESIGN.md §11):
    16.67 % and 25.0 %."""
    plant(store)
    work_orders(store, [{"id": "WO1", "machine_id": "M1", "status": "Completed",
                         "start_time": "2025-10-14T10:00:00Z",
                         "end_time": "2025-10-14T16:00:00Z"}])
    logs(store, [
        {"work_order_id": "WO1", "status": status, "changed_at": f"2025-10-14T{hh}:00:00Z"}
        for status, hh in (("Start", 10), ("Hold", 12), ("Start", 14), ("Completed", 16))])
    row = _util_day(run(store, utilization, **custom(day(14), day(14),
                                                     "2025-10-20T00:00:00+00:00")), 14)
    assert row["active_utilization"] == 16.67
    assert row["scheduled_utilization"] == 25.0
    assert row["uptime_hours"] == 4.0
    assert row["work_orders_completed"] == 1
    status = run(store, machine_status, **custom(day(14), day(14),
                                                 "2025-10-20T00:00:00+00:00"))
    hours = status["primary_period"]["state_hours"]["machines"][0]
    assert (hours["running_hours"], hours["hold_hours"], hours["idle_hours"]) == (4.0, 2.0, 18.0)


def test_uptime_example(store):
    """Seed 003 "Uptime Hours": 06–14 Completed and 14:30–22:00 Start give 15.5 h; WO103
    "22:00–06:00 (next day)" counts on the next day."""
    plant(store)
    work_orders(store, [
        {"id": "WO101", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T14:00:00Z"},
        {"id": "WO102", "machine_id": "M1", "status": "Start",
         "start_time": "2025-10-14T14:30:00Z", "end_time": "2025-10-14T22:00:00Z"},
        {"id": "WO103", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-15T22:00:00Z", "end_time": "2025-10-16T06:00:00Z"},
    ])
    row = _util_day(run(store, utilization, **custom(day(14), day(14),
                                                     "2025-10-20T00:00:00+00:00")), 14)
    assert row["uptime_hours"] == 15.5
    assert row["downtime_hours"] == 8.5
    assert row["unplanned_downtime_hours"] == 8.5 and row["planned_downtime_hours"] == 0.0


@pytest.mark.parametrize(("orders", "expected"), [
    # Seed 003 "Units Produced": 429 + 380 + 150 = 959 good units; scrap is not counted.
    ([(429, 5), (380, 8), (150, 2)], {"units_produced": 959, "scrap_units": 15}),
    # Seed 003 "Quality Rate": 800 good of 815 made → 98.16 %, scrap rate 1.84 %.
    ([(500, 10), (300, 5)], {"quality_rate": 98.16, "scrap_rate": 1.84, "units_produced": 800}),
])
def test_production_examples(store, orders, expected):
    plant(store)
    work_orders(store, [
        {"id": f"WO{i}", "machine_id": "M1", "status": "Completed", "ok_qty": ok,
         "scrap_qty": scrap, "start_time": f"2025-10-14T{6 + i:02d}:00:00Z",
         "end_time": f"2025-10-14T{7 + i:02d}:00:00Z"}
        for i, (ok, scrap) in enumerate(orders)])
    row = _util_day(run(store, utilization, **custom(day(14), day(14),
                                                     "2025-10-20T00:00:00+00:00")), 14)
    assert {k: row[k] for k in expected} == expected


def test_average_cycle_time_example(store):
    """Seed 003 "Average Cycle Time": 8 h for 400 units and 6 h for 300 → 840/700 = 1.2."""
    plant(store)
    work_orders(store, [
        {"id": "WO401", "machine_id": "M1", "status": "Completed", "ok_qty": 400,
         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T14:00:00Z"},
        {"id": "WO402", "machine_id": "M1", "status": "Completed", "ok_qty": 300,
         "start_time": "2025-10-14T14:00:00Z", "end_time": "2025-10-14T20:00:00Z"},
    ])
    row = _util_day(run(store, utilization, **custom(day(14), day(14),
                                                     "2025-10-20T00:00:00+00:00")), 14)
    assert row["average_cycle_time"] == 1.2


def test_overlapping_work_orders_count_once(store):
    plant(store)
    work_orders(store, [
        {"id": "A", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T14:00:00Z"},
        {"id": "B", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-14T10:00:00Z", "end_time": "2025-10-14T18:00:00Z"},
    ])
    row = _util_day(run(store, utilization, **custom(day(14), day(14),
                                                     "2025-10-20T00:00:00+00:00")), 14)
    assert row["uptime_hours"] == 12.0 and row["scheduled_utilization"] == 50.0


@pytest.mark.parametrize(("tz", "d", "hours"), [
    ("America/New_York", date(2025, 3, 9), 23.0),   # spring forward
    ("America/New_York", date(2025, 11, 2), 25.0),  # fall back
    ("Europe/Berlin", date(2025, 3, 30), 23.0),
    ("Europe/Berlin", date(2025, 10, 26), 25.0),
])
def test_dst_days_have_their_real_length(store, tz, d, hours):
    plant(store, tz=tz)
    start, end = local(tz, f"{d}T00:00:00"), local(tz, f"{d + timedelta(days=1)}T00:00:00")
    work_orders(store, [{"id": "W", "machine_id": "M1", "status": "Completed",
                         "start_time": start, "end_time": end}])
    util = run(store, utilization, **custom(d, d, "2025-12-31T00:00:00+00:00"))
    row = util["primary_period"]["daily_breakdown"][0]
    assert row["available_hours"] == hours
    assert row["uptime_hours"] == hours
    assert row["scheduled_utilization"] == 100.0
    status = run(store, machine_status, **custom(d, d, "2025-12-31T00:00:00+00:00"))
    assert status["primary_period"]["state_hours"]["daily"][0]["running_hours"] == hours


def test_naive_local_days_follow_the_site_zone(store):
    """A work order 23:00–01:00 Berlin time belongs to two Berlin days, whatever UTC says."""
    tz = "Europe/Berlin"
    plant(store, tz=tz)
    work_orders(store, [{"id": "W", "machine_id": "M1", "status": "Completed",
                         "start_time": "2025-10-14T23:00:00", "end_time": "2025-10-15T01:00:00"}])
    util = run(store, utilization, **custom(day(14), day(15), "2025-10-20T00:00:00+00:00"))
    rows = {r["date"]: r["uptime_hours"] for r in util["primary_period"]["daily_breakdown"]}
    assert rows == {"2025-10-14": 1.0, "2025-10-15": 1.0}


def test_empty_period_has_zero_utilization_and_null_rates(store):
    plant(store, machines=3)
    util = run(store, utilization, **custom(day(1), day(3), "2025-10-20T00:00:00+00:00"))
    summary = util["primary_period"]["summary"]
    assert summary["scheduled_utilization"] == 0.0 and summary["units_produced"] == 0
    assert summary["quality_rate"] is None and summary["first_pass_yield"] is None
    assert summary["machine_count"] == 0 and summary["total_machines"] == 3
    status = run(store, machine_status, **custom(day(1), day(3), "2025-10-20T00:00:00+00:00"))
    assert status["primary_period"]["summary"]["avg_idle"] == 3.0


def test_site_without_shifts_has_no_available_time(store):
    plant(store, shifts=[])
    work_orders(store, [{"id": "W", "machine_id": "M1", "status": "Completed",
                         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T14:00:00Z"}])
    row = run(store, utilization, **custom(day(14), day(14), "2025-10-20T00:00:00+00:00"))[
        "primary_period"]["daily_breakdown"][0]
    assert row["available_hours"] == 0.0 and row["scheduled_utilization"] == 0.0
    assert row["uptime_hours"] == 8.0  # the work is still reported


def test_pooled_rates_are_not_means_of_machine_rates(store):
    plant(store, machines=2)
    work_orders(store, [
        {"id": "A", "machine_id": "M1", "status": "Completed", "ok_qty": 90, "scrap_qty": 10,
         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T07:00:00Z"},
        {"id": "B", "machine_id": "M2", "status": "Completed", "ok_qty": 900, "scrap_qty": 0,
         "start_time": "2025-10-14T06:00:00Z", "end_time": "2025-10-14T07:00:00Z"},
    ])
    row = _util_day(run(store, utilization, **custom(day(14), day(14),
                                                     "2025-10-20T00:00:00+00:00")), 14)
    assert row["quality_rate"] == 99.0  # 990 of 1000, not the mean of 90 % and 100 %
    assert row["machine_count"] == 2
