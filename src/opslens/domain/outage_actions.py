"""What operators do to outages (DESIGN.md §6.1): confirm, cancel as a false alarm, restore,
merge and split, each checked against the outage's state and recorded as changes.

A mixin of :class:`opslens.domain.correlation.Correlator`, whose state it shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from opslens.domain.outages import Changes, Outage
from opslens.domain.topology import PROTECTIVE
from opslens.errors import InvalidInput, NotFound

#: Where an operator's merge or split can place an outage.
PLACEABLE = frozenset({*PROTECTIVE, "feeder", "transformer"})


class OperatorActions:
    """Operator actions on the engine's outages."""

    def get(self, oid: str) -> Outage:
        try:
            return self.outages[oid]
        except KeyError:
            raise NotFound(f"unknown outage {oid!r}") from None

    def _open_one(self, oid: str, action: str) -> Outage:
        outage = self.get(oid)
        if not outage.is_open:
            raise InvalidInput(f"outage {oid} is {outage.status}; only an open outage can be "
                               f"{action}", [{"field": "action", "reason": "not open"}])
        return outage

    def confirm(self, oid: str, at: datetime, by: str = "operator") -> Changes:
        changes = Changes()
        self._confirm(self._open_one(oid, "confirmed"), at, changes, by)
        return changes

    def cancel(self, oid: str, at: datetime, by: str = "operator") -> Changes:
        """A false alarm: the outage ends ``cancelled`` and its points count as on again."""
        changes = Changes()
        outage = self._open_one(oid, "cancelled")
        self._close_index(outage)
        for point in outage.off:
            if self._point_outage.get(point) == oid:
                del self._point_outage[point]
            live = self._live.get(self.transformer_of(point) or "")
            if live:
                live.pop(point, None)
        outage.status, outage.cancelled_at = "cancelled", at
        changes.touch(outage, "cancelled", by=by)
        return changes

    def restore(self, oid: str, at: datetime, by: str = "operator") -> Changes:
        changes = Changes()
        outage = self._open_one(oid, "restored")
        if at < outage.started_at:
            raise InvalidInput(f"restored_at {at.isoformat()} is before the outage began "
                               f"({outage.started_at.isoformat()})",
                               [{"field": "restored_at", "reason": "before started_at"}])
        self._restore(outage, at, changes, by)
        return changes

    def merge(self, oid: str, others: Sequence[str], at: datetime, by: str = "operator"
              ) -> Changes:
        """Merge ``others`` into ``oid``, placed at the lowest device above all of them."""
        changes = Changes()
        survivor = self._open_one(oid, "merged")
        absorbed = [self._open_one(o, "merged") for o in others if o != oid]
        if not absorbed:
            raise InvalidInput("name at least one other open outage to merge",
                               [{"field": "outages", "reason": "empty"}])
        devices = [o.device_id for o in (survivor, *absorbed) if o.device_id is not None]
        self.now = max(self.now or at, at)
        for other in absorbed:
            self._absorb(survivor, other, changes)
        if devices:
            target = self._lowest_common(devices)
            if target is None:
                raise InvalidInput("these outages are on different substations; they cannot "
                                   "be one outage", [{"field": "outages", "reason": "apart"}])
            self._close_index(survivor)
            self._set_device(survivor, target)
            self._open(survivor)
        self._rank(survivor, changes)
        changes.touch(survivor, "merged_by_operator", by=by, outages=list(others))
        return changes

    def split(self, oid: str, event_ids: Sequence[str], at: datetime, by: str = "operator"
              ) -> Changes:
        """Move ``event_ids`` out of ``oid`` into a new outage: each part is placed at the
        lowest device above its own reports; the two may not overlap."""
        changes = Changes()
        outage = self._open_one(oid, "split")
        moving = set(event_ids)
        unknown = sorted(moving - set(outage.events))
        if unknown:
            raise InvalidInput(f"{len(unknown)} event(s) are not in outage {oid}: "
                               f"{', '.join(unknown[:5])}",
                               [{"field": "event_ids", "reason": f"not in {oid}: {e}"}
                                for e in unknown[:100]])
        staying = [e for e in outage.events if e not in moving]
        if not moving or not staying:
            raise InvalidInput("name some, but not all, of the outage's events to split off",
                               [{"field": "event_ids", "reason": "empty or all"}])
        moved_points = sorted({p for e in moving if (p := outage.sources.get(e, (0, None))[1])
                               and p in self.network.elements})
        stay_points = sorted({p for e in staying if (p := outage.sources.get(e, (0, None))[1])
                              and p in self.network.elements})
        new_device = self._lowest_common(moved_points) if moved_points else None
        stay_device = self._lowest_common(stay_points) if stay_points else outage.device_id
        if new_device and stay_device and (self.network.is_below(new_device, stay_device)
                                           or self.network.is_below(stay_device, new_device)):
            raise InvalidInput(f"the events to split off sit on {new_device} and the rest on "
                               f"{stay_device}: one is below the other, so they cannot be two "
                               "outages", [{"field": "event_ids", "reason": "overlapping"}])
        self.now = max(self.now or at, at)
        self._close_index(outage)
        child = self._new(new_device, outage.started_at, changes, outage.latitude,
                          outage.longitude)
        child.status, child.confirmed_at = outage.status, outage.confirmed_at
        for event in [e for e in outage.events if e in moving]:
            source, point, at = outage.sources.pop(event)
            child.events.append(event)
            child.sources[event] = (source, point, at)
            child.source_events[source] += 1
            outage.source_events[source] -= 1
            key = (source, point or event)
            if key in outage.evidence:
                child.evidence[key] = outage.evidence.pop(key)
            if point in outage.off:
                child.off[point] = outage.off.pop(point)
                self._point_outage[point] = child.id
            if point in outage.restored:
                child.restored[point] = outage.restored.pop(point)
        outage.events = staying
        if stay_device is not None:
            self._set_device(outage, stay_device)
        self._open(outage)
        self._open(child)
        if child.device_id is None:
            child.customers = sum(1 for s, _ in child.sources.values() if s == "call_center")
        self._rank(outage, changes)
        self._rank(child, changes)
        changes.touch(outage, "split", by=by, into=child.id)
        changes.touch(child, "split_from", by=by, source_outage=oid)
        return changes

    def _lowest_common(self, elements: Sequence[str]) -> str | None:
        common = self.network.common_ancestors(elements)
        return next((a for a in common if self.network.elements[a].kind in
                     PLACEABLE), common[0] if common else None)
