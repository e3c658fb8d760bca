"""Every error path of the API answers with the one body ``{"ok": false, "status", "error",
"errors"}`` (DESIGN.md §7, STYLE.md "a test that walks every error path and checks it"), with
the right status code, and bad input is never a 5xx."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.conftest import ClientFactory, load
from opslens.errors import Conflict, InvalidInput, NotFound, OpslensError, StoreUnavailable
from opslens.ingest.kinds import kind_names

KPI = "/api/kpi"
ANALYTICS = (f"{KPI}/machine-status/analytics", f"{KPI}/machine-utilization/analytics")
CURRENT = (f"{KPI}/machine-status/current", f"{KPI}/work-order-status/current")
KPI_PATHS = ANALYTICS + CURRENT
SITES = {"sites": [{"id": "S1", "name": "Berlin", "timezone": "Europe/Berlin"},
                   {"id": "S2", "name": "Chicago", "timezone": "America/Chicago"}],
         "machines": [{"id": "M1", "site_id": "S1", "name": "Press 1"}]}
NO_PATH = "no such path; the API is described at /docs"
BAD_BATCH = ("{n} of {m} {kind} records are invalid; nothing was stored (fix them, or send "
             "?partial=true to store the valid ones)")


@dataclass
class Case:
    """One request and the error it must get: the status, the exact message (or a regex when
    it starts with ``^``), and the expected ``errors`` items (each a dict whose ``reason`` may
    be a regex)."""

    name: str
    method: str
    path: str
    status: int
    error: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    json: Any = None
    content: bytes | None = None


def _query(name: str, path: str, params: dict[str, Any], fld: str, reason: str) -> Case:
    return Case(name, "GET", path, 422, f"invalid request: check {fld}",
                [{"in": "query", "field": fld, "reason": reason}],
                params={"site_id": "S1", **params})


def _cases() -> list[Case]:
    cases = [
        Case("unknown path", "GET", "/nope", 404, NO_PATH),
        Case("unknown API path", "GET", "/api/kpi/oee", 404, NO_PATH),
        Case("unknown nested path", "POST", "/api/ingest/sites/extra", 404, NO_PATH, json=[]),
    ]
    for path in KPI_PATHS:
        cases += [
            Case(f"unknown site {path}", "GET", path, 404,
                 "unknown site 'NOPE'; known sites: S1, S2", params={"site_id": "NOPE"}),
            Case(f"site required {path}", "GET", path, 422,
                 "site_id is required: this organization has 2 sites (S1, S2)"),
            Case(f"no sites yet {path}", "GET", path, 422,
                 "site_id is required: this organization has no sites yet",
                 headers={"X-Organization": "empty-org"}),
            Case(f"site of another org {path}", "GET", path, 404,
                 "unknown site 'S1'; ingest sites first", params={"site_id": "S1"},
                 headers={"X-Organization": "empty-org"}),
            _query(f"as_of without offset {path}", path, {"as_of": "2025-10-14T12:00:00"},
                   "as_of", r"as_of needs a UTC offset, e\.g\. 2025-10-14T12:00:00\+02:00"),
            _query(f"malformed as_of {path}", path, {"as_of": "noon"}, "as_of",
                   r"valid datetime"),
            _query(f"unknown parameter {path}", path, {"sitee": "S1"}, "sitee",
                   r"^Extra inputs are not permitted$"),
            _query(f"bad format {path}", path, {"format": "xlsx"}, "format",
                   r"'json' or 'csv'"),
            _query(f"bad refresh {path}", path, {"refresh": "perhaps"}, "refresh",
                   r"valid boolean"),
            Case(f"bad organization {path}", "GET", path, 422,
                 "X-Organization 'no spaces!' is not a valid organization id (letters, "
                 "digits, '_', '.', '-'; at most 64)", headers={"X-Organization": "no spaces!"}),
        ]
    for path in ANALYTICS:
        cases += [
            _query(f"time_period {path}", path, {"time_period": "forever"}, "time_period",
                   r"^Input should be 'today', 'yesterday', .* or 'custom'$"),
            _query(f"comparison_type {path}", path,
                   {"enable_comparison": "true", "comparison_type": "last_decade"},
                   "comparison_type", r"^Input should be 'previous_period', .*'previous_year'$"),
            _query(f"enable_comparison {path}", path, {"enable_comparison": "maybe"},
                   "enable_comparison", r"valid boolean"),
            _query(f"page=0 {path}", path, {"page": 0}, "page",
                   r"^Input should be greater than or equal to 1$"),
            _query(f"page=x {path}", path, {"page": "x"}, "page", r"valid integer"),
            _query(f"per_page=0 {path}", path, {"per_page": 0}, "per_page",
                   r"^Input should be greater than or equal to 1$"),
            _query(f"per_page=5000 {path}", path, {"per_page": 5000}, "per_page",
                   r"^Input should be less than or equal to 1000$"),
            _query(f"malformed date_from {path}", path,
                   {"time_period": "custom", "date_from": "2025-02-30", "date_to": "2025-03-01"},
                   "date_from", r"valid date"),
            _query(f"date_to with a time {path}", path,
                   {"time_period": "custom", "date_from": "2025-10-01",
                    "date_to": "2025-10-02T10:00:00"}, "date_to", r"zero time"),
            Case(f"custom without dates {path}", "GET", path, 422,
                 "period 'custom' needs date_from and date_to (inclusive dates)",
                 params={"site_id": "S1", "time_period": "custom"}),
            Case(f"custom without date_to {path}", "GET", path, 422,
                 "period 'custom' needs date_to (inclusive dates)",
                 params={"site_id": "S1", "time_period": "custom", "date_from": "2025-10-01"}),
            Case(f"date_from after date_to {path}", "GET", path, 422,
                 "date_from (2025-10-10) is after date_to (2025-10-01); swap them or fix one "
                 "of them", params={"site_id": "S1", "time_period": "custom",
                                    "date_from": "2025-10-10", "date_to": "2025-10-01"}),
            Case(f"dates without custom {path}", "GET", path, 422,
                 "date_from and date_to are only allowed with period 'custom', not "
                 "'last_7_days'; drop them or set period to 'custom'",
                 params={"site_id": "S1", "time_period": "last_7_days",
                         "date_from": "2025-10-01"}),
            Case(f"page past the end {path}", "GET", path, 422,
                 "page 2 does not exist; this table has 1 page(s) of 10",
                 params={"site_id": "S1", "time_period": "last_7_days", "page": 2,
                         "as_of": "2025-10-15T12:00:00Z"}),
        ]
    cases.append(_query("utilization table", ANALYTICS[1], {"table": "hourly"}, "table",
                        r"'daily_breakdown', 'machine_daily' or 'machines'"))

    ingest = "/api/ingest"
    cases += [
        Case("ingest validation", "POST", f"{ingest}/machines", 422,
             BAD_BATCH.format(n=2, m=3, kind="machines"),
             [{"index": 1, "field": "site_id", "reason": r"^unknown site 'S404'$"},
              {"index": 2, "field": "nmae", "reason": r"^unknown field; check its spelling"}],
             json=[{"id": "M2", "site_id": "S1", "name": "ok"},
                   {"id": "M3", "site_id": "S404", "name": "x"},
                   {"id": "M4", "site_id": "S1", "name": "x", "nmae": "typo"}]),
        Case("ingest validation, CSV", "POST", f"{ingest}/sites", 422,
             BAD_BATCH.format(n=1, m=2, kind="sites"),
             [{"index": 1, "field": "timezone", "reason": r"unknown time zone 'Mars/Base'"}],
             content=b"id,name,timezone\nS3,Pune,Asia/Kolkata\nS4,Mars,Mars/Base\n",
             headers={"Content-Type": "text/csv"}),
        Case("ingest partial, nothing valid", "POST", f"{ingest}/sites", 422,
             "none of the 1 sites records is valid; nothing was stored",
             [{"index": 0, "field": "timezone", "reason": r"unknown time zone 'Bad/Zone'"}],
             params={"partial": "true"}, json=[{"id": "S9", "name": "x", "timezone": "Bad/Zone"}]),
        Case("unknown kind", "POST", f"{ingest}/widgets", 422,
             f"unknown record kind 'widgets'; known kinds: {', '.join(kind_names())}", json=[]),
        Case("unsupported content type", "POST", f"{ingest}/sites", 422,
             "unsupported Content-Type 'text/plain'; send application/json, "
             "application/x-ndjson or text/csv",
             content=b"S1", headers={"Content-Type": "text/plain"}),
        Case("malformed JSON", "POST", f"{ingest}/sites", 422,
             "malformed JSON at line 1, column 3: Expecting property name enclosed in double "
             "quotes", content=b"[{", headers={"Content-Type": "application/json"}),
        Case("malformed NDJSON", "POST", f"{ingest}/sites", 422,
             r"^malformed NDJSON on line 2: ",
             content=b'{"id": "S1", "name": "a", "timezone": "UTC"}\n{"id":\n',
             headers={"Content-Type": "application/x-ndjson"}),
        Case("malformed CSV", "POST", f"{ingest}/sites", 422,
             "CSV line 3 has more cells than the header has columns",
             content=b"id,name,timezone\nS3,a,UTC\nS4,b,UTC,extra\n",
             headers={"Content-Type": "text/csv"}),
        Case("JSON scalar", "POST", f"{ingest}/sites", 422,
             'a JSON payload must be an object, an array of objects or {"records": [...]}',
             json="sites"),
        Case("JSON items not objects", "POST", f"{ingest}/sites", 422,
             "every record must be a JSON object",
             [{"index": 1, "field": None, "reason": "^not a JSON object$"}],
             json=[{"id": "S3", "name": "a", "timezone": "UTC"}, 5]),
        Case("body not UTF-8", "POST", f"{ingest}/sites", 422,
             "the request body is not UTF-8 text", content=b'[{"name": "\xff"}]',
             headers={"Content-Type": "application/json"}),
        Case("bad partial", "POST", f"{ingest}/sites", 422, "invalid request: check partial",
             [{"in": "query", "field": "partial", "reason": "valid boolean"}],
             params={"partial": "sometimes"}, json=[]),
        Case("bad format override", "POST", f"{ingest}/sites", 422,
             "invalid request: check format",
             [{"in": "query", "field": "format", "reason": "'json', 'ndjson' or 'csv'"}],
             params={"format": "xml"}, json=[]),
        Case("bad organization on ingest", "POST", f"{ingest}/sites", 422,
             "X-Organization 'a/b' is not a valid organization id (letters, digits, '_', '.', "
             "'-'; at most 64)", json=[], headers={"X-Organization": "a/b"}),
        Case("organization too long", "GET", "/api/sites", 422,
             f"X-Organization {'x' * 65!r} is not a valid organization id (letters, digits, "
             "'_', '.', '-'; at most 64)", headers={"X-Organization": "x" * 65}),
        Case("organization starting with a dot", "GET", "/api/sites", 422,
             "X-Organization '.hidden' is not a valid organization id (letters, digits, '_', "
             "'.', '-'; at most 64)", headers={"X-Organization": ".hidden"}),
        Case("DELETE sites", "DELETE", "/api/sites", 405, "Method Not Allowed"),
        Case("GET an ingest kind", "GET", f"{ingest}/sites", 405, "Method Not Allowed"),
        Case("PUT an ingest kind", "PUT", f"{ingest}/sites", 405, "Method Not Allowed", json=[]),
        Case("POST health", "POST", "/api/health", 405, "Method Not Allowed"),
        Case("POST a KPI", "POST", ANALYTICS[0], 405, "Method Not Allowed"),
    ]
    return cases


def check_error(response: httpx.Response, status: int, error: str,
                errors: list[dict[str, Any]] | None = None) -> list[str]:
    """What is wrong with ``response`` as the one error body of ``status``; [] when right.

    ``error`` is the exact message, or a regular expression when it starts with ``^``; in
    ``errors`` items, ``reason`` is a regular expression and every other key exact."""
    problems = []
    if response.status_code != status:
        problems.append(f"status {response.status_code}, expected {status}")
    if not response.headers.get("content-type", "").startswith("application/json"):
        return [*problems, f"content-type {response.headers.get('content-type')}"]
    body = response.json()
    if not isinstance(body, dict) or set(body) != {"ok", "status", "error", "errors"}:
        return [*problems, f"body {body!r} is not the one error body"]
    if body["ok"] is not False or body["status"] != response.status_code:
        problems.append(f"ok/status {body['ok']!r}/{body['status']!r}")
    if not (re.search(error, body["error"]) if error.startswith("^") else body["error"] == error):
        problems.append(f"error {body['error']!r}, expected {error!r}")
    expected = errors or []
    if len(body["errors"]) != len(expected):
        return [*problems, f"errors {body['errors']!r}, expected {len(expected)} item(s)"]
    # compared in record order; the order itself is checked in tests/ingest/test_service.py
    got_items = sorted(body["errors"], key=lambda e: (e.get("index") or 0, e.get("field") or ""))
    for got, want in zip(got_items, expected, strict=True):
        same = set(got) == set(want) and all(
            re.search(want[k], got[k]) if k == "reason" else got[k] == want[k] for k in want)
        if not same:
            problems.append(f"errors item {got!r} does not match {want!r}")
    return problems


@pytest.fixture
def sites_client(client: TestClient) -> TestClient:
    load(client, SITES)
    return client


def test_every_error_path_answers_with_the_one_error_body(sites_client: TestClient):
    wrong = []
    for case in _cases():
        response = sites_client.request(
            case.method, case.path, params=case.params, headers=case.headers, json=case.json,
            content=case.content,
        )
        problems = check_error(response, case.status, case.error, case.errors)
        if response.status_code >= 500:
            problems.append("a 5xx for a client error")
        if problems:
            wrong.append(f"{case.name}: {'; '.join(problems)}")
    assert wrong == []


def test_failed_ingests_stored_nothing(sites_client: TestClient):
    for case in _cases():
        if case.path.startswith("/api/ingest"):
            sites_client.request(case.method, case.path, params=case.params,
                                 headers=case.headers, json=case.json, content=case.content)
    listed = sites_client.get("/api/sites").json()["sites"]
    assert [s["id"] for s in listed] == ["S1", "S2"]
    assert [m["id"] for m in listed[0]["machines"]] == ["M1"]


def test_405_names_the_allowed_methods(sites_client: TestClient):
    response = sites_client.delete("/api/sites")
    assert check_error(response, 405, "Method Not Allowed") == []
    assert response.headers["allow"] == "GET"


def test_the_error_hierarchy_maps_to_status_codes(make_client: ClientFactory):
    """Each OpslensError subclass carries its status; anything else is a 500 with the same
    body and no detail leaked."""
    client = make_client()
    raised: dict[str, Exception] = {
        "invalid": InvalidInput("fix this", [{"index": 0, "field": "f", "reason": "r"}]),
        "missing": NotFound("no such thing"),
        "conflict": Conflict("the store was busy with a conflicting write; retry"),
        "unavailable": StoreUnavailable("cannot open the store"),
        "root": OpslensError("generic failure"),
        "bug": RuntimeError("secret internals"),
    }

    def raiser(exc: Exception):
        def boom() -> None:
            raise exc
        return boom

    for name, exc in raised.items():
        client.app.add_api_route(f"/api/test-raise/{name}", raiser(exc))

    expected = {"invalid": (422, "fix this", [{"index": 0, "field": "f", "reason": "r"}]),
                "missing": (404, "no such thing", []),
                "conflict": (409, "the store was busy with a conflicting write; retry", []),
                "unavailable": (503, "cannot open the store", []),
                "root": (500, "generic failure", []),
                "bug": (500, "internal error; the server log has the details", [])}
    for name, (status, message, errors) in expected.items():
        response = client.get(f"/api/test-raise/{name}")
        assert response.status_code == status, name
        assert response.json() == {"ok": False, "status": status, "error": message,
                                   "errors": errors}, name
    assert "secret" not in client.get("/api/test-raise/bug").text


OUT_OF_RANGE = [
    Case("as_of at the end of time", "GET", ANALYTICS[0], 422, "",
         params={"site_id": "S1", "as_of": "9999-12-31T23:59:59+00:00"}),
    Case("as_of at the start of time", "GET", ANALYTICS[1], 422, "",
         params={"site_id": "S1", "as_of": "0001-01-01T00:00:00+00:00"}),
    Case("custom period in year 1", "GET", ANALYTICS[0], 422, "",
         params={"site_id": "S1", "time_period": "custom", "date_from": "0001-01-01",
                 "date_to": "0001-01-02"}),
    Case("custom period in year 9999", "GET", ANALYTICS[1], 422, "",
         params={"site_id": "S1", "time_period": "custom", "date_from": "9999-12-30",
                 "date_to": "9999-12-31"}),
    Case("dashboard as_of past year 9999 in UTC", "GET", CURRENT[0], 422, "",
         params={"site_id": "S1", "as_of": "9999-12-31T23:59:59-12:00"}),
    Case("naive start in year 1 at a Berlin site", "POST", "/api/ingest/work_orders", 422, "",
         json=[{"id": "W1", "site_id": "S1", "machine_id": "M1", "status": "Start",
                "start_time": "0001-01-01T00:00:00"}]),
    Case("start past year 9999 in UTC", "POST", "/api/ingest/work_orders", 422, "",
         json=[{"id": "W1", "site_id": "S1", "machine_id": "M1", "status": "Start",
                "start_time": "9999-12-31T23:00:00-05:00"}]),
]


def test_dates_at_the_edge_of_the_calendar_are_a_4xx_not_a_5xx(sites_client: TestClient):
    """DESIGN.md §10: impossible values are rejected with the field and reason, never a 500
    (here: instants whose local or UTC date falls outside years 1-9999)."""
    wrong = []
    for case in OUT_OF_RANGE:
        response = sites_client.request(case.method, case.path, params=case.params,
                                        json=case.json)
        if response.status_code != 422:
            wrong.append(f"{case.name}: {response.status_code} {response.text}")
    assert wrong == []
