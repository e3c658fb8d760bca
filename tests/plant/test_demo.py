"""The demo plant generator: determinism, integrity, the ingest consistency rules, and that the
data shows what the plant dashboards need (overnight work, holds, open work at as_of)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.plant.lifecycle import NEXT_STATUS, STATUSES

from opslens.plant.demo import KINDS, build_demo_plant

# Wednesday; Chicago 03:30 (night shift), Berlin 10:30, Pune 15:00. The 120 days before it
# include Berlin's (26 Oct) and Chicago's (2 Nov) fall-back DST changes.
AS_OF = datetime(2025, 11, 12, 9, 30, tzinfo=UTC)
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Records = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def plant() -> Records:
    return build_demo_plant(as_of=AS_OF)


def _parse(value: str, zone: ZoneInfo, what: str) -> datetime:
    """Parse an ISO timestamp and check it carries the site's UTC offset at that instant."""
    assert isinstance(value, str), what
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, f"{what} {value} has no UTC offset"
    assert parsed.utcoffset() == parsed.astimezone(zone).utcoffset(), f"{what} {value}"
    return parsed


def check_plant_records(data: Records, as_of: datetime) -> None:
    """Assert every rule the ingest layer enforces on plant records (DESIGN.md §4)."""
    assert list(data) == list(KINDS)
    for kind in ("sites", "lines", "machines", "shifts", "work_orders"):
        ids = [record["id"] for record in data[kind]]
        assert len(ids) == len(set(ids)), f"duplicate {kind} ids"
    sites = {site["id"]: site for site in data["sites"]}
    zones = {site_id: ZoneInfo(site["timezone"]) for site_id, site in sites.items()}
    lines = {line["id"]: line for line in data["lines"]}
    machines = {machine["id"]: machine for machine in data["machines"]}
    for line in data["lines"]:
        assert line["site_id"] in sites
    for machine in data["machines"]:
        assert machine["site_id"] in sites
        assert lines[machine["line_id"]]["site_id"] == machine["site_id"]
        assert machine["ideal_cycle_time_s"] > 0
    for shift in data["shifts"]:
        assert shift["site_id"] in sites
        assert HHMM.match(shift["start_time"]) and HHMM.match(shift["end_time"])
        assert shift["weekdays"] and set(shift["weekdays"]) <= set(range(1, 8))
        for window in shift["breaks"]:
            start, end = window.split("-")
            assert HHMM.match(start) and HHMM.match(end) and start < end

    orders = {}
    for order in data["work_orders"]:
        assert order["status"] in STATUSES
        machine = machines[order["machine_id"]]
        assert machine["site_id"] == order["site_id"]
        zone = zones[order["site_id"]]
        start = _parse(order["start_time"], zone, "start_time")
        if order["end_time"] is not None:
            assert _parse(order["end_time"], zone, "end_time") > start, order["id"]
        assert order["qty"] > 0 and 0 <= order["ok_qty"] <= order["qty"], order["id"]
        assert 0 <= order["scrap_qty"] <= 0.05 * (order["ok_qty"] + order["scrap_qty"]) + 1
        orders[order["id"]] = order

    logs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for log in data["work_order_logs"]:
        assert log["status"] in STATUSES
        logs[log["work_order_id"]].append(log)
    assert set(logs) <= set(orders), "log for an unknown work order"
    for order_id, order in orders.items():
        own = logs[order_id]
        assert own, f"{order_id} has no logs"
        assert own[-1]["status"] == order["status"], order_id
        zone = zones[order["site_id"]]
        times = [_parse(log["changed_at"], zone, "changed_at") for log in own]
        assert all(a < b for a, b in pairwise(times)), order_id
        assert times[-1] <= as_of, f"{order_id} has a log after as_of"
        statuses = [log["status"] for log in own]
        assert all(b in NEXT_STATUS[a] for a, b in pairwise(statuses))
        for field in ("ok_qty", "scrap_qty"):
            counts = [log[field] for log in own if log[field] is not None]
            assert counts == sorted(counts), f"{order_id} {field} decreases"
            assert not counts or counts[-1] <= order[field], order_id
        for log in own:
            assert log["fpy"] is None or 0 <= log["fpy"] <= 100
        if order["status"] in ("Completed", "Closed"):
            completed = times[statuses.index("Completed")]
            assert _parse(order["end_time"], zone, "end_time") == completed, order_id


def _local_date(value: str, zone: ZoneInfo):
    return datetime.fromisoformat(value).astimezone(zone).date()


def test_records_follow_the_ingest_rules(plant: Records) -> None:
    check_plant_records(plant, AS_OF)


def test_same_seed_same_records_and_other_seed_other_records() -> None:
    first = build_demo_plant(seed=3, days=10, as_of=AS_OF)
    assert first == build_demo_plant(seed=3, days=10, as_of=AS_OF)
    assert first != build_demo_plant(seed=4, days=10, as_of=AS_OF)
    assert first != build_demo_plant(seed=3, days=10, as_of=AS_OF + timedelta(hours=1))


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_demo_plant(as_of=datetime(2025, 11, 12, 9, 30))


def test_plant_shape(plant: Records) -> None:
    zones = [ZoneInfo(site["timezone"]) for site in plant["sites"]]
    assert len(zones) == 3 and len({str(zone) for zone in zones}) == 3
    january, july = datetime(2025, 1, 15, tzinfo=UTC), datetime(2025, 7, 15, tzinfo=UTC)
    assert any(january.astimezone(z).utcoffset() != july.astimezone(z).utcoffset() for z in zones)
    assert 50 <= len(plant["machines"]) <= 60
    for site in plant["sites"]:
        site_lines = [line for line in plant["lines"] if line["site_id"] == site["id"]]
        assert 2 <= len(site_lines) <= 3
        for line in site_lines:
            count = sum(machine["line_id"] == line["id"] for machine in plant["machines"])
            assert 6 <= count <= 10
    assert all(re.match(r"^[A-Za-z]+-\d{2}$", m["name"]) for m in plant["machines"])
    calendars = defaultdict(list)
    for shift in plant["shifts"]:
        calendars[shift["site_id"]].append(shift)
    shapes = {
        (len(shifts), all(6 in s["weekdays"] for s in shifts)) for shifts in calendars.values()
    }
    assert (3, True) in shapes, "a site working three shifts every day"
    assert (2, False) in shapes, "a site working two shifts with weekends off"


def test_history_has_overnight_work_holds_closures_and_idle_days(plant: Records) -> None:
    zones = {site["id"]: ZoneInfo(site["timezone"]) for site in plant["sites"]}
    done = [o for o in plant["work_orders"] if o["status"] in ("Completed", "Closed")]
    overnight = [
        o
        for o in done
        if _local_date(o["start_time"], zones[o["site_id"]])
        != _local_date(o["end_time"], zones[o["site_id"]])
    ]
    assert len(overnight) > 0.05 * len(done)
    across_dst = [
        o
        for o in done
        if datetime.fromisoformat(o["start_time"]).utcoffset()
        != datetime.fromisoformat(o["end_time"]).utcoffset()
    ]
    assert across_dst, "some work order runs across a DST change"
    hours = sorted(
        (datetime.fromisoformat(o["end_time"]) - datetime.fromisoformat(o["start_time"]))
        / timedelta(hours=1)
        for o in done
    )
    assert 2 <= hours[len(hours) // 2] <= 10 and hours[int(0.9 * len(hours))] <= 12

    statuses = defaultdict(list)
    for log in plant["work_order_logs"]:
        statuses[log["work_order_id"]].append(log["status"])
    resumed = [s for s in statuses.values() if s[-1] in ("Completed", "Closed") and "Hold" in s]
    assert 0.05 * len(done) < len(resumed) < 0.5 * len(done)
    closed = sum(o["status"] == "Closed" for o in done)
    assert 0.3 * len(done) < closed < 0.9 * len(done)

    good = sum(o["ok_qty"] for o in done)
    scrap = sum(o["scrap_qty"] for o in done)
    assert 0.5 <= 100 * scrap / (good + scrap) <= 4
    fpys = [log["fpy"] for log in plant["work_order_logs"] if log["fpy"] is not None]
    assert fpys and 90 <= sum(fpys) / len(fpys) < 100
    assert any(
        log["ok_qty"] is None and log["status"] == "Completed" for log in plant["work_order_logs"]
    )

    worked_days = defaultdict(set)
    for o in done:
        worked_days[o["machine_id"]].add(_local_date(o["start_time"], zones[o["site_id"]]))
    assert all(120 - len(days) >= 5 for days in worked_days.values()), "idle days on every machine"


def test_as_of_shows_running_held_and_planned_work(plant: Records) -> None:
    zones = {site["id"]: ZoneInfo(site["timezone"]) for site in plant["sites"]}
    by_status = defaultdict(list)
    for order in plant["work_orders"]:
        by_status[order["status"]].append(order)
    assert len(by_status["Start"]) >= 5 and len(by_status["Hold"]) >= 2
    for order in by_status["Start"] + by_status["Hold"]:
        end = order["end_time"]
        assert end is None or datetime.fromisoformat(end) > AS_OF
    today = [
        o
        for o in by_status["Assigned"]
        if _local_date(o["start_time"], zones[o["site_id"]])
        == AS_OF.astimezone(zones[o["site_id"]]).date()
    ]
    overdue = [o for o in today if datetime.fromisoformat(o["start_time"]) <= AS_OF]
    assert len(today) >= 3 and overdue, "assigned for today, some already overdue"
    later = [o for o in by_status["Assigned"] if datetime.fromisoformat(o["start_time"]) > AS_OF]
    tomorrow = AS_OF + timedelta(days=1)
    assert any(datetime.fromisoformat(o["start_time"]).date() >= tomorrow.date() for o in later)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    days=st.integers(1, 4),
    as_of=st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
)
def test_any_seed_and_as_of_follow_the_ingest_rules(seed: int, days: int, as_of: datetime) -> None:
    check_plant_records(build_demo_plant(seed=seed, days=days, as_of=as_of), as_of)
