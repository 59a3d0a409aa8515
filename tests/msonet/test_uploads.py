"""The one upload path (msonet.uploads): every import and upload refuses a crafted file with a clear
message, writes nothing, and stays under 300 MB of peak memory above its start.

The crafted files (tests/crafted_files.py) are sent through each upload path's page or command in
a child process (tests/upload_child.py), whose peak resident memory (VmHWM) is read against its
resident memory once set up: the lead's imports of people, memberships and organisations, the
`import_ods` command, the Teams and plain attendance imports, a committee's terms of reference,
and the admin's imports of people and of ODS files. The first tests check the module itself.
"""

import codecs
import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from msonet import uploads
from officers.models import Person
from tests.crafted_files import (
    MB,
    ODS_PATHS,
    accepted_file,
    archive_bombs,
    crafted,
    document_bombs,
    lie,
    sheet_rows,
    workbook,
    zip_parts,
)
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, person_row, xlsx_bytes
from tests.upload_child import PATHS

ROOT = Path(__file__).resolve().parents[2]
MEMORY_BOUND_MB = 300
LIMITS = uploads.Limits(
    max_bytes=5 * MB,
    max_unpacked_bytes=64 * MB,
    max_part_bytes=48 * MB,
    max_rows=100,
    max_cells=20,
    max_cell_characters=100,
)


@pytest.fixture(scope="session")
def bombs():
    return archive_bombs()


# The module -------------------------------------------------------------------------------------


def test_a_bomb_is_refused_from_its_directory_before_anything_is_inflated_in_under_a_second(bombs):
    name, data = bombs["unpacks past the part limit"]
    started = time.perf_counter()
    with pytest.raises(uploads.UploadRefused, match=r"unpacks to 450.0\xa0MB; the most accepted is 48.0\xa0MB"):
        uploads.spreadsheet_format(name, data, uploads.import_limits(), expected="a workbook")
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("label", ["lying directory", "huge shared strings, lying directory"])
def test_a_part_that_inflates_past_what_the_directory_says_is_refused_within_a_chunk(bombs, label):
    name, data = bombs[label]
    uploads.spreadsheet_format(name, data, uploads.import_limits(), expected="a workbook")  # the directory passes
    started = time.perf_counter()
    with pytest.raises(uploads.UploadRefused, match="unpacks to more than the archive's directory says"):
        list(uploads.iter_rows(data, "xlsx", uploads.import_limits()))
    assert time.perf_counter() - started < 1


def test_zipfile_alone_stops_a_lying_member_at_its_declared_size():
    """Why _Member opens a member as declaring more: zipfile stops at the size the directory gives
    and fails on the checksum, so without it a lie would be told only as damage."""
    data = lie(zip_parts({"big.xml": b" " * MB}), "big.xml", says=10)
    with zipfile.ZipFile(io.BytesIO(data)) as archive, pytest.raises(zipfile.BadZipFile, match="CRC"):
        archive.read("big.xml")


def test_the_directory_limits_the_number_of_parts_and_refuses_a_password():
    many = zip_parts({f"part{n}.xml": b"" for n in range(uploads.ARCHIVE_MAX_MEMBERS + 1)})
    with pytest.raises(uploads.UploadRefused, match="10,001 parts"):
        uploads.open_archive(many, LIMITS, what="workbook")
    data = bytearray(zip_parts({"xl/workbook.xml": b"<workbook/>"}))
    data[data.find(b"PK\x01\x02") + 8] |= 1  # the central directory's "encrypted" flag
    with pytest.raises(uploads.UploadRefused, match="password-protected"):
        uploads.open_archive(bytes(data), LIMITS, what="workbook")


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_a_workbook_with_a_dtd_or_entities_is_refused(doctype):
    sheet = sheet_rows([["a"]])
    data = workbook(doctype + sheet)
    with pytest.raises(uploads.UploadRefused, match="XML this portal does not read"):
        list(uploads.iter_rows(data, "xlsx", uploads.import_limits()))


def test_openpyxl_parses_its_xml_with_defusedxml_too():
    import openpyxl
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.fromstring.__module__.startswith("defusedxml")


def rows_workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sample_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["text", 1, 2.5, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5), True, None, "x"])
    sheet.append([None, None, "after two empty cells"])
    sheet["E5"] = datetime.time(10, 30)
    sheet["B7"] = "zoë 💊 & <tags>"
    sheet["C8"] = datetime.timedelta(hours=1, minutes=2)
    sheet["D9"] = "=1+1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [sample_workbook(), xlsx_bytes([PEOPLE_HEADERS, person_row("a@nhs.net", start="2025-01-01")])],
    ids=["types", "people"],
)
def test_the_workbook_reader_reads_values_as_openpyxl_does(data):
    expected = []
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        cells = uploads.trimmed(["" if value is None else value for value in values])
        if any(value != "" for value in cells):
            expected.append((number, cells))
    assert list(uploads.iter_rows(data, "xlsx", uploads.import_limits())) == expected


def test_rows_kept_after_reading_come_back_with_the_same_lines_values_and_types():
    read = list(uploads.iter_rows(sample_workbook(), "xlsx", uploads.import_limits()))
    read.append((12, ["x", -3, 1e300, False, datetime.date(2024, 2, 29), datetime.timedelta(days=-1, seconds=5)]))

    kept = uploads.unpack_rows(uploads.pack_rows(read))

    assert kept == read
    assert [[type(value) for value in cells] for _, cells in kept] == [
        [type(value) for value in cells] for _, cells in read
    ]


def fast_reads(monkeypatch) -> list:
    """What each call of the fast reader (uploads._calamine_rows) gave: rows, or None for a workbook
    it left to the streaming reader."""
    given = []
    read = uploads._calamine_rows

    def recorded(*args):
        given.append(read(*args))
        return given[-1]

    monkeypatch.setattr(uploads, "_calamine_rows", recorded)
    return given


def streamed(data: bytes, monkeypatch) -> list:
    with monkeypatch.context() as patch:
        patch.setattr(uploads, "CALAMINE_MAX_BYTES", 0)
        return list(uploads.iter_rows(data, "xlsx", uploads.import_limits()))


def typed(rows) -> list:
    return [(line, [(type(value), value) for value in cells]) for line, cells in rows]


def plain_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet["C3"] = "starts at C3"
    sheet.append([None, None, 1, 2.5, -7, True, False, "  spaces kept  ", None, "after a gap"])
    sheet["B6"] = "zoë 💊 & <tags>"
    sheet["A8"] = 10**15
    sheet["D8"] = "'=quoted"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        plain_workbook(),
        xlsx_bytes([PEOPLE_HEADERS, person_row("a@nhs.net", start="2025-01-01")]),
        rows_workbook([[f"B{number:05}", f"NAME {number}", "", "Y56", number] for number in range(300)]),
    ],
    ids=["types", "people", "rows"],
)
def test_the_fast_reader_reads_a_workbook_as_the_streaming_reader_does(data, monkeypatch):
    given = fast_reads(monkeypatch)

    rows = list(uploads.iter_rows(data, "xlsx", uploads.import_limits()))

    assert len(given) == 1 and given[0] is not None  # read by calamine
    assert typed(rows) == typed(streamed(data, monkeypatch))


def sparse_workbook() -> bytes:
    book = Workbook()
    book.active["A1"] = "first"
    book.active["XFD1048576"] = "last"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (sample_workbook(), "dates and times, which calamine reads otherwise"),
        (rows_workbook([["a_x0041_b"]]), "an escaped character, which calamine unescapes"),
    ],
    ids=["dates", "escape"],
)
def test_the_fast_reader_leaves_to_the_streaming_reader_what_it_would_read_otherwise(data, why, monkeypatch):
    given = fast_reads(monkeypatch)

    rows = list(uploads.iter_rows(data, "xlsx", uploads.import_limits()))

    assert not any(given), why  # calamine gave no rows
    assert typed(rows) == typed(streamed(data, monkeypatch))


def test_a_sheet_spanning_more_cells_than_the_fast_reader_holds_is_refused_by_the_streaming_reader(monkeypatch):
    given = fast_reads(monkeypatch)

    with pytest.raises(uploads.UploadRefused, match="Line 1048576 has a value in column XFD; at most 200 columns"):
        list(uploads.iter_rows(sparse_workbook(), "xlsx", uploads.import_limits()))
    assert given == [None]  # A1 to XFD1048576 spans 17 billion cells: never given to calamine


def test_a_huge_shared_strings_table_is_bounded_by_the_part_limit(bombs):
    name, data = bombs["huge shared strings"]
    with pytest.raises(uploads.UploadRefused, match=r"sharedStrings.xml\) unpacks to 100.0\xa0MB"):
        list(uploads.iter_rows(data, "xlsx", uploads.import_limits()))


def test_a_shared_string_longer_than_a_cell_may_be_is_refused_by_its_line_and_column():
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    strings += b"x" * 101 + b"</t></si></sst>"
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="3"><c r="B3" t="s"><v>0</v></c></row></sheetData></worksheet>'
    )
    with pytest.raises(uploads.UploadRefused, match="Line 3, column B: the cell holds 101 characters; at most 100"):
        list(uploads.iter_rows(workbook(sheet, shared_strings=strings), "xlsx", LIMITS))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_rows_columns_and_cells_are_limited_with_the_line_named(file_format):
    def data(rows):
        return csv_bytes(rows) if file_format == "csv" else workbook(sheet_rows(rows))

    with pytest.raises(uploads.UploadRefused, match="more than 100 rows"):
        list(uploads.iter_rows(data([["a"]] * 101), file_format, LIMITS))
    with pytest.raises(uploads.UploadRefused, match="Line 2 has|Line 2 has a value in column U"):
        list(uploads.iter_rows(data([["a"], ["b"] * 21]), file_format, LIMITS))
    with pytest.raises(uploads.UploadRefused, match="Line 2, column B: the cell"):
        list(uploads.iter_rows(data([["a"], ["b", "c" * 101]]), file_format, LIMITS))
    assert len(list(uploads.iter_rows(data([["a"]] * 100), file_format, LIMITS))) == 100


def test_empty_cells_after_a_rows_last_value_are_tolerated_and_cells_beyond_the_header_are_not():
    table = uploads.read_table(b"Email,Name\na@nhs.net,Ann,,,,\n", "csv", LIMITS)
    assert table.rows == [(2, ["a@nhs.net", "Ann"])]
    styled_empty = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>a@nhs.net</t></is></c><c r="XFD2" s="0"/></row>'
        b"</sheetData></worksheet>"
    )
    assert uploads.read_table(workbook(styled_empty), "xlsx", LIMITS).rows == [(2, ["a@nhs.net"])]
    with pytest.raises(uploads.UploadRefused, match=r"Line 3 has 3 cells but the header row \(line 1\) names 2"):
        uploads.read_table(b"Email,Name\na@nhs.net,Ann\nb@nhs.net,Bob,extra\n", "csv", LIMITS)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Name,Zoë\n".encode(), "Name,Zoë\n"),
        (codecs.BOM_UTF8 + "Name,Zoë\n".encode(), "Name,Zoë\n"),
        (codecs.BOM_UTF16_LE + "Name\tZoë\n".encode("utf-16-le"), "Name\tZoë\n"),
        (codecs.BOM_UTF16_BE + "Name\tZoë\n".encode("utf-16-be"), "Name\tZoë\n"),
        ("Name\tZoë\n".encode("utf-16-le"), "Name\tZoë\n"),
        ("Name,Zoë,€5\n".encode("cp1252"), "Name,Zoë,€5\n"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le-unmarked", "windows-1252"],
)
def test_text_is_decoded_as_utf8_utf16_or_windows_1252(data, text):
    assert uploads.decode_text(data) == text


def test_windows_1252_is_tried_only_when_the_bytes_are_not_utf8_and_only_when_guessing():
    assert uploads.decode_text("Zoë â€™".encode()) == "Zoë â€™"  # UTF-8 that cp1252 would misread
    with pytest.raises(uploads.UploadRefused, match="line 2 has the byte 0xEB"):
        uploads.decode_text("Name\nZoë\n".encode("cp1252"), guess_encoding=False)
    with pytest.raises(uploads.UploadRefused, match="The file is not text"):
        uploads.decode_text(b"Name\x00\x01\x02\x03")


def test_the_ods_reader_never_guesses_but_reads_utf16_with_its_mark():
    from organisations.ods import read_csv

    (row,) = read_csv("RZZ01,Zoë\n".encode("cp1252"), LIMITS)
    assert row.problem.startswith("the line is not UTF-8 text (byte 0xEB")
    (row,) = read_csv(codecs.BOM_UTF16_LE + "RZZ01\tZoë\r\n".encode("utf-16-le"), LIMITS)
    assert (row.values, row.problem) == (("RZZ01", "Zoë"), "")


def test_the_limits_come_from_settings(settings):
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS, settings.UPLOAD_MAX_UNPACKED_BYTES = 7, 8, 9
    limits = uploads.import_limits()
    assert (limits.max_rows, limits.max_cells, limits.max_unpacked_bytes) == (7, 8, 9)
    settings.TERMS_OF_REFERENCE_MAX_BYTES = 11
    assert uploads.document_limits().max_bytes == 11


def test_no_importer_keeps_a_magic_byte_table_or_a_workbook_reader_of_its_own():
    for path in ["imports", "networks", "organisations", "committees"]:
        for source in (ROOT / path).glob("*.py"):
            text = source.read_text()
            assert "load_workbook" not in text, source
            assert "PK\\x03\\x04" not in text and "\\x89PNG" not in text, source
            assert "zipfile" not in text, source


# The admin's import errors read like the portal's ---------------------------------------------------


@pytest.mark.django_db
def test_the_admin_imports_a_ragged_workbook_that_import_export_refused_with_a_class_name(client, world):
    """A workbook whose rows end at different columns: tablib raised InvalidDimensions on it."""
    data = workbook(sheet_rows([PEOPLE_HEADERS, ["ragged@nhs.net", "Ada", "Lovelace"]]))
    client.force_login(world.lead)
    response = client.post(
        reverse("admin:officers_person_import"),
        {"import_file": SimpleUploadedFile("people.xlsx", data), "format": "1", "resource": "0"},
    )
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.diff[:2] for row in result.rows] == [[2, "ragged@nhs.net"]]
    assert not Person.objects.filter(work_email="ragged@nhs.net").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Work email,First name\n" + b"a@nhs.net,Ann" + b",x" * 300 + b"\n", "Line 2 has 302 cells; at most 200"),
        (b"Work email,First name\na@nhs.net,Ann,extra\n", "Line 2 has 3 cells but the header row (line 1) names 2"),
        (b'Work email,First name\n"a@nhs.net,Ann\n', "Line 2 is not valid CSV"),
    ],
    ids=["too-many-cells", "beyond-the-header", "broken-quote"],
)
def test_the_admin_refuses_a_file_in_the_portals_words(client, world, content, message):
    client.force_login(world.lead)
    response = client.post(
        reverse("admin:officers_person_import"),
        {"import_file": SimpleUploadedFile("people.csv", content), "format": "0", "resource": "0"},
    )
    page = response.content.decode()
    assert message in page
    assert "encountered" not in page and "Error" not in response.context["form"].errors.as_text()


# Every upload path, in a child process -------------------------------------------------------------

# What each crafted file must be refused with (None: it is read, and previewed with nothing written).
EXPECTED = {
    "lying directory": "unpacks to more than the archive's directory says",
    "unpacks past the part limit": "unpacks to 450.0\xa0MB; the most accepted is 48.0\xa0MB",
    "unpacks past the total limit": "the most accepted is 64.0\xa0MB",
    "huge shared strings": "(xl/sharedStrings.xml) unpacks to 100.0\xa0MB",
    "huge shared strings, lying directory": "unpacks to more than the archive's directory says",
    "too many rows": "more than 40,000 rows",
    "too many columns": "Line 2 has 200,0",
    "cells beyond the header": "but the header row (line 1) names",
    "over-long cell": "characters; at most 32,767 are read",
    "too many columns, workbook": "at most 200 columns are read",
    "picture named .csv": "The file is a PNG image",
    "program named .xlsx": "The file is a Windows program",
    "UTF-16 text": None,
    "Windows-1252 text": None,
    "accepted": None,
}
# The ODS paths that read CSV only refuse every workbook as such; none of the ODS paths guesses
# Windows-1252 (organisations.ods says why).
ODS_CSV_ONLY = "not an ODS CSV file"
DOCUMENTS = {
    "lying directory": "unpacks to more than the archive's directory says",
    "unpacks past the part limit": "unpacks to 450.0\xa0MB; the most accepted is 48.0\xa0MB",
    "unpacks past the total limit": "the most accepted is 64.0\xa0MB",
    "picture named .pdf": "must be a PDF or a Word document",
    "program named .docx": "is a program, not a PDF or Word document",
}


def expected(path: str, label: str) -> str | None:
    if path == "terms_of_reference":
        return DOCUMENTS[label]
    if path in ("import_ods", "admin_ods") and label in WORKBOOKS:
        return ODS_CSV_ONLY
    if path in ODS_PATHS and label == "Windows-1252 text":
        return "the line is not UTF-8 text (byte 0xEB"
    return EXPECTED[label]


WORKBOOKS = (
    "lying directory",
    "unpacks past the part limit",
    "unpacks past the total limit",
    "huge shared strings",
    "huge shared strings, lying directory",
    "too many columns, workbook",
)


def child_database(workdir: Path) -> dict:
    """What a child's DATABASE_URL is: a copy of the migrated test database (SQLite, which the test
    run holds in memory) or the test database itself (PostgreSQL: the child's work is one
    transaction, rolled back). Called with the test database open (the `db` fixture)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        template = workdir / "template.sqlite3"
        with sqlite3.connect(template) as copy:
            connection.connection.backup(copy)
        return {"sqlite": template}
    db = connection.settings_dict
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return {"url": f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"}


def run_child(path: str, files: list[Path], database: dict, workdir: Path) -> dict:
    if "sqlite" in database:
        copy = workdir / f"{path}.sqlite3"
        shutil.copy(database["sqlite"], copy)
        url = f"sqlite:///{copy}"
    else:
        url = database["url"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "msonet.settings.test", "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.upload_child", path, *map(str, files)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


REPORTS: dict = {}


@pytest.fixture
def child_reports(db, bombs, tmp_path_factory):
    """Every path's crafted files (and a good file of 1,000 rows) through a child each, two at a
    time; run once, for the first test that asks."""
    if not REPORTS:
        REPORTS.update(_child_reports(bombs, tmp_path_factory.mktemp("crafted")))
    return REPORTS


def _child_reports(bombs, workdir: Path) -> dict:
    database = child_database(workdir)
    shared = {"xlsx": {}, "doc": {}}
    for kind, files in (("xlsx", bombs), ("doc", document_bombs())):
        for number, (label, (name, content)) in enumerate(files.items()):
            shared[kind][label] = workdir / f"{kind}-{number:02d}--{name}"
            shared[kind][label].write_bytes(content)
    plans = {}
    for path in PATHS:
        files = dict(shared["doc"] if path == "terms_of_reference" else shared["xlsx"])
        for number, (label, (name, content)) in enumerate(crafted(path).items()):
            files[label] = workdir / f"{path}-{number:02d}--{name}"
            files[label].write_bytes(content)
        # A good terms of reference is stored, and memberships need their people: both are writes.
        if path not in ("terms_of_reference", "memberships"):
            name, content = accepted_file(path, 1000)
            files["accepted"] = workdir / f"{path}-good--{name}"
            files["accepted"].write_bytes(content)
        plans[path] = files
    workers = 2 if "sqlite" in database else 1  # on PostgreSQL the children share one database
    with ThreadPoolExecutor(workers) as pool:
        futures = {
            path: pool.submit(run_child, path, list(files.values()), database, workdir) for path, files in plans.items()
        }
        return {path: (list(plans[path]), future.result()) for path, future in futures.items()}


@pytest.mark.parametrize("path", PATHS)
def test_every_crafted_file_is_refused_clearly_writes_nothing_and_stays_under_the_memory_bound(child_reports, path):
    labels, report = child_reports[path]
    for label, outcome in zip(labels, report["files"], strict=True):
        message = expected(path, label)
        assert not outcome["written"], (label, outcome)
        if message is None:
            assert not outcome["refused"], (label, outcome["message"])
        else:
            assert outcome["refused"], (label, outcome["message"])
            assert message in outcome["message"], (label, outcome["message"])
            assert "encountered" not in outcome["message"] and "Error" not in outcome["message"], outcome
    print(f"\n{path}: {len(labels)} files, peak {report['peak_above_start_mb']} MB above the child's start")
    assert report["peak_above_start_mb"] < MEMORY_BOUND_MB, report


def test_a_file_that_cannot_be_read_after_the_form_passed_it_is_told_in_plain_words():
    """import-export names the exception's class ("'InvalidDimensions' encountered…"); the admins
    say what msonet.uploads says instead."""
    from msonet.import_export import LeadImportExportMixin

    class Form:
        errors: list = []

        def add_error(self, field, message):
            self.errors.append((field, message))

    form = Form()
    LeadImportExportMixin().add_data_read_fail_error_to_form(form, uploads.UploadRefused("Line 3 is not valid CSV."))
    LeadImportExportMixin().add_data_read_fail_error_to_form(form, ValueError("InvalidDimensions"))
    assert form.errors[0] == ("import_file", "Line 3 is not valid CSV.")
    assert "InvalidDimensions" not in form.errors[1][1] and "encountered" not in form.errors[1][1]


def test_a_file_wrong_on_every_line_lists_the_first_thousand_errors_and_counts_the_rest():
    from meetings.attendance_files import parse_attendance_rows
    from msonet.import_export import result_from_report
    from msonet.reports import ImportReport, RowError

    rows = [(1, ["Meeting ID", "Email"]), *[(line, ["x", "not an email"]) for line in range(2, 1502)]]
    _attendees, errors = parse_attendance_rows(rows)
    assert len(errors) == uploads.ERRORS_LISTED + 1
    assert errors[-1].message.startswith("… and 2,000 more errors: only the first 1,000 are listed.")

    report = ImportReport(dataset="people", file_name="people.csv")
    report.errors = [RowError(line, "Work email", "is empty") for line in range(2, 1502)]
    result = result_from_report(report)
    assert len(result.invalid_rows) == uploads.ERRORS_LISTED
    assert str(result.base_errors[0].error).startswith("… and 500 more errors")
