"""Scrap: the Pareto of quantities by a key, and the scrap rate.

Seed 004 §4.4 (scrap analysis) and §3.1 (``oee_quality_events``: event type, quantity,
reason, defect type); DESIGN.md §5.5 (an undefined ratio is None, never 0). Quantities are
[units]; shares and rates [1].

A Pareto ranks keys (reasons, defect types, machines) by quantity, largest first, with each
key's share of the total and the cumulative share down the ranking::

    share_k            = q_k / Σ q
    cumulative_share_k = Σ_{j ranked at or above k} q_j / Σ q

so the shares sum to 1 and the last cumulative share is 1; both are None when Σ q = 0.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ParetoRow", "pareto", "scrap_rate"]


@dataclass(frozen=True, slots=True)
class ParetoRow:
    key: Any  # None for records that name no key (e.g. scrap without a reason code)
    quantity: float  # [units]
    share: float | None  # [1] of the total
    cumulative_share: float | None  # [1], this key and every key ranked above it


def pareto(quantities: Mapping[Hashable, float]) -> list[ParetoRow]:
    """Rank ``quantities`` by size, ties by key (None last), with shares of the total.

    >>> rows = pareto({"DIM": 30.0, "SCRATCH": 60.0, None: 10.0})
    >>> [(r.key, r.quantity, r.share, r.cumulative_share) for r in rows]
    [('SCRATCH', 60.0, 0.6, 0.6), ('DIM', 30.0, 0.3, 0.9), (None, 10.0, 0.1, 1.0)]
    >>> [(r.key, r.share) for r in pareto({"A": 0.0})]
    [('A', None)]
    """
    total = sum(quantities.values())
    ranked = sorted(quantities.items(),
                    key=lambda kv: (-kv[1], kv[0] is None, "" if kv[0] is None else str(kv[0])))
    out, running = [], 0.0
    for key, quantity in ranked:
        running += quantity
        out.append(ParetoRow(key, quantity,
                             quantity / total if total > 0 else None,
                             running / total if total > 0 else None))
    return out


def scrap_rate(scrap: float, total: float) -> float | None:
    """Scrap rate [1] = scrap / total; None when nothing was made (total 0).

    >>> scrap_rate(30, 1000)
    0.03
    >>> scrap_rate(0, 0) is None
    True
    """
    return scrap / total if total > 0 else None
