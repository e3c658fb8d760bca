"""Opening a store: one SQLAlchemy engine for DuckDB or PostgreSQL, sessions in UTC.

Results are read with ``.all()``, never by iterating the result: iteration fetches one row
at a time through duckdb_engine (about 5 µs a row), ``.all()`` is one ``fetchall``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from opslens.errors import STORE_IN_USE_MESSAGE, StoreUnavailable


@dataclass(frozen=True)
class Store:
    """An open store. ``engine.begin()`` gives one transaction; the dialect picks fast paths."""

    engine: Engine
    url: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name  # "duckdb" or "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _duckdb_file(url: str) -> Path | None:
    raw = url.removeprefix("duckdb:///")
    return None if raw in ("", ":memory:") or raw.startswith("duckdb:") else Path(raw)


def open_store(url: str, memory_limit: str | None = None) -> Store:
    """Connect to the store named by ``url`` and check that it answers.

    A DuckDB file held by another process (a running ``opslens serve``) raises
    :class:`StoreUnavailable` with a one-line explanation instead of a driver traceback.
    """
    if url.startswith("duckdb://"):
        path = _duckdb_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, pool_pre_ping=False)
        # duckdb_engine turns SQLAlchemy's compiled-statement cache off without a reason of
        # its own (its dialect is PostgreSQL's, which caches); recompiling every statement
        # cost 1–2 ms a query, most of the time of a small read. Both stores run the same
        # statements and the whole suite, so a caching bug would show on DuckDB alone.
        engine.dialect.__dict__["_supports_statement_cache"] = True
    else:
        engine = sa.create_engine(_sqlalchemy_url(url), pool_pre_ping=True, pool_size=10)

    duckdb = url.startswith("duckdb://")

    @sa.event.listens_for(engine, "connect")
    def _session(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TimeZone='UTC'")  # every timestamp is read and written in UTC
        if duckdb:
            # Checkpoint (fold the WAL into the file) every 256 MB rather than every 16 MB:
            # large ingest batches otherwise pay a checkpoint per commit. The WAL is still
            # flushed at each commit, so acknowledged batches are durable.
            cursor.execute("SET checkpoint_threshold='256MB'")
            if memory_limit:  # validated by Settings; a literal because SET takes no params
                cursor.execute(f"SET memory_limit='{memory_limit}'")
        cursor.close()

    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        text = str(exc.orig)
        if "lock" in text.lower() and url.startswith("duckdb://"):
            raise StoreUnavailable(STORE_IN_USE_MESSAGE) from None
        first_line = text.strip().splitlines()[0] if text.strip() else type(exc.orig).__name__
        raise StoreUnavailable(f"cannot open the store {redact(url)}: {first_line}") from None
    return Store(engine=engine, url=url)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(_sqlalchemy_url(url)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable database URL>"
