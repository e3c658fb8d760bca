"""Plant record kinds of DESIGN.md §4: sites, lines, machines, shifts, work orders, logs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator

from opslens.domain.calendars import parse_breaks, parse_hhmm, parse_weekdays
from opslens.errors import InvalidInput
from opslens.ingest.kinds import (
    Checked,
    Context,
    RecordKind,
    StrictRecord,
    register,
    reject,
    to_utc,
)
from opslens.store import records, schema

Id = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Quantity = Annotated[float, Field(ge=0, allow_inf_nan=False)]
WORK_ORDER_STATUSES = ("Assigned", "Start", "Hold", "Completed", "Closed")
Status = Literal["Assigned", "Start", "Hold", "Completed", "Closed"]
_STATUS_BY_LOWER = {s.lower(): s for s in WORK_ORDER_STATUSES}


def _status(value: Any) -> Any:
    """Accept any letter case ("start", "START"); the stored form is the seed's ("Start")."""
    if isinstance(value, str):
        return _STATUS_BY_LOWER.get(value.strip().lower(), value)
    return value


class SiteRecord(StrictRecord):
    id: Id
    name: Name
    timezone: str
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    organization_id: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
            ) from None
        return value


class LineRecord(StrictRecord):
    id: Id
    site_id: Id
    name: Name


class MachineRecord(StrictRecord):
    id: Id
    site_id: Id
    line_id: Id | None = None
    name: Name
    asset_id: str | None = Field(None, max_length=64)
    ideal_cycle_time_s: float | None = Field(None, gt=0, allow_inf_nan=False)


class ShiftRecord(StrictRecord):
    id: Id
    site_id: Id
    name: Name
    start_time: str
    end_time: str
    weekdays: list[int | str] | str | None = None
    breaks: list[str] | str | None = None

    @field_validator("start_time", "end_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        return parse_hhmm(value).strftime("%H:%M")


class WorkOrderRecord(StrictRecord):
    id: Id
    site_id: Id
    machine_id: Id
    start_time: datetime
    end_time: datetime | None = None
    status: Status
    qty: Quantity | None = None
    ok_qty: Quantity | None = Field(None, validation_alias=AliasChoices("ok_qty", "ok_qtys"))
    scrap_qty: Quantity | None = Field(
        None, validation_alias=AliasChoices("scrap_qty", "scrapped_qtys", "scrap_qtys")
    )
    product_id: str | None = Field(None, max_length=64)
    operator_id: str | None = Field(None, max_length=64)

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> Any:
        return _status(value)


class WorkOrderLogRecord(StrictRecord):
    work_order_id: Id
    status: Status
    changed_at: datetime
    ok_qty: Quantity | None = Field(None, validation_alias=AliasChoices("ok_qty", "ok_qtys"))
    scrap_qty: Quantity | None = Field(
        None, validation_alias=AliasChoices("scrap_qty", "scrapped_qtys", "scrap_qtys")
    )
    fpy: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> Any:
        return _status(value)


def _sites(ctx: Context, ids: set[str]) -> dict[str, dict[str, Any]]:
    return records.fetch_by_ids(ctx.conn, schema.sites, ctx.org, ids, ["timezone"])


@register
class Sites(RecordKind):
    name = "sites"
    table = schema.sites
    model = SiteRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, SiteRecord]]) -> Checked:
        out = Checked()
        known = _sites(ctx, {r.id for _, r in batch})
        for index, r in batch:
            if r.organization_id is not None and r.organization_id != ctx.org:
                out.errors.append(reject(index, "organization_id", (
                    f"record names organization {r.organization_id!r} but is sent to "
                    f"{ctx.org!r}; send it with that organization or drop the field")))
                continue
            if r.id in known and known[r.id]["timezone"] != r.timezone:
                out.sites.add(r.id)  # every local day moves
            out.rows.append({
                "organization_id": ctx.org, "id": r.id, "name": r.name,
                "timezone": r.timezone, "latitude": r.latitude, "longitude": r.longitude,
                "updated_at": ctx.now,
            })
        return out


@register
class Lines(RecordKind):
    name = "lines"
    table = schema.lines
    model = LineRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, LineRecord]]) -> Checked:
        out = Checked()
        sites = _sites(ctx, {r.site_id for _, r in batch})
        for index, r in batch:
            if r.site_id not in sites:
                out.errors.append(reject(index, "site_id", f"unknown site {r.site_id!r}"))
                continue
            out.rows.append({"organization_id": ctx.org, "id": r.id, "site_id": r.site_id,
                             "name": r.name, "updated_at": ctx.now})
        return out


@register
class Machines(RecordKind):
    name = "machines"
    table = schema.machines
    model = MachineRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, MachineRecord]]) -> Checked:
        out = Checked()
        sites = _sites(ctx, {r.site_id for _, r in batch})
        lines = records.fetch_by_ids(ctx.conn, schema.lines, ctx.org,
                                     {r.line_id for _, r in batch if r.line_id}, ["site_id"])
        existing = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                        {r.id for _, r in batch}, ["site_id"])
        for index, r in batch:
            if r.site_id not in sites:
                out.errors.append(reject(index, "site_id", f"unknown site {r.site_id!r}"))
                continue
            if r.line_id is not None:
                line = lines.get(r.line_id)
                if line is None:
                    out.errors.append(reject(index, "line_id", f"unknown line {r.line_id!r}"))
                    continue
                if line["site_id"] != r.site_id:
                    out.errors.append(reject(index, "line_id", (
                        f"line {r.line_id!r} belongs to site {line['site_id']!r}, "
                        f"not {r.site_id!r}")))
                    continue
            out.sites.add(r.site_id)  # the site's machine count changes every day
            if r.id in existing:
                out.sites.add(existing[r.id]["site_id"])
            out.rows.append({
                "organization_id": ctx.org, "id": r.id, "site_id": r.site_id,
                "line_id": r.line_id, "name": r.name, "asset_id": r.asset_id,
                "ideal_cycle_time_s": r.ideal_cycle_time_s, "updated_at": ctx.now,
            })
        return out


@register
class Shifts(RecordKind):
    name = "shifts"
    table = schema.shifts
    model = ShiftRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, ShiftRecord]]) -> Checked:
        out = Checked()
        sites = _sites(ctx, {r.site_id for _, r in batch})
        existing = records.fetch_by_ids(ctx.conn, schema.shifts, ctx.org,
                                        {r.id for _, r in batch}, ["site_id"])
        for index, r in batch:
            if r.site_id not in sites:
                out.errors.append(reject(index, "site_id", f"unknown site {r.site_id!r}"))
                continue
            try:
                weekdays = parse_weekdays(r.weekdays)
            except InvalidInput as exc:
                out.errors.append(reject(index, "weekdays", exc.message))
                continue
            try:
                breaks = parse_breaks(r.breaks)
                _check_breaks_inside(r.start_time, r.end_time, breaks)
            except InvalidInput as exc:
                out.errors.append(reject(index, "breaks", exc.message))
                continue
            out.sites.add(r.site_id)  # available hours change
            if r.id in existing:
                out.sites.add(existing[r.id]["site_id"])
            out.rows.append({
                "organization_id": ctx.org, "id": r.id, "site_id": r.site_id, "name": r.name,
                "start_time": r.start_time, "end_time": r.end_time,
                "weekdays": "".join(str(d) for d in sorted(weekdays)),
                "breaks": ";".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in breaks),
                "updated_at": ctx.now,
            })
        return out


def _check_breaks_inside(start: str, end: str, breaks) -> None:
    from opslens.domain.calendars import ShiftDef

    ShiftDef(id="check", name="check", start=parse_hhmm(start), end=parse_hhmm(end),
             weekdays=frozenset(range(1, 8)), breaks=tuple(breaks))


@register
class WorkOrders(RecordKind):
    name = "work_orders"
    table = schema.work_orders
    model = WorkOrderRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, WorkOrderRecord]]) -> Checked:
        out = Checked()
        machines = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                        {r.machine_id for _, r in batch}, ["site_id"])
        sites = _sites(ctx, {r.site_id for _, r in batch})
        zones = {site: ZoneInfo(row["timezone"]) for site, row in sites.items()}
        for index, r in batch:
            machine = machines.get(r.machine_id)
            if r.site_id not in sites:
                out.errors.append(reject(index, "site_id", f"unknown site {r.site_id!r}"))
                continue
            if machine is None:
                out.errors.append(reject(index, "machine_id",
                                         f"unknown machine {r.machine_id!r}"))
                continue
            if machine["site_id"] != r.site_id:
                out.errors.append(reject(index, "machine_id", (
                    f"machine {r.machine_id!r} belongs to site {machine['site_id']!r}, "
                    f"not {r.site_id!r}")))
                continue
            start = to_utc(r.start_time, zones[r.site_id])
            end = to_utc(r.end_time, zones[r.site_id]) if r.end_time else None
            if end is not None and end <= start:
                out.errors.append(reject(index, "end_time", (
                    f"end_time {end.isoformat()} is not after start_time {start.isoformat()}")))
                continue
            out.work_orders.add(r.id)
            out.rows.append({
                "organization_id": ctx.org, "id": r.id, "site_id": r.site_id,
                "machine_id": r.machine_id, "start_time": start, "end_time": end,
                "status": r.status, "qty": r.qty, "ok_qty": r.ok_qty, "scrap_qty": r.scrap_qty,
                "product_id": r.product_id, "operator_id": r.operator_id,
                "updated_at": ctx.now,
            })
        return out


@register
class WorkOrderLogs(RecordKind):
    name = "work_order_logs"
    table = schema.work_order_logs
    model = WorkOrderLogRecord

    def key(self, record: WorkOrderLogRecord) -> tuple:
        return (record.work_order_id, record.changed_at)

    def check(self, ctx: Context, batch: Sequence[tuple[int, WorkOrderLogRecord]]) -> Checked:
        out = Checked()
        orders = records.fetch_by_ids(ctx.conn, schema.work_orders, ctx.org,
                                      {r.work_order_id for _, r in batch}, ["site_id"])
        sites = _sites(ctx, {o["site_id"] for o in orders.values()})
        zones = {site: ZoneInfo(row["timezone"]) for site, row in sites.items()}
        for index, r in batch:
            order = orders.get(r.work_order_id)
            if order is None:
                out.errors.append(reject(index, "work_order_id",
                                         f"unknown work order {r.work_order_id!r}"))
                continue
            out.work_orders.add(r.work_order_id)
            out.rows.append({
                "organization_id": ctx.org, "work_order_id": r.work_order_id,
                "changed_at": to_utc(r.changed_at, zones[order["site_id"]]),
                "status": r.status, "ok_qty": r.ok_qty, "scrap_qty": r.scrap_qty,
                "fpy": r.fpy, "updated_at": ctx.now,
            })
        return out
