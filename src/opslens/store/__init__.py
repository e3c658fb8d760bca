"""The store: schema, migrations and all SQL, on DuckDB (embedded default) and PostgreSQL."""
