"""Alembic environment: runs against the Store passed in by opslens.store.migrate."""

from alembic import context

store = context.config.attributes["store"]

with store.engine.begin() as connection:
    context.configure(connection=connection, transactional_ddl=True)
    context.run_migrations()
