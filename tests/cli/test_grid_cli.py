"""``opslens grid``: loading a topology document and importing pandapower's network."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from grid.networks import document
from opslens.store.engine import open_store
from opslens.store.grid_schema import grid_elements


def element_count(db: Path) -> int:
    store = open_store(f"duckdb:///{db}")
    try:
        with store.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(grid_elements)).all()[0][0]
    finally:
        store.dispose()


def test_grid_load_replaces_the_network_and_rejects_bad_files(run, upgraded, db: Path,
                                                              tmp_path: Path):
    path = tmp_path / "network.json"
    path.write_text(json.dumps(document()))
    result = run("grid", "load", str(path))
    assert json.loads(result.stdout)["customers"] == 30
    assert element_count(db) == 1 + 1 + 3 + 3 + 30
    path.write_text("{broken")
    assert "is not a JSON document" in run("grid", "load", str(path), ok=False).stderr
    bad = document()
    bad["feeders"][0]["substation_id"] = "S9"
    path.write_text(json.dumps(bad))
    failed = run("grid", "load", str(path), ok=False)
    assert failed.exit_code != 0 and element_count(db) == 38  # the old network stays


def test_import_pandapower_writes_a_document_that_loads(run, upgraded, db: Path,
                                                        tmp_path: Path):
    out = tmp_path / "oberrhein.json"
    run("grid", "import-pandapower", "--lv-beneath", "0", "--output", str(out))
    built = json.loads(out.read_text())
    assert len(built["transformers"]) == 147 and len(built["feeders"]) == 4
    result = json.loads(run("grid", "load", str(out)).stdout)
    assert result["transformers"] == 147 and result["customers"] == 12372


def test_simulate_writes_a_storm_and_evaluate_scores_it(run, upgraded, tmp_path: Path):
    path = tmp_path / "network.json"
    path.write_text(json.dumps(document()))
    run("grid", "load", str(path))
    storm = tmp_path / "storm.json"
    run("grid", "simulate", "--output", str(storm), "--seed", "3", "--faults", "2",
        "--start", "2026-03-01T12:00:00+00:00")
    written = json.loads(storm.read_text())
    assert written["format"] == "opslens-storm/1" and len(written["events"]) > 0
    result = json.loads(run("grid", "evaluate", str(storm), "--json").stdout)
    rows = {row["metric"]: row for row in result[0]["rows"]}
    assert rows["pairwise F1"]["opslens"] >= rows["pairwise F1"]["naive_baseline"]
    table = run("grid", "evaluate", "--seed", "1", "--faults", "2").stdout
    assert "storm seed 1" in table and "detection latency p50 [s]" in table
    assert "--start needs a UTC offset" in run(
        "grid", "simulate", "--output", str(storm), "--start", "2026-03-01T12:00", ok=False
    ).stderr
