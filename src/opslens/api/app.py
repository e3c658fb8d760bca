"""``create_app(settings)``: the one FastAPI application, API under /api, pages under /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opslens import __version__
from opslens.api import errors
from opslens.api.routes import ingest, kpi, meta, oee, oee_logs, oms, oms_crews
from opslens.cache import ResultCache
from opslens.settings import Settings
from opslens.store.engine import Store, open_store
from opslens.web import pages


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """Build the application. The store is opened here (or passed in, for tests), never at
    import time; it is closed when the application shuts down if this call opened it."""
    owned = store is None
    store = store or open_store(settings.database_url, settings.duckdb_memory_limit)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            store.dispose()

    app = FastAPI(
        title="opslens", version=__version__, lifespan=lifespan,
        description="Operations analytics: machine status, utilization and work orders "
                    "(seed 003). Every error has the body "
                    '`{"ok": false, "status", "error", "errors"}`.',
    )
    app.state.settings = settings
    app.state.store = store
    app.state.cache = ResultCache()
    errors.install(app)
    app.include_router(meta.router)
    app.include_router(ingest.router)
    app.include_router(kpi.router)
    app.include_router(oee_logs.router)  # before oee: /performance/{machine_id}
    app.include_router(oee.router)
    app.include_router(oms.router)
    app.include_router(oms_crews.router)
    app.include_router(pages.router)
    return app
