"""Writing and looking up source records: bulk upserts, id lookups, data versions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from opslens.store import schema

ORG = schema.ORG


def _arrow_type(column: sa.Column) -> pa.DataType:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    if isinstance(kind, sa.Double | sa.Float):
        return pa.float64()
    if isinstance(kind, sa.BigInteger | sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    return pa.string()


#: Up to this many rows, bound parameters beat registering an Arrow table (which costs
#: milliseconds however few the rows: the OMS writes a handful per event batch).
SMALL_BATCH = 8


def upsert(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]],
    constants: Mapping[str, Any] | None = None, new: bool = False,
) -> int:
    """Insert ``rows`` or, where the primary key exists, update every other column.

    Every row carries every column of ``table`` except the ``constants``: columns with one
    value for the whole batch (the organization, the time of the write), given once. DuckDB
    takes the rows as one Arrow table (an order of magnitude faster than parameter batches)
    and the constants as parameters; PostgreSQL takes multi-row VALUES. A table without a
    primary key (a derived one) is plainly inserted into. A few rows go as bound parameters
    on both stores. ``new`` promises that no row's key is stored yet (the caller checked):
    the rows are inserted without a conflict check, which DuckDB makes costly.
    """
    if not rows:
        return 0
    constants = dict(constants or {})
    keys = [] if new else [c.name for c in table.primary_key.columns]
    others = [c.name for c in table.columns if c.name not in keys]
    if conn.dialect.name == "duckdb" and len(rows) > SMALL_BATCH:
        schema = pa.schema([(c.name, _arrow_type(c)) for c in table.columns
                            if c.name not in constants])
        arrow = pa.Table.from_pylist(list(rows), schema=schema)  # one pass, in C++
        _duckdb_upsert_arrow(conn, table, arrow, constants, keys, others)
    elif not keys:
        conn.execute(table.insert(), [{**row, **constants} for row in rows])
    else:
        statement = pg_insert(table)
        update = {name: statement.excluded[name] for name in others}
        statement = (
            statement.on_conflict_do_update(index_elements=keys, set_=update)
            if update else statement.on_conflict_do_nothing(index_elements=keys)
        )
        conn.execute(statement, [{**row, **constants} for row in rows])
    return len(rows)


def _duckdb_upsert_arrow(
    conn: Connection, table: sa.Table, arrow: pa.Table, constants: dict[str, Any],
    keys: list[str], others: list[str],
) -> None:
    raw = conn.connection.driver_connection  # the duckdb connection inside this transaction
    view = f"incoming_{table.name}"
    raw.register(view, arrow)
    try:
        columns = [c.name for c in table.columns]
        values = ", ".join(f"${c}" if c in constants else c for c in columns)
        update = ", ".join(f"{name} = excluded.{name}" for name in others)
        action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
        # Table and column names come from the schema, never from input.
        raw.execute(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {values} FROM {view} "
            + (f"ON CONFLICT ({', '.join(keys)}) {action}" if keys else ""),
            constants,
        )
    finally:
        raw.unregister(view)


def fetch_by_ids(
    conn: Connection, table: sa.Table, org: str, ids: Iterable[str],
    columns: Sequence[str] | None = None, id_column: str = "id",
) -> dict[str, dict[str, Any]]:
    """The rows of ``table`` in ``org`` whose ``id_column`` is among ``ids``, by id.

    The ids go into a temporary table and are joined, which stays fast for a batch of
    100,000 ids where an ``IN`` list of bound parameters would not.
    """
    wanted = set(ids)
    if not wanted:
        return {}
    selected = [table.c[name] for name in (columns or [c.name for c in table.columns])]
    names = [c.name for c in selected]
    if len(wanted) <= SMALL_BATCH:  # a temporary table costs more than a short IN list
        query = sa.select(*selected, table.c[id_column].label("_id")).where(
            table.c[ORG] == org, table.c[id_column].in_(sorted(wanted)))
        return {row[-1]: dict(zip(names, row[:-1], strict=True))
                for row in conn.execute(query).all()}
    lookup = sa.table(load_ids(conn, "tmp_lookup_ids", wanted), sa.column("id"))
    query = (
        sa.select(*selected, table.c[id_column].label("_id"))
        .join(lookup, lookup.c.id == table.c[id_column])
        .where(table.c[ORG] == org)
    )
    if conn.dialect.name == "duckdb":  # a literal range its zone maps prune by (as timelines)
        query = query.where(table.c[id_column].between(min(wanted), max(wanted)))
    return {row[-1]: dict(zip(names, row[:-1], strict=True)) for row in conn.execute(query).all()}


def ensure_organization(conn: Connection, org: str, now: datetime) -> None:
    statement = pg_insert(schema.organizations).values(id=org, name=org, created_at=now)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["id"]))
    statement = pg_insert(schema.data_versions).values({ORG: org, "version": 0})
    conn.execute(statement.on_conflict_do_nothing(index_elements=[ORG]))


def bump_data_version(conn: Connection, org: str) -> None:
    """Mark every cached result of ``org`` stale, in this transaction."""
    table = schema.data_versions
    conn.execute(
        table.update().where(table.c[ORG] == org).values(version=table.c.version + 1)
    )


def data_version(conn: Connection, org: str) -> int:
    table = schema.data_versions
    value = conn.execute(sa.select(table.c.version).where(table.c[ORG] == org)).scalar()
    return int(value or 0)


def load_ids(conn: Connection, name: str, ids: Iterable[str]) -> str:
    """Fill a temporary one-column table ``name`` with ``ids`` for set-based joins."""
    values = sorted(set(ids))
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} (id VARCHAR PRIMARY KEY)"))
    conn.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608  (name is ours, not input)
    if not values:
        return name
    if conn.dialect.name == "duckdb":
        raw = conn.connection.driver_connection
        raw.register("incoming_ids", pa.table({"id": pa.array(values, type=pa.string())}))
        try:
            raw.execute(f"INSERT INTO {name} SELECT id FROM incoming_ids")  # noqa: S608
        finally:
            raw.unregister("incoming_ids")
    else:
        conn.execute(sa.text(f"INSERT INTO {name} (id) VALUES (:id)"),  # noqa: S608
                     [{"id": v} for v in values])
    return name
