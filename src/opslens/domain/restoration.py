"""Restoration, the half of the correlation engine that brings customers back (DESIGN.md
§6.1): power-restored reports restore points one by one; once they settle (no new one for
``restore_settle``) and cover ``restore_share`` of the points that reported the loss, or SCADA
closed the device, the outage is restored, and customers still dark below it form nested
outages. Interruptions of at most 5 minutes are momentary (IEEE 1366).

A mixin of :class:`opslens.domain.correlation.Correlator`, whose state it shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from opslens.domain.outages import Changes, Event, Outage


class Restoration:
    """Restore reports, settling, nested outages, the end of an outage."""

    def _point_restored(self, event: Event, point: str, changes: Changes) -> None:
        oid = self._point_outage.pop(point, None)
        transformer = self.transformer_of(point)
        if transformer and transformer in self._live:
            self._live[transformer].pop(point, None)
            if not self._live[transformer]:
                del self._live[transformer]
        outage = self.outages[oid] if oid else self._covering(point)
        if outage is None or not outage.is_open:
            changes.assignments[event.id] = (outage.id if outage else None, False)
            return
        outage.restored[point] = event.occurred_at
        outage.last_restore = max(outage.last_restore or event.occurred_at, event.occurred_at)
        self._await_settling(outage)
        changes.assignments[event.id] = (outage.id, False)
        outage.events.append(event.id)
        changes.touch(outage)

    def _await_settling(self, outage: Outage) -> None:
        """A restore report (or a SCADA close) came: look again once reports settle."""
        self._settling.add(outage.id)
        due = outage.last_restore + self.settings.restore_settle
        if self._settle_due is None or due < self._settle_due:
            self._settle_due = due

    def _settle(self, changes: Changes) -> None:
        """Restore the outages whose restore reports settled. One whose reports cover too
        few of its points waits, unlooked at, for the next report."""
        for oid in sorted(self._settling):
            outage = self.outages[oid]
            if not outage.is_open or outage.last_restore is None:
                self._settling.discard(oid)
                continue
            still_off = [p for p in outage.off if p not in outage.restored]
            settled = self.now - outage.last_restore >= self.settings.restore_settle
            if outage.closed_at is not None:  # SCADA closed it: wait for the reports only
                if not settled:
                    continue
            else:
                if still_off and not settled:
                    continue
                reported = len(set(outage.off) | set(outage.restored))
                if still_off and len(outage.restored) < self.settings.restore_share * reported:
                    self._settling.discard(oid)
                    continue
            self._settling.discard(oid)
            for device in self._nested_devices(outage, still_off):
                self._nest(outage, device, changes)
            if outage.closed_at is not None:
                self._restore(outage, outage.closed_at, changes, "scada")
            else:
                self._restore(outage, outage.last_restore, changes, "restored reports")
        dues = [self.outages[oid].last_restore for oid in self._settling]
        self._settle_due = min(dues) + self.settings.restore_settle if dues else None

    def _nested_devices(self, outage: Outage, still_off: Sequence[str]) -> list[str]:
        """Where customers stay off after the rest came back: the highest devices below the
        outage's whose every reporting transformer is still dark: at least two of its points
        last reported off, and at least twice as many as last reported back. A transformer
        mostly back is on; its silent points just did not report the restoration."""
        if outage.device_id is None or not still_off:
            return []
        off = Counter(self.transformer_of(p) for p in still_off)
        back = Counter(self.transformer_of(p) for p in outage.restored)
        dark = {t for t, n in off.items() if n >= 2 and n >= 2 * back[t]}
        reporting = {self.transformer_of(p) for p in (*outage.off, *outage.restored)}
        roots = set()
        for transformer in dark:
            root = transformer
            for device in self._ancestors.get(transformer, ()):
                if device == outage.device_id or not self.network.is_below(
                        device, outage.device_id):
                    break
                if any(t in reporting and t not in dark for t in self._transformers[device]):
                    break
                root = device
            roots.add(root)
        return sorted(r for r in roots
                      if not any(r != o and self.network.is_below(r, o) for o in roots))

    def _nest(self, outage: Outage, device: str, changes: Changes) -> None:
        """Customers below ``device`` stay off: a child outage holds them and their events."""
        child = self._new(device, outage.started_at, changes)
        child.parent_id = outage.id
        child.status, child.confirmed_at = outage.status, outage.confirmed_at
        for point in [p for p in outage.off if self.network.is_below(p, device)]:
            child.off[point] = outage.off.pop(point)
            self._point_outage[point] = child.id
        for event in [e for e in outage.events
                      if (found := outage.sources.get(e)) and found[1] in child.off
                      and found[2] >= child.off[found[1]]]:  # this time off, not a blip's
            source, point, at = outage.sources.pop(event)
            child.events.append(event)
            child.sources[event] = (source, point, at)
            child.source_events[source] += 1
            outage.source_events[source] -= 1
            changes.reassigned[event] = child.id
        outage.events = [e for e in outage.events if e not in child.sources]
        child.evidence = {k: w for k, w in outage.evidence.items() if k[1] in child.off}
        child.last_activity = outage.last_activity
        outage.children.append(device)
        self._set_device(outage, outage.device_id)
        self._rank(child, changes)
        changes.touch(child, "nested", parent=outage.id)

    def _restore(self, outage: Outage, at: datetime, changes: Changes, by: str) -> None:
        self._close_index(outage)
        outage.status, outage.restored_at = "restored", max(at, outage.started_at)
        momentary = outage.restored_at - outage.started_at <= self.settings.momentary
        outage.outage_type = "momentary" if momentary else "sustained"
        for point in list(outage.off):
            if self._point_outage.get(point) == outage.id:
                del self._point_outage[point]
            transformer = self.transformer_of(point)
            live = self._live.get(transformer)
            if live is not None:
                live.pop(point, None)
                if not live:
                    del self._live[transformer]
        if momentary and outage.device_id is not None:
            self._momentary[outage.device_id] = (outage.id, outage.restored_at)
        changes.touch(outage, "restored", by=by, outage_type=outage.outage_type)
