"""Migrations create exactly the schema that the store layer queries, on both stores.

Read through ``information_schema`` because SQLAlchemy cannot reflect DuckDB's catalog.
"""

import sqlalchemy as sa

from opslens.store import migrate, schema

COLUMNS = sa.text(
    "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
    "WHERE table_schema IN ('main', 'public')"
)
PRIMARY_KEYS = sa.text(
    "SELECT tc.table_name, kcu.column_name, kcu.ordinal_position "
    "FROM information_schema.table_constraints tc "
    "JOIN information_schema.key_column_usage kcu "
    "  ON tc.constraint_name = kcu.constraint_name AND tc.table_name = kcu.table_name "
    "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema IN ('main', 'public')"
)


def _catalog(store):
    with store.engine.connect() as conn:
        columns = {(t, c, n == "YES") for t, c, n in conn.execute(COLUMNS)}
        keys: dict[str, list[tuple[int, str]]] = {}
        for table, column, position in conn.execute(PRIMARY_KEYS):
            keys.setdefault(table, []).append((position, column))
    return columns, {t: [c for _, c in sorted(v)] for t, v in keys.items()}


def test_upgrade_reaches_head_and_matches_schema(store):
    assert migrate.is_up_to_date(store)
    columns, keys = _catalog(store)
    expected_columns = {
        (table.name, column.name, bool(column.nullable))
        for table in schema.metadata.sorted_tables
        for column in table.columns
    }
    assert {c for c in columns if c[0] != "alembic_version"} == expected_columns
    for table in schema.metadata.sorted_tables:
        assert keys.get(table.name, []) == [c.name for c in table.primary_key.columns], table.name


def test_every_table_is_scoped_by_organization():
    for table in schema.metadata.sorted_tables:
        if table.name == "organizations":
            continue
        assert not table.c.organization_id.nullable, table.name
        if table.primary_key.columns:  # derived tables have none (schema.wo_segments)
            assert table.primary_key.columns.keys()[0] == "organization_id", table.name


def test_counts_and_seconds_are_double_precision(store):
    with store.engine.connect() as conn:
        types = dict(conn.execute(sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'machine_days'"
        )).all())
    assert types["active_s"].upper() in ("DOUBLE", "DOUBLE PRECISION")


def test_downgrade_to_base_and_up_again(store):
    migrate.downgrade(store, "base")
    assert migrate.current_revision(store) is None
    columns, _ = _catalog(store)
    assert not {c for c in columns if c[0] == "work_orders"}
    migrate.upgrade(store)
    assert migrate.is_up_to_date(store)
