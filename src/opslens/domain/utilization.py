"""Utilization and production metrics (DESIGN.md §5.3, seed 003 "Machine Utilization").

Everything is computed from pooled sums: seconds and units are added over machines and days
first and the rates recomputed from the sums, never averaged. Inputs are seconds and units;
outputs follow seed 003's rounding: percentages 2 decimals, hours 1 decimal, cycle time
2 decimals [min/unit]. An undefined ratio is None, except utilization, which is 0 when no
time was available (seed 003 "Edge Cases").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opslens.domain.comparison import Direction
from opslens.domain.rounding import round_half_up

#: Which way is good, declared once per metric (seed 003 "Interpretation Guide").
DIRECTIONS = {
    "scheduled_utilization": Direction.higher_is_better,
    "active_utilization": Direction.higher_is_better,
    "uptime_hours": Direction.higher_is_better,
    "downtime_hours": Direction.lower_is_better,
    "planned_downtime_hours": Direction.neutral,
    "unplanned_downtime_hours": Direction.lower_is_better,
    "units_produced": Direction.higher_is_better,
    "scrap_units": Direction.lower_is_better,
    "work_orders_completed": Direction.higher_is_better,
    "quality_rate": Direction.higher_is_better,
    "scrap_rate": Direction.lower_is_better,
    "first_pass_yield": Direction.higher_is_better,
    "average_cycle_time": Direction.lower_is_better,
    "machine_count": Direction.neutral,
}


@dataclass(slots=True)
class ProductionSums:
    """Additive quantities of one machine-day, or of any pool of them.

    Attributes are seconds [s] of time and counts [units]; ``downtime_s`` and
    ``planned_downtime_s`` are summed per machine-day after clamping (see :meth:`of`).
    """

    available_s: float = 0.0
    scheduled_s: float = 0.0
    active_s: float = 0.0
    downtime_s: float = 0.0
    planned_downtime_s: float = 0.0
    good_units: float = 0.0
    scrap_units: float = 0.0
    completed: int = 0
    fpy_weighted: float = 0.0
    fpy_units: float = 0.0
    machine_count: int = 0

    def __iadd__(self, other: ProductionSums) -> ProductionSums:
        # Spelled out: this runs once per machine-day of a query (45,000 for 500 × 90).
        self.available_s += other.available_s
        self.scheduled_s += other.scheduled_s
        self.active_s += other.active_s
        self.downtime_s += other.downtime_s
        self.planned_downtime_s += other.planned_downtime_s
        self.good_units += other.good_units
        self.scrap_units += other.scrap_units
        self.completed += other.completed
        self.fpy_weighted += other.fpy_weighted
        self.fpy_units += other.fpy_units
        self.machine_count += other.machine_count
        return self

    @classmethod
    def of(cls, row: Mapping[str, Any] | None) -> ProductionSums:
        """The sums of a machine-day row, or of summed rows (``has_work`` counts machines).

        Per machine-day, before any pooling, downtime is ``max(0, available − active)`` and its
        planned part at most that; the store computes both with the row.

        >>> s = ProductionSums.of(dict(available_s=86400, scheduled_s=57600, active_s=50400,
        ...     downtime_s=36000, planned_downtime_s=0, good_units=700, scrap_units=0,
        ...     completed=2, fpy_weighted=0, fpy_units=0, has_work=1))
        >>> s.downtime_s, s.machine_count
        (36000, 1)
        >>> ProductionSums.of(None).available_s
        0.0
        """
        if row is None:
            return cls()
        return cls(
            available_s=row["available_s"], scheduled_s=row["scheduled_s"],
            active_s=row["active_s"], downtime_s=row["downtime_s"],
            planned_downtime_s=row["planned_downtime_s"], good_units=row["good_units"],
            scrap_units=row["scrap_units"], completed=int(row["completed"]),
            fpy_weighted=row["fpy_weighted"], fpy_units=row["fpy_units"],
            machine_count=int(row["has_work"]),
        )


def pool(parts: Iterable[ProductionSums]) -> ProductionSums:
    """The sum of any number of machine-days (the pooled roll-up: add, then divide).

    >>> a = ProductionSums(available_s=100, active_s=50, machine_count=1)
    >>> b = ProductionSums(available_s=300, active_s=60, machine_count=1)
    >>> p = pool([a, b]); p.available_s, p.active_s, p.machine_count
    (400.0, 110.0, 2)
    """
    total = ProductionSums()
    for part in parts:
        total += part
    return total


def utilization_pct(hours: float, available_hours: float) -> float:
    """Utilization [%]: ``min(100, 100·hours/available)``, 2 decimals; 0 when nothing was
    available (seed 003, Metric 1.1 steps 4 and Case 4).

    Seed 003, Test Case 1 (16 scheduled hours of 24) and Test Case 3 (the 22:00–06:00 work
    order gives its first day 2 hours):

    >>> utilization_pct(16, 24), utilization_pct(2, 24), utilization_pct(0, 24)
    (66.67, 8.33, 0.0)
    >>> utilization_pct(30, 24), utilization_pct(5, 0)
    (100.0, 0.0)
    """
    if available_hours <= 0:
        return 0.0
    return round_half_up(min(100.0, 100.0 * hours / available_hours), 2)


def quality_rate(good: float, scrap: float) -> float | None:
    """Quality rate [%] = 100 · good / (good + scrap), 2 decimals; None when nothing was made.

    Seed 003 "Quality Rate": 800 good of 815.

    >>> quality_rate(800, 15), quality_rate(0, 0)
    (98.16, None)
    """
    made = good + scrap
    return None if made <= 0 else round_half_up(100.0 * good / made, 2)


def scrap_rate(good: float, scrap: float) -> float | None:
    """Scrap rate [%] = 100 − quality rate, from the unrounded quality rate, 2 decimals.

    >>> scrap_rate(800, 15), scrap_rate(0, 0)
    (1.84, None)
    """
    made = good + scrap
    return None if made <= 0 else round_half_up(100.0 - 100.0 * good / made, 2)


def average_cycle_time(active_s: float, units: float) -> float | None:
    """Average cycle time [min/unit] = active minutes / units produced, 2 decimals.

    Seed 003 "Average Cycle Time": 840 minutes for 700 units.

    >>> average_cycle_time(840 * 60, 700), average_cycle_time(3600, 0)
    (1.2, None)
    """
    return None if units <= 0 else round_half_up(active_s / 60.0 / units, 2)


def first_pass_yield(fpy_weighted: float, fpy_units: float) -> float | None:
    """First pass yield [%]: the logged fpy values weighted by the units each log reported.

    >>> first_pass_yield(95 * 100 + 85 * 300, 400), first_pass_yield(0, 0)
    (87.5, None)
    """
    return None if fpy_units <= 0 else round_half_up(fpy_weighted / fpy_units, 2)


def hours(seconds: float) -> float:
    """Seconds to hours [h], 1 decimal.

    >>> hours(55800)
    15.5
    """
    return round_half_up(seconds / 3600.0, 1)


def metrics(s: ProductionSums) -> dict[str, Any]:
    """Every utilization metric of a pool, as seed 003's response fields."""
    downtime_h = s.downtime_s / 3600
    planned_h = s.planned_downtime_s / 3600
    return {
        "scheduled_utilization": utilization_pct(s.scheduled_s / 3600, s.available_s / 3600),
        "active_utilization": utilization_pct(s.active_s / 3600, s.available_s / 3600),
        "available_hours": hours(s.available_s),
        "uptime_hours": hours(s.active_s),
        "downtime_hours": round_half_up(downtime_h, 1),
        "planned_downtime_hours": round_half_up(planned_h, 1),
        "unplanned_downtime_hours": round_half_up(downtime_h - planned_h, 1),
        "units_produced": _count(s.good_units),
        "scrap_units": _count(s.scrap_units),
        "work_orders_completed": int(s.completed),
        "quality_rate": quality_rate(s.good_units, s.scrap_units),
        "scrap_rate": scrap_rate(s.good_units, s.scrap_units),
        "first_pass_yield": first_pass_yield(s.fpy_weighted, s.fpy_units),
        "average_cycle_time": average_cycle_time(s.active_s, s.good_units),
        "machine_count": int(s.machine_count),
    }


def _count(value: float) -> float | int:
    """Whole unit counts print as integers; fractional ones (kilograms, metres) stay."""
    return int(value) if float(value).is_integer() else round_half_up(value, 3)
