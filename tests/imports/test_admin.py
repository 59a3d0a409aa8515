"""The admin's import and export screens for people, appointments and memberships go through the same
imports and checks as the portal's pages."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from networks.models import Membership
from networks.resources import MembershipResource
from officers.models import Appointment, Person
from officers.resources import PeopleResource
from tests.factories import PersonFactory
from tests.factories.files import MEMBERSHIP_HEADERS, PEOPLE_HEADERS, csv_bytes, person_row

pytestmark = pytest.mark.django_db

CSV_FORMAT = "0"  # the first of the admin's import and export formats (CSV, XLSX)


def admin_import(client, model, data, name="people.csv", file_format=CSV_FORMAT):
    return client.post(
        reverse(f"admin:{model}_import"),
        {"import_file": SimpleUploadedFile(name, data), "format": file_format, "resource": "0"},
    )


def confirm(client, model, response):
    form = response.context["confirm_form"]
    return client.post(reverse(f"admin:{model}_process_import"), form.initial)


def test_the_admin_imports_people_after_its_preview_with_history(client, world):
    client.force_login(world.lead)
    data = csv_bytes(
        [
            PEOPLE_HEADERS,
            person_row("admin.import@nhs.net", "Ola", "Ade", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        ]
    )

    preview = admin_import(client, "officers_person", data)

    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.diff[1] for row in result.rows] == ["admin.import@nhs.net"]
    assert not Person.objects.filter(work_email="admin.import@nhs.net").exists()

    confirm(client, "officers_person", preview)

    appointment = Appointment.objects.get(person__work_email="admin.import@nhs.net")
    history = appointment.history.get()
    assert history.history_change_reason == "Import of people and appointments from people.csv"
    assert history.history_user == world.lead


def test_the_admin_import_refuses_a_second_named_mso_by_line(client, world):
    client.force_login(world.lead)
    data = csv_bytes([PEOPLE_HEADERS, person_row("second@nhs.net", ods="RAL", role="MSO", start="2025-01-01")])

    response = admin_import(client, "officers_appointment", data)

    result = response.context["result"]
    (invalid,) = result.invalid_rows
    assert invalid.number == 2
    assert "already has an active named MSO" in invalid.field_specific_errors["Status"][0]
    assert "confirm_form" not in response.context
    assert not Person.objects.filter(work_email="second@nhs.net").exists()


def test_the_admin_import_refuses_a_file_that_is_not_what_it_says(client, world):
    client.force_login(world.lead)
    response = admin_import(client, "officers_person", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, name="people.csv")
    assert "The file is a PNG image" in response.content.decode()
    response = admin_import(client, "officers_person", csv_bytes([PEOPLE_HEADERS]), file_format="1")
    assert "The file holds CSV, not XLSX." in response.content.decode()


def test_the_admin_membership_import_refuses_a_second_chair(client, world):
    PersonFactory(work_email="new.chair@nhs.net")
    client.force_login(world.lead)
    data = csv_bytes([MEMBERSHIP_HEADERS, ["new.chair@nhs.net", "london", "Chair", "2025-01-06", ""]])

    response = admin_import(client, "networks_membership", data, name="members.csv")

    (invalid,) = response.context["result"].invalid_rows
    assert "already has a chair" in invalid.field_specific_errors["Role"][0]
    assert not Membership.objects.filter(person__work_email="new.chair@nhs.net").exists()


def test_the_admin_export_of_people_writes_formula_like_cells_as_text(client, world):
    PersonFactory(work_email="formula@nhs.net", job_title="=1+1", phone="+44 20 7946 0000")
    client.force_login(world.lead)
    fields = {f"peopleresource_{name}": "on" for name in PeopleResource.fields}

    response = client.post(reverse("admin:officers_person_export"), {"format": CSV_FORMAT, "resource": "0", **fields})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Work email", "First name", "Last name"]
    row = next(row for row in rows if row[0] == "formula@nhs.net")
    assert row[rows[0].index("Job title")] == "'=1+1"
    assert row[rows[0].index("Work telephone")] == "'+44 20 7946 0000"


def test_the_admin_export_of_memberships_lists_the_chosen_columns(client, world):
    client.force_login(world.lead)
    response = client.post(
        reverse("admin:networks_membership_export"),
        {
            "format": CSV_FORMAT,
            "resource": "0",
            "membershipresource_work_email": "on",
            "membershipresource_network": "on",
        },
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Work email", "Network"]
    assert ["chair.a@nhs.net", "london"] in rows
    assert len(MembershipResource.fields) == len(MEMBERSHIP_HEADERS) + 2  # with the two columns only exported


def test_only_the_national_lead_may_import_in_the_admin(client, world):
    world.no_role.is_staff = True
    world.no_role.save()
    client.force_login(world.no_role)
    assert client.get(reverse("admin:officers_person_import")).status_code == 403
