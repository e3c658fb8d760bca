"""What a record kind is, and the registry of kinds that ``/api/ingest/{kind}`` accepts.

Adding a kind is one small module: a pydantic model for one record, and a ``RecordKind``
subclass that checks references against the store and turns models into table rows.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import ConfigDict, TypeAdapter, ValidationError
from sqlalchemy.engine import Connection

from opslens.domain.periods import EARLIEST, LATEST
from opslens.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class RecordError:
    """One bad record: its 0-based position in the batch, the field, and what to fix."""

    index: int
    field: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}


#: How every record kind is validated: unknown fields are errors (they are usually typos),
#: text is stripped, an id sent as a number becomes text. Kinds are TypedDicts with this
#: config: validated records are plain dicts, several times cheaper to make than models.
RECORD_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

Record = dict[str, Any]


@dataclass
class Checked:
    """Rows ready to write, the errors found, and what the write touches downstream."""

    # one per record stored: every column but the organization and updated_at (the service's)
    rows: list[dict[str, Any]] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)  # the batch position of each row
    errors: list[RecordError] = field(default_factory=list)
    work_orders: set[str] = field(default_factory=set)  # timelines to rebuild
    sites: set[str] = field(default_factory=set)  # sites whose every rollup is stale

    def reject(self, index: int, field: str | None, reason: str) -> None:
        self.errors.append(RecordError(index, field, reason))

    def unknown(self, index: int, field: str, noun: str, value: Any) -> None:
        """A reference to something this organization does not have."""
        self.reject(index, field, f"unknown {noun} {value!r}")

    def add(self, index: int, row: dict[str, Any]) -> None:
        self.indexes.append(index)
        self.rows.append(row)

    def drop_duplicates(self, kind: str, table: sa.Table) -> None:
        """Reject a second row with the same key as an earlier one of the batch.

        Compared after conversion to stored form, so "09:00" at a Berlin site and
        "07:00Z" are one instant, as the store would see them.
        """
        columns = [c.name for c in table.primary_key.columns if c.name != "organization_id"]
        key_of = operator.itemgetter(*columns)
        if len(set(map(key_of, self.rows))) == len(self.rows):
            return  # the usual case, found without a Python-level loop
        seen: dict[Any, int] = {}
        rows, indexes = [], []
        for index, row in zip(self.indexes, self.rows, strict=True):
            key = key_of(row)
            if key in seen:
                parts = key if isinstance(key, tuple) else (key,)
                shown = ", ".join(v.isoformat() if hasattr(v, "isoformat") else str(v)
                                  for v in parts)
                self.errors.append(RecordError(index, columns[-1], (
                    f"duplicate of record {seen[key]} (same {kind} key {shown}); send each "
                    "record once per batch")))
                continue
            seen[key] = index
            rows.append(row)
            indexes.append(index)
        self.rows, self.indexes = rows, indexes


@dataclass
class Context:
    """What a kind may use while checking a batch: the transaction, organization, now."""

    conn: Connection
    org: str
    now: datetime


class RecordKind:
    name: ClassVar[str]
    table: ClassVar[sa.Table]
    model: ClassVar[type]  # a TypedDict with RECORD_CONFIG

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        raise NotImplementedError

    def normalize(self, records: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
        """Forgive harmless spelling before validation (default: none)."""
        return records


def validate_models(
    kind: RecordKind, records: Sequence[dict[str, Any]], offset: int = 0
) -> tuple[list[tuple[int, Record]], list[RecordError]]:
    """Validate a batch; collect per-record errors with their field.

    A clean batch is validated in one call into pydantic's core (several times faster than a
    call per record); only a batch with errors is gone through record by record.
    """
    records = kind.normalize(records)
    try:
        models = _list_adapter(kind.model).validate_python(records)
    except ValidationError:
        pass
    else:
        return list(enumerate(models, start=offset)), []
    good: list[tuple[int, Record]] = []
    errors: list[RecordError] = []
    adapter = _adapter(kind.model)
    for index, raw in enumerate(records, start=offset):
        try:
            good.append((index, adapter.validate_python(raw)))
        except ValidationError as exc:
            errors.extend(_pydantic_errors(index, exc))
    return good, errors


@functools.cache
def _list_adapter(model: type) -> TypeAdapter:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


@functools.cache
def _adapter(model: type) -> TypeAdapter:
    return TypeAdapter(model)


def _pydantic_errors(index: int, exc: ValidationError) -> list[RecordError]:
    found = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or None
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "unknown field; check its spelling against the record kind's fields"
        elif error["type"] == "missing":
            reason = "required field is missing"
        found.append(RecordError(index, location, reason))
    return found


_FIRST_INSTANT = datetime.combine(EARLIEST, time(), UTC)
_AFTER_LAST_INSTANT = datetime.combine(LATEST + timedelta(days=1), time(), UTC)


def to_utc(value: str | datetime, tz: ZoneInfo) -> datetime:
    """An ISO 8601 timestamp with an offset is exact; a naive one is read in the site's time
    zone (DESIGN.md §3). Raises ValueError saying how to write it.

    Parsed here rather than by pydantic: the standard library's parser is several times
    faster, and its results convert to UTC cheaply.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"malformed timestamp {value!r}; use ISO 8601, e.g. 2025-10-14T06:00:00+02:00"
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not _FIRST_INSTANT <= instant < _AFTER_LAST_INSTANT:
        raise ValueError(f"timestamp {value.isoformat()} is out of range: use an instant "
                         f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return instant


_REGISTRY: dict[str, Callable[[], RecordKind]] = {}


def register(kind: type[RecordKind]) -> type[RecordKind]:
    _REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str) -> RecordKind:
    from opslens.ingest import crews, oee, oee_logs, plant  # noqa: F401  (register their kinds)

    try:
        return _REGISTRY[name]()
    except KeyError:
        raise NotFound(
            f"unknown record kind {name!r}; known kinds: {', '.join(kind_names())}"
        ) from None


def kind_names() -> list[str]:
    from opslens.ingest import crews, oee, oee_logs, plant  # noqa: F401

    return list(_REGISTRY)


def invalid_batch(kind: str, errors: Sequence[RecordError], received: int) -> InvalidInput:
    rejected = len({e.index for e in errors})
    return InvalidInput(
        f"{rejected} of {received} {kind} records are invalid; nothing was stored "
        "(fix them, or send ?partial=true to store the valid ones)",
        [e.as_dict() for e in errors[:1000]],
    )
