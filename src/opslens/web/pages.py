"""The landing page; the dashboards of seeds 000–004 build on it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from opslens.api.deps import OrgDep, StoreDep, in_transaction
from opslens.store import plant as plant_store

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, store: StoreDep, org: OrgDep) -> HTMLResponse:
    def work(conn):
        return [{**site, "machines": len(plant_store.machines_of_site(conn, org, site["id"]))}
                for site in plant_store.list_sites(conn, org)]

    return templates.TemplateResponse(request, "index.html", {
        "org": org, "store": store.dialect, "sites": in_transaction(store, work)})
