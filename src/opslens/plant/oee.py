"""OEE of a machine, line, site or organization over a window (seed 004 §4.1, DESIGN.md §5.5).

The window is a custom ``[start, end)``, a named period or date range (local days of each
site), one shift on one date, or a work order's span. Every machine in scope gets its own time
model (:func:`opslens.domain.time_model.machine_inputs`); lines, sites and the organization
are pooled from those sums, never averaged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import Field, field_validator, model_validator
from sqlalchemy.engine import Connection

from opslens.domain import oee as formulas
from opslens.domain import reliability
from opslens.domain.calendars import shift_at, shift_instances
from opslens.domain.downtime import (
    DEFAULT_MINOR_STOP_S,
    resolve,
)
from opslens.domain.intervals import Interval, local_day_bounds
from opslens.domain.periods import EARLIEST, LATEST, check_day, local_today, resolve_period
from opslens.domain.rounding import round_half_up
from opslens.errors import InvalidInput, NotFound
from opslens.plant import oee_rollups, targets
from opslens.plant.analytics import AsOfQuery, PeriodName
from opslens.plant.oee_rollups import Reasons
from opslens.plant.sites import Site, load_site
from opslens.store import oee as oee_store
from opslens.store import plant as plant_store

LOSS_NAMES = ("fully_productive", "breakdowns", "setup_adjustments", "minor_stops",
              "reduced_speed", "process_defects", "reduced_yield")
Day = date  # the field named `date` below shadows the type in the class body
#: The longest window of one query: each of its hours is read or computed (about 3 years).
MAX_WINDOW = timedelta(days=1100)


class OeeQuery(AsOfQuery):
    """What to measure (one of machine_id, line_id, site_id, or none for the organization)
    and over which window (start/end, a named period, a shift on a date, or a work order)."""

    machine_id: str | None = None
    line_id: str | None = None
    site_id: str | None = None
    start: datetime | None = Field(None, description="Window start (ISO 8601 with offset).")
    end: datetime | None = Field(None, description="Window end, exclusive.")
    time_period: PeriodName | None = Field(None, description="Named period in local days.")
    date_from: Day | None = None
    date_to: Day | None = None
    shift_id: str | None = Field(None, description="A shift; with `date`, that occurrence.")
    date: Day | None = Field(None, description="Local date the shift starts on.")
    work_order_id: str | None = Field(None, description="The span of a work order.")
    minor_stop_seconds: float = Field(DEFAULT_MINOR_STOP_S, ge=0, le=86400,
                                      description="Stops shorter than this are minor stops.")
    include_machines: bool = Field(True, description="Add each machine's own result.")

    @field_validator("start", "end", "date", "date_from", "date_to")
    @classmethod
    def _in_calendar(cls, value: date | None, info) -> date | None:
        if value is None:
            return None
        try:
            check_day(value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo
                      else value, info.field_name)
        except (InvalidInput, OverflowError) as exc:
            raise ValueError(f"out of range: use a date between {EARLIEST} and "
                             f"{LATEST}") from exc
        return value

    @model_validator(mode="after")
    def _one_window(self) -> OeeQuery:
        given = [name for name, on in (
            ("start/end", self.start is not None or self.end is not None),
            ("time_period", self.time_period is not None),
            ("shift_id", self.shift_id is not None),
            ("work_order_id", self.work_order_id is not None)) if on]
        if len(given) > 1:
            raise ValueError(f"give one window, not {' and '.join(given)}")
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a UTC offset, e.g. 2025-10-14T06:00:00+02:00")

        if self.start is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.shift_id is not None and self.date is None:
            raise ValueError("a shift window needs `date`, the local date the shift starts on")
        if sum(x is not None for x in (self.machine_id, self.line_id, self.site_id)) > 1:
            raise ValueError("give at most one of machine_id, line_id, site_id")
        return self

    @property
    def scope(self) -> tuple[str, str]:
        for kind in ("machine", "line", "site"):
            value = getattr(self, f"{kind}_id")
            if value is not None:
                return kind, value
        return "organization", ""


def machines_in_scope(conn: Connection, org: str, query: OeeQuery) -> list[dict[str, Any]]:
    kind, ref = query.scope
    if query.work_order_id is not None:
        order = plant_store.work_orders_by_id(conn, org, [query.work_order_id])
        if not order:
            raise NotFound(f"unknown work order {query.work_order_id!r}")
        if kind not in ("organization", "machine") or (
                kind == "machine" and ref != order[0]["machine_id"]):
            raise InvalidInput(f"work order {query.work_order_id!r} runs on machine "
                               f"{order[0]['machine_id']!r}; leave out the other scope")
        kind, ref = "machine", order[0]["machine_id"]
    found = plant_store.machines(conn, org, **({f"{kind}_id": ref} if ref else {}))
    if not found and kind != "organization":
        raise NotFound(f"unknown {kind} {ref!r}, or it has no machines")
    return found


def window_of(conn: Connection, org: str, query: OeeQuery, site: Site, as_of: datetime
              ) -> Interval:
    """The query's window as real instants, in this site's calendar."""
    if query.start is not None:
        if query.end - query.start > MAX_WINDOW:
            raise InvalidInput(f"a window may span at most {MAX_WINDOW.days} days; use "
                               "/api/oee/analytics/trends for longer histories",
                               [{"field": "end", "reason": "window too long"}])
        return query.start, query.end
    if query.work_order_id is not None:
        order = plant_store.work_orders_by_id(conn, org, [query.work_order_id])[0]
        return order["start_time"], order["end_time"] or as_of
    if query.shift_id is not None:
        match = [s for s in site.shifts if s.id == query.shift_id]
        if not match:
            raise NotFound(f"site {site.id!r} has no shift {query.shift_id!r}; its shifts: "
                           f"{', '.join(s.id for s in site.shifts) or 'none'}")
        for instance in shift_instances(match, query.date, query.date, site.tz):
            if instance.day == query.date:
                return instance.interval
        raise InvalidInput(f"shift {query.shift_id!r} does not run on {query.date} "
                           "(not one of its weekdays)")
    period = resolve_period(query.time_period or "today", local_today(as_of, site.tz),
                            query.date_from, query.date_to)
    if len(period) > MAX_WINDOW.days:
        raise InvalidInput(f"a period may span at most {MAX_WINDOW.days} days, not "
                           f"{len(period)}", [{"field": "date_from", "reason": "too long"}])
    return (local_day_bounds(period.start, site.tz)[0],
            local_day_bounds(period.end, site.tz)[1])


def calculate(conn: Connection, org: str, query: OeeQuery,
              known: tuple[list[dict[str, Any]], Site] | None = None) -> dict[str, Any]:
    """OEE of the query's scope and window: pooled result, losses, reliability, machines.
    ``known``: the scope's machines and their site, when the caller has loaded them."""
    as_of = query.resolved_as_of()
    machines = known[0] if known else machines_in_scope(conn, org, query)
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for machine in machines:
        by_site[machine["site_id"]].append(machine)
    per_machine: list[tuple[dict[str, Any], formulas.OeeInputs]] = []
    windows: dict[str, Interval] = {}
    sites: dict[str, Site] = {known[1].id: known[1]} if known else {}
    for site_id, site_machines in sorted(by_site.items()):
        site = sites[site_id] = sites.get(site_id) or load_site(conn, org, site_id)
        window = windows[site_id] = window_of(conn, org, query, site, as_of)
        per_machine += machine_sums(conn, org, site, site_machines, window, as_of,
                                    query.minor_stop_seconds, query.work_order_id)
    pooled = sum((inputs for _, inputs in per_machine), formulas.OeeInputs())
    kind, ref = query.scope
    starts = [w[0] for w in windows.values()]
    ends = [w[1] for w in windows.values()]
    out = {
        "scope": {"type": kind, "id": ref or None, "work_order_id": query.work_order_id},
        "window": {"start": min(starts) if starts else None,
                   "end": max(ends) if ends else None},
        "as_of": as_of,
        "machine_count": len(machines),
        **serialize(pooled),
    }
    out["targets"] = _against_targets(conn, org, query, machines, sites, windows, out)
    if query.include_machines:
        out["machines"] = [{"machine_id": m["id"], "name": m["name"], "line_id": m["line_id"],
                            "site_id": m["site_id"], **serialize(inputs)}
                           for m, inputs in per_machine]
    return out


def _against_targets(conn: Connection, org: str, query: OeeQuery,
                     machines: list[dict[str, Any]], sites: dict[str, Site],
                     windows: dict[str, Interval],
                     result: dict[str, Any]) -> dict[str, Any] | None:
    """The target in force for the scope on the window's last day, and the result against it
    (percentage points; met when the actual reaches the target)."""
    if not machines or not windows:
        return None
    kind, ref = query.scope
    first = machines[0]
    levels: dict[str, str | None] = {"machine": None, "line": None, "site": None}
    if kind == "machine" or query.work_order_id is not None:
        levels = {"machine": first["id"], "line": first["line_id"], "site": first["site_id"]}
    elif kind == "line":
        levels["line"], levels["site"] = ref, first["site_id"]
    elif kind == "site":
        levels["site"] = ref
    site = sites[first["site_id"]]
    end = min(windows[first["site_id"]][1], result["as_of"])
    day = (end - timedelta(microseconds=1)).astimezone(site.tz).date()
    target = targets.target_for(oee_store.targets(conn, org), levels, day)
    if target is None:
        return None
    out: dict[str, Any] = {"id": target["id"], "scope": target["scope"],
                           "reference_id": target["reference_id"] or None}
    for name in ("oee", "availability", "performance", "quality"):
        goal, actual = target[f"{name}_target"], result[name]
        out[name] = None if goal is None else {
            "target": goal, "actual": actual,
            "gap": None if actual is None else round_half_up(actual - goal, 2),
            "met": None if actual is None else actual >= goal}
    return out


def realtime(conn: Connection, org: str, machine_id: str, as_of: datetime,
             minor_stop_s: float = DEFAULT_MINOR_STOP_S) -> dict[str, Any]:
    """The machine's OEE in its current shift so far (its local day when no shift runs), and
    whether it is down at ``as_of`` (a logged stop covers that instant) and why."""
    found = plant_store.machines(conn, org, machine_id=machine_id)
    if not found:
        raise NotFound(f"unknown machine {machine_id!r}")
    site = load_site(conn, org, found[0]["site_id"])
    shift = shift_at(site.shifts, as_of, site.tz)
    window = (shift.interval if shift is not None
              else local_day_bounds(local_today(as_of, site.tz), site.tz))
    query = OeeQuery(machine_id=machine_id, start=window[0], end=window[1], as_of=as_of,
                     minor_stop_seconds=minor_stop_s, include_machines=False)
    result = calculate(conn, org, query, known=(found, site))  # not loaded a second time
    reasons = Reasons.load(conn, org)
    stops = [reasons.stop(row) for row in oee_store.stops(
        conn, org, [machine_id], as_of - timedelta(microseconds=1), as_of)]
    current = [p for p in resolve(stops, as_of) if p.end >= as_of]
    stop = current[-1].stop if current else None
    return {
        **result,
        "machine": {k: found[0][k] for k in ("id", "name", "site_id", "line_id")},
        "shift": None if shift is None else {"id": shift.shift_id, "name": shift.name,
                                             "date": shift.day.isoformat()},
        "state": "down" if stop is not None else "up",
        "current_stop": None if stop is None else {
            "id": stop.id, "reason_code": stop.reason_code, "planned": stop.planned,
            "start_time": stop.start, "minutes": _minutes((as_of - stop.start).total_seconds())},
    }


def machine_sums(conn: Connection, org: str, site: Site, machines: list[dict[str, Any]],
                 window: Interval, as_of: datetime, minor_stop_s: float,
                 work_order_id: str | None = None
                 ) -> list[tuple[dict[str, Any], formulas.OeeInputs]]:
    """Each machine's sums over ``window``: stored hours and days where they hold, the rest
    computed (:func:`opslens.plant.oee_rollups.cover`)."""
    coverage = oee_rollups.cover(conn, org, site, machines, window, as_of,
                                 minor_stop_s=minor_stop_s, work_order_id=work_order_id)
    sums = oee_rollups.pooled(conn, org, coverage, ("machine_id",))
    return [(m, sums.get((m["id"],), formulas.OeeInputs())) for m in machines]


def _pct(value: float | None) -> float | None:
    return None if value is None else round_half_up(100 * value, 2)


def _minutes(seconds: float) -> float:
    return round_half_up(seconds / 60, 2)


def _ratios(inputs: formulas.OeeInputs) -> dict[str, Any]:
    result = formulas.evaluate(inputs)
    return {
        "oee": _pct(result.oee),
        "availability": _pct(result.availability),
        "performance": _pct(result.performance),
        "performance_raw": _pct(result.performance_raw),
        "performance_capped": result.performance_capped,
        "quality": _pct(result.quality),
        "teep": _pct(result.teep),
        "utilization": _pct(result.utilization),
    }


def summary(inputs: formulas.OeeInputs) -> dict[str, Any]:
    """The short form of a result, for the points of trends and comparisons."""
    return {
        **_ratios(inputs),
        "planned_production_minutes": _minutes(inputs.planned_production_s),
        "run_minutes": _minutes(inputs.run_s),
        "unplanned_downtime_minutes": _minutes(inputs.unplanned_downtime_s),
        "counts": {name: round_half_up(getattr(inputs, f"{name}_count"), 3)
                   for name in ("total", "good", "scrap")},
    }


def serialize(inputs: formulas.OeeInputs) -> dict[str, Any]:
    """One result as the API shows it: percentages (2 decimals), minutes, counts."""
    losses = formulas.six_big_losses(inputs)
    shares = losses.shares or {}
    run_s = inputs.run_s
    return {
        **_ratios(inputs),
        "time_model": {
            "all_time_minutes": _minutes(inputs.all_time_s),
            "scheduled_minutes": _minutes(inputs.scheduled_s),
            "planned_downtime_minutes": _minutes(inputs.planned_downtime_s),
            "planned_production_minutes": _minutes(inputs.planned_production_s),
            "unplanned_downtime_minutes": _minutes(inputs.unplanned_downtime_s),
            "minor_stop_minutes": _minutes(inputs.minor_stop_s),
            "run_minutes": _minutes(run_s),
            "ideal_output_minutes": _minutes(inputs.ideal_output_s),
        },
        "counts": {
            "total": round_half_up(inputs.total_count, 3),
            "good": round_half_up(inputs.good_count, 3),
            "scrap": round_half_up(inputs.scrap_count, 3),
            "rework": round_half_up(inputs.rework_count, 3),
            "startup_rejects": round_half_up(inputs.startup_reject_count, 3),
            "without_ideal_cycle_time": round_half_up(inputs.unknown_ideal_count, 3),
        },
        "losses": {name: {"minutes": _minutes(getattr(losses, f"{name}_s")),
                          "share": _pct(shares.get(name))}
                   for name in LOSS_NAMES},
        "reliability": {
            "failures": inputs.failures,
            "mtbf_minutes": _opt_minutes(reliability.mtbf_s(run_s, inputs.failures)),
            "mttr_minutes": _opt_minutes(reliability.mttr_s(inputs.repair_s, inputs.failures)),
        },
        "production_rate_per_hour": _opt(reliability.production_rate(inputs.total_count, run_s)),
    }


def _opt(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round_half_up(value, digits)


def _opt_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else _minutes(seconds)
