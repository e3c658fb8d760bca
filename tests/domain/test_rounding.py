"""Rounding halves away from zero, as reports print numbers."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.domain.rounding import round_half_up


def _decimal_reference(value: float, ndigits: int) -> float:
    quantum = Decimal(1).scaleb(-ndigits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(("value", "ndigits", "expected"), [
    (2.25, 1, 2.3), (2.35, 1, 2.4), (-2.25, 1, -2.3), (1.005, 2, 1.01), (2.675, 2, 2.68),
    (34 / 7, 1, 4.9), (60.71428571, 1, 60.7), (0.5, 0, 1.0), (-0.5, 0, -1.0), (0.0, 2, 0.0),
    (98.159509, 2, 98.16), (1.8404908, 2, 1.84),
])
def test_worked_values(value, ndigits, expected):
    assert round_half_up(value, ndigits) == expected


def test_none_stays_none():
    assert round_half_up(None, 1) is None


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 4))
def test_fast_path_agrees_with_decimal_rounding_of_the_printed_value(value, ndigits):
    assert round_half_up(value, ndigits) == _decimal_reference(value, ndigits)


@given(st.integers(-10**7, 10**7), st.integers(0, 3))
def test_exact_halves_round_away_from_zero(units, ndigits):
    value = (units + 0.5) / 10**ndigits
    expected = _decimal_reference(value, ndigits)
    assert round_half_up(value, ndigits) == expected
    assert abs(round_half_up(value, ndigits)) >= abs(value) - 1e-9
