"""What the benchmarks share: their command line, a fresh DuckDB store and the timer."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opslens.store import migrate
from opslens.store.engine import Store, open_store


def arguments(description: str, out: str, argv: list[str] | None) -> argparse.Namespace:
    """The options every benchmark takes: size, batch, repeats, where to keep the store."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the DuckDB file here.")
    parser.add_argument("--out", type=Path, default=Path(out))
    return parser.parse_args(argv)


def fresh_store(directory: Path | None, prefix: str) -> tuple[Store, Path]:
    """A migrated DuckDB store in ``directory`` (a new temporary one by default)."""
    directory = directory or Path(tempfile.mkdtemp(prefix=prefix))
    store = open_store(f"duckdb:///{directory / 'bench.duckdb'}")
    migrate.upgrade(store)
    return store, directory


def timed(work: Callable[[], Any], repeat: int) -> list[float]:
    """Wall time of ``repeat`` calls of ``work`` [ms]."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples
