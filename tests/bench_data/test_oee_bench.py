"""The OEE benchmark at a tiny size: its data ingests cleanly, and the rollup-served trend and
Pareto agree with the naive computation from raw rows that it times them against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import oee as bench_oee
from bench.plant_data import static_records


def test_the_generator_is_deterministic_and_valid():
    machines = static_records(2)["machines"]
    first = list(bench_oee.oee_records(machines, 3))
    assert first == list(bench_oee.oee_records(machines, 3))
    counts = [r for kind, rows in first if kind == "production_counts" for r in rows]
    assert len(counts) == 2 * 3 * 24 and all(0 <= c["good"] <= c["total"] for c in counts)


def test_opslens_and_the_naive_baseline_agree(tmp_path: Path):
    out = tmp_path / "oee.json"
    bench_oee.main(["--machines", "3", "--days", "5", "--repeat", "1", "--dir", str(tmp_path),
                    "--out", str(out)])
    results = json.loads(out.read_text())
    assert results["opslens"]["trend_oee"] == results["naive"]["oee"] is not None
    assert results["opslens"]["pareto_minutes"] == pytest.approx(
        results["naive"]["downtime_minutes"], abs=0.02)
    assert results["rollups"]["seconds"] >= 0 and results["ratio_naive_over_opslens"] > 0
