"""OEE over time and side by side (seed 004 §4.8): trends by hour, day, week or month,
comparisons with a previous period, and the machine × hour-of-day heatmap.

All three read the hourly and daily rollups (:mod:`opslens.plant.oee_rollups`) and pool the
sums of each bucket, so a week is its machines' and days' time and counts added up, never a
mean of daily OEEs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy.engine import Connection

from opslens.domain.comparison import Direction, compare
from opslens.domain.intervals import Interval
from opslens.domain.oee import OeeInputs
from opslens.domain.periods import comparison_window, unit_start
from opslens.plant import oee_rollups
from opslens.plant.analytics import ComparisonType
from opslens.plant.oee import OeeQuery, machines_in_scope, summary, window_of
from opslens.plant.sites import Site, load_site

Granularity = Literal["hour", "day", "week", "month"]
GroupBy = Literal["machine", "line", "shift"]
HeatmapMetric = Literal["running", "availability", "performance", "quality", "oee",
                        "utilization"]

#: Which way each compared figure improves (declared once, DESIGN.md §3).
DIRECTIONS = {
    "oee": Direction.higher_is_better, "availability": Direction.higher_is_better,
    "performance": Direction.higher_is_better, "quality": Direction.higher_is_better,
    "teep": Direction.higher_is_better, "utilization": Direction.neutral,
    "run_minutes": Direction.higher_is_better,
    "unplanned_downtime_minutes": Direction.lower_is_better,
    "total": Direction.higher_is_better, "good": Direction.higher_is_better,
    "scrap": Direction.lower_is_better,
}


class _Grouped(OeeQuery):
    by: GroupBy | None = Field(None, description="One series per machine, line or shift.")

    @model_validator(mode="after")
    def _no_work_order(self) -> _Grouped:
        if self.work_order_id is not None:
            raise ValueError("analytics take a period, not a work order; use /api/oee/calculate")
        return self


class TrendQuery(_Grouped):
    granularity: Granularity = Field("day", description="Bucket size (site's local calendar).")


class ComparisonQuery(_Grouped):
    comparison_type: ComparisonType = "previous_period"


class HeatmapQuery(OeeQuery):
    metric: HeatmapMetric = Field("running", description=(
        "running: run time / calendar time; utilization: planned production / calendar time; "
        "or availability, performance, quality, oee."))


def _window(query: OeeQuery) -> OeeQuery:
    """Trends default to the last 30 days, not today."""
    if (query.start is None and query.time_period is None and query.shift_id is None):
        return query.model_copy(update={"time_period": "last_30_days"})
    return query


def _sites(conn: Connection, org: str, query: OeeQuery
           ) -> list[tuple[Site, list[dict[str, Any]]]]:
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for machine in machines_in_scope(conn, org, query):
        by_site[machine["site_id"]].append(machine)
    return [(load_site(conn, org, site_id), machines)
            for site_id, machines in sorted(by_site.items())]


def _group_of(by: GroupBy | None, machines: dict[str, dict[str, Any]]
              ) -> tuple[tuple[str, ...], Callable[[tuple], str | None]]:
    """The rollup columns a grouping needs, and how a row's key names its series."""
    if by == "shift":
        return ("shift_id",), lambda key: key[0] or None
    if by == "machine":
        return ("machine_id",), lambda key: key[0]
    if by == "line":
        return ("machine_id",), lambda key: machines[key[0]]["line_id"]
    return (), lambda key: None


def _bucket(granularity: Granularity, key: Any) -> Any:
    return key if granularity == "hour" else unit_start(key, granularity)


def trends(conn: Connection, org: str, query: TrendQuery) -> dict[str, Any]:
    """The scope's pooled OEE per bucket, in one series or one per machine, line or shift."""
    query = _window(query)
    as_of = query.resolved_as_of()
    time_key = "hour_start" if query.granularity == "hour" else "day"
    series: dict[str | None, dict[Any, OeeInputs]] = defaultdict(lambda: defaultdict(OeeInputs))
    names: dict[str, dict[str, Any]] = {}
    windows: list[Interval] = []
    for site, machines in _sites(conn, org, query):
        window = window_of(conn, org, query, site, as_of)
        windows.append(window)
        names.update({m["id"]: m for m in machines})
        columns, name_of = _group_of(query.by, names)
        coverage = oee_rollups.cover(conn, org, site, machines, window, as_of,
                                     minor_stop_s=query.minor_stop_seconds,
                                     hourly=query.granularity == "hour")
        for key, inputs in oee_rollups.pooled(conn, org, coverage, (time_key, *columns)).items():
            points = series[name_of(key[1:])]
            bucket = _bucket(query.granularity, key[0])
            points[bucket] = points[bucket] + inputs
    total = sum((i for points in series.values() for i in points.values()), OeeInputs())
    return {
        "scope": _scope(query), "granularity": query.granularity, "by": query.by,
        "window": _span(windows), "as_of": as_of,
        "total": summary(total),
        "series": [{"key": key, "name": _label(query.by, key, names),
                    "total": summary(sum(points.values(), OeeInputs())),
                    "points": [{"bucket": bucket, **summary(points[bucket])}
                               for bucket in sorted(points)]}
                   for key, points in sorted(series.items(), key=lambda kv: kv[0] or "")],
    }


def comparisons(conn: Connection, org: str, query: ComparisonQuery) -> dict[str, Any]:
    """The scope (and each machine, line or shift) in the period and in the comparison
    period, every figure compared in its declared direction."""
    query = _window(query)
    as_of = query.resolved_as_of()
    current: dict[str | None, OeeInputs] = defaultdict(OeeInputs)
    previous: dict[str | None, OeeInputs] = defaultdict(OeeInputs)
    names: dict[str, dict[str, Any]] = {}
    spans: dict[str, list[Interval]] = {"current": [], "previous": []}
    for site, machines in _sites(conn, org, query):
        names.update({m["id"]: m for m in machines})
        columns, name_of = _group_of(query.by, names)
        now_window = window_of(conn, org, query, site, as_of)
        then_window = comparison_window(now_window, site.tz, query.comparison_type)
        for into, window, label in ((current, now_window, "current"),
                                    (previous, then_window, "previous")):
            spans[label].append(window)
            coverage = oee_rollups.cover(conn, org, site, machines, window, as_of,
                                         minor_stop_s=query.minor_stop_seconds)
            for key, inputs in oee_rollups.pooled(conn, org, coverage, columns).items():
                into[name_of(key)] = into[name_of(key)] + inputs
    whole_now = sum(current.values(), OeeInputs())
    whole_then = sum(previous.values(), OeeInputs())
    out = {"scope": _scope(query), "comparison_type": query.comparison_type, "as_of": as_of,
           **_compared(whole_now, whole_then, _span(spans["current"]),
                       _span(spans["previous"]))}
    if query.by is not None:
        keys = sorted(set(current) | set(previous), key=lambda k: k or "")
        out["by"] = query.by
        out["items"] = [{"key": key, "name": _label(query.by, key, names),
                         **_compared(current.get(key, OeeInputs()),
                                     previous.get(key, OeeInputs()))}
                        for key in keys]
    return out


def _compared(now: OeeInputs, then: OeeInputs, now_window: Any = None,
              then_window: Any = None) -> dict[str, Any]:
    a, b = summary(now), summary(then)
    out: dict[str, Any] = {"current": a, "previous": b}
    if now_window is not None:
        out["current"] = {"window": now_window, **a}
        out["previous"] = {"window": then_window, **b}
    out["comparison"] = {name: compare(_figure(a, name), _figure(b, name), direction)
                         for name, direction in DIRECTIONS.items()}
    return out


def _figure(point: dict[str, Any], name: str) -> float | None:
    return point["counts"][name] if name in ("total", "good", "scrap") else point[name]


def heatmap(conn: Connection, org: str, query: HeatmapQuery) -> dict[str, Any]:
    """Per machine and local hour of day (0–23), the metric over the window's hours, pooled:
    when in the day machines run, stop or lose speed."""
    query = _window(query)  # type: ignore[assignment]
    as_of = query.resolved_as_of()
    rows = []
    windows: list[Interval] = []
    for site, machines in _sites(conn, org, query):
        window = window_of(conn, org, query, site, as_of)
        windows.append(window)
        coverage = oee_rollups.cover(conn, org, site, machines, window, as_of,
                                     minor_stop_s=query.minor_stop_seconds, hourly=True)
        cells = oee_rollups.pooled(conn, org, coverage, ("machine_id", "hour"))
        for m in machines:
            per_hour = [cells.get((m["id"], hour), OeeInputs()) for hour in range(24)]
            rows.append({"machine_id": m["id"], "name": m["name"], "line_id": m["line_id"],
                         "site_id": site.id,
                         "cells": [{"hour": hour, **_cell(query.metric, inputs)}
                                   for hour, inputs in enumerate(per_hour)]})
    return {"scope": _scope(query), "metric": query.metric, "window": _span(windows),
            "as_of": as_of, "hours": list(range(24)), "machines": rows}


def _cell(metric: HeatmapMetric, inputs: OeeInputs) -> dict[str, Any]:
    point = summary(inputs)
    if metric == "running":
        value = (None if inputs.all_time_s <= 0
                 else round(100 * inputs.run_s / inputs.all_time_s, 2))
    else:
        value = point[metric]
    return {"value": value, "run_minutes": point["run_minutes"],
            "calendar_minutes": round(inputs.all_time_s / 60, 2)}


def _scope(query: OeeQuery) -> dict[str, Any]:
    kind, ref = query.scope
    return {"type": kind, "id": ref or None}


def _span(windows: Sequence[Interval]) -> dict[str, Any]:
    return {"start": min((w[0] for w in windows), default=None),
            "end": max((w[1] for w in windows), default=None)}


def _label(by: GroupBy | None, key: str | None, machines: dict[str, dict[str, Any]]
           ) -> str | None:
    if by == "machine" and key in machines:
        return machines[key]["name"]
    if by == "shift" and key is None:
        return "outside shifts"
    return key
