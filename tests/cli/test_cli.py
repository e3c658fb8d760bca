"""The ``opslens`` command line (DESIGN.md §2, §4): migrations, ingesting files in every
format, the demo plant, rollups, the single-writer DuckDB lock and ``--server``.

In-process through Typer's runner where possible (and ``opslens.cli.main`` where the exit
code and message of an error matter); as real processes where the point is another process:
the lock and the running server. DuckDB only: the store suites cover PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from opslens import cli
from opslens.errors import STORE_IN_USE_MESSAGE
from opslens.plant.demo import build_demo_plant
from opslens.plant.demo_oee import build_demo_oee
from opslens.store import migrate, schema
from opslens.store.engine import open_store

BIN = Path(sys.executable).parent
SITES_JSON = [{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"},
              {"id": "S2", "name": "Chicago", "timezone": "America/Chicago"}]


def counts(db: Path, org: str = "default") -> dict[str, int]:
    store = open_store(f"duckdb:///{db}")
    try:
        with store.engine.connect() as conn:
            return {
                kind: conn.execute(sa.select(sa.func.count()).select_from(table)
                                   .where(table.c.organization_id == org)).scalar_one()
                for kind in ("sites", "lines", "machines", "shifts", "work_orders",
                             "work_order_logs", "production_counts", "downtime_events",
                             "energy_readings", "rollup_days")
                for table in [getattr(schema, kind)]
            }
    finally:
        store.dispose()


def report(stdout: str) -> dict:
    return json.loads(stdout)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- db -----------------------------------------------------------------------------------------

def test_db_upgrade_and_current(run, db: Path):
    assert run("db", "current").stdout == "empty (run `opslens db upgrade`)\n"
    upgraded = run("db", "upgrade")
    head = migrate.head_revision()
    assert upgraded.stderr.strip() == f"schema at revision {head} on duckdb:///{db}"
    assert run("db", "current").stdout == f"{head}\n"
    run("db", "upgrade")  # again: nothing to do, no error
    assert run("db", "current").stdout == f"{head}\n"


def test_commands_refuse_a_store_that_is_not_upgraded(db: Path, env, monkeypatch, capsys):
    path = write(db.parent / "sites.json", json.dumps(SITES_JSON))
    code, _, err = _main(monkeypatch, capsys, env, "ingest", "sites", str(path))
    assert code == 2
    assert "error: the database schema is not up to date; run `opslens db upgrade`\n" in err
    assert "Traceback" not in err


# ---- ingest -------------------------------------------------------------------------------------

def test_ingest_json_ndjson_and_csv_files(run, upgraded, db: Path, tmp_path: Path):
    files = {
        "sites": write(tmp_path / "sites.json", json.dumps(SITES_JSON)),
        "lines": write(tmp_path / "lines.ndjson",
                       '{"id": "L1", "site_id": "S1", "name": "Line 1"}\n\n'
                       '{"id": "L2", "site_id": "S2", "name": "Line 2"}\n'),
        "machines": write(tmp_path / "machines.csv",
                          "\ufeffid,site_id,line_id,name,ideal_cycle_time_s\n"
                          'M1,S1,L1,"Press, big",12.5\nM2,S1,,Press 2,\nM9,S2,L2,Lathe,\n'),
        "shifts": write(tmp_path / "shifts.jsonl",
                        '{"id": "E", "site_id": "S1", "name": "Early", "start_time": "06:00", '
                        '"end_time": "14:00", "breaks": ["10:00-10:30"]}\n'),
        "work_orders": write(tmp_path / "work_orders.csv",
                             "id,site_id,machine_id,start_time,end_time,status,ok_qtys\n"
                             "W1,S1,M1,2025-10-14T08:00:00,,start,\n"
                             "W2,S1,M2,2025-10-14T06:00:00+02:00,2025-10-14T09:00:00+02:00,"
                             "Completed,40\n"),
        "work_order_logs": write(tmp_path / "logs.json", json.dumps({"records": [
            {"work_order_id": "W1", "status": "Start", "changed_at": "2025-10-14T08:00:00"}]})),
    }
    expected = {"sites": 2, "lines": 2, "machines": 3, "shifts": 1, "work_orders": 2,
                "work_order_logs": 1}
    for kind, path in files.items():
        result = run("ingest", kind, str(path))
        assert report(result.stdout) == {"ok": True, "kind": kind, "received": expected[kind],
                                          "stored": expected[kind], "rejected": 0,
                                          "errors": []}, kind
    stored = counts(db)
    assert {k: stored[k] for k in expected} == expected

    # idempotent: the same files again change no count
    for kind in ("machines", "work_orders"):
        run("ingest", kind, str(files[kind]))
    assert {k: counts(db)[k] for k in expected} == expected


def test_ingest_with_format_organization_and_partial(run, upgraded, db: Path, tmp_path: Path):
    export = write(tmp_path / "sites-export.txt",
                   "id,name,timezone\nA,Good,UTC\nB,Bad,Mars/Base\nC,Good too,Asia/Tokyo\n")
    result = run("ingest", "sites", str(export), "--format", "csv", "--partial",
                 "--org", "acme")
    body = report(result.stdout)
    assert (body["received"], body["stored"], body["rejected"]) == (3, 2, 1)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "timezone")]
    assert counts(db, "acme")["sites"] == 2
    assert counts(db, "default")["sites"] == 0

    bad_format = run("ingest", "sites", str(export), "--format", "xml", ok=False)
    assert bad_format.exit_code == 2
    assert "--format must be one of json, ndjson, csv" in bad_format.stderr


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, env: dict[str, str],
          *args: str) -> tuple[int, str, str]:
    """Run ``opslens ARGS`` in-process through ``main`` (which turns errors into exit codes)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")  # keep rich from wrapping the messages checked here
    monkeypatch.setattr(sys, "argv", ["opslens", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        cli.main()
    out, err = capsys.readouterr()
    return exited.value.code, out, err


@pytest.mark.parametrize(("name", "content", "message"), [
    ("sites.json", json.dumps([SITES_JSON[0], {"id": "S3", "name": "x", "timezone": "Nope"}]),
     "error: 1 of 2 sites records are invalid; nothing was stored (fix them, or send "
     "?partial=true to store the valid ones)"),
    ("sites.json", '[{"id": "S1",\n "name": }]', "error: malformed JSON at line 2, column 10"),
    ("sites.ndjson", json.dumps(SITES_JSON[0]) + "\n{oops\n", "error: malformed NDJSON on line 2"),
    ("sites.csv", "id,name,timezone\nS1,a,UTC\nS2,b,UTC,extra\n",
     "error: CSV line 3 has more cells than the header has columns"),
    ("sites.xml", "<sites/>", "error: cannot tell the format of 'sites.xml' from its suffix"),
])
def test_a_bad_file_exits_non_zero_and_stores_nothing(
    upgraded, db: Path, env, tmp_path: Path, monkeypatch, capsys, name, content, message
):
    path = write(tmp_path / name, content)
    code, out, err = _main(monkeypatch, capsys, env, "ingest", "sites", str(path))
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert counts(db)["sites"] == 0


def test_a_bad_record_is_listed_with_index_field_and_reason(
    upgraded, env, tmp_path: Path, monkeypatch, capsys
):
    path = write(tmp_path / "sites.json",
                 json.dumps([SITES_JSON[0], {"id": "S3", "name": "x", "timezone": "Nope"}]))
    _, _, err = _main(monkeypatch, capsys, env, "ingest", "sites", str(path))
    assert "'index': 1" in err and "'field': 'timezone'" in err and "unknown time zone" in err


def test_unknown_kind_exits_non_zero(upgraded, db: Path, env, tmp_path, monkeypatch, capsys):
    path = write(tmp_path / "things.json", "[]")
    code, _, err = _main(monkeypatch, capsys, env, "ingest", "widgets", str(path))
    assert code != 0
    assert "unknown record kind 'widgets'" in err


# ---- demo and rollups ---------------------------------------------------------------------------

def test_demo_if_empty_and_rollups_refresh(run, upgraded, db: Path):
    as_of = "2025-10-15T12:00:00+00:00"
    loaded = run("demo", "--seed", "3", "--days", "10", "--grid-days", "3", "--as-of", as_of)
    plant = build_demo_plant(seed=3, days=10, as_of=datetime.fromisoformat(as_of))
    plant |= build_demo_oee(plant, 3, as_of=datetime.fromisoformat(as_of))
    expected = {kind: len(records) for kind, records in plant.items()}
    assert f"demo plant loaded into organization 'default': {expected}" in " ".join(
        loaded.stderr.split())
    after_demo = counts(db)
    assert {k: after_demo[k] for k in expected} == expected
    assert after_demo["rollup_days"] >= 3 * 10  # every site's closed days are rolled up
    store = open_store(f"duckdb:///{db}")
    try:  # and a utility: the network, correlated outages (one storm still going), crews
        with store.engine.connect() as conn:
            grid = {name: conn.execute(sa.text(query)).all()[0][0] for name, query in {
                "elements": "SELECT count(*) FROM grid_elements",
                "open": "SELECT count(*) FROM outages WHERE status IN ('predicted', "
                        "'confirmed')",
                "restored": "SELECT count(*) FROM outages WHERE status = 'restored'",
                "crews": "SELECT count(*) FROM crews",
                "assignments": "SELECT count(*) FROM crew_assignments"}.items()}
    finally:
        store.dispose()
    assert grid["elements"] > 16000 and grid["crews"] == 6
    assert grid["open"] > 0 and grid["restored"] > 0 and grid["assignments"] > 0
    assert "demo utility loaded into organization 'default'" in " ".join(loaded.stderr.split())

    again = run("demo", "--if-empty")
    assert "organization 'default' already has data; demo not loaded" in again.stderr
    assert counts(db) == after_demo

    naive = run("demo", "--as-of", "2025-10-15T12:00:00", ok=False)
    assert naive.exit_code == 2
    assert "--as-of needs a UTC offset" in naive.stderr

    # rollups refresh fills every closed day of the last N days, then has nothing left to do
    first = run("rollups", "refresh", "--days", "5")
    second = run("rollups", "refresh", "--days", "5")
    for site in plant["sites"]:
        assert f"{site['id']}: " in first.stderr
        assert f"{site['id']}: 0 day(s) computed" in second.stderr
        today = datetime.now(UTC).astimezone(ZoneInfo(site["timezone"])).date()
        closed = {today - timedelta(days=n) for n in range(1, 6)}
        store = open_store(f"duckdb:///{db}")
        try:
            with store.engine.connect() as conn:
                days = set(conn.execute(sa.select(schema.rollup_days.c.day).where(
                    schema.rollup_days.c.site_id == site["id"])).scalars())
        finally:
            store.dispose()
        assert closed <= days, site["id"]
    only = run("rollups", "refresh", "--site", "CHI", "--days", "5")
    assert "CHI: 0 day(s) computed" in only.stderr and "BER" not in only.stderr


# ---- other processes: the lock and --server -----------------------------------------------------

def _subprocess_env(env: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**out, **env}


def _opslens(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "opslens"), *args], env=_subprocess_env(env), cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def holder(db: Path, upgraded) -> Iterator[subprocess.Popen]:
    """Another process holding the DuckDB file open, as `opslens serve` does."""
    code = (f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True);"
            " time.sleep(30)")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_locked_database_gives_one_clear_line(holder, env, tmp_path: Path, db: Path):
    path = write(tmp_path / "sites.json", json.dumps(SITES_JSON))
    result = _opslens(env, "ingest", "sites", str(path), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert STORE_IN_USE_MESSAGE in lines[0]
    assert STORE_IN_USE_MESSAGE == ("the database is in use by a running opslens server; "
                                    "use --server URL or stop the server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(env: dict[str, str], upgraded, tmp_path: Path) -> Iterator[str]:
    """`opslens serve` on a free loopback port, stopped (by its pid) after the test."""
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "opslens"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_subprocess_env(env), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_ingest_through_a_running_server(server: str, env, tmp_path: Path):
    sites = write(tmp_path / "sites.csv", "id,name,timezone\nS1,Berlin Works,Europe/Berlin\n"
                                          "S2,Chicago,America/Chicago\n")
    result = _opslens(env, "ingest", "sites", str(sites), "--server", server, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert report(result.stdout) == {"ok": True, "kind": "sites", "received": 2, "stored": 2,
                                     "rejected": 0, "errors": []}
    listed = httpx.get(f"{server}/api/sites", timeout=10).json()
    assert [(s["id"], s["name"]) for s in listed["sites"]] == [
        ("S1", "Berlin Works"), ("S2", "Chicago")]

    # a bad file through the server: the server's 422 report, a non-zero exit, nothing stored
    bad = write(tmp_path / "machines.json", json.dumps([{"id": "M1", "site_id": "S404",
                                                         "name": "x"}]))
    failed = _opslens(env, "ingest", "machines", str(bad), "--server", server, cwd=tmp_path)
    assert failed.returncode != 0
    body = report(failed.stdout)
    assert body["ok"] is False and body["status"] == 422
    assert body["errors"] == [{"index": 0, "field": "site_id", "reason": "unknown site 'S404'"}]
    assert httpx.get(f"{server}/api/sites", timeout=10).json()["sites"][0]["machines"] == []

    # while the server holds the file, opening it directly is refused with the hint
    direct = _opslens(env, "ingest", "sites", str(sites), cwd=tmp_path)
    assert direct.returncode != 0
    assert STORE_IN_USE_MESSAGE in " ".join(direct.stderr.split())
    assert "Traceback" not in direct.stderr
