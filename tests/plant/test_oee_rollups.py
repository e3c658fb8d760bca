"""The hourly and daily OEE rollups on both stores: a window read from stored hours and days
gives exactly what the time model gives from raw rows, stored hours are only trusted once
stable, and ingest forgets what a change reaches."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from opslens.domain.calendars import shift_instances
from opslens.domain.downtime import resolve
from opslens.domain.intervals import local_day_bounds
from opslens.domain.oee import OeeInputs
from opslens.domain.time_model import machine_inputs
from opslens.ingest.service import ingest
from opslens.plant import oee_rollups
from opslens.plant.oee import machine_sums
from opslens.plant.oee_rollups import Reasons, count_of
from opslens.plant.sites import load_site
from opslens.store import oee as oee_store
from opslens.store import schema
from opslens.store.engine import Store
from opslens.store.schema import OEE_SUMS

ORG = "acme"
# Berlin, a night shift across midnight and an early shift that starts on the half hour, so
# hours are cut between shifts; 26 Oct 2025 is the 25-hour day (clocks go back).
PLANT = {
    "sites": [{"id": "S", "name": "Berlin", "timezone": "Europe/Berlin"}],
    "lines": [{"id": "L", "site_id": "S", "name": "Line"}],
    "machines": [{"id": f"M{i}", "site_id": "S", "line_id": "L", "name": f"Machine {i}",
                  "ideal_cycle_time_s": 20 + 10 * i} for i in range(3)],
    "shifts": [{"id": "EARLY", "site_id": "S", "name": "Early", "start_time": "06:30",
                "end_time": "14:30", "breaks": ["10:00-10:30"]},
               {"id": "NIGHT", "site_id": "S", "name": "Night", "start_time": "22:00",
                "end_time": "06:00"}],
}
START = datetime(2025, 10, 24, 22, tzinfo=UTC)  # Saturday 25 Oct, 00:00 in Berlin
DAYS = 3
AS_OF = START + timedelta(days=DAYS + 1)
THREE_DAYS = (START, local_day_bounds(date(2025, 10, 27), ZoneInfo("Europe/Berlin"))[1])


def load(store: Store, records: dict[str, list[dict]]) -> None:
    for kind, rows in records.items():
        result = ingest(store, ORG, kind, [rows])
        assert result.errors == [], result.errors


def random_data(seed: int) -> dict[str, list[dict]]:
    """Stops (overlapping, short, open-ended planned ones) and counts (points and periods)."""
    rng = random.Random(seed)
    stops, counts = [], []
    reasons = ["BREAKDOWN", "MATERIAL", "MINOR-STOP", "CHANGEOVER-PLAN", "CHANGEOVER", "BREAK"]
    for m in range(3):
        t = START
        for n in range(40):
            t += timedelta(minutes=rng.randint(5, 150))
            length = rng.choice([30, 90, 119, 121, 600, 3000, 7200])
            stops.append({"id": f"D{m}-{n}", "machine_id": f"M{m}",
                          "reason_code": rng.choice(reasons),
                          "start_time": t.isoformat(),
                          "end_time": (t + timedelta(seconds=length)).isoformat()})
        t = START
        while t < START + timedelta(days=DAYS):
            step = timedelta(minutes=rng.choice([7, 20, 45, 90]))
            total = rng.randint(0, 200)
            good = rng.randint(0, total)
            row = {"machine_id": f"M{m}", "counted_at": (t + step).isoformat(),
                   "total": total, "good": good}
            if rng.random() < 0.7:
                row["period_start"] = t.isoformat()
            counts.append(row)
            t += step
    return {"downtime_events": stops, "production_counts": counts}


def raw_inputs(store: Store, machine_id: str, window, as_of) -> OeeInputs:
    """The time model over the whole window, straight from raw rows."""
    with store.engine.connect() as conn:
        site = load_site(conn, ORG, "S")
        reasons = Reasons.load(conn, ORG)
        stops = [reasons.stop(r) for r in oee_store.stops(conn, ORG, [machine_id], *window)]
        counts = [count_of(r) for r in oee_store.counts(conn, ORG, [machine_id], *window)]
    first = window[0].astimezone(site.tz).date() - timedelta(days=1)
    last = window[1].astimezone(site.tz).date()
    return machine_inputs(window, shift_instances(site.shifts, first, last, site.tz),
                          resolve(stops, as_of), counts, as_of)


def rolled_up(store: Store, window, as_of) -> dict[str, OeeInputs]:
    with store.engine.begin() as conn:
        site = load_site(conn, ORG, "S")
        sums = machine_sums(conn, ORG, site, list(site.machines), window, as_of, 120.0)
    return {m["id"]: inputs for m, inputs in sums}


def assert_same(a: OeeInputs, b: OeeInputs) -> None:
    for f in fields(OeeInputs):
        assert getattr(a, f.name) == pytest.approx(getattr(b, f.name), abs=1e-6), f.name


def count_marks(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).all()[0][0]


def test_the_sums_are_the_inputs_fields():
    assert tuple(f.name for f in fields(OeeInputs)) == OEE_SUMS


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_give_exactly_what_raw_rows_give(store: Store, seed: int):
    load(store, PLANT)
    load(store, random_data(seed))
    windows = [THREE_DAYS,  # whole days: read from oee_days
               (START + timedelta(hours=5, minutes=17), START + timedelta(days=2, hours=3,
                                                                          minutes=41))]
    for window in windows:
        first = rolled_up(store, window, AS_OF)  # computes and stores what is stable
        second = rolled_up(store, window, AS_OF)  # now served from the store
        for machine_id in ("M0", "M1", "M2"):
            raw = raw_inputs(store, machine_id, window, AS_OF)
            assert_same(first[machine_id], raw)
            assert_same(second[machine_id], raw)
    # 3 local days, the last with 25 hours; every one stored and summed into a day row
    assert count_marks(store, schema.oee_rollup_hours) == 24 + 25 + 24
    assert count_marks(store, schema.oee_rollup_days) == 3


def test_an_earlier_as_of_never_reads_hours_that_were_not_yet_settled(store: Store):
    load(store, PLANT)
    hour = START + timedelta(hours=9)  # 11:00 Berlin, inside the early shift
    load(store, {"production_counts": [
        {"machine_id": "M0", "period_start": hour.isoformat(),
         "counted_at": (hour + timedelta(hours=2)).isoformat(), "total": 120, "good": 120}]})
    window = (hour, hour + timedelta(hours=1))
    assert rolled_up(store, window, AS_OF)["M0"].total_count == pytest.approx(60)
    # at 12:30 the count (reported at 13:00) was not known: nothing from the stored hour
    early = rolled_up(store, window, hour + timedelta(hours=1, minutes=30))
    assert early["M0"].total_count == 0


def test_an_open_stop_is_stored_once_it_is_known_to_be_long(store: Store):
    load(store, PLANT)
    start = START + timedelta(hours=9, minutes=59)  # 11:59 Berlin
    load(store, {"downtime_events": [{"id": "OPEN", "machine_id": "M1",
                                      "reason_code": "BREAKDOWN",
                                      "start_time": start.isoformat()}]})
    hour = (START + timedelta(hours=9), START + timedelta(hours=10))
    # at 12:00:30 the stop has lasted 90 s: a minor stop so far, and the hour is not stored
    as_of = hour[1] + timedelta(seconds=30)
    inputs = rolled_up(store, hour, as_of)["M1"]
    assert (inputs.minor_stop_s, inputs.unplanned_downtime_s) == (60, 0)
    assert count_marks(store, schema.oee_rollup_hours) == 0
    later = rolled_up(store, hour, AS_OF)["M1"]
    assert (later.minor_stop_s, later.unplanned_downtime_s) == (0, 60)
    assert count_marks(store, schema.oee_rollup_hours) == 1


def test_ingest_forgets_the_hours_and_days_a_change_reaches(store: Store):
    load(store, PLANT)
    load(store, random_data(3))
    day = (START, START + timedelta(days=1))
    before = rolled_up(store, day, AS_OF)
    assert count_marks(store, schema.oee_rollup_days) == 1
    late = START + timedelta(hours=12, minutes=10, seconds=7)  # a late count, a moved stop
    load(store, {"production_counts": [{"machine_id": "M2", "counted_at": late.isoformat(),
                                        "total": 500, "good": 400}],
                 "downtime_events": [{"id": "D2-0", "machine_id": "M2",
                                      "reason_code": "BREAKDOWN",
                                      "start_time": (late - timedelta(hours=2)).isoformat(),
                                      "end_time": late.isoformat()}]})
    assert count_marks(store, schema.oee_rollup_days) == 0
    after = rolled_up(store, day, AS_OF)
    assert after["M2"].total_count == pytest.approx(before["M2"].total_count + 500)
    assert_same(after["M2"], raw_inputs(store, "M2", day, AS_OF))
    assert_same(after["M0"], before["M0"])


def test_changing_a_reason_code_forgets_every_stored_hour(store: Store):
    load(store, PLANT)
    load(store, random_data(4))
    rolled_up(store, (START, START + timedelta(days=1)), AS_OF)
    assert count_marks(store, schema.oee_rollup_hours) == 24
    load(store, {"reason_codes": [{"code": "MATERIAL", "category": "unplanned",
                                   "description": "Material shortage", "planned": True,
                                   "loss": "planned"}]})
    assert count_marks(store, schema.oee_rollup_hours) == 0


def test_refresh_stores_every_ended_hour_from_the_first_record(store: Store):
    load(store, PLANT)
    load(store, random_data(5))
    with store.engine.begin() as conn:
        site = load_site(conn, ORG, "S")
        stored = oee_rollups.refresh(conn, ORG, site, START.date() - timedelta(days=30),
                                     (START + timedelta(days=DAYS)).date(), now=AS_OF)
    # from the first record (25 Oct) on: 24 hours, the 25-hour day, 24 hours
    assert stored == count_marks(store, schema.oee_rollup_hours) == 24 + 25 + 24


def test_hours_are_cut_where_shifts_hand_over(store: Store):
    load(store, PLANT)
    with store.engine.begin() as conn:
        site = load_site(conn, ORG, "S")
    # 05:00–07:00 Berlin: the night shift ends at 06:00, the early one starts at 06:30
    morning = oee_rollups.slots(site, (START + timedelta(hours=5), START + timedelta(hours=7)))
    assert [s.hour for s in morning] == [5, 6]
    assert [[p[2] for p in s.parts] for s in morning] == [["NIGHT"], ["", "EARLY"]]
    cut = oee_rollups.slots(site, (START + timedelta(hours=5, minutes=20),
                                   START + timedelta(hours=6, minutes=40)))
    assert [(s.whole, s.start.minute, s.end.minute) for s in cut] == [(False, 20, 0),
                                                                       (False, 0, 40)]
