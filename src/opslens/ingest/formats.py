"""JSON arrays, NDJSON and CSV into lists of plain dicts (same field names in every format)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from opslens.errors import InvalidInput

Format = Literal["json", "ndjson", "csv"]
FORMATS: tuple[Format, ...] = ("json", "ndjson", "csv")

_SUFFIXES: dict[str, Format] = {
    ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv",
}
_MEDIA_TYPES: dict[str, Format] = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "text/csv": "csv",
}


def format_of_path(path: Path) -> Format:
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise InvalidInput(
            f"cannot tell the format of {path.name!r} from its suffix; use .json, .ndjson, "
            ".jsonl or .csv, or pass --format"
        ) from None


def format_of_media_type(content_type: str | None) -> Format:
    media = (content_type or "application/json").split(";")[0].strip().lower()
    try:
        return _MEDIA_TYPES[media]
    except KeyError:
        raise InvalidInput(
            f"unsupported Content-Type {media!r}; send application/json, "
            "application/x-ndjson or text/csv"
        ) from None


def parse(data: bytes | str, fmt: Format) -> list[dict[str, Any]]:
    """Parse a whole payload. A JSON document may be one object, an array of objects, or
    ``{"records": [...]}``."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    if fmt == "json":
        return _parse_json(text)
    return list(iter_lines(io.StringIO(text), fmt))


def _parse_json(text: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if isinstance(document, dict) and isinstance(document.get("records"), list):
        document = document["records"]
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise InvalidInput("a JSON payload must be an object, an array of objects or "
                           '{"records": [...]}')
    bad = [i for i, item in enumerate(document) if not isinstance(item, dict)]
    if bad:
        raise InvalidInput(
            "every record must be a JSON object",
            [{"index": i, "field": None, "reason": "not a JSON object"} for i in bad[:100]],
        )
    return document


def iter_lines(stream: io.TextIOBase, fmt: Format) -> Iterator[dict[str, Any]]:
    """Stream NDJSON or CSV records one at a time (for files larger than memory)."""
    if fmt == "ndjson":
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"malformed NDJSON on line {number}: {exc.msg}") from None
            if not isinstance(item, dict):
                raise InvalidInput(f"NDJSON line {number} is not a JSON object")
            yield item
    elif fmt == "csv":
        reader = csv.DictReader(stream)
        if reader.fieldnames is None:
            return
        for row in reader:
            if None in row:
                raise InvalidInput(
                    f"CSV line {reader.line_num} has more cells than the header has columns"
                )
            # An empty cell is a missing value, as it would be in JSON.
            yield {key: (value if value != "" else None) for key, value in row.items()}
    else:
        raise InvalidInput(f"{fmt} cannot be streamed line by line")


def iter_file(path: Path, fmt: Format | None = None) -> Iterator[dict[str, Any]]:
    fmt = fmt or format_of_path(path)
    if fmt == "json":
        yield from _parse_json(path.read_text(encoding="utf-8-sig"))
        return
    with path.open(encoding="utf-8-sig", newline="") as stream:
        yield from iter_lines(stream, fmt)
