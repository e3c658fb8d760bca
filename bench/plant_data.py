"""Columnar generator of the plant benchmark data set (DESIGN.md §9).

At full size, 500 machines over 90 days: about 5 M work orders and 20 M work-order logs, in the
ingest record format of DESIGN.md §4 (plain dicts, timestamps as ISO-8601 strings in the site's
local wall-clock time with its UTC offset). Records are made with numpy one machine at a time and
yielded in batches, so memory stays bounded by a few batches whatever the size.

Every machine works round the clock: its history ``[as_of - days, as_of)`` is cut into
111 slots a day (about 13 minutes each), and each slot holds one work order that is assigned
some minutes to hours ahead, starts on or a little after its scheduled start and completes inside
its slot. Exactly 3 in 8 completed work orders are put on hold once (Start → Hold → Start), and
every fourth one older than a day is closed later, so there are about 4 logs per work order. At
``as_of`` each machine has one open work order (on Hold on every tenth machine, else running)
and one assigned for the next hour. The number of records of each kind depends only on
``machines`` and ``days`` (see :func:`count_records`); their values on ``seed`` and ``as_of``.

Run ``python -m bench.plant_data`` to time a generation (``--machines`` and ``--days`` set the
size).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["KINDS", "count_records", "iter_bench_batches", "static_records"]

KINDS = ("sites", "lines", "machines", "shifts", "work_orders", "work_order_logs")
WORK_ORDERS_PER_MACHINE_DAY = 111
MACHINES_PER_SITE = 100
MACHINES_PER_LINE = 10
SITE_ZONES = ("America/Chicago", "Europe/Berlin", "Asia/Kolkata")
SHIFTS = (
    ("Early", "06:00", "14:00", ["10:00-10:30"]),
    ("Late", "14:00", "22:00", ["18:00-18:30"]),
    ("Night", "22:00", "06:00", ["02:00-02:30"]),
)
DAY = 86_400
_GRID = 900  # UTC offsets are looked up on a 15-minute grid; every DST change falls on it [s]

# Status codes, in the order of a work order's life (RESUME is a second Start).
ASSIGNED, START, HOLD, RESUME, COMPLETED, CLOSED = range(6)


def _layout(days: int) -> tuple[int, int, int]:
    """Per machine: history slots, completed work orders with a hold, closed work orders."""
    history = days * WORK_ORDERS_PER_MACHINE_DAY  # the last one is the open one at as_of
    completed = history - 1
    held = completed * 3 // 8
    closable = max(0, completed - WORK_ORDERS_PER_MACHINE_DAY)  # completed over a day ago
    closed = (closable + 3) // 4  # every fourth of them
    return history, held, closed


def _held_now(machine: int) -> bool:
    return machine % 10 == 3


def count_records(machines: int, days: int) -> dict[str, int]:
    """Number of records of each kind that :func:`iter_bench_batches` yields for this size."""
    _check_size(machines, days)
    history, held, closed = _layout(days)
    sites = math.ceil(machines / MACHINES_PER_SITE)
    lines = sum(
        math.ceil(min(MACHINES_PER_SITE, machines - s * MACHINES_PER_SITE) / MACHINES_PER_LINE)
        for s in range(sites)
    )
    held_now = sum(_held_now(m) for m in range(machines))
    logs_per_machine = 3 * (history - 1) + 2 * held + closed + 2 + 1
    return {
        "sites": sites,
        "lines": lines,
        "machines": machines,
        "shifts": len(SHIFTS) * sites,
        "work_orders": machines * (history + 1),
        "work_order_logs": machines * logs_per_machine + held_now,
    }


def _check_size(machines: int, days: int) -> None:
    if machines < 1 or days < 1:
        raise ValueError(f"machines and days must be at least 1, got {machines} and {days}")


def iter_bench_batches(
    machines: int = 500,
    days: int = 90,
    seed: int = 1,
    *,
    as_of: datetime,
    batch_size: int = 100_000,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(kind, records)`` batches of at most ``batch_size`` records.

    Kinds come in dependency order: sites, lines, machines and shifts first, then batches of
    work orders and of work-order logs, interleaved so that every log's work order has been
    yielded before it. The same arguments give the same records (a different ``batch_size``
    only regroups them); no log is later than ``as_of``.
    """
    _check_size(machines, days)
    if as_of.utcoffset() is None:
        raise ValueError(f"as_of {as_of.isoformat()} must be timezone-aware")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    now = math.floor(as_of.timestamp())
    static = static_records(machines)
    for kind in ("sites", "lines", "machines", "shifts"):
        yield from _batched(kind, static[kind], batch_size)

    history, _, _ = _layout(days)
    n = history + 1  # work orders per machine
    clock = _Clock(len(static["sites"]), now - days * DAY - 2 * DAY, now + 2 * DAY)
    names = _Names.for_size(machines)
    per_chunk = max(1, batch_size // n)
    for first in range(0, machines, per_chunk):
        chunk = [
            _machine_columns(m, seed, days, now)
            for m in range(first, min(machines, first + per_chunk))
        ]
        orders = {key: np.concatenate([c.orders[key] for c in chunk]) for key in chunk[0].orders}
        logs = {key: np.concatenate([c.logs[key] for c in chunk]) for key in chunk[0].logs}
        del chunk
        ids = np.array(
            [
                f"WO-{m + 1:04d}-{k:06d}"
                for m, k in zip(orders["machine"].tolist(), orders["k"].tolist(), strict=True)
            ],
            object,
        )
        for lo in range(0, len(ids), batch_size):
            part = {key: values[lo : lo + batch_size] for key, values in orders.items()}
            yield (
                "work_orders",
                _work_order_records(part, ids[lo : lo + batch_size].tolist(), names, clock),
            )
        log_ids = ids[(logs["machine"] - first) * n + logs["k"]]
        for lo in range(0, len(log_ids), batch_size):
            part = {key: values[lo : lo + batch_size] for key, values in logs.items()}
            yield (
                "work_order_logs",
                _log_records(part, log_ids[lo : lo + batch_size].tolist(), names, clock),
            )


def _batched(
    kind: str, records: list[dict[str, Any]], size: int
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for lo in range(0, len(records), size):
        yield kind, records[lo : lo + size]


def static_records(machines: int) -> dict[str, list[dict[str, Any]]]:
    """Sites (100 machines each, in three time zones), lines, machines and shifts."""
    records: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS[:4]}
    for m in range(machines):
        s, in_site = divmod(m, MACHINES_PER_SITE)
        site_id = _site_id(s)
        if in_site == 0:
            zone = SITE_ZONES[s % len(SITE_ZONES)]
            records["sites"].append(
                {
                    "id": site_id,
                    "name": f"Bench Plant {s + 1}",
                    "timezone": zone,
                    "latitude": round(40.0 + 0.37 * s, 4),
                    "longitude": round(-88.0 + 21.1 * s, 4),
                }
            )
            for name, start, end, breaks in SHIFTS:
                records["shifts"].append(
                    {
                        "id": f"{site_id}-{name.upper()}",
                        "site_id": site_id,
                        "name": name,
                        "start_time": start,
                        "end_time": end,
                        "weekdays": [1, 2, 3, 4, 5, 6, 7],
                        "breaks": list(breaks),
                    }
                )
        line_id = f"{site_id}-L{in_site // MACHINES_PER_LINE + 1:02d}"
        if in_site % MACHINES_PER_LINE == 0:
            records["lines"].append(
                {
                    "id": line_id,
                    "site_id": site_id,
                    "name": f"Line {in_site // MACHINES_PER_LINE + 1}",
                }
            )
        records["machines"].append(
            {
                "id": _machine_id(m),
                "site_id": site_id,
                "line_id": line_id,
                "name": f"CNC-{in_site + 1:03d}",
                "asset_id": f"BA-{100001 + m}",
                "ideal_cycle_time_s": round(_cycle_time(m), 1),
            }
        )
    return records


def _site_id(site: int) -> str:
    return f"BS{site + 1:02d}"


def _machine_id(machine: int) -> str:
    return f"BM{machine + 1:04d}"


def _cycle_time(machine: int) -> float:
    """Ideal cycle time of a machine: 3 to 30 s, fixed by the machine number alone. [s]"""
    return 3.0 + (machine * 7919 % 271) / 10.0


@dataclass
class _Columns:
    orders: dict[str, np.ndarray]
    logs: dict[str, np.ndarray]


def _machine_columns(m: int, seed: int, days: int, now: int) -> _Columns:
    """All work orders and logs of machine ``m`` as columns, in work-order order."""
    rng = np.random.default_rng([seed, m])
    history, held, _ = _layout(days)
    n = history + 1  # with one work order assigned for after as_of
    edges = now - days * DAY + np.arange(history + 1, dtype=np.int64) * (days * DAY) // history
    slot = np.diff(edges)

    def share(lo: float, hi: float) -> np.ndarray:
        return (slot * rng.uniform(lo, hi, history)).astype(np.int64)

    scheduled = edges[:-1] + share(0.0, 0.05)
    started = scheduled + share(0.0, 0.05)
    assigned = scheduled - rng.integers(300, 4 * 3600, history)
    has_hold = np.zeros(history, bool)
    has_hold[rng.permutation(history - 1)[:held]] = True
    active = np.where(has_hold, share(0.4, 0.6), share(0.5, 0.85))
    before = (active * rng.uniform(0.2, 0.8, history)).astype(np.int64)  # run before the hold
    hold_at = started + before
    resumed = hold_at + share(0.05, 0.25)
    completed = np.where(has_hold, resumed + active - before, started + active)
    k = np.arange(history)
    closed = (k < history - 1 - WORK_ORDERS_PER_MACHINE_DAY) & (k % 4 == 0)
    closed_at = completed + rng.integers(600, 12 * 3600, history)
    planned_end = scheduled + (slot * 4) // 5

    cycle = _cycle_time(m)
    qty = np.maximum(1, (planned_end - scheduled) * rng.uniform(0.8, 0.95, history) / cycle)
    qty = qty.astype(np.int64)
    scrap = np.minimum(qty, qty * rng.uniform(0.005, 0.04, history) + rng.random(history))
    scrap = scrap.astype(np.int64)
    ok = qty - scrap
    rework = (ok * rng.uniform(0.0, 0.03, history)).astype(np.int64)

    # The open work order at as_of: running, or on hold on every tenth machine.
    c = history - 1
    held_now = _held_now(m)
    active[c] = now - started[c] + int(slot[c] * rng.uniform(0.2, 0.8))
    planned_end[c] = started[c] + active[c]
    hold_at[c] = started[c] + int((now - started[c]) * rng.uniform(0.2, 0.9))
    until = hold_at[c] if held_now else now
    done = min(1.0, (until - started[c]) / active[c])
    ok_now, scrap_now = int(ok[c] * done), int(scrap[c] * done)

    # Events: a (history, 6) grid of times and counts, masked to the events that happened.
    times = np.stack([assigned, started, hold_at, resumed, completed, closed_at], axis=1)
    happened = np.ones((history, 6), bool)
    happened[:, HOLD] = happened[:, RESUME] = has_hold
    happened[:, CLOSED] = closed
    happened[c] = [True, True, held_now, False, False, False]
    share_done = np.ones((history, 6))
    share_done[:, :2] = 0.0
    share_done[:, HOLD] = share_done[:, RESUME] = before / active
    share_done[c, HOLD] = done
    ok_log = np.floor(ok[:, None] * share_done).astype(np.int64)
    scrap_log = np.floor(scrap[:, None] * share_done).astype(np.int64)
    rework_log = np.floor(rework[:, None] * share_done).astype(np.int64)
    ok_log[:, ASSIGNED] = scrap_log[:, ASSIGNED] = -1  # unknown when assigned
    made = ok_log + scrap_log
    with np.errstate(invalid="ignore", divide="ignore"):
        fpy = np.round(100.0 * (ok_log - rework_log) / made, 2)
    fpy[made <= 0] = np.nan

    # The work order assigned for the next hour.
    future_start = now + int(rng.integers(300, 3600))
    future_assigned = now - int(rng.integers(60, 3600))
    future_end = future_start + int(slot.mean() * 0.8)

    status = np.full(n, COMPLETED, np.int8)
    status[:history][closed] = CLOSED
    status[c] = HOLD if held_now else START
    status[history] = ASSIGNED
    end = np.append(completed, future_end)
    end[c] = planned_end[c]
    okq = np.append(ok, 0)
    scrapq = np.append(scrap, 0)
    okq[c], scrapq[c] = ok_now, scrap_now

    wo_k = np.arange(n, dtype=np.int64)
    machine = np.full(n, m, np.int64)
    orders = {
        "machine": machine,
        "k": wo_k,
        "start": np.append(scheduled, future_start),
        "end": end,
        "status": status,
        "qty": np.append(qty, max(1, int(future_end - future_start) // int(cycle))),
        "ok": okq,
        "scrap": scrapq,
        "product": (wo_k * 7 + m) % 40,
        "operator": rng.integers(0, 8, n),
    }
    flat = happened.ravel()
    log_k = np.append(np.repeat(k, 6)[flat], history)
    codes = np.tile(np.arange(6, dtype=np.int8), history)[flat]
    logs = {
        "machine": np.full(len(log_k), m, np.int64),
        "k": log_k,
        "status": np.append(codes, ASSIGNED),
        "at": np.append(times.ravel()[flat], future_assigned),
        "ok": np.append(ok_log.ravel()[flat], -1),
        "scrap": np.append(scrap_log.ravel()[flat], -1),
        "fpy": np.append(fpy.ravel()[flat], np.nan),
    }
    return _Columns(orders, logs)


class _Clock:
    """Formats epoch seconds as local ISO-8601 strings with offset, per site, vectorized."""

    def __init__(self, sites: int, t_from: int, t_until: int) -> None:
        self.g0 = t_from // _GRID
        grid = np.arange(self.g0, t_until // _GRID + 1, dtype=np.int64) * _GRID
        self.offsets = np.empty((sites, len(grid)), np.int64)
        for s in range(sites):
            zone = ZoneInfo(SITE_ZONES[s % len(SITE_ZONES)])
            self.offsets[s] = [
                datetime.fromtimestamp(int(t), UTC).astimezone(zone).utcoffset().total_seconds()
                for t in grid
            ]

    def format(self, at: np.ndarray, site: np.ndarray) -> list[str]:
        offset = self.offsets[site, at // _GRID - self.g0]
        wall = np.datetime_as_string((at + offset).astype("datetime64[s]"), unit="s").tolist()
        values, inverse = np.unique(offset, return_inverse=True)
        suffixes = np.array([_offset_text(int(v)) for v in values], object)[inverse].tolist()
        return [w + s for w, s in zip(wall, suffixes, strict=True)]


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass
class _Names:
    """Object arrays of the strings records share, to index with integer columns."""

    sites: np.ndarray
    machines: np.ndarray
    operators: np.ndarray  # (site, operator)
    products: np.ndarray
    statuses: np.ndarray

    @classmethod
    def for_size(cls, machines: int) -> _Names:
        sites = math.ceil(machines / MACHINES_PER_SITE)
        return cls(
            sites=np.array([_site_id(s) for s in range(sites)], object),
            machines=np.array([_machine_id(m) for m in range(machines)], object),
            operators=np.array(
                [[f"OP-{s + 1:02d}-{o + 1:02d}" for o in range(8)] for s in range(sites)], object
            ),
            products=np.array([f"PN-{5000 + 13 * p}" for p in range(40)], object),
            statuses=np.array(
                ["Assigned", "Start", "Hold", "Start", "Completed", "Closed"], object
            ),
        )


def _nullable(values: np.ndarray, missing: np.ndarray) -> list[Any]:
    objects = values.astype(object)
    objects[missing] = None
    return objects.tolist()


def _work_order_records(
    part: dict[str, np.ndarray], ids: list[str], names: _Names, clock: _Clock
) -> list[dict[str, Any]]:
    site = part["machine"] // MACHINES_PER_SITE
    columns = zip(
        ids,
        names.sites[site].tolist(),
        names.machines[part["machine"]].tolist(),
        clock.format(part["start"], site),
        clock.format(part["end"], site),
        names.statuses[part["status"]].tolist(),
        part["qty"].tolist(),
        part["ok"].tolist(),
        part["scrap"].tolist(),
        names.products[part["product"]].tolist(),
        names.operators[site, part["operator"]].tolist(),
        strict=True,
    )
    return [
        {
            "id": wo_id,
            "site_id": site_id,
            "machine_id": machine_id,
            "start_time": start,
            "end_time": end,
            "status": status,
            "qty": qty,
            "ok_qty": ok,
            "scrap_qty": scrap,
            "product_id": product,
            "operator_id": operator,
        }
        for wo_id, site_id, machine_id, start, end, status, qty, ok, scrap, product, operator in (
            columns
        )
    ]


def _log_records(
    part: dict[str, np.ndarray], ids: list[str], names: _Names, clock: _Clock
) -> list[dict[str, Any]]:
    unknown = part["ok"] < 0
    columns = zip(
        ids,
        names.statuses[part["status"]].tolist(),
        clock.format(part["at"], part["machine"] // MACHINES_PER_SITE),
        _nullable(part["ok"], unknown),
        _nullable(part["scrap"], unknown),
        _nullable(part["fpy"], np.isnan(part["fpy"])),
        strict=True,
    )
    return [
        {
            "work_order_id": wo_id,
            "status": status,
            "changed_at": at,
            "ok_qty": ok,
            "scrap_qty": scrap,
            "fpy": fpy,
        }
        for wo_id, status, at, ok, scrap, fpy in columns
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2025-11-12T09:30:00+00:00")
    args = parser.parse_args(argv)
    expected = count_records(args.machines, args.days)
    counted = dict.fromkeys(KINDS, 0)
    began = time.perf_counter()
    for kind, batch in iter_bench_batches(
        args.machines, args.days, args.seed, as_of=datetime.fromisoformat(args.as_of)
    ):
        counted[kind] += len(batch)
    elapsed = time.perf_counter() - began
    total = sum(counted.values())
    for kind in KINDS:
        print(f"{kind:>16}: {counted[kind]:>11,} (expected {expected[kind]:,})")
    print(f"{total:,} records in {elapsed:.1f} s: {total / elapsed:,.0f} records/s")


if __name__ == "__main__":
    main()
