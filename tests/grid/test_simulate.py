"""The storm simulator: deterministic from its seed, and every event consistent with its true
fault (place, time, share), on a synthetic town whose answers are known by construction."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslens.domain.geo import haversine_m
from opslens.domain.topology import Element, Network
from opslens.errors import InvalidInput
from opslens.grid.simulate import (
    Storm,
    StormConfig,
    fault_class,
    simulate,
    storm_from_json,
    storm_to_json,
)

START = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
METRES_PER_DEGREE = 111_195.0


def _at(origin: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    lat = origin[0] + north_m / METRES_PER_DEGREE
    return lat, origin[1] + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat)))


def town(meters: int = 4, onus: int = 2) -> Network:
    """Two substations 5.5 km apart, two feeders each (one east, one west). A feeder: head
    breaker CB → trunk transformer, recloser R → two fuses (two transformers each) and a
    sectionalizer (two transformers). Transformers 400 m apart along the feeder, ±300 m off
    it; each with ``meters`` meters (one customer each) within 40 m and ``onus`` ONUs sharing
    the first meters' customers (0 customers)."""
    elements: list[Element] = []
    for s in (1, 2):
        sub = (49.0 + 0.05 * (s - 1), 8.4)
        elements.append(Element(f"S{s}", "substation", None, *sub))
        for f, side in ((1, 1), (2, -1)):
            feeder = f"F{s}{f}"

            def put(eid: str, kind: str, parent: str, step: int, off: int = 0, *,
                    _side: int = side, _sub: tuple[float, float] = sub,
                    _into: list[Element] = elements) -> None:
                _into.append(Element(eid, kind, parent, *_at(_sub, _side * 400 * step, 300 * off)))

            put(feeder, "feeder", f"S{s}", 0)
            put(f"CB{s}{f}", "breaker", feeder, 0)
            put(f"R{s}{f}", "recloser", f"CB{s}{f}", 2)
            put(f"FU{s}{f}1", "fuse", f"R{s}{f}", 3, 1)
            put(f"FU{s}{f}2", "fuse", f"R{s}{f}", 3, -1)
            put(f"SEC{s}{f}", "sectionalizer", f"R{s}{f}", 5)
            transformers = [(f"T{s}{f}0", f"CB{s}{f}", 1, 0)] + [
                (f"T{s}{f}{k}{t}", parent, step + t - 1, off)
                for k, parent, step, off in ((1, f"FU{s}{f}1", 3, 1), (2, f"FU{s}{f}2", 3, -1),
                                             (3, f"SEC{s}{f}", 5, 0))
                for t in (1, 2)]
            for tx, parent, step, off in transformers:
                put(tx, "transformer", parent, step, off)
                here = (elements[-1].latitude, elements[-1].longitude)
                placed = [Element(f"M-{tx}-{n}", "service_point", tx,
                                  *_at(here, 40 * math.cos(2 * math.pi * n / meters),
                                       40 * math.sin(2 * math.pi * n / meters)),
                                  customers=1, point_kind="meter", customer_id=f"C-{tx}-{n}")
                          for n in range(meters)]
                elements += placed
                elements += [Element(f"O-{tx}-{n}", "service_point", tx, meter.latitude,
                                     meter.longitude, customers=0, point_kind="onu",
                                     customer_id=meter.customer_id)
                             for n, meter in enumerate(placed[:onus])]
    return Network(elements)


SMALL = StormConfig(faults=6, momentary_blips=2, false_reports=4)


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def check_storm(network: Network, storm: Storm) -> None:
    """Every invariant a storm must keep, whatever the seed and configuration."""
    faults = {f.id: f for f in storm.faults}
    ids = [e["id"] for e in storm.events]
    assert len(set(ids)) == len(ids) and set(storm.truth) == set(ids)
    received = [ts(e["received_at"]) for e in storm.events]
    assert received == sorted(received)
    sustained = [f.device_id for f in storm.faults if f.kind == "sustained"]
    blips = [f.device_id for f in storm.faults if f.kind == "momentary"]
    assert len(set(sustained + blips)) == len(sustained + blips)
    for group in (sustained, blips):  # none below another: the truth is unambiguous
        for a in group:
            assert not any(a != b and network.is_below(a, b) for b in group)
    for a in blips:  # a blip may be above a sustained fault, never at or below one
        assert not any(network.is_below(a, b) for b in sustained)
    bound_m = 4 * math.sqrt(2) * storm.config.call_noise_m + 1.0
    affected_anywhere = set().union(*storm.affected.values())
    loss_at: dict[tuple[str, str], datetime] = {}
    for event in storm.events:
        fault = faults.get(storm.truth[event["id"]])  # None: a false report
        occurred = ts(event["occurred_at"])
        assert ts(event["received_at"]) >= occurred
        assert occurred.utcoffset() is not None
        if event["source"] in ("ami", "onu"):
            point = network.elements[event["device_id"]]
            assert point.kind == "service_point"
            assert (point.point_kind == "onu") == (event["source"] == "onu")
            assert event["customer_id"] == point.customer_id
            if fault is None:
                assert event["device_id"] not in affected_anywhere
        if fault is None:
            continue
        assert occurred >= fault.started_at  # no event before its fault
        if event["source"] in ("ami", "onu"):
            assert event["device_id"] in storm.affected[fault.id]
            assert network.is_below(event["device_id"], fault.device_id)
            if event["kind"] == "power_loss":
                assert occurred <= fault.started_at + timedelta(
                    seconds=storm.config.clock_jitter_s)
                loss_at[(fault.id, event["device_id"])] = occurred
            else:
                assert occurred >= fault.stages[0].restored_at
        if event["source"] == "scada":
            assert event["device_id"] == fault.device_id
            assert fault_class(network, fault.device_id) == "feeder_head"
        if event["kind"] == "ticket":
            assert fault.kind == "sustained" and occurred < fault.restored_at
            if event["device_id"] is not None:
                assert event["device_id"] in storm.affected[fault.id]
            if event["latitude"] is not None:
                nearest = min(haversine_m(event["latitude"], event["longitude"],
                                          network.elements[p].latitude,
                                          network.elements[p].longitude)
                              for p in storm.affected[fault.id])
                assert nearest <= bound_m
    for event in storm.events:  # restorations after losses
        key = (storm.truth[event["id"]], event["device_id"])
        if event["kind"] == "power_restored" and key in loss_at:
            assert ts(event["occurred_at"]) > loss_at[key]
    for fault in storm.faults:
        assert fault.restored_at == fault.stages[-1].restored_at >= fault.started_at
        below = {e for e in network.below(fault.device_id)
                 if network.elements[e].kind == "service_point"}
        if fault.kind == "sustained":
            assert storm.affected[fault.id] == below
        else:  # points already off by an overlapping sustained fault below miss the blip
            already_off = set().union(*(
                storm.affected[f.id] for f in storm.faults if f.kind == "sustained"
                and network.is_below(f.device_id, fault.device_id)
                and f.started_at <= fault.restored_at and f.restored_at >= fault.started_at))
            assert storm.affected[fault.id] == below - already_off
        if fault.kind == "momentary":
            assert network.elements[fault.device_id].kind in ("recloser", "breaker")
            length = (fault.restored_at - fault.started_at).total_seconds()
            assert storm.config.blip_min_s <= length <= storm.config.blip_max_s
        else:
            assert fault.restored_at - fault.started_at >= timedelta(minutes=10)
            assert fault.started_at - storm.start <= timedelta(
                seconds=storm.config.fault_spread_s)


def test_a_storm_is_the_same_for_the_same_seed_and_differs_for_another():
    net = town()
    first, again = simulate(net, SMALL, 11, START), simulate(net, SMALL, 11, START)
    assert first == again
    other = simulate(net, SMALL, 12, START)
    assert [f.device_id for f in other.faults] != [f.device_id for f in first.faults]


def test_the_small_storm_has_what_was_asked():
    net = town()
    storm = simulate(net, SMALL, 3, START)
    check_storm(net, storm)
    kinds = Counter(f.kind for f in storm.faults)
    assert kinds == {"sustained": 6, "momentary": 2}
    # seed 3: the blip at CB12 reaches its whole feeder; the one at R21 misses the points
    # of the sustained fault below it, which are already off
    blips = {f.device_id: len(storm.affected[f.id]) for f in storm.faults
             if f.kind == "momentary"}
    assert blips == {"CB12": 42, "R21": 24}
    assert sum(v is None for v in storm.truth.values()) == 4  # false reports
    assert storm.start == START  # same instant, now in UTC
    assert all(e["occurred_at"].endswith("+00:00") for e in storm.events)
    assert [f.id for f in storm.faults][:2] == ["s3-f001", "s3-f002"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), two_stage=st.sampled_from([0.0, 0.5, 1.0]),
       faults=st.integers(0, 8))
def test_every_event_agrees_with_its_true_fault(seed, two_stage, faults):
    net = town()
    config = StormConfig(faults=faults, two_stage_share=two_stage, false_reports=5)
    check_storm(net, simulate(net, config, seed, START))


def test_two_stage_restoration_leaves_a_nested_part_off_longer():
    net = town()
    storm = simulate(net, StormConfig(faults=8, two_stage_share=1.0, momentary_blips=0,
                                      restore_share=1.0, onu_share=1.0), 5, START)
    check_storm(net, storm)
    nested = [f for f in storm.faults if len(f.stages) == 2]
    # every fault with a device or transformer below it gets a second stage
    assert {f.id for f in nested} == {f.id for f in storm.faults
                                      if network_has_part_below(net, f.device_id)}
    assert nested, "seed 5 draws at least one fault above a transformer"
    for fault in nested:
        first, second = fault.stages
        assert second.restored_at > first.restored_at and first.device_id == fault.device_id
        assert net.is_below(second.device_id, first.device_id)
        for event in storm.events:
            if storm.truth[event["id"]] == fault.id and event["kind"] == "power_restored":
                later = net.is_below(event["device_id"], second.device_id)
                stage = second if later else first
                assert stage.restored_at <= ts(event["occurred_at"]) <= (
                    stage.restored_at + timedelta(seconds=2))


def network_has_part_below(net: Network, device: str) -> bool:
    return any(net.elements[e].kind != "service_point" for e in net.below(device)[1:])


def test_counts_follow_the_shares_within_binomial_bounds():
    net = town(meters=30, onus=10)
    config = StormConfig(faults=10, momentary_blips=0, false_reports=0)
    storm = simulate(net, config, 2024, START)
    check_storm(net, storm)
    points = set().union(*storm.affected.values())
    meters = [p for p in points if net.elements[p].point_kind == "meter"]
    onus = [p for p in points if net.elements[p].point_kind == "onu"]
    customers = sum(net.elements[p].customers for p in points)
    counted = Counter((e["source"], e["kind"]) for e in storm.events)

    def within(count: int, trials: int, share: float) -> bool:  # 4 σ of a binomial
        return abs(count - trials * share) <= 4 * math.sqrt(trials * share * (1 - share)) + 1

    assert len(meters) > 200 and len(onus) > 60
    assert within(counted["ami", "power_loss"], len(meters), config.last_gasp_share)
    assert within(counted["ami", "power_restored"], len(meters), config.restore_share)
    assert within(counted["onu", "power_loss"], len(onus), config.onu_share)
    assert within(counted["call_center", "ticket"], customers, config.call_share)
    tickets = [e for e in storm.events if e["kind"] == "ticket"]
    with_meter = sum(e["device_id"] is not None for e in tickets)
    assert within(with_meter, len(tickets), config.call_meter_share)
    delays = [(ts(e["occurred_at"]) - next(f.started_at for f in storm.faults
                                           if f.id == storm.truth[e["id"]])).total_seconds()
              for e in tickets]
    mean = sum(delays) / len(delays)  # exponential: sd = mean, so 4 sd/√n around 480 s
    assert abs(mean - config.call_delay_mean_s) <= 4 * config.call_delay_mean_s / math.sqrt(
        len(delays))


def test_the_draw_favours_transformers_and_laterals_over_feeder_heads():
    net = town()
    drawn = Counter(fault_class(net, f.device_id)
                    for seed in range(30)
                    for f in simulate(net, StormConfig(faults=6, momentary_blips=0,
                                                       false_reports=0), seed, START).faults)
    total = sum(drawn.values())
    assert total == 180
    assert (drawn["transformer"] + drawn["fuse"]) / total >= 0.7
    assert drawn["feeder_head"] / total <= 0.1


def test_changing_false_reports_leaves_the_faults_as_they_were():
    net = town()
    few = simulate(net, SMALL, 9, START)
    many = simulate(net, StormConfig(faults=6, momentary_blips=2, false_reports=9), 9, START)
    assert few.faults == many.faults
    assert sum(v is None for v in many.truth.values()) == 9


def test_a_feeder_head_fault_trips_scada_once_each_way():
    net = town()
    config = StormConfig(faults=1, momentary_blips=0, false_reports=0,
                         kind_weights={"feeder_head": 1.0})
    storm = simulate(net, config, 1, START)
    (fault,) = storm.faults
    scada = [e for e in storm.events if e["source"] == "scada"]
    assert [e["kind"] for e in scada] == ["breaker_open", "breaker_close"]
    assert {e["device_id"] for e in scada} == {fault.device_id}
    assert ts(scada[0]["occurred_at"]) == fault.started_at
    assert ts(scada[1]["occurred_at"]) == fault.stages[0].restored_at
    assert len(storm.affected[fault.id]) == 7 * 6  # a whole feeder: 7 transformers × 6 points


def test_an_empty_storm_and_a_network_without_room():
    net = town()
    storm = simulate(net, StormConfig(faults=0, momentary_blips=0, false_reports=0), 0, START)
    assert storm.faults == () and storm.events == () and storm.truth == {}
    with pytest.raises(InvalidInput, match="room for only") as caught:
        simulate(net, StormConfig(faults=60), 0, START)
    assert caught.value.errors[0]["field"] == "faults"


@pytest.mark.parametrize(("change", "field"), [
    ({"last_gasp_share": 1.5}, "last_gasp_share"),
    ({"call_noise_m": -1.0}, "call_noise_m"),
    ({"faults": -2}, "faults"),
    ({"blip_min_s": 300.0}, "blip_min_s"),
    ({"kind_weights": {"substation": 1.0}}, "kind_weights.substation"),
])
def test_a_bad_configuration_names_the_field(change, field):
    with pytest.raises(InvalidInput) as caught:
        StormConfig(**change)
    assert caught.value.errors[0]["field"] == field


def test_naive_start_and_negative_seed_are_refused():
    with pytest.raises(InvalidInput, match="UTC offset"):
        simulate(town(), SMALL, 1, datetime(2025, 6, 1, 14))
    with pytest.raises(InvalidInput, match="seed"):
        simulate(town(), SMALL, -1, START)


def test_a_storm_survives_its_json_file():
    storm = simulate(town(), SMALL, 21, START)
    assert storm_from_json(storm_to_json(storm)) == storm
    assert storm_from_json(storm_to_json(storm)).start.tzinfo is not None


@pytest.mark.parametrize("text", ["not json", "[]", '{"format": "other"}',
                                  '{"format": "opslens-storm/1", "seed": 1}'])
def test_a_file_that_is_not_a_storm_is_refused(text):
    with pytest.raises(InvalidInput, match="not an opslens storm file"):
        storm_from_json(text)


def test_start_in_another_zone_is_the_same_instant():
    net = town()
    utc = simulate(net, SMALL, 4, START.astimezone(UTC))
    assert simulate(net, SMALL, 4, START) == utc
