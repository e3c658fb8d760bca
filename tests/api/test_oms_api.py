"""The OMS API end to end: network, events (JSON and NDJSON), outages with filters, operator
actions with their audit trail, the server-sent stream, and clear errors for bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from grid.networks import document

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def gasp(point: str, seconds: int, kind: str = "power_loss") -> dict:
    return {"id": f"{kind}-{point}-{seconds}", "source": "ami", "kind": kind,
            "device_id": point, "occurred_at": (T0 + timedelta(seconds=seconds)).isoformat()}


def loaded(client):
    response = client.put("/api/oms/network", json=document())
    assert response.status_code == 200, response.text
    return response.json()


def test_network_put_get_and_errors(client):
    summary = loaded(client)
    assert (summary["version"], summary["customers"], summary["devices"]) == (1, 30, 3)
    body = client.get("/api/oms/network").json()
    assert {e["kind"] for e in body["elements"]} == {"substation", "feeder", "breaker", "fuse",
                                                      "transformer"}
    points = client.get("/api/oms/network", params={"kind": "service_point"}).json()
    assert len(points["elements"]) == 30
    csv = client.get("/api/oms/network", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "FU1" in csv.text
    bad = document()
    bad["transformers"][0]["parent_id"] = "T2"
    response = client.put("/api/oms/network", json=bad)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "T1.parent"


def test_events_become_outages_and_operators_act_on_them(client):
    loaded(client)
    ndjson = "\n".join(json.dumps(gasp(p, i)) for i, p in enumerate(["T1-M0", "T1-M1",
                                                                      "T2-M0"]))
    response = client.post("/api/oms/events", content=ndjson,
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 3
    again = client.post("/api/oms/events", json=[gasp("T1-M0", 0)]).json()
    assert (again["stored"], again["duplicates"]) == (0, 1)
    listing = client.get("/api/oms/outages", params={"status": ["predicted"]}).json()
    (outage,) = listing["outages"]
    assert (outage["device_id"], outage["customers_affected"]) == ("FU1", 20)
    assert client.get("/api/oms/outages", params={"severity": "critical"}).json()["total"] == 0
    oid = outage["id"]
    confirmed = client.patch(f"/api/oms/outages/{oid}", json={"action": "confirm",
                                                              "actor": "op.lee"})
    assert confirmed.status_code == 200 and confirmed.json()["outage"]["status"] == "confirmed"
    restored = client.patch(f"/api/oms/outages/{oid}", json={
        "action": "restore", "at": (T0 + timedelta(hours=2)).isoformat()}).json()["outage"]
    assert restored["status"] == "restored" and len(restored["customers"]) == 20
    assert restored["customer_minutes"] == 20 * 120
    history = [(h["action"], h["actor"]) for h in restored["history"]]
    assert ("confirmed", "op.lee") in history and history[-1][0] == "restored"
    assert [e["id"] for e in restored["events"]][:1] == ["power_loss-T1-M0-0"]
    closed = client.patch(f"/api/oms/outages/{oid}", json={"action": "cancel"})
    assert closed.status_code == 422 and "only an open outage" in closed.json()["error"]
    assert client.patch("/api/oms/outages/NOPE", json={"action": "cancel"}).status_code == 404
    wrong = client.patch(f"/api/oms/outages/{oid}", json={"action": "explode"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"].endswith("action")


def test_bad_events_name_index_and_field(client):
    response = client.post("/api/oms/events", json=[
        gasp("T1-M0", 0), {"id": "e2", "source": "ami", "kind": "power_loss",
                           "occurred_at": "yesterday"}])
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert body["errors"] == [{"index": 1, "field": "occurred_at",
                               "reason": body["errors"][0]["reason"]}]
    assert "ISO 8601" in body["errors"][0]["reason"]
    assert client.post("/api/oms/events", content=b"{not json",
                       headers={"content-type": "application/json"}).status_code == 422


def test_stream_replays_changes_in_order_and_resumes(client):
    loaded(client)
    client.post("/api/oms/events", json=[gasp("T1-M0", 0), gasp("T3-M0", 1)])
    with client.stream("GET", "/api/oms/stream", params={"after": 0, "limit": 3}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    messages = [m for m in text.split("\n\n") if m.startswith("id:")]
    assert len(messages) == 3
    ids = [int(m.split("\n")[0].removeprefix("id: ")) for m in messages]
    assert ids == sorted(ids)
    assert "event: network" in messages[0] and "event: outage" in messages[1]
    data = json.loads(messages[1].split("data: ", 1)[1])
    assert data["action"] == "created" and data["detail"]["outage"]["device_id"] == "T1"
    with client.stream("GET", "/api/oms/stream", params={"idle_s": 0.3},
                       headers={"Last-Event-ID": str(ids[-1])}) as response:
        rest = "".join(response.iter_text())
    assert rest.count("id: ") == 0  # the third change was the last; nothing new came
    assert client.get("/api/oms/stream", headers={"Last-Event-ID": "x"}).status_code == 422


def test_dead_letters_list_is_empty_then_filtered(client):
    body = client.get("/api/oms/dead-letters").json()
    assert body == {"total": 0, "limit": 100, "offset": 0, "dead_letters": []}
