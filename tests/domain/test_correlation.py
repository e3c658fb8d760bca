"""The correlation engine on a small hand-made feeder whose right answers are known.

    S1 ─ F1 ─ B1 ┬ T0 (12 meters)
                 └ R1 ┬ FU1 ┬ T1 (12)            F2 ─ B2 ─ T6 (12)
                      │     └ T2 (12)
                      ├ FU2 ┬ T3 (12)
                      │     └ T4 (2, small)
                      └ T5 (12)

Transformers sit 300 m apart along a line of latitude; meters on their transformer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.correlation import Correlator
from opslens.domain.outages import Event, Settings
from opslens.domain.topology import Element, Network
from opslens.errors import InvalidInput

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LAT, LON = 48.4, 7.8
METRE_LON = 1 / (111_320 * 0.6639)  # degrees of longitude per metre at 48.4°N
TRANSFORMERS = {"T0": ("B1", 12), "T1": ("FU1", 12), "T2": ("FU1", 12), "T3": ("FU2", 12),
                "T4": ("FU2", 2), "T5": ("R1", 12), "T6": ("B2", 12)}


def lon_at(metres: float) -> float:
    return LON + metres * METRE_LON


def network() -> Network:
    elements = [
        Element("S1", "substation", None, LAT, LON),
        Element("F1", "feeder", "S1", LAT, LON), Element("F2", "feeder", "S1", LAT, LON),
        Element("B1", "breaker", "F1", LAT, LON), Element("B2", "breaker", "F2", LAT, LON),
        Element("R1", "recloser", "B1", LAT, lon_at(300)),
        Element("FU1", "fuse", "R1", LAT, lon_at(600)),
        Element("FU2", "fuse", "R1", LAT, lon_at(1200)),
    ]
    for i, (tid, (parent, meters)) in enumerate(TRANSFORMERS.items()):
        position = lon_at(300 * i) if tid != "T6" else lon_at(-5000)
        elements.append(Element(tid, "transformer", parent, LAT, position))
        for m in range(meters):
            elements.append(Element(f"{tid}-M{m}", "service_point", tid, LAT, position,
                                    customers=1, point_kind="meter", customer_id=f"C{tid}{m}",
                                    critical=(tid == "T6" and m == 0)))
    return Network(elements)


NET = network()


def gasp(point: str, seconds: float = 0, source: str = "ami", kind: str = "power_loss") -> Event:
    return Event(f"{kind}:{point}:{seconds}", source, kind, T0 + timedelta(seconds=seconds),
                 point)


def meters(transformer: str, count: int | None = None) -> list[str]:
    total = TRANSFORMERS[transformer][1]
    return [f"{transformer}-M{m}" for m in range(total if count is None else min(count, total))]


def open_outages(engine: Correlator) -> dict[str, str]:
    return {o.id: o.device_id for o in engine.outages.values() if o.is_open}


def test_one_last_gasp_places_an_outage_at_its_transformer():
    engine = Correlator(NET)
    changes = engine.process([gasp("T1-M0")])
    (outage,) = engine.outages.values()
    assert (outage.device_id, outage.status, outage.customers) == ("T1", "predicted", 12)
    assert outage.confidence == pytest.approx(0.8)
    assert changes.assignments == {"power_loss:T1-M0:0": (outage.id, False)}
    assert changes.log[0][1] == "created"


def test_reports_from_two_laterals_of_a_fuse_roll_up_to_the_fuse():
    engine = Correlator(NET)
    engine.process([gasp("T1-M0")])
    engine.process([gasp("T2-M3", 5)])
    assert list(open_outages(engine).values()) == ["FU1"]
    (outage,) = [o for o in engine.outages.values() if o.is_open]
    assert outage.id == "OUT-000001"  # the first outage keeps its id and moves up
    assert outage.customers == 24 and len(outage.events) == 2
    assert outage.confidence == pytest.approx(1 - 0.2 * 0.2)


def test_a_recloser_fault_rolls_up_to_the_recloser_not_past_a_silent_transformer():
    engine = Correlator(NET)
    events = [gasp(m, i) for i, m in enumerate(
        meters("T1", 8) + meters("T2", 8) + meters("T3", 8) + meters("T4", 1) + meters("T5", 8))]
    engine.process(events)
    assert list(open_outages(engine).values()) == ["R1"]
    (outage,) = [o for o in engine.outages.values() if o.is_open]
    assert outage.customers == 12 * 4 + 2
    assert len(outage.events) == len(events)  # transformers' outages merged into it
    assert all(o.merged_into == outage.id for o in engine.outages.values() if o is not outage)


def test_sibling_lateral_faults_stay_two_outages_while_a_large_transformer_is_silent():
    engine = Correlator(NET)
    engine.process([gasp(m, i) for i, m in enumerate(
        meters("T1", 6) + meters("T2", 6) + meters("T3", 6) + meters("T4"))])
    assert sorted(open_outages(engine).values()) == ["FU1", "FU2"]


def test_one_batch_and_event_by_event_agree():
    events = [gasp(m, i) for i, m in enumerate(meters("T3", 5) + meters("T4", 2))]
    batch, single = Correlator(NET), Correlator(NET)
    batch.process(events)
    for event in events:
        single.process([event])
    assert list(open_outages(batch).values()) == list(open_outages(single).values()) == ["FU2"]


def test_scada_trip_places_a_confirmed_outage_and_absorbs_those_below():
    engine = Correlator(NET)
    engine.process([gasp("T1-M0"), gasp("T5-M0", 1)])
    assert len(open_outages(engine)) == 2
    changes = engine.process([Event("trip", "scada", "breaker_open", T0 + timedelta(seconds=2),
                                    "B1")])
    assert list(open_outages(engine).values()) == ["B1"]
    (outage,) = [o for o in engine.outages.values() if o.is_open]
    assert outage.status == "confirmed" and outage.confidence == 1.0
    assert outage.customers == 12 * 5 + 2
    assert set(changes.moved.values()) == {outage.id}
    merged = [o for o in engine.outages.values() if o.merged_into]
    assert [o.status for o in merged] == ["cancelled"]


def test_a_call_with_only_a_location_joins_the_nearest_open_outage_within_the_radius():
    engine = Correlator(NET)
    engine.process([gasp("T1-M0"), gasp("T1-M1", 1)])
    near = Event("call-1", "call_center", "ticket", T0 + timedelta(minutes=10),
                 latitude=LAT, longitude=lon_at(300 + 800))
    far = Event("call-2", "call_center", "ticket", T0 + timedelta(minutes=11),
                latitude=LAT, longitude=lon_at(300 + 1600))
    late = Event("call-3", "call_center", "ticket", T0 + timedelta(minutes=50),
                 latitude=LAT, longitude=lon_at(300))
    changes = engine.process([near, far, late])
    first = changes.assignments["call-1"][0]
    assert engine.outages[first].device_id == "T1"
    second = engine.outages[changes.assignments["call-2"][0]]
    assert second.device_id is None and second.customers == 1
    # 50 minutes after: the T1 outage was last active 40 minutes before: outside the window,
    # but the located outage of call-2 (39 min before) too: a new one
    assert changes.assignments["call-3"][0] not in (first, second.id)


def test_storm_mode_switches_on_and_off_with_hysteresis_and_suppresses_repeats():
    engine = Correlator(NET, Settings(storm_on_per_hour=10, storm_off_per_hour=5))
    changes = engine.process([gasp(m, i) for i, m in enumerate(meters("T1", 10))])
    assert [s[0] for s in changes.storm] == ["on"] and engine.storm_since is not None
    repeat = engine.process([gasp("T1-M0", 30)])
    assert list(repeat.assignments.values()) == [("OUT-000001", True)]
    assert engine.tick(T0 + timedelta(minutes=59)).storm == []  # still 11 in the hour
    off = engine.tick(T0 + timedelta(minutes=60, seconds=5))  # 5 left in the hour: on
    assert off.storm == []
    off = engine.tick(T0 + timedelta(minutes=60, seconds=6))  # 4 left: below 5
    assert [s[0] for s in off.storm] == ["off"] and engine.storm_since is None
    late = Correlator(NET, Settings(storm_on_per_hour=10, storm_off_per_hour=5))
    late.process([gasp(m, i) for i, m in enumerate(meters("T1", 10))])
    (switch,) = late.tick(T0 + timedelta(hours=5)).storm  # looked at hours later:
    assert switch[:2] == ("off", T0 + timedelta(hours=1, seconds=5))  # ended back then


def test_restoration_after_settling_and_momentary_reclose():
    engine = Correlator(NET)
    engine.process([gasp(m, i) for i, m in enumerate(meters("T3", 4))])
    restores = [gasp(m, 120 + i, kind="power_restored") for i, m in enumerate(meters("T3", 4))]
    changes = engine.process(restores)
    (outage,) = engine.outages.values()
    assert outage.status == "restored" and outage.outage_type == "momentary"
    assert outage.restored_at == T0 + timedelta(seconds=123)
    assert [entry[1] for entry in changes.log][-1] == "restored"
    again = engine.process([gasp("T3-M0", 200)])  # 77 s later: the same momentary event
    assert again.assignments == {"power_loss:T3-M0:200": (outage.id, False)}
    assert outage.is_open and outage.interruptions == 2


def test_partial_restoration_settles_then_leaves_a_nested_outage():
    engine = Correlator(NET)
    engine.process([gasp(m, i) for i, m in enumerate(meters("T1", 6) + meters("T2", 6))])
    (parent,) = engine.outages.values()
    assert parent.device_id == "FU1"
    engine.process([gasp(m, 1800 + i, kind="power_restored") for i, m in enumerate(meters("T1",
                                                                                        6))])
    assert parent.is_open  # not settled yet: restorations may still be arriving
    changes = engine.tick(T0 + timedelta(seconds=1805 + 120))
    assert parent.status == "restored" and parent.outage_type == "sustained"
    (child,) = [o for o in engine.outages.values() if o.parent_id == parent.id]
    assert (child.device_id, child.is_open, child.customers) == ("T2", True, 12)
    assert parent.customers == 12 and "nested" in [entry[1] for entry in changes.log]


def test_operator_actions_and_their_errors():
    engine = Correlator(NET)
    engine.process([gasp("T1-M0"), gasp("T6-M0", 1)])
    first, second = sorted(engine.outages)
    assert engine.outages[second].severity == "critical"  # a critical customer is off
    engine.confirm(first, T0 + timedelta(minutes=1))
    assert engine.outages[first].status == "confirmed"
    engine.cancel(second, T0 + timedelta(minutes=2))
    assert engine.outages[second].status == "cancelled"
    with pytest.raises(InvalidInput, match="only an open outage"):
        engine.restore(second, T0 + timedelta(minutes=3))
    with pytest.raises(InvalidInput, match="before the outage began"):
        engine.restore(first, T0 - timedelta(minutes=3))
    engine.restore(first, T0 + timedelta(minutes=30))
    assert engine.outages[first].outage_type == "sustained"
    # after the false alarm, T6's meter counts as on again: a new report opens a new outage
    engine.process([gasp("T6-M0", 4000)])
    assert len(open_outages(engine)) == 1


def test_merge_places_the_outage_at_the_lowest_common_device():
    engine = Correlator(NET)
    engine.process([gasp("T1-M0"), gasp("T3-M0", 1)])
    first, second = sorted(engine.outages)
    engine.merge(first, [second], T0 + timedelta(minutes=5))
    assert open_outages(engine) == {first: "R1"}
    assert engine.outages[second].merged_into == first


SINGLE_FAULTS = ["T0", "T1", "T2", "T3", "T5", "T6", "FU1", "FU2", "R1", "B1"]


@settings(max_examples=60, deadline=None)
@given(fault=st.sampled_from(SINGLE_FAULTS), data=st.data())
def test_property_any_single_fault_with_most_meters_reporting_is_located_exactly(fault, data):
    """Whichever device fails, when at least 60 % of the meters below it report (in any
    order, spread over a minute), the engine predicts exactly that device, and every report
    lands in the one outage."""
    below = [e for e in NET.below(fault) if NET.elements[e].kind == "service_point"]
    by_transformer: dict[str, list[str]] = {}
    for point in below:
        by_transformer.setdefault(NET.elements[point].parent, []).append(point)
    reporting = []
    for points in by_transformer.values():
        count = data.draw(st.integers(max(1, -(-len(points) * 6 // 10)), len(points)))
        reporting += points[:count]
    order = data.draw(st.permutations(reporting))
    batch = data.draw(st.integers(1, 20))
    engine = Correlator(NET)
    events = [gasp(point, i * 60 / len(order)) for i, point in enumerate(order)]
    assigned = {}
    for start in range(0, len(events), batch):
        assigned.update(engine.process(events[start:start + batch]).assignments)
    assert list(open_outages(engine).values()) == [fault]
    (outage,) = [o for o in engine.outages.values() if o.is_open]
    survivors = {engine.outages[oid].merged_into or oid for oid, _ in assigned.values()}
    assert survivors == {outage.id}


def test_split_places_each_part_at_its_own_lowest_device():
    engine = Correlator(NET)
    changes = engine.process([gasp(m, i) for i, m in enumerate(meters("T1", 3) + meters("T2",
                                                                                      3))])
    (outage,) = engine.outages.values()
    assert outage.device_id == "FU1"
    t2_events = [e for e, (oid, _) in changes.assignments.items() if ":T2-" in e]
    engine.split(outage.id, t2_events, T0 + timedelta(minutes=2))
    assert sorted(open_outages(engine).values()) == ["T1", "T2"]
    child = next(o for o in engine.outages.values() if o.id != outage.id)
    assert sorted(child.events) == sorted(t2_events) and child.source_events["ami"] == 3
    assert outage.customers == 12 and child.customers == 12
    with pytest.raises(InvalidInput, match="not in outage"):
        engine.split(outage.id, ["nope"], T0)
    with pytest.raises(InvalidInput, match="some, but not all"):
        engine.split(outage.id, list(outage.events), T0)


def test_an_older_fault_below_a_new_device_outage_stays_open_nested_in_it():
    """T1 failed at noon; ten minutes later the recloser trips (reports from everywhere
    below it but T1, whose meters are already dark): T1's outage stays its own, nested."""
    engine = Correlator(NET)
    engine.process([gasp(m, i) for i, m in enumerate(meters("T1", 8))])
    (old,) = engine.outages.values()
    wave = [m for t in ("T2", "T3", "T5") for m in meters(t, 8)] + meters("T4")
    engine.process([gasp(m, 600 + i * 0.1) for i, m in enumerate(wave)])
    assert sorted(open_outages(engine).values()) == ["R1", "T1"]
    recloser = next(o for o in engine.outages.values() if o.device_id == "R1")
    assert old.parent_id == recloser.id and old.is_open
    assert recloser.customers == 12 * 3 + 2  # T1's 12 are counted in their own outage
    # the recloser recloses: its customers come back, T1's stay off in their own outage
    engine.process([gasp(m, 1000 + i * 0.1, kind="power_restored") for i, m in enumerate(wave)])
    engine.tick(T0 + timedelta(seconds=1300))
    assert recloser.status == "restored" and recloser.outage_type == "sustained"
    assert open_outages(engine) == {old.id: "T1"}


def test_outages_that_began_together_merge_into_the_device_above():
    engine = Correlator(NET)
    engine.process([gasp(m, i) for i, m in enumerate(meters("T1", 4))])
    engine.process([gasp(m, 20 + i) for i, m in enumerate(meters("T2", 4))])  # 20 s later
    (outage,) = [o for o in engine.outages.values() if o.is_open]
    assert outage.device_id == "FU1" and outage.id == "OUT-000001"
    assert [o.merged_into for o in engine.outages.values() if o.id != outage.id] in ([], [None])


def test_a_scada_close_restores_at_its_instant_and_leaves_dark_transformers_nested():
    engine = Correlator(NET)
    engine.process([Event("trip", "scada", "breaker_open", T0, "B1")])
    everyone = [m for t in ("T0", "T1", "T2", "T3", "T4", "T5") for m in meters(t, 6)]
    engine.process([gasp(m, 1 + i * 0.01) for i, m in enumerate(everyone)])
    (outage,) = [o for o in engine.outages.values() if o.is_open]
    assert outage.device_id == "B1" and len(outage.events) == 1 + len(everyone)
    close = T0 + timedelta(minutes=40)
    engine.process([Event("close", "scada", "breaker_close", close, "B1")])
    back = [m for m in everyone if not m.startswith("T3-")]  # T3 has its own fault
    engine.process([gasp(m, 2401 + i * 0.01, kind="power_restored")
                    for i, m in enumerate(back)])
    assert outage.is_open  # waiting to see who is still off
    changes = engine.tick(close + timedelta(minutes=3))
    assert outage.status == "restored" and outage.restored_at == close
    (nested,) = [o for o in engine.outages.values() if o.parent_id == outage.id]
    assert (nested.device_id, nested.is_open, nested.customers) == ("T3", True, 12)
    assert sorted(changes.reassigned) == sorted(f"power_loss:{m}:{1 + i * 0.01}"
                                                for i, m in enumerate(everyone)
                                                if m.startswith("T3-"))


def test_a_point_off_again_after_coming_back_counts_as_off():
    engine = Correlator(NET)
    engine.process([Event("trip", "scada", "breaker_open", T0, "B2")])
    engine.process([gasp(m, 1) for m in meters("T6", 4)])
    engine.process([Event("close", "scada", "breaker_close", T0 + timedelta(seconds=60),
                          "B2")])
    engine.process([gasp(m, 61, kind="power_restored") for m in meters("T6", 4)])
    engine.process([gasp(m, 70) for m in meters("T6", 4)])  # off again, 9 s later
    engine.tick(T0 + timedelta(minutes=5))
    (breaker,) = [o for o in engine.outages.values() if o.device_id == "B2"]
    assert breaker.status == "restored" and breaker.outage_type == "momentary"
    (again,) = [o for o in engine.outages.values() if o.is_open]
    assert again.device_id == "T6" and again.parent_id == breaker.id
