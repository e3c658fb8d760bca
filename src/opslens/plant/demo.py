"""A deterministic demo plant: sites, lines, machines, shift calendars and work orders with their
status logs over the days ending at a given ``as_of``.

The plant has three sites in three time zones (America/Chicago and Europe/Berlin observe DST,
Asia/Kolkata does not), eight lines and 57 machines. Chicago runs three shifts every day, Berlin
runs three shifts Monday to Friday (the night shift starts Sunday 22:00) and Pune runs two shifts
with the weekend off. Every shift has a 30-minute break.

Each machine works through its site's shifts: work orders of 2 to 10 hours, mostly fitted inside
one shift, some running over into the next one or past midnight, with gaps, skipped shifts and
idle days in between. A work order is assigned some hours before its scheduled start, starts a
little late or on time, may be put on hold once or twice (Start → Hold → Start), completes, and
is often closed later. Logs carry cumulative good and scrap counts and a first-pass yield; two
legacy machines report no counts in their logs at all (consumers fall back to the work order's
totals). At ``as_of``, some work orders are running, a few are on hold, some are assigned for
later today or tomorrow, and a few assigned for today have not started although their scheduled
start has passed.

Records are plain dicts in the ingest formats of DESIGN.md §4; timestamps are ISO-8601 strings
in the site's local wall-clock time with its UTC offset, to the second. The output depends only
on ``seed``, ``days`` and ``as_of``.

>>> from datetime import datetime, UTC
>>> plant = build_demo_plant(days=2, as_of=datetime(2025, 10, 14, 9, 30, tzinfo=UTC))
>>> list(plant)
['sites', 'lines', 'machines', 'shifts', 'work_orders', 'work_order_logs']
>>> [site["timezone"] for site in plant["sites"]]
['America/Chicago', 'Europe/Berlin', 'Asia/Kolkata']
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["KINDS", "build_demo_plant"]

KINDS = ("sites", "lines", "machines", "shifts", "work_orders", "work_order_logs")

HOUR = 3600
MINUTE = 60

# Shift calendars: (name, start, end, breaks).
_THREE_SHIFTS = (
    ("Early", "06:00", "14:00", ("10:00-10:30",)),
    ("Late", "14:00", "22:00", ("18:00-18:30",)),
    ("Night", "22:00", "06:00", ("02:00-02:30",)),
)
_TWO_SHIFTS = (
    ("A", "06:00", "14:00", ("10:00-10:30",)),
    ("B", "14:00", "22:00", ("18:00-18:30",)),
)
_ALL_WEEK = (1, 2, 3, 4, 5, 6, 7)
_MON_FRI = (1, 2, 3, 4, 5)
_SUN_THU = (7, 1, 2, 3, 4)  # a night shift starting Sunday 22:00 covers Monday morning


@dataclass(frozen=True)
class _SiteSpec:
    id: str
    name: str
    timezone: str
    latitude: float
    longitude: float
    shifts: tuple[tuple[tuple[str, str, str, tuple[str, ...]], tuple[int, ...]], ...]
    lines: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...]  # code, name, (kind, count)


_SITES = (
    _SiteSpec(
        id="CHI",
        name="Chicago Assembly",
        timezone="America/Chicago",
        latitude=41.8500,
        longitude=-87.7150,
        shifts=tuple((shift, _ALL_WEEK) for shift in _THREE_SHIFTS),
        lines=(
            ("MACH", "Machining", (("CNC", 6), ("Lathe", 2))),
            ("STMP", "Stamping", (("Press", 5), ("Laser", 2))),
            ("ASSY", "Final Assembly", (("Robot", 4), ("Welder", 2))),
        ),
    ),
    _SiteSpec(
        id="BER",
        name="Berlin Precision",
        timezone="Europe/Berlin",
        latitude=52.4370,
        longitude=13.5480,
        shifts=(
            (_THREE_SHIFTS[0], _MON_FRI),
            (_THREE_SHIFTS[1], _MON_FRI),
            (_THREE_SHIFTS[2], _SUN_THU),
        ),
        lines=(
            ("MILL", "Milling", (("CNC", 5), ("Grinder", 3))),
            ("MOLD", "Injection Moulding", (("Molder", 7),)),
            ("PACK", "Packaging", (("Packer", 3), ("Labeler", 3))),
        ),
    ),
    _SiteSpec(
        id="PUN",
        name="Pune Components",
        timezone="Asia/Kolkata",
        latitude=18.6298,
        longitude=73.7997,
        shifts=tuple((shift, _MON_FRI) for shift in _TWO_SHIFTS),
        lines=(
            ("FORG", "Forging", (("Forge", 3), ("Press", 4))),
            ("TURN", "Turning", (("Lathe", 5), ("CNC", 3))),
        ),
    ),
)

# Ideal cycle time per unit by machine kind. [s]
_CYCLE_S = {
    "CNC": 95.0,
    "Lathe": 60.0,
    "Press": 6.0,
    "Laser": 42.0,
    "Robot": 30.0,
    "Welder": 24.0,
    "Grinder": 75.0,
    "Molder": 22.0,
    "Packer": 4.0,
    "Labeler": 2.5,
    "Forge": 14.0,
}

_OPERATORS_PER_TEAM = 6
_CLOSE_SHARE = 0.65  # share of completed work orders closed later
_FORCED_HOLD_SHARE = 0.12  # share of running work orders put on hold at as_of (at least 2)
_LATE_ASSIGNED = 3  # idle machines whose next work order is overdue at as_of


@dataclass
class _Machine:
    id: str
    kind: str  # CNC, Press, ...: sets the ideal cycle time
    site_id: str
    site_index: int
    line_id: str
    products: tuple[str, ...]
    reports_counts: bool
    busy: float  # probability of working a given shift
    idle_day_share: float


@dataclass
class _Plan:
    """One work order's whole life as simulated, including events after ``as_of``."""

    machine: _Machine
    start: int  # scheduled start [epoch s]
    planned_end: int  # [epoch s]
    events: list[tuple[str, int]]  # (status, time) in strictly increasing time
    spans: list[tuple[int, int]]  # Start segments, for counts by time
    active: int  # total Start time [s]
    qty: int
    ok: int
    scrap: int
    rework: int
    product_id: str
    operator_id: str
    end: int  # completion [epoch s]
    logged: list[tuple[str, int]] = field(default_factory=list)

    def share_done(self, at: int) -> float:
        elapsed = sum(max(0, min(b, at) - a) for a, b in self.spans)
        return min(1.0, elapsed / self.active)

    def counts(self, at: int) -> tuple[int, int, float | None]:
        """Cumulative good and scrap units and first-pass yield [%] at ``at``."""
        share = self.share_done(at)
        ok, scrap = math.floor(self.ok * share), math.floor(self.scrap * share)
        rework = math.floor(self.rework * share)
        fpy = round(100.0 * (ok - rework) / (ok + scrap), 2) if ok + scrap else None
        return ok, scrap, fpy


def build_demo_plant(
    seed: int = 7, days: int = 120, *, as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Return the demo plant's records per kind, in dependency order (:data:`KINDS`).

    Parameters
    ----------
    seed
        Random seed; the same seed, ``days`` and ``as_of`` give identical records.
    days
        Number of local days of history per site, ending with the site's local day of
        ``as_of``. Work orders assigned for later today and tomorrow are included too.
    as_of
        The moment the data describes (timezone-aware). No log is later than it.
    """
    if as_of.utcoffset() is None:
        raise ValueError(f"as_of {as_of.isoformat()} must be timezone-aware")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    now = math.floor(as_of.timestamp())
    rng = random.Random(f"opslens-demo:{seed}")
    records: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    machines = _build_static(rng, records)
    plans: list[_Plan] = []
    for site_index, site in enumerate(_SITES):
        zone = ZoneInfo(site.timezone)
        today = datetime.fromtimestamp(now, zone).date()
        first_day = today - timedelta(days=days - 1)
        intervals = _shift_intervals(site.shifts, zone, first_day, today + timedelta(days=1))
        t_from, t_until = _local_ts(first_day, zone), _local_ts(today + timedelta(days=2), zone)
        for machine in machines:
            if machine.site_index == site_index:
                machine_rng = random.Random(f"opslens-demo:{seed}:{machine.id}")
                plans += _walk(machine, machine_rng, intervals, t_from, t_until)
    for plan in plans:
        plan.logged = [event for event in plan.events if event[1] <= now]
    _hold_some_running(rng, plans, now)
    _delay_some_next(rng, plans, now, machines)
    _emit_work_orders(plans, now, records)
    return records


def _build_static(rng: random.Random, records: dict[str, list[dict[str, Any]]]) -> list[_Machine]:
    machines: list[_Machine] = []
    for site_index, site in enumerate(_SITES):
        site_id = site.id
        records["sites"].append(
            {
                "id": site.id,
                "name": site.name,
                "timezone": site.timezone,
                "latitude": site.latitude,
                "longitude": site.longitude,
            }
        )
        for (shift_name, start, end, breaks), weekdays in site.shifts:
            records["shifts"].append(
                {
                    "id": f"{site_id}-{shift_name.upper()}",
                    "site_id": site_id,
                    "name": shift_name,
                    "start_time": start,
                    "end_time": end,
                    "weekdays": list(weekdays),
                    "breaks": list(breaks),
                }
            )
        numbers: dict[str, int] = {}
        for line_code, line_name, kinds in site.lines:
            line_id = f"{site_id}-{line_code}"
            records["lines"].append({"id": line_id, "site_id": site_id, "name": line_name})
            base = 1000 * len(records["lines"])
            products = tuple(f"PN-{base + 7 * j}" for j in range(rng.randint(4, 8)))
            for kind, count in kinds:
                for _ in range(count):
                    numbers[kind] = numbers.get(kind, 0) + 1
                    machine_name = f"{kind}-{numbers[kind]:02d}"
                    machine_id = f"{site_id}-{machine_name}"
                    records["machines"].append(
                        {
                            "id": machine_id,
                            "site_id": site_id,
                            "line_id": line_id,
                            "name": machine_name,
                            "asset_id": f"FA-{10001 + len(records['machines'])}",
                            "ideal_cycle_time_s": round(
                                _CYCLE_S[kind] * rng.uniform(0.85, 1.15), 1
                            ),
                        }
                    )
                    spare = rng.random() < 0.06
                    machines.append(
                        _Machine(
                            id=machine_id,
                            kind=kind,
                            site_id=site_id,
                            site_index=site_index,
                            line_id=line_id,
                            products=products,
                            reports_counts=True,
                            busy=rng.uniform(0.2, 0.35) if spare else rng.uniform(0.65, 0.95),
                            idle_day_share=rng.uniform(0.03, 0.12),
                        )
                    )
    for legacy in rng.sample(machines, 2):
        legacy.reports_counts = False
    return machines


def _local_ts(day: date, zone: ZoneInfo, hhmm: str = "00:00") -> int:
    hour, minute = map(int, hhmm.split(":"))
    return int(datetime.combine(day, time(hour, minute), tzinfo=zone).timestamp())


def _shift_intervals(
    shifts: tuple[tuple[tuple[str, str, str, tuple[str, ...]], tuple[int, ...]], ...],
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[tuple[int, int, int, date]]:
    """Working shift instances (start, end, shift index, local day) of each day, by start."""
    intervals = []
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        for index, ((_, start, end, _breaks), weekdays) in enumerate(shifts):
            if day.isoweekday() in weekdays:
                end_day = day + timedelta(days=1) if end <= start else day
                intervals.append(
                    (_local_ts(day, zone, start), _local_ts(end_day, zone, end), index, day)
                )
    intervals.sort()
    return intervals


def _walk(
    machine: _Machine,
    rng: random.Random,
    intervals: list[tuple[int, int, int, date]],
    t_from: int,
    t_until: int,
) -> list[_Plan]:
    """Simulate one machine's work orders through its site's shifts from t_from to t_until."""
    plans: list[_Plan] = []
    cursor = t_from
    idle_days = {day for _, _, _, day in intervals if rng.random() < machine.idle_day_share}
    for shift_start, shift_end, shift_index, day in intervals:
        if shift_start >= t_until:
            break
        if shift_end <= cursor or day in idle_days or rng.random() > machine.busy:
            continue
        t = max(cursor, shift_start) + rng.choice((0, 0, 5, 10, 15, 30)) * MINUTE
        t = -(-t // MINUTE) * MINUTE  # planners schedule on whole minutes
        while t <= shift_end - 2 * HOUR and t < t_until:
            duration = round(rng.triangular(2.0, 10.0, 3.0) * HOUR / MINUTE) * MINUTE
            room = shift_end - t
            if duration > room and rng.random() < 0.85:
                duration = max(2 * HOUR, room - rng.randrange(0, 25, 5) * MINUTE)
            plan = _simulate(machine, rng, t, duration, shift_index)
            plans.append(plan)
            cursor = plan.end
            if rng.random() < 0.12:
                break  # the rest of the shift stays idle
            gap = min(4 * HOUR, rng.expovariate(1 / (25 * MINUTE)))
            t = -(-(cursor + int(gap)) // MINUTE) * MINUTE
    return plans


def _simulate(machine: _Machine, rng: random.Random, start: int, duration: int, team: int) -> _Plan:
    """One work order's life: Assigned, Start, optional holds, Completed, maybe Closed."""
    created = start - rng.randrange(30, 30 * 60, 5) * MINUTE
    late = rng.random() < 0.06
    delay = rng.randint(15 * MINUTE, HOUR) if late else rng.randint(0, 10 * MINUTE)
    started = start + delay
    active = max(HOUR, int(duration * rng.uniform(0.9, 1.08)))
    roll = rng.random()
    cuts = (
        []
        if roll >= 0.2
        else [rng.uniform(0.1, 0.9)]
        if roll >= 0.04
        else [rng.uniform(0.1, 0.45), rng.uniform(0.55, 0.9)]
    )
    events = [("Assigned", created), ("Start", started)]
    spans = []
    now, done = started, 0
    for cut in cuts:
        run = int(active * cut) - done
        hold = int(min(6 * HOUR, max(5 * MINUTE, rng.lognormvariate(math.log(40 * MINUTE), 0.9))))
        spans.append((now, now + run))
        events += [("Hold", now + run), ("Start", now + run + hold)]
        now, done = now + run + hold, done + run
    end = now + active - done
    spans.append((now, end))
    events.append(("Completed", end))
    if rng.random() < _CLOSE_SHARE:
        events.append(("Closed", end + rng.randint(30 * MINUTE, 48 * HOUR)))

    cycle = _CYCLE_S[machine.kind]
    qty = _round_qty(duration * rng.uniform(0.78, 0.95) / cycle)
    made = max(1, round(qty * rng.uniform(0.97, 1.02)))
    scrap = round(made * rng.uniform(0.005, 0.04))
    ok = min(qty, made - scrap)
    team_base = team * _OPERATORS_PER_TEAM + 1
    return _Plan(
        machine=machine,
        start=start,
        planned_end=start + duration,
        events=events,
        spans=spans,
        active=active,
        qty=qty,
        ok=ok,
        scrap=scrap,
        rework=round(ok * rng.uniform(0.0, 0.03)),
        product_id=rng.choice(machine.products),
        operator_id=f"OP-{machine.site_id}-{team_base + rng.randrange(_OPERATORS_PER_TEAM):03d}",
        end=end,
    )


def _round_qty(units: float) -> int:
    step = 50 if units >= 1000 else 10 if units >= 100 else 1
    return max(1, round(units / step) * step)


def _hold_some_running(rng: random.Random, plans: list[_Plan], now: int) -> None:
    """Put a few work orders that are running at ``now`` on hold since a moment before it."""
    running = [
        plan
        for plan in plans
        if plan.logged and plan.logged[-1][0] == "Start" and now - plan.logged[-1][1] >= 120
    ]
    count = min(len(running), max(2, round(_FORCED_HOLD_SHARE * len(running))))
    for plan in rng.sample(running, count):
        since = plan.logged[-1][1]
        held = since + int((now - since) * rng.uniform(0.2, 0.95))
        plan.logged.append(("Hold", held))
        plan.spans = [(a, min(b, held)) for a, b in plan.spans if a < held]


def _delay_some_next(
    rng: random.Random, plans: list[_Plan], now: int, machines: list[_Machine]
) -> None:
    """On a few machines idle at ``now``, make the next work order overdue: scheduled to start
    earlier today but not started yet."""
    by_machine: dict[str, list[_Plan]] = {}
    for plan in plans:
        by_machine.setdefault(plan.machine.id, []).append(plan)
    candidates = []
    for machine in machines:
        own = by_machine.get(machine.id, [])
        if any(plan.logged and plan.logged[-1][0] in ("Start", "Hold") for plan in own):
            continue
        zone = ZoneInfo(_SITES[machine.site_index].timezone)
        midnight = _local_ts(datetime.fromtimestamp(now, zone).date(), zone)
        previous_end = max((p.end for p in own if p.end <= now), default=midnight)
        upcoming = [p for p in own if p.events[1][1] > now]
        if (
            upcoming
            and upcoming[0].start - now < 24 * HOUR
            and now - max(midnight, previous_end) >= 10 * MINUTE
        ):
            candidates.append((upcoming[0], max(midnight, previous_end)))
    for plan, earliest in rng.sample(candidates, min(_LATE_ASSIGNED, len(candidates))):
        start = earliest + int((now - earliest) * rng.uniform(0.1, 0.9))
        start -= start % MINUTE
        start = max(start, earliest)  # still after the machine's previous work order
        if start >= now:
            continue
        plan.planned_end += start - plan.start
        plan.start = start
        created = min(plan.events[0][1], start - rng.randint(1, 8) * HOUR)
        plan.events[0] = ("Assigned", created)
        plan.logged = [("Assigned", created)]


def _emit_work_orders(
    plans: list[_Plan], now: int, records: dict[str, list[dict[str, Any]]]
) -> None:
    zones = {site.id: ZoneInfo(site.timezone) for site in _SITES}
    kept = sorted((p for p in plans if p.logged), key=lambda p: (p.start, p.machine.id))
    for number, plan in enumerate(kept, start=1):
        site_id = plan.machine.site_id
        zone = zones[site_id]
        wo_id = f"WO-{number:06d}"
        status = plan.logged[-1][0]
        if status in ("Completed", "Closed"):
            end: int | None = plan.end
            ok, scrap = plan.ok, plan.scrap
        elif status == "Assigned":
            end, ok, scrap = plan.planned_end, 0, 0
        else:
            end = plan.planned_end if plan.planned_end > now else None
            ok, scrap, _ = plan.counts(now)
        records["work_orders"].append(
            {
                "id": wo_id,
                "site_id": site_id,
                "machine_id": plan.machine.id,
                "start_time": _stamp(plan.start, zone),
                "end_time": None if end is None else _stamp(end, zone),
                "status": status,
                "qty": plan.qty,
                "ok_qty": ok,
                "scrap_qty": scrap,
                "product_id": plan.product_id,
                "operator_id": plan.operator_id,
            }
        )
        for index, (log_status, at) in enumerate(plan.logged):
            if not plan.machine.reports_counts or log_status == "Assigned":
                counts: tuple[int | None, int | None, float | None] = (None, None, None)
            elif index == 1:
                counts = (0, 0, None)
            else:
                counts = plan.counts(at)
            records["work_order_logs"].append(
                {
                    "work_order_id": wo_id,
                    "status": log_status,
                    "changed_at": _stamp(at, zone),
                    "ok_qty": counts[0],
                    "scrap_qty": counts[1],
                    "fpy": counts[2],
                }
            )


def _stamp(ts: int, zone: ZoneInfo) -> str:
    """ISO-8601 local wall-clock time with its UTC offset, e.g. 2025-10-14T06:00:00+02:00."""
    return datetime.fromtimestamp(ts, zone).isoformat()
