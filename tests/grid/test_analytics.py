"""The OMS analytics services on both stores: one hand-built week in Berlin whose every number
is worked out below, the DST nights, an empty installation, and reference computations in
plain Python as the oracle for the SQL on random data."""

from __future__ import annotations

import math
import random
import statistics
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grid.outage_rows import at, berlin_week, customer, insert, outage
from opslens.domain import ieee1366
from opslens.domain.periods import calendar_buckets
from opslens.domain.rounding import round_half_up
from opslens.grid import analytics as svc
from opslens.store import grid_analytics

ORG = "default"
AS_OF = at("2025-03-31T00:00:00+02:00")  # Berlin: the window of 3 days is 28, 29, 30 March
# The data set and its worked numbers: grid.outage_rows.berlin_week.
M = timedelta(minutes=1)

@pytest.fixture
def week(store):
    insert(store, timezone="Europe/Berlin", customers_served=1000, **berlin_week())
    return store


def run(store, fn, query):
    with store.engine.connect() as conn:
        return fn(conn, ORG, query)


# ---- outage trends -----------------------------------------------------------------------------

def test_trends_per_local_day(week):
    body = run(week, svc.outage_trends, svc.TrendQuery(as_of=AS_OF, days=3))
    assert body["window"] == {"start": "2025-03-28T00:00:00+01:00",
                              "end": "2025-03-31T00:00:00+02:00", "days": 3}
    days = {b["bucket"]: b for b in body["buckets"]}
    assert [(b["bucket"], b["hours"]) for b in body["buckets"]] == [
        ("2025-03-28", 24.0), ("2025-03-29", 24.0), ("2025-03-30", 23.0)]
    # 28th: O1, O2 (O2 began before midnight). Confidence (0.95 + 0.70) / 2; restoration 90, 180
    d28 = days["2025-03-28"]
    assert (d28["outages"], d28["customers_affected"], d28["mean_confidence"]) == (2, 604, 0.825)
    assert d28["severity"] == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    assert (d28["mean_restoration_minutes"], d28["median_restoration_minutes"]) == (135.0, 135.0)
    # 29th: the momentary O9 only (O5 cancelled, O6 merged)
    d29 = days["2025-03-29"]
    assert (d29["outages"], d29["customers_affected"], d29["restored_outages"]) == (1, 50, 1)
    assert d29["mean_restoration_minutes"] == 2.0
    # 30th: O3, O4, O8; only O3 is restored by as_of, in 60 real minutes (not 120 of wall clock)
    d30 = days["2025-03-30"]
    assert (d30["outages"], d30["customers_affected"], d30["restored_outages"]) == (3, 13, 1)
    assert d30["mean_confidence"] == 0.75  # (0.5 + 0.85 + 0.9) / 3
    assert d30["median_restoration_minutes"] == 60.0
    # window: 6 outages, restored 2, 60, 90, 180 min: mean 83, median (60 + 90) / 2 = 75
    s = body["summary"]
    assert (s["outages"], s["customers_affected"], s["restored_outages"]) == (6, 667, 4)
    assert s["severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 3}
    assert (s["mean_confidence"], s["mean_restoration_minutes"],
            s["median_restoration_minutes"]) == (0.75, 83.0, 75.0)


def test_trend_filters(week):
    sustained = run(week, svc.outage_trends,
                    svc.TrendQuery(as_of=AS_OF, days=3, outage_type="outage"))
    assert sustained["filters"]["outage_type"] == "sustained"
    assert sustained["summary"]["outages"] == 5  # all but the momentary O9
    critical = run(week, svc.outage_trends,
                   svc.TrendQuery(as_of=AS_OF, days=3, severity="critical"))
    assert [b["outages"] for b in critical["buckets"]] == [1, 0, 0]  # O2
    momentary = run(week, svc.outage_trends,
                    svc.TrendQuery(as_of=AS_OF, days=3, outage_type="momentary"))
    assert momentary["summary"]["outages"] == 1


def test_hours_of_the_spring_forward_day(week):
    body = run(week, svc.outage_trends, svc.TrendQuery(as_of=AS_OF, days=1,
                                                       granularity="hour"))
    labels = [b["bucket"] for b in body["buckets"]]
    assert len(labels) == 23 and "2025-03-30T02:00:00+01:00" not in labels
    counts = {b["bucket"]: b["outages"] for b in body["buckets"] if b["outages"]}
    assert counts == {"2025-03-30T01:00:00+01:00": 1, "2025-03-30T12:00:00+02:00": 1,
                      "2025-03-30T20:00:00+02:00": 1}


def test_the_two_2am_hours_of_the_fall_back_night_are_apart(store):
    first = at("2025-10-26T02:30:00+02:00")
    second = at("2025-10-26T02:30:00+01:00")  # an hour later in real time, same wall clock
    insert(store, timezone="Europe/Berlin", outage_rows=[
        outage("F1", first, first + 10 * M, customers=[customer("P1", first)]),
        outage("F2", second, second + 30 * M, customers=[customer("P2", second)])])
    body = run(store, svc.outage_trends, svc.TrendQuery(
        as_of=at("2025-10-27T00:00:00+01:00"), days=1, granularity="hour"))
    assert len(body["buckets"]) == 25
    counts = {b["bucket"]: (b["outages"], b["mean_restoration_minutes"])
              for b in body["buckets"] if b["outages"]}
    assert counts == {"2025-10-26T02:00:00+02:00": (1, 10.0),
                      "2025-10-26T02:00:00+01:00": (1, 30.0)}
    day = run(store, svc.outage_trends, svc.TrendQuery(as_of=at("2025-10-27T00:00:00+01:00"),
                                                       days=1))
    assert [(b["hours"], b["outages"], b["median_restoration_minutes"])
            for b in day["buckets"]] == [(25.0, 2, 20.0)]


# ---- crew performance --------------------------------------------------------------------------

def test_crew_performance_per_crew_and_type(week):
    body = run(week, svc.crew_performance, svc.CrewQuery(as_of=AS_OF, days=3))
    rows = {(r["crew_name"], r["assignment_type"]): r for r in body["crews"]}
    # A6 (merged outage) and A7 (before the window) do not count
    assert set(rows) == {("Line Crew Alpha", "assessment"), ("Line Crew Alpha", "repair"),
                         ("Line Crew Bravo", "repair"), ("Line Crew Bravo", "restoration")}
    repair = rows[("Line Crew Alpha", "repair")]  # A1: 20 min, on time; A2: 40 min, late
    assert (repair["assignments"], repair["completed"], repair["completion_rate"]) == (2, 2, 1.0)
    assert (repair["mean_response_minutes"], repair["median_response_minutes"],
            repair["p90_response_minutes"]) == (30.0, 30.0, 38.0)  # p90 = 20 + 0.9 × 20
    assert (repair["mean_work_minutes"], repair["median_work_minutes"]) == (90.0, 90.0)
    assert (repair["arrivals_with_eta"], repair["on_time_rate"]) == (2, 0.5)
    bravo = rows[("Line Crew Bravo", "repair")]  # A4 across the DST jump: 30 real minutes
    assert (bravo["assignments"], bravo["completed"], bravo["cancelled"]) == (2, 1, 1)
    assert (bravo["completion_rate"], bravo["median_response_minutes"],
            bravo["mean_work_minutes"], bravo["on_time_rate"]) == (0.5, 30.0, 20.0, 1.0)
    late = rows[("Line Crew Bravo", "restoration")]  # A5 arrives after as_of: not yet
    assert (late["arrived"], late["mean_response_minutes"], late["on_time_rate"]) == (
        0, None, None)
    assessment = rows[("Line Crew Alpha", "assessment")]
    assert (assessment["completion_rate"], assessment["on_time_rate"]) == (0.0, None)
    crews = {r["crew_name"]: r for r in body["crew_totals"]}
    assert crews["Line Crew Alpha"]["p90_response_minutes"] == 38.0  # [20, 30, 40]
    assert crews["Line Crew Bravo"]["completion_rate"] == 0.3333
    t = body["totals"]  # responses [20, 40, 30, 30]; work [60, 120, 20]
    assert (t["assignments"], t["completed"], t["completion_rate"]) == (6, 3, 0.5)
    assert (t["mean_response_minutes"], t["median_response_minutes"],
            t["p90_response_minutes"]) == (30.0, 30.0, 37.0)
    assert (t["mean_work_minutes"], t["median_work_minutes"]) == (66.67, 60.0)
    assert (t["on_time_arrivals"], t["on_time_rate"], t["assignments_per_day"]) == (
        2, 0.6667, 2.0)


def test_crew_filters(week):
    alpha = run(week, svc.crew_performance,
                svc.CrewQuery(as_of=AS_OF, days=3, crew_name="Line Crew Alpha"))
    assert {r["crew_id"] for r in alpha["crews"]} == {"C1"}
    assert alpha["totals"]["assignments"] == 3
    repair = run(week, svc.crew_performance,
                 svc.CrewQuery(as_of=AS_OF, days=3, assignment_type="repair"))
    assert [(r["crew_id"], r["assignments"]) for r in repair["crews"]] == [("C1", 2), ("C2", 2)]
    nobody = run(week, svc.crew_performance, svc.CrewQuery(as_of=AS_OF, days=3,
                                                           crew_name="Nobody"))
    assert nobody["crews"] == [] and nobody["totals"]["assignments"] == 0
    assert nobody["totals"]["completion_rate"] is None


# ---- source reliability ------------------------------------------------------------------------

def test_source_reliability(week):
    body = run(week, svc.source_reliability, svc.WindowQuery(as_of=AS_OF, days=3))
    # outages O1 O2 O3 O4 O8 O9; of high confidence (≥ 0.8): O1, O4, O8
    assert (body["outages"], body["high_confidence_outages"]) == (6, 3)
    s = {r["source"]: r for r in body["sources"]}
    assert list(s) == ["scada", "ami", "onu", "call_center"]
    # scada: E1 → O2 (E10 after as_of is unknown)
    assert (s["scada"]["events"], s["scada"]["correlation_effectiveness"],
            s["scada"]["accuracy"], s["scada"]["restoration_rate"],
            s["scada"]["high_confidence_contribution"]) == (1, 1.0, 1.0, 1.0, 0.0)
    # ami: E2, E3 → O1; E4 → O5 (cancelled); E8 → O8; E11 → merged O6: not correlated;
    # E9 before the window. Correlated 4 of 5, accurate 3 of 4. Its outages O1 (restored),
    # O8 (restored only after as_of): rate 0.5; both of high confidence: 2 of 3.
    ami = s["ami"]
    assert (ami["events"], ami["correlated_events"], ami["accurate_events"]) == (5, 4, 3)
    assert (ami["correlation_effectiveness"], ami["accuracy"]) == (0.8, 0.75)
    assert (ami["outages"], ami["restored_outages"], ami["restoration_rate"]) == (2, 1, 0.5)
    assert ami["high_confidence_contribution"] == 0.6667
    assert (s["onu"]["suppressed_events"], s["onu"]["accuracy"],
            s["onu"]["restoration_rate"], s["onu"]["high_confidence_contribution"]) == (
        1, 1.0, 0.0, 0.3333)
    call = s["call_center"]  # E5 → O4; E6 uncorrelated
    assert (call["events"], call["correlation_effectiveness"], call["accuracy"]) == (2, 0.5, 1.0)


# ---- geographic hotspots -----------------------------------------------------------------------

def test_hotspots(week):
    body = run(week, svc.geographic_hotspots, svc.HotspotQuery(as_of=AS_OF, days=3))
    # placed: O1, O3, O4 within 0.7 km, O2 55 km north; O8, O9 have no position
    assert (body["outages_with_position"], body["outages_without_position"]) == (4, 2)
    [spot] = body["hotspots"]
    assert (spot["outages"], spot["customers_affected"]) == (3, 7)
    assert spot["severity"] == {"critical": 0, "high": 1, "medium": 1, "low": 1}
    assert (spot["latitude"], spot["longitude"]) == (49.003, 8.4)
    assert (spot["first_outage_at"], spot["last_outage_at"]) == (
        "2025-03-28T10:00:00+01:00", "2025-03-30T12:00:00+02:00")
    fewer = run(week, svc.geographic_hotspots,
                svc.HotspotQuery(as_of=AS_OF, days=3, min_outages=4))
    assert fewer["hotspots"] == [] and fewer["outages_in_hotspots"] == 0


# ---- customer impact ---------------------------------------------------------------------------

def test_customer_impact(week):
    body = run(week, svc.customer_impact,
               svc.ImpactQuery(as_of=AS_OF, days=3, sla_minutes=120))
    days = {b["bucket"]: b for b in body["buckets"]}
    # 28th: O1 4 × 90 = 360, O2 600 × 180 = 108,000 customer-min; O2 major (600 ≥ 500)
    d28 = days["2025-03-28"]
    assert (d28["customers_affected"], d28["customer_minutes"]) == (604, 108_360.0)
    assert (d28["major_outages"], d28["major_customers"], d28["minor_outages"],
            d28["minor_customers"], d28["critical_outages"]) == (1, 600, 1, 4, 1)
    assert days["2025-03-29"]["customer_minutes"] == 100.0  # momentary O9: 50 × 2
    # 30th: O3 2 × 60 = 120; O4 open 1 × 720; O8 still off at as_of 10 × 240 = 2,400
    assert days["2025-03-30"]["customer_minutes"] == 3_240.0
    s = body["summary"]
    assert (s["outages"], s["customers_affected"], s["customer_minutes"]) == (6, 667, 111_700.0)
    assert (s["major_outages"], s["minor_outages"], s["minor_customers"]) == (1, 5, 67)
    # restored by as_of: O9 2 min, O3 60, O1 90, O2 180
    bins = {b["bin"]: (b["outages"], b["customers_affected"])
            for b in body["restoration_distribution"]}
    assert bins == {"<30": (1, 50), "30-60": (0, 0), "60-120": (2, 6), "120-240": (1, 600),
                    "240-480": (0, 0), ">=480": (0, 0)}
    assert body["sla"] == {"sla_minutes": 120.0, "restored_outages": 4,
                           "restored_within_sla": 3, "share_within_sla": 0.75}
    critical = body["critical_outages"]
    assert (critical["count"], critical["critical_customers"]) == (1, 3)
    assert [(o["id"], o["started_at"], o["customers_affected"]) for o in critical["outages"]] == [
        ("O1", "2025-03-28T10:00:00+01:00", 4)]


def test_major_threshold_is_inclusive(week):
    body = run(week, svc.customer_impact,
               svc.ImpactQuery(as_of=AS_OF, days=3, major_threshold=600))
    assert body["summary"]["major_outages"] == 1
    body = run(week, svc.customer_impact,
               svc.ImpactQuery(as_of=AS_OF, days=3, major_threshold=601))
    assert body["summary"]["major_outages"] == 0


# ---- reliability indices -----------------------------------------------------------------------

def _reliability(store, **params):
    query = svc.ReliabilityQuery(**{"as_of": AS_OF, "from": "2025-03-28", "to": "2025-03-30",
                                    **params})
    return run(store, svc.reliability_indices, query)


def test_reliability_indices_with_and_without_the_major_event_day(week):
    body = _reliability(week)
    # period 28–30 March: 24 + 24 + 23 = 71 h. Sustained records (customers × minutes):
    # O1 P1 1×90, P2 3×90; O2 P3 600×180; O3 P4 2×60; O4 P1 1×720; O8 P6 10×240 (by as_of)
    # Σ N = 617, Σ rN = 111,600, CN = 616 (P1 twice); momentary O9: 50 customers, 2 operations
    assert body["period"]["hours"] == 71.0
    a = body["indices_with_major_event_days"]
    assert a["saifi"] == pytest.approx(0.617, abs=1e-9)
    assert a["saidi"] == pytest.approx(111.6, abs=1e-9)
    assert a["caidi"] == pytest.approx(111_600 / 617, abs=1e-9)
    assert a["caifi"] == pytest.approx(617 / 616, abs=1e-9)
    assert a["ctaidi"] == pytest.approx(111_600 / 616, abs=1e-9)
    assert a["asai"] == pytest.approx(1 - 111_600 / (1000 * 71 * 60), abs=1e-12)
    assert (a["maifi"], a["maifi_e"]) == (pytest.approx(0.1), pytest.approx(0.05))
    assert (a["cemi"], a["celid_s"], a["celid_t"]) == (0.001, 0.001, 0.001)  # P1
    # history: 2024-06-01 SAIDI 1.0, 2024-06-02 4.0 (H0 of 2019 is older than five years):
    # α = ln 2, β = ln 4 / √2, T_MED = exp(α + 2.5 β) = 23.19 min
    med = body["major_event_days"]
    alpha, beta = math.log(2), math.log(4) / math.sqrt(2)
    assert (med["history_days"], med["history_from"]) == (2, "2020-03-28")
    assert med["alpha"] == pytest.approx(alpha) and med["beta"] == pytest.approx(beta)
    assert med["t_med_minutes"] == pytest.approx(math.exp(alpha + 2.5 * beta))
    # daily SAIDI: 28th 108,360 / 1000 = 108.36 > T_MED; 29th 0 (momentary); 30th 3.24
    assert med["days"] == [{"date": "2025-03-28", "saidi_minutes": pytest.approx(108.36)}]
    x = body["indices_without_major_event_days"]  # O3, O4, O8 and the momentary O9 remain
    assert x["saifi"] == pytest.approx(0.013) and x["saidi"] == pytest.approx(3.24)
    assert (x["cemi"], x["celid_s"], x["maifi"]) == (0.0, 0.001, pytest.approx(0.1))
    assert body["indices"] == a
    assert _reliability(week, exclude_major_event_days=True)["indices"] == x


def test_reliability_parameters(week):
    body = _reliability(week, customers_served=2000, cemi_n=0, celid_hours=3)
    a = body["indices_with_major_event_days"]
    assert body["customers_served_source"] == "parameter"
    assert a["saifi"] == pytest.approx(617 / 2000)
    assert a["cemi"] == pytest.approx(616 / 2000)  # CEMI_0 = everyone interrupted
    # ≥ 3 h (180 min) single: P3 180, P1 720, P6 240 → 611; total adds nobody else
    assert a["celid_s"] == pytest.approx(611 / 2000)
    assert a["celid_t"] == pytest.approx(611 / 2000)


def test_without_history_there_is_no_threshold(store):
    t0 = at("2025-06-01T12:00:00+00:00")
    insert(store, timezone="UTC", customers_served=10, outage_rows=[
        outage("X", t0, t0 + 600 * M, customers=[customer("P", t0, customers=10)])])
    body = run(store, svc.reliability_indices, svc.ReliabilityQuery(**{
        "as_of": at("2025-07-01T00:00:00+00:00"), "from": "2025-06-01", "to": "2025-06-30"}))
    med = body["major_event_days"]
    assert (med["t_med_minutes"], med["alpha"], med["days"], med["history_days"]) == (
        None, None, [], 0)
    assert body["indices_with_major_event_days"] == body["indices_without_major_event_days"]
    assert body["indices"]["saidi"] == 600.0


# ---- an empty installation ---------------------------------------------------------------------

def test_an_empty_installation_gives_zeros_and_nulls(store):
    midnight = at("2025-03-31T00:00:00+00:00")  # no network: days of UTC
    trends = run(store, svc.outage_trends, svc.TrendQuery(as_of=midnight, days=2))
    assert trends["timezone"] == "UTC" and len(trends["buckets"]) == 2
    assert trends["summary"]["outages"] == 0
    assert trends["summary"]["median_restoration_minutes"] is None
    assert run(store, svc.crew_performance, svc.CrewQuery(as_of=AS_OF))["totals"][
        "assignments"] == 0
    sources = run(store, svc.source_reliability, svc.WindowQuery(as_of=AS_OF))["sources"]
    assert [(s["events"], s["accuracy"]) for s in sources] == [(0, None)] * 4
    assert run(store, svc.geographic_hotspots, svc.HotspotQuery(as_of=AS_OF))["hotspots"] == []
    impact = run(store, svc.customer_impact, svc.ImpactQuery(as_of=AS_OF, days=1))
    assert impact["summary"]["customer_minutes"] == 0.0
    assert impact["sla"]["share_within_sla"] is None
    indices = run(store, svc.reliability_indices, svc.ReliabilityQuery(as_of=AS_OF))["indices"]
    assert indices["saifi"] is None and indices["caidi"] is None


# ---- reference computations as the oracle ------------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")
ORACLE_AS_OF = datetime(2025, 11, 20, 5, tzinfo=UTC)


def _random_outages(seed: int) -> list:
    """Outages over 2025 around both New York DST changes, some open, cancelled or merged."""
    rng = random.Random(seed)
    rows = []
    for i in range(160):
        start = datetime(2025, 2, 20, tzinfo=UTC) + timedelta(
            minutes=rng.choice([rng.randrange(0, 60 * 24 * 40),  # around 9 March
                                rng.randrange(60 * 24 * 240, 60 * 24 * 272)]))  # 2 November
        end = start + timedelta(minutes=rng.randrange(1, 900))
        restored = None if rng.random() < 0.2 else end
        points = [customer(f"P{rng.randrange(40)}", start + timedelta(minutes=rng.randrange(3)),
                           (end + timedelta(minutes=rng.randrange(0, 30))) if restored else None,
                           customers=rng.randrange(0, 4))
                  for _ in range(rng.randrange(1, 4))]
        points = list({p["element_id"]: p for p in points}.values())
        extra = {}
        if rng.random() < 0.1:
            extra = {"status": "cancelled"}
        elif rng.random() < 0.05:
            extra = {"merged_into": "elsewhere"}
        momentary = rng.random() < 0.15
        rows.append(outage(f"R{i}", start, restored, customers=points,
                           outage_type="momentary" if momentary else "sustained",
                           interruptions=rng.randrange(1, 4) if momentary else 1,
                           confidence=rng.random(),
                           severity=rng.choice(["critical", "high", "medium", "low"]), **extra))
    return rows


def _counted(rows, lo, hi):
    return [(o, members) for o, members in rows
            if o["merged_into"] is None and o["status"] != "cancelled"
            and lo <= o["started_at"] < hi]


@pytest.mark.parametrize("granularity", ["hour", "day", "week", "month"])
def test_trend_buckets_match_a_python_reference(store, granularity):
    rows = _random_outages(1)
    insert(store, timezone="America/New_York", outage_rows=rows)
    days = 300 if granularity != "hour" else 400
    query = svc.TrendQuery(as_of=ORACLE_AS_OF, days=days, granularity=granularity)
    body = run(store, svc.outage_trends, query)
    scope_lo = datetime.fromisoformat(body["window"]["start"])
    buckets = calendar_buckets((scope_lo, ORACLE_AS_OF), NEW_YORK, granularity)
    starts = [b.start for b in buckets]
    expected = [{"n": 0, "minutes": []} for _ in buckets]
    for o, _ in _counted(rows, scope_lo, ORACLE_AS_OF):
        slot = expected[bisect_right(starts, o["started_at"].astimezone(UTC)) - 1]
        slot["n"] += 1
        if o["restored_at"] is not None and o["restored_at"] <= ORACLE_AS_OF:
            slot["minutes"].append((o["restored_at"] - o["started_at"]).total_seconds() / 60)
    got = [(b["outages"], b["median_restoration_minutes"]) for b in body["buckets"]]
    want = [(e["n"], round_half_up(statistics.median(e["minutes"]), 2) if e["minutes"] else None)
            for e in expected]
    assert got == want
    assert sum(e["n"] for e in expected) > 100


def test_reliability_totals_match_the_domain_tally(store):
    rows = _random_outages(2)
    insert(store, timezone="America/New_York", outage_rows=rows)
    lo, hi = datetime(2025, 3, 1, 5, tzinfo=UTC), datetime(2025, 11, 15, 5, tzinfo=UTC)
    excluded = [date(2025, 3, 9), date(2025, 11, 2)]
    steps = svc.offset_steps(lo, hi, NEW_YORK)
    with store.engine.connect() as conn:
        every, kept = grid_analytics.reliability_totals(conn, ORG, lo, hi, ORACLE_AS_OF, steps,
                                                        excluded, 1, 120.0)
    records: list[tuple[date, ieee1366.Interruption]] = []
    for o, members in _counted(rows, lo, hi):
        day = o["started_at"].astimezone(NEW_YORK).date()
        for m in members:
            until = min(m["restored_at"] or ORACLE_AS_OF, ORACLE_AS_OF)
            minutes = max(0.0, (until - m["off_at"]).total_seconds() / 60)
            records.append((day, ieee1366.Interruption(
                m["element_id"], m["customers"], minutes, o["outage_type"] == "sustained",
                o["interruptions"])))
    for totals, chosen in ((every, records),
                           (kept, [r for r in records if r[0] not in excluded])):
        reference = ieee1366.tally((r for _, r in chosen), cemi_n=1, celid_minutes=120.0)
        for name, value in totals.items():
            assert value == pytest.approx(getattr(reference, name), abs=1e-6), name
    assert every["customer_interruptions"] > kept["customer_interruptions"] > 0


def test_offset_steps_find_every_change_to_the_second():
    steps = svc.offset_steps(datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
                             NEW_YORK)
    assert [(t.isoformat(), s) for t, s in steps[1:]] == [
        ("2024-03-10T07:00:00+00:00", -14400), ("2024-11-03T06:00:00+00:00", -18000),
        ("2025-03-09T07:00:00+00:00", -14400), ("2025-11-02T06:00:00+00:00", -18000)]
    utc = svc.offset_steps(datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC),
                           ZoneInfo("UTC"))
    assert len(utc) == 1


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata",
                        "Australia/Lord_Howe", "UTC"]),
       st.integers(0, 3 * 365 * 86_400), st.integers(0, 3 * 365 * 86_400))
def test_offset_steps_give_the_zone_offset_of_any_instant(zone, a, b):
    tz = ZoneInfo(zone)
    lo = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=min(a, b))
    hi = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=max(a, b) + 1)
    steps = svc.offset_steps(lo, hi, tz)
    starts = [since for since, _ in steps]
    for instant in (lo, hi - timedelta(seconds=1), lo + (hi - lo) / 2):
        offset = steps[max(0, bisect_right(starts, instant) - 1)][1]
        assert offset == instant.astimezone(tz).utcoffset().total_seconds()
