"""OEE (DESIGN.md §5.5): published worked examples, edge cases and pooling properties."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain import oee
from opslens.domain.oee import OeeInputs, SixBigLosses

MIN = 60.0
RATIOS = ("availability", "performance", "performance_raw", "quality", "oee", "teep",
          "utilization")


def close(value: float | None, expected: float, tol: float = 1e-4) -> bool:
    return value is not None and abs(value - expected) < tol


# --- published and seed worked examples --------------------------------------------------------


def test_vorne_fast_guide_to_oee():
    # Vorne Industries, "The Fast Guide to OEE" / oee.com "Calculating OEE": shift 480 min,
    # breaks 60 min (2 × 15 + 30), downtime 47 min, ideal run rate 60 parts/min (ideal cycle
    # time 1 s), total 19,271, reject 423; TEEP over all time 480 min.
    i = OeeInputs(all_time_s=480 * MIN, scheduled_s=480 * MIN, planned_downtime_s=60 * MIN,
                  unplanned_downtime_s=47 * MIN, ideal_output_s=1.0 * 19271,
                  total_count=19271, good_count=19271 - 423, scrap_count=423)
    assert i.planned_production_s == 420 * MIN
    assert i.run_s == 373 * MIN
    assert i.good_count == 18848
    r = oee.evaluate(i)
    assert (r.planned_production_s, r.run_s) == (420 * MIN, 373 * MIN)
    assert close(r.availability, 0.8881)  # 373 / 420
    assert close(r.performance, 0.8611)  # 19,271 s / 22,380 s
    assert close(r.quality, 0.9780)  # 18,848 / 19,271
    # The guide multiplies its rounded factors (0.7480); the exact product is 18,848 / 25,200
    # = 0.74794, within 1e-4 of it.
    assert close(r.oee, 0.7480)
    assert close(r.teep, 0.6544)
    assert r.utilization == 420 / 480
    assert r.performance_raw == r.performance and r.performance_capped is False


def test_planned_480_down_80_ideal_half_minute_700_parts():
    # DESIGN.md §5.5 seed example: run 400 min, ideal output 350 min.
    i = OeeInputs(scheduled_s=480 * MIN, unplanned_downtime_s=80 * MIN,
                  ideal_output_s=700 * 0.5 * MIN, total_count=700, good_count=700)
    assert i.run_s == 400 * MIN
    r = oee.evaluate(i)
    assert close(r.availability, 0.8333) and close(r.performance, 0.8750)
    assert r.quality == 1.0 and close(r.oee, 0.7292)


def test_a_line_pools_its_machines_not_the_mean_of_their_oees():
    # DESIGN.md §5.5: m1 planned 100, run 90; m2 planned 300, run 150; ideal cycle 1 min.
    m1 = OeeInputs(scheduled_s=100 * MIN, unplanned_downtime_s=10 * MIN,
                   ideal_output_s=80 * MIN, total_count=80, good_count=80)
    m2 = OeeInputs(scheduled_s=300 * MIN, unplanned_downtime_s=150 * MIN,
                   ideal_output_s=150 * MIN, total_count=150, good_count=135)
    assert (m1.run_s, m2.run_s) == (90 * MIN, 150 * MIN)
    assert (oee.oee(m1), oee.oee(m2)) == (pytest.approx(0.8), pytest.approx(0.45))
    line = m1 + m2
    assert (line.planned_production_s, line.run_s) == (400 * MIN, 240 * MIN)
    assert close(oee.oee(line), 0.5375)  # 215 good minutes of 400 planned
    assert close((oee.oee(m1) + oee.oee(m2)) / 2, 0.625)
    assert not close(oee.oee(line), 0.625)
    assert sum([m1, m2]) == line == sum([m2, m1], OeeInputs())


def test_six_big_losses_in_minutes():
    # planned 480, down 80 of which 30 setup, ideal cycle 0.5 min, total 700, rejects 100 of
    # which 40 at startup.
    ict = 0.5 * MIN
    i = OeeInputs(scheduled_s=480 * MIN, unplanned_downtime_s=80 * MIN, setup_s=30 * MIN,
                  ideal_output_s=700 * ict, ideal_good_s=600 * ict,
                  ideal_startup_reject_s=40 * ict, total_count=700, good_count=600,
                  scrap_count=60, startup_reject_count=40)
    losses = oee.six_big_losses(i)
    minutes = {k: v / MIN for k, v in dataclasses.asdict(losses).items()}
    assert minutes == {"planned_production_s": 480, "fully_productive_s": 300,
                       "breakdowns_s": 50, "setup_adjustments_s": 30, "minor_stops_s": 0,
                       "reduced_speed_s": 50, "process_defects_s": 30, "reduced_yield_s": 20}
    shares = losses.shares
    assert shares is not None and list(shares) == [
        "fully_productive", "breakdowns", "setup_adjustments", "minor_stops", "reduced_speed",
        "process_defects", "reduced_yield"]
    assert shares["breakdowns"] == 50 / 480 and shares["reduced_yield"] == 20 / 480
    assert math.fsum(shares.values()) == pytest.approx(1.0)
    assert shares["fully_productive"] == pytest.approx(oee.oee(i))  # one ideal cycle time
    assert oee.evaluate(i).losses == losses


def test_logged_minor_stops_take_their_part_of_the_speed_loss_first():
    i = OeeInputs(scheduled_s=100 * MIN, minor_stop_s=5 * MIN, ideal_output_s=90 * MIN,
                  ideal_good_s=90 * MIN, total_count=90, good_count=90)
    losses = oee.six_big_losses(i)
    assert (losses.minor_stops_s, losses.reduced_speed_s) == (5 * MIN, 5 * MIN)
    # more minor stops logged than the speed loss: capped at it, nothing left for speed
    more = dataclasses.replace(i, minor_stop_s=30 * MIN)
    assert (oee.six_big_losses(more).minor_stops_s, oee.six_big_losses(more).reduced_speed_s) \
        == (10 * MIN, 0.0)


# --- edge cases --------------------------------------------------------------------------------


def test_zero_planned_time_leaves_every_ratio_undefined():
    for i in (OeeInputs(), OeeInputs(all_time_s=600, scheduled_s=60, planned_downtime_s=600,
                                     total_count=5, good_count=5)):
        r = oee.evaluate(i)
        assert i.planned_production_s == 0 and i.run_s == 0
        assert [getattr(r, n) for n in RATIOS if n not in ("quality", "utilization")] \
            == [None] * 5
        assert r.performance_capped is False and r.losses.shares is None
    assert oee.evaluate(OeeInputs()).quality is None
    assert oee.utilization(OeeInputs(all_time_s=600, scheduled_s=60)) == 0.1


def test_zero_run_time():
    i = OeeInputs(scheduled_s=3600, unplanned_downtime_s=3600, failures=1, repair_s=3600)
    r = oee.evaluate(i)
    assert r.availability == 0.0
    assert r.performance is None and r.performance_raw is None and r.oee is None
    assert r.mtbf_s == 0.0 and r.mttr_s == 3600


def test_nothing_produced_leaves_quality_and_oee_undefined():
    r = oee.evaluate(OeeInputs(all_time_s=3600, scheduled_s=3600))
    assert r.availability == 1.0 and r.performance == 0.0
    assert r.quality is None and r.oee is None and r.teep is None
    assert r.utilization == 1.0


def test_performance_above_one_is_capped_for_oee_and_reported_raw():
    i = OeeInputs(scheduled_s=100, ideal_output_s=125, total_count=125, good_count=125)
    r = oee.evaluate(i)
    assert r.performance_raw == 1.25 and r.performance == 1.0 and r.performance_capped is True
    assert r.oee == 1.0
    losses = r.losses  # no speed loss; the excess is not a negative loss
    assert losses.minor_stops_s == losses.reduced_speed_s == 0.0


def test_output_without_an_ideal_cycle_time_makes_performance_undefined():
    i = OeeInputs(scheduled_s=100, ideal_output_s=50, total_count=60, good_count=55,
                  unknown_ideal_count=10)
    r = oee.evaluate(i)
    assert r.performance is None and r.performance_raw is None and r.oee is None
    assert r.availability == 1.0 and r.quality == 55 / 60
    assert r.performance_capped is False


def test_downtime_beyond_planned_time_clamps_run_time_at_zero():
    i = OeeInputs(scheduled_s=60, unplanned_downtime_s=600)
    assert i.run_s == 0.0 and oee.availability(i) == 0.0
    assert oee.performance(i) is None


def test_adding_anything_but_sums_is_refused():
    with pytest.raises(TypeError):
        OeeInputs() + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        1 + OeeInputs()  # type: ignore[operator]


def test_the_result_serializes_to_json():
    i = OeeInputs(all_time_s=1000, scheduled_s=800, unplanned_downtime_s=100,
                  ideal_output_s=600, ideal_good_s=540, total_count=600, good_count=540)
    body = json.loads(json.dumps(oee.evaluate(i).as_dict()))
    assert body["oee"] == pytest.approx(540 / 800)
    assert body["losses"]["breakdowns_s"] == 100
    assert body["losses"]["shares"]["fully_productive"] == pytest.approx(540 / 800)


# --- properties --------------------------------------------------------------------------------


@st.composite
def inputs(draw, *, fit_run: bool = False, known_ideal: bool = False) -> OeeInputs:
    """Consistent integer-valued sums (exact in floats): 0 ≤ downtime ≤ planned, setup ≤
    downtime, 0 ≤ good + startup rejects ≤ total, up to three products with their own ideal
    cycle times; ``fit_run`` keeps ideal output within run time (performance_raw ≤ 1)."""
    n = st.integers
    planned_down, planned = draw(n(0, 20_000)), draw(n(0, 200_000))
    unplanned = draw(n(0, planned))
    setup = draw(n(0, unplanned))
    run = planned - unplanned
    ideal = ideal_good = ideal_startup = total = good = startup = 0
    for ict in draw(st.lists(n(1, 60), max_size=3)):
        made = draw(n(0, (run - ideal) // ict if fit_run else 5_000))
        made_good = draw(n(0, made))
        made_startup = draw(n(0, made - made_good))
        ideal, ideal_good = ideal + ict * made, ideal_good + ict * made_good
        ideal_startup += ict * made_startup
        total, good, startup = total + made, good + made_good, startup + made_startup
    unknown = 0 if known_ideal else draw(st.sampled_from([0, 0, 0, 7]))
    values = dict(
        all_time_s=planned_down + planned + draw(n(0, 50_000)),
        scheduled_s=planned_down + planned, planned_downtime_s=planned_down,
        unplanned_downtime_s=unplanned, setup_s=setup, minor_stop_s=draw(n(0, run)),
        ideal_output_s=ideal, ideal_good_s=ideal_good, ideal_startup_reject_s=ideal_startup,
        total_count=total + unknown, good_count=good, scrap_count=total - good - startup,
        rework_count=draw(n(0, good)), startup_reject_count=startup,
        unknown_ideal_count=unknown, repair_s=draw(n(0, unplanned)))
    return OeeInputs(**{k: float(v) for k, v in values.items()}, failures=draw(n(0, 9)))


@settings(max_examples=150, deadline=None)
@given(inputs())
def test_ratios_lie_in_zero_to_one_and_oee_is_their_product(i: OeeInputs):
    r = oee.evaluate(i)
    for name in RATIOS:
        value = getattr(r, name)
        assert value is None or 0.0 <= value <= (math.inf if name == "performance_raw" else 1.0)
    if None in (r.availability, r.performance, r.quality):
        assert r.oee is None
    else:
        assert r.oee == r.availability * r.performance * r.quality


@st.composite
def split(draw, i: OeeInputs) -> tuple[OeeInputs, OeeInputs]:
    """Every field cut in two at its own fraction f: ⌊x·f⌋ and x − ⌊x·f⌋ (exact integers)."""
    first = {}
    for f in dataclasses.fields(OeeInputs):
        x = getattr(i, f.name)
        first[f.name] = type(x)(math.floor(x * draw(st.floats(0, 1))))
    a = OeeInputs(**first)
    b = OeeInputs(**{k: getattr(i, k) - v for k, v in first.items()})
    return a, b


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_pooling_is_invariant_to_splitting_a_window_in_two(data):
    i = data.draw(inputs())
    a, b = data.draw(split(i))
    assert a + b == i
    assert oee.evaluate(a + b) == oee.evaluate(i)


@settings(max_examples=100, deadline=None)
@given(inputs(), inputs(), inputs())
def test_adding_sums_is_commutative_and_associative(a: OeeInputs, b: OeeInputs, c: OeeInputs):
    assert a + b == b + a
    assert (a + b) + c == a + (b + c) == sum([c, a, b]) == sum([b, c, a], OeeInputs())
    assert a + OeeInputs() == a == 0 + a


@settings(max_examples=150, deadline=None)
@given(inputs(fit_run=True, known_ideal=True))
def test_fully_productive_time_and_the_six_losses_fill_planned_production(i: OeeInputs):
    assert oee.performance_raw(i) is None or oee.performance_raw(i) <= 1.0
    losses: SixBigLosses = oee.six_big_losses(i)
    parts = dataclasses.astuple(losses)[1:]
    assert min(parts) >= 0.0
    assert math.fsum(parts) == pytest.approx(i.planned_production_s, rel=1e-12, abs=1e-6)
    if losses.shares is not None:
        assert math.fsum(losses.shares.values()) == pytest.approx(1.0, rel=1e-12)
        if i.total_count > 0 and i.ideal_good_s * i.total_count == i.ideal_output_s * i.good_count:
            assert losses.shares["fully_productive"] == pytest.approx(oee.oee(i), abs=1e-12)
