"""Geographic hotspots: DBSCAN on the sphere, described per cluster, the same for any input
order (seed 002's prototype depended on it, DESIGN.md §11)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.hotspots import (
    OutagesAt,
    PlacedOutage,
    find_hotspots,
    find_hotspots_at,
    great_circle_km,
    spherical_centroid,
)
from opslens.errors import InvalidInput

T0 = datetime(2025, 6, 1, tzinfo=UTC)
KM_PER_DEG = 111.19508  # great-circle km per degree of latitude with R = 6371.0088 km


def at(lat: float, lon: float, minute: int, id: str, severity: str = "low",
       customers: int = 1) -> PlacedOutage:
    return PlacedOutage(id, T0 + timedelta(minutes=minute), lat, lon, severity, customers)


def test_two_towns_and_a_lone_outage():
    # Town A: three outages within 1.2 km of each other; town B, 50 km north: two outages
    # 0.6 km apart; one more outage 20 km from both. radius 5 km, min 2: two hotspots, A first.
    town_a = [at(49.000, 8.40, 0, "a1", "high", 100), at(49.005, 8.40, 5, "a2", "critical", 10),
              at(49.010, 8.40, 10, "a3", "low", 1)]
    town_b = [at(49.450, 8.40, 1, "b1", "medium", 7), at(49.455, 8.40, 2, "b2", "medium", 3)]
    lone = [at(49.200, 8.40, 3, "x")]
    spots = find_hotspots(town_a + town_b + lone, radius_km=5.0, min_outages=2)
    assert [s.outage_ids for s in spots] == [("a1", "a2", "a3"), ("b1", "b2")]
    a, b = spots
    assert (a.outages, a.customers_affected) == (3, 111)
    assert a.severity == {"critical": 1, "high": 1, "medium": 0, "low": 1}
    assert (a.first_outage_at, a.last_outage_at) == (T0, T0 + timedelta(minutes=10))
    # centroid of three points on one meridian, evenly spaced: the middle one
    assert a.latitude == pytest.approx(49.005, abs=1e-6)
    assert a.longitude == pytest.approx(8.40, abs=1e-9)
    assert a.radius_km == pytest.approx(0.005 * KM_PER_DEG, rel=1e-4)  # 0.556 km
    assert b.severity["medium"] == 2 and b.customers_affected == 10


def test_min_outages_counts_the_outage_itself():
    pair = [at(0.0, 0.0, 0, "p"), at(0.0, 0.01, 1, "q")]  # 1.11 km apart
    assert len(find_hotspots(pair, 2.0, 2)) == 1
    assert find_hotspots(pair, 2.0, 3) == []
    assert find_hotspots(pair, 1.0, 2) == []  # farther than the radius
    assert len(find_hotspots(pair, 1.0, 1)) == 2  # each its own cluster


def test_a_border_outage_goes_to_the_cluster_of_the_earlier_outages_whatever_the_order():
    # radius 1 km, min 4. Left: core L0 at lat 0 with border points at −0.002° and −0.004°;
    # right: core R0 at 0.016° likewise. X at 0.008° is 0.89 km from both cores and has only
    # three outages within 1 km (itself, L0, R0): a border point of both clusters. DBSCAN
    # gives it to the first cluster reached; sorted by (started_at, id) that is the left one,
    # whose outages started first.
    left = [at(-0.004, 0, 0, "L2"), at(-0.002, 0, 1, "L1"), at(0.0, 0, 2, "L0")]
    right = [at(0.016, 0, 10, "R0"), at(0.018, 0, 11, "R1"), at(0.020, 0, 12, "R2")]
    x = at(0.008, 0, 20, "X")
    for seed in range(10):
        shuffled = [*left, *right, x]
        random.Random(seed).shuffle(shuffled)
        spots = find_hotspots(shuffled, 1.0, 4)
        assert [s.outage_ids for s in spots] == [("L2", "L1", "L0", "X"), ("R0", "R1", "R2")]


def test_empty_and_bad_parameters():
    assert find_hotspots([], 5.0, 2) == []
    for radius in (0.0, 1e-320, float("inf")):  # 1e-320 km underflows to an angle of 0
        with pytest.raises(InvalidInput):
            find_hotspots([], radius, 2)
    with pytest.raises(InvalidInput):
        find_hotspots([], 5.0, 0)
    with pytest.raises(InvalidInput):
        find_hotspots([at(91.0, 0.0, 0, "bad")], 5.0, 1)


def test_centroid_across_the_antimeridian_and_distances():
    lat, lon = spherical_centroid([(-10.0, 179.9), (-10.0, -179.9)])
    assert abs(lon) == pytest.approx(180.0, abs=1e-9)
    assert lat == pytest.approx(-10.0, abs=1e-3)
    assert great_circle_km(0, 0, 1, 0) == pytest.approx(KM_PER_DEG, rel=1e-6)
    assert great_circle_km(49.0, 8.4, 49.0, 8.4) == 0.0
    spots = find_hotspots([at(-10.0, 179.99, 0, "w"), at(-10.0, -179.99, 1, "e")], 5.0, 2)
    assert len(spots) == 1  # 2.2 km apart across the date line


outage_sets = st.lists(
    st.tuples(st.floats(48.9, 49.1), st.floats(8.3, 8.5), st.integers(0, 50),
              st.sampled_from(["critical", "high", "medium", "low"]), st.integers(0, 500)),
    max_size=40)


@settings(max_examples=100, deadline=None)
@given(outage_sets, st.floats(0.2, 8.0), st.integers(1, 4), st.randoms())
def test_any_input_order_gives_the_same_hotspots(rows, radius, min_outages, rnd):
    outages = [at(lat, lon, minute, f"o{i}", sev, n)
               for i, (lat, lon, minute, sev, n) in enumerate(rows)]
    shuffled = list(outages)
    rnd.shuffle(shuffled)
    first = find_hotspots(outages, radius, min_outages)
    assert find_hotspots(shuffled, radius, min_outages) == first
    # every outage is in at most one cluster, and the counts add up
    members = [i for s in first for i in s.outage_ids]
    assert len(members) == len(set(members))
    assert all(sum(s.severity.values()) == s.outages == len(s.outage_ids) for s in first)
    assert [s.outages for s in first] == sorted((s.outages for s in first), reverse=True)


points = st.tuples(st.floats(-89.0, 89.0), st.floats(-180.0, 180.0))


@settings(max_examples=200, deadline=None)
@given(points, points, points)
def test_great_circle_is_a_metric(a, b, c):
    ab, ba = great_circle_km(*a, *b), great_circle_km(*b, *a)
    assert ab == pytest.approx(ba, abs=1e-9) and ab >= 0.0
    assert ab <= great_circle_km(*a, *c) + great_circle_km(*c, *b) + 1e-6
    assert ab <= 3.1415927 * 6371.0088  # at most half the circumference


@settings(max_examples=200, deadline=None)
@given(points)
def test_the_centroid_of_one_point_is_the_point(p):
    lat, lon = spherical_centroid([p, p])
    assert great_circle_km(lat, lon, *p) == pytest.approx(0.0, abs=1e-6)


device_positions = st.sampled_from([(49.0, 8.40), (49.001, 8.40), (49.02, 8.41), (49.1, 8.5),
                                    (49.101, 8.5), (48.9, 8.3)])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(device_positions, st.integers(0, 50),
                          st.sampled_from(["critical", "high", "medium", "low"]),
                          st.integers(0, 500)), max_size=60),
       st.floats(0.05, 5.0), st.integers(1, 6))
def test_counting_per_position_first_gives_the_same_hotspots(rows, radius, min_outages):
    """Outages sit at devices: clustering the counts per position (what SQL hands over for a
    year of outages) finds what clustering every outage finds."""
    outages = [at(lat, lon, minute, f"o{i}", sev, n)
               for i, ((lat, lon), minute, sev, n) in enumerate(rows)]
    positions: dict[tuple[float, float], list[PlacedOutage]] = {}
    for o in outages:
        positions.setdefault((o.latitude, o.longitude), []).append(o)
    counted = [OutagesAt(lat, lon, len(g),
                         {s: sum(o.severity == s for o in g)
                          for s in ("critical", "high", "medium", "low")},
                         sum(o.customers for o in g), min(o.started_at for o in g),
                         max(o.started_at for o in g))
               for (lat, lon), g in positions.items()]

    def described(spots):
        return sorted((h.outages, h.customers_affected, tuple(sorted(h.severity.items())),
                       h.first_outage_at, h.last_outage_at, round(h.latitude, 9),
                       round(h.longitude, 9)) for h in spots)

    assert described(find_hotspots_at(counted, radius, min_outages)) == described(
        find_hotspots(outages, radius, min_outages))
