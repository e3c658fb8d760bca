"""Kaifa head-end meter events (IEC 61968-9 ``EndDeviceEvents`` in SOAP) into canonical events.

A head-end publishes a ``CreatedEndDeviceEvents`` message (IEC 61968-100 message envelope)
in a SOAP 1.1 or 1.2 envelope::

    <soap:Envelope><soap:Body>
      <CreatedEndDeviceEvents>
        <Header><Verb>created</Verb><Noun>EndDeviceEvents</Noun>
                <Timestamp>…</Timestamp><Source>KAIFA-HES</Source><MessageID>…</MessageID>
        </Header>
        <Payload><EndDeviceEvents>
          <EndDeviceEvent>
            <mRID>…</mRID><createdDateTime>2025-06-01T10:15:02Z</createdDateTime>
            <Assets><mRID>KFM-000731</mRID></Assets>
            <EndDeviceEventType ref="3.26.0.85"/>
          </EndDeviceEvent> …
    </EndDeviceEvents></Payload></CreatedEndDeviceEvents></soap:Body></soap:Envelope>

Elements are matched by local name whatever their namespace (head-ends differ in the
schema versions they cite); a bare message or a bare ``EndDeviceEvents`` is accepted too.
The XML is read with defusedxml and any DTD is refused, so entity bombs and external
entities are rejected, never expanded (SOAP forbids DTDs anyway).

Each ``EndDeviceEvent`` is one canonical event (source ``ami``): ``device_id`` is the meter
(``Assets/mRID``), ``occurred_at`` its ``createdDateTime``, ``received_at`` the header's
``Timestamp``, and ``id`` is ``kaifa:`` + meter + ``:`` + event type code + ``:`` + UTC
created time, so a re-sent event is a duplicate whatever its message id.

Event type codes (``EndDeviceEventType/@ref``) are IEC 61968-9 codes
``EndDeviceType.EndDeviceDomain.EndDeviceSubdomain.EndDeviceEventOrAction``. Accepted:
device type 3 (ElectricMeter) or 0 (NotApplicable, which some head-ends send for the meter
itself); domain 26 (Power); subdomain 0 (NotApplicable) or 38 (Voltage); and the events
in :data:`POWER_EVENTS`: 85 Failed, 47 LossDetected → ``power_loss``; 216 Restored,
49 Re-established → ``power_restored``; and 185, which the OMS tracker names "power off"
(it is not in the subsets of the standard's event table we could check). The standard has
no code of its own for a last gasp: a meter's last gasp arrives as a power-failure code
(3.26.0.85, 3.26.38.85). Any other code is refused with the code named, because an
unknown code read as an outage would invent one.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as safe_xml

from opslens.ingest.oms_messages import (
    XML_MEDIA_TYPES,
    Event,
    Problems,
    canonical_event,
    check_body,
    check_media_type,
    event_id,
    id_time,
    reject,
    unique,
)

SOURCE = "ami"
ADAPTER = "kaifa"

#: IEC 61968-9 EndDeviceType values accepted as "the meter".
DEVICE_TYPES = {3: "ElectricMeter", 0: "NotApplicable"}
#: (domain, subdomain, event or action) → (event kind, CIM name).
POWER_EVENTS: dict[tuple[int, int, int], tuple[str, str]] = {
    (26, 0, 85): ("power_loss", "Power.NA.Failed"),
    (26, 0, 47): ("power_loss", "Power.NA.LossDetected"),
    (26, 0, 185): ("power_loss", "Power.NA.PowerOff"),
    (26, 38, 85): ("power_loss", "Power.Voltage.Failed"),
    (26, 38, 47): ("power_loss", "Power.Voltage.LossDetected"),
    (26, 0, 216): ("power_restored", "Power.NA.Restored"),
    (26, 0, 49): ("power_restored", "Power.NA.Re-established"),
    (26, 38, 216): ("power_restored", "Power.Voltage.Restored"),
    (26, 38, 49): ("power_restored", "Power.Voltage.Re-established"),
}
ACCEPTED_CODES = tuple(f"{device}.{d}.{s}.{e}" for device in DEVICE_TYPES
                       for d, s, e in POWER_EVENTS)
_CODE = re.compile(r"\d{1,5}(?:\.\d{1,5}){3}")
_OPTIONAL_TEXT = ("reason", "severity", "issuerID", "issuerTrackingID", "userID")


def parse(body: bytes, content_type: str | None = None) -> list[Event]:
    """The canonical events of a Kaifa SOAP body, in document order (a repeated event once).

    Raises InvalidInput listing every problem of every EndDeviceEvent; nothing is returned
    unless all are valid.
    """
    body = check_body(body, ADAPTER)
    check_media_type(content_type, ADAPTER, XML_MEDIA_TYPES, "+xml")
    header, container = _locate(_read_xml(body))
    problems = Problems(ADAPTER)
    received, context = _header(header, problems)
    events = []
    elements = _children(container, "EndDeviceEvent")
    if not elements and len(container):
        problems.add(None, "EndDeviceEvents", "holds no EndDeviceEvent (found "
                     f"<{_local(container[0])}>)")
    for index, element in enumerate(elements):
        event = _event(element, index, problems, received, context)
        if event is not None:
            events.append(event)
    problems.raise_if_any()
    return unique(events)


def event_code(ref: str) -> tuple[str, str, str]:
    """The normalized code, event kind and CIM name of an EndDeviceEventType ref; ValueError
    saying what is accepted when it is not a power-off or power-restore code.

    >>> event_code("3.26.0.85")
    ('3.26.0.85', 'power_loss', 'Power.NA.Failed')
    >>> event_code("03.26.00.216")
    ('3.26.0.216', 'power_restored', 'Power.NA.Restored')
    """
    ref = ref.strip()
    if not _CODE.fullmatch(ref):
        raise ValueError(f"{ref[:64]!r} is not an IEC 61968-9 event type code: four numbers "
                         "type.domain.subdomain.event, e.g. 3.26.0.85")
    device, domain, subdomain, action = (int(part) for part in ref.split("."))
    code = f"{device}.{domain}.{subdomain}.{action}"
    known = POWER_EVENTS.get((domain, subdomain, action))
    if known is None or device not in DEVICE_TYPES:
        raise ValueError(f"event type {code} is not a meter power-off or power-restore code; "
                         f"accepted: {', '.join(ACCEPTED_CODES)}")
    return code, *known


# ---- the XML ---------------------------------------------------------------------------------

def _read_xml(body: bytes) -> Element:
    try:
        return safe_xml.fromstring(body, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise reject(ADAPTER, "body", "the XML declares a DTD (<!DOCTYPE>); SOAP messages "
                                      "may not, and entities are never expanded") from None
    except defusedxml.DefusedXmlException as exc:
        raise reject(ADAPTER, "body", f"the XML uses a forbidden construct "
                                      f"({type(exc).__name__})") from None
    except ParseError as exc:
        raise reject(ADAPTER, "body", f"malformed XML: {exc}") from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding expat cannot read
        raise reject(ADAPTER, "body", f"unreadable XML: {str(exc)[:200]}") from None


def _local(element: Element) -> str:
    tag = element.tag
    return _local_name(tag) if isinstance(tag, str) else ""


@functools.lru_cache(maxsize=512)  # a message repeats a few dozen tags thousands of times
def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child) == name]


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((child for child in element if _local(child) == name), None)


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _attribute(element: Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value.strip() or None
    return None


def _locate(root: Element) -> tuple[Element | None, Element]:
    """The message Header (None when absent) and the EndDeviceEvents element."""
    node = root
    if _local(root) == "Envelope":
        body = _child(root, "Body")
        if body is None:
            raise reject(ADAPTER, "Envelope.Body", "the SOAP envelope has no Body")
        if not len(body):
            raise reject(ADAPTER, "Envelope.Body", "the SOAP Body is empty; expected a "
                                                   "CreatedEndDeviceEvents message")
        node = body[0]
        if _local(node) == "Fault":
            reason = next((_text(e) for e in node.iter()
                           if _local(e) in ("faultstring", "Text") and _text(e)), None)
            raise reject(ADAPTER, "Envelope.Body.Fault", "the message is a SOAP Fault ("
                         f"{(reason or 'no reason given')[:200]}), not events")
    if _local(node) == "EndDeviceEvents":
        return None, node
    if _child(node, "Payload") is None and len(node) == 1:
        node = node[0]  # an operation element wrapping the message, e.g. <EventMessage>
    payload = _child(node, "Payload")
    if payload is None:
        raise reject(ADAPTER, "Payload", f"<{_local(node)}> has no Payload; send a "
                     "CreatedEndDeviceEvents message with Header and Payload/EndDeviceEvents")
    if _child(payload, "Compressed") is not None:
        raise reject(ADAPTER, "Payload.Compressed", "compressed payloads are not accepted; "
                                                    "send EndDeviceEvents uncompressed")
    container = _child(payload, "EndDeviceEvents")
    if container is None:
        raise reject(ADAPTER, "Payload.EndDeviceEvents", "the Payload holds no "
                                                         "EndDeviceEvents")
    return _child(node, "Header"), container


def _header(header: Element | None,
            problems: Problems) -> tuple[datetime | None, dict[str, str]]:
    """The header's Timestamp (as received_at) and what detail keeps of it."""
    if header is None:
        return None, {}
    fields = problems.at(None, "Header.")
    verb, noun = _text(_child(header, "Verb")), _text(_child(header, "Noun"))
    if verb is None or verb.lower() != "created":
        fields.bad("Verb", "is required: created" if verb is None else
                   f"verb {verb[:32]!r}: only 'created' EndDeviceEvents are ingested")
    if noun is None or noun.lower() != "enddeviceevents":
        fields.bad("Noun", "is required: EndDeviceEvents" if noun is None else
                   f"noun {noun[:32]!r}: this endpoint takes EndDeviceEvents")
    received = fields.timestamp(_text(_child(header, "Timestamp")), "Timestamp",
                                required=False)
    context = {key: value for key, value in (
        ("message_id", _text(_child(header, "MessageID"))),
        ("correlation_id", _text(_child(header, "CorrelationID"))),
        ("head_end", _text(_child(header, "Source")))) if value is not None}
    return received, context


def _event(element: Element, index: int, problems: Problems, received: datetime | None,
           context: dict[str, str]) -> Event | None:
    fields = problems.at(index, f"EndDeviceEvent[{index}].")
    before = problems.count
    kids: dict[str, Element] = {}  # the first child of each name: one pass, not one per field
    for kid in element:
        kids.setdefault(_local(kid), kid)
    created = fields.timestamp(_text(kids.get("createdDateTime")), "createdDateTime")
    type_element = kids.get("EndDeviceEventType")
    ref = None if type_element is None else (_attribute(type_element, "ref")
                                             or _text(type_element))
    typed = None
    if ref is None:
        fields.bad("EndDeviceEventType.ref", "is required: the event type code, e.g. "
                                             '<EndDeviceEventType ref="3.26.0.85"/>')
    else:
        try:
            typed = event_code(ref)
        except ValueError as exc:
            fields.bad("EndDeviceEventType.ref", str(exc))
    meter = fields.identifier(_text(_child(kids.get("Assets"), "mRID")), "Assets.mRID",
                              required=True)
    own = fields.identifier(_text(kids.get("mRID")), "mRID")
    if problems.count > before or created is None or typed is None or meter is None:
        return None
    code, kind, name = typed

    detail: dict[str, object] = {"event_type": code, "event_name": name, **context}
    if own is not None:
        detail["event_mrid"] = own
    for key in _OPTIONAL_TEXT:
        value = _text(kids.get(key))
        if value is not None:
            detail[key] = value
    usage_point = _text(_child(kids.get("UsagePoint"), "mRID"))
    if usage_point is not None:
        detail["usage_point"] = usage_point
    if "EndDeviceEventDetails" in kids:
        pairs = {_text(_child(d, "name")): _text(_child(d, "value"))
                 for d in _children(element, "EndDeviceEventDetails")}
        pairs.pop(None, None)
        if pairs:
            detail["details"] = pairs
    return canonical_event(
        id=event_id(ADAPTER, meter, code, id_time(created)), source=SOURCE, kind=kind,
        occurred_at=created, device_id=meter, received_at=received, detail=detail)

