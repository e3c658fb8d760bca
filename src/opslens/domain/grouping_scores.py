"""How well a predicted grouping of items matches the true one (DESIGN.md §6.1, last paragraph).

Correlation groups events into outages; its quality is scored against the simulator's ground
truth with pair-counting measures (each pair of items is "together" or "apart" in either
grouping), the adjusted Rand index, and the Jaccard index of affected sets. A grouping is given
as one label per item, aligned by position: items with equal labels are in one group, so a
caller who wants an item alone gives it a label no other item has.

Pair counts come from the contingency table of (true label, predicted label) in O(n), never
from the n(n−1)/2 pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sklearn.metrics import adjusted_rand_score

from opslens.errors import InvalidInput

__all__ = [
    "PairCounts",
    "PairwiseScores",
    "adjusted_rand_index",
    "jaccard",
    "pair_counts",
    "pairwise_scores",
]


@dataclass(frozen=True)
class PairCounts:
    """Unordered pairs of items together in the truth, in the prediction, and in both."""

    true_pairs: int
    predicted_pairs: int
    common_pairs: int


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise precision, recall and F1 [1], each in [0, 1]."""

    precision: float
    recall: float
    f1: float


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def _check_aligned(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> None:
    if len(truth) != len(predicted):
        raise InvalidInput(
            f"the true grouping labels {len(truth)} items but the predicted one {len(predicted)};"
            " give one label per item in both, in the same order",
            [{"field": "predicted", "reason": "not aligned with truth"}])


def pair_counts(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> PairCounts:
    """Count the pairs of items grouped together in ``truth``, in ``predicted`` and in both.

    With :math:`n_{ij}` the items of true group *i* and predicted group *j*, :math:`a_i` and
    :math:`b_j` the group sizes and :math:`\\binom{m}{2} = m(m-1)/2`:

    .. math:: T = \\sum_i \\binom{a_i}{2},\\quad P = \\sum_j \\binom{b_j}{2},\\quad
              C = \\sum_{ij} \\binom{n_{ij}}{2}

    Parameters
    ----------
    truth, predicted
        One label per item, aligned by position. [labels]

    >>> pair_counts("aaabbc", "xxxxxy")  # five items merged into one group
    PairCounts(true_pairs=4, predicted_pairs=10, common_pairs=4)
    """
    _check_aligned(truth, predicted)
    true_pairs = sum(_pairs(size) for size in Counter(truth).values())
    predicted_pairs = sum(_pairs(size) for size in Counter(predicted).values())
    both = Counter(zip(truth, predicted, strict=True))
    common_pairs = sum(_pairs(size) for size in both.values())
    return PairCounts(true_pairs, predicted_pairs, common_pairs)


def pairwise_scores(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> PairwiseScores:
    """Pairwise precision, recall and F1 [1] of a predicted grouping against the true one.

    .. math:: \\text{precision} = C / P,\\quad \\text{recall} = C / T,\\quad
              F_1 = \\frac{2 \\cdot \\text{precision} \\cdot \\text{recall}}
                         {\\text{precision} + \\text{recall}} = \\frac{2C}{P + T}

    with the pair counts *C*, *P*, *T* of :func:`pair_counts` (Manning, Raghavan & Schütze,
    *Introduction to Information Retrieval*, 2008, §16.3, "pair counting").

    Zero pairs: unlike our other ratios these are not None. A grouping with no predicted pairs
    claims no togetherness, so none of its claims is wrong: precision 1.0; with no true pairs
    there is nothing to find: recall 1.0. So all-singletons against all-singletons scores
    1.0 throughout (as the adjusted Rand index does), and F1 is 0.0 only when precision or
    recall is 0. This keeps scores of small or quiet storms comparable instead of undefined.

    >>> pairwise_scores("aaabbc", "xxxxxy")
    PairwiseScores(precision=0.4, recall=1.0, f1=0.5714285714285714)
    >>> pairwise_scores("aaabbc", "xxyyyz")  # C = 2 of T = 4 and P = 4
    PairwiseScores(precision=0.5, recall=0.5, f1=0.5)
    >>> pairwise_scores("abc", "xyz") == pairwise_scores("", "") == PairwiseScores(1.0, 1.0, 1.0)
    True
    >>> pairwise_scores("aab", "xyz")  # nothing grouped: vacuously precise, finds nothing
    PairwiseScores(precision=1.0, recall=0.0, f1=0.0)
    """
    counts = pair_counts(truth, predicted)
    precision = counts.common_pairs / counts.predicted_pairs if counts.predicted_pairs else 1.0
    recall = counts.common_pairs / counts.true_pairs if counts.true_pairs else 1.0
    # the harmonic mean, from the counts: 2C / (P + T), exact where the ratios would round
    total = counts.predicted_pairs + counts.true_pairs
    f1 = 2 * counts.common_pairs / total if total else 1.0
    return PairwiseScores(precision, recall, f1)


def _codes(labels: Iterable[Hashable]) -> list[int]:
    # sklearn sorts labels with numpy; mixed label types (str and tuple) would not sort
    seen: dict[Hashable, int] = {}
    return [seen.setdefault(label, len(seen)) for label in labels]


def adjusted_rand_index(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Adjusted Rand index [1] of two groupings: the Rand index corrected for chance.

    .. math:: \\text{ARI} = \\frac{C - T P / \\binom{n}{2}}{(T + P)/2 - T P / \\binom{n}{2}}

    (Hubert & Arabie, "Comparing partitions", *J. Classification* 2, 1985). 1.0 for identical
    groupings, about 0 for a random one, negative when worse than chance. Computed by
    ``sklearn.metrics.adjusted_rand_score``, which returns 1.0 for the degenerate cases (no
    items, one item, both all-singletons or both one group); labels may be of any hashable type.

    >>> round(adjusted_rand_index("aaabbc", "xxyyyz"), 4)  # (2 − 16/15) / (4 − 16/15) = 7/22
    0.3182
    >>> adjusted_rand_index("aab", "xxy"), adjusted_rand_index("", "")
    (1.0, 1.0)
    """
    _check_aligned(truth, predicted)
    return float(adjusted_rand_score(_codes(truth), _codes(predicted)))


def jaccard(a: Iterable[Hashable], b: Iterable[Hashable],
            weights: Mapping[Hashable, float] | None = None) -> float:
    """Jaccard index [1] of two sets: :math:`J = w(A \\cap B) / w(A \\cup B)`.

    ``w`` counts members (1 each), or sums ``weights`` (e.g. customers per service point
    [customers]; a member missing from ``weights`` weighs 1). 1.0 when the union weighs
    nothing (two empty sets agree), never None.

    >>> jaccard({"P1", "P2", "P3"}, {"P2", "P3", "P4"})
    0.5
    >>> jaccard({"P1", "P2"}, {"P2"}, weights={"P1": 3, "P2": 1})  # customers: 1 of 4
    0.25
    >>> jaccard(set(), set())
    1.0
    """
    first, second = set(a), set(b)

    def weight(members: set[Hashable]) -> float:
        if weights is None:
            return float(len(members))
        return float(sum(weights.get(member, 1) for member in members))

    union = weight(first | second)
    return weight(first & second) / union if union else 1.0
