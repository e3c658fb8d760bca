"""MTBF, MTTR, production rate and rate attainment (DESIGN.md §5.5, ISO 22400-2:2014)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.reliability import mtbf_s, mttr_s, production_rate, rate_attainment

HOUR = 3600.0


def test_reference_operating_1000_h_five_failures_repair_50_h():
    # ISO 22400-2:2014 MTBF = TBF / FE and MTTR = TTR / FE: 1000 h operating, 5 failures,
    # 50 h of repair.
    assert mtbf_s(1000 * HOUR, 5) == 200 * HOUR
    assert mttr_s(50 * HOUR, 5) == 10 * HOUR


def test_no_failures_leaves_mtbf_and_mttr_undefined():
    assert mtbf_s(1000 * HOUR, 0) is None
    assert mttr_s(0.0, 0) is None
    assert mttr_s(5 * HOUR, 0) is None


def test_failures_with_no_operating_time():
    assert mtbf_s(0.0, 3) == 0.0


def test_production_rate_in_units_per_hour():
    # DESIGN.md §5.5 seed example: 700 units in 400 min of run time.
    assert production_rate(700, 400 * 60) == 105.0
    assert production_rate(0, 3600) == 0.0
    assert production_rate(700, 0) is None


def test_rate_attainment():
    assert rate_attainment(105.0, 120.0) == 0.875
    assert rate_attainment(150.0, 120.0) == 1.25  # not capped
    assert rate_attainment(None, 120.0) is None
    assert rate_attainment(105.0, None) is None
    assert rate_attainment(105.0, 0.0) is None
    assert rate_attainment(105.0, -1.0) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 20)), min_size=1, max_size=5))
def test_pooled_mtbf_is_total_time_over_total_failures(machines):
    # pooled, not the mean of per-machine MTBFs; MTBF × failures gives the time back
    time = sum(float(t) for t, _ in machines)
    failures = sum(f for _, f in machines)
    pooled = mtbf_s(time, failures)
    if failures == 0:
        assert pooled is None
    else:
        assert pooled * failures == pytest.approx(time)
