"""A real OMS network from the networks shipped with pandapower (DESIGN.md §4 ``topology``).

``mv_oberrhein`` is a 20 kV network in the Upper Rhine valley with real coordinates; it is
mapped onto the OMS hierarchy substation → feeder → protective devices → transformers →
service points as follows.

- **Substations**: one per HV/MV transformer, at its MV bus (``SUB-1``, ``SUB-2`` in the order
  of the transformer index).
- **Feeders**: one per line leaving a substation's MV bus (``FDR-<line>``); the circuit
  breaker on that line becomes a ``breaker`` directly under the feeder (``CB-<line>``).
- **Radial walk**: lines carrying an open switch are the normally-open tie points; without them
  the network must be a forest reaching every MV bus from exactly one substation, else the
  import fails naming the bus. The closed MV line switches are load-break switches, not
  protection, so they are not devices.
- **Protection** (North-American practice, so an OMS has something to locate):
  the *trunk* of a feeder runs from its head, at every branch point into the child with the
  most customers downstream (ties: the lower line index). One ``recloser`` (``REC-<line>``)
  sits on the trunk line whose downstream customers are nearest half the feeder's. At every
  branch point each other branch with customers gets a device on its first line: a
  ``sectionalizer`` (``SEC-<line>``) when it serves at least a tenth of the feeder's
  customers and the device above can reclose or count (breaker, recloser, sectionalizer),
  else a ``fuse`` (``FUS-<line>``). The heaviest branch never gets one, so every device has a
  transformer directly below it and no device covers the same customers as its only child.
  Lines without a device pass their parent's device on.
- **Tie points**: each open switch becomes a ``switch`` (``SW-<switch>``) with
  ``normally_open`` true, at the bus it is mounted on, hanging from the device feeding that bus.
- **Transformers**: each load (an MV/LV station) becomes ``TX-<load>`` at its bus, under the
  device feeding the bus.
- **Positions**: a device sits at the upstream bus of its line (the tap), a tie switch at its
  bus; feeder and breaker at their substation. ``geometry`` is the path of line coordinates
  ``[[lon, lat], …]`` from the parent's position to the element's, both ends included; None
  where the element sits at its parent's position (feeder, breaker).
- **Service points**: beneath the ``lv_beneath`` transformers nearest to a low-voltage
  transformer of ``lv_schutterwald`` (pairs taken nearest first, each used once; that network
  names its transformers after the mv_oberrhein bus they hang from, and the nearest 12 pairs
  are 4–40 m apart), the household loads of that LV transformer's radial tree become meters of
  one customer each, at their real coordinates (``MTR-LV-<load>``). Every other transformer
  gets round(p_mw × 200) synthesized customers (0.25 MW → 50), each a meter
  (``MTR-<load>-<n>``) placed uniformly in the disc of 150 m around the transformer. About a
  third of all customers also have an ONU (``ONU-…``, customers 0, same ``customer_id`` and
  position); round(transformers / 25) transformers, drawn by seed, have their first meter
  marked critical (hospital, water works).

Everything random comes from ``random.Random`` seeded with ``seed`` and the element's id, so a
document is reproducible across processes and machines, and one transformer's draw does
not shift another's.
"""

from __future__ import annotations

import json
import logging
import math
import random
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opslens.domain.geo import haversine_m
from opslens.errors import InvalidInput

__all__ = ["NETWORKS", "document", "from_networks", "quiet_pandapower"]

NETWORKS = ("mv_oberrhein",)
LV_TRANSFORMERS = 14  # in lv_schutterwald: how many transformers can get a real LV network
CUSTOMERS_PER_MW = 200
JITTER_M = 150.0
ONU_SHARE = 1 / 3
CRITICAL_ONE_IN = 25
SECTIONALIZER_SHARE = 0.1  # of the feeder's customers
METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)
DIGITS = 7  # ~1 cm: more is noise, fewer would move elements off their lines

Point = tuple[float, float]  # (lon, lat), GeoJSON order


def document(name: str = "mv_oberrhein", lv_beneath: int = 3, seed: int = 0) -> dict[str, Any]:
    """The OMS topology document of the pandapower network ``name``.

    Parameters
    ----------
    name
        The medium-voltage network; only ``mv_oberrhein`` (see :data:`NETWORKS`).
    lv_beneath
        How many of its transformers get the real low-voltage networks of
        ``lv_schutterwald`` beneath them (0–14); the others get synthesized customers.
    seed
        Seeds the synthesized positions, ONUs and critical customers.

    Returns
    -------
    dict
        ``{"source", "timezone", "substations", "feeders", "devices", "transformers",
        "service_points"}`` as the ``topology`` record kind takes it (module docstring).
    """
    if name not in NETWORKS:
        raise InvalidInput(f"unknown pandapower network {name!r}; use one of: "
                           f"{', '.join(NETWORKS)}", [{"field": "name", "reason": "unknown"}])
    _check_lv_beneath(lv_beneath, LV_TRANSFORMERS)
    with quiet_pandapower():
        import pandapower.networks as pn

        mv = pn.mv_oberrhein()
        lv = pn.lv_schutterwald() if lv_beneath else None
    return from_networks(mv, lv, lv_beneath=lv_beneath, seed=seed, name=name)


def from_networks(mv: Any, lv: Any = None, *, lv_beneath: int = 0, seed: int = 0,
                  name: str = "mv_oberrhein") -> dict[str, Any]:
    """The topology document of already loaded pandapower networks (see :func:`document`).

    ``mv`` is the medium-voltage ``pandapowerNet``; ``lv`` (needed when ``lv_beneath`` > 0) the
    low-voltage one whose transformers' radial trees are put beneath ``mv``'s transformers.
    Raises InvalidInput when ``mv`` is not radial without its open switches or leaves a bus
    unreached.
    """
    _check_lv_beneath(lv_beneath, 0 if lv is None else len(lv.trafo))
    grid = _Grid(mv)
    lv_loads = _lv_beneath(grid, mv, lv, lv_beneath)
    points, customers = _service_points(grid, mv, lv_loads, seed)
    grid.place_protection(customers)
    source = f"pandapower {name}"
    if lv_beneath:
        source += f" (+ lv_schutterwald beneath {lv_beneath} transformers)"
    return {"source": source, "timezone": "Europe/Berlin",
            "substations": grid.substations, "feeders": grid.feeders,
            "devices": grid.devices, "transformers": grid.transformers(),
            "service_points": points}


def _check_lv_beneath(lv_beneath: int, most: int) -> None:
    if isinstance(lv_beneath, bool) or not isinstance(lv_beneath, int) or not (
            0 <= lv_beneath <= most):
        raise InvalidInput(f"lv_beneath must be a whole number from 0 to {most} (the "
                           f"low-voltage networks available), not {lv_beneath!r}",
                           [{"field": "lv_beneath", "reason": f"not in 0..{most}"}])


@contextmanager
def quiet_pandapower() -> Iterator[None]:
    """Silence pandapower's "numba cannot be imported" notice (its power flow runs once, on
    load, where speed does not matter) and the deprecation notices its own stored networks
    raise: neither is anything a caller can act on."""
    logger = logging.getLogger("pandapower")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*numba.*")
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="pandapower")
            yield
    finally:
        logger.setLevel(level)


def _open_lines(net: Any) -> set[int]:
    """Lines carrying an open switch: no current flows through them."""
    switches = net.switch
    return {int(e) for e in switches.element[(switches.et == "l") & ~switches.closed]}


def _point(geo: Any) -> Any:
    """The coordinates of a GeoJSON geometry that pandapower keeps as text or as a dict."""
    return (json.loads(geo) if isinstance(geo, str) else geo)["coordinates"]


def _rounded(point: Point) -> list[float]:
    return [round(point[0], DIGITS), round(point[1], DIGITS)]


@dataclass
class _Grid:
    """The radial walk of a medium-voltage network and the OMS elements it yields."""

    net: Any
    pos: dict[int, Point] = field(default_factory=dict)
    lines: dict[int, tuple[int, int, list[Point]]] = field(default_factory=dict)  # from, to, geo
    up: dict[int, tuple[int, int]] = field(default_factory=dict)  # bus -> (upstream bus, line)
    down: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # bus -> [(line, bus)]
    feeder_of: dict[int, str] = field(default_factory=dict)  # head line -> feeder id
    substations: list[dict[str, Any]] = field(default_factory=list)
    feeders: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    fed_by: dict[int, tuple[str, int]] = field(default_factory=dict)  # bus -> (device, its bus)

    def __post_init__(self) -> None:
        net = self.net
        self.pos = {int(b): tuple(_point(g)) for b, g in net.bus.geo.items()}
        open_lines = _open_lines(net)
        neighbours: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for line, start, end, geo, in_service in zip(
                net.line.index, net.line.from_bus, net.line.to_bus, net.line.geo,
                net.line.in_service, strict=True):
            line, start, end = int(line), int(start), int(end)
            self.lines[line] = (start, end, [tuple(c) for c in _point(geo)])
            if in_service and line not in open_lines:
                neighbours[start].append((line, end))
                neighbours[end].append((line, start))
        hv_buses = set()
        for number, (_, trafo) in enumerate(net.trafo.sort_index().iterrows(), start=1):
            self._substation(number, trafo, sorted(neighbours[int(trafo.lv_bus)]), neighbours)
            hv_buses.add(int(trafo.hv_bus))
        unreached = sorted(set(self.pos) - set(self.up) - hv_buses
                           - {int(t.lv_bus) for _, t in net.trafo.iterrows()})
        if unreached:
            raise InvalidInput(f"bus {unreached[0]} is reached from no substation; connect it "
                               "or take it out of service",
                               [{"field": f"bus.{b}", "reason": "unreached"} for b in unreached])

    def _substation(self, number: int, trafo: Any, heads: list[tuple[int, int]],
                    neighbours: dict[int, list[tuple[int, int]]]) -> None:
        bus = int(trafo.lv_bus)
        sub_id = f"SUB-{number}"
        lon, lat = _rounded(self.pos[bus])
        self.substations.append({"id": sub_id, "name": f"Substation {number} ({trafo['name']})",
                                 "latitude": lat, "longitude": lon})
        for line, first in heads:
            feeder_id = f"FDR-{line}"
            self.feeder_of[line] = feeder_id
            self.feeders.append({"id": feeder_id, "substation_id": sub_id,
                                 "name": f"Feeder {self.net.line.at[line, 'name']} from "
                                         f"substation {number}",
                                 "latitude": lat, "longitude": lon, "geometry": None})
            self._walk(bus, line, first, neighbours)

    def _walk(self, root: int, line: int, first: int,
              neighbours: dict[int, list[tuple[int, int]]]) -> None:
        """Depth-first from the feeder head; a bus met twice closes a loop."""
        stack = [(root, line, first)]
        while stack:
            parent, line, bus = stack.pop()
            if bus in self.up:
                raise InvalidInput(
                    f"bus {bus} is fed twice (again by line {line}): the network is not radial "
                    "without its open switches; open one switch of the loop",
                    [{"field": f"line.{line}", "reason": "closes a loop"}])
            self.up[bus] = (parent, line)
            self.down.setdefault(parent, []).append((line, bus))
            stack.extend((bus, nxt, other) for nxt, other in neighbours[bus] if nxt != line)

    def path(self, start: int, end: int) -> list[list[float]] | None:
        """Line coordinates from bus ``start`` down to bus ``end``, both ends included."""
        if start == end:
            return None
        steps = []  # (line, the bus it feeds), upwards
        bus = end
        while bus != start:
            steps.append((self.up[bus][1], bus))
            bus = self.up[bus][0]
        points: list[Point] = [self.pos[start]]
        for line, fed in reversed(steps):
            _, to_bus, coords = self.lines[line]
            points += coords if to_bus == fed else coords[::-1]  # drawn towards the fed bus
        points.append(self.pos[end])
        rounded = [_rounded(p) for p in points]
        return [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]

    def place_protection(self, customers: dict[int, int]) -> None:
        """Breakers, the trunk recloser, lateral fuses and sectionalizers, tie switches."""
        at_bus: dict[int, int] = defaultdict(int)
        for load, bus in self.net.load.bus.items():
            at_bus[int(bus)] += customers[int(load)]
        below = dict(at_bus)
        for bus in reversed(list(self.up)):  # children were walked after their parents
            parent = self.up[bus][0]
            below[parent] = below.get(parent, 0) + below.get(bus, 0)
        heaviest = {bus: max(kids, key=lambda k: (below.get(k[1], 0), -k[0]))[0]
                    for bus, kids in self.down.items()}
        for line, feeder_id in self.feeder_of.items():
            root, first = next((p, b) for b, (p, ln) in self.up.items() if ln == line)
            self._feeder(feeder_id, line, root, first, below, heaviest)
        switches = self.net.switch
        ties = switches[(switches.et == "l") & ~switches.closed].sort_index()
        for switch, row in ties.iterrows():
            self._tie(int(switch), row)

    def _feeder(self, feeder_id: str, head: int, root: int, first: int,
                below: dict[int, int], heaviest: dict[int, int]) -> None:
        """The breaker at the head, then down the feeder: the recloser on the trunk and a
        device on every lateral (module docstring)."""
        total = below.get(first, 0)
        # The trunk line nearest half the load; one that leaves the breaker no customer of its
        # own would make the two indistinguishable.
        recloser, bus, best = None, first, math.inf
        while bus in heaviest:
            line = heaviest[bus]
            bus = next(b for ln, b in self.down[bus] if ln == line)
            served = below.get(bus, 0)
            if served < total and abs(served - total / 2) < best:
                recloser, best = line, abs(served - total / 2)
        self._device(f"CB-{head}", "breaker", feeder_id, root, root,
                     f"Feeder breaker on {self.net.line.at[head, 'name']}")
        stack = [(first, f"CB-{head}", "breaker", root)]
        while stack:
            bus, device, kind, device_bus = stack.pop()
            self.fed_by[bus] = (device, device_bus)
            for line, child in self.down.get(bus, []):
                served = below.get(child, 0)
                if line == recloser:
                    new = ("REC", "recloser")
                elif served and line != heaviest[bus]:
                    large = served >= SECTIONALIZER_SHARE * total and kind != "fuse"
                    new = ("SEC", "sectionalizer") if large else ("FUS", "fuse")
                else:
                    stack.append((child, device, kind, device_bus))
                    continue
                new_id = f"{new[0]}-{line}"
                self._device(new_id, new[1], device, device_bus, bus,
                             f"{new[1].capitalize()} on {self.net.line.at[line, 'name']}")
                stack.append((child, new_id, new[1], bus))

    def _device(self, device_id: str, kind: str, parent: str, parent_bus: int, bus: int,
                name: str, normally_open: bool = False) -> None:
        lon, lat = _rounded(self.pos[bus])
        self.devices.append({"id": device_id, "type": kind, "parent_id": parent,
                             "normally_open": normally_open, "name": name,
                             "latitude": lat, "longitude": lon,
                             "geometry": self.path(parent_bus, bus)})

    def _tie(self, switch: int, row: Any) -> None:
        start, end, _ = self.lines[int(row.element)]
        bus = int(row.bus)
        if bus not in self.fed_by:  # mounted at a substation: hang it from the far end
            bus = end if bus == start else start
        device, device_bus = self.fed_by[bus]
        self._device(f"SW-{switch}", "switch", device, device_bus, bus,
                     f"Tie {row['name']} on {self.net.line.at[int(row.element), 'name']}",
                     normally_open=True)

    def transformers(self) -> list[dict[str, Any]]:
        out = []
        loads = self.net.load.sort_index()
        for load, bus, p_mw in zip(loads.index, loads.bus, loads.p_mw, strict=True):
            device, device_bus = self.fed_by[int(bus)]
            lon, lat = _rounded(self.pos[int(bus)])
            out.append({"id": f"TX-{load}", "parent_id": device,
                        "name": f"MV/LV station {load} ({p_mw:g} MW)",
                        "latitude": lat, "longitude": lon,
                        "geometry": self.path(device_bus, int(bus))})
        return out


def _lv_beneath(grid: _Grid, mv: Any, lv: Any, count: int) -> dict[int, list[tuple[int, Point]]]:
    """MV load index -> the LV loads (index, position) of the LV network put beneath it."""
    if not count:
        return {}
    open_lines = _open_lines(lv)
    neighbours: dict[int, list[int]] = defaultdict(list)
    for line, start, end, in_service in zip(lv.line.index, lv.line.from_bus, lv.line.to_bus,
                                            lv.line.in_service, strict=True):
        if in_service and line not in open_lines:
            neighbours[int(start)].append(int(end))
            neighbours[int(end)].append(int(start))
    lv_pos = {int(b): tuple(_point(g)) for b, g in lv.bus.geo.items()}
    pairs = sorted(
        (haversine_m(lv_pos[int(lv_bus)][1], lv_pos[int(lv_bus)][0],
                     grid.pos[int(bus)][1], grid.pos[int(bus)][0]), int(trafo), int(load))
        for trafo, lv_bus in lv.trafo.lv_bus.items() for load, bus in mv.load.bus.items())
    chosen: dict[int, int] = {}  # MV load -> LV transformer
    for _, trafo, load in pairs:
        if len(chosen) == count:
            break
        if load not in chosen and trafo not in chosen.values():
            chosen[load] = trafo
    loads_at: dict[int, list[int]] = defaultdict(list)
    for load, bus in lv.load.bus.items():
        loads_at[int(bus)].append(int(load))
    out = {}
    for load, trafo in chosen.items():
        tree, stack = set(), [int(lv.trafo.at[trafo, "lv_bus"])]
        while stack:
            bus = stack.pop()
            if bus not in tree:
                tree.add(bus)
                stack.extend(neighbours[bus])
        out[load] = sorted((lv_load, lv_pos[bus]) for bus in tree for lv_load in loads_at[bus])
    return out


def _service_points(grid: _Grid, mv: Any, lv_loads: dict[int, list[tuple[int, Point]]],
                    seed: int) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """Meters and ONUs of every transformer, and customers per MV load."""
    loads = sorted(int(i) for i in mv.load.index)
    critical = set(random.Random(f"{seed}:critical").sample(
        loads, max(1, round(len(loads) / CRITICAL_ONE_IN))))
    points: list[dict[str, Any]] = []
    customers: dict[int, int] = {}
    for load in loads:
        rng = random.Random(f"{seed}:TX-{load}")
        if load in lv_loads:
            premises = [(f"LV-{i}", p) for i, p in lv_loads[load]]
        else:
            centre = grid.pos[int(mv.load.at[load, "bus"])]
            count = round(float(mv.load.at[load, "p_mw"]) * CUSTOMERS_PER_MW)
            premises = [(f"{load}-{n:03d}", _jitter(centre, rng)) for n in range(1, count + 1)]
        customers[load] = len(premises)
        for n, (suffix, where) in enumerate(premises):
            lon, lat = _rounded(where)
            meter = {"id": f"MTR-{suffix}", "transformer_id": f"TX-{load}", "kind": "meter",
                     "customer_id": f"CUS-{suffix}", "customers": 1,
                     "critical": load in critical and n == 0,
                     "latitude": lat, "longitude": lon}
            points.append(meter)
            if rng.random() < ONU_SHARE:
                points.append({**meter, "id": f"ONU-{suffix}", "kind": "onu", "customers": 0,
                               "critical": False})
    return points, customers


def _jitter(centre: Point, rng: random.Random) -> Point:
    """A point uniformly distributed in the disc of radius JITTER_M around ``centre``."""
    radius = JITTER_M * math.sqrt(rng.random())
    angle = 2 * math.pi * rng.random()
    lon, lat = centre
    return (lon + radius * math.sin(angle) / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
            lat + radius * math.cos(angle) / METRES_PER_DEGREE)
