"""Correlation quality on the real network, measured as `opslens grid evaluate` measures it:
storms of 20 simultaneous faults on mv_oberrhein meet the issue's targets (device exact
≥ 95 %, pairwise F1 ≥ 0.95, ARI ≥ 0.9) and beat the naive proximity rule by far.

Seeds 0–19 all meet the targets (see the closing note of issue 4); two of them run here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opslens.domain.topology import Network
from opslens.grid import replay, topology
from opslens.grid.evaluate import compare
from opslens.grid.pandapower_network import document
from opslens.grid.simulate import StormConfig, simulate


@pytest.fixture(scope="module")
def oberrhein() -> Network:
    built = document("mv_oberrhein", lv_beneath=3)
    return Network(topology.to_elements(topology.parse_document(built)))


@pytest.mark.parametrize("seed", [5, 14])  # the two hardest of seeds 0–19
def test_storms_of_twenty_faults_meet_the_targets(oberrhein: Network, seed: int):
    storm = simulate(oberrhein, StormConfig(faults=20), seed,
                     datetime(2026, 3, 1, 12, tzinfo=UTC))
    ours, naive = compare(storm, replay.engine(oberrhein), oberrhein)
    assert ours.faults_observed == ours.faults_detected >= 20
    assert ours.device_exact >= 0.95
    assert ours.f1 >= 0.95
    assert ours.ari >= 0.9
    assert ours.jaccard >= 0.9
    assert ours.f1 > naive.f1 + 0.4 and ours.ari > naive.ari + 0.4
