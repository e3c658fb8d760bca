"""Every endpoint survives a schema-driven fuzz of its OpenAPI description with no 5xx
(DESIGN.md §10), on a store holding a small demo plant.

schemathesis parametrizes one test per operation when the module is collected, so the app
(and its DuckDB file) exist from import; the demo data is loaded by a module fixture. Cases
go through a Starlette test client opened for the module and closed at its end: the ASGI
transport of schemathesis would leave its event-loop threads running at exit.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from grid.networks import document
from opslens.api.app import create_app
from opslens.grid import intake, topology
from opslens.ingest.oee_logs import EVENT_TYPES
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
schema = schemathesis.openapi.from_dict(APP.openapi())
BASE = "http://testserver"


@pytest.fixture(scope="module")
def client():
    as_of = datetime(2025, 10, 15, 12, tzinfo=UTC)
    plant = build_demo_plant(seed=5, days=8, as_of=as_of)
    for kind, records in (plant | _oee_logs(plant["work_orders"][:200])).items():
        ingest(_STORE, "default", kind, [records])
    topology.load_document(_STORE, "default", document(), as_of)  # and a small grid
    intake.accept(_STORE, "default", [
        {"id": f"e{i}", "source": "ami", "kind": "power_loss", "device_id": point,
         "occurred_at": (as_of + timedelta(seconds=i)).isoformat()}
        for i, point in enumerate(["T1-M0", "T1-M1", "T3-M0"])], as_of)
    with TestClient(APP, base_url=BASE) as test_client:
        yield test_client
    _STORE.dispose()
    shutil.rmtree(_DIR, ignore_errors=True)


def _oee_logs(orders: list[dict]) -> dict[str, list[dict]]:
    """Sample records of the kinds the demo plant does not make: per work order, a
    performance log over its first hour and a quality event of each type in turn."""
    logs, events = [], []
    for i, order in enumerate(orders):
        start = datetime.fromisoformat(order["start_time"])
        logs.append({"id": f"PL{i}", "machine_id": order["machine_id"],
                     "work_order_id": order["id"], "period_start": start.isoformat(),
                     "logged_at": (start + timedelta(hours=1)).isoformat(),
                     "actual_cycle_time_s": 20 + i % 50, "units_produced": i % 7 * 10,
                     "target_cycle_time_s": None if i % 3 else 40})
        events.append({"id": f"QE{i}", "machine_id": order["machine_id"],
                       "work_order_id": order["id"], "quantity": i % 5,
                       "occurred_at": (start + timedelta(minutes=30)).isoformat(),
                       "event_type": EVENT_TYPES[i % len(EVENT_TYPES)],
                       "reason_code": None if i % 4 == 0 else f"R{i % 3}",
                       "defect_type": None if i % 5 == 0 else f"D{i % 2}"})
    return {"performance_logs": logs, "quality_events": events}


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors(case, client):
    request = case.as_transport_kwargs(base_url=BASE)
    headers = dict(request.get("headers") or {})
    params = request.get("params")
    if case.path == "/api/oms/stream":  # a stream lasts while changes come: end it soon
        params = {**(params or {}), "idle_s": 0.3}
    if request.get("cookies"):  # no endpoint reads cookies; send them as a plain header
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in request["cookies"].items())
    response = client.request(
        request["method"], request["url"], params=params, headers=headers,
        content=request.get("data"), json=request.get("json"))
    assert response.status_code < 500, (case.path, request)
    if response.status_code >= 400 and response.headers.get(
            "content-type", "").startswith("application/json"):
        body = response.json()
        assert body["ok"] is False and body["status"] == response.status_code
        assert isinstance(body["error"], str) and body["error"]
