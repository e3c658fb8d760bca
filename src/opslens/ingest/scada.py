"""SCADA events (the event JSON of seed 002's SCADA producer) into canonical events.

One message::

    {"eventType": "MV_AlarmLossOfVoltage", "substationId": "SS-12", "feederId": "F-12-03",
     "mainStationId": "MS-1", "alarmType": "voltage", "timestamp": "2025-06-01T10:15:00Z",
     "voltage": 0.0, "severity": "critical", "reason": "feeder breaker tripped",
     "coordinates": {"lat": 48.02, "lng": 7.84}}

bare or wrapped as ``{"event": {…}}`` (the wrapper's other keys are kept in
``detail.envelope``); a body holds one message, a JSON array of them, or NDJSON.

Mapping:

- ``kind`` from :data:`EVENT_TYPES`: loss of voltage, trips and opens are ``breaker_open``;
  voltage restored and closes ``breaker_close``; the listed alarms ``alarm``. Names match
  ignoring letter case and ``_``/``-``/spaces; any other name is refused (a misspelt trip
  read as a mere alarm would hide an outage).
- ``device_id`` is the most specific id given: ``breakerId``, else ``feederId``, else
  ``substationId``; correlation maps a feeder to its head breaker. One of them is required.
- ``id`` is ``scada:`` + the message's own ``id``/``eventId`` when it has one, else
  ``scada:`` + a hash of (event type, breaker, feeder, substation, UTC timestamp), so a
  re-sent message is a duplicate.
- ``detail`` keeps every other field of the message (event type in the spelling above).
"""

from __future__ import annotations

from typing import Any

from opslens.ingest.oms_messages import (
    Event,
    Problems,
    canonical_event,
    digest,
    event_id,
    id_time,
    json_type,
    parse_json_messages,
    vocabulary_key,
)

SOURCE = "scada"

#: Every SCADA event type accepted, in its canonical spelling, and the event kind it maps to.
EVENT_TYPES: dict[str, str] = {
    # the feeder or bay lost voltage, or its breaker opened on protection or by command
    "MV_AlarmLossOfVoltage": "breaker_open",
    "MV_AlarmBreakerTrip": "breaker_open",
    "MV_AlarmBreakerOpen": "breaker_open",
    "LossOfVoltage": "breaker_open",
    "BreakerTrip": "breaker_open",
    "BreakerOpen": "breaker_open",
    "BreakerOpened": "breaker_open",
    "FeederTrip": "breaker_open",
    "ProtectionTrip": "breaker_open",
    "RecloserLockout": "breaker_open",  # reclosing failed: the recloser stays open
    # voltage is back, or the breaker closed again
    "MV_AlarmVoltageRestored": "breaker_close",
    "MV_AlarmBreakerClose": "breaker_close",
    "VoltageRestored": "breaker_close",
    "BreakerClose": "breaker_close",
    "BreakerClosed": "breaker_close",
    "FeederRestored": "breaker_close",
    # conditions worth showing an operator that do not by themselves interrupt supply
    "MV_AlarmOverCurrent": "alarm",
    "MV_AlarmEarthFault": "alarm",
    "MV_AlarmUnderVoltage": "alarm",
    "MV_AlarmOverVoltage": "alarm",
    "MV_AlarmOverload": "alarm",
    "MV_AlarmHighTemperature": "alarm",
    "MV_AlarmCommunicationLoss": "alarm",
    "MV_AlarmRecloserOperation": "alarm",  # a successful reclose: a momentary interruption
    "Alarm": "alarm",
}
_BY_KEY = {vocabulary_key(name): name for name in EVENT_TYPES}
_DEVICE_FIELDS = ("breakerId", "feederId", "substationId")
_MAPPED = frozenset({"id", "eventId", "timestamp", "coordinates", "location", "latitude",
                     "longitude"})


def parse(body: bytes, content_type: str | None = None) -> list[Event]:
    """The canonical events of a SCADA body, in message order (a repeated message once).

    Raises InvalidInput listing every problem of every message; nothing is returned unless
    all messages are valid.
    """
    return parse_json_messages(body, content_type, SOURCE, _event)


def event_type(name: str) -> str | None:
    """The canonical spelling of a SCADA event type, or None when it is not known.

    >>> event_type("mv_alarm_loss_of_voltage"), event_type("BREAKER-TRIP"), event_type("x")
    ('MV_AlarmLossOfVoltage', 'BreakerTrip', None)
    """
    return _BY_KEY.get(vocabulary_key(name))


def _event(message: Any, index: int, problems: Problems) -> Event | None:
    if not isinstance(message, dict):
        problems.add(index, None, f"a SCADA message must be a JSON object, got "
                                  f"{json_type(message)}")
        return None
    envelope = None
    fields = problems.at(index)
    if "eventType" not in message and "event" in message:
        inner = message["event"]
        if not isinstance(inner, dict):
            fields.bad("event", f"must be a SCADA event object, got {json_type(inner)}")
            return None
        envelope = {k: v for k, v in message.items() if k != "event"} or None
        message = inner
        fields = problems.at(index, "event.")
    before = problems.count

    name = None
    raw_type = message.get("eventType")
    if raw_type is None:
        fields.bad("eventType", "is required: one of " + ", ".join(EVENT_TYPES))
    elif not isinstance(raw_type, str):
        fields.bad("eventType", f"must be text, got {json_type(raw_type)}")
    else:
        name = event_type(raw_type)
        if name is None:
            fields.bad("eventType", f"unknown SCADA event type {raw_type[:64]!r}; known "
                                    f"types: {', '.join(EVENT_TYPES)}")
    occurred = fields.timestamp(message.get("timestamp"), "timestamp")
    before_ids = problems.count
    ids = {key: fields.identifier(message.get(key), key)
           for key in (*_DEVICE_FIELDS, "mainStationId")}
    device = next((ids[key] for key in _DEVICE_FIELDS if ids[key] is not None), None)
    if device is None and problems.count == before_ids:  # absent or empty, not malformed
        fields.bad("feederId", "give feederId or substationId (or breakerId): the device "
                               "the event is about")
    own_key = "id" if message.get("id") is not None else "eventId"
    own_id = fields.identifier(message.get(own_key), own_key)
    for key in ("alarmType", "reason"):
        fields.text(message.get(key), key)
    severity = message.get("severity")
    if severity is not None and (isinstance(severity, bool)
                                 or not isinstance(severity, str | int)):
        fields.bad("severity", f"must be text or an integer, got {json_type(severity)}")
    fields.number(message.get("voltage"), "voltage")
    latitude, longitude = fields.position(message)
    if problems.count > before or name is None or occurred is None or device is None:
        return None

    if own_id is not None:
        identity = event_id(SOURCE, own_id)
    else:
        identity = f"{SOURCE}:" + digest(name, *(ids[key] for key in _DEVICE_FIELDS),
                                         id_time(occurred))
    detail = {key: value for key, value in message.items() if key not in _MAPPED}
    detail.update({key: value for key, value in ids.items() if value is not None})
    detail["eventType"] = name
    if envelope:
        detail["envelope"] = envelope
    return canonical_event(id=identity, source=SOURCE, kind=EVENT_TYPES[name],
                           occurred_at=occurred, device_id=device, latitude=latitude,
                           longitude=longitude, detail=detail)
