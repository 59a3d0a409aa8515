"""The ODS import reads, checks and writes in bulk: the results are those of reading each line, checking
each row and writing each organisation one by one, for good rows and bad ones alike."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from msonet import uploads
from organisations import ods
from organisations.models import Organisation
from organisations.services import ods_import, ods_summary_line
from tests.factories.files import ODS_DIR


def line_by_line(data: bytes) -> list:
    """What read_csv gives when it reads one line at a time."""
    limits = uploads.import_limits()
    rows, delimiter = [], None
    for number, text, problem in uploads.text_lines(data, limits):
        delimiter = delimiter or uploads.delimiter_of(text)
        try:
            values = tuple(next(csv.reader([text], delimiter=delimiter, strict=True)))
        except csv.Error as exc:
            values, problem = (), problem or f"the line is not valid CSV ({exc})"
        rows.append(ods.Row(number, values, problem))
    return rows


def one_by_one(rows, kind) -> tuple[list, list]:
    records, messages = [], []
    for row in rows:
        record, row_messages = ods._parse_extract_row(row, kind)
        messages.extend((row.line, message) for message in row_messages)
        if record is not None:
            records.append(record)
    return records, messages


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def ods_row(code: str, name: str, **columns) -> list[str]:
    row = [""] * 27
    row[0], row[1] = code, name
    for key, value in columns.items():
        row[int(key[1:]) - 1] = value
    return row


BAD_ROWS = [
    ods_row("", "NO CODE TRUST", c11="20200401"),
    ods_row("r-1", "LOWER CASE TRUST", c11="20200401"),
    ods_row("RZZ01", "", c11="20200401"),
    ods_row("RZZ02", "BAD DATE TRUST", c11="2024-04-01"),
    ods_row("RZZ03", "IMPOSSIBLE DATE TRUST", c11="20230231", c12="20230230"),
    ods_row("RZZ04", "BACKWARDS TRUST", c11="20200401", c12="20190401"),
    ods_row("RZZ05", "BAD REGION TRUST", c3="y5", c4="bad icb"),
    ods_row("RZZ06", "X" * 300, c10="P" * 11, c14="R" * 101, c18="0" * 31),
    ods_row("RZZ07", "OWN PARENT PHARMACY", c15="RZZ07"),
    ods_row("RZZ08", "BAD PARENT PHARMACY", c15="not a code"),
    ods_row("RZZ09", " SPACED   TRUST ", c3=" Y56 ", c11=" 20200401 ", c5=" 1 HIGH STREET "),
    ods_row("RZZ10", "O'NEILL & GUY'S - THE 1ST (NHS) CENTRE", c5="12A ST. JOHN'S ROAD", c8="  ", c9="LEEDS"),
    ods_row("RZZ11", "SHORT ROW")[:20],
]


@pytest.mark.parametrize("file_name", ["etr.csv", "eccg.csv", "edispensary_sample.csv"])
def test_a_file_read_in_one_pass_gives_the_rows_read_line_by_line(file_name):
    data = (ODS_DIR / file_name).read_bytes()

    assert ods.read_csv(data) == line_by_line(data)


@pytest.mark.parametrize(
    "data",
    [
        b'"RZZ01","A NAME RUNNING\nOVER A LINE END","Y56"\n"RZZ02","NEXT","Y56"\n',
        b'"RZZ01","ONE"\r"RZZ02","TWO"\n"RZZ03","THREE"\n',
        b'"RZZ01","UNCLOSED QUOTE\n"RZZ02","NEXT"\n',
        b'"RZZ01","GOOD"\n\n   \n"RZZ02","NOT UTF-8 \xe9"\n',
        "\ufeffRZZ01\tUTF-16\r\nRZZ02\tTAB SEPARATED\r\n".encode("utf-16-le"),
        b'\xef\xbb\xbf"RZZ01","MARKED UTF-8"\r\n\r\n"RZZ02","X"\r\n',
    ],
    ids=["quoted line end", "carriage return", "unclosed quote", "not utf-8", "utf-16", "utf-8 mark"],
)
def test_a_file_that_is_not_one_utf8_row_a_line_is_read_line_by_line_with_each_problem_on_its_line(data):
    assert ods.read_csv(data) == line_by_line(data)


def test_a_cell_beyond_the_limit_refuses_the_file_naming_its_line_and_column(settings):
    settings.IMPORT_MAX_CELL_CHARACTERS = 10
    data = csv_bytes([ods_row("RZZ01", "SHORT"), ods_row("RZZ02", "A NAME OF MORE THAN TEN")])

    with pytest.raises(uploads.UploadRefused, match="Line 2, column B"):
        ods.read_csv(data)


@pytest.mark.parametrize("kind", ["trusts", "sub-icbs", "pharmacies", "gp-practices"])
def test_rows_checked_in_bulk_give_the_records_and_messages_of_rows_checked_one_by_one(kind):
    kind = ods.KINDS[kind]
    data = (ODS_DIR / "edispensary_sample.csv").read_bytes() + csv_bytes(BAD_ROWS)
    rows = ods.read_csv(data)

    records, errors = ods.parse_rows(rows, kind)
    expected_records, expected_messages = one_by_one(rows, kind)

    assert records == expected_records
    assert sorted((error.line, error.message) for error in errors) == sorted(expected_messages)
    assert len(records) > 2900 and len(errors) >= len(BAD_ROWS)


@pytest.mark.django_db
def test_an_unchanged_reimport_reads_the_organisations_once_and_writes_nothing(tmp_path):
    data = (ODS_DIR / "edispensary_sample.csv").read_bytes()
    first = ods_import(data=data, kind="pharmacies", file_name="edispensary.csv")
    assert first.new > 2900 and not first.errors
    history_before = Organisation.history.count()

    with CaptureQueriesContext(connection) as queries:
        report = ods_import(data=data, kind="pharmacies", file_name="edispensary.csv")

    # Every pharmacy unchanged (their head-office companies, created as placeholders, are not in the file).
    assert ods_summary_line(report) == f"created=0 updated=0 closed=0 unchanged={len(ods.read_csv(data))} errors=0"
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    assert writes == []
    assert len(queries) <= 6
    assert Organisation.history.count() == history_before


@pytest.mark.django_db
def test_changed_organisations_are_written_in_bulk_each_with_every_field_and_a_history_record(tmp_path):
    rows = [ods_row(f"RZZ{n:02d}", f"TRUST {n}", c3="Y56", c11="20200401", c18="0161 000000") for n in range(30)]
    ods_import(data=csv_bytes(rows), kind="trusts", file_name="etr.csv")
    for n, row in enumerate(rows):
        if n % 3 == 0:
            row[17] = f"0161 {n:06d}"
        if n % 5 == 0:
            row[11] = "20251231"
            row[1] = f"RENAMED TRUST {n}"

    report = ods_import(data=csv_bytes(rows), kind="trusts", file_name="etr_2026.csv")

    assert ods_summary_line(report) == "created=0 updated=14 closed=6 unchanged=16 errors=0"
    by_code = {o.ods_code: o for o in Organisation.objects.all()}
    for n in range(30):
        organisation = by_code[f"RZZ{n:02d}"]
        assert organisation.phone == (f"0161 {n:06d}" if n % 3 == 0 else "0161 000000")
        assert organisation.closed_on == (datetime.date(2025, 12, 31) if n % 5 == 0 else None)
        assert organisation.name == (f"Renamed Trust {n}" if n % 5 == 0 else f"Trust {n}")
        assert organisation.region.code == "Y56"
    changed = Organisation.history.filter(history_type="~", history_change_reason="ODS import etr_2026.csv")
    assert changed.count() == 14
    renamed = changed.get(ods_code="RZZ05")
    assert (renamed.name, renamed.closed_on, renamed.phone) == (
        "Renamed Trust 5",
        datetime.date(2025, 12, 31),
        "0161 000000",
    )
    assert renamed.updated_at == by_code["RZZ05"].updated_at
    row = next(row for row in report.rows if row.key == "RZZ15")
    assert row.description == "Renamed Trust 15"
    assert ("switchboard telephone", "0161 000000", "0161 000015") in row.changes


@pytest.mark.django_db
def test_a_dry_run_writes_the_organisations_for_the_database_to_check_but_no_history_and_the_import_does():
    rows = [ods_row("RZZ01", "FIRST TRUST", c3="Y56"), ods_row("RZZ02", "SECOND TRUST", c3="Y56")]
    ods_import(data=csv_bytes(rows[:1]), kind="trusts", file_name="etr.csv")
    rows[0][1] = "RENAMED TRUST"

    def statements(*, dry_run: bool) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            report = ods_import(data=csv_bytes(rows), kind="trusts", file_name="etr_2026.csv", dry_run=dry_run)
        assert ods_summary_line(report) == "created=1 updated=1 closed=0 unchanged=0 errors=0"
        return [query["sql"] for query in queries]

    checked = statements(dry_run=True)
    assert any(sql.startswith('UPDATE "organisations_organisation"') for sql in checked)
    assert [sql for sql in checked if "historicalorganisation" in sql] == []
    assert Organisation.objects.get(ods_code="RZZ01").name == "First Trust"
    assert not Organisation.objects.filter(ods_code="RZZ02").exists()

    imported = statements(dry_run=False)
    assert len([sql for sql in imported if sql.startswith('INSERT INTO "organisations_historicalorganisation"')]) == 2
    assert Organisation.history.filter(history_change_reason="ODS import etr_2026.csv").count() == 2


@pytest.mark.django_db
def test_an_organisation_whose_type_the_file_changes_is_warned_about_unless_it_had_none():
    rows = [ods_row("RZZ01", "WAS A PRACTICE", c3="Y56"), ods_row("RZZ02", "HAD NO TYPE", c3="Y56")]
    ods_import(data=csv_bytes(rows), kind="gp-practices", file_name="epraccur.csv")
    Organisation.objects.filter(ods_code="RZZ02").update(kind=Organisation.Kind.OTHER)

    report = ods_import(data=csv_bytes(rows), kind="trusts", file_name="etr.csv")

    assert ods_summary_line(report) == "created=0 updated=2 closed=0 unchanged=0 errors=0"
    assert [(w.line, w.message) for w in report.warnings] == [(1, "the type changes from GP practice to NHS trust")]
    assert set(Organisation.objects.values_list("kind", flat=True)) == {Organisation.Kind.NHS_TRUST}
