"""``opslens grid``: load a network, import one from pandapower, simulate storms and score
the correlation on them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

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


def _network(org: str | None):
    """The organization's stored network, laid out."""
    from opslens.grid import topology

    settings = _settings()
    org = org or settings.default_organization
    store = _open_store(settings)
    try:
        with store.engine.connect() as conn:
            return topology.require(store, conn, org).network
    finally:
        store.dispose()


def _start(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    start = datetime.fromisoformat(value)
    if start.tzinfo is None:
        raise _fail("--start needs a UTC offset, e.g. 2026-03-01T12:00:00+00:00")
    return start


@grid_app.command("simulate")
def simulate_storm(
    output: Annotated[Path, typer.Option(help="Where to write the storm (JSON).")],
    seed: Annotated[int, typer.Option(help="The same seed gives the same storm.")] = 0,
    faults: Annotated[int, typer.Option(min=1, max=500, help="Simultaneous faults.")] = 20,
    start: Annotated[str | None, typer.Option(help="When it begins (ISO with offset); "
                                                   "default now.")] = None,
    org: OrgOption = None,
) -> None:
    """Simulate a storm with ground truth over the stored network: faults, last gasps, ONU
    events, calls, SCADA trips, restorations, momentary blips and false reports."""
    from opslens.grid.simulate import StormConfig, simulate, storm_to_json

    network = _network(org)
    storm = simulate(network, StormConfig(faults=faults), seed, _start(start))
    output.write_text(storm_to_json(storm))
    console.print(f"storm of {len(storm.faults)} faults and {len(storm.events)} events "
                  f"written to {output}")


@grid_app.command("evaluate")
def evaluate_storms(
    storm_file: Annotated[Path | None, typer.Argument(
        exists=True, dir_okay=False, help="A storm from `grid simulate`; without it, storms "
                                          "are simulated from --seeds.")] = None,
    seeds: Annotated[list[int] | None, typer.Option(
        "--seed", help="Seeds of storms to simulate and score (repeat the option).")] = None,
    faults: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
    org: OrgOption = None,
) -> None:
    """Replay storms through the correlation engine and score it against the truth, next to
    the naive proximity rule (join the first open outage within 1000 m and 30 min)."""
    from opslens.grid import replay
    from opslens.grid.evaluate import compare, report
    from opslens.grid.simulate import StormConfig, simulate, storm_from_json

    network = _network(org)
    if storm_file is not None:
        storms = [storm_from_json(storm_file.read_text(encoding="utf-8"))]
    else:
        start = datetime(2026, 3, 1, 12, tzinfo=UTC)
        storms = [simulate(network, StormConfig(faults=faults), s, start)
                  for s in (seeds or [0, 1, 2])]
    unknown = sorted({f.device_id for s in storms for f in s.faults} - set(network.elements))
    if unknown:
        raise _fail(f"the storm names devices this network lacks ({', '.join(unknown[:5])}); "
                    "simulate it again on the current network")
    results = []
    for storm in storms:
        ours, naive = compare(storm, replay.engine(network), network)
        results.append({"seed": storm.seed, "rows": report(ours, naive)})
    if as_json:
        typer.echo(json.dumps(results, indent=2, default=str))
        return
    _print_reports(results)


def _print_reports(results: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    def shown(value: Any) -> str:
        return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    out = Console()
    for result in results:
        table = Table(title=f"storm seed {result['seed']}")
        for column in ("metric", "opslens", "naive baseline", "target"):
            table.add_column(column, justify="left" if column == "metric" else "right")
        for row in result["rows"]:
            table.add_row(escape(row["metric"]), shown(row["opslens"]),
                          shown(row["naive_baseline"]), row["target"] or "")
        out.print(table)
