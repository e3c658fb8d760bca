"""The radial network: validation names the element and the field; depth-first slices give
the same answers as walking the tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.domain.topology import Element, Network
from opslens.errors import InvalidInput


def small() -> list[Element]:
    return [Element("S", "substation"), Element("F1", "feeder", "S"),
            Element("F2", "feeder", "S"), Element("R", "recloser", "F1"),
            Element("FU", "fuse", "R"), Element("T1", "transformer", "FU"),
            Element("T2", "transformer", "R"), Element("T3", "transformer", "F2"),
            Element("P1", "service_point", "T1", customers=10),
            Element("P2", "service_point", "T1", customers=5, critical=True),
            Element("P3", "service_point", "T2", customers=7),
            Element("P4", "service_point", "T3", customers=1),
            Element("TIE", "switch", "F2", normally_open=True)]


def test_customers_and_membership_downstream_of_each_device():
    net = Network(small())
    assert [net.customers_below(e) for e in ("S", "F1", "R", "FU", "T2", "F2")] == [
        23, 22, 22, 15, 7, 1]
    assert net.critical_below("F1") == 5 and net.critical_below("F2") == 0
    assert set(net.below("R")) == {"R", "FU", "T1", "T2", "P1", "P2", "P3"}
    assert net.is_below("P3", "F1") and not net.is_below("P3", "FU")


def test_the_fault_sits_at_the_lowest_device_above_every_report():
    net = Network(small())
    assert net.lowest_common_protective(["P1", "P2"]) == "FU"  # one transformer, its fuse
    assert net.lowest_common_protective(["P1", "P3"]) == "R"
    assert net.lowest_common_protective(["P1", "P4"]) == "S"  # two feeders: the substation
    assert net.lowest_common_protective(["P4"]) == "F2"  # no device: the feeder's breaker


@pytest.mark.parametrize(("change", "field", "words"), [
    (Element("F1", "feeder", "S"), "F1.id", "duplicate"),
    (Element("X", "fuse", "NOPE"), "X.parent", "unknown parent"),
    (Element("X", "transformer", "P1"), "X.parent", "cannot hang from service_point"),
    (Element("X", "transformer", "TIE"), "X.parent", "normally-open"),
    (Element("X", "transformer", "F1", customers=3), "X.customers", "service points"),
    (Element("X", "meter", "T1"), "X.kind", "unknown kind"),
    (Element("X", "fuse", "F1", latitude=95.0), "X.latitude", "outside"),
    (Element("X", "feeder"), "X.parent", "needs a parent"),
])
def test_bad_elements_are_rejected_by_name(change, field, words):
    with pytest.raises(InvalidInput) as caught:
        Network([*small(), change])
    assert any(e["field"] == field and words in e["reason"] for e in caught.value.errors)


def test_a_loop_is_rejected_with_its_members():
    loop = [Element("S", "substation"), Element("A", "switch", "B"),
            Element("B", "switch", "A")]
    with pytest.raises(InvalidInput) as caught:
        Network(loop)
    assert {e["field"] for e in caught.value.errors} == {"A.parent", "B.parent"}


@st.composite
def trees(draw):
    """Random radial networks: each device hangs from an earlier feeder or device."""
    elements = [Element("S", "substation"), Element("F", "feeder", "S")]
    carriers = ["F"]
    for i in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["fuse", "recloser", "transformer"]))
        parent = draw(st.sampled_from(carriers))
        elements.append(Element(f"E{i}", kind, parent))
        if kind == "transformer":
            for j in range(draw(st.integers(0, 3))):
                elements.append(Element(f"E{i}.{j}", "service_point", f"E{i}",
                                        customers=draw(st.integers(0, 50))))
        else:
            carriers.append(f"E{i}")
    return elements


@settings(max_examples=60, deadline=None)
@given(trees())
def test_slices_agree_with_walking_the_tree(elements):
    net = Network(elements)
    by_id = {e.id: e for e in elements}
    for element in elements:
        walked = {e.id for e in elements if element.id in net.path_up(e.id)}
        assert set(net.below(element.id)) == walked
        assert net.customers_below(element.id) == sum(by_id[e].customers for e in walked)
