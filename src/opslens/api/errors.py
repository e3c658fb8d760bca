"""One JSON error body for every error: ``{"ok": false, "status", "error", "errors"}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from opslens.errors import OpslensError

log = logging.getLogger("opslens.api")


def error_response(status: int, message: str, errors: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"ok": False, "status": status, "error": message, "errors": errors or []},
        headers=headers,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    found = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ())]
        where = location[0] if location else None
        field = ".".join(location[1:]) or None
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        found.append({"in": where, "field": field, "reason": reason})
    return found


def install(app: FastAPI) -> None:
    @app.exception_handler(OpslensError)
    async def _opslens(_request: Request, exc: OpslensError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(sorted({e["field"] or e["in"] or "?" for e in errors}))
        return error_response(422, f"invalid request: check {fields}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such path; the API is described at /docs"
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal error; the server log has the details")
