"""Fixtures of the command-line tests: a DuckDB file per test and a runner on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from opslens import cli


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "opslens.duckdb"


@pytest.fixture
def env(db: Path) -> dict[str, str]:
    return {"OPSLENS_DATABASE_URL": f"duckdb:///{db}", "OPSLENS_DEFAULT_ORGANIZATION": "default"}


@pytest.fixture
def run(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        # a wide console: these tests read messages, the lock test checks the default width
        result = runner.invoke(cli.app, list(args), env={**env, "COLUMNS": "200"})
        if ok:
            assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    return invoke


@pytest.fixture
def upgraded(run) -> None:
    run("db", "upgrade")
