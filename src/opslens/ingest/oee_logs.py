"""OEE log kinds of seed 004 §3.1: performance logs (cycle times as logged) and quality
events (scrap, rework, defects, inspections, holds)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BeforeValidator, Field, with_config
from typing_extensions import TypedDict

from opslens.ingest.kinds import RECORD_CONFIG, Checked, Record, register
from opslens.ingest.oee import _MachineKind, _period, _times
from opslens.ingest.plant import Id, OptionalId, Timestamp
from opslens.store import schema

EVENT_TYPES = ("scrap", "rework", "defect", "inspection_pass", "inspection_fail", "hold",
               "release")
MAX_CYCLE_TIME_S = 366 * 86400.0  # a cycle time longer than a year is a unit mix-up
MAX_QUANTITY = 1e12  # units; sums of such stay finite and exact enough

CycleTime = Annotated[float, Field(gt=0, le=MAX_CYCLE_TIME_S, allow_inf_nan=False)]
Quantity = Annotated[float, Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)]
Text = Annotated[str | None, Field(max_length=2000)]
Person = Annotated[str | None, Field(max_length=200)]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


def _timestamp(value: Any) -> Any:
    """One error naming the field for a value that is no timestamp at all (pydantic would
    report one per member of ``str | datetime``, as ``field.constrained-str`` and
    ``field.datetime``)."""
    if value is None or isinstance(value, str | datetime):
        return value
    raise ValueError("use an ISO 8601 timestamp, e.g. 2025-10-14T06:00:00+02:00")


def _present(value: Any) -> Any:
    if value is None:
        raise ValueError("required; use an ISO 8601 timestamp, e.g. 2025-10-14T06:00:00+02:00")
    return _timestamp(value)


At = Annotated[Timestamp, BeforeValidator(_present)]
Since = Annotated[Timestamp | None, BeforeValidator(_timestamp)]


@with_config(RECORD_CONFIG)
class PerformanceLogRecord(TypedDict):
    id: Id
    machine_id: Id
    logged_at: Annotated[At, Field(validation_alias=AliasChoices("logged_at", "timestamp"))]
    period_start: NotRequired[Since]
    actual_cycle_time_s: CycleTime
    target_cycle_time_s: NotRequired[CycleTime | None]
    units_produced: Quantity
    work_order_id: NotRequired[OptionalId]
    operation_id: NotRequired[OptionalId]
    product_id: NotRequired[OptionalId]
    notes: NotRequired[Text]
    logged_by: NotRequired[Person]


@with_config(RECORD_CONFIG)
class QualityEventRecord(TypedDict):
    id: Id
    machine_id: Id
    occurred_at: Annotated[At, Field(validation_alias=AliasChoices("occurred_at",
                                                                    "timestamp"))]
    event_type: EventType
    quantity: Quantity
    work_order_id: NotRequired[OptionalId]
    operation_id: NotRequired[OptionalId]
    reason_code: NotRequired[OptionalId]
    defect_type: NotRequired[OptionalId]
    logged_by: NotRequired[Person]
    notes: NotRequired[Text]


@register
class PerformanceLogs(_MachineKind):
    name = "performance_logs"
    table = schema.performance_logs
    model = PerformanceLogRecord

    def row(self, out: Checked, index: int, r: Record, site_id: str, zone: ZoneInfo,
            order: dict[str, Any] | None, lookups: Any) -> dict[str, Any] | None:
        times = _period(out, index, r, zone, "logged_at")
        if times is None:
            return None
        at, period_start = times
        return {
            "id": r["id"], "site_id": site_id, "machine_id": r["machine_id"],
            "work_order_id": r.get("work_order_id"), "operation_id": r.get("operation_id"),
            "logged_at": at, "period_start": period_start,
            "actual_cycle_time_s": r["actual_cycle_time_s"],
            "target_cycle_time_s": r.get("target_cycle_time_s"),
            "units_produced": r["units_produced"],
            "product_id": r.get("product_id") or (order or {}).get("product_id"),
            "notes": r.get("notes"), "logged_by": r.get("logged_by"),
        }


@register
class QualityEvents(_MachineKind):
    name = "quality_events"
    table = schema.quality_events
    model = QualityEventRecord

    def normalize(self, records: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
        """Accept any letter case and '-' or ' ' for '_' in event_type ("Inspection-Pass");
        the stored form is seed 004's ("inspection_pass")."""
        out = None
        for i, record in enumerate(records):
            value = record.get("event_type") if isinstance(record, dict) else None
            if value.__class__ is str and value not in EVENT_TYPES:
                fixed = value.strip().lower().replace("-", "_").replace(" ", "_")
                if fixed != value:
                    out = out or list(records)
                    out[i] = {**record, "event_type": fixed}
        return records if out is None else out

    def row(self, out: Checked, index: int, r: Record, site_id: str, zone: ZoneInfo,
            order: dict[str, Any] | None, lookups: Any) -> dict[str, Any] | None:
        times = _times(out, index, r, zone, ("occurred_at",))
        if times is None:
            return None
        return {
            "id": r["id"], "site_id": site_id, "machine_id": r["machine_id"],
            "work_order_id": r.get("work_order_id"), "operation_id": r.get("operation_id"),
            "occurred_at": times[0], "event_type": r["event_type"],
            "quantity": r["quantity"], "reason_code": r.get("reason_code"),
            "defect_type": r.get("defect_type"), "logged_by": r.get("logged_by"),
            "notes": r.get("notes"),
        }
