"""Plant record kinds of DESIGN.md §4: sites, lines, machines, shifts, work orders, logs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AliasChoices, Field, with_config
from typing_extensions import TypedDict

from opslens.domain.calendars import ShiftDef, parse_breaks, parse_hhmm, parse_weekdays
from opslens.errors import InvalidInput
from opslens.ingest.kinds import (
    RECORD_CONFIG,
    Checked,
    Context,
    Record,
    RecordKind,
    register,
    to_utc,
)
from opslens.store import records, schema

Id = Annotated[str, Field(min_length=1, max_length=64)]
OptionalId = Annotated[str | None, Field(max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Quantity = Annotated[float | None, Field(ge=0, allow_inf_nan=False)]
WORK_ORDER_STATUSES = ("Assigned", "Start", "Hold", "Completed", "Closed")
_STATUS_BY_LOWER = {s.lower(): s for s in WORK_ORDER_STATUSES}
_STATUSES = frozenset(WORK_ORDER_STATUSES)


def _status(value: Any) -> Any:
    """Accept any letter case ("start", "START"); the stored form is the seed's ("Start")."""
    if isinstance(value, str):
        return _STATUS_BY_LOWER.get(value.strip().lower(), value)
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
        ) from None
    return value


def _hhmm(value: str) -> str:
    return parse_hhmm(value).strftime("%H:%M")


Status = Literal["Assigned", "Start", "Hold", "Completed", "Closed"]
Timestamp = str | datetime  # ISO 8601 text, parsed by kinds.to_utc in the site's zone


def _normalize_status(records: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Accept any letter case of a status ("start", "START"): a cheap pass over the batch
    that copies only the records it changes."""
    out = None
    for i, record in enumerate(records):
        status = record.get("status") if isinstance(record, dict) else None
        if status.__class__ is str and status not in _STATUSES:
            fixed = _status(status)
            if fixed != status:
                out = out or list(records)
                out[i] = {**record, "status": fixed}
    return records if out is None else out
OkQty = Annotated[Quantity, Field(validation_alias=AliasChoices("ok_qty", "ok_qtys"))]
ScrapQty = Annotated[Quantity, Field(
    validation_alias=AliasChoices("scrap_qty", "scrapped_qtys", "scrap_qtys"))]


@with_config(RECORD_CONFIG)
class SiteRecord(TypedDict):
    id: Id
    name: Name
    timezone: Annotated[str, AfterValidator(_zone)]
    latitude: NotRequired[Annotated[float | None, Field(ge=-90, le=90)]]
    longitude: NotRequired[Annotated[float | None, Field(ge=-180, le=180)]]
    organization_id: NotRequired[str | None]


@with_config(RECORD_CONFIG)
class LineRecord(TypedDict):
    id: Id
    site_id: Id
    name: Name


@with_config(RECORD_CONFIG)
class MachineRecord(TypedDict):
    id: Id
    site_id: Id
    line_id: NotRequired[OptionalId]
    name: Name
    asset_id: NotRequired[OptionalId]
    ideal_cycle_time_s: NotRequired[Annotated[float | None, Field(gt=0, allow_inf_nan=False)]]


@with_config(RECORD_CONFIG)
class ShiftRecord(TypedDict):
    id: Id
    site_id: Id
    name: Name
    start_time: Annotated[str, AfterValidator(_hhmm)]
    end_time: Annotated[str, AfterValidator(_hhmm)]
    weekdays: NotRequired[list[int | str] | str | None]
    breaks: NotRequired[list[str] | str | None]


@with_config(RECORD_CONFIG)
class WorkOrderRecord(TypedDict):
    id: Id
    site_id: Id
    machine_id: Id
    start_time: Timestamp
    end_time: NotRequired[Timestamp | None]
    status: Status
    qty: NotRequired[Quantity]
    ok_qty: NotRequired[OkQty]
    scrap_qty: NotRequired[ScrapQty]
    product_id: NotRequired[OptionalId]
    operator_id: NotRequired[OptionalId]


@with_config(RECORD_CONFIG)
class WorkOrderLogRecord(TypedDict):
    work_order_id: Id
    status: Status
    changed_at: Timestamp
    ok_qty: NotRequired[OkQty]
    scrap_qty: NotRequired[ScrapQty]
    fpy: NotRequired[Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)]]


def _sites(ctx: Context, ids: set[str]) -> dict[str, dict[str, Any]]:
    return records.fetch_by_ids(ctx.conn, schema.sites, ctx.org, ids, ["timezone"])


@register
class Sites(RecordKind):
    name = "sites"
    table = schema.sites
    model = SiteRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        known = _sites(ctx, {r["id"] for _, r in batch})
        for index, r in batch:
            if r.get("organization_id") is not None and r.get("organization_id") != ctx.org:
                out.reject(index, "organization_id", (
                    f"record names organization {r.get('organization_id')!r} but is sent to "
                    f"{ctx.org!r}; send it with that organization or drop the field"))
                continue
            if r["id"] in known and known[r["id"]]["timezone"] != r["timezone"]:
                out.sites.add(r["id"])  # every local day moves
            out.add(index, {
                "id": r["id"], "name": r["name"],
                "timezone": r["timezone"], "latitude": r.get("latitude"),
                "longitude": r.get("longitude"),
            })
        return out


@register
class Lines(RecordKind):
    name = "lines"
    table = schema.lines
    model = LineRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        sites = _sites(ctx, {r["site_id"] for _, r in batch})
        for index, r in batch:
            if r["site_id"] not in sites:
                out.unknown(index, "site_id", "site", r["site_id"])
                continue
            out.add(index, {"id": r["id"], "site_id": r["site_id"],
                             "name": r["name"]})
        return out


@register
class Machines(RecordKind):
    name = "machines"
    table = schema.machines
    model = MachineRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        sites = _sites(ctx, {r["site_id"] for _, r in batch})
        line_ids = {r.get("line_id") for _, r in batch} - {None}
        lines = records.fetch_by_ids(ctx.conn, schema.lines, ctx.org, line_ids, ["site_id"])
        existing = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                        {r["id"] for _, r in batch}, ["site_id"])
        for index, r in batch:
            if r["site_id"] not in sites:
                out.unknown(index, "site_id", "site", r["site_id"])
                continue
            line_id = r.get("line_id")
            if line_id is not None:
                line = lines.get(line_id)
                if line is None:
                    out.unknown(index, "line_id", "line", line_id)
                    continue
                if line["site_id"] != r["site_id"]:
                    out.reject(index, "line_id", (
                        f"line {line_id!r} belongs to site {line['site_id']!r}, "
                        f"not {r['site_id']!r}"))
                    continue
            out.sites.add(r["site_id"])  # the site's machine count changes every day
            if r["id"] in existing:
                out.sites.add(existing[r["id"]]["site_id"])
            out.add(index, {
                "id": r["id"], "site_id": r["site_id"],
                "line_id": line_id, "name": r["name"], "asset_id": r.get("asset_id"),
                "ideal_cycle_time_s": r.get("ideal_cycle_time_s"),
            })
        return out


@register
class Shifts(RecordKind):
    name = "shifts"
    table = schema.shifts
    model = ShiftRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        sites = _sites(ctx, {r["site_id"] for _, r in batch})
        existing = records.fetch_by_ids(ctx.conn, schema.shifts, ctx.org,
                                        {r["id"] for _, r in batch}, ["site_id"])
        for index, r in batch:
            if r["site_id"] not in sites:
                out.unknown(index, "site_id", "site", r["site_id"])
                continue
            try:
                weekdays = parse_weekdays(r.get("weekdays"))
            except InvalidInput as exc:
                out.reject(index, "weekdays", exc.message)
                continue
            try:
                breaks = parse_breaks(r.get("breaks"))
                ShiftDef(id=r["id"], name=r["name"], start=parse_hhmm(r["start_time"]),
                         end=parse_hhmm(r["end_time"]), weekdays=weekdays, breaks=breaks)
            except InvalidInput as exc:
                out.reject(index, "breaks", exc.message)
                continue
            out.sites.add(r["site_id"])  # available hours change
            if r["id"] in existing:
                out.sites.add(existing[r["id"]]["site_id"])
            out.add(index, {
                "id": r["id"], "site_id": r["site_id"],
                "name": r["name"], "start_time": r["start_time"], "end_time": r["end_time"],
                "weekdays": "".join(str(d) for d in sorted(weekdays)),
                "breaks": ";".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in breaks),
            })
        return out


class _StatusKind(RecordKind):
    """A kind with a work-order ``status``, accepted in any letter case."""

    def normalize(self, records: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
        return _normalize_status(records)


@register
class WorkOrders(_StatusKind):
    name = "work_orders"
    table = schema.work_orders
    model = WorkOrderRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        machines = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                        {r["machine_id"] for _, r in batch}, ["site_id"])
        sites = _sites(ctx, {r["site_id"] for _, r in batch})
        zones = {site: ZoneInfo(row["timezone"]) for site, row in sites.items()}
        for index, r in batch:
            machine = machines.get(r["machine_id"])
            if r["site_id"] not in sites:
                out.unknown(index, "site_id", "site", r["site_id"])
                continue
            if machine is None:
                out.unknown(index, "machine_id", "machine", r["machine_id"])
                continue
            if machine["site_id"] != r["site_id"]:
                out.reject(index, "machine_id", (
                    f"machine {r['machine_id']!r} belongs to site {machine['site_id']!r}, "
                    f"not {r['site_id']!r}"))
                continue
            zone = zones[r["site_id"]]
            try:
                start = to_utc(r["start_time"], zone)
            except ValueError as exc:
                out.reject(index, "start_time", str(exc))
                continue
            try:
                end = to_utc(r["end_time"], zone) if r.get("end_time") else None
            except ValueError as exc:
                out.reject(index, "end_time", str(exc))
                continue
            if end is not None and end <= start:
                out.reject(index, "end_time", (
                    f"end_time {end.isoformat()} is not after start_time {start.isoformat()}"))
                continue
            out.work_orders.add(r["id"])
            out.add(index, {
                "id": r["id"], "site_id": r["site_id"],
                "machine_id": r["machine_id"], "start_time": start, "end_time": end,
                "status": r["status"], "qty": r.get("qty"), "ok_qty": r.get("ok_qty"),
                "scrap_qty": r.get("scrap_qty"),
                "product_id": r.get("product_id"), "operator_id": r.get("operator_id"),
            })
        return out


@register
class WorkOrderLogs(_StatusKind):
    name = "work_order_logs"
    table = schema.work_order_logs
    model = WorkOrderLogRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        orders = records.fetch_by_ids(ctx.conn, schema.work_orders, ctx.org,
                                      {r["work_order_id"] for _, r in batch}, ["site_id"])
        sites = _sites(ctx, {o["site_id"] for o in orders.values()})
        zones = {site: ZoneInfo(row["timezone"]) for site, row in sites.items()}
        for index, r in batch:
            order = orders.get(r["work_order_id"])
            if order is None:
                out.unknown(index, "work_order_id", "work order", r["work_order_id"])
                continue
            try:
                changed_at = to_utc(r["changed_at"], zones[order["site_id"]])
            except ValueError as exc:
                out.reject(index, "changed_at", str(exc))
                continue
            out.work_orders.add(r["work_order_id"])
            out.add(index, {
                "work_order_id": r["work_order_id"],
                "changed_at": changed_at,
                "status": r["status"], "ok_qty": r.get("ok_qty"), "scrap_qty": r.get("scrap_qty"),
                "fpy": r.get("fpy"),
            })
        return out
