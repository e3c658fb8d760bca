"""Energy analytics (seed 004 §7.5): kWh by work order, batch, product and machine with kWh per
unit against baselines; trends by local hour, day, week or month with cost; a comparison with a
previous period, machines or products ranked by kWh per good unit (lower is better).

Attribution. Energy flows uniformly over an increment ``(previous reading, reading]`` (see
:mod:`opslens.domain.energy`) and belongs to the work order, batch and product of the reading
that closes it; it is pro-rated exactly at the window's edges. Units are the production counts
(pro-rated at the edges likewise) of the same work order, product or machine. Counts carry no
batch: a count belongs to the one batch its work order ran in (as the window's readings show);
when the work order ran in several, to the batch of the machine's increment that covers the
count's instant. Energy and units without a key go to the ``null`` key row (unattributed), so
the rows always sum to the totals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy.engine import Connection

from opslens.domain import energy, periods
from opslens.domain.comparison import compare
from opslens.domain.intervals import Interval
from opslens.domain.rounding import round_half_up
from opslens.domain.time_model import count_share
from opslens.plant.analytics import ComparisonType
from opslens.plant.energy import (
    MachineData,
    bad_input,
    clipped,
    load_machines,
    machines_and_windows,
    scope_of,
    tariff,
)
from opslens.plant.oee import OeeQuery
from opslens.plant.oee_rollups import count_of
from opslens.plant.sites import Site
from opslens.store import oee as oee_store

Dimension = Literal["work_order", "batch", "product", "machine"]
SeriesBy = Literal["machine", "product"]
READING_KEY = {"work_order": "work_order_id", "batch": "batch_id", "product": "product_id",
               "machine": "machine_id"}
MAX_BUCKETS = 10_000
_UNIT_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(hours=23),
                "week": timedelta(hours=167), "month": timedelta(days=28)}


class EnergyTableQuery(OeeQuery):
    """The scope and window of :class:`OeeQuery`, and the output format."""

    format: Literal["json", "csv"] | None = Field(
        None, description="`csv` for the rows as a table (or send `Accept: text/csv`).")

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and value.tzinfo is None:  # said here so the error names it
            raise ValueError(f"{info.field_name} needs a UTC offset, e.g. "
                             "2025-10-14T06:00:00+02:00")
        return value


class EnergyTrendQuery(EnergyTableQuery):
    granularity: periods.Granularity = Field(
        "day", description="Buckets: local hours, days, weeks (from Monday) or months.")
    by: SeriesBy | None = Field(None, description="Also one series per machine or product.")


class EnergyComparisonQuery(EnergyTableQuery):
    comparison_type: ComparisonType = Field("previous_period",
                                            description="The period to compare with.")
    by: SeriesBy = Field("machine", description="Rank machines or products.")


def _batch_of_counts(data: list[MachineData]
                     ) -> Callable[[MachineData, dict[str, Any]], str | None]:
    """How a count finds its batch: through its work order (see the module docstring)."""
    batches: dict[str, set[str]] = defaultdict(set)
    for m in data:
        for reading, _ in m.increments:
            if reading["work_order_id"] is not None and reading["batch_id"] is not None:
                batches[reading["work_order_id"]].add(reading["batch_id"])

    ends: dict[str, list[datetime]] = {}

    def batch(m: MachineData, count: dict[str, Any]) -> str | None:
        found = batches.get(count["work_order_id"], set())
        if len(found) <= 1:
            return next(iter(found), None)
        at = count["counted_at"]  # the increment (start, end] that holds it, if any
        mine = ends.setdefault(m.machine["id"], [inc.end for _, inc in m.increments])
        i = bisect_left(mine, at)
        if i < len(mine):
            reading, inc = m.increments[i]
            if (inc.start is None and inc.end == at) or (inc.start is not None
                                                         and inc.start < at):
                return reading["batch_id"] if reading["batch_id"] in found else None
        return None

    return batch


def _count_key(dimension: str, data: list[MachineData]
               ) -> Callable[[MachineData, dict[str, Any]], str | None]:
    if dimension == "batch":
        return _batch_of_counts(data)
    column = READING_KEY[dimension]
    return lambda _m, count: count[column]


@dataclass
class Tally:
    """Energy [kWh] and units of one key (or of a bucket), with where they came from."""

    kwh: float = 0.0
    units: float = 0.0
    good: float = 0.0
    cost: float | None = 0.0
    machines: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)
    last_day: date | None = None

    def add_site_day(self, day: date) -> None:
        self.last_day = day if self.last_day is None else max(self.last_day, day)


def _kwh(value: float | None) -> float | None:
    return None if value is None else round_half_up(value, 3)


def intensity(t: Tally) -> dict[str, Any]:
    """kWh, units and kWh per unit and per good unit (None when no unit), rounded."""
    return {"kwh": _kwh(t.kwh), "units": round_half_up(t.units, 3),
            "good_units": round_half_up(t.good, 3),
            "kwh_per_unit": _kwh(energy.kwh_per_unit(t.kwh, t.units)),
            "kwh_per_good_unit": _kwh(energy.kwh_per_good_unit(t.kwh, t.good))}


def tally(dimension: str, data: list[MachineData]) -> dict[str | None, Tally]:
    """Energy and units of every key of ``dimension`` (None: unattributed)."""
    out: dict[str | None, Tally] = defaultdict(Tally)
    column, count_key = READING_KEY[dimension], _count_key(dimension, data)
    for m in data:
        tagged = [((reading[column], reading["product_id"]), inc) for reading, inc in m.increments]
        for (key, product), kwh in energy.kwh_by_key(tagged, m.window).items():
            if kwh > 0:
                out[key].kwh += kwh
                out[key].machines.add(m.machine["id"])
                out[key].add_site_day(m.last_day)
                if product is not None:
                    out[key].products.add(product)
        for count, share in m.counts:
            t = out[count_key(m, count)]
            t.units += share * count["total"]
            t.good += share * count["good"]
            t.machines.add(m.machine["id"])
            t.add_site_day(m.last_day)
            if count["product_id"] is not None:
                t.products.add(count["product_id"])
    return dict(out)


def baseline_for(rows: list[dict[str, Any]], machine_id: str | None, product_id: str | None,
                 day: date | None) -> dict[str, Any] | None:
    """The most specific kWh-per-unit baseline in force on ``day``: the product's on the
    machine, else the product's anywhere, else the machine's own; the latest effective."""
    if day is None:
        return None
    levels = [(machine_id, product_id), (None, product_id), (machine_id, None)]
    for m, p in levels:
        if (m, p) == (None, None):
            continue
        found = [r for r in rows if (r["machine_id"], r["product_id"]) == (m, p)
                 and r["kwh_per_unit"] is not None and r["effective_date"] <= day]
        if found:
            return max(found, key=lambda r: r["effective_date"])
    return None


def _one(values: set[str]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


def by_dimension(conn: Connection, org: str, dimension: Dimension, query: EnergyTableQuery
                 ) -> dict[str, Any]:
    """kWh, units and kWh per unit of every work order, batch, product or machine in the
    window, each with its share of the kWh and its baseline deviation (flagged beyond 10 %)."""
    as_of = query.resolved_as_of()
    machines, sites, windows = machines_and_windows(conn, org, query, as_of)
    data = load_machines(conn, org, machines, sites, windows, as_of)
    tallies = tally(dimension, data)
    total = Tally(kwh=sum(t.kwh for t in tallies.values()),
                  units=sum(t.units for t in tallies.values()),
                  good=sum(t.good for t in tallies.values()))
    names = {m["id"]: m["name"] for m in machines}
    baselines = oee_store.baselines(conn, org)
    rows = []
    for key, t in tallies.items():
        machine = key if dimension == "machine" else _one(t.machines)
        baseline = None if key is None else baseline_for(baselines, machine, _one(t.products),
                                                         t.last_day)
        figures = intensity(t)
        deviation = energy.baseline_deviation_pct(
            energy.kwh_per_unit(t.kwh, t.units), baseline and baseline["kwh_per_unit"])
        rows.append({
            "key": key, "unattributed": key is None,
            **({"name": names.get(key)} if dimension == "machine" else {}),
            "machine_ids": sorted(t.machines), **figures,
            "kwh_share_pct": (None if total.kwh == 0
                              else round_half_up(100 * t.kwh / total.kwh, 2)),
            "baseline": None if baseline is None else {
                k: baseline[k] for k in ("id", "machine_id", "product_id", "kwh_per_unit",
                                         "effective_date")},
            "deviation_pct": None if deviation is None else round_half_up(deviation, 2),
            "flagged": energy.deviation_flag(deviation),
        })
    rows.sort(key=lambda r: (r["key"] is None, -r["kwh"], -r["units"], r["key"] or ""))
    return {"dimension": dimension, "scope": scope_of(query), "as_of": as_of,
            "window": _span([m.window for m in data]), "totals": intensity(total),
            "rows": rows, "count": len(rows)}


def _span(windows: Iterable[Interval]) -> dict[str, datetime | None]:
    windows = list(windows)
    return {"start": min((w[0] for w in windows), default=None),
            "end": max((w[1] for w in windows), default=None)}


def by_dimension_table(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of :func:`by_dimension` flattened for CSV."""
    return [{**{k: v for k, v in row.items() if k not in ("baseline", "machine_ids")},
             "machine_ids": " ".join(row["machine_ids"]),
             "baseline_kwh_per_unit": row["baseline"] and row["baseline"]["kwh_per_unit"]}
            for row in body["rows"]]


# ---- trends ------------------------------------------------------------------------------------

@dataclass
class _Cell:
    period: str
    start: datetime
    end: datetime
    tally: Tally = field(default_factory=Tally)

    def out(self) -> dict[str, Any]:
        cost = self.tally.cost
        return {"period": self.period, "start": self.start, "end": self.end,
                "hours": round_half_up((self.end - self.start) / timedelta(hours=1), 6),
                **intensity(self.tally), "cost": None if cost is None else round_half_up(cost, 2)}


def _cells(granularity: str, buckets: list[periods.Bucket], into: dict[Any, _Cell]) -> list[Any]:
    """Make sure ``into`` has a cell per bucket (merged by label across sites); their keys."""
    keys = []
    for b in buckets:
        key = b.start if granularity == "hour" else b.label
        cell = into.setdefault(key, _Cell(b.label, b.start, b.end))
        cell.start, cell.end = min(cell.start, b.start), max(cell.end, b.end)
        keys.append(key)
    return keys


def _series_cells(cells: dict[Any, _Cell], granularity: str, buckets: list[periods.Bucket],
                  priced: bool) -> list[_Cell]:
    """A series' cells for one machine's buckets, in bucket order (cost unknown if unpriced)."""
    found = [cells[k] for k in _cells(granularity, buckets, cells)]
    if not priced:
        for cell in found:
            _add(cell, cost=None)
    return found


def _add(cell: _Cell, kwh: float = 0.0, units: float = 0.0, good: float = 0.0,
         cost: float | None = 0.0) -> None:
    t = cell.tally
    t.kwh, t.units, t.good = t.kwh + kwh, t.units + units, t.good + good
    t.cost = None if cost is None or t.cost is None else t.cost + cost


def _unit_shares(count: dict[str, Any], buckets: list[periods.Bucket], starts: list[datetime]
                 ) -> Iterable[tuple[int, float]]:
    """(bucket index, share of the count) for the buckets a count falls in."""
    c = count_of(count)
    i = max(bisect_right(starts, c.period_start or c.counted_at) - 1, 0)
    while i < len(buckets) and buckets[i].start <= c.counted_at:
        share = count_share(c, (buckets[i].start, buckets[i].end))
        if share > 0:
            yield i, share
        i += 1


def _tariffs(conn: Connection, org: str, sites: dict[str, Site]
             ) -> tuple[dict[str, list[energy.Tariff] | None], str | None]:
    rows = {sid: oee_store.tariffs(conn, org, sid) for sid in sites}
    currencies = sorted({r["currency"] for found in rows.values() for r in found})
    if len(currencies) > 1:  # costs in different currencies do not add up
        return dict.fromkeys(sites), ", ".join(currencies)
    return ({sid: [tariff(r) for r in found] or None for sid, found in rows.items()},
            currencies[0] if currencies else None)


def trends(conn: Connection, org: str, query: EnergyTrendQuery) -> dict[str, Any]:
    """kWh, units, kWh per unit and cost per local hour, day, week or month of the scope, and
    optionally one series per machine or product; plus the totals of the window."""
    as_of = query.resolved_as_of()
    machines, sites, windows = machines_and_windows(conn, org, query, as_of)
    buckets: dict[str, list[periods.Bucket]] = {}
    for sid, site in sites.items():
        lo, hi = clipped(windows[sid], as_of)
        if (hi - lo) / _UNIT_LENGTH[query.granularity] > MAX_BUCKETS:
            raise bad_input("granularity", f"the window has more than {MAX_BUCKETS} "
                            f"{query.granularity} buckets; use a coarser granularity or a "
                            "shorter window")
        buckets[sid] = periods.calendar_buckets((lo, hi), site.tz, query.granularity)
    data = load_machines(conn, org, machines, sites, windows, as_of)
    tariffs, currency = _tariffs(conn, org, sites)
    column = READING_KEY[query.by] if query.by else None
    total: dict[Any, _Cell] = {}
    series: dict[str | None, dict[Any, _Cell]] = defaultdict(dict)
    cache: dict[tuple[str, str | None], list[_Cell]] = {}

    def cells_of(m: MachineData, key: str | None) -> list[_Cell]:
        """The cells of ``key``'s series for machine ``m``'s buckets, made on first use."""
        if (m.machine["id"], key) not in cache:
            cache[m.machine["id"], key] = _series_cells(
                series[key], query.granularity, buckets[m.site.id],
                tariffs[m.site.id] is not None)
        return cache[m.machine["id"], key]

    for m in data:
        mine, rates = buckets[m.site.id], tariffs[m.site.id]
        keys = _cells(query.granularity, mine, total)
        if rates is None:
            for k in keys:
                _add(total[k], cost=None)
        if query.by == "machine":
            cells_of(m, m.machine["id"])
        groups: dict[str | None, list[energy.Increment]] = defaultdict(list)
        for reading, inc in m.increments:
            groups[reading[column] if column else None].append(inc)
        for key, items in groups.items():
            kwh = energy.by_bucket(items, mine)
            costs = (energy.cost_by_bucket(items, rates, m.site.tz, mine) if rates
                     else [None] * len(mine))
            for i, k in enumerate(keys):
                _add(total[k], kwh[i], cost=costs[i])
            if column:
                for i, cell in enumerate(cells_of(m, key)):
                    _add(cell, kwh[i], cost=costs[i])
        starts = [b.start for b in mine]
        for count, _ in m.counts:
            for i, share in _unit_shares(count, mine, starts):
                units, good = share * count["total"], share * count["good"]
                _add(total[keys[i]], units=units, good=good)
                if column:
                    _add(cells_of(m, count[column])[i], units=units, good=good)
    out_series = None
    if column:
        out_series = [{"key": key, **_summed(cells)} for key, cells in series.items()]
        out_series.sort(key=lambda s: (s["key"] is None, -s["totals"]["kwh"], s["key"] or ""))
    return {"scope": scope_of(query), "as_of": as_of,
            "window": _span(m.window for m in data),
            "granularity": query.granularity, "by": query.by, "currency": currency,
            **_summed(total), "series": out_series}


def _summed(cells: dict[Any, _Cell]) -> dict[str, Any]:
    ordered = sorted(cells.values(), key=lambda c: c.start)
    t = Tally(kwh=sum(c.tally.kwh for c in ordered), units=sum(c.tally.units for c in ordered),
              good=sum(c.tally.good for c in ordered))
    t.cost = None if any(c.tally.cost is None for c in ordered) else sum(
        c.tally.cost or 0.0 for c in ordered)
    return {"totals": {**intensity(t), "cost": None if t.cost is None
                       else round_half_up(t.cost, 2)},
            "buckets": [c.out() for c in ordered]}


def trends_table(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The buckets of :func:`trends` for CSV: one row per bucket, or per series and bucket."""
    if body["series"] is None:
        return body["buckets"]
    return [{body["by"]: s["key"], **b} for s in body["series"] for b in s["buckets"]]


# ---- comparison --------------------------------------------------------------------------------

METRICS = ("kwh", "units", "good_units", "kwh_per_unit", "kwh_per_good_unit")
RANKED_BY = "kwh_per_good_unit"


def _compared(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    return {name: compare(now[name], before[name], energy.DIRECTIONS[name], ndigits=3)
            for name in METRICS}


def comparisons(conn: Connection, org: str, query: EnergyComparisonQuery) -> dict[str, Any]:
    """The scope and each machine (or product) now and in the comparison period, every metric
    compared by its declared direction; ranked best to worst by kWh per good unit (lower is
    better), those without good units last."""
    if query.work_order_id is not None:
        raise bad_input("work_order_id", "a comparison needs a period, not a work order: "
                        "give time_period, date_from/date_to, start/end or a shift")
    as_of = query.resolved_as_of()
    machines, sites, windows = machines_and_windows(conn, org, query, as_of)
    earlier = {sid: periods.comparison_window(w, sites[sid].tz, query.comparison_type)
               for sid, w in windows.items()}
    now_data = load_machines(conn, org, machines, sites, windows, as_of)
    then_data = load_machines(conn, org, machines, sites, earlier, as_of)
    now, then = tally(query.by, now_data), tally(query.by, then_data)
    if query.by == "machine":
        for m in machines:
            now.setdefault(m["id"], Tally())
            then.setdefault(m["id"], Tally())
    names = {m["id"]: m["name"] for m in machines}

    def pooled(tallies: dict[str | None, Tally]) -> dict[str, Any]:
        return intensity(Tally(kwh=sum(t.kwh for t in tallies.values()),
                               units=sum(t.units for t in tallies.values()),
                               good=sum(t.good for t in tallies.values())))

    rows = []
    for key in set(now) | set(then):
        current, previous = intensity(now.get(key, Tally())), intensity(then.get(key, Tally()))
        rows.append({"key": key, "unattributed": key is None,
                     **({"name": names.get(key)} if query.by == "machine" else {}),
                     "rank": None, "current": current, "previous": previous,
                     "comparison": _compared(current, previous)})
    rows.sort(key=lambda r: (r["key"] is None, r["current"][RANKED_BY] is None,
                             r["current"][RANKED_BY] or 0.0, r["key"] or ""))
    for rank, row in enumerate(
            (r for r in rows if r["key"] is not None and r["current"][RANKED_BY] is not None),
            start=1):
        row["rank"] = rank
    summary_now, summary_then = pooled(now), pooled(then)
    return {
        "scope": scope_of(query), "as_of": as_of, "by": query.by,
        "comparison_type": query.comparison_type,
        "current_period": _span(m.window for m in now_data),
        "comparison_period": _span(m.window for m in then_data),
        "directions": {name: energy.DIRECTIONS[name].value for name in METRICS},
        "ranked_by": RANKED_BY,
        "summary": {"current": summary_now, "previous": summary_then,
                    "comparison": _compared(summary_now, summary_then)},
        "rows": rows, "count": len(rows),
    }


def comparisons_table(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of :func:`comparisons` flattened for CSV: a metric's current, previous,
    percentage change and status side by side."""
    out = []
    for row in body["rows"]:
        flat = {body["by"]: row["key"], "rank": row["rank"]}
        for name in METRICS:
            result = row["comparison"][name]
            flat |= {f"{name}_current": result["current"], f"{name}_previous": result["previous"],
                     f"{name}_change_pct": result["percentage_change"],
                     f"{name}_status": result["status"]}
        out.append(flat)
    return out
