"""``create_app(settings)``: the one FastAPI application, API under /api, pages under /."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from opslens import __version__
from opslens.api import errors
from opslens.api.routes import ingest, kpi, meta, oee, oee_logs, oms, oms_analytics, oms_crews
from opslens.cache import ResultCache
from opslens.grid import intake
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
        ticker = asyncio.create_task(_tick_correlation(store, settings.oms_tick_seconds))
        yield
        ticker.cancel()
        with suppress(asyncio.CancelledError):
            await ticker
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
    app.include_router(oms_analytics.router)
    app.include_router(pages.router)
    return app


async def _tick_correlation(store: Store, every_s: float) -> None:
    """Let time pass for correlation while no events come: restorations settle, storm mode
    ends. Best effort: a failed tick is logged and the next one tries again."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(intake.tick_all, store, datetime.now(UTC))
        except Exception as exc:  # the next tick retries; events tick the engine anyway
            logging.getLogger("opslens.oms").warning("correlation tick failed: %s", exc)
