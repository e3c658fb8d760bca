"""OEE record kinds of DESIGN.md §4: reason codes, downtime events, production counts, ideal
cycle times and energy readings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, NotRequired
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, with_config
from typing_extensions import TypedDict

from opslens.domain.downtime import LOSSES, check_tree
from opslens.errors import InvalidInput
from opslens.ingest.kinds import RECORD_CONFIG, Checked, Context, Record, RecordKind, register
from opslens.ingest.kinds import to_utc as _to_utc
from opslens.ingest.plant import Id, Name, OptionalId, Timestamp
from opslens.plant.energy import tariff
from opslens.store import records, schema
from opslens.store.oee import ANY_MACHINE

Count = Annotated[float, Field(ge=0, allow_inf_nan=False)]
OptionalCount = Annotated[float | None, Field(ge=0, allow_inf_nan=False)]
Loss = Literal[LOSSES]  # type: ignore[valid-type]


@with_config(RECORD_CONFIG)
class ReasonCodeRecord(TypedDict):
    code: Id
    category: Annotated[str, Field(min_length=1, max_length=64)]
    description: Name
    planned: bool
    loss: Loss
    parent_code: NotRequired[OptionalId]
    color: NotRequired[Annotated[str | None, Field(pattern=r"^#[0-9a-fA-F]{6}$")]]
    sort_order: NotRequired[int | None]
    active: NotRequired[bool | None]


@with_config(RECORD_CONFIG)
class DowntimeEventRecord(TypedDict):
    id: Id
    machine_id: Id
    start_time: Timestamp
    end_time: NotRequired[Timestamp | None]
    reason_code: Id
    planned: NotRequired[bool | None]
    work_order_id: NotRequired[OptionalId]
    notes: NotRequired[Annotated[str | None, Field(max_length=2000)]]
    logged_by: NotRequired[Annotated[str | None, Field(max_length=200)]]


@with_config(RECORD_CONFIG)
class ProductionCountRecord(TypedDict):
    machine_id: Id
    timestamp: Annotated[Timestamp, Field(validation_alias=AliasChoices("timestamp",
                                                                         "counted_at"))]
    total: Count
    good: Count
    scrap: NotRequired[OptionalCount]
    rework: NotRequired[OptionalCount]
    startup_rejects: NotRequired[OptionalCount]
    period_start: NotRequired[Timestamp | None]
    work_order_id: NotRequired[OptionalId]
    product_id: NotRequired[OptionalId]


@with_config(RECORD_CONFIG)
class IdealCycleTimeRecord(TypedDict):
    product_id: Id
    machine_id: NotRequired[OptionalId]
    ideal_cycle_time_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]


@with_config(RECORD_CONFIG)
class EnergyReadingRecord(TypedDict):
    machine_id: Id
    reading_time: Timestamp
    kwh_consumed: NotRequired[OptionalCount]
    meter_reading: NotRequired[OptionalCount]
    work_order_id: NotRequired[OptionalId]
    batch_id: NotRequired[OptionalId]
    product_id: NotRequired[OptionalId]


Percent = Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)]


@with_config(RECORD_CONFIG)
class OeeTargetRecord(TypedDict):
    id: Id
    scope: Literal["organization", "site", "line", "machine"]
    reference_id: NotRequired[OptionalId]
    oee_target: NotRequired[Percent]
    availability_target: NotRequired[Percent]
    performance_target: NotRequired[Percent]
    quality_target: NotRequired[Percent]
    effective_date: date
    expiry_date: NotRequired[date | None]


class _MachineKind(RecordKind):
    """A kind whose records name a machine (and maybe a work order of it): checks both and
    hands each good record to :meth:`row` with the machine's site and time zone."""

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        machines = self.machines(ctx, batch)
        orders = self.work_orders(ctx, batch)
        lookups = self.lookups(ctx, batch)
        for index, r in batch:
            machine = machines.get(r["machine_id"])
            if machine is None:
                out.unknown(index, "machine_id", "machine", r["machine_id"])
                continue
            order = self.work_order_of(out, index, r, orders)
            if order is False:
                continue
            row = self.row(out, index, r, machine[0], machine[1], order, lookups)
            if row is not None:
                out.add(index, row)
        return out

    def lookups(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Any:
        """What :meth:`row` needs from the store besides machine and work order."""
        return None

    def row(self, out: Checked, index: int, r: Record, site_id: str, zone: ZoneInfo,
            order: dict[str, Any] | None, lookups: Any) -> dict[str, Any] | None:
        """The row to store, or None after rejecting the record on ``out``."""
        raise NotImplementedError

    def machines(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> dict[str, Any]:
        found = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                     {r["machine_id"] for _, r in batch}, ["site_id"])
        sites = records.fetch_by_ids(ctx.conn, schema.sites, ctx.org,
                                     {m["site_id"] for m in found.values()}, ["timezone"])
        zones = {site: ZoneInfo(row["timezone"]) for site, row in sites.items()}
        return {mid: (m["site_id"], zones[m["site_id"]]) for mid, m in found.items()}

    def work_orders(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> dict[str, Any]:
        return records.fetch_by_ids(ctx.conn, schema.work_orders, ctx.org,
                                    {r.get("work_order_id") for _, r in batch} - {None},
                                    ["machine_id", "product_id"])

    @staticmethod
    def work_order_of(out: Checked, index: int, r: Record, orders: dict[str, Any]
                      ) -> dict[str, Any] | bool | None:
        """The record's work order (None without one); False after rejecting it."""
        wo_id = r.get("work_order_id")
        if wo_id is None:
            return None
        order = orders.get(wo_id)
        if order is None:
            out.unknown(index, "work_order_id", "work order", wo_id)
            return False
        if order["machine_id"] != r["machine_id"]:
            out.reject(index, "work_order_id", (
                f"work order {wo_id!r} runs on machine {order['machine_id']!r}, "
                f"not {r['machine_id']!r}"))
            return False
        return order


def _times(out: Checked, index: int, r: Record, zone: ZoneInfo, fields: Sequence[str]
           ) -> list[Any] | None:
    """The record's timestamps in UTC (None for an absent one), or None after rejecting."""
    found = []
    for name in fields:
        value = r.get(name)
        try:
            found.append(_to_utc(value, zone) if value else None)
        except ValueError as exc:
            out.reject(index, name, str(exc))
            return None
    return found


#: The longest period one count or log may cover: it is spread over every hour it spans.
MAX_PERIOD = timedelta(days=366)


def _period(out: Checked, index: int, r: Record, zone: ZoneInfo, at_field: str
            ) -> tuple[datetime, datetime | None] | None:
    """A count's or log's instant and the start of the period it covers (None: a point in
    time), or None after rejecting: the period must end at the instant and last at most
    :data:`MAX_PERIOD`."""
    times = _times(out, index, r, zone, (at_field, "period_start"))
    if times is None:
        return None
    at, period_start = times
    if period_start is not None and period_start >= at:
        out.reject(index, "period_start", (
            f"period_start {period_start.isoformat()} is not before {at_field} "
            f"{at.isoformat()}; it is when the units it reports began"))
        return None
    if period_start is not None and at - period_start > MAX_PERIOD:
        out.reject(index, "period_start", (
            f"the period covers {(at - period_start).days} days; at most {MAX_PERIOD.days} "
            "days, so split longer periods"))
        return None
    return at, period_start


@register
class ReasonCodes(RecordKind):
    name = "reason_codes"
    table = schema.reason_codes
    model = ReasonCodeRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        stored = ctx.conn.execute(
            schema.reason_codes.select().where(schema.reason_codes.c.organization_id == ctx.org)
            .with_only_columns(schema.reason_codes.c.code, schema.reason_codes.c.parent_code)
        ).all()
        parents: dict[str, str | None] = dict(stored)
        parents.update({r["code"]: r.get("parent_code") for _, r in batch})
        for index, r in batch:
            if r["planned"] != (r["loss"] == "planned"):
                out.reject(index, "loss", (
                    f"a {'planned' if r['planned'] else 'unplanned'} reason cannot have loss "
                    f"{r['loss']!r}; planned reasons have loss 'planned', unplanned ones one of "
                    "breakdowns, setup_adjustments, minor_stops"))
                continue
            if r["loss"] in ("reduced_speed", "process_defects", "reduced_yield"):
                out.reject(index, "loss", (
                    f"{r['loss']!r} is a loss of counts, not of stops; use breakdowns, "
                    "setup_adjustments or minor_stops"))
                continue
            parent = r.get("parent_code")
            if parent is not None and parent not in parents:
                out.unknown(index, "parent_code", "reason code", parent)
                continue
            if parent is not None and check_tree(parents) is not None:
                out.reject(index, "parent_code", (
                    f"parent {parent!r} makes the reason tree loop back to {r['code']!r}"))
                continue
            out.add(index, {
                "code": r["code"], "category": r["category"], "description": r["description"],
                "planned": r["planned"], "loss": r["loss"], "parent_code": parent,
                "color": r.get("color"), "sort_order": r.get("sort_order") or 0,
                "active": True if r.get("active") is None else r["active"],
            })
        return out


@register
class DowntimeEvents(_MachineKind):
    name = "downtime_events"
    table = schema.downtime_events
    model = DowntimeEventRecord

    def lookups(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Any:
        return records.fetch_by_ids(ctx.conn, schema.reason_codes, ctx.org,
                                    {r["reason_code"] for _, r in batch}, ["active"],
                                    id_column="code")

    def row(self, out: Checked, index: int, r: Record, site_id: str, zone: ZoneInfo,
            order: dict[str, Any] | None, lookups: Any) -> dict[str, Any] | None:
        if r["reason_code"] not in lookups:
            out.unknown(index, "reason_code", "reason code", r["reason_code"])
            return None
        times = _times(out, index, r, zone, ("start_time", "end_time"))
        if times is None:
            return None
        start, end = times
        if end is not None and end <= start:
            out.reject(index, "end_time", (
                f"end_time {end.isoformat()} is not after start_time {start.isoformat()}; "
                "leave it out while the stop goes on"))
            return None
        return {
            "id": r["id"], "site_id": site_id, "machine_id": r["machine_id"],
            "start_time": start, "end_time": end, "reason_code": r["reason_code"],
            "planned": r.get("planned"), "work_order_id": r.get("work_order_id"),
            "notes": r.get("notes"), "logged_by": r.get("logged_by"),
        }


@register
class ProductionCounts(_MachineKind):
    name = "production_counts"
    table = schema.production_counts
    model = ProductionCountRecord

    def row(self, out: Checked, index: int, r: Record, site_id: str, zone: ZoneInfo,
            order: dict[str, Any] | None, lookups: Any) -> dict[str, Any] | None:
        times = _period(out, index, r, zone, "timestamp")
        if times is None:
            return None
        at, period_start = times
        total, good = r["total"], r["good"]
        rework = r.get("rework") or 0.0
        scrap = r.get("scrap")
        scrap = total - good - rework if scrap is None else scrap
        startup = r.get("startup_rejects") or 0.0
        problem = _count_problem(total, good, scrap, rework, startup, r["machine_id"], at)
        if problem:
            out.reject(index, problem[0], problem[1])
            return None
        return {
            "machine_id": r["machine_id"], "counted_at": at, "site_id": site_id,
            "period_start": period_start, "total": total, "good": good, "scrap": scrap,
            "rework": rework, "startup_rejects": startup,
            "work_order_id": r.get("work_order_id"),
            "product_id": r.get("product_id") or (order or {}).get("product_id"),
        }


def _count_problem(total: float, good: float, scrap: float, rework: float, startup: float,
                   machine_id: str, at: Any) -> tuple[str, str] | None:
    where = f"for machine {machine_id} at {at.isoformat()}"
    if good > total:
        return "good", f"good ({good:g}) exceeds total ({total:g}) {where}"
    if scrap < 0 or good + scrap + rework > total:
        return "scrap", (f"good ({good:g}) + scrap ({scrap:g}) + rework ({rework:g}) exceeds "
                         f"total ({total:g}) {where}")
    if startup > total - good:
        return "startup_rejects", (f"startup_rejects ({startup:g}) exceed the rejects "
                                   f"(total − good = {total - good:g}) {where}")
    return None


@register
class IdealCycleTimes(RecordKind):
    name = "ideal_cycle_times"
    table = schema.ideal_cycle_times
    model = IdealCycleTimeRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        machines = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                        {r.get("machine_id") for _, r in batch} - {None})
        for index, r in batch:
            machine_id = r.get("machine_id") or ANY_MACHINE
            if machine_id != ANY_MACHINE and machine_id not in machines:
                out.unknown(index, "machine_id", "machine", machine_id)
                continue
            out.add(index, {"product_id": r["product_id"], "machine_id": machine_id,
                            "ideal_cycle_time_s": r["ideal_cycle_time_s"]})
        return out


@register
class EnergyReadings(_MachineKind):
    name = "energy_readings"
    table = schema.energy_readings
    model = EnergyReadingRecord

    def row(self, out: Checked, index: int, r: Record, site_id: str, zone: ZoneInfo,
            order: dict[str, Any] | None, lookups: Any) -> dict[str, Any] | None:
        if (r.get("kwh_consumed") is None) == (r.get("meter_reading") is None):
            out.reject(index, "kwh_consumed", (
                "give exactly one of kwh_consumed (the increment since the previous "
                "reading) and meter_reading (the cumulative meter value)"))
            return None
        times = _times(out, index, r, zone, ("reading_time",))
        if times is None:
            return None
        return {
            "machine_id": r["machine_id"], "reading_time": times[0], "site_id": site_id,
            "kwh_consumed": r.get("kwh_consumed"), "meter_reading": r.get("meter_reading"),
            "work_order_id": r.get("work_order_id"), "batch_id": r.get("batch_id"),
            "product_id": r.get("product_id") or (order or {}).get("product_id"),
        }


@with_config(RECORD_CONFIG)
class EnergyBaselineRecord(TypedDict):
    id: Id
    machine_id: NotRequired[OptionalId]
    product_id: NotRequired[OptionalId]
    kwh_per_unit: NotRequired[Annotated[float | None, Field(gt=0, allow_inf_nan=False)]]
    kwh_per_hour: NotRequired[Annotated[float | None, Field(gt=0, allow_inf_nan=False)]]
    effective_date: date
    notes: NotRequired[Annotated[str | None, Field(max_length=2000)]]


@register
class EnergyBaselines(RecordKind):
    name = "energy_baselines"
    table = schema.energy_baselines
    model = EnergyBaselineRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        machines = records.fetch_by_ids(ctx.conn, schema.machines, ctx.org,
                                        {r.get("machine_id") for _, r in batch} - {None})
        for index, r in batch:
            if r.get("machine_id") is not None and r["machine_id"] not in machines:
                out.unknown(index, "machine_id", "machine", r["machine_id"])
                continue
            if r.get("machine_id") is None and r.get("product_id") is None:
                out.reject(index, "machine_id", "a baseline is for a machine, a product or both")
                continue
            if r.get("kwh_per_unit") is None and r.get("kwh_per_hour") is None:
                out.reject(index, "kwh_per_unit", "give kwh_per_unit, kwh_per_hour or both")
                continue
            out.add(index, {name: r.get(name) for name in (
                "id", "machine_id", "product_id", "kwh_per_unit", "kwh_per_hour",
                "effective_date", "notes")})
        return out


@with_config(RECORD_CONFIG)
class TouPeriodRecord(TypedDict):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    start: str
    end: str
    rate: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    weekdays: NotRequired[list[int | str] | str | None]


@with_config(RECORD_CONFIG)
class EnergyTariffRecord(TypedDict):
    id: Id
    site_id: NotRequired[OptionalId]
    effective_date: date
    flat_rate: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    periods: NotRequired[Annotated[list[TouPeriodRecord] | None, Field(max_length=48)]]
    currency: NotRequired[Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")]]


@register
class EnergyTariffs(RecordKind):
    name = "energy_tariffs"
    table = schema.energy_tariffs
    model = EnergyTariffRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        sites = records.fetch_by_ids(ctx.conn, schema.sites, ctx.org,
                                     {r.get("site_id") for _, r in batch} - {None})
        for index, r in batch:
            site_id = r.get("site_id") or ""
            if site_id and site_id not in sites:
                out.unknown(index, "site_id", "site", site_id)
                continue
            periods = [dict(p) for p in r.get("periods") or ()]
            try:
                tariff({"effective_date": r["effective_date"], "flat_rate": r["flat_rate"],
                        "periods": periods})
            except InvalidInput as exc:
                out.reject(index, "periods", exc.message)
                continue
            out.add(index, {"id": r["id"], "site_id": site_id,
                            "effective_date": r["effective_date"],
                            "flat_rate": r["flat_rate"], "periods": json.dumps(periods),
                            "currency": r.get("currency") or "EUR"})
        return out


_SCOPE_TABLES = {"site": schema.sites, "line": schema.lines, "machine": schema.machines}


@register
class OeeTargets(RecordKind):
    name = "oee_targets"
    table = schema.oee_targets
    model = OeeTargetRecord

    def check(self, ctx: Context, batch: Sequence[tuple[int, Record]]) -> Checked:
        out = Checked()
        known = {scope: records.fetch_by_ids(
                     ctx.conn, table, ctx.org,
                     {r.get("reference_id") for _, r in batch if r["scope"] == scope} - {None},
                     ["id"])
                 for scope, table in _SCOPE_TABLES.items()}
        for index, r in batch:
            reference = r.get("reference_id")
            if r["scope"] == "organization":
                reference = ""
            elif reference is None:
                out.reject(index, "reference_id", f"a {r['scope']} target needs the "
                           f"{r['scope']}'s id in reference_id")
                continue
            elif reference not in known[r["scope"]]:
                out.unknown(index, "reference_id", r["scope"], reference)
                continue
            expiry = r.get("expiry_date")
            if expiry is not None and expiry < r["effective_date"]:
                out.reject(index, "expiry_date", (
                    f"expiry_date {expiry} is before effective_date {r['effective_date']}"))
                continue
            targets = {name: r.get(name) for name in ("oee_target", "availability_target",
                                                      "performance_target", "quality_target")}
            if all(v is None for v in targets.values()):
                out.reject(index, "oee_target", "give at least one target (percent)")
                continue
            out.add(index, {"id": r["id"], "scope": r["scope"], "reference_id": reference,
                            **targets, "effective_date": r["effective_date"],
                            "expiry_date": expiry})
        return out
