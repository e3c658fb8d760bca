"""The benchmark's plant data generator, run tiny: counts, batch order, determinism and the
ingest consistency rules."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bench.plant_data import KINDS, count_records, iter_bench_batches
from tests.plant.lifecycle import NEXT_STATUS, STATUSES

AS_OF = datetime(2025, 11, 2, 7, 30, tzinfo=UTC)  # 01:30 CST, half an hour after fall-back

Batches = list[tuple[str, list[dict[str, Any]]]]


def _by_kind(batches: Batches) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, batch in batches:
        records[kind] += batch
    return records


@pytest.fixture(scope="module")
def batches() -> Batches:
    # 230 machines make three sites; a small batch size makes several machine chunks.
    return list(iter_bench_batches(230, 1, seed=5, as_of=AS_OF, batch_size=4_000))


@pytest.fixture(scope="module")
def tiny() -> Batches:
    return list(iter_bench_batches(5, 3, as_of=AS_OF))


def test_batch_sizes_add_up_to_count_records(tiny: Batches, batches: Batches) -> None:
    for found, (machines, days) in ((tiny, (5, 3)), (batches, (230, 1))):
        sizes = Counter()
        for kind, batch in found:
            sizes[kind] += len(batch)
        assert sizes == count_records(machines, days)


def test_full_size_counts_match_the_design() -> None:
    counts = count_records(500, 90)
    assert 4.9e6 < counts["work_orders"] < 5.1e6
    assert 19.5e6 < counts["work_order_logs"] < 20.5e6
    assert counts["machines"] == 500 and counts["sites"] == 5


def test_batches_come_in_dependency_order(batches: Batches) -> None:
    kinds = [kind for kind, _ in batches]
    assert kinds[:4] == list(KINDS[:4])
    assert set(kinds[4:]) == {"work_orders", "work_order_logs"}
    assert all(0 < len(batch) <= 4_000 for _, batch in batches)
    assert kinds.count("work_orders") > 1, "several chunks, interleaved with their logs"
    seen: set[str] = set()
    for kind, batch in batches:
        if kind == "work_orders":
            seen.update(order["id"] for order in batch)
        elif kind == "work_order_logs":
            assert all(log["work_order_id"] in seen for log in batch)


def test_same_seed_same_records_and_batch_size_only_regroups(tiny: Batches) -> None:
    again = list(iter_bench_batches(5, 3, as_of=AS_OF))
    assert again == tiny
    regrouped = _by_kind(list(iter_bench_batches(5, 3, as_of=AS_OF, batch_size=97)))
    assert regrouped == _by_kind(tiny)
    other = _by_kind(list(iter_bench_batches(5, 3, seed=2, as_of=AS_OF)))
    assert other["work_order_logs"] != _by_kind(tiny)["work_order_logs"]


def test_refuses_naive_as_of_and_empty_sizes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(iter_bench_batches(5, 3, as_of=datetime(2025, 11, 2)))
    with pytest.raises(ValueError, match="at least 1"):
        count_records(0, 3)


def _parse(value: str, zone: ZoneInfo) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value
    assert parsed.utcoffset() == parsed.astimezone(zone).utcoffset(), value
    return parsed


@pytest.mark.parametrize(("fixture", "machines"), [("tiny", 5), ("batches", 230)])
def test_records_follow_the_ingest_rules(
    request: pytest.FixtureRequest, fixture: str, machines: int
) -> None:
    data = _by_kind(request.getfixturevalue(fixture))
    for kind in ("sites", "lines", "machines", "shifts", "work_orders"):
        ids = [record["id"] for record in data[kind]]
        assert len(ids) == len(set(ids)), kind
    zones = {site["id"]: ZoneInfo(site["timezone"]) for site in data["sites"]}
    assert len(set(zones.values())) == len(zones) == -(-machines // 100)
    lines = {line["id"]: line["site_id"] for line in data["lines"]}
    assert set(lines.values()) <= set(zones)
    site_of = {m["id"]: m["site_id"] for m in data["machines"]}
    assert len(site_of) == machines
    assert all(lines[m["line_id"]] == m["site_id"] for m in data["machines"])
    assert all(shift["site_id"] in zones for shift in data["shifts"])

    orders = {}
    for order in data["work_orders"]:
        assert order["status"] in STATUSES
        assert site_of[order["machine_id"]] == order["site_id"]
        zone = zones[order["site_id"]]
        start = _parse(order["start_time"], zone)
        assert order["end_time"] is None or _parse(order["end_time"], zone) > start
        assert 0 <= order["ok_qty"] <= order["qty"] and order["scrap_qty"] >= 0
        orders[order["id"]] = order
    logs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for log in data["work_order_logs"]:
        logs[log["work_order_id"]].append(log)
    assert set(logs) == set(orders)
    for order_id, own in logs.items():
        order = orders[order_id]
        assert own[-1]["status"] == order["status"]
        statuses = [log["status"] for log in own]
        assert all(b in NEXT_STATUS[a] for a, b in pairwise(statuses)), statuses
        times = [_parse(log["changed_at"], zones[order["site_id"]]) for log in own]
        assert all(a < b for a, b in pairwise(times)) and times[-1] <= AS_OF
        for field in ("ok_qty", "scrap_qty"):
            counts = [log[field] for log in own if log[field] is not None]
            assert counts == sorted(counts) and (not counts or counts[-1] <= order[field])
        assert all(log["fpy"] is None or 0 <= log["fpy"] <= 100 for log in own)

    statuses = Counter(order["status"] for order in orders.values())
    assert statuses["Start"] + statuses["Hold"] == statuses["Assigned"] == machines
    assert statuses["Hold"] == sum(m % 10 == 3 for m in range(machines))
    assert statuses["Completed"] > 0 and (statuses["Closed"] > 0) == (fixture == "tiny")
    assert any("Hold" in [log["status"] for log in own][:-1] for own in logs.values())
    done = [o for o in orders.values() if o["status"] in ("Completed", "Closed")]
    good, scrap = sum(o["ok_qty"] for o in done), sum(o["scrap_qty"] for o in done)
    assert 0.5 <= 100 * scrap / (good + scrap) <= 4
    minutes = [
        (datetime.fromisoformat(o["end_time"]) - datetime.fromisoformat(o["start_time"]))
        / timedelta(minutes=1)
        for o in done
    ]
    assert 8 < sum(minutes) / len(minutes) < 13
