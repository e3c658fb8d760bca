"""What the four native OMS adapters share (DESIGN.md §4 "native source formats").

Each adapter (``scada``, ``kaifa``, ``onu``, ``call_center``) turns one request body into
canonical events. They share: the body size limit, splitting a JSON body into messages
(one object, an array or NDJSON), timestamps that must carry a UTC offset, coordinates,
identifiers, deterministic event ids, and the all-or-nothing list of problems.

A batch is all or nothing: every problem of every message is collected (up to
:data:`MAX_PROBLEMS`) and raised together as one :class:`~opslens.errors.InvalidInput`
whose ``errors`` are ``{"index", "field", "reason"}``: ``index`` is the 0-based position of
the message in the body (None for the body as a whole) and ``field`` the dotted path inside
it (``event.timestamp``, ``EndDeviceEvent[2].createdDateTime``; None for the whole message).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from opslens.domain.periods import EARLIEST, LATEST
from opslens.errors import InvalidInput

MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MB, checked before any parsing
MAX_PROBLEMS = 1000  # problems listed per body; the message gives the full count
MAX_ID_LENGTH = 64  # the grid tables' id columns (store.grid_schema.ID)

SOURCES = ("scada", "ami", "onu", "call_center")
KINDS = ("power_loss", "power_restored", "breaker_open", "breaker_close", "alarm", "ticket")

Event = dict[str, Any]

JSON_MEDIA_TYPES = ("application/json", "text/json", "text/plain")
NDJSON_MEDIA_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl",
                      "application/x-jsonlines")
XML_MEDIA_TYPES = ("text/xml", "application/xml", "application/soap+xml")

_FIRST_INSTANT = datetime.combine(EARLIEST, time(), UTC)
_AFTER_LAST_INSTANT = datetime.combine(LATEST + timedelta(days=1), time(), UTC)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# control characters (Unicode category Cc) and lone surrogates (Cs): PostgreSQL text cannot
# hold NUL, and a lone surrogate cannot be encoded at all
_UNSTORABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


# ---- problems -------------------------------------------------------------------------------

class Problems:
    """Every problem found in one body, raised together by :meth:`raise_if_any`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.count = 0
        self.listed: list[dict[str, Any]] = []

    def add(self, index: int | None, field: str | None, reason: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append({"index": index, "field": field, "reason": reason})

    def at(self, index: int | None, prefix: str = "") -> Fields:
        """A reader for the message at ``index`` whose fields sit under ``prefix``."""
        return Fields(self, index, prefix)

    def error(self) -> InvalidInput | None:
        """The one error for everything found, or None when nothing was."""
        if not self.count:
            return None
        first = self.listed[0]
        index, field = first["index"], first["field"] or ""
        # "[1].eventType"; a path that already holds the index ("EndDeviceEvent[2]…") as is
        where = ".".join(p for p in (
            f"[{index}]" if index is not None and f"[{index}]" not in field else "", field) if p)
        shown = "" if self.count <= MAX_PROBLEMS else f" (the first {MAX_PROBLEMS} listed)"
        return InvalidInput(
            f"{self.count} problem(s) in the {self.source} body{shown}, so nothing was "
            f"ingested; fix them and send the whole body again. First: "
            f"{where + ': ' if where else ''}{first['reason']}",
            self.listed,
        )

    def raise_if_any(self) -> None:
        error = self.error()
        if error is not None:
            raise error


def reject(source: str, field: str | None, reason: str) -> InvalidInput:
    """The error for a problem with the body as a whole (too large, not JSON or XML, wrong
    media type), to raise at once."""
    problems = Problems(source)
    problems.add(None, field, reason)
    error = problems.error()
    assert error is not None
    return error


class Fields:
    """Reads the fields of one message, recording each problem under its dotted path.

    Every reader returns the clean value, or None after recording why it is not usable, so
    one pass over a message finds all its problems.
    """

    def __init__(self, problems: Problems, index: int | None, prefix: str = "") -> None:
        self.problems = problems
        self.index = index
        self.prefix = prefix

    def bad(self, name: str, reason: str) -> None:
        self.problems.add(self.index, self.prefix + name, reason)

    def identifier(self, value: Any, name: str, *, required: bool = False) -> str | None:
        """An id: text (or an integer, read as text), stripped, at most 64 characters."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(name, "is required" if value is None else "is empty")
            return None
        if not isinstance(value, str):
            self.bad(name, f"must be text, got {json_type(value)}")
            return None
        value = value.strip()
        if len(value) > MAX_ID_LENGTH:
            self.bad(name, f"is {len(value)} characters long; ids have at most "
                           f"{MAX_ID_LENGTH}")
            return None
        if _UNSTORABLE.search(value):
            self.bad(name, "contains control characters or unpaired surrogates")
            return None
        return value

    def text(self, value: Any, name: str) -> str | None:
        """Optional free text (notes, reasons); None when absent."""
        if value is None or isinstance(value, str):
            return value
        self.bad(name, f"must be text, got {json_type(value)}")
        return None

    def number(self, value: Any, name: str) -> float | int | None:
        """An optional finite JSON number (booleans are not numbers)."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(name, f"must be a number, got {json_type(value)}")
            return None
        if not math.isfinite(value):
            self.bad(name, "must be a finite number")
            return None
        return value

    def timestamp(self, value: Any, name: str, *, required: bool = True) -> datetime | None:
        """An ISO 8601 instant with a UTC offset, as an aware UTC datetime."""
        if value is None:
            if required:
                self.bad(name, "is required: an ISO 8601 time with an offset, e.g. "
                               "2025-06-01T10:15:00Z")
            return None
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            self.bad(name, str(exc))
            return None

    def position(self, message: Mapping[str, Any],
                 objects: tuple[str, ...] = ("coordinates", "location"),
                 ) -> tuple[float | None, float | None]:
        """Latitude and longitude [degrees, WGS 84] from ``latitude``/``longitude`` or from
        an object ``{lat, lng}`` under one of ``objects``; (None, None) when none is given.

        Inside the object, ``latitude`` and ``lon``/``longitude`` are accepted too.
        """
        forms: list[tuple[str, str, Any, str, Any]] = []
        if message.get("latitude") is not None or message.get("longitude") is not None:
            forms.append(("", "latitude", message.get("latitude"), "longitude",
                          message.get("longitude")))
        for key in objects:
            value = message.get(key)
            if value is None:
                continue
            if not isinstance(value, dict):
                self.bad(key, f"must be an object {{lat, lng}}, got {json_type(value)}")
                continue
            lat_key = next((k for k in ("lat", "latitude") if k in value), "lat")
            lng_key = next((k for k in ("lng", "lon", "longitude") if k in value), "lng")
            forms.append((key + ".", lat_key, value.get(lat_key), lng_key, value.get(lng_key)))
        if not forms:
            return None, None
        if len(forms) > 1:
            names = [f[0].rstrip(".") or "latitude/longitude" for f in forms]
            self.bad(names[1], f"the position is given twice ({' and '.join(names)}); "
                               "send it once")
            return None, None
        base, lat_key, raw_lat, lng_key, raw_lng = forms[0]
        if raw_lat is None or raw_lng is None:
            if raw_lat is None:
                self.bad(base + lat_key, "is required with a longitude")
            if raw_lng is None:
                self.bad(base + lng_key, "is required with a latitude")
            return None, None
        lat = self.number(raw_lat, base + lat_key)
        lng = self.number(raw_lng, base + lng_key)
        if lat is None or lng is None:
            return None, None
        ok = True
        if not -90 <= lat <= 90:
            self.bad(base + lat_key, f"latitude {lat} is outside [-90, 90] degrees")
            ok = False
        if not -180 <= lng <= 180:
            self.bad(base + lng_key, f"longitude {lng} is outside [-180, 180] degrees")
            ok = False
        return (float(lat), float(lng)) if ok else (None, None)


# ---- values ---------------------------------------------------------------------------------

def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages.

    >>> json_type(True), json_type(3), json_type([]), json_type(None)
    ('boolean', 'number', 'array', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "array" if isinstance(value, list) else "object"


def parse_timestamp(value: Any) -> datetime:
    """An ISO 8601 instant with an offset (``Z`` or ``±hh:mm``) as an aware UTC datetime.

    A time without an offset is refused rather than guessed: a source's clock zone is not
    known here, and a wrong guess moves an outage by hours. Raises ValueError saying how to
    write it.

    >>> parse_timestamp("2025-06-01T12:15:00+02:00")
    datetime.datetime(2025, 6, 1, 10, 15, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2025-06-01T10:15:00")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: '2025-06-01T10:15:00' has no UTC offset; the source must send UTC (…Z) or ...
    """
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO 8601 text such as 2025-06-01T10:15:00Z, got "
                         f"{json_type(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"malformed timestamp {value[:64]!r}; use ISO 8601 with an offset, "
                         "e.g. 2025-06-01T10:15:00Z") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{value[:64]!r} has no UTC offset; the source must send UTC (…Z) "
                         "or an offset (…+02:00)")
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not _FIRST_INSTANT <= instant < _AFTER_LAST_INSTANT:
        raise ValueError(f"{value[:64]!r} is out of range: use an instant between "
                         f"{EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return instant


def id_time(instant: datetime) -> str:
    """The compact UTC text of an instant used inside event ids.

    >>> id_time(parse_timestamp("2025-06-01T12:15:00+02:00"))
    '2025-06-01T10:15:00Z'
    """
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def event_id(prefix: str, *parts: str) -> str:
    """``prefix:part:part…``, or ``prefix:#`` + a hash of it when that is over 64 characters
    (the store's id length), so the id is always a function of the source's identity.

    >>> event_id("call", "T-1001")
    'call:T-1001'
    >>> len(event_id("kaifa", "M" * 60, "3.26.0.85", "2025-06-01T10:15:00Z"))
    39
    """
    natural = ":".join((prefix, *parts))
    if len(natural) <= MAX_ID_LENGTH:
        return natural
    return f"{prefix}:#{hashlib.sha256(natural.encode()).hexdigest()[:32]}"


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able parts (for sources that send no id of their own).

    >>> digest("BreakerTrip", "F1", "2025-06-01T10:15:00Z")
    'e4f3711ea095df719d923e94'
    """
    text = json.dumps(parts, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def vocabulary_key(name: str) -> str:
    """How event-type names are matched: letter case and ``_``, ``-``, space ignored.

    >>> vocabulary_key("MV_AlarmLossOfVoltage") == vocabulary_key("mv-alarm loss of voltage")
    True
    """
    return re.sub(r"[\s_\-]+", "", name).casefold()


def canonical_event(*, id: str, source: str, kind: str, occurred_at: datetime,
                    device_id: str | None = None, customer_id: str | None = None,
                    latitude: float | None = None, longitude: float | None = None,
                    received_at: datetime | None = None,
                    detail: dict[str, Any] | None = None) -> Event:
    """One canonical event (DESIGN.md §4 ``events``); times as ISO 8601 UTC text."""
    return {
        "id": id, "source": source, "kind": kind, "device_id": device_id,
        "customer_id": customer_id, "latitude": latitude, "longitude": longitude,
        "occurred_at": occurred_at.isoformat(),
        "received_at": received_at.isoformat() if received_at is not None else None,
        "detail": detail or None,
    }


def unique(events: list[Event]) -> list[Event]:
    """The events with a repeated id dropped (the first kept): a message sent twice in one
    body is one event, as it would be if sent twice in two bodies."""
    kept: dict[str, Event] = {}
    for event in events:
        kept.setdefault(event["id"], event)
    return list(kept.values())


# ---- bodies ---------------------------------------------------------------------------------

def check_body(body: bytes | str, source: str) -> bytes:
    """The body as bytes, refused when empty or over :data:`MAX_BODY_BYTES`."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if len(body) > MAX_BODY_BYTES:
        raise reject(source, "body", f"the body is {len(body):,} bytes; the limit is "
                                     f"{MAX_BODY_BYTES:,} (10 MB): send smaller batches")
    if not body.strip():
        raise reject(source, "body", "the body is empty; send at least one message")
    return bytes(body)


def media_type(content_type: str | None) -> str | None:
    """The bare media type of a Content-Type header, lower case (None when absent)."""
    if content_type is None or not content_type.strip():
        return None
    return content_type.split(";")[0].strip().lower()


def check_media_type(content_type: str | None, source: str, accepted: tuple[str, ...],
                     suffix: str) -> str | None:
    """Refuse a Content-Type that cannot be this adapter's format (``+json``/``+xml``
    structured suffixes are accepted)."""
    media = media_type(content_type)
    if media is None or media in accepted or media.endswith(suffix):
        return media
    raise reject(source, "content_type", f"unsupported Content-Type {media!r}; send "
                                         f"{' or '.join(accepted[:2])}")


def split_json(body: bytes | str, content_type: str | None, source: str) -> list[Any]:
    """The messages of a JSON body: one JSON value, an array of them, or NDJSON (one value
    a line; used when the Content-Type says so or the body holds several values)."""
    body = check_body(body, source)
    media = check_media_type(content_type, source, (*JSON_MEDIA_TYPES, *NDJSON_MEDIA_TYPES),
                             "+json")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise reject(source, "body", f"the body is not UTF-8 text (byte {exc.start})") from None
    if media in NDJSON_MEDIA_TYPES:
        messages = _ndjson(text, source)
    else:
        try:
            document = _loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise reject(source, "body", f"malformed JSON at line {exc.lineno}, column "
                                             f"{exc.colno}: {exc.msg}") from None
            messages = _ndjson(text, source)
        except (ValueError, RecursionError) as exc:
            raise reject(source, "body", f"malformed JSON: {_short(exc)}") from None
        else:
            messages = document if isinstance(document, list) else [document]
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(messages, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise reject(source, "body", "the body holds an unpaired surrogate escape "
                                         "(\\ud800-\\udfff); send valid Unicode") from None
    return messages


def _ndjson(text: str, source: str) -> list[Any]:
    problems = Problems(source)
    messages = []
    # only "\n" ends a line: str.splitlines would also split at U+2028 inside a string
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            messages.append(_loads(line))
        except json.JSONDecodeError as exc:
            problems.add(None, "body", f"malformed NDJSON on line {number}, column "
                                       f"{exc.colno}: {exc.msg}")
        except (ValueError, RecursionError) as exc:
            problems.add(None, "body", f"malformed NDJSON on line {number}: {_short(exc)}")
    problems.raise_if_any()
    return messages


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# NaN and Infinity are not JSON, though Python's parser takes them; one decoder for all
# lines (json.loads with an argument builds a new one per call).
_loads = json.JSONDecoder(parse_constant=_no_constant).decode


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200]


def parse_json_messages(body: bytes | str, content_type: str | None, source: str,
                        event_of: Callable[[Any, int, Problems], Event | None]) -> list[Event]:
    """The canonical events of a JSON body of ``source`` (one message, an array or NDJSON),
    each message read by ``event_of``; every problem of every message raised at once."""
    problems = Problems(source)
    events = []
    for index, message in enumerate(split_json(body, content_type, source)):
        event = event_of(message, index, problems)
        if event is not None:
            events.append(event)
    problems.raise_if_any()
    return unique(events)

