"""Score a correlation engine on a simulated storm, next to a naive baseline (DESIGN.md §6.1).

An engine is any callable ``correlate(events) -> Outcome``: which outage each event joined, and
for each outage its device, when it was detected and the service points it covers. The scores
compare that with the storm's ground truth over the *loss* events (power loss, breaker open,
ticket): restorations and alarms say nothing about which outage a customer is in.

The baseline is the rule of the seed 002 prototype (its "proximity-based correlation": events
within 1000 m linked): join the first open outage within a radius and a time window, else open
one. It has no topology, so it cannot tell two faults a street apart, nor place an outage
above the transformer its first report came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from opslens.domain.geo import haversine_m, haversine_many_m
from opslens.domain.grouping_scores import adjusted_rand_index, jaccard, pairwise_scores
from opslens.domain.topology import Network
from opslens.errors import InvalidInput
from opslens.grid.simulate import LOSS_KINDS, Fault, Storm

__all__ = [
    "TARGETS",
    "Correlate",
    "Outcome",
    "PredictedOutage",
    "Scores",
    "compare",
    "naive_proximity",
    "report",
    "score",
]

#: Targets on storms of 20 simultaneous faults (the evaluation issue): metric → lowest value.
TARGETS: Mapping[str, float] = {"device_exact": 0.95, "f1": 0.95, "ari": 0.9}


@dataclass(frozen=True)
class PredictedOutage:
    """An outage as an engine reports it: where (None when it could not place one), when it
    was first detected, and the service points it says are off."""

    device_id: str | None
    detected_at: datetime
    service_points: frozenset[str]


@dataclass
class Outcome:
    """What an engine made of a storm's events: event id → outage id (None: joined none), and
    the outages by id."""

    assignment: dict[str, str | None]
    outages: dict[str, PredictedOutage]


#: An engine under test: the events of a storm in, what it made of them out.
Correlate = Callable[[Sequence[dict[str, Any]]], Outcome]


@dataclass(frozen=True)
class Scores:
    """How an outcome matches a storm's truth.

    events: loss events scored. faults: every fault, momentary ones included; faults_observed:
    those with at least one loss event (a fault nobody reported cannot be found, so the
    per-fault scores are over these); faults_detected: those whose loss events joined an
    outage. device_exact: share [1] of observed faults whose predicted outage (the one holding
    the plurality of their loss events) sits at the faulted device, or at one with exactly
    the same service points below (no report can tell a fuse protecting one transformer from
    that transformer). precision, recall, f1 and
    ari: pairwise scores and adjusted Rand index [1] of the grouping of loss events (truth: the
    fault, each false report alone; prediction: the outage, an unassigned event alone).
    jaccard: mean over observed faults of the customer-weighted Jaccard index [1] of the
    fault's service points and its predicted outage's (0 when undetected). latency_*_s:
    detected_at − fault start [s] over detected faults (p50, p95 by linear interpolation, max);
    negative when a fault's reports joined an outage detected before it began (a merge).
    Shares and means are None without observed faults, latencies without detected ones.
    """

    events: int
    faults: int
    faults_observed: int
    faults_detected: int
    device_exact: float | None
    precision: float
    recall: float
    f1: float
    ari: float
    jaccard: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    latency_max_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _time(event: Mapping[str, Any], name: str) -> datetime:
    value = event.get(name) or event["occurred_at"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _predicted_outage(fault: Fault, events: list[str], outcome: Outcome) -> str | None:
    """The outage holding the plurality of the fault's loss events (ties: detected first)."""
    votes = Counter(outcome.assignment.get(eid) for eid in events)
    votes.pop(None, None)
    if not votes:
        return None
    most = max(votes.values())
    return min((oid for oid, n in votes.items() if n == most),
               key=lambda oid: (outcome.outages[oid].detected_at, oid))


def _same_place(network: Network, predicted: str | None, faulted: str) -> bool:
    """The predicted device is the faulted one, or one no report can tell apart from it:
    the same service points below (a fuse protecting a single transformer and that
    transformer; a switch whose only load is one fuse's)."""
    if predicted is None or predicted not in network.elements:
        return False
    if predicted == faulted:
        return True
    if not (network.is_below(predicted, faulted) or network.is_below(faulted, predicted)):
        return False
    return network.points_below(predicted) == network.points_below(faulted)


def score(storm: Storm, outcome: Outcome, network: Network) -> Scores:
    """Score ``outcome`` against the truth of ``storm`` over ``network`` (see :class:`Scores`).

    Customers per service point come from ``network`` (a point it does not know weighs 1).
    Raises InvalidInput when the outcome assigns an event to an outage it does not describe.
    """
    unknown = sorted({oid for oid in outcome.assignment.values()
                      if oid is not None and oid not in outcome.outages})
    if unknown:
        raise InvalidInput(f"the outcome assigns events to {len(unknown)} outage(s) it does "
                           f"not describe, e.g. {unknown[0]!r}; add them to outcome.outages",
                           [{"field": "outages", "reason": f"missing {oid}"} for oid in unknown])
    loss = [e["id"] for e in storm.events if e["kind"] in LOSS_KINDS]
    truth = [storm.truth[eid] or ("false report", eid) for eid in loss]
    predicted = [outcome.assignment.get(eid) or ("unassigned", eid) for eid in loss]
    pairwise = pairwise_scores(truth, predicted)
    by_fault: dict[str, list[str]] = {}
    for eid in loss:
        if (fault_id := storm.truth[eid]) is not None:
            by_fault.setdefault(fault_id, []).append(eid)
    exact, overlaps, latencies = 0, [], []
    for fault in storm.faults:
        if fault.id not in by_fault:
            continue
        oid = _predicted_outage(fault, by_fault[fault.id], outcome)
        outage = outcome.outages[oid] if oid is not None else None
        exact += outage is not None and _same_place(network, outage.device_id,
                                                    fault.device_id)
        points = outage.service_points if outage is not None else frozenset()
        union = storm.affected[fault.id] | points
        overlaps.append(jaccard(storm.affected[fault.id], points, {
            p: network.elements[p].customers for p in union if p in network.elements}))
        if outage is not None:
            latencies.append((outage.detected_at - fault.started_at).total_seconds())
    observed = len(overlaps)
    return Scores(
        events=len(loss), faults=len(storm.faults), faults_observed=observed,
        faults_detected=len(latencies), device_exact=exact / observed if observed else None,
        precision=pairwise.precision, recall=pairwise.recall, f1=pairwise.f1,
        ari=adjusted_rand_index(truth, predicted),
        jaccard=sum(overlaps) / observed if observed else None,
        latency_p50_s=float(np.percentile(latencies, 50)) if latencies else None,
        latency_p95_s=float(np.percentile(latencies, 95)) if latencies else None,
        latency_max_s=max(latencies) if latencies else None)


@dataclass
class _Open:
    id: str
    first: Mapping[str, Any]
    where: tuple[float, float] | None
    detected_at: datetime
    last: datetime


def _where(event: Mapping[str, Any], network: Network | None) -> tuple[float, float] | None:
    """The event's coordinates, else its device's from the register (or the nearest located
    element above it: a meter's address is its transformer's street)."""
    if event.get("latitude") is not None and event.get("longitude") is not None:
        return float(event["latitude"]), float(event["longitude"])
    device = event.get("device_id")
    if network is None or device not in network.elements:
        return None
    for eid in network.path_up(device):
        element = network.elements[eid]
        if element.latitude is not None and element.longitude is not None:
            return element.latitude, element.longitude
    return None


def naive_proximity(events: Sequence[Mapping[str, Any]], radius_m: float = 1000.0,
                    window: timedelta = timedelta(minutes=30),
                    network: Network | None = None) -> Outcome:
    """The baseline: proximity and time only, as seed 002's prototype correlates.

    Loss events (power loss, breaker open, ticket) are taken in the order received; each joins
    the first outage opened before it whose last event occurred within ``window`` of its own
    and whose first event lies within ``radius_m`` [m] (haversine), else opens a new outage.
    Other events join none. An event without coordinates takes its device's from ``network``
    (a meter register); one that cannot be placed opens an outage of its own.

    Without topology the rule cannot place a fault: it reports the transformer at or above the
    outage's first event's device (the device itself when it is a breaker or feeder; the
    nearest transformer when the first event names no known device), and that device's
    service points as affected. ``detected_at`` is the first event's ``received_at``.
    """
    order = sorted(range(len(events)),
                   key=lambda i: (_time(events[i], "received_at"), i))
    opened: list[_Open] = []
    assignment: dict[str, str | None] = {}
    for index in order:
        event = events[index]
        if event["kind"] not in LOSS_KINDS:
            assignment[event["id"]] = None
            continue
        at, where = _time(event, "occurred_at"), _where(event, network)
        home = next((o for o in opened if where is not None and o.where is not None
                     and abs(at - o.last) <= window
                     and haversine_m(*o.where, *where) <= radius_m), None)
        if home is None:
            home = _Open(f"naive-{len(opened) + 1:05d}", event, where,
                         _time(event, "received_at"), at)
            opened.append(home)
        home.last = max(home.last, at)
        assignment[event["id"]] = home.id
    place = _Placer(network)
    return Outcome(assignment, {o.id: place(o) for o in opened})


class _Placer:
    """Where the baseline says an outage is: see :func:`naive_proximity`."""

    def __init__(self, network: Network | None) -> None:
        self.network = network
        located = [] if network is None else [
            e for e in network.elements.values() if e.kind == "transformer"
            and e.latitude is not None and e.longitude is not None]
        self.transformers = [e.id for e in located]
        self.lats = np.array([e.latitude for e in located], dtype=float)
        self.lons = np.array([e.longitude for e in located], dtype=float)

    def __call__(self, outage: _Open) -> PredictedOutage:
        network, device = self.network, outage.first.get("device_id")
        if network is None:
            return PredictedOutage(None, outage.detected_at, frozenset())
        if device in network.elements:
            path = network.path_up(device)
            device = next((e for e in path if network.elements[e].kind == "transformer"),
                          device)
        elif outage.where is not None and self.transformers:
            nearest = haversine_many_m(*outage.where, self.lats, self.lons)
            device = self.transformers[int(np.argmin(nearest))]
        else:
            return PredictedOutage(None, outage.detected_at, frozenset())
        points = frozenset(e for e in network.below(device)
                           if network.elements[e].kind == "service_point")
        return PredictedOutage(device, outage.detected_at, points)


def compare(storm: Storm, correlate: Correlate, network: Network, radius_m: float = 1000.0,
            window: timedelta = timedelta(minutes=30)) -> tuple[Scores, Scores]:
    """Scores of ``correlate`` and of :func:`naive_proximity` on the same storm, for
    :func:`report`."""
    events = [dict(e) for e in storm.events]  # an engine may annotate what it is given
    return (score(storm, correlate(events), network),
            score(storm, naive_proximity(storm.events, radius_m, window, network), network))


_ROWS = (("events", "loss events scored"), ("faults", "faults (momentary included)"),
         ("faults_observed", "faults with a loss report"),
         ("faults_detected", "faults whose reports joined an outage"),
         ("device_exact", "share of faults placed at the exact device"),
         ("precision", "pairwise precision"), ("recall", "pairwise recall"),
         ("f1", "pairwise F1"), ("ari", "adjusted Rand index"),
         ("jaccard", "affected-customer Jaccard (mean)"),
         ("latency_p50_s", "detection latency p50 [s]"),
         ("latency_p95_s", "detection latency p95 [s]"),
         ("latency_max_s", "detection latency max [s]"))


def report(engine: Scores, baseline: Scores) -> list[dict[str, Any]]:
    """Rows for a table: ``metric`` (what it is), ``opslens``, ``naive_baseline`` and
    ``target`` (``"≥ 0.95"`` or None), in a fixed order."""
    ours, theirs = engine.as_dict(), baseline.as_dict()
    return [{"metric": label, "opslens": ours[name], "naive_baseline": theirs[name],
             "target": f"≥ {TARGETS[name]}" if name in TARGETS else None}
            for name, label in _ROWS]
