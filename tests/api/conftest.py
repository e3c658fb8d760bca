"""The API under test: ``create_app`` on the session's stores, driven in-process by TestClient.

``small_plant`` is a hand-made site whose every number can be worked out by hand (see
:mod:`api.plant_records`); ``loaded_client`` is a client whose organization already holds it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what the project pins
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.plant_records import PLANT
from opslens.api.app import create_app
from opslens.ingest.service import ingest
from opslens.settings import Settings
from opslens.store.engine import Store

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(store: Store, tmp_path: Path) -> Iterator[ClientFactory]:
    """Build clients of one app on the test's store (each call: a new app, a cold cache)."""
    clients: list[TestClient] = []

    def build(**settings: object) -> TestClient:
        app = create_app(Settings(database_url=store.url, **settings), store=store)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


def load(client: TestClient, plant: dict[str, list[dict]], org: str | None = None) -> None:
    """Ingest ``plant`` kind by kind into the client's store with the ingest service.

    Fixtures load this way rather than through POST /api/ingest, whose background rollup
    refresh (run inside the request by TestClient) would recompute up to 400 days per batch;
    the tests that are about ingesting over HTTP post their records themselves."""
    app = client.app
    org = org or app.state.settings.default_organization
    for kind, records in plant.items():
        result = ingest(app.state.store, org, kind, [records])
        assert (result.stored, result.errors) == (len(records), [])


@pytest.fixture
def loaded_client(client: TestClient) -> TestClient:
    load(client, PLANT)
    return client
