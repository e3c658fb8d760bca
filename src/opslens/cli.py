"""The ``opslens`` command line: serve, db, ingest, demo, rollups, grid."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from opslens.errors import OpslensError
from opslens.settings import Settings

app = typer.Typer(help="opslens: operations analytics and reporting.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)
rollups_app = typer.Typer(help="Daily rollups.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(rollups_app, name="rollups")
console = Console(stderr=True)
COMPACT_AFTER = 500_000  # records in one CLI ingest that make it a bulk load

OrgOption = Annotated[str | None, typer.Option(
    "--org", help="Organization (default: OPSLENS_DEFAULT_ORGANIZATION or 'default').")]
ServerOption = Annotated[str | None, typer.Option(
    "--server", help="Send through a running opslens server at this URL instead of opening "
                     "the store (needed while `opslens serve` holds a DuckDB file).")]


def _settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"OPSLENS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise _fail(f"invalid setting: {problems}") from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _open_store(settings: Settings, upgrade: bool = False):
    from opslens.store import migrate
    from opslens.store.engine import open_store

    store = open_store(settings.database_url, settings.duckdb_memory_limit)
    if upgrade:
        migrate.upgrade(store)
    elif not migrate.is_up_to_date(store):
        store.dispose()
        raise _fail("the database schema is not up to date; run `opslens db upgrade`")
    return store


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the API (/api, docs at /docs) and the pages (/)."""
    import uvicorn

    from opslens.api.app import create_app

    settings = _settings()
    store = _open_store(settings)
    application = create_app(settings, store)
    host, port = host or settings.host, port or settings.port
    console.print(f"opslens serving on http://{host}:{port}  (API docs: /docs)")
    uvicorn.run(application, host=host, port=port, log_level="info")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head"
               ) -> None:
    """Apply the schema migrations (creates the DuckDB file if needed)."""
    from opslens.store import migrate
    from opslens.store.engine import open_store, redact

    settings = _settings()
    store = open_store(settings.database_url, settings.duckdb_memory_limit)
    migrate.upgrade(store, revision)
    console.print(f"schema at revision {migrate.current_revision(store)} "
                  f"on {redact(settings.database_url)}")
    store.dispose()


@db_app.command("compact")
def db_compact() -> None:
    """Put derived tables back in time order after a bulk load of history (DuckDB)."""
    from opslens.store import timelines

    settings = _settings()
    store = _open_store(settings)
    try:
        with store.engine.begin() as conn:
            timelines.compact(conn)
    finally:
        store.dispose()
    console.print("derived tables compacted")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the store."""
    from opslens.store import migrate
    from opslens.store.engine import open_store

    store = open_store(_settings().database_url)
    typer.echo(migrate.current_revision(store) or "empty (run `opslens db upgrade`)")
    store.dispose()


def _chunks(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count_records(path: Path, fmt: str) -> int | None:
    if fmt == "json":
        return None
    with path.open(encoding="utf-8-sig") as stream:
        lines = sum(1 for line in stream if line.strip())
    return lines - 1 if fmt == "csv" else lines


@app.command()
def ingest(
    kind: Annotated[str, typer.Argument(help="Record kind, e.g. work_orders.")],
    file: Annotated[Path, typer.Argument(help="A .json, .ndjson/.jsonl or .csv file.",
                                         exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[str | None, typer.Option("--format", help="json, ndjson or csv.")] = None,
    partial: Annotated[bool, typer.Option(help="Store the valid records of a bad file.")] = False,
    org: OrgOption = None,
    server: ServerOption = None,
) -> None:
    """Ingest a file of records. Without --server the whole file is one transaction."""
    from opslens.ingest import formats

    settings = _settings()
    org = org or settings.default_organization
    format_ = fmt or formats.format_of_path(file)
    if format_ not in formats.FORMATS:
        raise _fail(f"--format must be one of {', '.join(formats.FORMATS)}")
    total = _count_records(file, format_)
    records = formats.iter_file(file, format_)  # type: ignore[arg-type]
    batches = _chunks(records, settings.ingest_batch_size)
    store = None if server else _open_store(settings)  # fails fast, before any progress bar
    try:
        with _progress() as progress:
            task = progress.add_task(f"{kind} from {file.name}", total=total)
            if store is None:
                result = _ingest_via_server(server, org, kind, batches, partial,
                                            lambda n: progress.advance(task, n))
            else:
                result = _ingest_locally(store, org, kind, batches, partial, progress, task)
    finally:
        if store is not None:
            store.dispose()
    _report(result)


def _ingest_locally(store, org: str, kind: str, batches, partial: bool, progress: Progress,
                    task) -> dict[str, Any]:
    from opslens.ingest.service import ingest as ingest_records
    from opslens.plant import rollups
    from opslens.store import timelines

    outcome = ingest_records(store, org, kind, batches, partial,
                             progress=lambda n: progress.advance(task, n))
    progress.add_task("daily rollups", total=None)
    if outcome.stored >= COMPACT_AFTER:  # a bulk load: restore time order first
        with store.engine.begin() as conn:
            timelines.compact(conn)
    rollups.refresh_touched(store, org, outcome.touched)
    return outcome.as_dict()


def _ingest_via_server(server: str, org: str, kind: str, batches, partial: bool, advance
                       ) -> dict[str, Any]:
    import httpx

    total = {"ok": True, "kind": kind, "received": 0, "stored": 0, "rejected": 0, "errors": []}
    url = f"{server.rstrip('/')}/api/ingest/{kind}"
    with httpx.Client(timeout=300) as client:
        for batch in batches:
            try:
                response = client.post(url, params={"partial": str(partial).lower()},
                                       json=batch, headers={"X-Organization": org})
            except httpx.HTTPError as exc:
                raise _fail(f"cannot reach the server at {server}: {exc}") from None
            body = response.json()
            if response.status_code != 200:
                errors = [{**e, "index": e.get("index", 0) + total["received"]}
                          for e in body.get("errors", [])]
                _report({**body, "errors": errors})
                raise typer.Exit(1)
            for error in body["errors"]:
                total["errors"].append({**error, "index": error["index"] + total["received"]})
            for field in ("received", "stored", "rejected"):
                total[field] += body[field]
            advance(len(batch))
    return total


def _report(result: dict[str, Any]) -> None:
    typer.echo(json.dumps(result, indent=2, default=str))


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same plant.")] = 7,
    days: Annotated[int, typer.Option(min=1, max=730, help="Days of history.")] = 120,
    as_of: Annotated[str | None, typer.Option(
        help="End of the history (ISO 8601 with offset); default now.")] = None,
    if_empty: Annotated[bool, typer.Option(
        "--if-empty", help="Do nothing when the organization already has sites.")] = False,
    grid_days: Annotated[int, typer.Option(
        min=0, max=730, help="Days of OMS history on mv_oberrhein (0: no grid demo).")] = 60,
    org: OrgOption = None,
) -> None:
    """Load a realistic demo plant (sites in several time zones, shifts, months of work)
    and a utility (mv_oberrhein with months of correlated outages, storms and crew work)."""
    from opslens.ingest.service import ingest as ingest_records
    from opslens.plant import rollups
    from opslens.plant.demo import build_demo_plant
    from opslens.plant.demo_oee import build_demo_oee
    from opslens.store import plant as plant_store

    settings = _settings()
    org = org or settings.default_organization
    end = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
    if end.tzinfo is None:
        raise _fail("--as-of needs a UTC offset, e.g. 2025-10-14T12:00:00+00:00")
    store = _open_store(settings)
    try:
        with store.engine.connect() as conn:
            if if_empty and plant_store.list_sites(conn, org):
                console.print(f"organization {org!r} already has data; demo not loaded")
                return
        plant = build_demo_plant(seed=seed, days=days, as_of=end)
        plant |= build_demo_oee(plant, seed, as_of=end)
        touched: rollups.Touched = {}
        with _progress() as progress:
            for kind, records in plant.items():
                task = progress.add_task(f"{kind:16}", total=len(records))
                outcome = ingest_records(
                    store, org, kind, _chunks(records, settings.ingest_batch_size),
                    progress=lambda n, t=task: progress.advance(t, n))
                rollups.merge(touched, outcome.touched)
            task = progress.add_task("daily rollups   ", total=len(touched))
            rollups.refresh_touched(store, org, touched, horizon_days=days, now=end,
                                    on_site=lambda _site, _days: progress.advance(task))
        counts = {kind: len(records) for kind, records in plant.items()}
        console.print(f"demo plant loaded into organization {org!r}: {counts}")
        if grid_days:
            _grid_demo(store, org, seed, grid_days, end)
    finally:
        store.dispose()


def _grid_demo(store, org: str, seed: int, days: int, end: datetime) -> None:
    from opslens.grid import demo as grid_demo

    with _progress() as progress:
        task = progress.add_task("grid days       ", total=days + 1)
        loaded = grid_demo.load(store, org, seed=seed, days=days, as_of=end,
                                progress=lambda _what, done, _total: progress.update(
                                    task, completed=done))
    console.print(f"demo utility loaded into organization {org!r}: {loaded}")


@rollups_app.command("refresh")
def rollups_refresh(
    site_id: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    days: Annotated[int, typer.Option(help="How many days back to fill.")] = 400,
    org: OrgOption = None,
) -> None:
    """Compute every missing daily rollup of ended days (reads do this on demand too)."""
    from opslens.plant import rollups
    from opslens.plant.sites import load_site
    from opslens.store import plant as plant_store

    settings = _settings()
    org = org or settings.default_organization
    store = _open_store(settings)
    try:
        with store.engine.connect() as conn:
            if site_id:
                load_site(conn, org, site_id)  # an unknown site is an error, not a no-op
                site_ids = [site_id]
            else:
                site_ids = [s["id"] for s in plant_store.list_sites(conn, org)]
        with _progress() as progress:
            task = progress.add_task("sites", total=len(site_ids))

            def done(sid: str, added: int) -> None:
                progress.advance(task)
                console.print(f"{sid}: {added} day(s) computed")

            rollups.refresh_touched(store, org, dict.fromkeys(site_ids, (None, None)),
                                    horizon_days=days, on_site=done)
    finally:
        store.dispose()


# after the shared helpers above, which the grid commands use
from opslens.cli_grid import grid_app  # noqa: E402

app.add_typer(grid_app, name="grid")


def main() -> None:
    try:
        app()
    except OpslensError as exc:
        console.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
        for error in exc.errors[:50]:
            console.print(f"  {error}", highlight=False, soft_wrap=True)
        sys.exit(2 if exc.status != 503 else 3)
