"""A deliberately simple reference implementation of DESIGN.md §5.1–5.3 for one site.

This is the oracle of ``test_rollups_oracle.py`` (as ibis checks its SQL backends against
plain pandas): it walks every work order and every day in Python, with no cleverness, so that
it can be read side by side with the design text. It shares nothing with the SQL under test
except two modules that have their own tests: :mod:`opslens.domain.intervals` (union,
measure, clip, local day bounds) and :func:`opslens.domain.calendars.available_seconds_by_day`.

Inputs are plain dicts with timezone-aware datetimes:

- work order: ``id, machine_id, start_time, end_time (or None), status, ok_qty?, scrap_qty?``
- log: ``work_order_id, status, changed_at, ok_qty?, scrap_qty?, fpy?``
- shift: ``id, name, start_time 'HH:MM', end_time 'HH:MM', weekdays?, breaks?``

The result maps ``(machine_id, day)`` to the fields of a ``machine_days`` row plus ``idle_s``.

Decisions taken where DESIGN.md is silent (each is also what the SQL does):

- Time after ``as_of`` is not known: every status segment ends at ``as_of`` at the latest,
  also a log-less work order's ``[start_time, end_time)`` when its end_time is later.
- A terminal status (Completed, Closed) contributes no time; should a later log follow
  (a reopened work order), that log's status holds from its own instant as usual.
- Time-weighted Assigned time counts only from the work order's ``start_time`` on (an order
  released early is not yet "scheduled" work); the Scheduled *status* needs ``start_time``
  in the day, as §5.2 says.
- A log-less Completed work order completes at its end_time, or at its start_time when it has
  none.
- ``fpy_weighted``/``fpy_units``: each log's ``fpy`` weighted by the units that log reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from opslens.domain.calendars import ShiftDef, available_seconds_by_day
from opslens.domain.intervals import Interval, clip, local_day_bounds, measure

TERMINAL = ("Completed", "Closed")
STATUS_ORDER = ("running", "hold", "scheduled", "idle")

Record = Mapping[str, Any]


def known_logs(logs: Iterable[Record], work_order_id: str, as_of: datetime) -> list[Record]:
    """The logs of one work order known at ``as_of`` (changed before it), in time order."""
    return sorted(
        (log for log in logs
         if log["work_order_id"] == work_order_id and log["changed_at"] < as_of),
        key=lambda log: log["changed_at"],
    )


def segments(order: Record, logs: Sequence[Record], as_of: datetime) -> list[tuple[str, Interval]]:
    """DESIGN.md §5.1: the (status, [start, end)) pieces of one work order, known at as_of.

    ``logs`` are the work order's known logs in time order (see :func:`known_logs`).
    """
    out: list[tuple[str, Interval]] = []
    if logs:
        for i, log in enumerate(logs):
            end = logs[i + 1]["changed_at"] if i + 1 < len(logs) else as_of
            if log["status"] not in TERMINAL:
                out.append((log["status"], (log["changed_at"], end)))
    else:
        status = order["status"]
        end = order["end_time"]
        if status in TERMINAL and end is None:
            return []  # duration unknown
        if end is None or end > as_of:
            end = as_of
        out.append(("Start" if status in TERMINAL else status, (order["start_time"], end)))
    return [(status, (s, e)) for status, (s, e) in out if s < e]


def marks(order: Record, logs: Sequence[Record], as_of: datetime) -> list[dict[str, Any]]:
    """Production and completion events of one work order known at ``as_of`` (DESIGN §5.3)."""
    out: list[dict[str, Any]] = []
    ok_cum = scrap_cum = 0.0
    previous_status = None
    for log in logs:
        good = scrap = 0.0
        if log.get("ok_qty") is not None:
            good = log["ok_qty"] - ok_cum
            ok_cum = log["ok_qty"]
        if log.get("scrap_qty") is not None:
            scrap = log["scrap_qty"] - scrap_cum
            scrap_cum = log["scrap_qty"]
        fpy = log.get("fpy")
        out.append({
            "at": log["changed_at"], "good": good, "scrap": scrap,
            "completed": int(log["status"] == "Completed" and previous_status != "Completed"),
            "fpy_weighted": fpy * (good + scrap) if fpy is not None else 0.0,
            "fpy_units": good + scrap if fpy is not None else 0.0,
        })
        previous_status = log["status"]
    counted = any(log.get("ok_qty") is not None or log.get("scrap_qty") is not None
                  for log in logs)
    if not counted:  # seed 003's rule: the work order's own quantities on its start instant
        out.append({"at": order["start_time"], "good": float(order.get("ok_qty") or 0),
                    "scrap": float(order.get("scrap_qty") or 0), "completed": 0,
                    "fpy_weighted": 0.0, "fpy_units": 0.0})
    if not logs and order["status"] == "Completed":
        out.append({"at": order["end_time"] or order["start_time"], "good": 0.0, "scrap": 0.0,
                    "completed": 1, "fpy_weighted": 0.0, "fpy_units": 0.0})
    return [mark for mark in out if mark["at"] < as_of]


def machine_days(
    tz: ZoneInfo,
    shifts: Sequence[Record],
    machines: Sequence[str],
    work_orders: Sequence[Record],
    logs: Sequence[Record],
    days: Sequence[date],
    as_of: datetime,
) -> dict[tuple[str, date], dict[str, Any]]:
    """One row per machine and local day, as known at ``as_of`` (DESIGN.md §5.1–5.3)."""
    shift_defs = [ShiftDef.from_text(s["id"], s["name"], s["start_time"], s["end_time"],
                                     s.get("weekdays"), s.get("breaks")) for s in shifts]
    available = (available_seconds_by_day(shift_defs, min(days), max(days), tz)
                 if days else {})
    timeline: dict[str, list[tuple[str, Interval]]] = {}
    events: dict[str, list[dict[str, Any]]] = {}
    for order in work_orders:
        mine = known_logs(logs, order["id"], as_of)
        timeline[order["id"]] = segments(order, mine, as_of)
        events[order["id"]] = marks(order, mine, as_of)

    result: dict[tuple[str, date], dict[str, Any]] = {}
    for machine in machines:
        orders = [o for o in work_orders if o["machine_id"] == machine]
        for day in days:
            bounds = local_day_bounds(day, tz)
            day_s = (bounds[1] - bounds[0]).total_seconds()
            start_pieces: list[Interval] = []
            hold_pieces: list[Interval] = []
            assigned_pieces: list[Interval] = []  # from the work order's start_time on
            scheduled_flag = False
            spans: list[Interval] = []
            for order in orders:
                starts_today = bounds[0] <= order["start_time"] < bounds[1]
                for status, interval in timeline[order["id"]]:
                    piece = clip(interval, bounds)
                    if piece is None:
                        continue
                    if status == "Start":
                        start_pieces.append(piece)
                    elif status == "Hold":
                        hold_pieces.append(piece)
                    elif status == "Assigned":
                        scheduled_flag = scheduled_flag or starts_today
                        late = (max(piece[0], order["start_time"]), piece[1])
                        if late[0] < late[1]:
                            assigned_pieces.append(late)
                ran = any(status == "Start" for status, _ in timeline[order["id"]])
                if ran:
                    span = clip((order["start_time"], order["end_time"] or as_of), bounds)
                    if span is not None:
                        spans.append(span)
            running_s = measure(start_pieces).total_seconds()
            busy_s = measure(start_pieces + hold_pieces).total_seconds()
            any_s = measure(start_pieces + hold_pieces + assigned_pieces).total_seconds()
            if start_pieces:
                status = "running"
            elif hold_pieces:
                status = "hold"
            elif scheduled_flag:
                status = "scheduled"
            else:
                status = "idle"
            todays = [m for o in orders for m in events[o["id"]]
                      if bounds[0] <= m["at"] < bounds[1]]
            result[(machine, day)] = {
                "status": status,
                "day_s": day_s,
                "running_s": running_s,
                "hold_s": busy_s - running_s,
                "assigned_s": any_s - busy_s,
                "idle_s": day_s - any_s,
                "available_s": available[day],
                "scheduled_s": measure(spans).total_seconds(),
                "active_s": running_s,
                "planned_downtime_s": 0.0,
                "good_units": sum(m["good"] for m in todays),
                "scrap_units": sum(m["scrap"] for m in todays),
                "completed": sum(m["completed"] for m in todays),
                "fpy_weighted": sum(m["fpy_weighted"] for m in todays),
                "fpy_units": sum(m["fpy_units"] for m in todays),
            }
    return result
