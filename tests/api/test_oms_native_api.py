"""The four native formats through the API: each example message is accepted and becomes
events, a re-sent message is a duplicate, and a malformed one is answered 422 with its
problems and kept whole in the dead letters (on both stores)."""

from __future__ import annotations

from pathlib import Path

import pytest

MESSAGES = Path(__file__).resolve().parents[1] / "ingest" / "oms_messages"
EXAMPLES = [("scada", "scada_event.json", "application/json"),
            ("scada", "scada_events.ndjson", "application/x-ndjson"),
            ("kaifa", "kaifa_soap11.xml", "text/xml"),
            ("kaifa", "kaifa_soap12.xml", "application/soap+xml"),
            ("onu", "onu_alerts.json", "application/json"),
            ("call-center", "call_center_ticket.json", "application/json")]


@pytest.mark.parametrize(("adapter", "name", "content_type"), EXAMPLES)
def test_each_example_message_becomes_events_once(client, adapter, name, content_type):
    body = (MESSAGES / name).read_bytes()
    first = client.post(f"/api/oms/ingest/{adapter}", content=body,
                        headers={"content-type": content_type})
    assert first.status_code == 200, first.text
    stored = first.json()["stored"]
    assert stored >= 1 and first.json()["adapter"] == adapter
    again = client.post(f"/api/oms/ingest/{adapter}", content=body,
                        headers={"content-type": content_type}).json()
    assert (again["stored"], again["duplicates"]) == (0, stored)


def test_a_malformed_message_is_refused_and_kept(client):
    body = b'{"type": "ONU_LastGaspAlert", "onuId": "ONU-1", "timestamp": "yesterday"}'
    response = client.post("/api/oms/ingest/onu", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    refused = response.json()
    assert refused["ok"] is False and refused["errors"][0]["field"] == "timestamp"
    letters = client.get("/api/oms/dead-letters").json()
    (letter,) = letters["dead_letters"]
    assert letter["id"] == refused["dead_letter_id"] and letter["adapter"] == "onu"
    assert letter["payload"].startswith('{"type": "ONU_LastGaspAlert"')
    assert letter["errors"][0]["field"] == "timestamp"
    assert client.get("/api/oms/dead-letters", params={"adapter": "kaifa"}).json()["total"] == 0
    xml = client.post("/api/oms/ingest/kaifa", content=b"<not-soap>",
                      headers={"content-type": "text/xml"})
    assert xml.status_code == 422 and xml.json()["dead_letter_id"]
    nul = client.post("/api/oms/ingest/onu", content=b'{"onuId": "\x00"',
                      headers={"content-type": "application/json"})
    assert nul.status_code == 422  # a NUL byte is kept (as U+FFFD) even on PostgreSQL
    assert client.get("/api/oms/dead-letters").json()["total"] == 3


def test_an_unknown_adapter_is_a_404_naming_the_known_ones(client):
    response = client.post("/api/oms/ingest/pigeon", content=b"{}")
    assert response.status_code == 404 and "call-center" in response.json()["error"]
