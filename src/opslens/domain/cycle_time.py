"""Cycle times as logged: unit-weighted statistics, efficiency and speed loss.

Seed 004 §3.1 (``oee_performance_logs``: actual and target cycle time, units produced,
efficiency and speed loss) and §4.3 (cycle-time analysis); DESIGN.md §5.5 (roll-ups pool the
sums, never average the ratios; an undefined ratio is None). Units: cycle times [s] per unit,
units [units], work and losses [s].

A log says that ``units`` units were made at ``actual_s`` seconds each against a target of
``target_s`` seconds each. Over a set of logs i::

    actual work   A = Σ actual_i · units_i
    target work   T = Σ target_i · units_i
    mean cycle time = A / Σ units_i
    efficiency      = T / A
    speed loss      = Σ max(0, actual_i − target_i) · units_i

Efficiency pools the logs (the time the units should have taken over the time they took),
so a window gives the same figure whole or as the sum of its parts, and a 1,000-unit log
weighs a hundred times a 10-unit one; the mean of per-log percentages would weigh them alike.
A log's own efficiency is target / actual and its speed loss 1 − efficiency, floored at 0:
a log faster than its target has no speed loss, while in the pooled efficiency it still
offsets slower ones. Target-based figures are None when any unit has no target (leaving
those units out, or counting them at zero target, would misstate the pool; as
:func:`opslens.domain.oee.performance_raw` does for counts without an ideal cycle time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["CycleLog", "CycleStats", "log_efficiency", "log_speed_loss", "summarize",
           "weighted_quantile"]

_TOLERANCE = 1e-12  # relative: q · W computed in floats may sit a hair above Σ weights


@dataclass(frozen=True, slots=True)
class CycleLog:
    """``units`` made at ``actual_s`` [s] each, against ``target_s`` [s] (None: unknown)."""

    actual_s: float
    units: float
    target_s: float | None = None


def log_efficiency(actual_s: float, target_s: float | None) -> float | None:
    """Efficiency of one log [1] = target_s / actual_s.

    None without a target or with an actual cycle time of 0 (nothing to divide by).

    >>> log_efficiency(75, 60)
    0.8
    >>> log_efficiency(50, 60)
    1.2
    >>> log_efficiency(60, None) is None
    True
    """
    if target_s is None or actual_s <= 0:
        return None
    return target_s / actual_s


def log_speed_loss(efficiency: float | None) -> float | None:
    """Speed loss of one log [1] = max(0, 1 − efficiency); None when efficiency is None.

    >>> log_speed_loss(0.8)
    0.19999999999999996
    >>> log_speed_loss(1.2)
    0.0
    """
    return None if efficiency is None else max(0.0, 1.0 - efficiency)


def weighted_quantile(values: Sequence[tuple[float, float]], q: float) -> float | None:
    """The q-quantile of ``(value, weight)`` pairs: the smallest value whose cumulative
    weight reaches q · Σ weight (the inverse of the weighted distribution function, no
    interpolation, so the answer is always a logged value).

    Pairs with weight ≤ 0 are ignored; None when no weight is left. ``q`` in [0, 1].

    >>> logs = [(60, 100), (75, 50), (50, 50)]
    >>> weighted_quantile(logs, 0.5), weighted_quantile(logs, 0.9), weighted_quantile(logs, 0)
    (60, 75, 50)
    >>> weighted_quantile([(60, 0)], 0.5) is None
    True
    """
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q!r} is outside [0, 1]")
    weighted = sorted((v, w) for v, w in values if w > 0)
    if not weighted:
        return None
    total = sum(w for _, w in weighted)
    threshold = q * total * (1 - _TOLERANCE)
    running = 0.0
    for value, weight in weighted:
        running += weight
        if running >= threshold:
            return value
    return weighted[-1][0]


@dataclass(frozen=True, slots=True)
class CycleStats:
    """What :func:`summarize` finds. Times [s], units [units]; None where undefined."""

    logs: int  # every log given, those without units included
    units: float
    actual_work_s: float  # Σ actual · units
    target_work_s: float | None  # Σ target · units; None when some unit has no target
    units_without_target: float
    mean_s: float | None  # unit-weighted mean actual cycle time
    min_s: float | None  # of the logs with units
    max_s: float | None
    p50_s: float | None  # unit-weighted, see weighted_quantile
    p90_s: float | None
    target_s: float | None  # unit-weighted mean target cycle time
    efficiency: float | None  # [1], pooled
    speed_loss_s: float | None


def summarize(logs: Iterable[CycleLog]) -> CycleStats:
    """Unit-weighted cycle-time statistics and pooled efficiency of ``logs``.

    mean = A / U, efficiency = T / A, speed loss = Σ max(0, actual − target) · units, with
    U = Σ units, A and T as in the module docstring. Logs without units weigh nothing. mean,
    min, max and quantiles are None when U = 0; efficiency when A = 0; target figures when
    U = 0 or some unit has no target.

    Seed 004 worked example (3 logs against a 60 s target): 100 units at 60 s, 50 at 75 s,
    50 at 50 s. A = 6000 + 3750 + 2500 = 12250 s, T = 60 · 200 = 12000 s, efficiency
    12000 / 12250 = 97.96 %, speed loss (75 − 60) · 50 = 750 s:

    >>> s = summarize([CycleLog(60, 100, 60), CycleLog(75, 50, 60), CycleLog(50, 50, 60)])
    >>> s.mean_s, s.min_s, s.max_s, s.p50_s, s.p90_s, s.target_s
    (61.25, 50, 75, 60, 75, 60.0)
    >>> round(s.efficiency, 6), s.speed_loss_s
    (0.979592, 750.0)
    >>> summarize([CycleLog(60, 0, 60)]).efficiency is None
    True
    >>> summarize([CycleLog(60, 10, 60), CycleLog(60, 10)]).efficiency is None
    True
    """
    count = 0
    units = actual_work = target_work = speed_loss = without_target = 0.0
    weighted: list[tuple[float, float]] = []
    for log in logs:
        count += 1
        if log.units <= 0:
            continue
        units += log.units
        actual_work += log.actual_s * log.units
        weighted.append((log.actual_s, log.units))
        if log.target_s is None:
            without_target += log.units
            continue
        target_work += log.target_s * log.units
        speed_loss += max(0.0, log.actual_s - log.target_s) * log.units
    targets_known = units > 0 and without_target == 0
    return CycleStats(
        logs=count,
        units=units,
        actual_work_s=actual_work,
        target_work_s=target_work if targets_known else None,
        units_without_target=without_target,
        mean_s=actual_work / units if units > 0 else None,
        min_s=min(v for v, _ in weighted) if weighted else None,
        max_s=max(v for v, _ in weighted) if weighted else None,
        p50_s=weighted_quantile(weighted, 0.5),
        p90_s=weighted_quantile(weighted, 0.9),
        target_s=target_work / units if targets_known else None,
        efficiency=target_work / actual_work if targets_known and actual_work > 0 else None,
        speed_loss_s=speed_loss if targets_known else None,
    )
