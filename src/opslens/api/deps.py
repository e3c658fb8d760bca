"""What handlers declare in their signatures: the store, the organization, the cache."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Header, Request
from sqlalchemy.engine import Connection

from opslens.cache import ResultCache
from opslens.errors import Conflict, InvalidInput
from opslens.settings import Settings
from opslens.store import records
from opslens.store.engine import Store

T = TypeVar("T")
_ORG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_cache(request: Request) -> ResultCache:
    return request.app.state.cache


def get_organization(
    request: Request,
    x_organization: Annotated[str | None, Header(
        description="Organization (tenant) the request acts for; default from settings.")] = None,
) -> str:
    org = (request.app.state.settings.default_organization
           if x_organization is None else x_organization)
    if not _ORG_PATTERN.match(org):
        raise InvalidInput(
            f"X-Organization {org!r} is not a valid organization id (letters, digits, "
            "'_', '.', '-'; at most 64)"
        )
    return org


StoreDep = Annotated[Store, Depends(get_store)]
OrgDep = Annotated[str, Depends(get_organization)]
CacheDep = Annotated[ResultCache, Depends(get_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def in_transaction(store: Store, work: Callable[[Connection], T], attempts: int = 4) -> T:
    """Run ``work`` in one transaction; retry when a concurrent writer won a conflict.

    DuckDB resolves concurrent writes optimistically (the second to commit fails); two readers
    that both fill the same missing rollup day are the usual case, and a retry finds it done.
    """
    for attempt in range(attempts):
        try:
            with store.engine.begin() as conn:
                return work(conn)
        except sa.exc.DBAPIError as exc:
            text = str(exc.orig).lower()
            transient = "conflict" in text or "serializ" in text or "deadlock" in text
            if not transient or attempt == attempts - 1:
                if transient:
                    raise Conflict("the store was busy with a conflicting write; retry") from exc
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def cached(
    store: Store, cache: ResultCache, org: str, name: str, params: Any, ttl: int, refresh: bool,
    work: Callable[[Connection], T], enabled: bool = True,
) -> tuple[T, bool]:
    """``work``'s result for these parameters, from the cache while fresh and while the
    organization's data has not changed since (the data version is part of the key)."""
    if not enabled:
        return in_transaction(store, work), False

    def version() -> int:
        with store.engine.connect() as conn:
            return records.data_version(conn, org)

    key = (org, name, params, version())
    return cache.get_or_compute(key, ttl, lambda: in_transaction(store, work), refresh=refresh)
