"""Tables as CSV: one header row of field names, one row per record, UTF-8."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Render rows of scalars; a missing value is an empty cell.

    >>> print(to_csv([{"date": "2025-10-14", "running": 5, "rate": None}]), end="")
    date,running,rate
    2025-10-14,5,
    """
    rows = list(rows)
    out = io.StringIO()
    if not rows:
        return ""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
