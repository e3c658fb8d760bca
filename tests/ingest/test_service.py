"""The ingest service on both stores (DESIGN.md §3, §4): every plant kind in every format,
each validation rule with its index, field and reason, all-or-nothing batches, partial
batches, idempotent re-sends, naive timestamps, seed 003's field names, and tenancy."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa

from opslens.errors import InvalidInput
from opslens.ingest import formats
from opslens.ingest.service import ingest
from opslens.store import schema
from opslens.store.engine import Store

ORG = "acme"
KINDS = ("sites", "lines", "machines", "shifts", "work_orders", "work_order_logs")
TABLES = {kind: getattr(schema, kind) for kind in KINDS}

# Two sites in zones with different offsets; M9 stands on the other site.
BASE: dict[str, list[dict[str, Any]]] = {
    "sites": [
        {"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin", "latitude": 52.52,
         "longitude": 13.405},
        {"id": "S2", "name": "Chicago, Plant 2", "timezone": "America/Chicago"},
    ],
    "lines": [
        {"id": "L1", "site_id": "S1", "name": "Line 1"},
        {"id": "L2", "site_id": "S2", "name": "Line \"Two\""},
    ],
    "machines": [
        {"id": "M1", "site_id": "S1", "line_id": "L1", "name": "Press 1", "asset_id": "A-1",
         "ideal_cycle_time_s": 12.5},
        {"id": "M2", "site_id": "S1", "name": "Press 2"},
        {"id": "M9", "site_id": "S2", "line_id": "L2", "name": "Lathe 9"},
    ],
    "shifts": [
        {"id": "EARLY", "site_id": "S1", "name": "Early", "start_time": "06:00",
         "end_time": "14:00", "weekdays": [1, 2, 3, 4, 5], "breaks": ["10:00-10:30"]},
        {"id": "NIGHT", "site_id": "S2", "name": "Night", "start_time": "22:00",
         "end_time": "06:00", "breaks": ["02:00-02:30", "04:00-04:15"]},
    ],
    "work_orders": [
        {"id": "W1", "site_id": "S1", "machine_id": "M1", "status": "Completed",
         "start_time": "2025-07-01T08:00:00+02:00", "end_time": "2025-07-01T12:00:00+02:00",
         "qty": 100, "ok_qty": 95, "scrap_qty": 5, "product_id": "P-1", "operator_id": "OP-1"},
        {"id": "W9", "site_id": "S2", "machine_id": "M9", "status": "Start",
         "start_time": "2025-07-01T22:00:00-05:00"},
    ],
    "work_order_logs": [
        {"work_order_id": "W1", "status": "Start", "changed_at": "2025-07-01T08:00:00+02:00",
         "ok_qty": 0, "scrap_qty": 0},
        {"work_order_id": "W1", "status": "Completed",
         "changed_at": "2025-07-01T12:00:00+02:00", "ok_qty": 95, "scrap_qty": 5, "fpy": 97.5},
        {"work_order_id": "W9", "status": "Start", "changed_at": "2025-07-01T22:05:00-05:00"},
    ],
}

# A valid record of each kind that BASE lacks: sent beside a bad one, it must not be stored.
GOOD = {
    "sites": {"id": "S3", "name": "Pune", "timezone": "Asia/Kolkata"},
    "lines": {"id": "L3", "site_id": "S1", "name": "Line 3"},
    "machines": {"id": "M3", "site_id": "S1", "name": "Press 3"},
    "shifts": {"id": "LATE", "site_id": "S1", "name": "Late", "start_time": "14:00",
               "end_time": "22:00"},
    "work_orders": {"id": "W2", "site_id": "S1", "machine_id": "M2", "status": "Assigned",
                    "start_time": "2025-07-02T06:00:00+02:00"},
    "work_order_logs": {"work_order_id": "W9", "status": "Hold",
                        "changed_at": "2025-07-02T01:00:00-05:00"},
}


def run(store: Store, kind: str, records: list[dict[str, Any]], org: str = ORG,
        partial: bool = False) -> dict[str, Any]:
    return ingest(store, org, kind, [records], partial).as_dict()


def load_base(store: Store, org: str = ORG) -> None:
    for kind, records in BASE.items():
        result = run(store, kind, records, org)
        assert (result["stored"], result["errors"]) == (len(records), [])


def count(store: Store, kind: str, org: str | None = ORG) -> int:
    table = TABLES.get(kind) if kind in TABLES else getattr(schema, kind)
    query = sa.select(sa.func.count()).select_from(table)
    if org is not None:
        query = query.where(table.c.organization_id == org)
    with store.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def rows(store: Store, kind: str, org: str = ORG) -> list[dict[str, Any]]:
    """A table's rows of one organization, without the organization and write time."""
    table = TABLES[kind]
    keys = [c for c in table.primary_key.columns if c.name != "organization_id"]
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.select(table).where(table.c.organization_id == org).order_by(*keys)
        ).mappings().all()
    return [{k: v for k, v in row.items() if k not in ("organization_id", "updated_at")}
            for row in found]


def one(store: Store, kind: str, org: str = ORG, **where: Any) -> dict[str, Any]:
    matches = [r for r in rows(store, kind, org) if all(r[k] == v for k, v in where.items())]
    assert len(matches) == 1, matches
    return matches[0]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rejected(store: Store, kind: str, records: list[dict[str, Any]]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        run(store, kind, records)
    return caught.value


# ---- formats ------------------------------------------------------------------------------------

def _render(records: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(records).encode()
    if fmt == "ndjson":
        return "\n\n".join(json.dumps(r) for r in records).encode() + b"\n"
    columns: list[str] = []
    for record in records:
        columns += [k for k in record if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    for record in records:  # lists become ";"-separated cells, missing values empty cells
        writer.writerow({k: ";".join(map(str, v)) if isinstance(v, list) else v
                         for k, v in record.items()})
    return ("\ufeff" + out.getvalue()).encode()


def test_every_kind_in_json_ndjson_and_csv_stores_the_same_rows(store: Store):
    results = {}
    for fmt in formats.FORMATS:
        org = f"org-{fmt}"
        for kind, records in BASE.items():
            parsed = formats.parse(_render(records, fmt), fmt)
            results[fmt, kind] = run(store, kind, parsed, org)
    for kind, records in BASE.items():
        expected_result = {"ok": True, "kind": kind, "received": len(records),
                           "stored": len(records), "rejected": 0, "errors": []}
        for fmt in formats.FORMATS:
            assert results[fmt, kind] == expected_result, (fmt, kind)
        stored = rows(store, kind, "org-json")
        assert len(stored) == len(records)
        assert rows(store, kind, "org-ndjson") == stored, kind
        assert rows(store, kind, "org-csv") == stored, kind

    assert one(store, "sites", "org-csv", id="S2")["name"] == "Chicago, Plant 2"
    assert one(store, "lines", "org-csv", id="L2")["name"] == 'Line "Two"'
    assert one(store, "machines", "org-csv", id="M1")["ideal_cycle_time_s"] == 12.5
    assert one(store, "machines", "org-csv", id="M2")["line_id"] is None
    early = one(store, "shifts", "org-csv", id="EARLY")
    assert (early["weekdays"], early["breaks"]) == ("12345", "10:00-10:30")
    night = one(store, "shifts", "org-csv", id="NIGHT")
    assert (night["weekdays"], night["breaks"]) == ("1234567", "02:00-02:30;04:00-04:15")
    w1 = one(store, "work_orders", "org-csv", id="W1")
    assert (w1["start_time"], w1["end_time"]) == (utc(2025, 7, 1, 6), utc(2025, 7, 1, 10))
    assert (w1["qty"], w1["ok_qty"], w1["scrap_qty"]) == (100, 95, 5)
    log = one(store, "work_order_logs", "org-csv", work_order_id="W1", status="Completed")
    assert (log["changed_at"], log["ok_qty"], log["fpy"]) == (utc(2025, 7, 1, 10), 95, 97.5)


# ---- validation: every rule ---------------------------------------------------------------------

def _wo(**fields: Any) -> dict[str, Any]:
    return {"id": "WX", "site_id": "S1", "machine_id": "M1", "status": "Start",
            "start_time": "2025-07-03T08:00:00+02:00", **fields}


def _log(**fields: Any) -> dict[str, Any]:
    return {"work_order_id": "W1", "status": "Start",
            "changed_at": "2025-07-01T09:00:00+02:00", **fields}


def _shift(**fields: Any) -> dict[str, Any]:
    return {"id": "SX", "site_id": "S1", "name": "X", "start_time": "06:00",
            "end_time": "14:00", **fields}


# Reasons name the constraint; these accept pydantic's wording and plainer ones.
STATUSES_LISTED = r"'Assigned'.*'Start'.*'Hold'.*'Completed'.*'Closed'"
TIMESTAMP = r"(?i)timestamp|datetime"
NOT_NEGATIVE = r"(?i)greater than or equal to 0|negative|>= ?0|at least 0"
AT_MOST = r"(?i)(less than or equal to|at most|<=|above|over|exceeds) ?{}"


class Rule(NamedTuple):
    """A record breaking one rule, and the error it must get (``reason`` is a regex)."""

    kind: str
    bad: dict[str, Any]
    field: str
    reason: str
    name: str


RULES = [
    Rule("sites", {"id": "S4", "name": "Mars", "timezone": "Mars/Olympus_Mons"},
                 "timezone", r"unknown time zone 'Mars/Olympus_Mons'; use an IANA name",
                 name="unknown-time-zone"),
    Rule("work_orders", _wo(end_time="2025-07-03T07:59:59+02:00"), "end_time",
                 r"^end_time 2025-07-03T05:59:59\+00:00 is not after start_time "
                 r"2025-07-03T06:00:00\+00:00$", name="end-before-start"),
    Rule("work_orders", _wo(end_time="2025-07-03T06:00:00Z"), "end_time",
                 r"is not after start_time", name="end-equals-start"),
    Rule("work_orders", _wo(machine_id="M404"), "machine_id",
                 r"^unknown machine 'M404'$", name="unknown-machine"),
    Rule("work_orders", _wo(site_id="S404"), "site_id", r"^unknown site 'S404'$",
                 name="work-order-unknown-site"),
    Rule("lines", {"id": "L4", "site_id": "S404", "name": "x"}, "site_id",
                 r"^unknown site 'S404'$", name="line-unknown-site"),
    Rule("machines", {"id": "M4", "site_id": "S404", "name": "x"}, "site_id",
                 r"^unknown site 'S404'$", name="machine-unknown-site"),
    Rule("shifts", _shift(site_id="S404"), "site_id", r"^unknown site 'S404'$",
                 name="shift-unknown-site"),
    Rule("work_orders", _wo(machine_id="M9"), "machine_id",
                 r"^machine 'M9' belongs to site 'S2', not 'S1'$",
                 name="machine-on-another-site"),
    Rule("machines", {"id": "M4", "site_id": "S1", "line_id": "L2", "name": "x"},
                 "line_id", r"^line 'L2' belongs to site 'S2', not 'S1'$",
                 name="line-on-another-site"),
    Rule("machines", {"id": "M4", "site_id": "S1", "line_id": "L404", "name": "x"},
                 "line_id", r"^unknown line 'L404'$", name="unknown-line"),
    Rule("work_orders", _wo(status="Running"), "status",
                 STATUSES_LISTED, name="unknown-status"),
    Rule("work_order_logs", _log(status="Paused"), "status",
                 STATUSES_LISTED, name="log-unknown-status"),
    Rule("work_orders", _wo(start_time="2025-13-01T08:00:00"), "start_time",
                 TIMESTAMP, name="malformed-timestamp"),
    Rule("work_order_logs", _log(changed_at="yesterday at noon"), "changed_at",
                 TIMESTAMP, name="log-malformed-timestamp"),
    Rule("work_orders", _wo(qty=-1), "qty", NOT_NEGATIVE, name="negative-quantity"),
    Rule("work_orders", _wo(scrap_qty="-0.5"), "scrap_qty", NOT_NEGATIVE,
                 name="negative-scrap"),
    Rule("work_order_logs", _log(ok_qty=-3), "ok_qty", NOT_NEGATIVE,
                 name="log-negative-quantity"),
    Rule("work_orders", _wo(qty="NaN"), "qty", r"(?i)finite|nan", name="nan-quantity"),
    Rule("work_order_logs", _log(fpy=100.5), "fpy", AT_MOST.format(100), name="fpy-over-100"),
    Rule("work_order_logs", _log(work_order_id="W404"), "work_order_id",
                 r"^unknown work order 'W404'$", name="log-unknown-work-order"),
    Rule("machines", {"id": "M4", "site_id": "S1", "name": "x", "asset_idd": "A-4"},
                 "asset_idd", r"^unknown field; check its spelling", name="unknown-field"),
    Rule("work_orders", _wo(operater_id="OP-1"), "operater_id", r"^unknown field",
                 name="unknown-field-work-order"),
    Rule("lines", {"id": "L4", "site_id": "S1"}, "name",
                 r"^required field is missing$", name="missing-field"),
    Rule("shifts", _shift(breaks=["15:00-15:30"]), "breaks",
                 r"break 15:00-15:30 .*does not lie inside the shift", name="break-outside-shift"),
    Rule("shifts", _shift(breaks="10:00"), "breaks", r"not in the form HH:MM-HH:MM",
                 name="malformed-break"),
    Rule("shifts", _shift(weekdays=[0]), "weekdays", r"^weekday 0 is not a day",
                 name="weekday-zero"),
    Rule("shifts", _shift(weekdays="mon;funday"), "weekdays",
                 r"^weekday 'funday' is not a day", name="weekday-name"),
    Rule("shifts", _shift(weekdays=[8]), "weekdays", r"^weekday 8 is not a day",
                 name="weekday-eight"),
    Rule("shifts", _shift(start_time="24:00"), "start_time", r"write '00:00'",
                 name="shift-time-24"),
    Rule("shifts", _shift(end_time="6am"), "end_time", r"not in the form HH:MM",
                 name="shift-time-malformed"),
    Rule("sites", {"id": "S4", "name": "x", "timezone": "UTC",
                           "organization_id": "someone-else"}, "organization_id",
                 r"^record names organization 'someone-else' but is sent to 'acme'",
                 name="site-of-another-organization"),
    Rule("sites", {"id": "S4", "name": "x", "timezone": "UTC", "latitude": 91},
                 "latitude", AT_MOST.format(90), name="latitude-out-of-range"),
]


def test_each_validation_rule_reports_index_field_and_reason_and_stores_nothing(store: Store):
    """Each rule on its own batch ``[a valid record, the bad record]``: exactly one error, at
    index 1, on the named field, with a reason that says what to fix; nothing is stored."""
    load_base(store)
    before = {k: count(store, k) for k in (*KINDS, "wo_segments", "wo_marks", "data_versions")}
    wrong = []
    for rule in RULES:
        try:
            run(store, rule.kind, [GOOD[rule.kind], rule.bad])
        except InvalidInput as error:
            message = (f"1 of 2 {rule.kind} records are invalid; nothing was stored (fix them, "
                       "or send ?partial=true to store the valid ones)")
            found = error.errors
            if (error.status, error.message) != (422, message):
                wrong.append(f"{rule.name}: {error.status} {error.message!r}")
            elif len(found) != 1 or (found[0]["index"], found[0]["field"]) != (1, rule.field) \
                    or not re.search(rule.reason, found[0]["reason"]):
                wrong.append(f"{rule.name}: {found}")
        else:
            wrong.append(f"{rule.name}: accepted")
    assert wrong == []
    assert {k: count(store, k) for k in before} == before  # no valid record was stored either


def test_break_outside_shift_names_the_shift_it_was_sent_with(store: Store):
    """The reason should name the shift of the record, not an internal placeholder."""
    load_base(store)
    error = rejected(store, "shifts", [_shift(id="EVENING", name="Evening",
                                              breaks=["15:00-15:30"])])
    (found,) = error.errors
    assert "'check'" not in found["reason"], found["reason"]
    assert "EVENING" in found["reason"] or "Evening" in found["reason"], found["reason"]


def test_duplicate_id_within_a_batch(store: Store):
    load_base(store)
    before = {kind: count(store, kind) for kind in KINDS}
    for kind in ("sites", "lines", "machines", "shifts", "work_orders"):
        twin = {**GOOD[kind], "name": "second"} if "name" in GOOD[kind] else dict(GOOD[kind])
        error = rejected(store, kind, [GOOD[kind], twin])
        (found,) = error.errors
        assert found["index"] == 1, kind
        assert found["field"] in (None, "id"), kind
        assert found["reason"].startswith(
            f"duplicate of record 0 (same {kind} key {GOOD[kind]['id']})"), found
    assert {kind: count(store, kind) for kind in KINDS} == before


def test_duplicate_log_within_a_batch_is_keyed_by_work_order_and_instant(store: Store):
    load_base(store)
    same_instant = _log(changed_at="2025-07-01T07:00:00Z", status="Hold")  # = 09:00+02:00
    error = rejected(store, "work_order_logs", [_log(), same_instant])
    (found,) = error.errors
    assert found["index"] == 1 and found["reason"].startswith("duplicate of record 0")
    # another instant of the same work order is no duplicate
    result = run(store, "work_order_logs",
                 [_log(), _log(changed_at="2025-07-01T09:00:01+02:00", status="Hold")])
    assert (result["stored"], result["errors"]) == (2, [])


def test_naive_and_offset_spellings_of_one_log_instant_are_duplicates(store: Store):
    """09:00 naive at a Berlin site is 07:00Z: the same log key written two ways."""
    load_base(store)
    with pytest.raises(InvalidInput) as caught:
        run(store, "work_order_logs", [
            _log(changed_at="2025-07-01T09:00:00", status="Start", ok_qty=1),
            _log(changed_at="2025-07-01T07:00:00Z", status="Hold", ok_qty=2),
        ])
    (found,) = caught.value.errors
    assert found["index"] == 1 and found["reason"].startswith("duplicate of record 0")
    assert count(store, "work_order_logs") == len(BASE["work_order_logs"])


def test_every_bad_record_of_a_batch_is_reported(store: Store):
    load_base(store)
    batch = [_wo(id="A", machine_id="M404"), _wo(id="B"), _wo(id="C", qty=-1, status="x"),
             _wo(id="D", site_id="S404")]
    error = rejected(store, "work_orders", batch)
    assert error.message.startswith("3 of 4 work_orders records are invalid")
    found = sorted((e["index"], e["field"]) for e in error.errors)
    assert found == [(0, "machine_id"), (2, "qty"), (2, "status"), (3, "site_id")]
    assert count(store, "work_orders") == len(BASE["work_orders"])


def test_errors_are_listed_in_record_order_with_or_without_partial(store: Store):
    """Record 1 fails a store check (unknown machine), record 2 the model (negative qty): the
    report lists them by index either way, as a client walking its file expects."""
    load_base(store)
    batch = [_wo(id="A"), _wo(id="B", machine_id="M404"), _wo(id="C", qty=-1)]
    error = rejected(store, "work_orders", batch)
    assert [(e["index"], e["field"]) for e in error.errors] == [(1, "machine_id"), (2, "qty")]
    result = run(store, "work_orders", batch, partial=True)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "machine_id"), (2, "qty")]


def test_a_bad_record_in_a_later_chunk_rolls_back_the_earlier_chunks(store: Store):
    """A batch is one transaction even when the service takes it in several chunks."""
    chunks = [[{"id": f"S{n}", "name": f"Site {n}", "timezone": "UTC"} for n in range(5)],
              [{"id": "S5", "name": "Site 5", "timezone": "UTC"}],
              [{"id": "S6", "name": "Site 6", "timezone": "Nowhere/Else"}]]
    with pytest.raises(InvalidInput) as caught:
        ingest(store, ORG, "sites", chunks)
    assert [(e["index"], e["field"]) for e in caught.value.errors] == [(6, "timezone")]
    assert count(store, "sites", org=None) == 0
    assert count(store, "data_versions", org=None) == 0


def test_a_bad_work_order_leaves_no_derived_rows(store: Store):
    load_base(store)
    derived = {t: count(store, t) for t in ("wo_segments", "wo_marks")}
    rejected(store, "work_orders", [_wo(id="W5"), _wo(id="W6", machine_id="M404")])
    assert {t: count(store, t) for t in derived} == derived


# ---- partial ------------------------------------------------------------------------------------

def test_partial_stores_the_good_records_and_reports_the_bad_ones(store: Store):
    load_base(store)
    batch = [_wo(id="P1"), _wo(id="P2", machine_id="M404"), _wo(id="P3", status="nope"),
             _wo(id="P4")]
    result = run(store, "work_orders", batch, partial=True)
    assert {k: result[k] for k in ("ok", "received", "stored", "rejected")} == {
        "ok": True, "received": 4, "stored": 2, "rejected": 2}
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "machine_id"), (2, "status")]
    ids = {r["id"] for r in rows(store, "work_orders")}
    assert ids == {"W1", "W9", "P1", "P4"}


def test_partial_indexes_count_across_chunks(store: Store):
    chunks = [[{"id": "A", "name": "a", "timezone": "UTC"}, {"id": "B", "name": "b"}],
              [{"id": "C", "name": "c", "timezone": "UTC"},
               {"id": "D", "name": "d", "timezone": "Bad/Zone"}]]
    result = ingest(store, ORG, "sites", chunks, partial=True).as_dict()
    assert (result["received"], result["stored"], result["rejected"]) == (4, 2, 2)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "timezone"), (3, "timezone")]
    assert [r["id"] for r in rows(store, "sites")] == ["A", "C"]


def test_partial_with_nothing_valid_stores_nothing(store: Store):
    result = run(store, "sites", [{"id": "A", "name": "a", "timezone": "Bad/Zone"}],
                 partial=True)
    assert (result["stored"], result["rejected"]) == (0, 1)
    assert count(store, "sites") == 0


# ---- idempotence --------------------------------------------------------------------------------

def test_resending_updates_instead_of_duplicating(store: Store):
    load_base(store)
    load_base(store)  # the same batch twice: nothing new
    for kind, records in BASE.items():
        assert count(store, kind) == len(records), kind

    run(store, "sites", [{**BASE["sites"][0], "name": "Berlin Works (renamed)"}])
    run(store, "work_orders", [{**BASE["work_orders"][1], "status": "Completed",
                                "end_time": "2025-07-02T05:00:00-05:00", "ok_qty": 7}])
    assert one(store, "sites", id="S1")["name"] == "Berlin Works (renamed)"
    w9 = one(store, "work_orders", id="W9")
    assert (w9["status"], w9["end_time"], w9["ok_qty"]) == ("Completed", utc(2025, 7, 2, 10), 7)
    assert count(store, "sites") == 2 and count(store, "work_orders") == 2


def test_logs_are_keyed_by_work_order_and_instant(store: Store):
    load_base(store)
    # the Completed log of W1 again, its instant written with another offset, counts corrected
    run(store, "work_order_logs", [{"work_order_id": "W1", "status": "Completed",
                                    "changed_at": "2025-07-01T10:00:00Z", "ok_qty": 96,
                                    "scrap_qty": 4}])
    assert count(store, "work_order_logs") == len(BASE["work_order_logs"])
    log = one(store, "work_order_logs", work_order_id="W1", changed_at=utc(2025, 7, 1, 10))
    assert (log["status"], log["ok_qty"], log["scrap_qty"]) == ("Completed", 96, 4)


# ---- time, seed 003 names, status case ----------------------------------------------------------

def test_naive_timestamps_are_read_in_the_site_time_zone(store: Store):
    load_base(store)
    run(store, "work_orders", [
        _wo(id="SUMMER", start_time="2025-07-01T08:00:00", end_time="2025-07-01T09:30:00"),
        _wo(id="WINTER", start_time="2025-01-15T08:00:00"),
        _wo(id="CHICAGO", site_id="S2", machine_id="M9", start_time="2025-07-01T08:00:00"),
        _wo(id="EXACT", start_time="2025-07-01T08:00:00+00:00"),
    ])
    start = {r["id"]: r["start_time"] for r in rows(store, "work_orders")}
    assert start["SUMMER"] == utc(2025, 7, 1, 6)  # CEST, UTC+2
    assert one(store, "work_orders", id="SUMMER")["end_time"] == utc(2025, 7, 1, 7, 30)
    assert start["WINTER"] == utc(2025, 1, 15, 7)  # CET, UTC+1
    assert start["CHICAGO"] == utc(2025, 7, 1, 13)  # CDT, UTC-5
    assert start["EXACT"] == utc(2025, 7, 1, 8)  # an offset is exact

    run(store, "work_order_logs", [
        {"work_order_id": "CHICAGO", "status": "Start", "changed_at": "2025-07-01T08:15:00"},
    ])
    log = one(store, "work_order_logs", work_order_id="CHICAGO")
    assert log["changed_at"] == utc(2025, 7, 1, 13, 15)  # the work order's site's zone


def test_seed_003_quantity_names_are_accepted(store: Store):
    load_base(store)
    run(store, "work_orders", [_wo(id="SEED", ok_qtys=40, scrapped_qtys=2)])
    run(store, "work_order_logs", [
        {"work_order_id": "SEED", "status": "Hold", "changed_at": "2025-07-03T09:00:00+02:00",
         "ok_qtys": 12, "scrapped_qtys": 1}])
    order = one(store, "work_orders", id="SEED")
    assert (order["ok_qty"], order["scrap_qty"]) == (40, 2)
    log = one(store, "work_order_logs", work_order_id="SEED")
    assert (log["ok_qty"], log["scrap_qty"]) == (12, 1)


def test_status_letter_case_is_normalised(store: Store):
    load_base(store)
    spellings = {"start": "Start", "START": "Start", " hold ": "Hold",
                 "completed": "Completed", "cLoSeD": "Closed", "assigned": "Assigned"}
    run(store, "work_orders", [_wo(id=f"CASE-{n}", status=sent, end_time="2025-07-03T09:00:00Z")
                               for n, sent in enumerate(spellings)])
    run(store, "work_order_logs", [
        {"work_order_id": f"CASE-{n}", "status": sent, "changed_at": "2025-07-03T08:00:00+02:00"}
        for n, sent in enumerate(spellings)])
    for n, stored in enumerate(spellings.values()):
        assert one(store, "work_orders", id=f"CASE-{n}")["status"] == stored
        assert one(store, "work_order_logs", work_order_id=f"CASE-{n}")["status"] == stored


# ---- tenancy ------------------------------------------------------------------------------------

def test_organizations_do_not_see_each_others_records(store: Store):
    load_base(store, "org-a")
    # the same ids in another organization are other records
    run(store, "sites", [{"id": "S1", "name": "B's own S1", "timezone": "Asia/Tokyo"}],
        org="org-b")
    assert one(store, "sites", "org-a", id="S1")["name"] == "Berlin Works"
    assert one(store, "sites", "org-b", id="S1")["name"] == "B's own S1"
    assert count(store, "sites", "org-a") == 2 and count(store, "sites", "org-b") == 1

    # org-b cannot reference org-a's site S2, machine M1 or work order W1
    with pytest.raises(InvalidInput) as caught:
        run(store, "machines", [{"id": "M1", "site_id": "S2", "name": "x"}], org="org-b")
    assert caught.value.errors == [
        {"index": 0, "field": "site_id", "reason": "unknown site 'S2'"}]
    with pytest.raises(InvalidInput) as caught:
        run(store, "work_orders", [_wo(id="W1")], org="org-b")
    assert caught.value.errors == [
        {"index": 0, "field": "machine_id", "reason": "unknown machine 'M1'"}]
    with pytest.raises(InvalidInput) as caught:
        run(store, "work_order_logs", [_log()], org="org-b")
    assert caught.value.errors == [
        {"index": 0, "field": "work_order_id", "reason": "unknown work order 'W1'"}]

    # and a re-send in org-b touches nothing of org-a
    run(store, "machines", [{"id": "M1", "site_id": "S1", "name": "B's press"}], org="org-b")
    assert one(store, "machines", "org-a", id="M1")["name"] == "Press 1"
    assert one(store, "machines", "org-b", id="M1")["name"] == "B's press"
    assert count(store, "machines", "org-a") == 3


# ---- the garbage collector ----------------------------------------------------------------------

def test_the_collector_pauses_during_a_batch_and_resumes_after_it_even_when_it_fails(
        store: Store):
    import gc

    seen = []

    def progress(_done: int) -> None:
        seen.append(gc.isenabled())

    assert gc.isenabled()
    ingest(store, ORG, "sites", [[GOOD["sites"]]], progress=progress)
    with pytest.raises(InvalidInput):
        ingest(store, ORG, "sites", [[{"id": "X", "name": "x", "timezone": "Bad/Zone"}]],
               progress=progress)
    assert seen == [False, False]
    assert gc.isenabled()


def test_the_write_time_and_organization_are_stored_on_every_row(store: Store):
    now = datetime(2025, 7, 3, 9, 30, tzinfo=UTC)
    for kind, records in BASE.items():
        ingest(store, "other-org", kind, [records], now=now)
    with store.engine.connect() as conn:
        for kind in KINDS:
            table = TABLES[kind]
            stored = conn.execute(sa.select(table.c.organization_id, table.c.updated_at)
                                  .distinct()).all()
            assert [tuple(r) for r in stored] == [("other-org", now)], kind
