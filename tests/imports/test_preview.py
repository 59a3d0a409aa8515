"""A preview reports every error of every row at once, with the counts of what the good rows would
write beside them; the confirm button says what it imports, in plain English."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob, ImportRow
from officers.models import Appointment, Person
from tests.factories import PersonFactory
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, person_row

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
