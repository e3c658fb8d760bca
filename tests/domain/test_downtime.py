"""Overlapping stops resolved once, minor stops, the reason tree (domain.downtime)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from opslens.domain.downtime import (
    STANDARD_REASONS,
    Stop,
    check_tree,
    clip_pieces,
    failure_codes,
    reason_depths,
    resolve,
    stop_loss,
)
from opslens.domain.intervals import measure, union

T0 = datetime(2025, 3, 3, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def stop(id_: str, start: timedelta, end: timedelta | None, *, planned: bool = False,
         loss: str = "breakdowns", depth: int = 1, code: str = "BREAKDOWN") -> Stop:
    return Stop(id_, T0 + start, None if end is None else T0 + end, code, planned, loss, depth)


def down_hours(pieces) -> float:
    return sum((p.end - p.start).total_seconds() for p in pieces) / 3600


def test_the_overlap_that_made_availability_negative_counts_fifteen_hours_once():
    # Reasons logged 00:00–15:00 and 00:10–14:00 on one machine (issue 3's reference case).
    pieces = resolve([stop("a", 0 * H, 15 * H), stop("b", 10 * M, 14 * H)], as_of=T0 + 24 * H)
    assert down_hours(pieces) == 15.0
    assert [(p.stop.id, p.start - T0, p.end - T0) for p in pieces] == [
        ("a", 0 * H, 10 * M), ("b", 10 * M, 14 * H), ("a", 14 * H, 15 * H)]


def test_the_stop_that_started_last_wins_then_the_deeper_reason_then_the_larger_id():
    same_start = [stop("x", 0 * H, 2 * H, depth=1), stop("y", 0 * H, 1 * H, depth=2)]
    pieces = resolve(same_start, as_of=T0 + 3 * H)
    assert [(p.stop.id, p.end - T0) for p in pieces] == [("y", 1 * H), ("x", 2 * H)]
    tie = resolve([stop("p", 0 * H, H), stop("q", 0 * H, H)], as_of=T0 + 3 * H)
    assert [p.stop.id for p in tie] == ["q"]


def test_an_open_stop_runs_to_as_of_and_a_stop_after_as_of_is_unknown():
    pieces = resolve([stop("open", 1 * H, None), stop("later", 5 * H, 6 * H)], as_of=T0 + 4 * H)
    assert [(p.stop.id, p.start - T0, p.end - T0) for p in pieces] == [("open", H, 4 * H)]
    assert resolve([], as_of=T0) == []


def test_a_closed_stop_ending_after_as_of_is_cut_there():
    pieces = resolve([stop("a", 1 * H, 9 * H)], as_of=T0 + 2 * H)
    assert down_hours(pieces) == 1.0


def test_minor_stops_by_whole_length_even_when_a_window_cuts_them():
    jam = stop("j", 59 * M, 59 * M + timedelta(seconds=100))  # 100 s across 01:00
    as_of = T0 + 3 * H
    assert stop_loss(jam, as_of) == "minor_stops"
    inside = clip_pieces(resolve([jam], as_of), (T0 + H, T0 + 2 * H))
    assert [(p.start - T0, p.end - T0) for p in inside] == [(H, H + timedelta(seconds=40))]
    assert stop_loss(inside[0].stop, as_of) == "minor_stops"


def test_stop_losses():
    as_of = T0 + 10 * H
    assert stop_loss(stop("p", 0 * H, H, planned=True, loss="planned"), as_of) == "planned"
    assert stop_loss(stop("s", 0 * H, H, loss="setup_adjustments"), as_of) == "setup_adjustments"
    assert stop_loss(stop("m", 0 * H, H, loss="minor_stops"), as_of) == "minor_stops"
    assert stop_loss(stop("b", 0 * H, H), as_of) == "breakdowns"
    # an open stop is minor until it has lasted the threshold
    assert stop_loss(stop("o", 0 * H, None), T0 + timedelta(seconds=119)) == "minor_stops"
    assert stop_loss(stop("o", 0 * H, None), T0 + timedelta(seconds=120)) == "breakdowns"


def test_the_standard_tree_is_sound_and_breakdown_is_the_only_failure_reason():
    parents = {r.code: r.parent_code for r in STANDARD_REASONS}
    assert check_tree(parents) is None
    assert failure_codes(parents) == {"BREAKDOWN"}
    depths = reason_depths(parents)
    assert depths["PLANNED"] == depths["UNPLANNED"] == 0
    assert all(depths[r.code] == 1 for r in STANDARD_REASONS if r.parent_code)
    assert all(r.planned == (r.loss == "planned") for r in STANDARD_REASONS)


stops_strategy = st.lists(
    st.tuples(st.integers(0, 600), st.integers(1, 600) | st.none(), st.integers(0, 3)),
    max_size=8,
)


@given(stops_strategy, st.randoms(use_true_random=False))
def test_resolution_is_the_union_once_whatever_the_order(spec, rnd):
    stops = [stop(f"s{i}", start * M, None if length is None else (start + length) * M,
                  depth=depth)
             for i, (start, length, depth) in enumerate(spec)]
    as_of = T0 + 700 * M
    pieces = resolve(stops, as_of)
    shuffled = list(stops)
    rnd.shuffle(shuffled)
    assert resolve(shuffled, as_of) == pieces
    # disjoint, sorted, and covering exactly the union of the stops
    assert all(a.end <= b.start for a, b in pairwise(pieces))
    spans = [(s.start, min(s.end or as_of, as_of)) for s in stops if s.start < as_of]
    assert measure(union(spans)) == measure((p.start, p.end) for p in pieces)
    # each piece belongs to a stop that covers it
    for p in pieces:
        assert p.stop.start <= p.start and p.end <= (p.stop.end or as_of)
