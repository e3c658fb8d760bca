"""Rounding as reports print it: halves away from zero (PHP's and Excel's ``round``).

Python's ``round`` sends halves to even (``round(2.25, 1) == 2.2``); a KPI report that says
2.3 where the spreadsheet says 2.3 must not print 2.2.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float | None, ndigits: int) -> float | None:
    """Round ``value`` to ``ndigits`` decimals, halves away from zero; None stays None.

    The decimal expansion Python prints for the float (its shortest repr) is rounded, so
    ``1.005`` rounds to ``1.01`` as a reader of the number expects.

    >>> round_half_up(2.25, 1), round(2.25, 1)
    (2.3, 2.2)
    >>> round_half_up(-0.125, 2)
    -0.13
    >>> round_half_up(34 / 7, 1)
    4.9
    >>> round_half_up(None, 1) is None
    True
    """
    if value is None:
        return None
    scaled = float(value) * 10.0**ndigits
    if abs(scaled - math.floor(scaled) - 0.5) > 1e-6:  # not near a half: plain rounding agrees
        return round(float(value), ndigits)
    quantum = Decimal(1).scaleb(-ndigits)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
