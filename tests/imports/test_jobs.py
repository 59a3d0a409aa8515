"""Import and export jobs: large files through Celery tasks with their progress, who may see the pages,
and constant queries on the list and job pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imports import tasks
from imports.models import ExportJob, ImportJob, ImportRow
from officers.models import Appointment, Person
from tests.factories import ImportJobFactory, ImportRowFactory
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, person_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def upload(client, data, name="people.csv", dataset="people"):
    return client.post(reverse("imports:upload", args=[dataset]), {"file": SimpleUploadedFile(name, data)})


def many_people(count: int) -> list[list]:
    return [PEOPLE_HEADERS] + [
        person_row(f"bulk{n}@nhs.net", f"First{n}", f"Last{n}", ods="RAL", role="Team member", start="2025-01-01")
        for n in range(count)
    ]


# The Celery path


def test_a_large_file_is_checked_then_imported_by_celery_tasks_reporting_progress(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 1000
    client.force_login(world.lead)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(client, xlsx_bytes(many_people(2500)), name="bulk.xlsx")
    job = ImportJob.objects.get()
    assert response.url == job.get_absolute_url()
    assert (job.in_background, job.status, job.rows_total) == (True, ImportJob.Status.QUEUED, 2500)
    assert len(queued) == 1  # the check is queued when the upload's transaction commits
    waiting = client.get(job.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert "Waiting to start." in waiting

    with CaptureQueriesContext(connection) as queries:
        queued[0]()  # the worker runs the check (eagerly in the tests)
    progress = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "imports_importjob" SET "rows_done"')]
    assert len(progress) >= 2  # rows read reported every 1,000 rows while the check runs
    job.refresh_from_db()
    assert (job.status, job.new_count, job.rows_done) == (ImportJob.Status.READY, 2500, 2500)
    assert Person.objects.filter(work_email__startswith="bulk").count() == 0

    with django_capture_on_commit_callbacks(execute=True) as queued:
        client.post(reverse("imports:job-confirm", args=[job.pk]))
    assert len(queued) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED
    assert Appointment.objects.filter(person__work_email__startswith="bulk").count() == 2500

    # The task is safe to run twice: the job is imported once.
    assert tasks.run_import.delay(job.pk).get() == ImportJob.Status.IMPORTED
    assert Person.objects.filter(work_email__startswith="bulk").count() == 2500


def test_a_running_job_shows_its_progress_and_refreshes(client, world):
    job = ImportJobFactory(user=world.lead, status=ImportJob.Status.CHECKING, rows_total=2500, rows_done=1200)
    client.force_login(world.lead)
    page = client.get(job.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "1,200 of about 2,500 rows read (48%)." in page
    assert '<progress id="job-progress" max="100" value="48">' in page
    job.rows_done = 2500
    job.save()
    assert (
        "All 2,500 rows read; now checking them against the records."
        in client.get(job.get_absolute_url()).content.decode()
    )
    job.status = ImportJob.Status.READY
    job.save()
    assert 'http-equiv="refresh"' not in client.get(job.get_absolute_url()).content.decode()


def test_a_small_file_is_checked_in_the_request(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        upload(client, csv_bytes(many_people(3)))
    job = ImportJob.objects.get()
    assert (job.in_background, job.status, job.new_count, queued) == (False, ImportJob.Status.READY, 3, [])


def test_a_large_export_is_written_by_a_task_and_downloaded_from_its_page(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(world.lead)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(reverse("imports:export", args=["people", "csv"]))

    job = ExportJob.objects.get()
    assert response.url == job.get_absolute_url()
    assert len(queued) == 1
    assert (job.status, job.in_background, job.rows_done) == (ExportJob.Status.DONE, True, job.rows_total)
    page = client.get(job.get_absolute_url()).content.decode()
    assert reverse("imports:export-download", args=[job.pk]) in page
    download = client.get(reverse("imports:export-download", args=[job.pk]))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert b"mso.a@nhs.net" in download.content
    assert tasks.run_export.delay(job.pk).get() == ExportJob.Status.DONE


def test_a_queued_export_shows_its_progress(client, world):
    job = ExportJob.objects.create(
        user=world.lead,
        dataset="people",
        file_format="xlsx",
        in_background=True,
        status="running",
        rows_total=40000,
        rows_done=10000,
    )
    client.force_login(world.lead)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "10,000 of 40,000 rows written (25%)." in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert client.get(reverse("imports:export-download", args=[job.pk])).status_code == 404


# Who may see the pages


def lead_pages(world):
    job = ImportJobFactory(user=world.lead)
    export = ExportJob.objects.create(
        user=world.lead, dataset="people", file_format="csv", status="done", data=b"x", in_background=True
    )
    return [
        ("get", reverse("imports:index")),
        ("get", reverse("imports:upload", args=["people"])),
        ("post", reverse("imports:upload", args=["people"])),
        ("get", reverse("imports:job", args=[job.pk])),
        ("post", reverse("imports:job-confirm", args=[job.pk])),
        ("post", reverse("imports:job-cancel", args=[job.pk])),
        ("post", reverse("imports:export", args=["people", "csv"])),
        ("get", reverse("imports:export-job", args=[export.pk])),
        ("get", reverse("imports:export-download", args=[export.pk])),
    ]


@pytest.mark.parametrize("who", ["mso", "chair_a", "no_role"])
def test_import_and_export_pages_are_not_found_for_anyone_but_the_national_lead(client, world, who):
    pages = lead_pages(world)
    client.force_login(getattr(world, who))
    for method, url in pages:
        assert getattr(client, method)(url).status_code == 404, url
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.READY  # nothing was confirmed or cancelled
    assert not Person.objects.filter(work_email="factory@nhs.net").exists()
    assert ExportJob.objects.count() == 1


def test_import_and_export_pages_ask_visitors_to_sign_in(client, world):
    for method, url in lead_pages(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def test_the_national_lead_sees_every_page(client, world):
    client.force_login(world.lead)
    for method, url in lead_pages(world):
        assert getattr(client, method)(url).status_code in (200, 302), url


def test_unknown_datasets_and_formats_are_not_found(client, world):
    client.force_login(world.lead)
    assert client.get(reverse("imports:upload", args=["committees"])).status_code == 404
    assert client.post(reverse("imports:export", args=["people", "ods"])).status_code == 404
    assert client.post(reverse("imports:export", args=["flags", "csv"])).status_code == 404


# Constant queries


def test_the_job_page_runs_the_same_queries_for_few_and_many_rows(client, world, django_assert_max_num_queries):
    small = ImportJobFactory(user=world.lead, changed_count=3)
    ImportRowFactory.create_batch(3, job=small)
    large = ImportJobFactory(user=world.lead, changed_count=120)
    ImportRowFactory.create_batch(120, job=large)
    ImportRowFactory.create_batch(30, job=large, kind=ImportRow.Kind.NEW)
    client.force_login(world.lead)
    for job in (small, large):
        for show in ("changed", "new", "errors"):
            with django_assert_max_num_queries(9):
                response = client.get(job.get_absolute_url(), {"show": show, "page": 2})
            assert response.status_code == 200


def test_the_list_of_imports_runs_the_same_queries_for_few_and_many_jobs(client, world, django_assert_max_num_queries):
    client.force_login(world.lead)
    ImportJobFactory.create_batch(2, user=world.lead)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("imports:index")).status_code == 200
    ImportJobFactory.create_batch(40, user=world.lead)
    for _ in range(12):
        ExportJob.objects.create(user=world.lead, dataset="people", file_format="csv", status="done")
    with django_assert_max_num_queries(9):
        response = client.get(reverse("imports:index"), {"page": 2})
    assert response.status_code == 200
    assert response.content.decode().count('class="nhsuk-link app-break-word" href="/imports/jobs/') == 20
