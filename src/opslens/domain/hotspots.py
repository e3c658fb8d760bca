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

from opslens.errors import InvalidInput

__all__ = ["EARTH_RADIUS_KM", "SEVERITIES", "Hotspot", "PlacedOutage", "find_hotspots",
           "great_circle_km", "spherical_centroid"]

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
    """Great-circle distance by the haversine formula [km].

    ``d = 2 R asin √(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2))`` with R = 6371.0088 km.

    >>> round(great_circle_km(0.0, 0.0, 0.0, 1.0), 3)  # one degree of the equator
    111.195
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def spherical_centroid(points: Iterable[tuple[float, float]]) -> tuple[float, float]:
    """The mean position on the unit sphere [°]: the normalized mean of the points' unit
    vectors, so clusters across the antimeridian or near a pole average correctly.

    >>> lat, lon = spherical_centroid([(10.0, 179.0), (10.0, -179.0)])
    >>> round(lat, 4), round(abs(lon), 4)
    (10.0015, 180.0)
    """
    x = y = z = 0.0
    n = 0
    for lat, lon in points:
        phi, lam = math.radians(lat), math.radians(lon)
        x += math.cos(phi) * math.cos(lam)
        y += math.cos(phi) * math.sin(lam)
        z += math.sin(phi)
        n += 1
    if n == 0:
        raise InvalidInput("a centroid needs at least one point")
    x, y, z = x / n, y / n, z / n
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def _check(outage: PlacedOutage) -> None:
    if not (-90.0 <= outage.latitude <= 90.0 and -180.0 <= outage.longitude <= 180.0):
        raise InvalidInput(f"outage {outage.id} is at ({outage.latitude}, {outage.longitude}), "
                           "outside latitude −90…90 / longitude −180…180 [°]")


def find_hotspots(outages: Iterable[PlacedOutage], radius_km: float, min_outages: int
                  ) -> list[Hotspot]:
    """Cluster outage positions with DBSCAN (haversine metric, ``eps = radius_km / R``,
    ``min_samples = min_outages``) and describe each cluster.

    Clusters come largest first, ties by their first outage ``(started_at, id)``; outages in
    no cluster (noise) are left out. The result is the same for any order of ``outages``.

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
    if not (isinstance(radius_km, int | float) and math.isfinite(radius_km)
            and radius_km / EARTH_RADIUS_KM > 0):
        raise InvalidInput(f"radius_km {radius_km!r} must be a distance > 0 [km]")
    if min_outages < 1:
        raise InvalidInput(f"min_outages {min_outages!r} must be ≥ 1")
    ordered = sorted(outages, key=lambda o: (o.started_at, o.id))
    if not ordered:
        return []
    for outage in ordered:
        _check(outage)
    positions = np.radians([[o.latitude, o.longitude] for o in ordered])
    labels = DBSCAN(eps=radius_km / EARTH_RADIUS_KM, min_samples=min_outages,
                    metric="haversine", algorithm="ball_tree").fit(positions).labels_
    members: dict[int, list[PlacedOutage]] = {}
    for outage, label in zip(ordered, labels, strict=True):
        if label >= 0:
            members.setdefault(int(label), []).append(outage)
    spots = [_describe(group) for group in members.values()]
    return sorted(spots, key=lambda h: (-h.outages, h.first_outage_at, h.outage_ids[0]))


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
