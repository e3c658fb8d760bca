"""Comparison of a metric between two periods (DESIGN.md §3, seed 003 "Comparison Mode")."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.comparison import Direction, compare
from opslens.errors import InvalidInput

HIGHER = Direction.higher_is_better
LOWER = Direction.lower_is_better
NEUTRAL = Direction.neutral


def test_seed_003_running_machines():
    # seed 003 "Comparison Mode Calculations": Running 5.2 vs 4.7 → +0.5, +10.6 %, up, improved
    assert compare(5.2, 4.7, HIGHER) == {
        "current": 5.2,
        "previous": 4.7,
        "difference": 0.5,  # not 0.5000000000000004
        "percentage_change": 10.64,
        "trend": "up",
        "status": "improved",
    }


def test_seed_003_hold_machines():
    # Hold 1.1 vs 1.5 → −0.4, −26.7 %, down, improved (fewer machines on hold is good)
    assert compare(1.1, 1.5, LOWER) == {
        "current": 1.1,
        "previous": 1.5,
        "difference": -0.4,
        "percentage_change": -26.67,
        "trend": "down",
        "status": "improved",
    }


def test_seed_003_utilization_change():
    # seed 003 "Percentage Change Calculation": 75.5 % vs 70.3 % → +7.4 %
    result = compare(75.5, 70.3, HIGHER)
    assert (result["difference"], result["percentage_change"]) == (5.2, 7.4)


@pytest.mark.parametrize(
    ("current", "previous", "direction", "trend", "status"),
    [
        (6.0, 5.0, HIGHER, "up", "improved"),
        (4.0, 5.0, HIGHER, "down", "declined"),
        (6.0, 5.0, LOWER, "up", "declined"),
        (4.0, 5.0, LOWER, "down", "improved"),
        (6.0, 5.0, NEUTRAL, "up", "neutral"),
        (4.0, 5.0, NEUTRAL, "down", "neutral"),
        (5.0, 5.0, HIGHER, "flat", "unchanged"),
        (5.0, 5.0, LOWER, "flat", "unchanged"),
        (5.0, 5.0, NEUTRAL, "flat", "unchanged"),
    ],
)
def test_trend_and_status_by_direction(current, previous, direction, trend, status):
    result = compare(current, previous, direction)
    assert (result["trend"], result["status"]) == (trend, status)


def test_direction_may_be_given_as_text():
    assert compare(4.0, 5.0, "lower_is_better")["status"] == "improved"
    assert Direction("neutral") is NEUTRAL
    assert NEUTRAL == "neutral"


def test_previous_zero_has_no_percentage_but_still_a_trend():
    assert compare(3.0, 0.0, HIGHER) == {
        "current": 3.0,
        "previous": 0.0,
        "difference": 3.0,
        "percentage_change": None,
        "trend": "up",
        "status": "improved",
    }
    both_zero = compare(0, 0, LOWER)
    assert (both_zero["difference"], both_zero["percentage_change"]) == (0.0, None)
    assert (both_zero["trend"], both_zero["status"]) == ("flat", "unchanged")


@pytest.mark.parametrize(("current", "previous"), [(None, 4.7), (5.2, None), (None, None)])
def test_missing_value_makes_every_derived_field_none(current, previous):
    assert compare(current, previous, HIGHER) == {
        "current": current,
        "previous": previous,
        "difference": None,
        "percentage_change": None,
        "trend": None,
        "status": None,
    }


def test_a_change_below_the_display_precision_is_flat():
    result = compare(1.004, 1.0, HIGHER)
    assert (result["difference"], result["trend"], result["status"]) == (0.0, "flat", "unchanged")
    assert result["percentage_change"] == 0.4
    assert math.copysign(1.0, compare(0.996, 1.0, HIGHER)["difference"]) == 1.0  # no -0.0


def test_halves_round_away_from_zero_as_reports_print_them():
    # Python's round(0.25, 1) gives 0.2; the reports (and seed 003's PHP) give 0.3
    assert compare(1.25, 1.0, HIGHER, ndigits=1)["difference"] == 0.3
    assert compare(1.0, 1.25, HIGHER, ndigits=1)["difference"] == -0.3
    assert compare(897, 800, HIGHER)["percentage_change"] == 12.13  # exactly 12.125 %


def test_ndigits_sets_the_difference_precision():
    result = compare(4.86, 4.0, HIGHER, ndigits=1)
    assert (result["difference"], result["percentage_change"]) == (0.9, 21.5)
    assert compare(7, 5, HIGHER, ndigits=0)["difference"] == 2.0


def test_negative_previous_keeps_the_percentage_sign_with_the_trend():
    result = compare(-2.0, -4.0, HIGHER)
    assert (result["difference"], result["percentage_change"], result["trend"]) == (2.0, 50.0, "up")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"current": math.nan, "previous": 1.0, "direction": HIGHER}, "current nan"),
        ({"current": 1.0, "previous": math.inf, "direction": HIGHER}, "previous inf"),
        ({"current": "5", "previous": 1.0, "direction": HIGHER}, "finite number"),
        ({"current": 1.0, "previous": 1.0, "direction": "up_is_good"}, "higher_is_better"),
        ({"current": 1.0, "previous": 1.0, "direction": HIGHER, "ndigits": -1}, "ndigits"),
    ],
)
def test_bad_input_says_what_to_fix(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        compare(**kwargs)


values = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3))


@settings(max_examples=200, deadline=None)
@given(values, values, st.sampled_from(list(Direction)))
def test_swapping_periods_mirrors_the_comparison(current, previous, direction):
    forward = compare(current, previous, direction)
    backward = compare(previous, current, direction)
    assert forward["difference"] == -backward["difference"]
    mirror = {"up": "down", "down": "up", "flat": "flat"}
    assert backward["trend"] == mirror[forward["trend"]]
    if forward["trend"] == "up":
        assert forward["difference"] > 0 and current > previous
    if forward["status"] in ("improved", "declined"):
        assert backward["status"] != forward["status"]
        assert backward["status"] in ("improved", "declined")


@settings(max_examples=200, deadline=None)
@given(values, values)
def test_opposite_directions_judge_oppositely(current, previous):
    higher = compare(current, previous, HIGHER)["status"]
    lower = compare(current, previous, LOWER)["status"]
    neutral = compare(current, previous, NEUTRAL)["status"]
    flip = {"improved": "declined", "declined": "improved", "unchanged": "unchanged"}
    assert lower == flip[higher]
    assert neutral == ("unchanged" if higher == "unchanged" else "neutral")


@settings(max_examples=200, deadline=None)
@given(values, values.filter(lambda v: v != 0))
def test_percentage_change_agrees_with_the_formula(current, previous):
    result = compare(current, previous, HIGHER)
    exact = 100 * (current - previous) / abs(previous)
    # half a unit of the 2nd decimal, plus the float spacing at this magnitude (3.4e7 % is
    # held to about 4e-9, so an exact half like ...375 may land a hair beyond 0.005)
    assert result["percentage_change"] == pytest.approx(exact, abs=0.005 + 1e-12 * abs(exact)
                                                        + 1e-9)
    if result["percentage_change"] != 0:
        assert (result["percentage_change"] > 0) == (current > previous)
