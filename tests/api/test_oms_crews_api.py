"""Crews and assignments through the API: create, move, dispatch (which confirms the
outage), arrive, complete; every bad input named; crew status follows its work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grid.networks import document

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def outage_id(client) -> str:
    assert client.put("/api/oms/network", json=document()).status_code == 200
    client.post("/api/oms/events", json=[{"id": "e1", "source": "ami", "kind": "power_loss",
                                          "device_id": "T1-M0", "occurred_at": at(0)}])
    (outage,) = client.get("/api/oms/outages").json()["outages"]
    assert outage["status"] == "predicted"
    return outage["id"]


def test_a_crew_dispatched_confirms_the_outage_and_follows_its_work(client):
    oid = outage_id(client)
    created = client.post("/api/oms/crews", json={"id": "CREW-A", "name": "Line Crew Alpha",
                                                  "type": "line", "skills": ["MV", "LV"]})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "available"
    assert client.post("/api/oms/crews", json={"id": "CREW-A", "name": "x",
                                               "type": "line"}).status_code == 422
    moved = client.patch("/api/oms/crews/CREW-A", json={"latitude": 48.41, "longitude": 7.81,
                                                        "position_at": at(1)})
    assert moved.status_code == 200 and moved.json()["latitude"] == 48.41
    dispatched = client.post("/api/oms/crews/CREW-A/assignments", json={
        "id": "ASG-1", "outage_id": oid, "assignment_type": "repair",
        "dispatched_at": at(5), "eta": at(35)})
    assert dispatched.status_code == 201, dispatched.text
    assert dispatched.json()["status"] == "dispatched"
    outage = client.get(f"/api/oms/outages/{oid}").json()
    assert outage["status"] == "confirmed"
    assert [a["id"] for a in outage["assignments"]] == ["ASG-1"]
    assert ("confirmed", "crew CREW-A") in [(h["action"], h["actor"]) for h in outage["history"]]
    assert client.get("/api/oms/crews/CREW-A").json()["status"] == "dispatched"
    arrived = client.patch("/api/oms/crews/CREW-A/assignments/ASG-1",
                           json={"arrived_at": at(30), "status": "on_site"})
    assert arrived.status_code == 200 and arrived.json()["status"] == "on_site"
    done = client.patch("/api/oms/crews/CREW-A/assignments/ASG-1",
                        json={"completed_at": at(90), "status": "completed"})
    assert done.json()["completed_at"] is not None
    crews = client.get("/api/oms/crews").json()["crews"]
    assert crews[0]["status"] == "available" and crews[0]["active_assignment"] is None
    csv = client.get("/api/oms/crews/CREW-A/assignments", params={"format": "csv"})
    assert "ASG-1" in csv.text


def test_assignment_errors_are_named(client):
    oid = outage_id(client)
    client.post("/api/oms/crews", json={"id": "C1", "name": "Crew 1", "type": "line"})
    cases = [
        ({"id": "A", "outage_id": "NOPE", "assignment_type": "repair",
          "dispatched_at": at(0)}, "outage_id"),
        ({"id": "A", "outage_id": oid, "assignment_type": "dance",
          "dispatched_at": at(0)}, "assignment_type"),
        ({"id": "A", "outage_id": oid, "assignment_type": "repair",
          "dispatched_at": at(10), "arrived_at": at(5)}, "arrived_at"),
        ({"id": "A", "outage_id": oid, "assignment_type": "repair",
          "dispatched_at": at(10), "status": "completed"}, "completed_at"),
    ]
    for body, field in cases:
        response = client.post("/api/oms/crews/C1/assignments", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()
    assert client.post("/api/oms/crews/NOPE/assignments", json=cases[0][0]).status_code == 404
    assert client.patch("/api/oms/crews/C1/assignments/NOPE", json={}).status_code == 404
    assert client.patch("/api/oms/crews/C1", json={"latitude": 99}).status_code == 422
