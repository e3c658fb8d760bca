"""Content negotiation: every table-like result as JSON or CSV."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from opslens.export.csv import to_csv

OutputFormat = Literal["json", "csv"]


def wants_csv(request: Request, fmt: OutputFormat | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def csv_response(rows: Iterable[Mapping[str, Any]], filename: str) -> Response:
    return Response(
        to_csv(rows), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def json_response(body: Any, cache_hit: bool) -> JSONResponse:
    return JSONResponse(body, headers={"X-Opslens-Cache": "hit" if cache_hit else "miss"})
