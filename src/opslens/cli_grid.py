"""``opslens grid``: load a network, import one from pandapower, simulate storms and score
the correlation on them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from opslens.cli import OrgOption, ServerOption, _fail, _open_store, _report, _settings, console

grid_app = typer.Typer(help="The network and the OMS correlation.", no_args_is_help=True)


def _load(document: dict[str, Any], org: str | None, server: str | None) -> dict[str, Any]:
    settings = _settings()
    org = org or settings.default_organization
    if server:
        import httpx

        response = httpx.put(f"{server.rstrip('/')}/api/oms/network", json=document,
                             headers={"X-Organization": org}, timeout=120)
        body = response.json()
        if response.status_code != 200:
            raise _fail(f"the server refused the network: {body.get('error')}")
        return body
    from opslens.grid import topology

    store = _open_store(settings)
    try:
        return topology.load_document(store, org, document, datetime.now(UTC))
    finally:
        store.dispose()


@grid_app.command("import-pandapower")
def import_pandapower(
    name: Annotated[str, typer.Argument(help="A network shipped with pandapower.")]
    = "mv_oberrhein",
    lv_beneath: Annotated[int, typer.Option(
        min=0, max=14, help="Transformers that get lv_schutterwald's real LV households "
                            "(the others get synthesized service points).")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the synthesized service points.")] = 0,
    output: Annotated[Path | None, typer.Option(
        help="Write the topology document to this file instead of loading it.")] = None,
    org: OrgOption = None, server: ServerOption = None,
) -> None:
    """Build a real network with its coordinates from pandapower's data and load it."""
    from opslens.grid.pandapower_network import document

    console.print(f"building {name} from pandapower …")
    built = document(name, lv_beneath=lv_beneath, seed=seed)
    if output is not None:
        output.write_text(json.dumps(built))
        console.print(f"topology document written to {output}")
        return
    _report(_load(built, org, server))


@grid_app.command("load")
def load(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="A topology document (JSON).")],
    org: OrgOption = None, server: ServerOption = None,
) -> None:
    """Replace the network with a topology document."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"{path} is not a JSON document: {exc}") from None
    _report(_load(document, org, server))
