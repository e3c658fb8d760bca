"""Downtime: the standard reason-code tree, overlapping stops resolved, stops classified.

Seed 004 §7.2 lists the reasons; each maps to ``planned`` or to one of the six big losses of
TPM (Nakajima; Vorne "Six Big Losses"). Stops logged on one machine may overlap (an operator
logs "breakdown" for the morning, a technician logs "waiting for parts" inside it). A minute
of a machine is never down twice, so overlaps are resolved before anything is measured:

**Overlap rule.** At every instant covered by several stops, the stop that *started last*
wins (it is the most recent, narrower account of what was happening); between stops that
started at the same instant the one with the *more specific* reason (deeper in the reason
tree) wins, then the one with the larger id. The union of the stops is down exactly once.

**Minor stops.** A stop shorter than the threshold (default 120 s, DESIGN.md §5.5), measured
over its whole logged length and not the part inside a window, is a minor stop: a performance
loss, not an availability loss. So is a stop whose reason is itself coded a minor stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from opslens.domain.intervals import Interval

#: The loss a reason code maps to: planned (outside planned production time) or a big loss.
LOSSES = ("planned", "breakdowns", "setup_adjustments", "minor_stops", "reduced_speed",
          "process_defects", "reduced_yield")
#: Losses a stop can carry (speed and quality losses come from counts, not stops).
STOP_LOSSES = ("planned", "breakdowns", "setup_adjustments", "minor_stops")
DEFAULT_MINOR_STOP_S = 120.0


@dataclass(frozen=True)
class Reason:
    code: str
    category: str
    description: str
    planned: bool
    loss: str
    parent_code: str | None = None
    color: str | None = None


#: Seed 004 §7.2, loaded for every organization on its creation and editable afterwards.
#: Two roots (PLANNED, UNPLANNED) so depth orders specificity.
STANDARD_REASONS: tuple[Reason, ...] = (
    Reason("PLANNED", "planned", "Planned downtime", True, "planned"),
    Reason("BREAK", "planned", "Break/Lunch", True, "planned", "PLANNED", "#95a5a6"),
    Reason("MAINT-SCHED", "planned", "Scheduled maintenance", True, "planned", "PLANNED",
           "#3498db"),
    Reason("CLEAN", "planned", "Planned cleaning", True, "planned", "PLANNED", "#1abc9c"),
    Reason("CHANGEOVER-PLAN", "planned", "Setup/Changeover (planned)", True, "planned",
           "PLANNED", "#9b59b6"),
    Reason("TRAINING", "planned", "Training", True, "planned", "PLANNED", "#34495e"),
    Reason("UNPLANNED", "unplanned", "Unplanned downtime", False, "breakdowns"),
    Reason("BREAKDOWN", "unplanned", "Machine breakdown", False, "breakdowns", "UNPLANNED",
           "#e74c3c"),
    Reason("MATERIAL", "unplanned", "Material shortage", False, "breakdowns", "UNPLANNED",
           "#e67e22"),
    Reason("QUALITY-HOLD", "unplanned", "Quality issue/hold", False, "breakdowns", "UNPLANNED",
           "#f39c12"),
    Reason("CHANGEOVER", "unplanned", "Setup/Changeover (unplanned)", False,
           "setup_adjustments", "UNPLANNED", "#8e44ad"),
    Reason("UTILITY", "unplanned", "Utility failure", False, "breakdowns", "UNPLANNED",
           "#c0392b"),
    Reason("OPERATOR", "unplanned", "Operator absence", False, "breakdowns", "UNPLANNED",
           "#d35400"),
    Reason("MINOR-STOP", "unplanned", "Minor stops/jams", False, "minor_stops", "UNPLANNED",
           "#f1c40f"),
)

#: Stops whose reason is this one or below it in the tree are failures (ISO 22400-2 "failure
#: event", for MTBF and MTTR); material shortages or absent operators are not.
FAILURE_ROOT = "BREAKDOWN"


@dataclass(frozen=True)
class Stop:
    """One logged stop of a machine. ``end`` None: still going (runs to ``as_of``)."""

    id: str
    start: datetime
    end: datetime | None
    reason_code: str
    planned: bool
    loss: str  # the reason's loss (see LOSSES)
    depth: int = 0  # of the reason in its tree: 0 for a root
    failure: bool = False  # an equipment failure (MTBF/MTTR): a BREAKDOWN reason or below it


@dataclass(frozen=True)
class Piece:
    """The part ``[start, end)`` of a stop that the overlap rule gives to it."""

    start: datetime
    end: datetime
    stop: Stop


def stop_end(stop: Stop, as_of: datetime) -> datetime:
    """Where a stop ends as known at ``as_of``: its end, or ``as_of`` while it is open."""
    return as_of if stop.end is None or stop.end > as_of else stop.end


def resolve(stops: Iterable[Stop], as_of: datetime) -> list[Piece]:
    """Cut overlapping stops into disjoint pieces by the overlap rule (module docstring).

    Stops that start at or after ``as_of`` are not yet known and are dropped; open stops run to
    ``as_of``. Returns pieces sorted by start; their union is the union of the stops.

    Examples
    --------
    The overlap that made another product report negative availability: 00:00–15:00 and
    00:10–14:00 on one machine are 15 h down, once.

    >>> from datetime import UTC
    >>> day = datetime(2025, 3, 3, tzinfo=UTC)
    >>> a = Stop("a", day, day.replace(hour=15), "BREAKDOWN", False, "breakdowns", 1)
    >>> b = Stop("b", day.replace(minute=10), day.replace(hour=14), "MATERIAL", False,
    ...          "breakdowns", 1)
    >>> pieces = resolve([a, b], as_of=day.replace(hour=23))
    >>> [(p.stop.id, p.start.strftime("%H:%M"), p.end.strftime("%H:%M")) for p in pieces]
    [('a', '00:00', '00:10'), ('b', '00:10', '14:00'), ('a', '14:00', '15:00')]
    >>> sum((p.end - p.start).total_seconds() for p in pieces) / 3600
    15.0
    """
    known = [s for s in stops if s.start < as_of and stop_end(s, as_of) > s.start]
    if not known:
        return []
    rank = {s.id: (s.start, s.depth, s.id) for s in known}
    cuts = sorted({t for s in known for t in (s.start, stop_end(s, as_of))})
    pieces: list[Piece] = []
    for lo, hi in pairwise(cuts):
        covering = [s for s in known if s.start <= lo and stop_end(s, as_of) >= hi]
        if not covering:
            continue
        winner = max(covering, key=lambda s: rank[s.id])
        if pieces and pieces[-1].stop is winner and pieces[-1].end == lo:
            pieces[-1] = Piece(pieces[-1].start, hi, winner)
        else:
            pieces.append(Piece(lo, hi, winner))
    return pieces


def stop_loss(stop: Stop, as_of: datetime, minor_stop_s: float = DEFAULT_MINOR_STOP_S) -> str:
    """The loss a stop counts as: ``planned``, ``minor_stops`` (short or coded so), or its
    reason's availability loss (``breakdowns`` or ``setup_adjustments``).

    The length is the stop's whole logged length at ``as_of``, so a window edge that cuts a
    short stop leaves it a minor stop, and an open stop is long once it has lasted the threshold.

    Examples
    --------
    >>> from datetime import UTC, timedelta
    >>> t = datetime(2025, 3, 3, 8, tzinfo=UTC)
    >>> jam = Stop("j", t, t + timedelta(seconds=90), "BREAKDOWN", False, "breakdowns")
    >>> stop_loss(jam, as_of=t + timedelta(hours=1))
    'minor_stops'
    >>> stop_loss(jam, as_of=t + timedelta(hours=1), minor_stop_s=60)
    'breakdowns'
    """
    if stop.planned:
        return "planned"
    if stop.loss == "minor_stops":
        return "minor_stops"
    length = (stop_end(stop, as_of) - stop.start).total_seconds()
    if length < minor_stop_s:
        return "minor_stops"
    return "setup_adjustments" if stop.loss == "setup_adjustments" else "breakdowns"


def reason_depths(parents: dict[str, str | None]) -> dict[str, int]:
    """Depth of each code in its tree (0 for a root); a cycle is cut where it closes.

    >>> reason_depths({"A": None, "B": "A", "C": "B", "X": "missing"})
    {'A': 0, 'B': 1, 'C': 2, 'X': 1}
    """
    depths: dict[str, int] = {}
    for code in parents:
        seen: list[str] = []
        node: str | None = code
        while node is not None and node not in seen and node not in depths:
            seen.append(node)
            node = parents.get(node)
        base = depths.get(node, -1) if node is not None and node in depths else -1
        for offset, item in enumerate(reversed(seen)):
            depths.setdefault(item, base + 1 + offset)
    return {code: depths[code] for code in parents}


def failure_codes(parents: dict[str, str | None], root: str = FAILURE_ROOT) -> frozenset[str]:
    """The codes at or below ``root`` in the reason tree.

    >>> sorted(failure_codes({"BREAKDOWN": "UNPLANNED", "HYDRAULIC": "BREAKDOWN", "JAM": None}))
    ['BREAKDOWN', 'HYDRAULIC']
    """
    found = set()
    for code in parents:
        seen = set()
        node: str | None = code
        while node is not None and node not in seen:
            if node == root:
                found.add(code)
                break
            seen.add(node)
            node = parents.get(node)
    return frozenset(found)


def check_tree(parents: dict[str, str | None]) -> str | None:
    """The first code whose parent chain loops back to it, or None when the tree is sound.

    >>> check_tree({"A": None, "B": "A"}) is None
    True
    >>> check_tree({"A": "B", "B": "A"})
    'A'
    """
    for code in parents:
        seen = {code}
        node = parents.get(code)
        while node is not None:
            if node in seen:
                return code
            seen.add(node)
            node = parents.get(node)
    return None


def clip_pieces(pieces: Sequence[Piece], window: Interval) -> list[Piece]:
    """The parts of ``pieces`` inside ``window``."""
    lo, hi = window
    return [Piece(max(p.start, lo), min(p.end, hi), p.stop)
            for p in pieces if p.start < hi and p.end > lo]
