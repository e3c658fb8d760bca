"""The one exception hierarchy. Each class knows its HTTP status; the API turns any of them
into the one JSON error body ``{"ok": false, "status", "error", "errors"}``."""

from __future__ import annotations

from typing import Any


class OpslensError(Exception):
    """Root of every error opslens raises on purpose.

    Subclasses list it *first* among their bases (``InvalidInput(OpslensError, ValueError)``)
    so that its ``__init__`` runs; a builtin first would skip it.
    """

    status = 500

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidInput(OpslensError, ValueError):
    """The caller sent something malformed or impossible; the message says how to fix it."""

    status = 422


class NotFound(OpslensError, LookupError):
    """A named thing (site, machine, work order, …) does not exist in this organization."""

    status = 404


class Conflict(OpslensError):
    """The request clashes with the current state (e.g. the store is held by another process)."""

    status = 409


class StoreUnavailable(OpslensError):
    """The store cannot be opened: wrong URL, server down, or file locked by a running server."""

    status = 503


STORE_IN_USE_MESSAGE = (
    "the database is in use by a running opslens server; use --server URL or stop the server"
)
