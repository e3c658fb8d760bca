"""IEEE 1366-2012 indices and the 2.5 beta method: the issue's test vectors, edge cases and
properties that follow from the definitions."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain import ieee1366
from opslens.domain.ieee1366 import Interruption, Totals, indices, med_threshold, tally
from opslens.errors import InvalidInput

# ---- the test vectors --------------------------------------------------------------------------
# Source: the test vectors of the opslens issue for DESIGN.md §6.2 ("reliability-indices"),
# worked by hand from the index definitions of IEEE Std 1366-2012. 1,000 customers served.
# Sustained: customers 1–100 for 120 min, customers 51–100 for 60 min, customers 201–220 for
# 540 min. One momentary event reaches customers 1–300 with 2 reclose operations.
#   Σ N_i       = 100 + 50 + 20                      = 170      → SAIFI = 0.17
#   Σ r_i N_i   = 100·120 + 50·60 + 20·540 = 25,800 customer-min → SAIDI = 25.8 min
#   CAIDI       = 25,800 / 170                       = 151.7647 min
#   CN          = 100 (1–100) + 20 (201–220)         = 120      → CAIFI = 170/120 = 1.416667
#   CTAIDI      = 25,800 / 120                       = 215.0 min
#   CEMI_1      = customers with > 1 interruption: 51–100 = 50 → 0.05
#   MAIFI       = 2 operations × 300 / 1,000         = 0.6
#   MAIFI_E     = 1 event × 300 / 1,000              = 0.3
#   CELID (6 h) = customers 201–220 (540 min ≥ 360 single and total) = 20 → 0.02; customers
#                 51–100 total 180 min, below
N_T = 1000
VECTOR = [
    *(Interruption(f"c{k}", 1, 120.0) for k in range(1, 101)),
    *(Interruption(f"c{k}", 1, 60.0) for k in range(51, 101)),
    *(Interruption(f"c{k}", 1, 540.0) for k in range(201, 221)),
    *(Interruption(f"c{k}", 1, sustained=False, operations=2) for k in range(1, 301)),
]


def test_the_issue_vector_every_intermediate_sum():
    t = tally(VECTOR, cemi_n=1, celid_minutes=360.0)
    assert t == Totals(customer_interruptions=170, customer_minutes=25_800,
                       customers_interrupted=120, customers_over_n=50,
                       customers_long_single=20, customers_long_total=20,
                       momentary_interruptions=600, momentary_events=300)


def test_the_issue_vector_indices():
    got = indices(tally(VECTOR), N_T, period_hours=8760.0)
    expected = {"saifi": 0.17, "saidi": 25.8, "caidi": 151.7647, "caifi": 1.416667,
                "ctaidi": 215.0, "cemi": 0.05, "maifi": 0.6, "maifi_e": 0.3,
                "celid_s": 0.02, "celid_t": 0.02}
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-6 if name != "caidi" else 1e-4), name
    assert got["caidi"] == pytest.approx(25_800 / 170, abs=1e-6)
    # ASAI over a year: 1 − 25,800 / (1,000 · 8,760 · 60)
    assert got["asai"] == pytest.approx(1 - 25_800 / 525_600_000, abs=1e-12)


def test_the_issue_med_vector():
    # Source: the same issue; daily SAIDI e^0 … e^4: ln values 0…4, α = 2, sample
    # β = √(10/4) = 1.581139, T_MED = e^(2 + 2.5·1.581139) = e^5.952847 = 384.847 min.
    threshold = med_threshold([math.exp(k) for k in range(5)])
    assert threshold is not None
    assert threshold.alpha == pytest.approx(2.0, abs=1e-6)
    assert threshold.beta == pytest.approx(1.581139, abs=1e-6)
    assert threshold.t_med == pytest.approx(384.847, abs=1e-3)
    assert threshold.days == 5


# ---- edge cases --------------------------------------------------------------------------------

def test_nothing_interrupted_gives_zeros_and_none_for_per_interrupted_ratios():
    got = indices(tally([]), N_T, 24.0)
    assert (got["saifi"], got["saidi"], got["maifi"], got["cemi"], got["asai"]) == (
        0.0, 0.0, 0.0, 0.0, 1.0)
    assert got["caidi"] is None and got["caifi"] is None and got["ctaidi"] is None


def test_no_customers_served_or_empty_period_give_none():
    got = indices(tally(VECTOR), 0, 24.0)
    assert all(got[name] is None for name in ("saifi", "saidi", "asai", "maifi", "cemi",
                                              "celid_s"))
    assert got["caidi"] == pytest.approx(25_800 / 170)  # needs no N_T
    assert indices(tally(VECTOR), N_T, 0.0)["asai"] is None


def test_a_point_weights_its_customers_and_an_onu_sharing_a_customer_weighs_nothing():
    t = tally([Interruption("meter", 3, 10.0), Interruption("onu", 0, 10.0)])
    assert (t.customer_interruptions, t.customer_minutes, t.customers_interrupted) == (
        3.0, 30.0, 3.0)


def test_momentary_only_customers_are_not_interrupted_customers():
    t = tally([Interruption("a", 1, sustained=False, operations=3)])
    assert (t.customers_interrupted, t.customer_interruptions) == (0.0, 0.0)
    assert (t.momentary_interruptions, t.momentary_events) == (3.0, 1.0)


def test_cemi_counts_more_than_n_and_celid_reaching_the_duration():
    records = [Interruption("a", 1, 360.0), Interruption("b", 1, 200.0),
               Interruption("b", 1, 160.0), Interruption("c", 1, 359.0)]
    t = tally(records, cemi_n=1, celid_minutes=360.0)
    assert t.customers_over_n == 1  # b: 2 > 1; a and c: 1, not more than 1
    assert t.customers_long_single == 1  # a: exactly 6 h counts (IEEE: "≥ a given time")
    assert t.customers_long_total == 2  # a 360, b 200 + 160 = 360; c 359 does not
    assert tally(records, cemi_n=0).customers_over_n == 3  # CEMI_0 = CN


def test_bad_records_and_daily_values_are_rejected():
    with pytest.raises(InvalidInput):
        Interruption("a", -1, 10.0)
    with pytest.raises(InvalidInput):
        med_threshold([1.0, -2.0])
    with pytest.raises(InvalidInput):
        tally([], cemi_n=-1)


def test_fewer_than_two_nonzero_days_have_no_threshold_and_no_major_event_day():
    assert med_threshold([]) is None
    assert med_threshold([0.0, 0.0, 7.5]) is None  # zero days have no logarithm
    assert ieee1366.major_event_days({date(2025, 7, 1): 1e9}, None) == []


def test_two_equal_days_give_beta_zero_and_only_a_larger_day_is_major():
    threshold = med_threshold([10.0, 10.0])
    assert threshold is not None and threshold.beta == 0.0
    assert threshold.t_med == pytest.approx(10.0)
    days = {date(2025, 7, 1): 10.0, date(2025, 7, 2): 10.000001}
    assert ieee1366.major_event_days(days, threshold.t_med) == [date(2025, 7, 2)]


# ---- properties --------------------------------------------------------------------------------

records = st.lists(st.builds(
    Interruption, customer=st.sampled_from("abcdefgh"), customers=st.integers(0, 5),
    minutes=st.floats(0, 2000, allow_nan=False), sustained=st.booleans(),
    operations=st.integers(1, 4)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(records, st.integers(0, 3), st.floats(0, 1000, allow_nan=False), st.randoms())
def test_order_of_records_changes_nothing(rs, n, minutes, rnd):
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    a, b = tally(rs, n, minutes), tally(shuffled, n, minutes)
    for field in Totals.__dataclass_fields__:
        assert getattr(a, field) == pytest.approx(getattr(b, field))


@settings(max_examples=200, deadline=None)
@given(records, st.integers(1, 10_000))
def test_index_identities(rs, served):
    t = tally(rs)
    got = indices(t, served, 24.0)
    if got["caidi"] is not None:
        assert got["saidi"] == pytest.approx(got["saifi"] * got["caidi"])
    if got["caifi"] is not None and got["caidi"] is not None:
        assert got["ctaidi"] == pytest.approx(got["caifi"] * got["caidi"])
    assert t.customers_over_n <= t.customers_interrupted
    assert t.customers_long_single <= t.customers_long_total <= t.customers_interrupted
    assert t.momentary_events <= t.momentary_interruptions  # each event ≥ 1 operation


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.001, 1e5, allow_nan=False), min_size=2, max_size=60),
       st.floats(0.01, 100.0))
def test_scaling_daily_saidi_scales_the_threshold(days, k):
    # ln(k·x) = ln k + ln x: α moves by ln k, β stays, so T_MED scales by k
    a, b = med_threshold(days), med_threshold([k * x for x in days])
    assert a is not None and b is not None
    assert b.beta == pytest.approx(a.beta, abs=1e-9)
    assert b.t_med == pytest.approx(k * a.t_med, rel=1e-9)


def test_major_event_days_are_exactly_those_above_the_threshold():
    rng = random.Random(7)
    history = [rng.lognormvariate(1.0, 0.8) for _ in range(5 * 365)]
    threshold = med_threshold(history)
    assert threshold is not None
    start = date(2025, 1, 1)
    period = {start + timedelta(days=i): rng.lognormvariate(1.0, 1.2) for i in range(365)}
    meds = ieee1366.major_event_days(period, threshold.t_med)
    assert meds == sorted(d for d, v in period.items() if v > threshold.t_med)
    assert 0 < len(meds) < 40  # a storm tail: a few days, not many


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.dates(date(2020, 1, 1), date(2030, 12, 31)),
                       st.floats(0, 1e4, allow_nan=False), max_size=30),
       st.floats(0, 1e4, allow_nan=False), st.floats(0, 1e4, allow_nan=False))
def test_a_higher_threshold_never_adds_major_event_days(daily, t1, t2):
    low, high = sorted((t1, t2))
    at_low, at_high = (ieee1366.major_event_days(daily, t) for t in (low, high))
    assert set(at_high) <= set(at_low) and at_low == sorted(at_low)
    assert all(daily[d] > low for d in at_low)
    assert all(daily[d] <= low for d in set(daily) - set(at_low))
