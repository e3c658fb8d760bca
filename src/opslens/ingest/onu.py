"""ONU (fibre optical network unit) alerts into canonical events.

One message::

    {"type": "ONU_LastGaspAlert", "onuId": "ONU-7781", "timestamp": "2025-06-01T10:15:03Z",
     "latitude": 48.0113, "longitude": 7.8421}

with the position optional, given as ``latitude``/``longitude`` or ``location{lat, lng}``;
an optional ``customerId`` becomes ``customer_id``. A body holds one message, a JSON array
of them, or NDJSON.

Mapping: ``ONU_LastGaspAlert`` (the dying gasp an ONU sends as its supply fails) is
``power_loss``, ``ONU_PowerRestored`` is ``power_restored`` (letter case and ``_``/``-``
ignored; any other type is refused); ``device_id`` is the ONU id; ``id`` is
``onu:`` + ONU id + ``:`` + type + ``:`` + UTC timestamp, so a re-sent alert is a duplicate;
``detail`` keeps every other field.
"""

from __future__ import annotations

from typing import Any

from opslens.ingest.oms_messages import (
    Event,
    Problems,
    canonical_event,
    event_id,
    id_time,
    json_type,
    parse_json_messages,
    vocabulary_key,
)

SOURCE = "onu"

#: Every ONU alert type accepted and the event kind it maps to.
ALERT_TYPES: dict[str, str] = {
    "ONU_LastGaspAlert": "power_loss",
    "ONU_PowerRestored": "power_restored",
}
_BY_KEY = {vocabulary_key(name): name for name in ALERT_TYPES}
_MAPPED = frozenset({"type", "onuId", "timestamp", "customerId", "latitude", "longitude",
                     "location", "coordinates"})


def parse(body: bytes, content_type: str | None = None) -> list[Event]:
    """The canonical events of an ONU body, in message order (a repeated alert once).

    Raises InvalidInput listing every problem of every message; nothing is returned unless
    all messages are valid.
    """
    return parse_json_messages(body, content_type, SOURCE, _event)


def _event(message: Any, index: int, problems: Problems) -> Event | None:
    if not isinstance(message, dict):
        problems.add(index, None, f"an ONU message must be a JSON object, got "
                                  f"{json_type(message)}")
        return None
    fields = problems.at(index)
    before = problems.count
    name = None
    raw_type = message.get("type")
    if raw_type is None:
        fields.bad("type", "is required: one of " + ", ".join(ALERT_TYPES))
    elif not isinstance(raw_type, str):
        fields.bad("type", f"must be text, got {json_type(raw_type)}")
    else:
        name = _BY_KEY.get(vocabulary_key(raw_type))
        if name is None:
            fields.bad("type", f"unknown ONU alert type {raw_type[:64]!r}; known types: "
                               + ", ".join(ALERT_TYPES))
    onu = fields.identifier(message.get("onuId"), "onuId", required=True)
    occurred = fields.timestamp(message.get("timestamp"), "timestamp")
    customer = fields.identifier(message.get("customerId"), "customerId")
    # "coordinates" too: the SCADA and call-centre messages use it, and senders copy them
    latitude, longitude = fields.position(message, ("location", "coordinates"))
    if problems.count > before or name is None or onu is None or occurred is None:
        return None
    detail = {key: value for key, value in message.items() if key not in _MAPPED}
    return canonical_event(
        id=event_id(SOURCE, onu, name, id_time(occurred)), source=SOURCE,
        kind=ALERT_TYPES[name], occurred_at=occurred, device_id=onu, customer_id=customer,
        latitude=latitude, longitude=longitude, detail=detail)
