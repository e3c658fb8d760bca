"""Tables as CSV, XLSX, JSON and Parquet: every format read back with its own reader."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from opslens.errors import InvalidInput
from opslens.export.tables import FORMATS, MEDIA_TYPES, UTC_SUFFIX, render

BERLIN_SUMMER = timezone(timedelta(hours=2))
STAMP = datetime(2025, 10, 14, 8, 30, tzinfo=BERLIN_SUMMER)  # 06:30 UTC


class Kind(Enum):
    press = "press"


ROWS: list[dict[str, Any]] = [
    {"machine": "M1", "kwh": 12.5, "units": 100, "at": STAMP, "day": date(2025, 10, 14),
     "ok": True, "note": None},
    {"machine": "Presse Ü-3 ⚡", "kwh": None, "units": 7, "at": None, "day": None, "ok": False,
     "note": "=SUM(A1:A2)", "kind": Kind.press},
]
COLUMNS = ["machine", "kwh", "units", "at", "day", "ok", "note", "kind"]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def read_xlsx(content: bytes, sheet: str = "data") -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content))[sheet].iter_rows(values_only=True))


def read_parquet(content: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(content))


@pytest.mark.parametrize(("fmt", "ext"), [("csv", "csv"), ("xlsx", "xlsx"), ("json", "json"),
                                          ("parquet", "parquet")])
def test_media_type_and_extension(fmt: str, ext: str):
    content, media_type, extension = render(ROWS, fmt)
    assert (media_type, extension) == (MEDIA_TYPES[fmt], ext) and content


def test_csv_round_trip():
    content, _, _ = render(ROWS, "csv")
    assert read_csv(content) == [
        COLUMNS,
        ["M1", "12.5", "100", "2025-10-14T08:30:00+02:00", "2025-10-14", "True", "", ""],
        ["Presse Ü-3 ⚡", "", "7", "", "", "False", "=SUM(A1:A2)", "press"],
    ]


def test_json_round_trip_keeps_types_nulls_and_column_order():
    content, _, _ = render(ROWS, "json")
    records = json.loads(content)
    assert [list(r) for r in records] == [COLUMNS, COLUMNS]  # missing keys become null
    assert records[0] == {"machine": "M1", "kwh": 12.5, "units": 100,
                          "at": "2025-10-14T08:30:00+02:00", "day": "2025-10-14", "ok": True,
                          "note": None, "kind": None}
    assert records[1]["machine"] == "Presse Ü-3 ⚡" and records[1]["kind"] == "press"
    assert datetime.fromisoformat(records[0]["at"]) == STAMP
    assert "Ü" in content.decode("utf-8")  # UTF-8 text, not \u escapes


def test_xlsx_round_trip_in_utc_with_the_header_saying_so():
    content, _, _ = render(ROWS, "xlsx", sheet="energy")
    header, first, second = read_xlsx(content, "energy")
    assert header == ("machine", "kwh", "units", "at" + UTC_SUFFIX, "day", "ok", "note", "kind")
    assert first[:3] == ("M1", 12.5, 100)
    assert first[3] == datetime(2025, 10, 14, 6, 30)  # the same instant, as UTC wall time
    assert first[4] == datetime(2025, 10, 14)  # Excel keeps dates as date-times
    assert (first[5], first[6], first[7]) == (True, None, None)
    assert second == ("Presse Ü-3 ⚡", None, 7, None, None, False, "=SUM(A1:A2)", "press")
    cell = load_workbook(io.BytesIO(content))["energy"]["G3"]
    assert cell.data_type == "s"  # text from the data never becomes a formula


def test_parquet_round_trip_with_real_types():
    table = read_parquet(render(ROWS, "parquet")[0])
    assert table.column_names == COLUMNS
    types = {f.name: f.type for f in table.schema}
    assert types["at"] == pa.timestamp("us", tz="UTC")
    assert types["kwh"] == pa.float64() and types["units"] == pa.int64()
    assert types["day"] == pa.date32() and types["ok"] == pa.bool_()
    data = table.to_pylist()
    assert data[0]["at"] == STAMP and data[0]["at"].utcoffset() == timedelta(0)
    assert data[0]["day"] == date(2025, 10, 14)
    assert data[1] == {"machine": "Presse Ü-3 ⚡", "kwh": None, "units": 7, "at": None,
                       "day": None, "ok": False, "note": "=SUM(A1:A2)", "kind": "press"}


def test_columns_choose_and_order_the_output():
    rows = [{"b": 1, "a": 2, "c": 3}]
    assert read_csv(render(rows, "csv", columns=["c", "a"])[0]) == [["c", "a"], ["3", "2"]]
    assert list(json.loads(render(rows, "json", columns=["c", "a"])[0])[0]) == ["c", "a"]
    assert read_xlsx(render(rows, "xlsx", columns=["c", "a"])[0])[0] == ("c", "a")
    assert read_parquet(render(rows, "parquet", columns=["c", "a"])[0]).column_names == [
        "c", "a"]
    # without columns: first-seen order across rows
    rows = [{"b": 1}, {"a": 2, "b": 3}]
    assert read_csv(render(rows, "csv")[0]) == [["b", "a"], ["1", ""], ["3", "2"]]


def test_empty_input_gives_a_valid_file_with_just_the_header():
    columns = ["machine", "kwh"]
    assert read_csv(render([], "csv", columns=columns)[0]) == [columns]
    assert json.loads(render([], "json", columns=columns)[0]) == []
    assert read_xlsx(render([], "xlsx", columns=columns)[0]) == [("machine", "kwh")]
    table = read_parquet(render([], "parquet", columns=columns)[0])
    assert (table.column_names, table.num_rows) == (columns, 0)
    assert render([], "csv")[0] == b""  # no rows and no columns: nothing to say
    assert read_parquet(render([], "parquet")[0]).num_columns == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_column_of_nulls_only(fmt: str):
    content, _, _ = render([{"a": None}, {"a": None}], fmt)
    if fmt == "csv":
        assert read_csv(content) == [["a"], [""], [""]]
    elif fmt == "json":
        assert json.loads(content) == [{"a": None}, {"a": None}]
    elif fmt == "xlsx":
        assert read_xlsx(content) == [("a",)]  # openpyxl reads no trailing empty rows
    else:
        table = read_parquet(content)
        assert table.schema.field("a").type == pa.string() and table.column("a").null_count == 2


def test_non_finite_numbers_are_missing_values_everywhere():
    rows = [{"x": float("nan")}, {"x": float("inf")}, {"x": 1.5}]
    assert read_csv(render(rows, "csv")[0]) == [["x"], [""], [""], ["1.5"]]
    assert json.loads(render(rows, "json")[0]) == [{"x": None}, {"x": None}, {"x": 1.5}]
    assert read_parquet(render(rows, "parquet")[0]).column("x").to_pylist() == [None, None, 1.5]
    assert [r[0] for r in read_xlsx(render(rows, "xlsx")[0])] == ["x", None, None, 1.5]


def test_mixed_types_in_parquet_fall_back_to_text():
    table = read_parquet(render([{"v": 1}, {"v": "two"}, {"v": None}], "parquet")[0])
    assert table.schema.field("v").type == pa.string()
    assert table.column("v").to_pylist() == ["1", "two", None]


def test_nested_values_become_json_text_in_flat_formats():
    rows = [{"tags": ["a", "ü"], "meta": {"k": 1}}]
    assert read_csv(render(rows, "csv")[0])[1] == ['["a", "ü"]', '{"k": 1}']
    assert json.loads(render(rows, "json")[0]) == rows
    assert read_xlsx(render(rows, "xlsx")[0])[1] == ('["a", "ü"]', '{"k": 1}')
    assert read_parquet(render(rows, "parquet")[0]).to_pylist() == [
        {"tags": '["a", "ü"]', "meta": '{"k": 1}'}]


def test_datetimes_in_other_offsets_are_the_same_instant_in_parquet_and_xlsx():
    rows = [{"at": datetime(2025, 3, 30, 1, 30, tzinfo=UTC)},
            {"at": datetime(2025, 3, 30, 3, 30, tzinfo=BERLIN_SUMMER)}]  # 01:30 UTC as well
    at = read_parquet(render(rows, "parquet")[0]).column("at").to_pylist()
    assert at[0] == at[1]
    assert read_xlsx(render(rows, "xlsx")[0])[1:] == [(datetime(2025, 3, 30, 1, 30),)] * 2


def test_control_characters_do_not_break_the_workbook():
    content, _, _ = render([{"s": "bell\x07end"}], "xlsx")
    assert read_xlsx(content)[1] == ("bell\ufffdend",)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rows": [{"at": datetime(2025, 1, 1)}], "fmt": "csv"}, "naive datetime"),
    ({"rows": [], "fmt": "csv", "columns": ["a", "a"]}, "more than once"),
    ({"rows": [], "fmt": "xlsx", "sheet": "a/b"}, "sheet name"),
    ({"rows": [], "fmt": "xlsx", "sheet": "x" * 32}, "sheet name"),
    ({"rows": [], "fmt": "pdf"}, "unknown export format"),
    ({"rows": [{1: "x"}], "fmt": "json"}, "column names must be text"),
])
def test_bad_input_is_refused_with_what_to_fix(kwargs: dict[str, Any], message: str):
    with pytest.raises(InvalidInput, match=message):
        render(**kwargs)
