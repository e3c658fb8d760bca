"""Shared fixtures: every store test runs on DuckDB and on a real PostgreSQL server.

PostgreSQL comes from ``OPSLENS_TEST_POSTGRES_URL`` or from a throwaway server this session
starts. Outside CI, when none can be had, PostgreSQL tests skip with the reason; under
``CI=true`` that is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from opslens.grid import intake, topology
from opslens.store import migrate, schema
from opslens.store.engine import Store, open_store
from postgres_server import PostgresUnavailable, start_throwaway_server

STORES = ("duckdb", "postgres")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("OPSLENS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = start_throwaway_server()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL tests, but: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_store(postgres_url: str) -> Iterator[Store]:
    store = open_store(postgres_url)
    with store.engine.begin() as conn:  # start from an empty schema even on a reused server
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    migrate.upgrade(store)
    yield store
    store.dispose()


def _truncate_all(store: Store) -> None:
    with store.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
    intake.ENGINES.forget(store)  # what this process holds of the emptied tables
    topology.forget(store)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store: a fresh DuckDB file, or the session's PostgreSQL emptied."""
    if request.param == "duckdb":
        duck = open_store(f"duckdb:///{tmp_path / 'opslens.duckdb'}")
        migrate.upgrade(duck)
        yield duck
        duck.dispose()
    else:
        pg: Store = request.getfixturevalue("postgres_store")
        _truncate_all(pg)
        yield pg
