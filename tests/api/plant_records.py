"""A small plant whose KPIs can be worked out by hand.

One site in Europe/Berlin (CEST, UTC+2, in October 2025) with two shifts, 06:00-14:00 and
14:00-22:00, each with a 30-minute break: 15 available hours per machine and day. Three
machines. ``AS_OF`` is Wednesday 2025-10-15 14:00 local (12:00 UTC).

| work order | machine | what happens (local time)                                           |
|------------|---------|---------------------------------------------------------------------|
| WO-1       | M1      | Mon 13 Oct: Start 06:00 → Completed 14:00, 100 good, 5 scrap, fpy 95 |
| WO-2       | M2      | Tue 14 Oct: Start 08:00 → Hold 10:00 (20 good), still on hold       |
| WO-3       | M3      | assigned Wed 15 Oct 09:00 for a start at 18:00 the same day         |
| WO-4       | M1      | Wed 15 Oct: Start 06:00, running at AS_OF                           |

So the machine status per day is: 13 Oct running 1 (M1), idle 2; 14 Oct running 1 (M2),
idle 2; 15 Oct running 1 (M1), hold 1 (M2), scheduled 1 (M3); every other day idle 3.
"""

from __future__ import annotations

from datetime import UTC, datetime

AS_OF = datetime(2025, 10, 15, 12, 0, tzinfo=UTC)
SITE = "S1"
MACHINES = ("M1", "M2", "M3")

PLANT: dict[str, list[dict]] = {
    "sites": [{"id": SITE, "name": "Berlin Works", "timezone": "Europe/Berlin",
               "latitude": 52.52, "longitude": 13.40}],
    "lines": [{"id": "L1", "site_id": SITE, "name": "Line 1"}],
    "machines": [
        {"id": m, "site_id": SITE, "line_id": "L1", "name": f"Machine {m[1]}",
         "asset_id": f"A-{m}", "ideal_cycle_time_s": 60}
        for m in MACHINES
    ],
    "shifts": [
        {"id": "EARLY", "site_id": SITE, "name": "Early", "start_time": "06:00",
         "end_time": "14:00", "breaks": ["10:00-10:30"]},
        {"id": "LATE", "site_id": SITE, "name": "Late", "start_time": "14:00",
         "end_time": "22:00", "breaks": ["18:00-18:30"]},
    ],
    "work_orders": [
        {"id": "WO-1", "site_id": SITE, "machine_id": "M1", "status": "Completed",
         "start_time": "2025-10-13T06:00:00+02:00", "end_time": "2025-10-13T14:00:00+02:00",
         "qty": 100, "ok_qty": 100, "scrap_qty": 5, "product_id": "P-1"},
        {"id": "WO-2", "site_id": SITE, "machine_id": "M2", "status": "Hold",
         "start_time": "2025-10-14T08:00:00+02:00", "qty": 50},
        {"id": "WO-3", "site_id": SITE, "machine_id": "M3", "status": "Assigned",
         "start_time": "2025-10-15T18:00:00+02:00", "qty": 10},
        {"id": "WO-4", "site_id": SITE, "machine_id": "M1", "status": "Start",
         "start_time": "2025-10-15T06:00:00+02:00", "qty": 80},
    ],
    "work_order_logs": [
        {"work_order_id": "WO-1", "status": "Assigned", "changed_at": "2025-10-12T12:00:00+02:00"},
        {"work_order_id": "WO-1", "status": "Start", "changed_at": "2025-10-13T06:00:00+02:00",
         "ok_qty": 0, "scrap_qty": 0},
        {"work_order_id": "WO-1", "status": "Completed",
         "changed_at": "2025-10-13T14:00:00+02:00", "ok_qty": 100, "scrap_qty": 5, "fpy": 95},
        {"work_order_id": "WO-2", "status": "Start", "changed_at": "2025-10-14T08:00:00+02:00",
         "ok_qty": 0, "scrap_qty": 0},
        {"work_order_id": "WO-2", "status": "Hold", "changed_at": "2025-10-14T10:00:00+02:00",
         "ok_qty": 20, "scrap_qty": 0},
        {"work_order_id": "WO-3", "status": "Assigned",
         "changed_at": "2025-10-15T09:00:00+02:00"},
        {"work_order_id": "WO-4", "status": "Start", "changed_at": "2025-10-15T06:00:00+02:00"},
    ],
}
