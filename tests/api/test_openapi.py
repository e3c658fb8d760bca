"""The API documents itself: /docs and /openapi.json serve, and every route is in the document
(DESIGN.md §7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from opslens.api.app import create_app
from opslens.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app opening (and on shutdown closing) its own DuckDB file; no data is needed."""
    path: Path = tmp_path_factory.mktemp("openapi") / "opslens.duckdb"
    with TestClient(create_app(Settings(database_url=f"duckdb:///{path}"))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_docs_page_serves(client: TestClient):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


def test_document_describes_opslens(document: dict):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "opslens"
    assert '{"ok": false, "status", "error", "errors"}' in document["info"]["description"]


def _api_routes(routes: list, hidden: bool = False) -> Iterator[tuple[APIRoute, bool]]:
    """Every APIRoute of the app with whether it is hidden from the schema, looking inside
    included routers (FastAPI keeps them as nested router entries)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes,
                                   hidden or not getattr(included, "include_in_schema", True))
        elif isinstance(route, APIRoute):
            yield route, hidden or not route.include_in_schema


def test_every_route_is_documented(client: TestClient, document: dict):
    routes = list(_api_routes(client.app.routes))
    assert len([r for r, _ in routes if r.path.startswith("/api")]) >= 8
    assert any(r.path == "/" for r, _ in routes)  # the pages are found too
    missing = []
    for route, hidden in routes:
        if hidden:
            # only pages may stay out of the API document
            assert not route.path.startswith("/api"), route.path
            continue
        documented = document["paths"].get(route.path, {})
        missing += [f"{method} {route.path}" for method in route.methods
                    if method.lower() not in documented]
    assert missing == []
    documented = {(path, method.upper()) for path, ops in document["paths"].items()
                  for method in ops}
    expected = {
        ("/api/health", "GET"), ("/api/sites", "GET"), ("/api/ingest", "GET"),
        ("/api/ingest/{kind}", "POST"), ("/api/kpi/machine-status/analytics", "GET"),
        ("/api/kpi/machine-status/current", "GET"),
        ("/api/kpi/machine-utilization/analytics", "GET"),
        ("/api/kpi/work-order-status/current", "GET"),
    }
    assert expected <= documented


def test_documented_parameters_match_the_seed_names(document: dict):
    def names(path: str) -> set[str]:
        return {p["name"] for p in document["paths"][path]["get"]["parameters"]}

    analytics = names("/api/kpi/machine-status/analytics")
    assert {"site_id", "time_period", "date_from", "date_to", "enable_comparison",
            "comparison_type", "page", "per_page", "as_of", "refresh", "format",
            "x-organization"} <= {n.lower() for n in analytics}
    assert "table" in names("/api/kpi/machine-utilization/analytics")
    ingest = document["paths"]["/api/ingest/{kind}"]["post"]
    assert set(ingest["requestBody"]["content"]) == {
        "application/json", "application/x-ndjson", "text/csv"}
    assert {p["name"] for p in ingest["parameters"]} >= {"kind", "partial", "format"}
