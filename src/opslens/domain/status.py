"""Machine status distribution (DESIGN.md §5.2, seed 003 "Machine Status").

Each machine has exactly one status per local day, by priority Running > Hold > Scheduled >
Idle, so the four counts add up to the site's machines every day. Summary averages are the
per-day means rounded to 1 decimal; percentages are of total machines, from the *unrounded*
mean (seed 003's "Calculation Details" divides the rounded mean: 4.9 / 8 = 61.3 %, where its
own per-metric sections and DESIGN.md give 4.857 / 8 = 60.7 %).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from opslens.domain.comparison import Direction
from opslens.domain.rounding import round_half_up

STATUSES = ("running", "hold", "scheduled", "idle")

#: Which way is good, declared once per metric (seed 003 "With Comparison Enabled").
DIRECTIONS = {
    "running": Direction.higher_is_better,
    "hold": Direction.lower_is_better,
    "scheduled": Direction.neutral,
    "idle": Direction.lower_is_better,
}


def day_status(running: bool, hold: bool, scheduled: bool) -> str:
    """The one status of a machine on a day, by priority Running > Hold > Scheduled > Idle.

    >>> day_status(running=True, hold=True, scheduled=True)
    'running'
    >>> day_status(running=False, hold=False, scheduled=True)
    'scheduled'
    >>> day_status(False, False, False)
    'idle'
    """
    if running:
        return "running"
    if hold:
        return "hold"
    if scheduled:
        return "scheduled"
    return "idle"


def daily_counts(
    counts: Mapping[date, Mapping[str, float]], days: Sequence[date], total_machines: int
) -> list[dict[str, Any]]:
    """The status table: machines per status for each day; the machines not running, on hold
    or scheduled are idle, so the four add up to ``total_machines`` every day.

    ``counts`` holds, per day, how many machines were running, on hold and scheduled.

    >>> d = date(2025, 10, 14)
    >>> row, = daily_counts({d: {"running": 1, "hold": 1, "scheduled": 0}}, [d], 4)
    >>> [row[k] for k in ("date", "running", "hold", "scheduled", "idle", "total_machines")]
    ['2025-10-14', 1, 1, 0, 2, 4]
    """
    table = []
    for day in days:
        found = counts.get(day, {})
        row = {status: int(found.get(status, 0)) for status in STATUSES[:3]}
        row["idle"] = total_machines - row["running"] - row["hold"] - row["scheduled"]
        table.append({"date": day.isoformat(), **row, "total_machines": total_machines})
    return table


def summary(daily: Sequence[Mapping[str, Any]], total_machines: int) -> dict[str, Any]:
    """Average machines per status per day, and that average as a share of all machines.

    .. math:: \\bar n_s = \\frac{1}{D}\\sum_d n_{s,d}, \\qquad
              p_s = 100\\,\\bar n_s / N

    ``avg_*`` [machines] are rounded to 1 decimal; ``avg_*_pct`` [%] use the unrounded mean,
    1 decimal, and are None when the site has no machines. Seed 003, "Calculation Details":
    8 machines over 7 days.

    >>> rows = [dict(running=r, hold=h, scheduled=s, idle=i) for r, h, s, i in [
    ...     (5, 1, 2, 0), (4, 2, 2, 0), (6, 0, 1, 1), (5, 1, 2, 0),
    ...     (4, 2, 2, 0), (5, 1, 2, 0), (5, 1, 2, 0)]]
    >>> s = summary(rows, total_machines=8)
    >>> s["avg_running"], s["avg_hold"], s["avg_scheduled"], s["avg_idle"]
    (4.9, 1.1, 1.9, 0.1)
    >>> s["avg_running_pct"], s["avg_hold_pct"], s["avg_scheduled_pct"], s["avg_idle_pct"]
    (60.7, 14.3, 23.2, 1.8)
    """
    days = len(daily)
    out: dict[str, Any] = {}
    for status in STATUSES:
        mean = sum(row[status] for row in daily) / days if days else None
        out[f"avg_{status}"] = round_half_up(mean, 1)
        out[f"avg_{status}_pct"] = (
            round_half_up(100 * mean / total_machines, 1)
            if mean is not None and total_machines else None
        )
    out["total_machines"] = total_machines
    out["days_analyzed"] = days
    return out


def state_hours(
    running_s: float, hold_s: float, assigned_s: float, day_s: float
) -> dict[str, float | None]:
    """Time-weighted state hours [h] of one machine (or a pool of machines) over a span.

    At each instant a machine is in the highest-priority state any of its work orders is in;
    idle is the rest of the span. Seconds in, hours out, 1 decimal.

    >>> state_hours(running_s=36000, hold_s=7200, assigned_s=3600, day_s=86400)
    {'running_hours': 10.0, 'hold_hours': 2.0, 'scheduled_hours': 1.0, 'idle_hours': 11.0}
    """
    idle_s = max(0.0, day_s - running_s - hold_s - assigned_s)
    return {
        "running_hours": round_half_up(running_s / 3600, 1),
        "hold_hours": round_half_up(hold_s / 3600, 1),
        "scheduled_hours": round_half_up(assigned_s / 3600, 1),
        "idle_hours": round_half_up(idle_s / 3600, 1),
    }
