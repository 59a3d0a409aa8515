"""Uploads checked by size and content before they are read; exports with every formula-like cell
written as text, in CSV and XLSX (read back with openpyxl)."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from imports.models import ExportJob, ImportJob
from msonet import uploads
from officers.models import Person
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, person_row, xlsx_bytes

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 40 + b"This program cannot be run"
FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def post_file(client, name, data, dataset="people"):
    return client.post(reverse("imports:upload", args=[dataset]), {"file": SimpleUploadedFile(name, data)})


# Upload checks


class NeverRead:
    size = 6 * 1024 * 1024

    def seek(self, position):
        raise AssertionError("the file was read")

    read = seek


def test_a_too_large_file_is_refused_from_its_size_without_being_read():
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.read_upload(NeverRead(), 5 * 1024 * 1024)
    assert str(refused.value).startswith("The file is 6.0\xa0MB; the largest file accepted is 5.0\xa0MB.")


@pytest.mark.django_db
def test_a_too_large_upload_gets_a_clear_message_and_no_job(client, world, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    client.force_login(world.lead)
    response = post_file(client, "people.csv", csv_bytes([PEOPLE_HEADERS, person_row("a" * 200 + "@nhs.net")]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "the largest file accepted is 100\xa0bytes" in page
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("picture.csv", PNG, "The file is a PNG image, not a CSV file or an Excel workbook (.xlsx)."),
        ("program.csv", EXE, "The file is a Windows program, not a CSV file or an Excel workbook (.xlsx)."),
        ("program.exe", EXE, "Upload a CSV file (.csv) or an Excel workbook (.xlsx)."),
        ("binary.csv", b"Work email\x00\x01\x02", "The file is not text: it is not a CSV file."),
        ("workbook.csv", xlsx_bytes([PEOPLE_HEADERS]), "The file is named .csv but holds an Excel workbook"),
        ("text.xlsx", csv_bytes([PEOPLE_HEADERS]), "The file is named .xlsx but holds CSV text"),
        ("archive.xlsx", b"PK\x03\x04" + b"\x00" * 30, "The file is a damaged ZIP archive"),
        ("empty.csv", b"", "The file is empty."),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused_before_it_is_read_as_a_table(client, world, name, data, message):
    client.force_login(world.lead)
    response = post_file(client, name, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    data = out.getvalue()
    with pytest.raises(uploads.UploadRefused, match="a ZIP archive but not an Excel workbook"):
        uploads.spreadsheet_format("data.xlsx", data, uploads.import_limits(), expected="a CSV file")


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused(settings):
    settings.UPLOAD_MAX_UNPACKED_PART_BYTES = 10 * 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * (20 * 1024 * 1024))
    data = out.getvalue()
    with pytest.raises(uploads.UploadRefused, match="unpacks to 20.0\xa0MB; the most accepted is 10.0\xa0MB"):
        uploads.spreadsheet_format("bomb.xlsx", data, uploads.import_limits(), expected="a CSV file")


@pytest.mark.django_db
def test_csv_with_a_byte_order_mark_and_xlsx_are_accepted(client, world):
    client.force_login(world.lead)
    post_file(client, "people.csv", csv_bytes([PEOPLE_HEADERS, person_row("bom@nhs.net")], bom=True))
    post_file(client, "people.xlsx", xlsx_bytes([PEOPLE_HEADERS, person_row("xlsx@nhs.net")]))
    assert [(job.file_format, job.status, job.new_count) for job in ImportJob.objects.order_by("pk")] == [
        ("csv", "ready", 1),
        ("xlsx", "ready", 1),
    ]


# Formula escaping in exports


def export(client, dataset, file_format) -> bytes:
    response = client.post(reverse("imports:export", args=[dataset, file_format]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return b"".join(response) if response.streaming else response.content


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_cells(data: bytes):
    return list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_people_export_writes_every_formula_like_cell_as_text_in_csv(client, world, prefix):
    value = f'{prefix}HYPERLINK("http://evil.example","click")'
    PersonFactory(work_email="formula@nhs.net", first_name="Zed", last_name="Zulu", job_title=value)
    client.force_login(world.lead)

    rows = csv_cells(export(client, "people", "csv"))

    header = rows[0]
    row = next(row for row in rows if row[0] == "formula@nhs.net")
    assert row[header.index("Job title")] == "'" + value


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_people_export_writes_every_formula_like_cell_as_text_in_xlsx(client, world, prefix):
    value = f"{prefix}SUM(1,2)"
    PersonFactory(work_email="formula@nhs.net", first_name="Zed", last_name="Zulu", job_title=value)
    client.force_login(world.lead)

    rows = xlsx_cells(export(client, "people", "xlsx"))

    header = [cell.value for cell in rows[0]]
    row = next(row for row in rows if row[0].value == "formula@nhs.net")
    cell = row[header.index("Job title")]
    assert cell.data_type == "s"  # a string, never a formula
    # The text as entered, without a quote (XML keeps a carriage return as a line feed).
    assert cell.value == value.replace("\r", "\n")


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_organisation_and_membership_exports_escape_formula_like_names(client, world, file_format):
    OrganisationFactory(ods_code="RZZ", name="=cmd|' /C calc'!A0")
    person = PersonFactory(work_email="member@nhs.net", first_name="+Plus", last_name="-Minus")
    AppointmentFactory(person=person, role="team_member")
    world.network_a.memberships.create(person=person, joined_on="2025-01-01")
    client.force_login(world.lead)

    organisations = export(client, "organisations", file_format)
    memberships = export(client, "memberships", file_format)

    if file_format == "csv":
        organisation_values = [value for row in csv_cells(organisations) for value in row]
        membership_values = [value for row in csv_cells(memberships) for value in row]
        assert "'=cmd|' /C calc'!A0" in organisation_values
        assert "'+Plus -Minus" in membership_values
    else:
        organisation_cells = {cell.value: cell for row in xlsx_cells(organisations) for cell in row}
        membership_cells = {cell.value: cell for row in xlsx_cells(memberships) for cell in row}
        assert organisation_cells["=cmd|' /C calc'!A0"].data_type == "s"
        assert membership_cells["+Plus -Minus"].data_type == "s"
    assert ExportJob.objects.filter(user=world.lead, dataset="memberships", file_format=file_format).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_people_file_imports_again_unchanged(client, world, file_format):
    PersonFactory(work_email="plus@nhs.net", phone="+44 20 7946 0000", job_title="=Lead")
    client.force_login(world.lead)
    data = export(client, "people", file_format)

    post_file(client, f"people.{file_format}", data)

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.READY, list(job.rows.values_list("line", "column", "message"))
    assert (job.new_count, job.changed_count) == (0, 0)
    assert job.unchanged_count == Person.objects.count() + 0  # one row per person: none has two appointments


@pytest.mark.django_db
def test_the_organisations_export_has_the_admin_resources_columns_and_values(world):
    from imports.organisations import OrganisationResource, export_headers, export_rows
    from msonet.spreadsheets import safe_cell

    world.org_b.parent_icb = OrganisationFactory(ods_code="QOP", kind="icb", name="Greater Manchester ICB")
    world.org_b.closed_on = world.org_b.opened_on
    world.org_b.save()
    resource = OrganisationResource()
    rows = {row[0]: row for row in export_rows()}
    assert export_headers() == resource.get_export_headers()
    for organisation in resource.filter_export(type(world.org_b).objects.all()):
        expected = [safe_cell(value) for value in resource.export_resource(organisation)]
        assert [safe_cell(value) for value in rows[organisation.ods_code]] == expected


def test_a_workbook_that_does_not_record_its_size_is_counted_from_its_rows():
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("People")
    for row in [PEOPLE_HEADERS, *([person_row(f"p{n}@nhs.net") for n in range(4500)])]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    limits = uploads.import_limits()
    assert uploads.count_rows(out.getvalue(), "xlsx", limits) - 1 == 4500  # less the header row
    rows = csv_bytes([PEOPLE_HEADERS, person_row("a@nhs.net"), person_row("b@nhs.net")])
    assert uploads.count_rows(rows, "csv", limits) - 1 == 2
