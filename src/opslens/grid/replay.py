"""Replay events through the correlation engine in memory, in the order they arrived: the
engine that ``opslens grid evaluate`` scores, and the one the benchmark drives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from opslens.domain.correlation import Correlator
from opslens.domain.outages import Event, Outage, Settings
from opslens.domain.topology import Network
from opslens.errors import InvalidInput
from opslens.grid import intake
from opslens.grid.evaluate import Correlate, Outcome, PredictedOutage


def events_of(network: Network, raw: Sequence[dict[str, Any]]) -> list[Event]:
    """Canonical events validated and resolved, in the order they were received."""
    good, errors = intake.validate([dict(e) for e in raw])
    if errors:
        raise InvalidInput(f"{len({e.index for e in errors})} events are invalid",
                           [e.as_dict() for e in errors[:1000]])
    resolved = [intake.resolve(network, e, e.get("received_at") or e["occurred_at"])
                for _, e in good]
    return sorted(resolved, key=lambda e: (e.received_at, e.id))


def batches(events: Sequence[Event], every: timedelta) -> list[list[Event]]:
    """Consecutive events received within the same ``every`` (how a server takes them)."""
    out: list[list[Event]] = []
    step = every.total_seconds()
    current_key = None
    for event in events:
        key = int(event.received_at.timestamp() // step) if step > 0 else None
        if not out or key != current_key or step <= 0:
            out.append([])
            current_key = key
        out[-1].append(event)
    return out


def engine(network: Network, settings: Settings | None = None,
           every: timedelta = timedelta(seconds=1)) -> Correlate:
    """A ``correlate`` for :mod:`opslens.grid.evaluate`: a fresh engine per storm, fed in
    batches of ``every`` of arrival time, then left to settle."""

    def correlate(raw: Sequence[dict[str, Any]]) -> Outcome:
        correlator = Correlator(network, settings)
        assignment: dict[str, str | None] = {}
        events = events_of(network, raw)
        for batch in batches(events, every):
            changes = correlator.process(batch)
            assignment.update({eid: oid for eid, (oid, _) in changes.assignments.items()})
            assignment.update(changes.reassigned)
        if events:
            assignment.update(correlator.tick(events[-1].received_at + timedelta(hours=2))
                              .reassigned)
        final = {eid: correlator.final_id(oid) for eid, oid in assignment.items()}
        outages = {o.id: _predicted(network, o) for o in correlator.outages.values()
                   if o.merged_into is None}
        return Outcome(final, outages)

    return correlate


def _predicted(network: Network, outage: Outage) -> PredictedOutage:
    if outage.device_id is None:
        return PredictedOutage(None, outage.detected_at, frozenset())
    children = [c for c in outage.children if c in network.elements]
    return PredictedOutage(outage.device_id, outage.detected_at,
                           frozenset(network.points_below(outage.device_id, children)))
