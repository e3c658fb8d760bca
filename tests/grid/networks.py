"""Small hand-made topology documents whose numbers can be worked out by hand."""

from __future__ import annotations


def document() -> dict:
    """S1 ─ F1 ─ B1 ┬ FU1 ┬ T1 (10 meters)   FU2 ─ T3 (10 meters)
                    │     └ T2 (10 meters)"""
    points = [{"id": f"{t}-M{m}", "transformer_id": t, "customer_id": f"C-{t}-{m}",
               "latitude": 48.4, "longitude": 7.80 + 0.003 * i}
              for i, t in enumerate(("T1", "T2", "T3")) for m in range(10)]
    return {
        "source": "test", "timezone": "Europe/Berlin",
        "substations": [{"id": "S1", "latitude": 48.4, "longitude": 7.79}],
        "feeders": [{"id": "F1", "substation_id": "S1"}],
        "devices": [{"id": "B1", "type": "breaker", "parent_id": "F1"},
                    {"id": "FU1", "type": "fuse", "parent_id": "B1"},
                    {"id": "FU2", "type": "fuse", "parent_id": "B1"}],
        "transformers": [{"id": "T1", "parent_id": "FU1", "latitude": 48.4, "longitude": 7.80},
                         {"id": "T2", "parent_id": "FU1", "latitude": 48.4, "longitude": 7.803},
                         {"id": "T3", "parent_id": "FU2", "latitude": 48.4,
                          "longitude": 7.806}],
        "service_points": points,
    }
