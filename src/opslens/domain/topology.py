"""The radial distribution network of an OMS (DESIGN.md §4 grid hierarchy, §6.1 roll-up).

substation → feeder → protective devices (breaker, recloser, sectionalizer, fuse, switch) →
distribution transformers → service points (meters, ONUs; each serving ``customers``). Every
element but a substation has one parent, so the energized network is a forest. It is laid out
once in depth-first order: the elements below any element are then one contiguous slice of
that order (``[enter, leave)``), so "who is downstream of this device", "how many customers"
and "is A below B" are a slice, a difference of prefix sums and two comparisons: microseconds
whatever the network's size.

A normally-open point (a tie switch between feeders) carries no load in the normal
configuration, so nothing may be fed through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from opslens.errors import InvalidInput

PROTECTIVE = ("breaker", "recloser", "sectionalizer", "fuse", "switch")
KINDS = ("substation", "feeder", *PROTECTIVE, "transformer", "service_point")
#: Which kinds an element of each kind may hang from.
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "substation": (),
    "feeder": ("substation",),
    **{kind: ("feeder", *PROTECTIVE) for kind in PROTECTIVE},
    "transformer": ("feeder", *PROTECTIVE),
    "service_point": ("transformer",),
}


POINT_KINDS = ("meter", "onu")


@dataclass(frozen=True)
class Element:
    """One element of the network; ``customers`` counts only on service points, which are a
    meter or an ONU (``point_kind``) of the customer ``customer_id``."""

    id: str
    kind: str
    parent: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    normally_open: bool = False
    customers: int = 0
    critical: bool = False
    point_kind: str | None = None
    customer_id: str | None = None


class Network:
    """A validated radial network with its elements in depth-first order.

    >>> net = Network([Element("S", "substation"), Element("F", "feeder", "S"),
    ...                Element("B", "breaker", "F"), Element("T1", "transformer", "B"),
    ...                Element("T2", "transformer", "F"),
    ...                Element("P1", "service_point", "T1", customers=3),
    ...                Element("P2", "service_point", "T2", customers=2, critical=True)])
    >>> net.customers_below("B"), net.customers_below("F"), net.critical_below("S")
    (3, 5, 2)
    >>> net.is_below("P1", "B"), net.is_below("P2", "B")
    (True, False)
    >>> net.protective_above("P1"), net.lowest_common_protective(["P1", "P2"])
    ('B', 'F')
    """

    def __init__(self, elements: Iterable[Element]) -> None:
        self.elements: dict[str, Element] = {}
        problems: list[tuple[str, str, str]] = []
        for element in elements:
            if element.id in self.elements:
                problems.append((element.id, "id", "duplicate id"))
                continue
            self.elements[element.id] = element
        for element in self.elements.values():
            problems += _problems(element, self.elements)
        if not problems:
            self._lay_out(problems)
        if problems:
            raise InvalidInput(
                f"the network has {len(problems)} problem(s); first: {problems[0][0]}: "
                f"{problems[0][2]}",
                [{"field": f"{eid}.{name}", "reason": reason} for eid, name, reason in problems])

    def _lay_out(self, problems: list[tuple[str, str, str]]) -> None:
        children: dict[str, list[str]] = {eid: [] for eid in self.elements}
        roots = []
        for element in self.elements.values():
            if element.parent is None:
                roots.append(element.id)
            else:
                children[element.parent].append(element.id)
        order: list[str] = []
        self._enter: dict[str, int] = {}
        self._leave: dict[str, int] = {}
        for root in sorted(roots):  # iterative: a feeder may be thousands of elements deep
            stack = [(root, False)]
            while stack:
                eid, done = stack.pop()
                if done:
                    self._leave[eid] = len(order)
                    continue
                self._enter[eid] = len(order)
                order.append(eid)
                stack.append((eid, True))
                stack.extend((child, False) for child in sorted(children[eid], reverse=True))
        for eid in self.elements:
            if eid not in self._enter:  # every parent exists, so only a loop stays unreached
                problems.append((eid, "parent", "is part of a loop: the network must be radial"))
        self.order: list[str] = order
        self._customers = [0, *accumulate(self.elements[e].customers for e in order)]
        self._critical = [0, *accumulate(
            self.elements[e].customers if self.elements[e].critical else 0 for e in order)]

    def head_device(self, feeder_id: str) -> str:
        """The breaker at a feeder's head (its only child, when a breaker), else the feeder:
        where a SCADA trip reported for the feeder sits."""
        lo, hi = self._span(feeder_id)
        children = [e for e in self.order[lo + 1:hi] if self.elements[e].parent == feeder_id]
        if len(children) == 1 and self.elements[children[0]].kind == "breaker":
            return children[0]
        return feeder_id

    def point_of_customer(self, customer_id: str) -> str | None:
        """The service point of a customer, its meter before its ONU (None if unknown)."""
        if not hasattr(self, "_customer_points"):
            points: dict[str, str] = {}
            for eid in self.order:
                element = self.elements[eid]
                if element.customer_id is not None and (
                        element.customer_id not in points or element.point_kind == "meter"):
                    points[element.customer_id] = eid
            self._customer_points = points
        return self._customer_points.get(customer_id)

    def _span(self, element_id: str) -> tuple[int, int]:
        if element_id not in self._enter:
            raise InvalidInput(f"unknown network element {element_id!r}")
        return self._enter[element_id], self._leave[element_id]

    def below(self, element_id: str) -> list[str]:
        """The element and every element downstream of it, in depth-first order."""
        lo, hi = self._span(element_id)
        return self.order[lo:hi]

    def customers_below(self, element_id: str) -> int:
        lo, hi = self._span(element_id)
        return self._customers[hi] - self._customers[lo]

    def critical_below(self, element_id: str) -> int:
        """Customers of critical service points downstream (hospitals, water works…)."""
        lo, hi = self._span(element_id)
        return self._critical[hi] - self._critical[lo]

    def is_below(self, element_id: str, ancestor_id: str) -> bool:
        """Whether ``element_id`` is ``ancestor_id`` or downstream of it."""
        lo, hi = self._span(ancestor_id)
        return lo <= self._span(element_id)[0] < hi

    def path_up(self, element_id: str) -> list[str]:
        """The element and its ancestors, up to its substation."""
        self._span(element_id)
        path = [element_id]
        while (parent := self.elements[path[-1]].parent) is not None:
            path.append(parent)
        return path

    def protective_above(self, element_id: str) -> str:
        """The nearest protective device at or above the element, else its feeder (whose
        breaker at the substation is what clears a fault on it), else its substation."""
        path = self.path_up(element_id)
        for kind in (PROTECTIVE, ("feeder",), ("substation",)):
            for eid in path:
                if self.elements[eid].kind in kind:
                    return eid
        return path[-1]

    def lowest_common_protective(self, element_ids: Sequence[str]) -> str | None:
        """The lowest element above all of ``element_ids`` that can interrupt them: where a
        fault seen by all of them sits (None when they hang from different substations)."""
        common = self.common_ancestors(element_ids)
        return self.protective_above(common[0]) if common else None

    def common_ancestors(self, element_ids: Sequence[str]) -> list[str]:
        """The elements at or above every one of ``element_ids``, lowest first (empty when
        none are given or they hang from different substations)."""
        if not element_ids:
            return []
        common = self.path_up(element_ids[0])
        for eid in element_ids[1:]:
            common = [a for a in common if self.is_below(eid, a)]
            if not common:
                break
        return common

    def points_below(self, element_id: str, excluding: Sequence[str] = ()) -> list[str]:
        """The service points at or below the element, leaving out those below any of
        ``excluding`` (the devices of outages nested in one at ``element_id``)."""
        return [e for e in self.below(element_id) if self.elements[e].kind == "service_point"
                and not any(self.is_below(e, other) for other in excluding)]


def _problems(element: Element, elements: dict[str, Element]) -> list[tuple[str, str, str]]:
    out = []
    if element.kind not in KINDS:
        return [(element.id, "kind", f"unknown kind {element.kind!r}; use one of: "
                 f"{', '.join(KINDS)}")]
    allowed = PARENT_KINDS[element.kind]
    if not allowed:
        if element.parent is not None:
            out.append((element.id, "parent", "a substation has no parent"))
    elif element.parent is None:
        out.append((element.id, "parent", f"a {element.kind} needs a parent "
                    f"({' or '.join(allowed)})"))
    elif element.parent not in elements:
        out.append((element.id, "parent", f"unknown parent {element.parent!r}"))
    else:
        parent = elements[element.parent]
        if parent.kind not in allowed:
            out.append((element.id, "parent", f"a {element.kind} cannot hang from "
                        f"{parent.kind} {parent.id!r} (only from {' or '.join(allowed)})"))
        elif parent.normally_open:
            out.append((element.id, "parent", f"{parent.id!r} is a normally-open point: "
                        "nothing is fed through it"))
    if element.normally_open and element.kind not in PROTECTIVE:
        out.append((element.id, "normally_open", "only a switching device can be open"))
    if element.point_kind is not None and (element.kind != "service_point"
                                           or element.point_kind not in POINT_KINDS):
        out.append((element.id, "point_kind", f"a service point is one of {POINT_KINDS}"))
    if element.customers < 0 or (element.customers and element.kind != "service_point"):
        out.append((element.id, "customers", "customers are counted on service points, ≥ 0"))
    for name, value, limit in (("latitude", element.latitude, 90),
                               ("longitude", element.longitude, 180)):
        if value is not None and not -limit <= value <= limit:
            out.append((element.id, name, f"{value} is outside ±{limit}"))
    return out
