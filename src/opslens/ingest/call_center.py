"""Call-centre trouble tickets into canonical events.

One message::

    {"ticketId": "T-20250601-0042", "timestamp": "2025-06-01T10:21:00+02:00",
     "customer": {"phone": "+49 761 555 0142", "meterNumber": "M-000731",
                  "address": "Kaiser-Joseph-Str. 12, Freiburg"},
     "notes": "No power in the whole street since 10:10"}

with an optional position (``coordinates{lat, lng}``, ``location{lat, lng}`` or
``latitude``/``longitude``) and an optional ``customer.customerId``; a body holds one
message, a JSON array of them, or NDJSON.

Mapping: every ticket is kind ``ticket`` (a customer reporting no power); ``device_id`` is
the meter number the caller gave (may be absent: a ticket with neither a meter number nor a
position is still valid, though only an operator can place it); ``id`` is ``call:`` + the
ticket id, so a re-sent ticket is a duplicate. ``detail`` keeps the phone, address and notes,
every other field, and ``reports_restoration``: whether the notes say power is back
("restored", "power back", "resolved"), which correlation may use as a restoration hint.
"""

from __future__ import annotations

import re
from typing import Any

from opslens.ingest.oms_messages import (
    Event,
    Fields,
    Problems,
    canonical_event,
    event_id,
    json_type,
    parse_json_messages,
)

SOURCE = "call_center"

_MAPPED = frozenset({"ticketId", "timestamp", "customer", "notes", "coordinates", "location",
                     "latitude", "longitude"})
_CUSTOMER_MAPPED = frozenset({"phone", "meterNumber", "address", "customerId"})
_RESTORED = re.compile(
    r"\b(restored|resolved|back on|power(?: is| has| came| has come)? back)\b", re.IGNORECASE)
# a negation shortly before, in the same clause: "not restored", "still no power back"
_NEGATED = re.compile(r"\b(not|no|never|still|isn'?t|hasn'?t|wasn'?t)\b[^.!?;,]{0,20}$",
                      re.IGNORECASE)


def parse(body: bytes, content_type: str | None = None) -> list[Event]:
    """The canonical events of a call-centre body, in message order (a repeated ticket once).

    Raises InvalidInput listing every problem of every message; nothing is returned unless
    all messages are valid.
    """
    return parse_json_messages(body, content_type, SOURCE, _event)


def reports_restoration(notes: str | None) -> bool:
    """Whether a ticket's notes say power is back, not merely mention restoration.

    >>> reports_restoration("Power back on since 14:10"), reports_restoration("resolved")
    (True, True)
    >>> reports_restoration("power NOT restored yet"), reports_restoration(None)
    (False, False)
    """
    if not notes:
        return False
    for found in _RESTORED.finditer(notes):
        if not _NEGATED.search(notes[max(0, found.start() - 30):found.start()]):
            return True
    return False


def _event(message: Any, index: int, problems: Problems) -> Event | None:
    if not isinstance(message, dict):
        problems.add(index, None, f"a call-centre ticket must be a JSON object, got "
                                  f"{json_type(message)}")
        return None
    fields = problems.at(index)
    before = problems.count
    ticket = fields.identifier(message.get("ticketId"), "ticketId", required=True)
    occurred = fields.timestamp(message.get("timestamp"), "timestamp")
    notes = fields.text(message.get("notes"), "notes")
    latitude, longitude = fields.position(message)
    customer = message.get("customer")
    if customer is not None and not isinstance(customer, dict):
        fields.bad("customer", f"must be an object {{phone, meterNumber, address}}, got "
                               f"{json_type(customer)}")
        customer = None
    caller = _caller(customer or {}, problems.at(index, "customer."))
    if problems.count > before or ticket is None or occurred is None:
        return None

    detail = {key: value for key, value in message.items() if key not in _MAPPED}
    extra = {k: v for k, v in (customer or {}).items() if k not in _CUSTOMER_MAPPED}
    if extra:
        detail["customer"] = extra
    detail.update({key: value for key, value in (("phone", caller["phone"]),
                                                 ("address", caller["address"]),
                                                 ("notes", notes)) if value is not None})
    detail["reports_restoration"] = reports_restoration(notes)
    return canonical_event(
        id=event_id("call", ticket), source=SOURCE, kind="ticket", occurred_at=occurred,
        device_id=caller["meter"], customer_id=caller["customer"], latitude=latitude,
        longitude=longitude, detail=detail)


def _caller(customer: dict[str, Any], fields: Fields) -> dict[str, Any]:
    phone = customer.get("phone")
    if phone is not None and not isinstance(phone, str):
        # a number loses the leading zeros and the "+" of a phone number
        fields.bad("phone", f"must be text (e.g. \"+49 761 555 0142\"), got {json_type(phone)}")
        phone = None
    address = customer.get("address")
    if address is not None and not isinstance(address, str | dict):
        fields.bad("address", f"must be text or an object, got {json_type(address)}")
        address = None
    return {"phone": phone, "address": address,
            "meter": fields.identifier(customer.get("meterNumber"), "meterNumber"),
            "customer": fields.identifier(customer.get("customerId"), "customerId")}
