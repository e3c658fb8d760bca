"""Distances on the Earth's surface, for spatial correlation and hotspots.

The haversine great-circle distance on a sphere of the mean Earth radius (IUGG, 6,371,008.8 m):
within 0.5 % of the ellipsoidal distance, far below the noise of a caller's location.
"""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [m] between two points given in degrees.

    ``d = 2 R asin(√(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))``

    >>> round(haversine_m(48.0, 7.8, 48.0 + 1 / 60, 7.8))  # one arc minute of latitude
    1853
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_many_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances [m] from one point to many (arrays of degrees), vectorised.

    >>> haversine_many_m(48.0, 7.8, np.array([48.0, 48.0 + 1 / 60]), np.array([7.8, 7.8])).round()
    array([   0., 1853.])
    """
    phi1, phi2 = math.radians(lat), np.radians(lats)
    a = (np.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lons - lon) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
