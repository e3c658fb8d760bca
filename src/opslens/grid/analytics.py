"""OMS analytics (seed 000, DESIGN.md §6.2): outage trends, crew performance, source
reliability, geographic hotspots, customer impact and the IEEE 1366 reliability indices.

Every analysis but the indices covers a window of ``days`` ending at ``as_of``: from the same
local wall time ``days`` local days earlier up to ``as_of``, in the network's time zone (UTC
when the organization has no network). An outage belongs to the bucket, day or window in
which it started. Merged outages never count; cancelled ones (false alarms) only in source
reliability's accuracy. What happened after ``as_of`` is not known yet: a restoration after
it leaves the outage open, an event after it is not counted. Minutes are given to 2 decimals
and shares to 4 (halves away from zero); an undefined mean or share is None.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.engine import Connection

from opslens.domain import ieee1366
from opslens.domain.hotspots import SEVERITIES, OutagesAt, find_hotspots_at
from opslens.domain.intervals import local_day_bounds, local_to_utc
from opslens.domain.periods import (
    Bucket,
    Granularity,
    aware_as_of,
    calendar_buckets,
    check_day,
    shift_months,
)
from opslens.domain.rounding import round_half_up
from opslens.errors import InvalidInput
from opslens.store import grid_analytics as store

HIGH_CONFIDENCE = 0.8
MAX_BUCKETS = 10_000
MAX_PERIOD_DAYS = 3660
MED_HISTORY_MONTHS = 60
_HOUR = timedelta(hours=1)


def _r(value: float | None, ndigits: int) -> float | None:
    return round_half_up(value, ndigits)


def _share(part: float, whole: float) -> float | None:
    """part / whole to 4 decimals; None for a zero whole."""
    return _r(part / whole, 4) if whole else None


# ---- queries ----------------------------------------------------------------------------------

class AsOfParams(BaseModel):
    """``as_of``: the instant taken as now (DESIGN.md §3)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    as_of: datetime | None = Field(None, description="The instant taken as now (ISO 8601 with "
                                   "offset); default now.")

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware_as_of(value)

    def resolved_as_of(self) -> datetime:
        return self.as_of or datetime.now(UTC)


class WindowQuery(AsOfParams):
    days: int = Field(30, ge=1, le=3650, description="Days of the window ending at as_of.")


class TrendQuery(WindowQuery):
    granularity: Granularity = Field("day", description="Local hours, days, weeks (from "
                                     "Monday) or months.")
    outage_type: Literal["sustained", "momentary", "outage"] | None = Field(
        None, description="`outage` (seed 000's spelling) means sustained.")
    severity: Literal["critical", "high", "medium", "low"] | None = None


class CrewQuery(WindowQuery):
    crew_name: str | None = Field(None, max_length=200)
    assignment_type: Literal["assessment", "repair", "restoration", "inspection"] | None = None


class HotspotQuery(WindowQuery):
    min_outages: int = Field(2, ge=1, le=100_000, description="Outages within radius_km an "
                             "outage needs (itself included) to be a cluster's core.")
    radius_km: float = Field(5.0, ge=0.001, le=2000, description="Neighbourhood radius [km], "
                             "1 m to 2000 km.")


class ImpactQuery(WindowQuery):
    granularity: Granularity = "day"
    major_threshold: int = Field(500, ge=1, description="Customers from which an outage is "
                                 "major.")
    sla_minutes: float = Field(240.0, gt=0, le=525_600, description="Restoration target [min].")


class ReliabilityQuery(AsOfParams):
    date_from: date | None = Field(None, alias="from", description="First local date; default "
                                   "364 days before `to`.")
    date_to: date | None = Field(None, alias="to", description="Last local date (inclusive); "
                                 "default the local date of as_of.")
    exclude_major_event_days: bool = Field(False, description="Headline indices without MEDs.")
    customers_served: int | None = Field(None, ge=1, le=1_000_000_000,
                                         description="N_T; default the network's customers.")
    cemi_n: int = Field(1, ge=0, le=1000, description="CEMI_n counts more than n interruptions.")
    celid_hours: float = Field(6.0, gt=0, le=8784, description="CELID duration [h].")

    @field_validator("date_from", "date_to")
    @classmethod
    def _in_calendar(cls, value: date | None, info) -> date | None:
        if value is None:
            return None
        try:
            return check_day(value, "from" if info.field_name == "date_from" else "to")
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @field_validator("date_to")
    @classmethod
    def _not_before_from(cls, value: date | None, info) -> date | None:
        first = info.data.get("date_from")
        if value is not None and first is not None and first > value:
            raise ValueError(f"to ({value}) is before from ({first}); swap them")
        return value


# ---- scope: time zone, window, buckets -----------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The network's time zone and the window ``[lo, hi)``, ``hi`` = ``as_of`` (UTC)."""

    tz: ZoneInfo
    as_of: datetime
    lo: datetime
    hi: datetime

    def local(self, instant: datetime) -> str:
        return instant.astimezone(self.tz).isoformat()

    def header(self, days: int) -> dict[str, Any]:
        return {"as_of": self.local(self.as_of), "timezone": self.tz.key,
                "window": {"start": self.local(self.lo), "end": self.local(self.hi),
                           "days": days}}


def _network(conn: Connection, org: str) -> tuple[ZoneInfo, int]:
    row = store.network(conn, org)
    if row is None:
        return ZoneInfo("UTC"), 0
    try:
        return ZoneInfo(row["timezone"]), int(row["customers"])
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"the network's time zone {row['timezone']!r} is unknown; load the "
                           "topology again with an IANA zone such as Europe/Berlin") from None


def _scope(conn: Connection, org: str, query: WindowQuery) -> Scope:
    tz = _network(conn, org)[0]
    as_of = query.resolved_as_of().astimezone(UTC)
    local = as_of.astimezone(tz)
    wall = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second,
                     microseconds=local.microsecond)
    lo = local_to_utc(local.date() - timedelta(days=query.days), wall, tz)
    return Scope(tz, as_of, lo, as_of)


def offset_steps(lo: datetime, hi: datetime, tz: ZoneInfo) -> list[tuple[datetime, int]]:
    """The UTC offsets [s] of ``tz`` over ``[lo, hi]`` as ``[(since, offset), …]``: found
    day by day and pinned to the second by bisection (zones change at most a few times a
    year, never twice within a day).

    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> [(t.isoformat(), s) for t, s in offset_steps(datetime(2025, 3, 1, tzinfo=UTC),
    ...                                               datetime(2025, 4, 1, tzinfo=UTC), berlin)]
    [('2025-03-01T00:00:00+00:00', 3600), ('2025-03-30T01:00:00+00:00', 7200)]
    """
    def offset(second: int) -> int:
        utc_offset = datetime.fromtimestamp(second, UTC).astimezone(tz).utcoffset()
        return int(utc_offset.total_seconds()) if utc_offset is not None else 0

    first, last = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    steps = [(lo, offset(first))]
    t = first
    while t < last:
        following = min(t + 86_400, last)
        if offset(following) != steps[-1][1]:
            a, b = t, following
            while b - a > 1:
                middle = (a + b) // 2
                a, b = (middle, b) if offset(middle) == steps[-1][1] else (a, middle)
            steps.append((datetime.fromtimestamp(b, UTC), offset(b)))
        t = following
    return steps


def _buckets(scope: Scope, granularity: str, days: int) -> list[Bucket]:
    per_day = {"hour": 24, "day": 1, "week": 1 / 7, "month": 1 / 28}[granularity]
    if days * per_day > MAX_BUCKETS:
        raise InvalidInput(f"{days} days by {granularity} is more than {MAX_BUCKETS} buckets; "
                           "choose fewer days or a coarser granularity",
                           [{"field": "days", "reason": "too many buckets"}])
    return calendar_buckets((scope.lo, scope.hi), scope.tz, granularity)


def _place(rows: list[dict[str, Any]], buckets: list[Bucket]
           ) -> tuple[dict[int, dict[str, Any]], dict[str, Any] | None]:
    """SQL group rows by bucket index (through each group's first instant), and the total."""
    starts = [b.start.timestamp() for b in buckets]
    placed: dict[int, dict[str, Any]] = {}
    total = None
    for row in rows:
        if row["total"]:
            total = row
        else:
            placed[bisect_right(starts, row["first_at"]) - 1] = row
    return placed, total


def _bucket_head(scope: Scope, bucket: Bucket) -> dict[str, Any]:
    return {"bucket": bucket.label, "start": scope.local(bucket.start),
            "end": scope.local(bucket.end), "hours": bucket.hours}


# ---- outage trends ----------------------------------------------------------------------------

def _trend(row: Mapping[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    outages = int(row.get("outages") or 0)
    return {
        "outages": outages,
        "severity": {s: int(row.get(s) or 0) for s in SEVERITIES},
        "mean_confidence": _r(row["confidence_sum"] / outages, 4) if outages else None,
        "customers_affected": int(row.get("customers_affected") or 0),
        "restored_outages": int(row.get("restored") or 0),
        "mean_restoration_minutes": _r(row.get("mean_minutes"), 2),
        "median_restoration_minutes": _r(row.get("median_minutes"), 2),
    }


def outage_trends(conn: Connection, org: str, query: TrendQuery) -> dict[str, Any]:
    """Per local bucket (empty ones too) and over the window: outages, severities, mean
    confidence, customers affected, mean and median restoration minutes."""
    scope = _scope(conn, org, query)
    buckets = _buckets(scope, query.granularity, query.days)
    outage_type = "sustained" if query.outage_type == "outage" else query.outage_type
    rows = store.outage_trends(conn, org, scope.lo, scope.hi, scope.as_of, query.granularity,
                               offset_steps(scope.lo, scope.hi, scope.tz), outage_type,
                               query.severity)
    placed, total = _place(rows, buckets)
    return {**scope.header(query.days), "granularity": query.granularity,
            "filters": {"outage_type": outage_type, "severity": query.severity},
            "buckets": [_bucket_head(scope, b) | _trend(placed.get(i))
                        for i, b in enumerate(buckets)],
            "summary": _trend(total)}


# ---- crew performance -------------------------------------------------------------------------

def _crew(row: Mapping[str, Any], days: int) -> dict[str, Any]:
    assignments = int(row["assignments"])
    return {
        "assignments": assignments, "completed": int(row["completed"] or 0),
        "cancelled": int(row["cancelled"] or 0),
        "completion_rate": _share(row["completed"] or 0, assignments),
        "arrived": int(row["arrived"]),
        "mean_response_minutes": _r(row["mean_response"], 2),
        "median_response_minutes": _r(row["median_response"], 2),
        "p90_response_minutes": _r(row["p90_response"], 2),
        "mean_work_minutes": _r(row["mean_work"], 2),
        "median_work_minutes": _r(row["median_work"], 2),
        "arrivals_with_eta": int(row["with_eta"]), "on_time_arrivals": int(row["on_time"] or 0),
        "on_time_rate": _share(row["on_time"] or 0, row["with_eta"]),
        "assignments_per_day": _r(assignments / days, 4),
    }


def crew_performance(conn: Connection, org: str, query: CrewQuery) -> dict[str, Any]:
    """Assignments dispatched in the window, per crew and type, per crew, and in total."""
    scope = _scope(conn, org, query)
    rows = store.crew_performance(conn, org, scope.lo, scope.hi, scope.as_of, query.crew_name,
                                  query.assignment_type)
    rows.sort(key=lambda r: (r["crew_name"] or "", r["crew_id"] or "",
                             r["assignment_type"] or ""))
    by_type = [{"crew_id": r["crew_id"], "crew_name": r["crew_name"],
                "assignment_type": r["assignment_type"]} | _crew(r, query.days)
               for r in rows if r["level"] == 0]
    by_crew = [{"crew_id": r["crew_id"], "crew_name": r["crew_name"]} | _crew(r, query.days)
               for r in rows if r["level"] == 1]
    total = next((r for r in rows if r["level"] == 2), None)
    empty = {"assignments": 0, "completed": 0, "cancelled": 0, "arrived": 0, "with_eta": 0,
             "on_time": 0, **dict.fromkeys(("mean_response", "median_response", "p90_response",
                                            "mean_work", "median_work"))}
    return {**scope.header(query.days),
            "filters": {"crew_name": query.crew_name, "assignment_type": query.assignment_type},
            "crews": by_type, "crew_totals": by_crew,
            "totals": _crew(total or empty, query.days)}


# ---- source reliability -----------------------------------------------------------------------

def source_reliability(conn: Connection, org: str, query: WindowQuery) -> dict[str, Any]:
    """Per source (all four always listed): events, correlation effectiveness, accuracy,
    high-confidence contribution and restoration rate; None for zero denominators."""
    scope = _scope(conn, org, query)
    events = {r["source"]: r for r in store.source_events(conn, org, scope.lo, scope.hi,
                                                             scope.as_of)}
    totals = store.source_outages(conn, org, scope.lo, scope.hi, scope.as_of, HIGH_CONFIDENCE)
    high = int(totals["high_confidence"] or 0)
    sources = []
    order = {s: i for i, s in enumerate(store.SOURCES)}
    for source in sorted(set(store.SOURCES) | set(events),
                         key=lambda s: (order.get(s, len(order)), s)):
        e = events.get(source, {})
        n_events, correlated = int(e.get("events") or 0), int(e.get("correlated") or 0)
        outages = int(totals.get(f"{source}_outages") or 0)
        restored = int(totals.get(f"{source}_restored") or 0)
        high_held = int(totals.get(f"{source}_high_confidence") or 0)
        sources.append({
            "source": source, "events": n_events,
            "suppressed_events": int(e.get("suppressed") or 0),
            "correlated_events": correlated,
            "correlation_effectiveness": _share(correlated, n_events),
            "accurate_events": int(e.get("accurate") or 0),
            "accuracy": _share(e.get("accurate") or 0, correlated),
            "outages": outages, "restored_outages": restored,
            "restoration_rate": _share(restored, outages),
            "high_confidence_outages": high_held,
            "high_confidence_contribution": _share(high_held, high),
        })
    return {**scope.header(query.days), "high_confidence_threshold": HIGH_CONFIDENCE,
            "outages": int(totals["outages"] or 0), "high_confidence_outages": high,
            "sources": sources}


# ---- geographic hotspots ----------------------------------------------------------------------

def geographic_hotspots(conn: Connection, org: str, query: HotspotQuery) -> dict[str, Any]:
    """DBSCAN clusters of the window's outage positions, largest first."""
    scope = _scope(conn, org, query)
    rows, unplaced = store.outages_by_position(conn, org, scope.lo, scope.hi, scope.as_of)
    positions = [OutagesAt(r["latitude"], r["longitude"], int(r["outages"]),
                           {name: int(r[name] or 0) for name in SEVERITIES},
                           int(r["customers"] or 0), r["first_outage_at"].astimezone(UTC),
                           r["last_outage_at"].astimezone(UTC)) for r in rows]
    spots = find_hotspots_at(positions, query.radius_km, query.min_outages)
    return {**scope.header(query.days),
            "parameters": {"min_outages": query.min_outages, "radius_km": query.radius_km},
            "outages_with_position": sum(p.outages for p in positions),
            "outages_without_position": unplaced,
            "outages_in_hotspots": sum(h.outages for h in spots),
            "hotspots": [{"rank": i + 1, "latitude": _r(h.latitude, 6),
                          "longitude": _r(h.longitude, 6), "outages": h.outages,
                          "severity": h.severity, "customers_affected": h.customers_affected,
                          "first_outage_at": scope.local(h.first_outage_at),
                          "last_outage_at": scope.local(h.last_outage_at),
                          "radius_km": _r(h.radius_km, 3)}
                         for i, h in enumerate(spots)]}


# ---- customer impact --------------------------------------------------------------------------

def _impact(row: Mapping[str, Any] | None, extra_minutes: float) -> dict[str, Any]:
    row = row or {}
    return {
        "outages": int(row.get("outages") or 0),
        "customers_affected": int(row.get("customers_affected") or 0),
        "customer_minutes": _r(float(row.get("customer_minutes") or 0.0) + extra_minutes, 2),
        "major_outages": int(row.get("major_outages") or 0),
        "major_customers": int(row.get("major_customers") or 0),
        "minor_outages": int(row.get("minor_outages") or 0),
        "minor_customers": int(row.get("minor_customers") or 0),
        "critical_outages": int(row.get("critical_outages") or 0),
    }


def customer_impact(conn: Connection, org: str, query: ImpactQuery) -> dict[str, Any]:
    """Customers and customer-minutes per bucket, major and minor outages, restoration bins,
    the share restored within the SLA and the critical outages."""
    scope = _scope(conn, org, query)
    buckets = _buckets(scope, query.granularity, query.days)
    args = (conn, org, scope.lo, scope.hi, scope.as_of)
    rows = store.customer_impact(*args, query.granularity,
                                 offset_steps(scope.lo, scope.hi, scope.tz),
                                 query.major_threshold, query.sla_minutes)
    placed, total = _place(rows, buckets)
    starts = [b.start for b in buckets]
    open_minutes: dict[int, float] = {}
    for row in store.open_customer_minutes(*args):  # open outages: customer-minutes so far
        i = bisect_right(starts, row["started_at"].astimezone(UTC)) - 1
        open_minutes[i] = open_minutes.get(i, 0.0) + float(row["customer_minutes"])
    total = total or {}
    restored = int(total.get("restored") or 0)
    critical = store.critical_outages(*args)
    return {
        **scope.header(query.days), "granularity": query.granularity,
        "parameters": {"major_threshold": query.major_threshold,
                       "sla_minutes": query.sla_minutes},
        "buckets": [_bucket_head(scope, b) | _impact(placed.get(i), open_minutes.get(i, 0.0))
                    for i, b in enumerate(buckets)],
        "summary": _impact(total, sum(open_minutes.values())),
        "restoration_distribution": [
            {"bin": name, "from_minutes": low, "to_minutes": high,
             "outages": int(total.get(f"bin_{name}") or 0),
             "customers_affected": int(total.get(f"bin_{name}_customers") or 0)}
            for name, low, high in store.RESTORATION_BINS],
        "sla": {"sla_minutes": query.sla_minutes, "restored_outages": restored,
                "restored_within_sla": int(total.get("within_sla") or 0),
                "share_within_sla": _share(total.get("within_sla") or 0, restored)},
        "critical_outages": {
            "count": int(total.get("critical_outages") or 0),
            "customers_affected": int(total.get("critical_outage_customers") or 0),
            "critical_customers": int(total.get("critical_customers") or 0),
            "listed": len(critical),
            "outages": [{"id": r["id"], "started_at": scope.local(r["started_at"]),
                         "customers_affected": r["customers_affected"],
                         "critical_customers": r["critical_customers"],
                         "severity": r["severity"],
                         "restored_at": r["restored_at"] and scope.local(r["restored_at"])}
                        for r in critical]},
    }


# ---- IEEE 1366 reliability indices ------------------------------------------------------------

INDEX_UNITS = {"saifi": "interruptions/customer", "saidi": "min", "caidi": "min",
               "caifi": "interruptions/customer interrupted", "ctaidi": "min", "asai": "1",
               "maifi": "interruptions/customer", "maifi_e": "events/customer", "cemi": "1",
               "celid_s": "1", "celid_t": "1"}


def reliability_indices(conn: Connection, org: str, query: ReliabilityQuery) -> dict[str, Any]:
    """IEEE 1366-2012 indices over the local dates ``from``…``to``, with and without the major
    event days of the 2.5 beta method; see :mod:`opslens.domain.ieee1366`."""
    tz, network_customers = _network(conn, org)
    as_of = query.resolved_as_of().astimezone(UTC)
    last = query.date_to or as_of.astimezone(tz).date()
    first = query.date_from or last - timedelta(days=364)
    if first > last:
        raise InvalidInput(f"from ({first}) is after to ({last}); swap them or set both",
                           [{"field": "from", "reason": "after to"}])
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"the period {first}…{last} is longer than {MAX_PERIOD_DAYS} days; "
                           "ask for ten years or less", [{"field": "to", "reason": "too long"}])
    served = query.customers_served or network_customers
    lo = local_day_bounds(first, tz)[0]
    hi = max(lo, min(local_day_bounds(last, tz)[1], as_of))
    history_from = shift_months(first, -MED_HISTORY_MONTHS)
    history_lo = local_day_bounds(history_from, tz)[0]
    steps = offset_steps(history_lo, max(hi, lo), tz)
    daily = store.daily_customer_minutes(conn, org, history_lo, min(hi, as_of), as_of, steps)
    saidi_by_day = {day: cm / served for day, cm in daily.items()} if served else {}
    threshold = ieee1366.med_threshold(v for d, v in saidi_by_day.items() if d < first)
    in_period = {d: v for d, v in saidi_by_day.items() if first <= d <= last}
    meds = ieee1366.major_event_days(in_period, threshold.t_med if threshold else None)
    with_meds, without_meds = store.reliability_totals(
        conn, org, lo, hi, as_of, steps, meds, query.cemi_n, query.celid_hours * 60.0)
    hours = (hi - lo) / _HOUR
    indices_all = ieee1366.indices(ieee1366.Totals(**with_meds), served, hours)
    indices_kept = ieee1366.indices(ieee1366.Totals(**without_meds), served, hours)
    return {
        "as_of": as_of.astimezone(tz).isoformat(), "timezone": tz.key,
        "period": {"from": first.isoformat(), "to": last.isoformat(),
                   "start": lo.astimezone(tz).isoformat(), "end": hi.astimezone(tz).isoformat(),
                   "hours": hours},
        "customers_served": served,
        "customers_served_source": ("parameter" if query.customers_served
                                    else "network" if served else None),
        "parameters": {"cemi_n": query.cemi_n, "celid_hours": query.celid_hours,
                       "exclude_major_event_days": query.exclude_major_event_days},
        "major_event_days": {
            "method": "IEEE 1366-2012 2.5 beta",
            "history_from": history_from.isoformat(),
            "history_to": (first - timedelta(days=1)).isoformat(),
            "history_days": threshold.days if threshold else sum(
                1 for d, v in saidi_by_day.items() if d < first and v > 0),
            "alpha": threshold.alpha if threshold else None,
            "beta": threshold.beta if threshold else None,
            "t_med_minutes": threshold.t_med if threshold else None,
            "days": [{"date": d.isoformat(), "saidi_minutes": in_period[d]} for d in meds]},
        "indices": indices_kept if query.exclude_major_event_days else indices_all,
        "indices_with_major_event_days": indices_all,
        "indices_without_major_event_days": indices_kept,
        "totals": {"with_major_event_days": with_meds,
                   "without_major_event_days": without_meds},
        "units": INDEX_UNITS,
    }
