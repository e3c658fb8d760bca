"""Energy of a machine (seed 004 §4.5, §7.5): consumption over a window, per local day, per
unit and per good unit, against its baseline; and the machines' increments and counts over a
window that :mod:`opslens.plant.energy_analytics` reads."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.engine import Connection

from opslens.domain import energy
from opslens.domain.calendars import parse_hhmm, parse_weekdays
from opslens.domain.energy import Tariff, TouPeriod
from opslens.domain.intervals import Interval
from opslens.domain.periods import check_day
from opslens.domain.rounding import round_half_up
from opslens.domain.time_model import count_share
from opslens.errors import InvalidInput, NotFound
from opslens.ingest.service import write_one
from opslens.plant.oee import OeeQuery, machines_in_scope, window_of
from opslens.plant.oee_rollups import count_of
from opslens.plant.sites import Site, load_site
from opslens.store import oee as oee_store
from opslens.store import plant as plant_store

_TICK = timedelta(microseconds=1)


class EnergyQuery(OeeQuery):
    granularity: Literal["day", "hour"] = Field("day", description="Buckets of the series.")


def _kwh(value: float | None) -> float | None:
    return None if value is None else round_half_up(value, 3)


def _increments(conn: Connection, org: str, machine_id: str, lo: datetime, hi: datetime,
                 as_of: datetime) -> list[energy.Increment]:
    """The machine's energy increments that reach into [lo, hi), as known at ``as_of``."""
    rows = oee_store.readings_around(conn, org, machine_id, lo, hi)
    return energy.increments(
        energy.Reading(r["reading_time"], r["kwh_consumed"], r["meter_reading"])
        for r in rows if r["reading_time"] < as_of)


def consumption(conn: Connection, org: str, machine_id: str, query: EnergyQuery
                ) -> dict[str, Any]:
    """kWh of one machine over the query's window, its series, intensity and baseline."""
    found = plant_store.machines(conn, org, machine_id=machine_id)
    if not found:
        raise NotFound(f"unknown machine {machine_id!r}")
    machine = found[0]
    as_of = query.resolved_as_of()
    site = load_site(conn, org, machine["site_id"])
    window = window_of(conn, org, query, site, as_of)
    lo, hi = window[0], max(window[0], min(window[1], as_of))
    increments = _increments(conn, org, machine_id, lo, hi, as_of)
    kwh = energy.prorate(increments, (lo, hi))
    total = good = 0.0
    for row in oee_store.counts(conn, org, [machine_id], lo, hi):
        share = count_share(count_of(row), (lo, hi))
        total += share * row["total"]
        good += share * row["good"]
    first_day = lo.astimezone(site.tz).date()
    last_day = max(first_day, (hi - timedelta(microseconds=1)).astimezone(site.tz).date())
    if query.granularity == "day":
        series = [{"period": day.isoformat(), "kwh": _kwh(value)} for day, value in
                  energy.by_local_day(increments, site.tz, first_day, last_day).items()]
    else:
        series = [{"period": start.isoformat(), "kwh": _kwh(value)} for start, value in
                  energy.by_hour(increments, site.tz, first_day, last_day).items()
                  if lo <= start < hi]
    baseline = _baseline(oee_store.baselines(conn, org), machine_id, last_day)
    per_unit = energy.kwh_per_unit(kwh, total)
    hours = (hi - lo).total_seconds() / 3600
    per_hour = kwh / hours if hours > 0 else None
    deviations = {
        "kwh_per_unit": energy.baseline_deviation_pct(
            per_unit, baseline and baseline["kwh_per_unit"]),
        "kwh_per_hour": energy.baseline_deviation_pct(
            per_hour, baseline and baseline["kwh_per_hour"]),
    }
    return {
        "machine_id": machine_id, "site_id": site.id, "as_of": as_of,
        "window": {"start": lo, "end": hi},
        "kwh": _kwh(kwh),
        "units": round_half_up(total, 3), "good_units": round_half_up(good, 3),
        "kwh_per_unit": _kwh(per_unit),
        "kwh_per_good_unit": _kwh(energy.kwh_per_good_unit(kwh, good)),
        "kwh_per_hour": _kwh(per_hour),
        "baseline": baseline,
        "deviation_pct": {k: None if v is None else round_half_up(v, 2)
                          for k, v in deviations.items()},
        "flagged": any(energy.deviation_flag(v) for v in deviations.values()),
        "granularity": query.granularity,
        "series": series,
    }


def tariff(row: dict[str, Any]) -> Tariff:
    """The domain tariff of a stored (or checked) row; raises InvalidInput when unsound."""
    periods = json.loads(row["periods"]) if isinstance(row["periods"], str) else row["periods"]
    return Tariff(row["effective_date"], row["flat_rate"], tuple(
        TouPeriod(parse_hhmm(p["start"]), parse_hhmm(p["end"]), p["rate"], p["name"],
                  parse_weekdays(p.get("weekdays")))
        for p in periods or ()))


def cost(conn: Connection, org: str, query: EnergyQuery) -> dict[str, Any]:
    """Energy cost of a machine, line, site or the organization over the query's window, by
    rate period (flat and time-of-day), from each site's tariffs (seed 004 §7.5)."""
    as_of = query.resolved_as_of()
    kwh_by: dict[str, float] = {}
    cost_by: dict[str, float] = {}
    machines_out, currencies = [], set()
    for machine in machines_in_scope(conn, org, query):
        site = load_site(conn, org, machine["site_id"])
        rows = oee_store.tariffs(conn, org, site.id)
        if not rows:
            raise InvalidInput(f"site {site.id!r} has no energy tariff; ingest energy_tariffs "
                               "(a flat rate, optionally time-of-day periods)",
                               [{"field": "site_id", "reason": "no tariff"}])
        currencies |= {r["currency"] for r in rows}
        window = window_of(conn, org, query, site, as_of)
        lo, hi = window[0], max(window[0], min(window[1], as_of))
        increments = _increments(conn, org, machine["id"], lo, hi, as_of)
        bill = energy.cost(increments, [tariff(r) for r in rows], site.tz, (lo, hi))
        for name, value in bill.kwh_by_period.items():
            kwh_by[name] = kwh_by.get(name, 0.0) + value
            cost_by[name] = cost_by.get(name, 0.0) + bill.cost_by_period[name]
        machines_out.append({"machine_id": machine["id"], "kwh": _kwh(bill.kwh),
                             "cost": round_half_up(bill.cost, 2)})
    return {
        "as_of": as_of, "currency": ", ".join(sorted(currencies)) or None,
        "kwh": _kwh(sum(kwh_by.values())), "cost": round_half_up(sum(cost_by.values()), 2),
        "by_period": [{"period": name, "kwh": _kwh(kwh_by[name]),
                       "cost": round_half_up(cost_by[name], 2)} for name in sorted(kwh_by)],
        "machines": machines_out,
    }


def _baseline(rows: list[dict[str, Any]], machine_id: str, day: date) -> dict[str, Any] | None:
    """The machine's own baseline (no product) in force on ``day``: the latest effective."""
    mine = [r for r in rows if r["machine_id"] == machine_id and r["product_id"] is None
            and r["effective_date"] <= day]
    return max(mine, key=lambda r: r["effective_date"]) if mine else None


def list_readings(conn: Connection, org: str, *, machine_id: str | None, lo: datetime | None,
                  hi: datetime | None, limit: int, offset: int) -> dict[str, Any]:
    rows, total = oee_store.readings(conn, org, machine_id=machine_id, lo=lo, hi=hi,
                                     limit=limit, offset=offset)
    return {"data": rows, "count": total, "limit": limit, "offset": offset}


def log_readings(conn: Connection, org: str, body: dict[str, Any] | list[dict[str, Any]],
                 now: datetime) -> dict[str, Any]:
    """Store one reading or a list of them (all or none: one transaction)."""
    items = body if isinstance(body, list) else [body]
    stored = [write_one(conn, org, "energy_readings", item, now) for item in items]
    return {"stored": len(stored)}


def list_baselines(conn: Connection, org: str) -> dict[str, Any]:
    rows = oee_store.baselines(conn, org)
    return {"data": rows, "count": len(rows)}


def create_baseline(conn: Connection, org: str, body: dict[str, Any], now: datetime
                    ) -> dict[str, Any]:
    body = {"id": f"B-{uuid.uuid4().hex[:12]}", **body}
    row = write_one(conn, org, "energy_baselines", body, now)
    return next(b for b in oee_store.baselines(conn, org) if b["id"] == row["id"])


# ---- machines over a window: what the energy analytics read -----------------------------------

@dataclass
class MachineData:
    """One machine's increments (each with the reading that closes it) and pro-rated counts
    over its site's window, clipped at ``as_of``."""

    machine: dict[str, Any]
    site: Site
    window: Interval
    increments: list[tuple[dict[str, Any], energy.Increment]] = field(default_factory=list)
    counts: list[tuple[dict[str, Any], float]] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        lo, hi = self.window
        return (max(lo, hi - _TICK)).astimezone(self.site.tz).date()


def bad_input(field_name: str, message: str) -> InvalidInput:
    """InvalidInput whose one error names the query parameter to fix."""
    return InvalidInput(message, [{"field": field_name, "reason": message}])


def check_range(query: OeeQuery) -> None:
    """Refuse window bounds outside the calendar opslens accepts (1900–2199), by name."""
    for name in ("start", "end", "date_from", "date_to", "date"):
        value = getattr(query, name)
        if value is not None:
            try:
                check_day(value, name)
            except InvalidInput as exc:
                raise bad_input(name, exc.message) from None


def scope_of(query: OeeQuery) -> dict[str, Any]:
    kind, ref = query.scope
    return {"type": kind, "id": ref or None, "work_order_id": query.work_order_id}


def machines_and_windows(conn: Connection, org: str, query: OeeQuery, as_of: datetime
                         ) -> tuple[list[dict[str, Any]], dict[str, Site], dict[str, Interval]]:
    """The machines in scope, their sites and each site's window (not yet clipped)."""
    check_range(query)
    machines = machines_in_scope(conn, org, query)
    sites = {sid: load_site(conn, org, sid) for sid in sorted({m["site_id"] for m in machines})}
    windows = {sid: window_of(conn, org, query, site, as_of) for sid, site in sites.items()}
    return machines, sites, windows


def clipped(window: Interval, as_of: datetime) -> Interval:
    """The window up to ``as_of`` (empty, at its start, when it lies in the future)."""
    return window[0], max(window[0], min(window[1], as_of))


def load_machines(conn: Connection, org: str, machines: list[dict[str, Any]],
                  sites: dict[str, Site], windows: dict[str, Interval], as_of: datetime
                  ) -> list[MachineData]:
    """Each machine's data over its site's window, as known at ``as_of``."""
    out = []
    for site_id, site in sites.items():
        lo, hi = clipped(windows[site_id], as_of)
        mine = [m for m in machines if m["site_id"] == site_id]
        counts: dict[str, list[tuple[dict[str, Any], float]]] = defaultdict(list)
        if hi > lo:
            for row in oee_store.counts(conn, org, [m["id"] for m in mine], lo, hi):
                share = count_share(count_of(row), (lo, hi))
                if share > 0:
                    counts[row["machine_id"]].append((row, share))
        readings = (oee_store.readings_around_machines(conn, org, [m["id"] for m in mine], lo,
                                                        hi, as_of) if hi > lo else {})
        for machine in mine:
            data = MachineData(machine, site, (lo, hi), counts=counts[machine["id"]])
            if hi > lo:
                rows = [r for r in readings[machine["id"]] if r["reading_time"] < as_of]
                closing = {r["reading_time"]: r for r in rows}
                data.increments = [(closing[i.end], i) for i in energy.increments(
                    energy.Reading(r["reading_time"], r["kwh_consumed"], r["meter_reading"])
                    for r in rows)]
            out.append(data)
    return out
