"""The pandapower importer: mv_oberrhein (+ lv_schutterwald) as an OMS topology document that
loads into the radial Network, keeps every load and bus, and carries realistic protection."""

from __future__ import annotations

import copy
import itertools
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.geo import haversine_m
from opslens.domain.topology import Element, Network
from opslens.errors import InvalidInput
from opslens.grid.pandapower_network import document, from_networks, quiet_pandapower

# mv_oberrhein's buses span lon 7.744–7.938, lat 48.328–48.475; service points may sit up
# to 150 m (~0.002°) outside that.
LON, LAT = (7.74, 7.945), (48.325, 48.478)
# p_mw histogram of the 147 loads: 48 × 0.25, 51 × 0.40, 6 × 0.50, 42 × 0.63 MW, so
# 48·50 + 51·80 + 6·100 + 42·126 customers.
SYNTHESIZED = 12_372
# The three LV transformers of lv_schutterwald nearest to an mv_oberrhein station (4–5 m away):
# T_idx_118 at bus 118 (load 70), T_idx_35 at bus 35 (load 27), T_idx_80 at bus 80 (load 64),
# with 56, 177 and 140 households on their radial LV trees.
LV_BENEATH_3 = {"TX-70": 56, "TX-27": 177, "TX-64": 140}


@pytest.fixture(scope="module")
def nets():
    with quiet_pandapower():
        import pandapower.networks as pn

        return pn.mv_oberrhein(), pn.lv_schutterwald()


@pytest.fixture(scope="module")
def docs(nets):
    mv, lv = nets
    return {k: from_networks(mv, lv, lv_beneath=k, seed=0) for k in (0, 3)}


def elements(doc: dict) -> list[Element]:
    out = [Element(s["id"], "substation", None, s["latitude"], s["longitude"])
           for s in doc["substations"]]
    out += [Element(f["id"], "feeder", f["substation_id"], f["latitude"], f["longitude"])
            for f in doc["feeders"]]
    out += [Element(d["id"], d["type"], d["parent_id"], d["latitude"], d["longitude"],
                    normally_open=d["normally_open"]) for d in doc["devices"]]
    out += [Element(t["id"], "transformer", t["parent_id"], t["latitude"], t["longitude"])
            for t in doc["transformers"]]
    out += [Element(p["id"], "service_point", p["transformer_id"], p["latitude"], p["longitude"],
                    customers=p["customers"], critical=p["critical"], point_kind=p["kind"],
                    customer_id=p["customer_id"]) for p in doc["service_points"]]
    return out


def expected_customers(mv, doc) -> int:
    """The formula: round(p_mw × 200) per synthesized transformer, one per LV household."""
    lv_backed = {p["transformer_id"] for p in doc["service_points"]
                 if p["id"].startswith("MTR-LV-")}
    synthesized = sum(round(p_mw * 200) for load, p_mw in mv.load.p_mw.items()
                      if f"TX-{load}" not in lv_backed)
    households = sum(1 for p in doc["service_points"] if p["id"].startswith("MTR-LV-"))
    return synthesized + households


@pytest.mark.parametrize("lv_beneath", [0, 3])
def test_the_document_loads_into_the_network_with_the_expected_counts(docs, nets, lv_beneath):
    doc = docs[lv_beneath]
    net = Network(elements(doc))
    types = Counter(d["type"] for d in doc["devices"])
    assert (len(doc["substations"]), len(doc["feeders"])) == (2, 4)
    assert types["breaker"] == 4 and types["recloser"] == 4 and types["switch"] == 6
    assert types["fuse"] + types["sectionalizer"] > 0
    assert {t["id"] for t in doc["transformers"]} == {f"TX-{i}" for i in nets[0].load.index}
    assert len(doc["transformers"]) == 147
    assert sum(net.customers_below(s["id"]) for s in doc["substations"]) == expected_customers(
        nets[0], doc)
    assert doc["timezone"] == "Europe/Berlin"


def test_customers_follow_the_formula_and_the_real_lv_networks(docs):
    totals = {k: sum(p["customers"] for p in doc["service_points"]) for k, doc in docs.items()}
    assert totals[0] == SYNTHESIZED
    households = Counter(p["transformer_id"] for p in docs[3]["service_points"]
                         if p["id"].startswith("MTR-LV-"))
    assert households == LV_BENEATH_3
    # 0.63, 0.40 and 0.63 MW stations give way to their real households
    assert totals[3] == SYNTHESIZED - (126 + 80 + 126) + 56 + 177 + 140 == 12_413
    assert docs[0]["source"] == "pandapower mv_oberrhein"
    assert docs[3]["source"] == ("pandapower mv_oberrhein (+ lv_schutterwald beneath 3 "
                                 "transformers)")


def test_lv_households_keep_their_real_coordinates(docs, nets):
    _, lv = nets
    for p in docs[3]["service_points"]:
        if p["id"].startswith(("MTR-LV-", "ONU-LV-")):
            bus = lv.load.at[int(p["id"].rsplit("-", 1)[1]), "bus"]
            lon, lat = json.loads(lv.bus.at[bus, "geo"])["coordinates"]
            assert (p["longitude"], p["latitude"]) == pytest.approx((lon, lat), abs=1e-7)


def test_the_network_is_radial_and_every_bus_is_reached(nets):
    """Independently of the importer: without its open lines the graph is a forest of two
    trees, one per HV/MV transformer, covering every bus."""
    import networkx as nx
    from pandapower.topology import create_nxgraph

    graph = create_nxgraph(nets[0], respect_switches=True)
    assert nx.is_forest(graph)
    trees = list(nx.connected_components(graph))
    assert len(trees) == 2 and sum(len(t) for t in trees) == len(nets[0].bus) == 179
    assert sorted(len({39, 319} & tree) for tree in trees) == [1, 1]  # one substation each


@pytest.mark.parametrize("lv_beneath", [0, 3])
def test_coordinates_lie_inside_the_oberrhein_box(docs, lv_beneath):
    doc = docs[lv_beneath]
    points = [(e["longitude"], e["latitude"]) for part in
              ("substations", "feeders", "devices", "transformers", "service_points")
              for e in doc[part]]
    points += [tuple(c) for part in ("feeders", "devices", "transformers")
               for e in doc[part] for c in e["geometry"] or []]
    assert all(LON[0] <= lon <= LON[1] and LAT[0] <= lat <= LAT[1] for lon, lat in points)


def test_geometry_runs_from_the_parent_to_the_element(docs):
    doc = docs[3]
    where = {e["id"]: [e["longitude"], e["latitude"]]
             for part in ("substations", "feeders", "devices", "transformers") for e in doc[part]}
    for e in doc["devices"] + doc["transformers"]:
        geometry = e["geometry"]
        if geometry is None:  # only where the element sits at its parent's position
            assert e["type"] == "breaker" and where[e["parent_id"]] == where[e["id"]]
        else:
            assert geometry[0] == where[e["parent_id"]] and geometry[-1] == where[e["id"]]
            assert all(a != b for a, b in itertools.pairwise(geometry))
    assert all(f["geometry"] is None for f in doc["feeders"])


def test_normally_open_tie_switches_feed_nothing(docs):
    doc = docs[3]
    net = Network(elements(doc))
    ties = [d for d in doc["devices"] if d["normally_open"]]
    assert {d["id"] for d in ties} == {f"SW-{i}" for i in (14, 34, 48, 107, 144, 311)}
    assert all(d["type"] == "switch" and net.below(d["id"]) == [d["id"]] for d in ties)


@pytest.mark.parametrize("lv_beneath", [0, 3])
def test_no_device_covers_the_same_customers_as_a_child_device(docs, lv_beneath):
    doc = docs[lv_beneath]
    net = Network(elements(doc))
    devices = {d["id"]: d for d in doc["devices"]}
    for d in doc["devices"]:
        if d["normally_open"]:
            continue
        below = set(net.below(d["id"])) - {d["id"]}
        assert any(net.elements[e].kind == "transformer" and net.elements[e].parent == d["id"]
                   for e in below), f"{d['id']} has no transformer of its own"
        for child in (c for c in devices.values() if c["parent_id"] == d["id"]):
            assert set(net.below(child["id"])) != below


@pytest.mark.parametrize("lv_beneath", [0, 3])
def test_each_trunk_recloser_has_about_half_its_feeder_below(docs, lv_beneath):
    """Bound asserted: 40–60 % of the feeder's customers (measured 47.9–52.1 %)."""
    doc = docs[lv_beneath]
    net = Network(elements(doc))
    for feeder in doc["feeders"]:
        reclosers = [d["id"] for d in doc["devices"]
                     if d["type"] == "recloser" and net.is_below(d["id"], feeder["id"])]
        assert len(reclosers) == 1
        share = net.customers_below(reclosers[0]) / net.customers_below(feeder["id"])
        assert 0.4 <= share <= 0.6, (feeder["id"], share)
        path = net.path_up(reclosers[0])  # on the trunk: only the breaker above it
        assert [net.elements[e].kind for e in path[1:]] == ["breaker", "feeder", "substation"]


def test_sectionalizers_sit_below_a_device_that_recloses_or_counts(docs):
    doc = docs[3]
    kinds = {d["id"]: d["type"] for d in doc["devices"]}
    for d in doc["devices"]:
        if d["type"] == "sectionalizer":
            assert kinds[d["parent_id"]] in ("breaker", "recloser", "sectionalizer")


def test_onus_share_a_customer_with_a_meter_and_a_few_points_are_critical(docs):
    points = docs[0]["service_points"]
    meters = {p["customer_id"]: p for p in points if p["kind"] == "meter"}
    onus = [p for p in points if p["kind"] == "onu"]
    assert all(o["customers"] == 0 and not o["critical"] for o in onus)
    assert all((meters[o["customer_id"]]["latitude"], meters[o["customer_id"]]["longitude"])
               == (o["latitude"], o["longitude"]) for o in onus)
    assert 0.30 <= len(onus) / len(meters) <= 0.37  # about a third (σ ≈ 0.004)
    critical = [p for p in points if p["critical"]]
    assert len(critical) == round(147 / 25) == 6
    assert len({p["transformer_id"] for p in critical}) == 6
    assert len({p["id"] for p in points}) == len(points)


def test_synthesized_meters_lie_within_150_m_of_their_transformer(docs):
    doc = docs[0]
    where = {t["id"]: (t["latitude"], t["longitude"]) for t in doc["transformers"]}
    distances = [haversine_m(*where[p["transformer_id"]], p["latitude"], p["longitude"])
                 for p in doc["service_points"]]
    assert max(distances) <= 150.5
    assert sum(d > 100 for d in distances) > 0.4 * len(distances)  # uniform in the disc: 5/9


def test_the_same_call_gives_the_same_document(docs, nets):
    assert document() == docs[3]  # a fresh load of both networks
    mv, lv = nets
    other = from_networks(mv, lv, lv_beneath=3, seed=1)
    assert other["devices"] == docs[3]["devices"]
    assert other["transformers"] == docs[3]["transformers"]
    assert other["service_points"] != docs[3]["service_points"]


@pytest.mark.parametrize(("call", "field"), [
    (lambda: document("mv_nowhere"), "name"),
    (lambda: document(lv_beneath=15), "lv_beneath"),
    (lambda: document(lv_beneath=-1), "lv_beneath"),
    (lambda: document(lv_beneath=True), "lv_beneath"),
])
def test_bad_arguments_say_what_to_pass(call, field):
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.errors[0]["field"] == field


def test_lv_beneath_needs_an_lv_network(nets):
    with pytest.raises(InvalidInput, match="from 0 to 0"):
        from_networks(nets[0], None, lv_beneath=1)


def test_a_closed_tie_makes_a_loop_and_is_rejected(nets):
    mv = copy.deepcopy(nets[0])
    mv.switch.loc[14, "closed"] = True  # tie on line 8
    with pytest.raises(InvalidInput, match="not radial"):
        from_networks(mv)


def test_an_unreached_bus_is_named(nets):
    mv = copy.deepcopy(nets[0])
    leaf = next(int(b) for b in mv.line.to_bus
                if (mv.line.from_bus == b).sum() + (mv.line.to_bus == b).sum() == 1)
    mv.line.loc[mv.line.to_bus == leaf, "in_service"] = False
    with pytest.raises(InvalidInput) as caught:
        from_networks(mv)
    assert caught.value.errors == [{"field": f"bus.{leaf}", "reason": "unreached"}]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32), lv_beneath=st.integers(0, 14))
def test_any_seed_and_lv_count_give_a_valid_network(nets, seed, lv_beneath):
    mv, lv = nets
    doc = from_networks(mv, lv, lv_beneath=lv_beneath, seed=seed)
    net = Network(elements(doc))
    households = {p["transformer_id"] for p in doc["service_points"]
                  if p["id"].startswith("MTR-LV-")}
    assert len(households) == lv_beneath
    assert sum(net.customers_below(s["id"]) for s in doc["substations"]) == expected_customers(
        mv, doc)
    assert sum(p["critical"] for p in doc["service_points"]) == 6
    assert sum(d["normally_open"] for d in doc["devices"]) == 6
