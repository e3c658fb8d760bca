"""Every endpoint survives a schema-driven fuzz of its OpenAPI description with no 5xx
(DESIGN.md §10), on a store holding a small demo plant.

The schema is loaded when the module is collected (schemathesis parametrizes one test per
operation then), so the app and its DuckDB file are made at import; the demo data is loaded
by a module fixture before the first case runs.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from opslens.api.app import create_app
from opslens.ingest.service import ingest
from opslens.plant.demo import build_demo_plant
from opslens.settings import Settings
from opslens.store import migrate
from opslens.store.engine import open_store

# NDJSON bodies are text; send generated strings as they are (CSV already goes as text).
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

_DIR = Path(tempfile.mkdtemp(prefix="opslens-fuzz-"))
_URL = f"duckdb:///{_DIR / 'opslens.duckdb'}"
_STORE = open_store(_URL)
migrate.upgrade(_STORE)
APP = create_app(Settings(database_url=_URL), store=_STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def demo_plant():
    as_of = datetime(2025, 10, 15, 12, tzinfo=UTC)
    for kind, records in build_demo_plant(seed=5, days=8, as_of=as_of).items():
        ingest(_STORE, "default", kind, [records])
    yield
    _STORE.dispose()
    shutil.rmtree(_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors(case):
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code < 500
    content_type = response.headers.get("content-type", [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code
        assert isinstance(body["error"], str) and body["error"]
