"""Versioned migrations (Alembic), applied by ``opslens db upgrade`` on either store."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from opslens.store.engine import Store

MIGRATIONS = Path(__file__).with_name("migrations")


class DuckDBImpl(PostgresqlImpl):
    """Alembic ships no DuckDB implementation; DuckDB speaks PostgreSQL's DDL dialect."""

    __dialect__ = "duckdb"


def _config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["store"] = store
    return config


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the store's schema to ``revision`` (default: the newest)."""
    command.upgrade(_config(store), revision)


def downgrade(store: Store, revision: str) -> None:
    command.downgrade(_config(store), revision)


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def is_up_to_date(store: Store) -> bool:
    return current_revision(store) == head_revision()
