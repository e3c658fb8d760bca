"""Hourly and daily OEE rollups, kept current as data arrives (seed 004 §3.4).

Every machine's time model (:func:`opslens.domain.time_model.machine_inputs`) is computed per
local hour of its site, cut where one shift hands over to the next, and stored as additive
sums; a day is the sum of its hours. Because the sums pool by addition, any window made of
whole hours (or whole days) is read with one ``SUM ... GROUP BY``, and only the hours a window
cuts, or that are not stored yet, are computed from raw rows (:func:`cover`).

When a stored hour may be trusted: once its numbers no later ``as_of`` can change
(``stable_from``): the hour has ended, every count that reaches into it has been reported,
and every stop in it is known to be long or short (an open stop is long once it has lasted
the minor-stop threshold). Ingest forgets the hours and days a change reaches
(:func:`invalidate`); :func:`refresh` recomputes them. Only the default minor-stop threshold
is stored; another threshold, or a work order's window, is computed from raw rows.

Downtime per reason is stored beside the sums (seconds clipped to the hour, overlaps resolved)
for the Pareto; its frequency counts the stops that begin in the window.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from opslens.domain.calendars import ShiftInstance, shift_instances
from opslens.domain.downtime import (
    DEFAULT_MINOR_STOP_S,
    Stop,
    failure_codes,
    reason_depths,
    resolve,
    stop_loss,
)
from opslens.domain.intervals import Interval, local_day_bounds, local_hours, subtract
from opslens.domain.oee import OeeInputs
from opslens.domain.time_model import Count, machine_inputs
from opslens.plant.sites import Site
from opslens.store import oee as oee_store
from opslens.store import oee_rollups as store
from opslens.store import plant as plant_store
from opslens.store import records, schema
from opslens.store.schema import OEE_SUMS

_NEVER = datetime.max.replace(tzinfo=UTC)
_TWO_DAYS = timedelta(days=2)

#: Record kinds whose change can move every stored OEE number of the organization.
CONFIG_KINDS = frozenset({"machines", "reason_codes", "ideal_cycle_times"})


@dataclass(frozen=True)
class Reasons:
    depths: dict[str, int]
    failures: frozenset[str]

    @classmethod
    def load(cls, conn: Connection, org: str) -> Reasons:
        parents = {r["code"]: r["parent_code"] for r in oee_store.reasons(conn, org)}
        return cls(reason_depths(parents), failure_codes(parents))

    def stop(self, row: dict[str, Any]) -> Stop:
        return Stop(id=row["id"], start=row["start_time"], end=row["end_time"],
                    reason_code=row["reason_code"], planned=bool(row["planned"]),
                    loss=row["loss"], depth=self.depths.get(row["reason_code"], 0),
                    failure=row["reason_code"] in self.failures)


def count_of(row: dict[str, Any]) -> Count:
    """A stored production count as the time model takes it."""
    return Count(counted_at=row["counted_at"], total=row["total"], good=row["good"],
                 scrap=row["scrap"], rework=row["rework"],
                 startup_rejects=row["startup_rejects"], period_start=row["period_start"],
                 ideal_cycle_time_s=row["ideal_cycle_time_s"])


def inputs_of(row: dict[str, Any]) -> OeeInputs:
    """Stored sums (one row, or a SUM of rows) as time-model sums."""
    return OeeInputs(**{name: row[name] or 0 for name in OEE_SUMS})


# ---- slots: the local hours of a window, cut at shift changes -----------------------------------

@dataclass(frozen=True)
class Slot:
    """A local hour of a site, or the part of it inside a window (``start``/``end``), with the
    parts each shift covers (shift_id '' for time outside every shift)."""

    start: datetime
    end: datetime
    hour_start: datetime
    hour_end: datetime
    day: date
    hour: int
    parts: tuple[tuple[datetime, datetime, str], ...]
    shifts: tuple[ShiftInstance, ...]

    @property
    def whole(self) -> bool:
        return self.start == self.hour_start and self.end == self.hour_end


def slots(site: Site, window: Interval) -> list[Slot]:
    """The local hours of ``site`` that reach into ``window``, each clipped to it."""
    hours = local_hours(window, site.tz)
    if not hours:
        return []
    first = hours[0][0].astimezone(site.tz).date() - timedelta(days=1)
    last = hours[-1][0].astimezone(site.tz).date()
    instances = sorted(shift_instances(site.shifts, first, last, site.tz),
                       key=lambda i: i.interval[0])
    starts = [i.interval[0] for i in instances]
    out = []
    for hour_start, hour_end in hours:
        # a shift lasts at most a day, so only those begun in the two days before can reach
        near = instances[bisect_left(starts, hour_start - _TWO_DAYS):
                         bisect_right(starts, hour_end)]
        reach = tuple(i for i in near
                      if i.interval[1] > hour_start and i.interval[0] < hour_end)
        lo, hi = max(hour_start, window[0]), min(hour_end, window[1])
        local = hour_start.astimezone(site.tz)
        out.append(Slot(lo, hi, hour_start, hour_end, local.date(), local.hour,
                        _shift_parts(lo, hi, reach), reach))
    return out


def _shift_parts(lo: datetime, hi: datetime, shifts: Sequence[ShiftInstance]
                 ) -> tuple[tuple[datetime, datetime, str], ...]:
    """Cut [lo, hi) where shifts begin or end; each part goes to the shift that began last
    among those covering it (a shift that overlaps its predecessor takes over)."""
    cuts = sorted({lo, hi, *(t for s in shifts for t in s.interval if lo < t < hi)})
    parts: list[tuple[datetime, datetime, str]] = []
    for a, b in pairwise(cuts):
        covering = [s for s in shifts if s.interval[0] <= a and s.interval[1] >= b]
        shift_id = max(covering, key=lambda s: (s.interval[0], s.shift_id)).shift_id \
            if covering else ""
        if parts and parts[-1][2] == shift_id:
            parts[-1] = (parts[-1][0], b, shift_id)
        else:
            parts.append((a, b, shift_id))
    return tuple(parts)


# ---- computing from raw rows ---------------------------------------------------------------------

@dataclass
class Computed:
    """Rows of slots computed from raw data: sums per machine, slot and shift, downtime per
    machine, slot, reason and loss, and each slot's ``stable_from`` (over its machines)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    stable: dict[datetime, datetime] = field(default_factory=dict)


def compute(conn: Connection, org: str, machines: Sequence[dict[str, Any]],
            todo: Sequence[Slot], as_of: datetime,
            minor_stop_s: float = DEFAULT_MINOR_STOP_S, work_order_id: str | None = None
            ) -> Computed:
    """The slots' rows for ``machines`` as known at ``as_of`` (one query for stops, one for
    counts); with ``work_order_id``, only that work order's counts."""
    out = Computed()
    if not todo or not machines:
        return out
    reasons = Reasons.load(conn, org)
    lo, hi = todo[0].start, min(todo[-1].end, as_of)
    ids = [m["id"] for m in machines]
    stops: dict[str, list[Stop]] = defaultdict(list)
    counts: dict[str, list[Count]] = defaultdict(list)
    if hi > lo:
        for row in oee_store.stops(conn, org, ids, lo, hi):
            stops[row["machine_id"]].append(reasons.stop(row))
        for row in oee_store.counts(conn, org, ids, lo, hi):
            if work_order_id is None or row["work_order_id"] == work_order_id:
                counts[row["machine_id"]].append(count_of(row))
    starts = [s.start for s in todo]
    for slot in todo:
        out.stable[slot.hour_start] = slot.hour_end
    for machine_id in ids:
        pieces = resolve(stops[machine_id], as_of)
        slot_pieces: list[list] = [[] for _ in todo]
        for piece in pieces:
            for i in _reached(todo, starts, piece.start, piece.end):
                slot_pieces[i].append(piece)
        slot_counts: list[list[Count]] = [[] for _ in todo]
        for count in counts[machine_id]:
            begin = count.period_start or count.counted_at
            for i in _reached(todo, starts, begin, count.counted_at + timedelta(microseconds=1)):
                slot_counts[i].append(count)
        begun = {p.stop for p in pieces}
        for i, slot in enumerate(todo):
            _machine_slot(out, machine_id, slot, slot_pieces[i], slot_counts[i], begun, as_of,
                          minor_stop_s)
    return out


def _reached(todo: Sequence[Slot], starts: Sequence[datetime], lo: datetime, hi: datetime
             ) -> Iterable[int]:
    """Indices of the slots that [lo, hi) reaches into (slots sorted, disjoint)."""
    i = max(0, bisect_right(starts, lo) - 1)
    while i < len(todo) and todo[i].start < hi:
        if todo[i].end > lo:
            yield i
        i += 1


def _machine_slot(out: Computed, machine_id: str, slot: Slot, pieces: list, counts: list[Count],
                  begun: set[Stop], as_of: datetime, minor_stop_s: float) -> None:
    key = {"machine_id": machine_id, "hour_start": slot.hour_start, "day": slot.day}
    for a, b, shift_id in slot.parts:
        inputs = machine_inputs((a, b), slot.shifts, pieces, counts, as_of, minor_stop_s)
        out.rows.append({**key, "hour": slot.hour, "shift_id": shift_id,
                         **{name: getattr(inputs, name) for name in OEE_SUMS}})
    downtime: dict[tuple[str, str], list] = defaultdict(lambda: [0.0, 0])
    stable = out.stable[slot.hour_start]
    for piece in pieces:
        loss = stop_loss(piece.stop, as_of, minor_stop_s)
        seconds = (min(piece.end, slot.end) - max(piece.start, slot.start)).total_seconds()
        if seconds > 0:
            downtime[piece.stop.reason_code, loss][0] += seconds
        stop = piece.stop
        if not stop.planned and stop.loss != "minor_stops":  # long or short: known when?
            settled = min(stop.end or _NEVER, stop.start + timedelta(seconds=minor_stop_s))
            stable = max(stable, settled)
    for stop in begun:
        if slot.start <= stop.start < slot.end:
            downtime[stop.reason_code, stop_loss(stop, as_of, minor_stop_s)][1] += 1
    for count in counts:
        stable = max(stable, count.counted_at)
    out.stable[slot.hour_start] = stable
    out.reasons += [{**key, "reason_code": code, "loss": loss, "seconds": seconds,
                     "stops": n} for (code, loss), (seconds, n) in downtime.items()]


# ---- reading: stored where trusted, computed where not -------------------------------------------

@dataclass
class Coverage:
    """A site's window as served: whole stored days, stored hours, and computed slots."""

    site: Site
    machine_ids: list[str] | None  # None: every machine of the site
    days: list[date] = field(default_factory=list)
    hours: list[datetime] = field(default_factory=list)
    live: Computed = field(default_factory=Computed)


def cover(conn: Connection, org: str, site: Site, machines: Sequence[dict[str, Any]],
          window: Interval, as_of: datetime, *,
          minor_stop_s: float = DEFAULT_MINOR_STOP_S, work_order_id: str | None = None,
          hourly: bool = False, now: datetime | None = None) -> Coverage:
    """Plan and compute ``window`` (clipped at ``as_of``) for ``machines`` of ``site``: read
    what is stored and holds at as_of, compute the rest, and store what the computation found
    stable (when it covered every machine of the site). ``hourly``: never serve whole days
    (the caller groups by hour)."""
    now = now or datetime.now(UTC)
    ids = [m["id"] for m in machines]
    whole_site = set(ids) == {m["id"] for m in site.machines}
    out = Coverage(site=site, machine_ids=None if whole_site else ids)
    lo, hi = window[0], min(window[1], as_of)
    if hi <= lo or not machines:
        return out
    storable = minor_stop_s == DEFAULT_MINOR_STOP_S and work_order_id is None
    rest = [(lo, hi)]  # what stored days do not serve
    if storable and not hourly and hi - lo >= timedelta(hours=23):
        first, last = lo.astimezone(site.tz).date(), hi.astimezone(site.tz).date()
        bounds = {d: local_day_bounds(d, site.tz)
                  for d, stable in store.marked_days(conn, org, site.id, first, last).items()
                  if stable <= as_of}
        out.days = sorted(d for d, b in bounds.items() if _inside(b, (lo, hi)))
        rest = subtract([(lo, hi)], [bounds[d] for d in out.days])
    plan = [slot for span in rest for slot in slots(site, span)]
    todo = plan
    if storable and plan:
        hour_marks = store.marked_hours(conn, org, site.id, plan[0].start, plan[-1].end)
        todo = []
        for slot in plan:
            if slot.whole and hour_marks.get(slot.hour_start, _NEVER) <= as_of:
                out.hours.append(slot.hour_start)
            else:
                todo.append(slot)
    out.live = compute(conn, org, machines, todo, as_of, minor_stop_s, work_order_id)
    if storable and whole_site:
        _store(conn, org, site, out.live, todo, min(as_of, now), now)
    return out


def _inside(inner: Interval, outer: Interval) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def pooled(conn: Connection, org: str, coverage: Coverage, by: Sequence[str]
           ) -> dict[tuple, OeeInputs]:
    """The coverage's sums per distinct value of the ``by`` columns (machine_id, day,
    hour_start, hour, shift_id)."""
    out: dict[tuple, OeeInputs] = defaultdict(OeeInputs)
    site, ids = coverage.site.id, coverage.machine_ids
    stored = []
    if coverage.days:
        stored += store.sums(conn, org, site, by, machine_ids=ids, days=coverage.days)
    if coverage.hours:
        stored += store.sums(conn, org, site, by, machine_ids=ids, hours=coverage.hours)
    for row in stored:
        key = tuple(row[name] for name in by)
        out[key] = out[key] + inputs_of(row)
    for row in coverage.live.rows:
        key = tuple(row[name] for name in by)
        out[key] = out[key] + inputs_of(row)
    return dict(out)


def downtime(conn: Connection, org: str, coverage: Coverage, by: Sequence[str]
             ) -> dict[tuple, list]:
    """Downtime seconds and stops begun, per ``by`` columns, reason code and loss."""
    out: dict[tuple, list] = defaultdict(lambda: [0.0, 0])
    rows = store.reason_sums(conn, org, coverage.site.id, by, machine_ids=coverage.machine_ids,
                             days=coverage.days, hours=coverage.hours)
    for row in [*rows, *coverage.live.reasons]:
        key = (*(row[name] for name in by), row["reason_code"], row["loss"])
        out[key][0] += row["seconds"] or 0
        out[key][1] += int(row["stops"] or 0)
    return dict(out)


# ---- storing, refreshing, forgetting -------------------------------------------------------------

def _store(conn: Connection, org: str, site: Site, computed: Computed, todo: Sequence[Slot],
           limit: datetime, now: datetime) -> int:
    """Store the whole slots that are stable by ``limit``, then the days they complete."""
    marks = {s.hour_start: {"hour_start": s.hour_start, "hour_end": s.hour_end, "day": s.day,
                            "stable_from": computed.stable[s.hour_start]}
             for s in todo if s.whole and computed.stable[s.hour_start] <= limit}
    if not marks:
        return 0
    store.write_hours(conn, org, site.id,
                      [r for r in computed.rows if r["hour_start"] in marks],
                      [r for r in computed.reasons if r["hour_start"] in marks],
                      list(marks.values()), now)
    bounds = {day: local_day_bounds(day, site.tz) for day in {m["day"] for m in marks.values()}}
    complete = store.complete_days(conn, org, site.id, {
        day: len(local_hours(b, site.tz)) for day, b in bounds.items()})
    store.write_days(conn, org, site.id, {
        day: {"day_start": bounds[day][0], "day_end": bounds[day][1], "stable_from": stable}
        for day, stable in complete.items()}, now)
    return len(marks)


def refresh(conn: Connection, org: str, site: Site, first: date, last: date,
            now: datetime | None = None, chunk_days: int = 7) -> int:
    """Compute and store every ended, unstored hour of [first, last] from the site's first
    OEE record on; returns the site-hours stored."""
    now = now or datetime.now(UTC)
    earliest = _first_record(conn, org, site.id)
    if earliest is None or not site.machines:
        return 0
    first = max(first, earliest.astimezone(site.tz).date())
    stored = 0
    day = first
    while day <= last:
        end = min(last, day + timedelta(days=chunk_days - 1))
        lo, hi = local_day_bounds(day, site.tz)[0], min(local_day_bounds(end, site.tz)[1], now)
        if hi > lo:
            marks = store.marked_hours(conn, org, site.id, lo, hi)
            todo = [s for s in slots(site, (lo, hi)) if s.whole and s.hour_start not in marks]
            computed = compute(conn, org, list(site.machines), todo, now)
            stored += _store(conn, org, site, computed, todo, now, now)
        day = end + timedelta(days=1)
    return stored


def _first_record(conn: Connection, org: str, site_id: str) -> datetime | None:
    c, e = schema.production_counts, schema.downtime_events
    # .all(), not .scalar(): duckdb_engine leaves a half-read result open on the connection
    firsts = [conn.execute(sa.select(sa.func.min(sa.func.coalesce(c.c.period_start,
                                                                  c.c.counted_at)))
                           .where(c.c.organization_id == org, c.c.site_id == site_id)).all()[0][0],
              conn.execute(sa.select(sa.func.min(e.c.start_time))
                           .where(e.c.organization_id == org, e.c.site_id == site_id)).all()[0][0]]
    known = [t for t in firsts if t is not None]
    return min(known) if known else None


#: A change's reach: (site_id, first instant, last instant or None for "and every later one").
Span = tuple[str, datetime, datetime | None]


def spans(conn: Connection, org: str, kind: str, rows: Sequence[dict[str, Any]]) -> list[Span]:
    """What the stored rows that ``rows`` of ``kind`` replace, and the rows themselves, reach
    (call before writing: the stored versions are read here)."""
    if kind == "downtime_events":
        old = records.fetch_by_ids(conn, schema.downtime_events, org, [r["id"] for r in rows],
                                   ["id", "site_id", "start_time", "end_time"])
        return [(r["site_id"], r["start_time"], r["end_time"]) for r in [*old.values(), *rows]]
    if kind == "production_counts":
        by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_site[row["site_id"]].append(row)
        c = schema.production_counts
        out: list[Span] = []
        for site_id, group in by_site.items():
            first = min(r["period_start"] or r["counted_at"] for r in group)
            last = max(r["counted_at"] for r in group)
            # a stored count being replaced may have reached further back
            stored = conn.execute(sa.select(sa.func.min(c.c.period_start)).where(
                c.c.organization_id == org, c.c.site_id == site_id,
                c.c.counted_at.between(first, last))).all()[0][0]
            out.append((site_id, min(first, stored or first), last + timedelta(microseconds=1)))
        return out
    return []


def invalidate(conn: Connection, org: str, reach: Iterable[Span]) -> dict[str, tuple]:
    """Forget the stored hours and days that the spans reach; per site, the local days
    touched (for :func:`refresh`)."""
    merged: dict[str, tuple[datetime, datetime | None]] = {}
    for site_id, lo, hi in reach:  # one range a site: one set of deletes a batch
        if site_id in merged:
            old_lo, old_hi = merged[site_id]
            lo = min(lo, old_lo)
            hi = None if hi is None or old_hi is None else max(hi, old_hi)
        merged[site_id] = (lo, hi)
    zones: dict[str, ZoneInfo | None] = {}
    touched: dict[str, tuple[date, date | None]] = {}
    for site_id, (lo, hi) in merged.items():
        if site_id not in zones:
            row = plant_store.get_site(conn, org, site_id)
            zones[site_id] = ZoneInfo(row["timezone"]) if row else None
        tz = zones[site_id]
        if tz is None:
            continue
        first = lo.astimezone(tz).date()
        last = None if hi is None else (hi - timedelta(microseconds=1)).astimezone(tz).date()
        store.invalidate(conn, org, site_id, (lo, hi), (first, last))
        touched[site_id] = (first, last)
    return touched


def forget(conn: Connection, org: str, site_ids: Iterable[str] | None = None) -> None:
    """Forget every stored rollup of these sites (None: of the whole organization)."""
    if site_ids is None:
        store.invalidate(conn, org)
    else:
        for site_id in site_ids:
            store.invalidate(conn, org, site_id)
