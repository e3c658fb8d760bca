"""The correlation engine: events in, outages out (DESIGN.md §6.1).

Topology first. A loss report from a meter, ONU or caller with a known meter is evidence
that its service point is off; the point's transformer gets an outage unless an open outage
above it already explains the report. After each batch, every transformer that gained its
first evidence is looked at from below: the outage rolls up to the highest protective device
above it that *qualifies*: evidence arrived (within the window) from at least two of its
branches, from at least its class's share of its downstream transformers, and none of its
large downstream transformers is silent (a transformer of ``m`` reporting points that would
report with ``q`` each is silent by chance with ``(1-q)^m``). Outages below the new device
are absorbed: the oldest keeps its id and moves up, the others merge into it. SCADA breaker
and feeder events place a confirmed outage at their device directly.

Events that name only a place join the nearest open outage within radius and window (the
spatial-temporal fallback), measured to the nearest transformer the outage covers; else they
open an outage of their own there. Storm mode switches on above an event rate and off below
a lower one, widens the fallback, and suppresses repeated last gasps inside known outages.

Restoration (settling reports, SCADA closes, nested and momentary outages) is in
:mod:`opslens.domain.restoration`, operators' actions in :mod:`opslens.domain.outage_actions`;
both are halves of :class:`Correlator`. A device that trips again within 5 minutes of its
momentary restoration reopens that outage as another operation of the same event.

Pure: no clock (time is the events' ``occurred_at``, or the ``now`` passed in), no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np

from opslens.domain.geo import haversine_many_m
from opslens.domain.outage_actions import OperatorActions
from opslens.domain.outages import Changes, Event, Outage, Settings, severity
from opslens.domain.restoration import Restoration
from opslens.domain.topology import PROTECTIVE, Network

LOSS = frozenset({"power_loss", "ticket"})
STEP = timedelta(seconds=1)  # how often a long batch places its new reports
ROLLUP_KINDS = frozenset({*PROTECTIVE, "feeder"})


class Correlator(Restoration, OperatorActions):
    """The state of correlation for one organization's network (restoration and operator
    actions are in their own modules)."""

    def __init__(self, network: Network, settings: Settings | None = None,
                 next_number: int = 1, prefix: str = "OUT-") -> None:
        self.network = network
        self.settings = settings or Settings()
        self.next_number = next_number
        self.prefix = prefix
        self.outages: dict[str, Outage] = {}
        self.storm_since: datetime | None = None
        self.now: datetime | None = None
        self._receipt: datetime | None = None  # the latest received_at: detection time
        self._open_at: dict[str, str] = {}  # device → open outage there
        self._cover: dict[str, str] = {}  # transformer → open outage whose device covers it
        self._located: set[str] = set()  # open outages with a place but no device
        self._live: dict[str, dict[str, datetime]] = {}  # transformer → point → off since
        self._point_outage: dict[str, str] = {}
        self._momentary: dict[str, tuple[str, datetime]] = {}  # device → outage, restored at
        self._rate: deque[datetime] = deque()
        self._peak = 0.0
        self._settling: set[str] = set()
        self._settle_due: datetime | None = None  # the earliest a settling outage can settle
        self._index(network)

    # ---- the network, laid out once -------------------------------------------------------

    def _index(self, net: Network) -> None:
        q = self.settings.expected_report_share
        self._points: dict[str, int] = {}  # transformer → reporting points below it
        self._transformers: dict[str, list[str]] = {}  # device → transformers below it
        self._ancestors: dict[str, tuple[str, ...]] = {}  # transformer → roll-up devices up
        for eid in net.order:
            element = net.elements[eid]
            if element.kind == "service_point" and element.parent is not None:
                self._points[element.parent] = self._points.get(element.parent, 0) + 1
        for eid in net.order:
            element = net.elements[eid]
            if element.kind == "transformer":
                self._points.setdefault(eid, 0)
                path = net.path_up(eid)[1:]
                self._ancestors[eid] = tuple(a for a in path
                                             if net.elements[a].kind in ROLLUP_KINDS)
                for device in (eid, *self._ancestors[eid]):
                    self._transformers.setdefault(device, []).append(eid)
        self._large = {t: (1 - q) ** m < self.settings.silence_probability
                       for t, m in self._points.items()}
        coords = {t: (net.elements[t].latitude, net.elements[t].longitude)
                  for t in self._points}
        self._coords = {d: np.array([coords[t] for t in ts
                                     if coords[t][0] is not None and coords[t][1] is not None],
                                    dtype=float).reshape(-1, 2)
                        for d, ts in self._transformers.items()}

    def transformer_of(self, element_id: str) -> str | None:
        """The transformer above a service point, the element itself if a transformer."""
        element = self.network.elements.get(element_id)
        if element is None:
            return None
        if element.kind == "transformer":
            return element_id
        if element.kind == "service_point":
            return element.parent
        return None

    # ---- processing -----------------------------------------------------------------------

    def process(self, events: Iterable[Event], now: datetime | None = None) -> Changes:
        """Correlate a batch (any order; taken by occurred_at, then id), then settle what
        the batch's end makes settle. Returns what changed."""
        changes = Changes()
        dirty: dict[str, list[tuple[Event, str]]] = {}
        dirty_since = None
        for event in sorted(events, key=lambda e: (e.occurred_at, e.id)):
            at = event.occurred_at
            # a long batch (a replay, a backlog) is taken as time passes within it: new
            # reports are placed each second, restorations settle when they are due
            if dirty and at - dirty_since >= STEP:
                self._resolve(dirty, changes)
                dirty.clear()
            if self._settle_due is not None and at >= self._settle_due:
                self._advance(at, changes)
                self._settle(changes)
            received = event.received_at or at
            if self._receipt is None or received > self._receipt:
                self._receipt = received
            self._advance(at, changes)
            if not dirty:
                dirty_since = at
            self._route(event, dirty, changes)
        self._resolve(dirty, changes)
        if now is not None:
            self._advance(now, changes)
        self._settle(changes)
        return changes

    def tick(self, now: datetime) -> Changes:
        """Let time pass without events: settle restorations, let storm mode end."""
        changes = Changes()
        self._advance(now, changes)
        self._settle(changes)
        return changes

    def _advance(self, at: datetime, changes: Changes) -> None:
        """Move time to ``at``: events older than an hour leave the rate; storm mode ends at
        the instant the rate fell below its off threshold, not when someone next looks."""
        if self.now is None or at > self.now:
            self.now = at
        hour = timedelta(hours=1)
        while self._rate and self._rate[0] <= self.now - hour:
            left = self._rate.popleft()
            if self.storm_since is not None and len(self._rate) < self.settings.storm_off_per_hour:
                self._storm_switch(changes, max(left + hour, self.storm_since))
        self._storm_switch(changes, self.now)

    def _storm_switch(self, changes: Changes, at: datetime) -> None:
        rate = float(len(self._rate))
        s = self.settings
        if self.storm_since is None and rate >= s.storm_on_per_hour:
            self.storm_since, self._peak = at, rate
            changes.storm.append(("on", at, rate))
        elif self.storm_since is not None:
            self._peak = max(self._peak, rate)
            if rate < s.storm_off_per_hour:
                self.storm_since = None
                changes.storm.append(("off", at, self._peak))

    @property
    def peak_rate(self) -> float:
        return self._peak

    def _route(self, event: Event, dirty: dict, changes: Changes) -> None:
        self._rate.append(event.occurred_at)
        self._storm_switch(changes, event.occurred_at)
        kind, element = event.kind, event.element_id
        known = element is not None and element in self.network.elements
        if kind in ("breaker_open", "breaker_close") and known:
            (self._breaker_open if kind == "breaker_open" else self._breaker_close)(
                event, element, changes)
        elif kind == "power_restored" and known:
            self._point_restored(event, element, changes)
        elif kind in LOSS and known and self.transformer_of(element):
            self._point_lost(event, element, dirty, changes)
        elif kind in LOSS and event.latitude is not None and event.longitude is not None:
            self._located_loss(event, changes)
        elif kind == "alarm" and known:
            outage = self._covering(element)
            self._attach(outage, event, None, changes)
        else:
            changes.assignments[event.id] = (None, False)

    def _covering(self, element_id: str) -> Outage | None:
        """The open outage whose device is at or above the element."""
        transformer = self.transformer_of(element_id)
        if transformer is not None:
            oid = self._cover.get(transformer)
            return self.outages[oid] if oid else None
        for device in self.network.path_up(element_id):
            if device in self._open_at:
                return self.outages[self._open_at[device]]
        return None

    def _attach(self, outage: Outage | None, event: Event, point: str | None,
                changes: Changes, suppressed: bool = False) -> None:
        if outage is None:
            changes.assignments[event.id] = (None, False)
            return
        changes.assignments[event.id] = (outage.id, suppressed)
        outage.events.append(event.id)
        outage.sources[event.id] = (event.source, point, event.occurred_at)
        outage.last_activity = max(outage.last_activity or event.occurred_at, event.occurred_at)
        if not suppressed:
            outage.source_events[event.source] += 1
            key = (event.source, point or event.element_id or event.id)
            outage.evidence.setdefault(key, self.settings.weights.get(event.source, 0.0))
        changes.touch(outage)

    def _point_lost(self, event: Event, point: str, dirty: dict, changes: Changes) -> None:
        transformer = self.transformer_of(point)
        outage = self._covering(point)
        repeated = point in self._point_outage or any(point == p for _, p in
                                                      dirty.get(transformer, ()))
        if outage is not None:
            suppressed = repeated and self.storm_since is not None
            if not suppressed and (point not in outage.off or point in outage.restored):
                outage.off[point] = event.occurred_at  # off again after it came back
                outage.restored.pop(point, None)
                self._point_outage[point] = outage.id
                self._live.setdefault(transformer, {})[point] = event.occurred_at
            self._attach(outage, event, point, changes, suppressed)
            return
        self._live.setdefault(transformer, {})[point] = event.occurred_at
        dirty.setdefault(transformer, []).append((event, point))

    def _reopen_momentary(self, device: str, at: datetime, changes: Changes) -> Outage | None:
        """A device that trips again within ``momentary`` of a momentary restoration is
        another operation of the same momentary event (IEEE 1366 MAIFI_E): its outage
        reopens (the caller indexes it)."""
        found = self._momentary.get(device)
        if found is None or at - found[1] > self.settings.momentary:
            return None
        del self._momentary[device]
        outage = self.outages[found[0]]
        outage.status = "confirmed" if outage.confirmed_at else "predicted"
        outage.restored_at = None
        outage.interruptions += 1
        outage.last_restore = None
        changes.touch(outage, "reclosed", interruptions=outage.interruptions)
        return outage

    # ---- roll-up --------------------------------------------------------------------------

    def _resolve(self, dirty: dict[str, list[tuple[Event, str]]], changes: Changes) -> None:
        for transformer in sorted(dirty, key=lambda t: self.network._enter[t]):
            pending = dirty[transformer]
            outage = self._covering(transformer)
            if outage is None:
                target = transformer
                for device in self._ancestors[transformer]:
                    if self._qualifies(device):
                        target = device
                outage = self._place(target, min(e.occurred_at for e, _ in pending), changes)
            for event, point in pending:
                if point not in outage.off:
                    outage.off[point] = event.occurred_at
                    self._point_outage[point] = outage.id
                self._attach(outage, event, point, changes)

    def _qualifies(self, device: str) -> bool:
        transformers = self._transformers.get(device, ())
        since = self.now - self.settings.window
        reporting = branches_seen = 0
        branches: set[str] = set()
        for transformer in transformers:
            if not self._points[transformer]:
                continue
            reporting += 1
            live = self._live.get(transformer)
            covered = self._cover.get(transformer)
            recent = bool(live) and max(live.values()) >= since
            if not recent and covered:
                recent = self.outages[covered].started_at >= since
            if recent:
                branches.add(self._branch(transformer, device))
                branches_seen += 1
            elif self._large[transformer] and not live and not covered:
                return False  # a large transformer below is silent: not this device
        share = self.settings.rollup_share.get(self.network.elements[device].kind, 0.5)
        return len(branches) >= 2 and reporting > 0 and branches_seen / reporting >= share

    def _branch(self, transformer: str, device: str) -> str:
        """The child of ``device`` on the way down to ``transformer``."""
        path = self.network.path_up(transformer)
        return path[path.index(device) - 1]

    def _place(self, device: str, started_at: datetime, changes: Changes,
               exact: bool = False) -> Outage:
        """An open outage at ``device``. Open outages below it that began with it (within
        ``merge_window``; for a SCADA trip, whose time is exact, not before it) are the same
        fault seen piecemeal: the oldest moves up, the others merge into it. Older ones are
        faults of their own that were already off when the device opened: they stay open,
        nested in it."""
        below = sorted((self.outages[oid] for d, oid in self._open_at.items()
                        if d != device and self.network.is_below(d, device)),
                       key=lambda o: (o.started_at, o.id))
        window = self.settings.merge_window
        if exact:
            earliest = started_at - self.settings.clock_tolerance
            fresh = [o for o in below if o.started_at >= earliest]
        else:
            fresh = [o for o in below if abs(o.started_at - started_at) <= window]
        if device in self._open_at:
            fresh.insert(0, self.outages[self._open_at[device]])
        elif (again := self._reopen_momentary(device, started_at, changes)) is not None:
            fresh.insert(0, again)
        nested = [o for o in below if o not in fresh]
        for outage in fresh:
            self._close_index(outage)
        if not fresh:
            outage = self._new(device, started_at, changes)
        else:
            outage, others = fresh[0], fresh[1:]
            previous = outage.device_id
            outage.device_id = device
            outage.started_at = min(outage.started_at, started_at)
            for other in others:
                self._absorb(outage, other, changes)
            self._open(outage)
            if previous != device:
                changes.touch(outage, "rolled_up", from_device=previous, to_device=device)
        for child in nested:
            if child.device_id not in outage.children:
                outage.children.append(child.device_id)
            child.parent_id = outage.id
            changes.touch(child, "nested", parent=outage.id)
        self._set_device(outage, device)
        self._rank(outage, changes)
        return outage

    def _new(self, device: str | None, started_at: datetime, changes: Changes,
             latitude: float | None = None, longitude: float | None = None) -> Outage:
        oid = f"{self.prefix}{self.next_number:06d}"
        self.next_number += 1
        outage = Outage(id=oid, device_id=None, device_kind=None, started_at=started_at,
                        detected_at=max(self._receipt or self.now, self.now),
                        latitude=latitude, longitude=longitude,
                        storm=self.storm_since is not None, last_activity=started_at)
        self.outages[oid] = outage
        if device is not None:
            self._set_device(outage, device)
        else:
            outage.customers = 0
        self._open(outage)
        changes.touch(outage, "created", device=device)
        return outage

    def _set_device(self, outage: Outage, device: str) -> None:
        element = self.network.elements[device]
        outage.device_id, outage.device_kind = device, element.kind
        outage.latitude, outage.longitude = element.latitude, element.longitude
        outage.customers = self.network.customers_below(device)
        outage.critical = self.network.critical_below(device)
        for child in outage.children:
            if self.network.is_below(child, device):
                outage.customers -= self.network.customers_below(child)
                outage.critical -= self.network.critical_below(child)

    def _rank(self, outage: Outage, changes: Changes) -> None:
        outage.severity = severity(max(outage.customers, 0), outage.critical, self.settings)
        changes.touch(outage)

    def _open(self, outage: Outage) -> None:
        if outage.device_id is None:
            self._located.add(outage.id)
            return
        self._open_at[outage.device_id] = outage.id
        for transformer in self._transformers.get(outage.device_id, ()):
            current = self._cover.get(transformer)
            if current is None or current == outage.id or not self._deeper(current, outage):
                self._cover[transformer] = outage.id

    def _deeper(self, oid: str, outage: Outage) -> bool:
        """Whether open outage ``oid`` sits strictly below ``outage``: a nested fault, whose
        transformers stay its own."""
        other = self.outages[oid]
        return (other.is_open and other.device_id is not None
                and other.device_id != outage.device_id
                and self.network.is_below(other.device_id, outage.device_id))

    def _close_index(self, outage: Outage) -> None:
        self._located.discard(outage.id)
        self._settling.discard(outage.id)
        if outage.device_id is None or self._open_at.get(outage.device_id) != outage.id:
            return
        del self._open_at[outage.device_id]
        for transformer in self._transformers.get(outage.device_id, ()):
            if self._cover.get(transformer) == outage.id:
                del self._cover[transformer]
        # a nested child still open below keeps covering its transformers
        for child_device in outage.children:
            if child_device in self._open_at:
                child = self.outages[self._open_at[child_device]]
                for transformer in self._transformers.get(child_device, ()):
                    self._cover[transformer] = child.id

    def _absorb(self, survivor: Outage, other: Outage, changes: Changes) -> None:
        self._close_index(other)
        other.status, other.merged_into, other.cancelled_at = "cancelled", survivor.id, self.now
        survivor.events += other.events
        survivor.sources.update(other.sources)
        other.events, other.sources = [], {}
        survivor.source_events.update(other.source_events)
        for key, weight in other.evidence.items():
            survivor.evidence.setdefault(key, weight)
        for point, at in other.off.items():
            survivor.off.setdefault(point, at)
            self._point_outage[point] = survivor.id
        survivor.restored.update(other.restored)
        survivor.started_at = min(survivor.started_at, other.started_at)
        if other.confirmed_at and not survivor.confirmed_at:
            survivor.status, survivor.confirmed_at = "confirmed", other.confirmed_at
        changes.moved[other.id] = survivor.id
        changes.touch(other, "merged", into=survivor.id)
        changes.touch(survivor, "absorbed", absorbed=other.id)

    # ---- the spatial-temporal fallback ----------------------------------------------------

    def _located_loss(self, event: Event, changes: Changes) -> None:
        storm = self.storm_since is not None
        radius = self.settings.storm_radius_m if storm else self.settings.radius_m
        window = self.settings.storm_window if storm else self.settings.window
        best, best_m = None, radius
        candidates = sorted({*self._open_at.values(), *self._located})
        for oid in candidates:
            outage = self.outages[oid]
            if event.occurred_at - (outage.last_activity or outage.started_at) > window:
                continue
            distance = self._distance(outage, event.latitude, event.longitude)
            if distance is not None and distance <= best_m:
                best, best_m = outage, distance
        if best is None:
            best = self._new(None, event.occurred_at, changes, event.latitude, event.longitude)
            best.customers = 1
            self._rank(best, changes)
        elif best.device_id is None:
            best.customers += 1
            self._rank(best, changes)
        self._attach(best, event, None, changes)

    def _distance(self, outage: Outage, lat: float, lon: float) -> float | None:
        if outage.device_id is not None and len(self._coords.get(outage.device_id, ())):
            points = self._coords[outage.device_id]
            return float(haversine_many_m(lat, lon, points[:, 0], points[:, 1]).min())
        if outage.latitude is None or outage.longitude is None:
            return None
        return float(haversine_many_m(lat, lon, np.array([outage.latitude]),
                                      np.array([outage.longitude]))[0])

    # ---- SCADA ----------------------------------------------------------------------------

    def _breaker_open(self, event: Event, device: str, changes: Changes) -> None:
        above = next((self._open_at[d] for d in self.network.path_up(device)
                      if d in self._open_at), None)
        if above is not None and self.outages[above].device_id != device:
            outage = self.outages[above]  # already explained by an outage further up
        else:
            outage = self.outages[above] if above else self._place(
                device, event.occurred_at, changes, exact=True)
        self._attach(outage, event, device, changes)
        self._confirm(outage, event.occurred_at, changes, "scada")

    def _breaker_close(self, event: Event, device: str, changes: Changes) -> None:
        """The device closed: its outage is restored at this instant, once the restore
        reports that follow have shown which customers below are still off (those form
        nested outages); outages nested below it are faults of their own and stay open."""
        oid = self._open_at.get(device)
        if oid is None:
            self._attach(self._covering(device), event, None, changes)
            return
        outage = self.outages[oid]
        self._attach(outage, event, None, changes)
        outage.closed_at = event.occurred_at
        outage.last_restore = max(outage.last_restore or event.occurred_at, event.occurred_at)
        self._await_settling(outage)

    def _confirm(self, outage: Outage, at: datetime, changes: Changes, by: str) -> None:
        if outage.status == "predicted":
            outage.status, outage.confirmed_at = "confirmed", at
            changes.touch(outage, "confirmed", by=by)

    # ---- life of the engine in a service ----------------------------------------------------

    def final_id(self, oid: str | None) -> str | None:
        """The outage an assignment ended in, following merges."""
        while oid is not None and oid in self.outages and self.outages[oid].merged_into:
            oid = self.outages[oid].merged_into
        return oid

    def forget_closed(self) -> None:
        """Drop closed outages from memory (they are stored), keeping the momentary ones a
        new loss may still reopen."""
        keep = {oid for oid, _ in self._momentary.values()}
        for oid in [o.id for o in self.outages.values() if not o.is_open and o.id not in keep]:
            del self.outages[oid]

    def resume(self, outages: Iterable[Outage], recent: Sequence[datetime],
               storm_since: datetime | None, momentary: Iterable[Outage], now: datetime) -> None:
        """Take up the state a store holds: the open outages with their evidence, the event
        times of the last hour, storm mode, and the momentary outages restored lately."""
        self.now = now
        self.storm_since = storm_since
        self._rate.extend(sorted(recent))
        self._peak = float(len(self._rate))
        for outage in sorted(outages, key=lambda o: (o.started_at, o.id)):
            self.outages[outage.id] = outage
            if outage.device_id is not None and outage.device_id not in self.network.elements:
                outage.device_id = None  # its device left the network: keep it by place
            self._open(outage)
            for point in outage.off:
                if point in outage.restored or point not in self.network.elements:
                    continue
                self._point_outage[point] = outage.id
                transformer = self.transformer_of(point)
                if transformer:
                    self._live.setdefault(transformer, {})[point] = outage.off[point]
            if outage.last_restore is not None:
                self._await_settling(outage)
        for outage in momentary:
            if outage.device_id in self.network.elements:
                self.outages.setdefault(outage.id, outage)
                self._momentary[outage.device_id] = (outage.id, outage.restored_at)
