"""Outages as correlation sees them: value types, settings, severity and confidence.

DESIGN.md §6.1. An outage sits at a predicted device (or, for evidence with only a location,
at a place), gathers the events that support it, and moves through ``predicted`` →
``confirmed`` → ``restored``, or ends ``cancelled`` as a false alarm.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

SOURCES = ("scada", "ami", "onu", "call_center")
EVENT_KINDS = ("power_loss", "power_restored", "breaker_open", "breaker_close", "alarm", "ticket")
STATUSES = ("predicted", "confirmed", "restored", "cancelled")
OPEN = ("predicted", "confirmed")
SEVERITIES = ("critical", "high", "medium", "low")
OUTAGE_TYPES = ("sustained", "momentary")

DEFAULT_WEIGHTS = MappingProxyType({"scada": 1.0, "ami": 0.8, "onu": 0.6, "call_center": 0.4})
#: Share of a device's downstream transformers that must report before an outage rolls up to
#: it (DESIGN.md §6.1 "thresholds per device class").
DEFAULT_ROLLUP_SHARE = MappingProxyType({
    "feeder": 0.5, "breaker": 0.5, "recloser": 0.4, "sectionalizer": 0.4, "fuse": 0.34,
    "switch": 0.4,
})


@dataclass(frozen=True)
class Settings:
    """How correlation behaves; every default is DESIGN.md §6.1's.

    ``expected_report_share`` and ``silence_probability`` guard roll-ups: a transformer with
    ``m`` reporting points none of which reported is treated as evidence *against* an outage
    above it once ``(1 - expected_report_share) ** m < silence_probability`` (with the default
    0.5 and 0.001: ten or more points), so two faults on sibling laterals do not merge into
    their common recloser while its other large transformers stay silent.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    radius_m: float = 1000.0
    window: timedelta = timedelta(minutes=30)
    storm_radius_m: float = 2000.0
    storm_window: timedelta = timedelta(minutes=60)
    storm_on_per_hour: float = 100.0
    storm_off_per_hour: float = 50.0
    rollup_share: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ROLLUP_SHARE)
    expected_report_share: float = 0.5
    silence_probability: float = 1e-3
    merge_window: timedelta = timedelta(minutes=1)  # outages below that began together
    clock_tolerance: timedelta = timedelta(seconds=10)  # SCADA vs meter clocks
    momentary: timedelta = timedelta(minutes=5)  # IEEE 1366: ≤ 5 min is momentary
    restore_settle: timedelta = timedelta(minutes=2)
    restore_share: float = 0.5
    critical_customers: int = 1000  # severity thresholds on customers affected
    high_customers: int = 250
    medium_customers: int = 50


def severity(customers: int, critical_customers: int, settings: Settings) -> str:
    """``critical`` when a critical customer is off or ≥ ``critical_customers`` customers are;
    then ``high``, ``medium``, ``low`` by customers affected.

    >>> severity(30, 0, Settings()), severity(300, 0, Settings()), severity(3, 1, Settings())
    ('low', 'high', 'critical')
    """
    if critical_customers > 0 or customers >= settings.critical_customers:
        return "critical"
    if customers >= settings.high_customers:
        return "high"
    return "medium" if customers >= settings.medium_customers else "low"


def noisy_or(weights: list[float]) -> float:
    """Confidence from independent pieces of evidence: ``1 - Π (1 - w_i)``.

    Each distinct reporting point (or SCADA device) is one piece, weighted by its source, so
    an outage backed by several sources is more certain than one backed by one.

    >>> round(noisy_or([0.8, 0.4]), 6), noisy_or([]), noisy_or([1.0, 0.4])
    (0.88, 0.0, 1.0)
    """
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return 1.0 - miss


@dataclass(frozen=True)
class Event:
    """A canonical event resolved against the network: ``element_id`` is the service point,
    device or feeder it names (None when it names nothing the network holds). Correlation
    runs on ``occurred_at``; an outage is detected when the batch that creates it was
    received (the latest ``received_at`` so far)."""

    id: str
    source: str
    kind: str
    occurred_at: datetime
    element_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    received_at: datetime | None = None  # when it reached the OMS: detection time


@dataclass
class Outage:
    """An outage and its evidence. ``off`` holds the reporting points that lost power (with
    the time they reported), ``restored`` those that reported power back; ``children`` are
    the devices of nested outages whose customers it no longer counts."""

    id: str
    device_id: str | None
    device_kind: str | None
    started_at: datetime
    detected_at: datetime
    latitude: float | None
    longitude: float | None
    customers: int = 0
    critical: int = 0
    status: str = "predicted"
    severity: str = "low"
    outage_type: str = "sustained"
    interruptions: int = 1
    confirmed_at: datetime | None = None
    restored_at: datetime | None = None
    cancelled_at: datetime | None = None
    parent_id: str | None = None
    merged_into: str | None = None
    storm: bool = False
    events: list[str] = field(default_factory=list)
    # event → (source, point, occurred_at)
    sources: dict[str, tuple[str, str | None, datetime]] = field(default_factory=dict)
    evidence: dict[tuple[str, str], float] = field(default_factory=dict)  # (source, key): w
    source_events: Counter = field(default_factory=Counter)
    off: dict[str, datetime] = field(default_factory=dict)
    restored: dict[str, datetime] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    last_activity: datetime | None = None
    last_restore: datetime | None = None
    closed_at: datetime | None = None  # when SCADA closed its device

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def confidence(self) -> float:
        return noisy_or(list(self.evidence.values()))

    def snapshot(self) -> dict:
        """The outage as stored and streamed (no evidence internals)."""
        return {
            "id": self.id, "device_id": self.device_id, "device_kind": self.device_kind,
            "status": self.status, "severity": self.severity, "outage_type": self.outage_type,
            "interruptions": self.interruptions, "confidence": round(self.confidence, 6),
            "started_at": self.started_at, "detected_at": self.detected_at,
            "confirmed_at": self.confirmed_at, "restored_at": self.restored_at,
            "cancelled_at": self.cancelled_at, "customers_affected": self.customers,
            "critical_customers": self.critical, "latitude": self.latitude,
            "longitude": self.longitude, "parent_outage_id": self.parent_id,
            "merged_into": self.merged_into, "storm": self.storm,
            "scada_events": self.source_events["scada"], "ami_events": self.source_events["ami"],
            "onu_events": self.source_events["onu"],
            "call_center_events": self.source_events["call_center"],
        }


@dataclass
class Changes:
    """What one call changed: where each event went (outage id, suppressed), the outages
    touched, the outages absorbed by another (old id → survivor), earlier events that moved
    to another outage (a nested one), the audit entries
    ``(outage id, action, detail)`` in order, and storm mode switching."""

    assignments: dict[str, tuple[str | None, bool]] = field(default_factory=dict)
    outages: dict[str, Outage] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)
    reassigned: dict[str, str] = field(default_factory=dict)  # event → outage it moved to
    log: list[tuple[str, str, dict]] = field(default_factory=list)
    storm: list[tuple[str, datetime, float]] = field(default_factory=list)

    def touch(self, outage: Outage, action: str | None = None, /, **detail) -> None:
        self.outages[outage.id] = outage
        if action:
            self.log.append((outage.id, action, detail))
