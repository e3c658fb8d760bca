"""Compare one metric between the current and a previous period.

DESIGN.md §3 "Comparison periods" (seed 003 "Comparison Mode Calculations"): for each metric,
``current``, ``previous``, ``difference``, ``percentage_change`` (null when previous is 0),
``trend`` (up, down, flat) and ``status`` (improved, declined, unchanged) judged by the metric's
declared direction, which is declared once per metric, not per caller.
"""

from __future__ import annotations

import math
from enum import StrEnum
from numbers import Real
from typing import TypedDict

from opslens.domain.rounding import round_half_up
from opslens.errors import InvalidInput

__all__ = ["ComparisonResult", "Direction", "compare"]


class Direction(StrEnum):
    """Which way a metric improves."""

    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"
    neutral = "neutral"


class ComparisonResult(TypedDict):
    """The comparison of one metric (a plain dict at run time)."""

    current: float | None
    previous: float | None
    difference: float | None
    percentage_change: float | None
    trend: str | None
    status: str | None


def _checked(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvalidInput(f"{name} {value!r} must be a finite number or None (no data)")
    return value


def _rounded(value: float, ndigits: int) -> float:
    rounded = round_half_up(value, ndigits)  # a float in, a float out
    return rounded if rounded else 0.0  # also turns -0.0 into 0.0


def compare(
    current: float | None,
    previous: float | None,
    direction: Direction | str,
    ndigits: int = 2,
) -> ComparisonResult:
    """Compare a metric's current value with its previous value.

    .. code-block:: text

        difference        = round(current − previous, ndigits)
        percentage_change = round(100 · (current − previous) / |previous|, 2)
                            (None when previous = 0)
        trend             = up if difference > 0, down if difference < 0, else flat
        status            = unchanged if difference = 0; otherwise improved or declined by
                            ``direction``, or neutral for a neutral metric

    Rounding is half away from zero, as reports print it (:mod:`opslens.domain.rounding`).
    Rounding the difference first keeps float noise out (5.2 − 4.7 gives 0.5, not
    0.5000000000000004) and makes a change too small to show read as flat and unchanged. The
    percentage divides by ``|previous|`` so that its sign agrees with the change's sign.

    Parameters
    ----------
    current, previous : float or None
        The metric over the current and the comparison period, in the metric's unit; None when
        the period has no data, which makes every derived field None.
    direction : Direction or str
        The metric's declared direction.
    ndigits : int, default 2
        Decimals kept in ``difference`` (use the metric's display precision).

    Returns
    -------
    ComparisonResult
        ``current``, ``previous`` (as given), ``difference`` [metric unit],
        ``percentage_change`` [%], ``trend`` and ``status``.

    Examples
    --------
    Seed 003's running and hold machines:

    >>> running = compare(5.2, 4.7, Direction.higher_is_better)
    >>> running["difference"], running["percentage_change"], running["trend"], running["status"]
    (0.5, 10.64, 'up', 'improved')
    >>> hold = compare(1.1, 1.5, "lower_is_better")
    >>> hold["difference"], hold["percentage_change"], hold["trend"], hold["status"]
    (-0.4, -26.67, 'down', 'improved')
    >>> compare(3.0, 0.0, Direction.neutral)["percentage_change"] is None
    True
    """
    current = _checked("current", current)
    previous = _checked("previous", previous)
    try:
        direction = Direction(direction)
    except ValueError:
        allowed = ", ".join(d.value for d in Direction)
        raise InvalidInput(f"unknown direction {direction!r}; use one of: {allowed}") from None
    if isinstance(ndigits, bool) or not isinstance(ndigits, int) or ndigits < 0:
        raise InvalidInput(f"ndigits {ndigits!r} must be a whole number of decimals, 0 or more")
    if current is None or previous is None:
        return ComparisonResult(
            current=current,
            previous=previous,
            difference=None,
            percentage_change=None,
            trend=None,
            status=None,
        )
    change = current - previous
    difference = _rounded(change, ndigits)
    percentage_change = None if previous == 0 else _rounded(100.0 * change / abs(previous), 2)
    trend = "up" if difference > 0 else "down" if difference < 0 else "flat"
    if difference == 0:
        status = "unchanged"
    elif direction is Direction.neutral:
        status = "neutral"
    else:
        better = (difference > 0) == (direction is Direction.higher_is_better)
        status = "improved" if better else "declined"
    return ComparisonResult(
        current=current,
        previous=previous,
        difference=difference,
        percentage_change=percentage_change,
        trend=trend,
        status=status,
    )
