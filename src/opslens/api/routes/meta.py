"""Health and the plant hierarchy: what a client needs to find its way."""

from __future__ import annotations

from fastapi import APIRouter

from opslens import __version__
from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.store import migrate
from opslens.store import plant as plant_store

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/health", summary="Liveness, store kind and schema revision")
def health(store: StoreDep) -> dict:
    return {"ok": True, "version": __version__, "store": store.dialect,
            "schema_revision": migrate.current_revision(store),
            "schema_up_to_date": migrate.is_up_to_date(store)}


@router.get("/sites", summary="The organization's sites with their machines")
def sites(store: StoreDep, org: OrgDep) -> dict:
    def work(conn):
        return [{**site, "machines": plant_store.machines_of_site(conn, org, site["id"])}
                for site in plant_store.list_sites(conn, org)]

    return {"organization": org, "sites": in_transaction(store, work)}
