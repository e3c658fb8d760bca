"""The OMS analytics endpoints over HTTP: JSON and CSV, bad parameters named in a 422, an
empty installation answering zeros and nulls, DST days of 23 and 25 hours, tenancy."""

from __future__ import annotations

import csv
import io

import pytest

from grid.outage_rows import at, berlin_week, customer, insert, outage

BASE = "/api/oms/analytics"
AS_OF = "2025-03-31T00:00:00%2B02:00"  # Berlin; the week's numbers: grid.outage_rows
ENDPOINTS = ("outage-trends", "crew-performance", "source-reliability", "geographic-hotspots",
             "customer-impact", "reliability-indices")


@pytest.fixture
def week_client(client):
    insert(client.app.state.store, timezone="Europe/Berlin", customers_served=1000,
           **berlin_week())
    return client


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_outage_trends_json_and_csv(week_client):
    url = f"{BASE}/outage-trends?days=3&as_of={AS_OF}"
    body = week_client.get(url).json()
    assert [(b["bucket"], b["outages"]) for b in body["buckets"]] == [
        ("2025-03-28", 2), ("2025-03-29", 1), ("2025-03-30", 3)]
    assert body["summary"]["median_restoration_minutes"] == 75.0
    table = rows(week_client.get(url + "&format=csv"))
    assert [r["bucket"] for r in table] == ["2025-03-28", "2025-03-29", "2025-03-30"]
    assert (table[0]["severity_critical"], table[0]["customers_affected"]) == ("1", "604")
    assert rows(week_client.get(url, headers={"Accept": "text/csv"})) == table


def test_crew_performance_json_and_csv(week_client):
    url = f"{BASE}/crew-performance?days=3&as_of={AS_OF}&crew_name=Line%20Crew%20Alpha"
    body = week_client.get(url).json()
    assert body["totals"]["assignments"] == 3 and body["totals"]["p90_response_minutes"] == 38.0
    table = rows(week_client.get(url + "&format=csv"))
    assert [(r["assignment_type"], r["assignments"]) for r in table] == [
        ("assessment", "1"), ("repair", "2")]


def test_source_reliability_json_and_csv(week_client):
    url = f"{BASE}/source-reliability?days=3&as_of={AS_OF}"
    ami = week_client.get(url).json()["sources"][1]
    assert (ami["source"], ami["accuracy"], ami["correlation_effectiveness"]) == (
        "ami", 0.75, 0.8)
    table = rows(week_client.get(url + "&format=csv"))
    assert [r["source"] for r in table] == ["scada", "ami", "onu", "call_center"]
    assert table[3]["correlation_effectiveness"] == "0.5"


def test_geographic_hotspots_json_and_csv(week_client):
    url = f"{BASE}/geographic-hotspots?days=3&as_of={AS_OF}&min_outages=2&radius_km=5.0"
    [spot] = week_client.get(url).json()["hotspots"]
    assert (spot["outages"], spot["latitude"]) == (3, 49.003)
    [row] = rows(week_client.get(url + "&format=csv"))
    assert (row["rank"], row["outages"], row["severity_high"]) == ("1", "3", "1")


def test_customer_impact_json_and_csv(week_client):
    url = f"{BASE}/customer-impact?days=3&as_of={AS_OF}&granularity=day&sla_minutes=120"
    body = week_client.get(url).json()
    assert body["summary"]["customer_minutes"] == 111_700.0
    assert body["sla"]["share_within_sla"] == 0.75
    table = rows(week_client.get(url + "&format=csv"))
    assert [r["customer_minutes"] for r in table] == ["108360.0", "100.0", "3240.0"]


def test_reliability_indices_json_and_csv(week_client):
    url = (f"{BASE}/reliability-indices?from=2025-03-28&to=2025-03-30&as_of={AS_OF}"
           "&exclude_major_event_days=true")
    body = week_client.get(url).json()
    assert body["indices"]["saidi"] == pytest.approx(3.24)  # without the MED of the 28th
    assert body["indices_with_major_event_days"]["saidi"] == pytest.approx(111.6)
    assert [d["date"] for d in body["major_event_days"]["days"]] == ["2025-03-28"]
    table = {r["index"]: r for r in rows(week_client.get(url + "&format=csv"))}
    assert list(table) == ["saifi", "saidi", "caidi", "caifi", "ctaidi", "asai", "maifi",
                           "maifi_e", "cemi", "celid_s", "celid_t"]
    assert float(table["saifi"]["with_major_event_days"]) == pytest.approx(0.617)
    assert float(table["saifi"]["value"]) == pytest.approx(0.013)
    assert table["saidi"]["unit"] == "min"


@pytest.mark.parametrize(("path", "query", "field"), [
    ("outage-trends", "days=0", "days"),
    ("outage-trends", "days=3651", "days"),
    ("outage-trends", "granularity=year", "granularity"),
    ("outage-trends", "outage_type=planned", "outage_type"),
    ("outage-trends", "severity=extreme", "severity"),
    ("outage-trends", "as_of=2025-03-31T00:00:00", "as_of"),
    ("outage-trends", "as_of=yesterday", "as_of"),
    ("outage-trends", "days=3650&granularity=hour", "days"),
    ("outage-trends", "format=xml", "format"),
    ("outage-trends", "colour=red", "colour"),
    ("crew-performance", "assignment_type=lunch", "assignment_type"),
    ("geographic-hotspots", "radius_km=0", "radius_km"),
    ("geographic-hotspots", "radius_km=nan", "radius_km"),
    ("geographic-hotspots", "radius_km=1e-320", "radius_km"),
    ("geographic-hotspots", "min_outages=0", "min_outages"),
    ("customer-impact", "major_threshold=0", "major_threshold"),
    ("customer-impact", "sla_minutes=-5", "sla_minutes"),
    ("reliability-indices", "from=2025-02-01&to=2025-01-01", "to"),
    ("reliability-indices", "from=1850-01-01", "from"),
    ("reliability-indices", "from=2000-01-01&to=2025-01-01", "to"),
    ("reliability-indices", "celid_hours=0", "celid_hours"),
    ("reliability-indices", "cemi_n=-1", "cemi_n"),
    ("reliability-indices", "customers_served=0", "customers_served"),
    ("reliability-indices", "days=30", "days"),
])
def test_bad_parameters_are_422_naming_the_parameter(client, path, query, field):
    response = client.get(f"{BASE}/{path}?{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    assert field in {e.get("field") for e in body["errors"]}, body


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_empty_installation_answers_zeros_and_nulls(client, path):
    response = client.get(f"{BASE}/{path}?as_of=2025-03-31T00:00:00Z")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "UTC"
    if path == "outage-trends":
        assert len(body["buckets"]) == 30 and body["summary"]["outages"] == 0
        assert body["summary"]["mean_confidence"] is None
    elif path == "crew-performance":
        assert body["crews"] == [] and body["totals"]["completion_rate"] is None
    elif path == "source-reliability":
        assert [s["correlation_effectiveness"] for s in body["sources"]] == [None] * 4
    elif path == "geographic-hotspots":
        assert body["hotspots"] == [] and body["outages_with_position"] == 0
    elif path == "customer-impact":
        assert body["summary"]["customer_minutes"] == 0.0 and body["sla"][
            "share_within_sla"] is None
    else:
        assert body["indices"]["saidi"] is None and body["customers_served"] == 0
    assert client.get(f"{BASE}/{path}?as_of=2025-03-31T00:00:00Z&format=csv").status_code == 200


def test_berlin_days_of_23_and_25_hours(client):
    spring = at("2025-03-30T12:00:00+02:00")
    autumn = at("2025-10-26T12:00:00+01:00")
    insert(client.app.state.store, timezone="Europe/Berlin", outage_rows=[
        outage("S", spring, customers=[customer("P1", spring)]),
        outage("A", autumn, customers=[customer("P2", autumn)])])
    march = client.get(f"{BASE}/outage-trends?days=2&as_of=2025-03-31T00:00:00%2B02:00").json()
    assert [(b["bucket"], b["hours"], b["outages"]) for b in march["buckets"]] == [
        ("2025-03-29", 24.0, 0), ("2025-03-30", 23.0, 1)]
    october = client.get(f"{BASE}/customer-impact?days=1&as_of=2025-10-27T00:00:00%2B01:00"
                         ).json()
    [day] = october["buckets"]
    # the open outage A: one customer off from 12:00 to midnight = 720 min
    assert (day["bucket"], day["hours"], day["outages"], day["customer_minutes"]) == (
        "2025-10-26", 25.0, 1, 720.0)
    hours = client.get(f"{BASE}/outage-trends?days=1&granularity=hour"
                       "&as_of=2025-10-27T00:00:00%2B01:00").json()["buckets"]
    assert len(hours) == 25 and hours[2]["bucket"] == "2025-10-26T02:00:00+02:00"
    assert hours[3]["bucket"] == "2025-10-26T02:00:00+01:00"


def test_each_organization_sees_its_own_outages(week_client):
    url = f"{BASE}/outage-trends?days=3&as_of={AS_OF}"
    other = week_client.get(url, headers={"X-Organization": "other-utility"}).json()
    assert other["timezone"] == "UTC" and other["summary"]["outages"] == 0
    assert week_client.get(url).json()["summary"]["outages"] == 6
