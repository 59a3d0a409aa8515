"""A preview reports every error of every row at once, with the counts of what the good rows would
write beside them; the confirm button says what it imports, in plain English."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imports.models import ImportJob, ImportRow
from msonet.reports import import_button_text
from msonet.uploads import Table
from officers.imports import people_import
from officers.models import Appointment, Person
from organisations.models import Organisation
from tests.factories import PersonFactory
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, ods_row, person_row

pytestmark = pytest.mark.django_db


def upload(client, dataset, data, name="people.csv", **fields):
    return client.post(
        reverse("imports:upload", args=[dataset]), {"file": SimpleUploadedFile(name, data), **fields}, follow=True
    )


def people_file_with_a_bad_date_and_a_named_mso_clash(world):
    """Line 2: a bad start date; line 5: a second named MSO for RAL, whose MSO is Amina Okafor;
    lines 3 and 4 are good (a new deputy, and a change to a person's job title)."""
    PersonFactory(work_email="changes@nhs.net", first_name="Sam", last_name="Lee", job_title="Pharmacist", phone="")
    return [
        PEOPLE_HEADERS,
        person_row("bad.date@nhs.net", ods="R0A", role="Deputy MSO", start="2025-02-30"),
        person_row("new.deputy@nhs.net", "Ola", "Ade", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        person_row("changes@nhs.net", "Sam", "Lee", job_title="Lead pharmacist"),
        person_row("second.mso@nhs.net", "Rui", "Costa", ods="RAL", role="MSO", status="Active", start="2025-03-01"),
    ]


def test_a_preview_lists_a_bad_date_and_a_named_mso_clash_further_down_together(client, world):
    rows = people_file_with_a_bad_date_and_a_named_mso_clash(world)
    client.force_login(world.lead)
    people_before, appointments_before = Person.objects.count(), Appointment.objects.count()

    response = upload(client, "people", csv_bytes(rows))

    job = ImportJob.objects.latest("pk")
    assert job.status == ImportJob.Status.INVALID
    errors = {(row.line, row.column): row.message for row in job.rows.filter(kind=ImportRow.Kind.ERROR)}
    assert set(errors) == {(2, "Start date"), (5, "Status")}
    assert "is not a date" in errors[2, "Start date"]
    assert "already has an active named MSO, Amina Okafor (mso.a@nhs.net)" in errors[5, "Status"]
    # The good rows are counted beside the errors: a new deputy and a changed job title.
    assert (job.new_count, job.changed_count, job.unchanged_count, job.error_count) == (1, 1, 0, 2)
    page = response.content.decode()
    assert "is not a date" in page and "already has an active named MSO" in page
    assert "Nothing has been saved" in page
    assert f"imports/jobs/{job.pk}/confirm/" not in page
    assert (Person.objects.count(), Appointment.objects.count()) == (people_before, appointments_before)
    assert "Every row was checked" in page


def test_the_rows_without_an_error_are_listed_beside_the_errors(client, world):
    client.force_login(world.lead)
    upload(client, "people", csv_bytes(people_file_with_a_bad_date_and_a_named_mso_clash(world)))
    job = ImportJob.objects.latest("pk")

    new_page = client.get(job.get_absolute_url(), {"show": "new"}).content.decode()
    changed_page = client.get(job.get_absolute_url(), {"show": "changed"}).content.decode()

    assert "new person: Ola Ade" in new_page
    assert "bad.date@nhs.net" not in new_page and "second.mso@nhs.net" not in new_page
    assert "<strong>Job title</strong>: from “Pharmacist” to “Lead pharmacist”" in changed_page


def test_confirming_a_file_with_errors_is_refused_and_writes_nothing(client, world):
    client.force_login(world.lead)
    upload(client, "people", csv_bytes(people_file_with_a_bad_date_and_a_named_mso_clash(world)))
    job = ImportJob.objects.latest("pk")

    response = client.post(reverse("imports:job-confirm", args=[job.pk]), follow=True)

    assert "cannot be confirmed: it is" in response.content.decode()
    assert not Person.objects.filter(work_email="new.deputy@nhs.net").exists()
    assert Person.objects.get(work_email="changes@nhs.net").job_title == "Pharmacist"


def test_an_organisations_preview_counts_the_good_rows_beside_a_bad_one(client, world):
    rows = [ods_row("RXA", "FIRST TRUST"), ods_row("rx b", "BAD CODE TRUST"), ods_row("RAL", "ROYAL FREE RENAMED")]
    client.force_login(world.lead)

    upload(client, "organisations", csv_bytes(rows), name="etr.csv", ods_kind="trusts")

    job = ImportJob.objects.latest("pk")
    assert job.status == ImportJob.Status.INVALID
    assert [row.line for row in job.rows.filter(kind=ImportRow.Kind.ERROR)] == [2]
    assert (job.new_count, job.changed_count, job.error_count) == (1, 1, 1)
    assert list(job.rows.filter(kind=ImportRow.Kind.NEW).values_list("key", flat=True)) == ["RXA"]
    assert not Organisation.objects.filter(ods_code="RXA").exists()
    assert Organisation.objects.get(ods_code="RAL").name == "Royal Free London NHS Foundation Trust"


def test_a_preview_with_errors_runs_the_same_queries_for_few_and_many_rows(world, django_assert_max_num_queries):
    def rows(count):
        # Every other row has a bad date; the rest are new deputies; one named-MSO clash.
        made = [
            person_row(
                f"person{number}@nhs.net",
                ods="R0A",
                role="Deputy MSO",
                start="2025-02-30" if number % 2 else "2025-01-01",
            )
            for number in range(count)
        ]
        made.append(person_row("second.mso@nhs.net", ods="RAL", role="MSO", start="2025-03-01"))
        return Table(headers=PEOPLE_HEADERS, rows=[(line, row) for line, row in enumerate(made, start=2)])

    with CaptureQueriesContext(connection) as few:
        small = people_import(table=rows(4), file_name="people.csv")
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = people_import(table=rows(200), file_name="people.csv")
    assert (small.error_rows, small.new) == (3, 2)
    assert (large.error_rows, large.new) == (101, 100)


# The confirm button


@pytest.mark.parametrize(
    ("new", "changed", "text"),
    [
        (1, 0, "Import 1 new row"),
        (2, 0, "Import 2 new rows"),
        (0, 1, "Import 1 changed row"),
        (0, 3, "Import 3 changed rows"),
        (1, 1, "Import 1 new and 1 changed rows"),
        (2, 1, "Import 2 new and 1 changed rows"),
        (1200, 0, "Import 1,200 new rows"),
        (0, 0, ""),
    ],
)
def test_the_confirm_button_says_what_it_imports_leaving_out_a_zero(new, changed, text):
    assert import_button_text(new=new, changed=changed) == text


def test_the_import_page_offers_one_new_row_in_the_singular(client, world):
    rows = [PEOPLE_HEADERS, person_row("one.new@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01")]
    client.force_login(world.lead)

    page = upload(client, "people", csv_bytes(rows)).content.decode()

    assert ">Import 1 new row</button>" in page


def test_the_import_page_leaves_out_no_new_rows_from_its_button(client, world):
    for email in ("a@nhs.net", "b@nhs.net", "c@nhs.net"):
        PersonFactory(work_email=email, first_name="Alex", last_name="Morgan", job_title="Pharmacist", phone="")
    rows = [PEOPLE_HEADERS, *(person_row(email) for email in ("a@nhs.net", "b@nhs.net", "c@nhs.net"))]
    client.force_login(world.lead)

    page = upload(client, "people", csv_bytes(rows)).content.decode()

    assert ">Import 3 changed rows</button>" in page


def test_a_preview_with_errors_offers_no_confirm_button_even_with_good_rows(client, world):
    client.force_login(world.lead)
    page = upload(client, "people", csv_bytes(people_file_with_a_bad_date_and_a_named_mso_clash(world))).content
    assert b"Import 1 new and 1 changed rows" not in page


# The admin's import screen


def admin_import(client, model, data, name="people.csv"):
    return client.post(
        reverse(f"admin:{model}_import"),
        {"import_file": SimpleUploadedFile(name, data), "format": "0", "resource": "0"},
    )


def test_the_admin_lists_every_error_with_the_counts_of_the_good_rows(client, world):
    client.force_login(world.lead)

    response = admin_import(
        client, "officers_person", csv_bytes(people_file_with_a_bad_date_and_a_named_mso_clash(world))
    )

    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2, 5]
    assert "confirm_form" not in response.context
    assert "Rows without an error: 1 new, 1 changed, 0 unchanged." in " ".join(response.content.decode().split())


def test_the_admin_confirm_button_says_what_it_imports(client, world):
    client.force_login(world.lead)
    data = csv_bytes(
        [PEOPLE_HEADERS, person_row("admin.new@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01")]
    )

    response = admin_import(client, "officers_person", data)

    assert 'value="Import 1 new row"' in response.content.decode()
