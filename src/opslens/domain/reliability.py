"""Reliability and rate KPIs: MTBF and MTTR (ISO 22400-2:2014), production rate, attainment.

DESIGN.md §5.5. Pure arithmetic on pooled sums: a pool's MTBF is its summed operating time
over its summed failures, never the mean of per-machine MTBFs. Undefined ratios are None.
"""

from __future__ import annotations


def mtbf_s(operating_s: float, failures: int) -> float | None:
    """Mean operating time between failures [s]: ``MTBF = TBF / FE`` (ISO 22400-2:2014).

    ``operating_s`` is the operating (run) time TBF [s], ``failures`` the failure events FE
    begun in the window. None without failures (the time between failures is unobserved).

    >>> mtbf_s(1000 * 3600, 5) / 3600
    200.0
    >>> mtbf_s(1000 * 3600, 0) is None
    True
    """
    return operating_s / failures if failures > 0 else None


def mttr_s(repair_s: float, repairs: int) -> float | None:
    """Mean time to repair [s]: ``MTTR = TTR / FE`` (ISO 22400-2:2014); None without repairs.

    ``repair_s`` is the summed time to repair TTR [s] of ``repairs`` repaired failures.

    >>> mttr_s(50 * 3600, 5) / 3600
    10.0
    >>> mttr_s(0, 0) is None
    True
    """
    return repair_s / repairs if repairs > 0 else None


def production_rate(units: float, run_s: float) -> float | None:
    """Production rate [units/h] = units / run time; None when nothing ran.

    >>> production_rate(700, 400 * 60)
    105.0
    >>> production_rate(700, 0) is None
    True
    """
    return units * 3600.0 / run_s if run_s > 0 else None


def rate_attainment(actual_per_h: float | None, target_per_h: float | None) -> float | None:
    """Rate attainment [1] = actual rate / target rate (both [units/h]); not capped at 1.

    None when the actual rate is unknown or there is no positive target.

    >>> rate_attainment(105.0, 120.0)
    0.875
    >>> rate_attainment(None, 120.0), rate_attainment(105.0, 0)
    (None, None)
    """
    if actual_per_h is None or target_per_h is None or target_per_h <= 0:
        return None
    return actual_per_h / target_per_h
