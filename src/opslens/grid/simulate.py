"""Storms with ground truth over a network, to measure correlation (DESIGN.md §6.1, last part).

A storm is several simultaneous sustained faults at distinct devices, none below another, so
every event has one true cause. Each fault cuts the service points below its device; what the
OMS then hears is what real sources send: last gasps from a share of the meters (delivered
late and jittered by the AMI head-end), ONU alarms, calls from about a tenth of the customers
minutes later with a meter number or only a rough location, SCADA trips for faults at a
feeder head, and restorations, some in two stages (a downstream part comes back later: a
nested outage). Momentary blips at reclosers and breakers, and false reports from unaffected
points, make the task as hard as a real storm. Everything is drawn from
``numpy.random.Generator`` streams spawned from the seed, one per aspect, so a storm is
reproducible and changing, say, the number of false reports leaves the faults as they were.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from opslens.domain.geo import EARTH_RADIUS_M
from opslens.domain.topology import Network
from opslens.errors import InvalidInput

__all__ = [
    "DEFAULT_KIND_WEIGHTS",
    "LOSS_KINDS",
    "Fault",
    "Stage",
    "Storm",
    "StormConfig",
    "fault_class",
    "simulate",
    "storm_from_json",
    "storm_to_json",
]

#: Relative chance of a fault per element of each class: storms break many transformers and
#: fused laterals, few feeder heads (a feeder, or a breaker hanging directly from a feeder).
DEFAULT_KIND_WEIGHTS: Mapping[str, float] = {
    "transformer": 6.0, "fuse": 4.0, "sectionalizer": 2.0, "switch": 1.0, "recloser": 1.0,
    "breaker": 1.0, "feeder_head": 0.5}
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180  # of latitude, on geo's sphere [m/°]
LOSS_KINDS = ("power_loss", "breaker_open", "ticket")
_STORM_FORMAT = "opslens-storm/1"


@dataclass(frozen=True)
class StormConfig:
    """What a storm looks like. Durations in seconds [s], distances in metres [m], shares [1].

    faults: sustained faults, all starting within ``fault_spread_s`` of the storm's start.
    last_gasp_share / onu_share: share of affected meters / ONUs that report the loss; a meter
    event occurs within ``clock_jitter_s`` of the fault and arrives ``meter_delay_s`` plus up to
    ``meter_jitter_s`` later (ONUs: ``onu_delay_s``, ``onu_jitter_s``); ``restore_share`` of
    meters and ``onu_share`` of ONUs report the restoration likewise.
    call_share: share of affected customers who call, after an exponential delay of mean
    ``call_delay_mean_s`` (a customer whose power is back by then does not call); the location
    given is off by a gaussian ``call_noise_m`` per axis, clipped at 4 σ; ``call_meter_share`` of
    callers at a meter also give its number (and their customer id).
    Restoration: lognormal, median ``restore_median_s``, log-sd ``restore_sigma``, at least
    10 min; ``two_stage_share`` of the faults with a device or transformer below them leave one
    such part off ``second_stage_median_s`` (same log-sd) longer.
    momentary_blips: at reclosers and breakers (as many as there is room for), back within
    ``blip_min_s`` … ``blip_max_s``; a blip may hit a device above a sustained fault (points
    already off then miss it), never one at or below it, and its interval never holds the
    start of a sustained fault below it (whose points would have two causes at once).
    false_reports: alternately a stray call and a meter last gasp from unaffected points
    within ``false_report_window_s``.
    SCADA reports a feeder-head fault ``scada_delay_s`` after it happens.
    ``kind_weights``: see :data:`DEFAULT_KIND_WEIGHTS`.
    """

    faults: int = 20
    fault_spread_s: float = 600.0
    last_gasp_share: float = 0.7
    clock_jitter_s: float = 2.0
    meter_delay_s: float = 20.0
    meter_jitter_s: float = 40.0
    onu_share: float = 0.9
    onu_delay_s: float = 5.0
    onu_jitter_s: float = 10.0
    restore_share: float = 0.9
    call_share: float = 0.10
    call_delay_mean_s: float = 480.0
    call_noise_m: float = 150.0
    call_meter_share: float = 0.5
    restore_median_s: float = 5400.0
    restore_sigma: float = 0.5
    two_stage_share: float = 0.2
    second_stage_median_s: float = 2700.0
    momentary_blips: int = 3
    blip_min_s: float = 60.0
    blip_max_s: float = 240.0
    false_reports: int = 4
    false_report_window_s: float = 1800.0
    scada_delay_s: float = 2.0
    kind_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))

    def __post_init__(self) -> None:
        problems = []
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "kind_weights":
                problems += [(f"kind_weights.{k}", "must be a fault class with a weight ≥ 0: "
                              f"{', '.join(DEFAULT_KIND_WEIGHTS)}") for k, w in value.items()
                             if k not in DEFAULT_KIND_WEIGHTS or not w >= 0]
            elif spec.name.endswith("_share") and not 0 <= value <= 1:
                problems.append((spec.name, f"{value} is a share: give a number in [0, 1]"))
            elif not value >= 0:
                problems.append((spec.name, f"{value} must be ≥ 0"))
        if self.blip_min_s > self.blip_max_s:
            problems.append(("blip_min_s", "must not exceed blip_max_s"))
        if problems:
            raise InvalidInput(f"storm configuration: {problems[0][0]}: {problems[0][1]}",
                               [{"field": name, "reason": why} for name, why in problems])


@dataclass(frozen=True)
class Stage:
    """Part of a restoration: everything below ``device_id`` not restored by a later stage."""

    device_id: str
    restored_at: datetime


@dataclass(frozen=True)
class Fault:
    """One true cause. ``kind`` is ``sustained`` or ``momentary`` (IEEE 1366: ≤ 5 min);
    ``restored_at`` is when its last customer is back (the last stage)."""

    id: str
    device_id: str
    kind: str
    started_at: datetime
    restored_at: datetime
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class Storm:
    """A simulated storm: faults, the canonical events they caused (sorted by ``received_at``),
    ``truth`` (event id → fault id; None for a false report) and ``affected`` (fault id → the
    service points below its device)."""

    seed: int
    start: datetime
    config: StormConfig
    faults: tuple[Fault, ...]
    events: tuple[dict[str, Any], ...]
    truth: dict[str, str | None]
    affected: dict[str, frozenset[str]]


def fault_class(network: Network, element_id: str) -> str:
    """The class a fault at the element is drawn by: its kind, or ``feeder_head`` for a feeder
    and for a breaker hanging directly from a feeder (SCADA sees those)."""
    element = network.elements[element_id]
    parent = network.elements.get(element.parent) if element.parent else None
    if element.kind == "feeder" or (element.kind == "breaker" and parent is not None
                                    and parent.kind == "feeder"):
        return "feeder_head"
    return element.kind


class _Draft:
    """Events as they are generated, before sorting gives them ids."""

    def __init__(self) -> None:
        self.rows: list[tuple[datetime, int, dict[str, Any], str | None]] = []

    def add(self, fault_id: str | None, source: str, kind: str, occurred: datetime,
            received: datetime, device_id: str | None = None, customer_id: str | None = None,
            location: tuple[float, float] | None = None, detail: dict[str, Any] | None = None,
            ) -> None:
        event = {"id": "", "source": source, "kind": kind, "device_id": device_id,
                 "customer_id": customer_id,
                 "latitude": location[0] if location else None,
                 "longitude": location[1] if location else None,
                 "occurred_at": _iso(occurred), "received_at": _iso(received), "detail": detail}
        self.rows.append((received, len(self.rows), event, fault_id))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _location(network: Network, element_id: str) -> tuple[float, float] | None:
    """Where the element is: its own coordinates, else its nearest located ancestor's."""
    for eid in network.path_up(element_id):
        element = network.elements[eid]
        if element.latitude is not None and element.longitude is not None:
            return element.latitude, element.longitude
    return None


def _place(network: Network, candidates: list[str], weights: np.ndarray, count: int,
           blocked: set[str], rng: np.random.Generator) -> list[str]:
    """Draw up to ``count`` devices by weight, none at, above or below another or a blocked
    one: with simultaneous faults nested, an event's true cause would be ambiguous."""
    weights = weights.copy()
    weights[[i for i, c in enumerate(candidates) if c in blocked]] = 0.0
    index = {c: i for i, c in enumerate(candidates)}
    chosen: list[str] = []
    while len(chosen) < count and weights.sum() > 0:
        device = candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))]
        chosen.append(device)
        for eid in (*network.below(device), *network.path_up(device)):
            blocked.add(eid)
            if eid in index:
                weights[index[eid]] = 0.0
    return chosen


def _ms(seconds: float) -> timedelta:
    # whole milliseconds, as events carry them: an event never seems to precede its fault
    return timedelta(milliseconds=round(seconds * 1000))


def _lognormal(rng: np.random.Generator, median_s: float, sigma: float) -> timedelta:
    return _ms(float(rng.lognormal(math.log(max(median_s, 1.0)), sigma)))


def _seconds(rng: np.random.Generator, low: float, high: float) -> timedelta:
    return _ms(float(rng.uniform(low, high)))


def _noisy(rng: np.random.Generator, where: tuple[float, float], sd_m: float,
           ) -> tuple[float, float]:
    north_m, east_m = np.clip(rng.normal(0.0, sd_m, 2), -4 * sd_m, 4 * sd_m)
    lat, lon = where
    return (lat + north_m / METRES_PER_DEGREE,
            lon + east_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6)))


def _meter_and_onu_events(draft: _Draft, network: Network, fault_id: str, config: StormConfig,
                          started: datetime, restored: Mapping[str, datetime],
                          rng: np.random.Generator) -> None:
    """Loss and restoration messages from the affected meters and ONUs (``restored``: point →
    when its power is back)."""
    for point_id, back in restored.items():
        point = network.elements[point_id]
        if point.point_kind == "onu":
            source, loss_share, back_share = "onu", config.onu_share, config.onu_share
            delay, jitter = config.onu_delay_s, config.onu_jitter_s
        else:
            source, loss_share, back_share = "ami", config.last_gasp_share, config.restore_share
            delay, jitter = config.meter_delay_s, config.meter_jitter_s
        for kind, moment, share in (("power_loss", started, loss_share),
                                    ("power_restored", back, back_share)):
            if rng.random() < share:
                occurred = moment + _seconds(rng, 0.0, config.clock_jitter_s)
                draft.add(fault_id, source, kind, occurred,
                          occurred + _seconds(rng, delay, delay + jitter), point_id,
                          point.customer_id, detail={"event": "last_gasp" if kind ==
                                                     "power_loss" else "power_restored"})


def _call(draft: _Draft, network: Network, fault_id: str | None, config: StormConfig,
          point_id: str, occurred: datetime, rng: np.random.Generator) -> None:
    point = network.elements[point_id]
    gives_meter = point.point_kind != "onu" and rng.random() < config.call_meter_share
    where = _location(network, point_id)
    if where is None and not gives_meter:
        return  # neither a place nor a meter number: nothing anyone could act on
    draft.add(fault_id, "call_center", "ticket", occurred, occurred,
              point_id if gives_meter else None, point.customer_id if gives_meter else None,
              _noisy(rng, where, config.call_noise_m) if where else None,
              {"notes": "no power"})


def _scada(draft: _Draft, network: Network, fault_id: str, config: StormConfig, device: str,
           started: datetime, closed: datetime) -> None:
    if fault_class(network, device) != "feeder_head":
        return
    delay = _ms(config.scada_delay_s)
    where = _location(network, device)
    draft.add(fault_id, "scada", "breaker_open", started, started + delay, device,
              location=where, detail={"alarm": "breaker trip"})
    draft.add(fault_id, "scada", "breaker_close", closed, closed + delay, device,
              location=where, detail={"alarm": "breaker closed"})


def simulate(network: Network, config: StormConfig, seed: int, start: datetime) -> Storm:
    """Simulate a storm over ``network`` beginning at ``start`` (timezone-aware), from ``seed``.

    Faults are drawn by :data:`StormConfig.kind_weights` among the devices and transformers
    with service points below them. Raises InvalidInput when the network has no room for
    ``config.faults`` non-nested faults (lower ``faults``); blips and false reports are placed
    as room allows. Times are in UTC, to the millisecond (``start`` is truncated to one).

    >>> from opslens.domain.topology import Element
    >>> net = Network([Element("S", "substation"), Element("F", "feeder", "S"),
    ...                Element("T", "transformer", "F", 49.0, 8.4),
    ...                Element("M", "service_point", "T", customers=1, point_kind="meter")])
    >>> storm = simulate(net, StormConfig(faults=1, momentary_blips=0, false_reports=0), 7,
    ...                  datetime(2025, 6, 1, 12, tzinfo=UTC))
    >>> storm.faults[0].device_id in {"F", "T"}, storm.affected[storm.faults[0].id]
    (True, frozenset({'M'}))
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise InvalidInput(f"start {start.isoformat()} needs a UTC offset, e.g. "
                           "2025-06-01T12:00:00+02:00", [{"field": "start", "reason": "naive"}])
    if not isinstance(seed, int) or seed < 0:
        raise InvalidInput(f"seed {seed!r} must be a whole number ≥ 0",
                           [{"field": "seed", "reason": "not a non-negative integer"}])
    start = start.astimezone(UTC)
    start = start.replace(microsecond=start.microsecond // 1000 * 1000)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    place_rng, fault_rng, blip_rng, false_rng, call_rng = streams
    points_below = _count_points(network)
    candidates = [e for e in network.order if points_below[e]
                  and network.elements[e].kind not in ("substation", "service_point")
                  and not network.elements[e].normally_open]
    weights = np.array([config.kind_weights.get(fault_class(network, e), 0.0)
                        for e in candidates], dtype=float)
    devices = _place(network, candidates, weights, config.faults, set(), place_rng)
    if len(devices) < config.faults:
        raise InvalidInput(
            f"the network has room for only {len(devices)} of {config.faults} faults that are "
            "not below one another; lower faults or give more classes a weight",
            [{"field": "faults", "reason": "too many for the network"}])
    # a blip may hit a recloser above a sustained fault (storms do that), not one below it
    off_below = {e for device in devices for e in network.below(device)}
    blip_weights = np.array([float(network.elements[e].kind in ("recloser", "breaker"))
                             for e in candidates])
    blips = _place(network, candidates, blip_weights, config.momentary_blips, off_below,
                   place_rng)

    draft = _Draft()
    faults: list[Fault] = []
    off_until: dict[str, dict[str, datetime]] = {}  # fault → point → its power back
    for number, device in enumerate(devices, start=1):
        fault = _sustained(network, config, f"s{seed}-f{number:03d}", device, start,
                           points_below, fault_rng)
        faults.append(fault)
        off_until[fault.id] = restored = _restored_at(network, fault)
        _meter_and_onu_events(draft, network, fault.id, config, fault.started_at, restored,
                              fault_rng)
        _scada(draft, network, fault.id, config, device, fault.started_at,
               fault.stages[0].restored_at)
        _calls(draft, network, fault, config, restored, call_rng)
    for number, device in enumerate(blips, start=len(devices) + 1):
        # a fault below that began while the blip had its points off would leave them with
        # two causes at once: draw the blip's interval clear of those starts
        below = [f.started_at for f in faults[:len(devices)]
                 if network.is_below(f.device_id, device)]
        for _attempt in range(20):
            started = start + _seconds(blip_rng, 0.0, config.fault_spread_s)
            back = started + _seconds(blip_rng, config.blip_min_s, config.blip_max_s)
            if not any(started <= at <= back for at in below):
                break
        fault = Fault(f"s{seed}-f{number:03d}", device, "momentary", started, back,
                      (Stage(device, back),))
        # points already off by a sustained fault below do not notice the blip
        off = {p for sustained in faults[:len(devices)]
               if sustained.started_at <= back and network.is_below(sustained.device_id, device)
               for p, end in off_until[sustained.id].items() if end >= started}
        off_until[fault.id] = {p: back for p in network.points_below(device) if p not in off}
        faults.append(fault)
        _meter_and_onu_events(draft, network, fault.id, config, started,
                              off_until[fault.id], blip_rng)
        _scada(draft, network, fault.id, config, device, started, back)

    touched = {e for device in devices + blips for e in network.below(device)}
    calm = [e for e in network.order
            if network.elements[e].kind == "service_point" and e not in touched]
    _false_reports(draft, network, config, start, calm, false_rng)
    draft.rows.sort(key=lambda row: (row[0], row[1]))
    events, truth = [], {}
    for number, (_, _, event, fault_id) in enumerate(draft.rows, start=1):
        event["id"] = f"s{seed}-e{number:06d}"
        events.append(event)
        truth[event["id"]] = fault_id
    affected = {fid: frozenset(until) for fid, until in off_until.items()}
    return Storm(seed, start, config, tuple(faults), tuple(events), truth, affected)


def _count_points(network: Network) -> dict[str, int]:
    """Service points at or below each element."""
    count = dict.fromkeys(network.elements, 0)
    for eid in reversed(network.order):  # depth-first: children come after their parent
        element = network.elements[eid]
        count[eid] += element.kind == "service_point"
        if element.parent is not None:
            count[element.parent] += count[eid]
    return count


def _sustained(network: Network, config: StormConfig, fault_id: str, device: str,
               start: datetime, points_below: Mapping[str, int], rng: np.random.Generator,
               ) -> Fault:
    started = start + _seconds(rng, 0.0, config.fault_spread_s)
    back = started + max(_lognormal(rng, config.restore_median_s, config.restore_sigma),
                         timedelta(minutes=10))
    stages = (Stage(device, back),)
    parts = [e for e in network.below(device)[1:] if points_below[e]
             and network.elements[e].kind != "service_point"]
    if parts and rng.random() < config.two_stage_share:
        part = parts[int(rng.integers(len(parts)))]
        stages += (Stage(part, back + _lognormal(rng, config.second_stage_median_s,
                                                 config.restore_sigma)),)
    return Fault(fault_id, device, "sustained", started, stages[-1].restored_at, stages)


def _restored_at(network: Network, fault: Fault) -> dict[str, datetime]:
    """When each service point below the fault has its power back (its latest stage)."""
    back: dict[str, datetime] = {}
    for stage in fault.stages:
        back.update(dict.fromkeys(network.points_below(stage.device_id), stage.restored_at))
    return back


def _calls(draft: _Draft, network: Network, fault: Fault, config: StormConfig,
           restored: Mapping[str, datetime], rng: np.random.Generator) -> None:
    for point_id, back in restored.items():
        callers = int(rng.binomial(network.elements[point_id].customers, config.call_share))
        for _ in range(callers):
            called = fault.started_at + _ms(float(rng.exponential(config.call_delay_mean_s)))
            if called < back:
                _call(draft, network, fault.id, config, point_id, called, rng)


def _false_reports(draft: _Draft, network: Network, config: StormConfig, start: datetime,
                   calm: list[str], rng: np.random.Generator) -> None:
    """Stray calls and meter last gasps from points no fault touches."""
    calm_meters = [e for e in calm if network.elements[e].point_kind != "onu"]
    for number in range(config.false_reports):
        pool = calm if number % 2 == 0 else calm_meters
        if not pool:
            continue
        point_id = pool[int(rng.integers(len(pool)))]
        occurred = start + _seconds(rng, 0.0, config.false_report_window_s)
        if number % 2 == 0:
            _call(draft, network, None, config, point_id, occurred, rng)
        else:
            draft.add(None, "ami", "power_loss", occurred,
                      occurred + _seconds(rng, config.meter_delay_s,
                                          config.meter_delay_s + config.meter_jitter_s),
                      point_id, network.elements[point_id].customer_id,
                      detail={"event": "last_gasp"})


def storm_to_json(storm: Storm) -> str:
    """The storm as a JSON document (``format: opslens-storm/1``) for ``grid evaluate``."""
    return json.dumps({
        "format": _STORM_FORMAT, "seed": storm.seed, "start": storm.start.isoformat(),
        "config": asdict(storm.config),
        "faults": [{"id": f.id, "device_id": f.device_id, "kind": f.kind,
                    "started_at": f.started_at.isoformat(),
                    "restored_at": f.restored_at.isoformat(),
                    "stages": [{"device_id": s.device_id, "restored_at": s.restored_at.isoformat()}
                               for s in f.stages]} for f in storm.faults],
        "events": list(storm.events), "truth": storm.truth,
        "affected": {fid: sorted(points) for fid, points in storm.affected.items()},
    })


def storm_from_json(text: str) -> Storm:
    """Read a document written by :func:`storm_to_json`; InvalidInput when it is not one."""
    try:
        data = json.loads(text)
        if data.get("format") != _STORM_FORMAT:
            raise KeyError("format")
        faults = tuple(
            Fault(f["id"], f["device_id"], f["kind"], datetime.fromisoformat(f["started_at"]),
                  datetime.fromisoformat(f["restored_at"]),
                  tuple(Stage(s["device_id"], datetime.fromisoformat(s["restored_at"]))
                        for s in f["stages"])) for f in data["faults"])
        return Storm(int(data["seed"]), datetime.fromisoformat(data["start"]),
                     StormConfig(**data["config"]), faults, tuple(data["events"]),
                     dict(data["truth"]), {fid: frozenset(points)
                                           for fid, points in data["affected"].items()})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(f"not an opslens storm file ({type(exc).__name__}: {exc}); write one "
                           "with `opslens grid simulate`",
                           [{"field": "storm", "reason": str(exc)}]) from exc
