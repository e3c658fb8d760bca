"""Tables for download as CSV, Excel (XLSX), JSON or Parquet, with one meaning in every format.

``render(rows, fmt)`` takes rows of scalars (the table-like results of the API) and returns the
file's bytes, its media type and its file extension. Columns are ``columns`` when given (keys
outside it are left out), else every key in the order first seen. What each value becomes:

============  ==========================  ========================  =====================
value         CSV and JSON                XLSX                      Parquet
============  ==========================  ========================  =====================
None          empty cell / ``null``       empty cell                null
datetime      ISO 8601 with its offset    UTC, header ``… (UTC)``   ``timestamp[us, UTC]``
date          ``YYYY-MM-DD``              date cell                 ``date32``
NaN, ±inf     empty cell / ``null``       empty cell                null
dict, list    JSON text / nested JSON     JSON text                 JSON text
============  ==========================  ========================  =====================

Excel has no time zones (openpyxl refuses aware datetimes), so a datetime column is written as
UTC wall time and its header says so; a text cell that starts with ``=`` stays text, never a
formula. A naive datetime is refused: its instant is unknown. A Parquet column whose values
have no common type (text and numbers) is written as text; a column with no value at all is
text too, so every reader knows its type.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Literal, get_args

from opslens.errors import InvalidInput
from opslens.export.csv import to_csv

__all__ = ["FORMATS", "MEDIA_TYPES", "TableFormat", "render"]

TableFormat = Literal["csv", "xlsx", "json", "parquet"]
FORMATS: tuple[str, ...] = get_args(TableFormat)
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
UTC_SUFFIX = " (UTC)"
_SHEET_FORBIDDEN = set("[]:*?/\\")


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        found: dict[str, None] = {}
        for row in rows:
            found.update(dict.fromkeys(row))
        names = list(found)
    else:
        names = list(columns)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidInput(f"columns {duplicates} are given more than once; name each once")
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise InvalidInput(f"column names must be text, not {bad[:5]!r}")
    return names


def _plain(value: Any, column: str) -> Any:
    """The value with enums unwrapped, non-finite floats as None, naive datetimes refused."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise InvalidInput(f"column {column!r} holds the naive datetime {value.isoformat()}; "
                           "attach its time zone so the instant is known")
    return value


def _table(rows: Sequence[Mapping[str, Any]], names: list[str]) -> list[list[Any]]:
    return [[_plain(row.get(name), name) for name in names] for row in rows]


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(value: Any) -> Any:
    """A value as CSV and JSON show it: ISO 8601 for times, JSON text for containers in CSV."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv(names: list[str], values: list[list[Any]]) -> bytes:
    if not values:  # to_csv writes nothing for no rows; a header-only file keeps the columns
        out = io.StringIO()
        if names:
            csv.writer(out, lineterminator="\n").writerow(names)
        return out.getvalue().encode()
    cells = [{name: _json_text(v) if isinstance(v, dict | list | tuple) else _text(v)
              for name, v in zip(names, row, strict=True)} for row in values]
    return to_csv(cells).encode()


def _json(names: list[str], values: list[list[Any]]) -> bytes:
    records = [dict(zip(names, row, strict=True)) for row in values]
    return json.dumps(records, ensure_ascii=False, allow_nan=False,
                      default=lambda v: _text(v) if isinstance(v, date) else str(v)
                      ).encode()


def _xlsx(names: list[str], values: list[list[Any]], sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not sheet or len(sheet) > 31 or _SHEET_FORBIDDEN & set(sheet):
        raise InvalidInput(f"sheet name {sheet!r} must be 1 to 31 characters without "
                           f"{' '.join(sorted(_SHEET_FORBIDDEN))}")
    stamped = {i for row in values for i, v in enumerate(row) if isinstance(v, datetime)}
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([name + UTC_SUFFIX if i in stamped else name for i, name in enumerate(names)])
    for row in values:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                value = value.astimezone(UTC).replace(tzinfo=None)
            elif isinstance(value, dict | list | tuple):
                value = _json_text(value)
            elif not isinstance(value, str | int | float | date | None):
                value = str(value)
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # XML cannot hold them
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # "=…" from the data stays text, never a formula
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _arrow_column(values: list[Any]) -> Any:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if not present:
        return pa.array(values, type=pa.string())
    if all(isinstance(v, datetime) for v in present):
        return pa.array([None if v is None else v.astimezone(UTC) for v in values],
                        type=pa.timestamp("us", tz="UTC"))
    if any(isinstance(v, dict | list | tuple) for v in present):
        values = [v if v is None or isinstance(v, str) else _json_text(v) for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):  # no common type
        return pa.array([None if v is None else str(_text(v)) for v in values],
                        type=pa.string())


def _parquet(names: list[str], values: list[list[Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [_arrow_column([row[i] for row in values]) for i in range(len(names))]
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(columns, names=names), out)
    return out.getvalue()


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: TableFormat,
    columns: Sequence[str] | None = None,
    sheet: str = "data",
) -> tuple[bytes, str, str]:
    """Render a table as a file: ``(content, media_type, file_extension)``.

    Parameters
    ----------
    rows : sequence of mappings
        One mapping of column name to scalar per row; a missing key is a missing value.
    fmt : {"csv", "xlsx", "json", "parquet"}
        The file format. JSON is an array of objects with keys in column order.
    columns : sequence of str, optional
        The columns and their order; default every key in the order first seen.
    sheet : str, default "data"
        The worksheet name in XLSX (1–31 characters, none of ``[]:*?/\\``).

    Raises
    ------
    InvalidInput
        An unknown format, a naive datetime, a duplicated column or a bad sheet name.

    Examples
    --------
    >>> content, media_type, ext = render([{"machine": "M1", "kwh": 1.5, "note": None}], "csv")
    >>> print(content.decode(), end=""); media_type, ext
    machine,kwh,note
    M1,1.5,
    ('text/csv; charset=utf-8', 'csv')
    >>> render([], "json", columns=["machine"])[0]
    b'[]'
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    rows = list(rows)
    names = _columns(rows, columns)
    values = _table(rows, names)
    if fmt == "csv":
        content = _csv(names, values)
    elif fmt == "json":
        content = _json(names, values)
    elif fmt == "xlsx":
        content = _xlsx(names, values, sheet)
    else:
        content = _parquet(names, values)
    return content, MEDIA_TYPES[fmt], fmt
