"""Grouping scores: hand-counted pairs, the zero-pair conventions, and the O(n) contingency
count against the brute-force count over every pair."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.domain.grouping_scores import (
    PairCounts,
    PairwiseScores,
    adjusted_rand_index,
    jaccard,
    pair_counts,
    pairwise_scores,
)
from opslens.errors import InvalidInput


def test_six_events_two_outages_merged_and_one_split():
    # Truth: outage A = e1 e2 e3, outage B = e4 e5, a false report e6.
    # Prediction: {e1 e2}, {e3 e4 e5}, {e6}.
    # True pairs: 12 13 23 45 = 4. Predicted pairs: 12 34 35 45 = 4. Both: 12 45 = 2.
    truth = ["A", "A", "A", "B", "B", ("false", "e6")]
    predicted = ["o1", "o1", "o2", "o2", "o2", "o3"]
    assert pair_counts(truth, predicted) == PairCounts(4, 4, 2)
    assert pairwise_scores(truth, predicted) == PairwiseScores(0.5, 0.5, 0.5)
    # ARI = (C − T·P/15) / ((T + P)/2 − T·P/15) = (2 − 16/15) / (4 − 16/15) = 7/22
    assert adjusted_rand_index(truth, predicted) == pytest.approx(7 / 22)


def test_everything_in_one_outage_has_full_recall_and_poor_precision():
    truth = [1, 1, 1, 2, 2, 3]
    predicted = ["X"] * 6
    assert pair_counts(truth, predicted) == PairCounts(4, 15, 4)
    scores = pairwise_scores(truth, predicted)
    assert (scores.precision, scores.recall) == (pytest.approx(4 / 15), 1.0)
    assert scores.f1 == pytest.approx(2 * (4 / 15) / (1 + 4 / 15))
    assert adjusted_rand_index(truth, predicted) == 0.0


def test_relabelled_prediction_is_perfect():
    truth = ["f1", "f1", "f2", "f3", "f3", "f3"]
    predicted = [7, 7, 8, 9, 9, 9]
    assert pairwise_scores(truth, predicted) == PairwiseScores(1.0, 1.0, 1.0)
    assert adjusted_rand_index(truth, predicted) == 1.0


@pytest.mark.parametrize(("truth", "predicted", "expected"), [
    ([], [], PairwiseScores(1.0, 1.0, 1.0)),           # no items
    (["a"], ["x"], PairwiseScores(1.0, 1.0, 1.0)),     # one item: no pair anywhere
    (["a", "b"], ["x", "y"], PairwiseScores(1.0, 1.0, 1.0)),
    (["a", "a"], ["x", "y"], PairwiseScores(1.0, 0.0, 0.0)),  # split: found nothing
    (["a", "b"], ["x", "x"], PairwiseScores(0.0, 1.0, 0.0)),  # merged: nothing to find
])
def test_zero_pair_conventions(truth, predicted, expected):
    assert pairwise_scores(truth, predicted) == expected


def test_mixed_label_types_are_accepted():
    # evaluate labels false reports with tuples next to fault id strings
    truth = ["f1", "f1", ("false", "e3"), None]
    predicted = [("o", 1), ("o", 1), "o2", "o3"]
    assert adjusted_rand_index(truth, predicted) == 1.0


def test_misaligned_groupings_are_rejected_with_the_fix():
    with pytest.raises(InvalidInput, match="one label per item"):
        pairwise_scores(["a", "b"], ["x"])
    with pytest.raises(InvalidInput, match="one label per item"):
        adjusted_rand_index(["a"], [])


@pytest.mark.parametrize(("a", "b", "weights", "expected"), [
    ({"P1", "P2", "P3"}, {"P2", "P3", "P4"}, None, 0.5),
    (set(), set(), None, 1.0),
    ({"P1"}, set(), None, 0.0),
    ({"P1", "P2"}, {"P1", "P2"}, None, 1.0),
    ({"P1", "P2"}, {"P2"}, {"P1": 3, "P2": 1}, 0.25),
    ({"ONU1"}, {"ONU1", "ONU2"}, {"ONU1": 0, "ONU2": 0}, 1.0),  # no customers either side
    ({"P1", "X"}, {"P1"}, {"P1": 1}, 0.5),  # a member without weight weighs 1
])
def test_jaccard(a, b, weights, expected):
    assert jaccard(a, b, weights) == expected


labels = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=40)


@given(labels)
def test_contingency_count_equals_the_brute_force_count_over_all_pairs(pairs):
    truth = [t for t, _ in pairs]
    predicted = [p for _, p in pairs]
    together = [(truth[i] == truth[j], predicted[i] == predicted[j])
                for i, j in combinations(range(len(pairs)), 2)]
    assert pair_counts(truth, predicted) == PairCounts(
        sum(t for t, _ in together), sum(p for _, p in together),
        sum(t and p for t, p in together))


@given(labels, st.permutations(range(40)))
def test_scores_are_symmetric_bounded_and_order_free(pairs, order):
    truth = [t for t, _ in pairs]
    predicted = [p for _, p in pairs]
    scores = pairwise_scores(truth, predicted)
    swapped = pairwise_scores(predicted, truth)
    assert (swapped.precision, swapped.recall) == (scores.recall, scores.precision)
    assert 0.0 <= scores.f1 <= 1.0
    assert scores.f1 <= max(scores.precision, scores.recall)
    index = [i for i in order if i < len(pairs)]
    assert pairwise_scores([truth[i] for i in index], [predicted[i] for i in index]) == scores
    assert adjusted_rand_index([truth[i] for i in index], [predicted[i] for i in index]) == \
        pytest.approx(adjusted_rand_index(truth, predicted))
    assert adjusted_rand_index(truth, truth) == 1.0


@given(st.sets(st.integers(0, 20)), st.sets(st.integers(0, 20)))
def test_jaccard_is_symmetric_and_one_only_for_equal_sets(a, b):
    assert jaccard(a, b) == jaccard(b, a)
    assert 0.0 <= jaccard(a, b) <= 1.0
    assert (jaccard(a, b) == 1.0) == (a == b)
