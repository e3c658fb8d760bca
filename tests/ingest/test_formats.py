"""Payload formats (DESIGN.md §4): JSON, NDJSON and CSV give the same plain dicts, and a
malformed payload is an InvalidInput that says where it broke."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from opslens.errors import InvalidInput, OpslensError
from opslens.ingest import formats

SITE = {"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}
OTHER = {"id": "S2", "name": "Pune", "timezone": "Asia/Kolkata"}


# ---- JSON ---------------------------------------------------------------------------------------

def test_json_array_of_objects():
    text = '[{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"},\n' \
           ' {"id": "S2", "name": "Pune", "timezone": "Asia/Kolkata"}]'
    assert formats.parse(text, "json") == [SITE, OTHER]


def test_json_single_object_is_one_record():
    assert formats.parse(b'{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}',
                         "json") == [SITE]


def test_json_records_envelope():
    text = '{"records": [{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}]}'
    assert formats.parse(text, "json") == [SITE]


def test_json_keeps_types_and_nulls():
    parsed = formats.parse('[{"qty": 5, "ok_qty": 4.5, "end_time": null, "weekdays": [1, 2]}]',
                           "json")
    assert parsed == [{"qty": 5, "ok_qty": 4.5, "end_time": None, "weekdays": [1, 2]}]


@pytest.mark.parametrize("payload", ["", "   \n", b""])
def test_empty_json_payload_is_no_records(payload):
    assert formats.parse(payload, "json") == []


def test_json_with_bom():
    assert formats.parse(b'\xef\xbb\xbf[{"id": "S1"}]', "json") == [{"id": "S1"}]


def test_malformed_json_names_line_and_column():
    with pytest.raises(InvalidInput) as caught:
        formats.parse('[\n  {"id": "S1",}\n]', "json")
    assert caught.value.message.startswith("malformed JSON at line 2, column 15:")
    assert caught.value.status == 422


@pytest.mark.parametrize("payload", ['"just text"', "42", "null", "true"])
def test_json_scalar_is_rejected(payload):
    with pytest.raises(InvalidInput, match=r"must be an object, an array of objects"):
        formats.parse(payload, "json")


def test_json_array_items_must_be_objects():
    with pytest.raises(InvalidInput) as caught:
        formats.parse('[{"id": "S1"}, 7, "x", {"id": "S2"}]', "json")
    assert caught.value.message == "every record must be a JSON object"
    assert caught.value.errors == [
        {"index": 1, "field": None, "reason": "not a JSON object"},
        {"index": 2, "field": None, "reason": "not a JSON object"},
    ]


# ---- NDJSON -------------------------------------------------------------------------------------

def test_ndjson_one_object_per_line_blank_lines_skipped():
    text = (
        '{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}\n'
        "\n"
        "   \n"
        '{"id": "S2", "name": "Pune", "timezone": "Asia/Kolkata"}\r\n'
        "\n"
    )
    assert formats.parse(text, "ndjson") == [SITE, OTHER]


def test_ndjson_with_bom():
    assert formats.parse(b'\xef\xbb\xbf{"id": "S1"}\n', "ndjson") == [{"id": "S1"}]


def test_malformed_ndjson_names_the_line():
    text = '{"id": "S1"}\n\n{"id": "S2"\n{"id": "S3"}\n'
    with pytest.raises(InvalidInput) as caught:
        formats.parse(text, "ndjson")
    assert caught.value.message.startswith("malformed NDJSON on line 3:")


def test_ndjson_line_that_is_not_an_object():
    with pytest.raises(InvalidInput, match=r"^NDJSON line 2 is not a JSON object$"):
        formats.parse('{"id": "S1"}\n[1, 2]\n', "ndjson")


# ---- CSV ----------------------------------------------------------------------------------------

def test_csv_header_names_fields_and_values_are_text():
    text = "id,name,timezone,latitude\nS1,Berlin Works,Europe/Berlin,52.52\n"
    assert formats.parse(text, "csv") == [
        {"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin", "latitude": "52.52"}
    ]


def test_csv_empty_cell_is_a_missing_value():
    text = "id,name,timezone,latitude,longitude\nS1,Berlin Works,Europe/Berlin,,13.4\n"
    assert formats.parse(text, "csv") == [
        {"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin", "latitude": None,
         "longitude": "13.4"}
    ]


def test_csv_quoted_commas_quotes_and_newlines():
    text = ('id,name,timezone\r\nS1,"Works, Berlin ""Nord""",Europe/Berlin\r\n'
            'S2,"two\nlines",UTC\r\n')
    assert formats.parse(text, "csv") == [
        {"id": "S1", "name": 'Works, Berlin "Nord"', "timezone": "Europe/Berlin"},
        {"id": "S2", "name": "two\nlines", "timezone": "UTC"},
    ]


def test_csv_with_bom_has_a_clean_first_column():
    data = "\ufeffid,name,timezone\nS1,Berlin Works,Europe/Berlin\n".encode()
    (record,) = formats.parse(data, "csv")
    assert list(record) == ["id", "name", "timezone"]
    assert record == SITE


@pytest.mark.parametrize("payload", ["", "id,name,timezone\n"])
def test_csv_without_rows_is_no_records(payload):
    assert formats.parse(payload, "csv") == []


def test_csv_row_with_too_many_cells_names_the_line():
    text = "id,name,timezone\nS1,Berlin,Europe/Berlin\nS2,Pune,Asia/Kolkata,extra\n"
    with pytest.raises(InvalidInput, match=r"^CSV line 3 has more cells than the header"):
        formats.parse(text, "csv")


def test_csv_streams_from_a_text_stream():
    stream = io.StringIO("id,name\nS1,a\nS2,b\n")
    rows = formats.iter_lines(stream, "csv")
    assert next(rows) == {"id": "S1", "name": "a"}
    assert list(rows) == [{"id": "S2", "name": "b"}]


def test_json_cannot_be_streamed_line_by_line():
    with pytest.raises(InvalidInput):
        list(formats.iter_lines(io.StringIO("[]"), "json"))


def test_non_utf8_payload_is_a_unicode_error():
    with pytest.raises(UnicodeDecodeError):
        formats.parse(b"id,name\nS1,\xff\n", "csv")


# ---- files --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content"), [
    ("sites.json", '[{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}]'),
    ("sites.ndjson", '{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}\n'),
    ("sites.jsonl", '\n{"id": "S1", "name": "Berlin Works", "timezone": "Europe/Berlin"}\n'),
    ("sites.csv", "\ufeffid,name,timezone\nS1,Berlin Works,Europe/Berlin\n"),
])
def test_iter_file_reads_every_format_alike(tmp_path: Path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert list(formats.iter_file(path)) == [SITE]


def test_iter_file_format_override(tmp_path: Path):
    path = tmp_path / "export.txt"
    path.write_text("id,name\nS1,a\n", encoding="utf-8")
    assert list(formats.iter_file(path, "csv")) == [{"id": "S1", "name": "a"}]


@pytest.mark.parametrize(("name", "expected"), [
    ("a.json", "json"), ("a.JSON", "json"), ("a.ndjson", "ndjson"), ("a.jsonl", "ndjson"),
    ("a.csv", "csv"), ("dir.v2/a.CSV", "csv"),
])
def test_format_of_path(name: str, expected: str):
    assert formats.format_of_path(Path(name)) == expected


@pytest.mark.parametrize("name", ["a.txt", "a", "a.json.gz", "a.xlsx"])
def test_format_of_path_unknown_suffix(name: str):
    with pytest.raises(InvalidInput) as caught:
        formats.format_of_path(Path(name))
    assert caught.value.message == (
        f"cannot tell the format of {Path(name).name!r} from its suffix; use .json, .ndjson, "
        ".jsonl or .csv, or pass --format"
    )


@pytest.mark.parametrize(("content_type", "expected"), [
    (None, "json"),
    ("", "json"),
    ("application/json", "json"),
    ("application/json; charset=utf-8", "json"),
    ("Application/JSON", "json"),
    ("application/x-ndjson", "ndjson"),
    ("application/ndjson", "ndjson"),
    ("application/jsonl", "ndjson"),
    ("text/csv", "csv"),
    ("text/csv; charset=utf-8; header=present", "csv"),
])
def test_format_of_media_type(content_type: str | None, expected: str):
    assert formats.format_of_media_type(content_type) == expected


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "multipart/form-data; boundary=x"])
def test_format_of_media_type_unsupported(content_type: str):
    with pytest.raises(InvalidInput) as caught:
        formats.format_of_media_type(content_type)
    media = content_type.split(";")[0]
    assert caught.value.message == (
        f"unsupported Content-Type {media!r}; send application/json, application/x-ndjson "
        "or text/csv"
    )


def test_invalid_input_is_in_the_one_hierarchy():
    assert issubclass(InvalidInput, OpslensError)
    assert issubclass(InvalidInput, ValueError)
