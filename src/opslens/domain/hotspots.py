"""Geographic hotspots: density clusters of outage positions (seed 000 "Geographic Hotspot
Analysis", DESIGN.md §6.2).

DBSCAN (Ester et al., KDD 1996) on the sphere: two outages are neighbours when their
great-circle distance is at most ``radius_km``; an outage with at least ``min_outages``
outages within that distance (itself included) is a core point, and a cluster is the core
points reachable from one another plus the outages within reach of them. DBSCAN gives a
border outage to the first cluster that reaches it, so the result depends on input order;
the outages are sorted by ``(started_at, id)`` first, which makes it depend on the data only
(seed 002's prototype did not, DESIGN.md §11).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sklearn.cluster import DBSCAN

from opslens.domain.geo import haversine_m
from opslens.errors import InvalidInput

__all__ = ["EARTH_RADIUS_KM", "SEVERITIES", "Hotspot", "OutagesAt", "PlacedOutage",
           "find_hotspots", "find_hotspots_at", "great_circle_km", "spherical_centroid"]

#: Mean Earth radius (IUGG R1) [km]: turns a distance into the angle the haversine metric uses.
EARTH_RADIUS_KM = 6371.0088
SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class PlacedOutage:
    """An outage with a position [°, WGS 84], its severity and customers affected."""

    id: str
    started_at: datetime
    latitude: float
    longitude: float
    severity: str
    customers: int


@dataclass(frozen=True)
class Hotspot:
    """One cluster: centroid [°], members, and ``radius_km``, the farthest member from the
    centroid [km]."""

    latitude: float
    longitude: float
    outages: int
    severity: dict[str, int]
    customers_affected: int
    first_outage_at: datetime
    last_outage_at: datetime
    radius_km: float
    outage_ids: tuple[str, ...]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km] (:func:`opslens.domain.geo.haversine_m`).

    >>> round(great_circle_km(0.0, 0.0, 0.0, 1.0), 3)  # one degree of the equator
    111.195
    """
    return haversine_m(lat1, lon1, lat2, lon2) / 1000.0


def spherical_centroid(points: Iterable[tuple[float, float]],
                       weights: Iterable[float] | None = None) -> tuple[float, float]:
    """The (weighted) mean position on the unit sphere [°]: the normalized mean of the
    points' unit vectors, so clusters across the antimeridian or near a pole average
    correctly.

    >>> lat, lon = spherical_centroid([(10.0, 179.0), (10.0, -179.0)])
    >>> round(lat, 4), round(abs(lon), 4)
    (10.0015, 180.0)
    """
    x = y = z = 0.0
    n = 0.0
    weights = iter(weights) if weights is not None else None
    for lat, lon in points:
        w = next(weights) if weights is not None else 1.0
        phi, lam = math.radians(lat), math.radians(lon)
        x += w * math.cos(phi) * math.cos(lam)
        y += w * math.cos(phi) * math.sin(lam)
        z += w * math.sin(phi)
        n += w
    if n == 0:
        raise InvalidInput("a centroid needs at least one point")
    x, y, z = x / n, y / n, z / n
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def _check(outage: PlacedOutage) -> None:
    _check_position(f"outage {outage.id}", outage.latitude, outage.longitude)


def _check_position(what: str, latitude: float, longitude: float) -> None:
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        raise InvalidInput(f"{what} is at ({latitude}, {longitude}), outside latitude "
                           "−90…90 / longitude −180…180 [°]")


@dataclass(frozen=True)
class OutagesAt:
    """The outages at one position [°] (a device's): how many, per severity, customers
    affected, and the first and last start. Many outages share a device, so a year of them
    clusters as a few hundred weighted positions."""

    latitude: float
    longitude: float
    outages: int
    severity: dict[str, int]
    customers: int
    first_outage_at: datetime
    last_outage_at: datetime


def find_hotspots(outages: Iterable[PlacedOutage], radius_km: float, min_outages: int
                  ) -> list[Hotspot]:
    """Cluster outage positions with DBSCAN (haversine metric, ``eps = radius_km / R``,
    ``min_samples = min_outages``) and describe each cluster.

    Clusters come largest first, ties by their first outage ``(started_at, id)``; outages in
    no cluster (noise) are left out. The result is the same for any order of ``outages``.
    Outages at one position are clustered as one point weighted by their number, exactly as
    DBSCAN treats duplicates.

    Parameters
    ----------
    outages : iterable of PlacedOutage
    radius_km : float
        Neighbourhood radius [km], > 0.
    min_outages : int
        Outages (itself included) an outage needs within ``radius_km`` to be a core point, ≥ 1.

    Examples
    --------
    >>> from datetime import UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> spots = find_hotspots([PlacedOutage("a", t, 49.00, 8.40, "high", 10),
    ...                        PlacedOutage("b", t, 49.01, 8.40, "low", 5),
    ...                        PlacedOutage("c", t, 48.00, 8.40, "low", 1)], 5.0, 2)
    >>> [(h.outages, h.customers_affected, h.severity["high"], round(h.latitude, 3))
    ...  for h in spots]
    [(2, 15, 1, 49.005)]
    """
    _check_parameters(radius_km, min_outages)
    at: dict[tuple[float, float], list[PlacedOutage]] = {}
    for outage in sorted(outages, key=lambda o: (o.started_at, o.id)):
        _check(outage)
        at.setdefault((outage.latitude, outage.longitude), []).append(outage)
    # in the order find_hotspots_at takes positions: first start, then place
    groups = sorted(at.values(), key=lambda g: (g[0].started_at, g[0].latitude, g[0].longitude))
    labels = _labels([(g[0].latitude, g[0].longitude) for g in groups],
                     [len(g) for g in groups], radius_km, min_outages)
    members: dict[int, list[PlacedOutage]] = {}
    for group, label in zip(groups, labels, strict=True):
        if label >= 0:
            members.setdefault(int(label), []).extend(group)
    spots = [_describe(sorted(group, key=lambda o: (o.started_at, o.id)))
             for group in members.values()]
    return sorted(spots, key=lambda h: (-h.outages, h.first_outage_at, h.outage_ids[0]))


def find_hotspots_at(positions: Iterable[OutagesAt], radius_km: float, min_outages: int
                     ) -> list[Hotspot]:
    """:func:`find_hotspots` on outages already counted per position (as SQL groups them):
    the same clusters, described from the counts (``outage_ids`` is empty).

    >>> from datetime import UTC
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> counts = {"critical": 0, "high": 3, "medium": 0, "low": 0}
    >>> [(h.outages, h.customers_affected) for h in find_hotspots_at(
    ...     [OutagesAt(49.0, 8.4, 3, counts, 30, t, t)], 5.0, 2)]
    [(3, 30)]
    """
    _check_parameters(radius_km, min_outages)
    ordered = sorted(positions, key=lambda p: (p.first_outage_at, p.latitude, p.longitude))
    for position in ordered:
        _check_position(f"position ({position.latitude}, {position.longitude})",
                        position.latitude, position.longitude)
    labels = _labels([(p.latitude, p.longitude) for p in ordered],
                     [p.outages for p in ordered], radius_km, min_outages)
    members: dict[int, list[OutagesAt]] = {}
    for position, label in zip(ordered, labels, strict=True):
        if label >= 0:
            members.setdefault(int(label), []).append(position)
    spots = []
    for group in members.values():
        lat, lon = spherical_centroid(((p.latitude, p.longitude) for p in group),
                                      [p.outages for p in group])
        severity = dict.fromkeys(SEVERITIES, 0)
        for p in group:
            for name, count in p.severity.items():
                severity[name] = severity.get(name, 0) + count
        spots.append(Hotspot(
            latitude=lat, longitude=lon, outages=sum(p.outages for p in group),
            severity=severity, customers_affected=sum(p.customers for p in group),
            first_outage_at=min(p.first_outage_at for p in group),
            last_outage_at=max(p.last_outage_at for p in group),
            radius_km=max(great_circle_km(lat, lon, p.latitude, p.longitude) for p in group),
            outage_ids=()))
    return sorted(spots, key=lambda h: (-h.outages, h.first_outage_at, h.latitude,
                                        h.longitude))


def _check_parameters(radius_km: float, min_outages: int) -> None:
    if not (isinstance(radius_km, int | float) and math.isfinite(radius_km)
            and radius_km / EARTH_RADIUS_KM > 0):
        raise InvalidInput(f"radius_km {radius_km!r} must be a distance > 0 [km]")
    if min_outages < 1:
        raise InvalidInput(f"min_outages {min_outages!r} must be ≥ 1")


def _labels(positions: list[tuple[float, float]], weights: list[int], radius_km: float,
            min_outages: int) -> list[int]:
    """DBSCAN cluster labels (−1: noise) of weighted positions [°], in the order given."""
    if not positions:
        return []
    return list(DBSCAN(eps=radius_km / EARTH_RADIUS_KM, min_samples=min_outages,
                       metric="haversine", algorithm="ball_tree")
                .fit(np.radians(positions), sample_weight=weights).labels_)


def _describe(group: list[PlacedOutage]) -> Hotspot:
    """A cluster's summary; ``group`` is in ``(started_at, id)`` order."""
    lat, lon = spherical_centroid((o.latitude, o.longitude) for o in group)
    severity = dict.fromkeys(SEVERITIES, 0)
    for o in group:
        severity[o.severity] = severity.get(o.severity, 0) + 1
    return Hotspot(
        latitude=lat, longitude=lon, outages=len(group), severity=severity,
        customers_affected=sum(o.customers for o in group),
        first_outage_at=group[0].started_at, last_outage_at=group[-1].started_at,
        radius_km=max(great_circle_km(lat, lon, o.latitude, o.longitude) for o in group),
        outage_ids=tuple(o.id for o in group),
    )
