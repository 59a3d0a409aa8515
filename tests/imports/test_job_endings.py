"""Every import and export job ends: a check or import that raises, runs out of time, loses its
worker or is never delivered ends "failed" with a message the lead can read; the lead can cancel
any job not finished, and a task that runs after the cancellation changes nothing."""

import datetime
import threading

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from imports import services, tasks
from imports.models import ExportJob, ImportJob
from officers.models import Person
from tests.factories import ImportJobFactory
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, person_row

pytestmark = pytest.mark.django_db

STALE_AFTER = 20 * 60  # IMPORT_JOB_STALE_AFTER's default: longer than the tasks' 15-minute limit


def people_file(count: int = 3) -> bytes:
    return csv_bytes([PEOPLE_HEADERS] + [person_row(f"ending{n}@nhs.net", f"First{n}", "Last") for n in range(count)])


def background_job(status=ImportJob.Status.QUEUED, **kwargs) -> ImportJob:
    data = people_file()
    return ImportJobFactory(status=status, in_background=True, data=data, file_size=len(data), rows_total=3, **kwargs)


def job_page(client, job) -> str:
    return client.get(job.get_absolute_url()).content.decode()


@pytest.fixture
def lead_client(client, world):
    client.force_login(world.lead)
    return client


# A check or import that raises


def test_a_check_that_raises_ends_failed_with_a_message_on_its_page(lead_client, world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the importer broke")

    monkeypatch.setattr(services, "people_import", broken)
    job = background_job(user=world.lead)

    assert tasks.check_import.delay(job.pk).get() == ImportJob.Status.FAILED

    job.refresh_from_db()
    assert (job.status, job.message, bytes(job.data)) == (ImportJob.Status.FAILED, services.STOPPED, b"")
    page = job_page(lead_client, job)
    assert "Not imported" in page
    assert "The job stopped with an unexpected error. Nothing was imported" in page
    assert 'http-equiv="refresh"' not in page


def test_a_small_file_whose_check_raises_in_the_request_ends_failed_too(lead_client, world, monkeypatch):
    def broken(**kwargs):
        raise MemoryError

    monkeypatch.setattr(services, "people_import", broken)
    response = lead_client.post(
        reverse("imports:upload", args=["people"]),
        {"file": SimpleUploadedFile("people.csv", people_file())},
    )
    job = ImportJob.objects.get()
    assert response.url == job.get_absolute_url()
    assert (job.in_background, job.status, job.message) == (False, ImportJob.Status.FAILED, services.STOPPED)


def test_a_check_past_its_time_limit_ends_failed_saying_so(lead_client, world, monkeypatch):
    def slow(**kwargs):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(services, "people_import", slow)
    job = background_job(user=world.lead)

    tasks.check_import.delay(job.pk).get()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("The job took longer than the 14 minutes it may run, and was stopped.")
    assert "may need to be split into smaller files" in job_page(lead_client, job)


def test_an_import_that_raises_ends_failed_and_writes_nothing(world, monkeypatch):
    job = background_job(ImportJob.Status.IMPORT_QUEUED, user=world.lead, imported_by=world.lead)
    real = services.people_import

    def breaks_after_writing(**kwargs):
        real(**kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "people_import", breaks_after_writing)

    assert tasks.run_import.delay(job.pk).get() == ImportJob.Status.FAILED

    job.refresh_from_db()
    assert (job.status, job.message) == (ImportJob.Status.FAILED, services.STOPPED)
    assert not Person.objects.filter(work_email__startswith="ending").exists()


# A worker killed, a task never delivered


def test_a_job_left_checking_past_the_stale_limit_is_failed_when_its_page_is_shown(lead_client, world):
    start = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        job = background_job(ImportJob.Status.CHECKING, user=world.lead)
        lead_client.force_login(world.lead)

        traveller.shift(datetime.timedelta(seconds=STALE_AFTER - 60))
        assert "Being checked" in job_page(lead_client, job)  # within the limit a task may still be running

        traveller.shift(datetime.timedelta(seconds=120))
        page = job_page(lead_client, job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "The check stopped without finishing" in job.message
    assert "Not imported" in page
    assert "The check stopped without finishing: the background worker running it ended" in page
    assert 'http-equiv="refresh"' not in page


def test_beat_marks_stopped_jobs_failed_by_the_step_they_were_at(world):
    start = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        never_delivered = background_job(ImportJob.Status.QUEUED, user=world.lead)
        killed = background_job(ImportJob.Status.IMPORTING, user=world.lead, imported_by=world.lead)
        export = ExportJob.objects.create(
            user=world.lead, dataset="people", file_format="csv", in_background=True, status="running"
        )
        fresh_at = start + datetime.timedelta(seconds=STALE_AFTER)
        traveller.move_to(fresh_at)
        fresh = background_job(ImportJob.Status.CHECKING, user=world.lead)
        traveller.shift(datetime.timedelta(seconds=1))

        assert tasks.fail_stale_jobs.delay().get() == "imports=2 exports=1"

    never_delivered.refresh_from_db()
    assert never_delivered.status == ImportJob.Status.FAILED
    assert never_delivered.message.startswith("The check never started: no background worker took it up within 20")
    killed.refresh_from_db()
    assert killed.status == ImportJob.Status.FAILED
    assert "Nothing was imported, as an import saves every row or none" in killed.message
    export.refresh_from_db()
    assert (export.status, export.message) == (
        ExportJob.Status.FAILED,
        services.EXPORT_STALE.format(minutes=20),
    )
    fresh.refresh_from_db()
    assert fresh.status == ImportJob.Status.CHECKING


def test_the_command_marks_stopped_jobs_failed_and_prints_how_many(world, capsys):
    with time_machine.travel(datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        background_job(ImportJob.Status.QUEUED, user=world.lead)
        traveller.shift(datetime.timedelta(seconds=STALE_AFTER + 1))
        call_command("fail_stale_jobs")
    assert capsys.readouterr().out.strip() == "imports=1 exports=0"


def test_a_check_delivered_again_after_its_worker_was_killed_is_failed_not_run_again(world, monkeypatch):
    """A file that kills its worker (out of memory) would otherwise kill one worker after another."""
    job = background_job(ImportJob.Status.CHECKING, user=world.lead)  # the first worker died here
    monkeypatch.setattr(services, "people_import", lambda **kwargs: pytest.fail("the check ran again"))

    assert tasks.check_import.delay(job.pk).get() == ImportJob.Status.FAILED

    job.refresh_from_db()
    assert job.message.startswith("The check stopped without finishing")


def test_the_stale_job_check_is_on_the_beat_schedule_every_five_minutes(settings):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.fail_stale_jobs.name]
    assert entry["schedule"] == 5 * 60


def test_the_stale_limit_must_be_longer_than_the_tasks_time_limit(settings):
    assert settings.IMPORT_JOB_STALE_AFTER > settings.CELERY_TASK_TIME_LIMIT
    assert tasks.check_import.time_limit == settings.CELERY_TASK_TIME_LIMIT


# Cancelling


@pytest.mark.parametrize("status", [ImportJob.Status.QUEUED, ImportJob.Status.IMPORT_QUEUED])
def test_a_cancelled_waiting_job_s_task_does_nothing_when_it_runs(lead_client, world, status):
    job = background_job(status, user=world.lead, imported_by=world.lead)

    response = lead_client.post(reverse("imports:job-cancel", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, bytes(job.data)) == (ImportJob.Status.CANCELLED, b"")
    assert job.message == f"Cancelled by {world.lead.get_full_name()}; nothing was imported."
    task = tasks.check_import if status == ImportJob.Status.QUEUED else tasks.run_import
    assert task.delay(job.pk).get() == ImportJob.Status.CANCELLED
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not job.rows.exists()
    assert not Person.objects.filter(work_email__startswith="ending").exists()


def test_a_check_cancelled_while_it_runs_stops_and_stores_no_preview(world, monkeypatch, settings):
    job = background_job(user=world.lead)
    real = services.people_import

    def cancelled_meanwhile(**kwargs):
        services.import_job_cancel(job_id=job.pk, user=world.lead)  # the lead, from another browser
        return real(**kwargs)

    monkeypatch.setattr(services, "people_import", cancelled_meanwhile)

    assert tasks.check_import.delay(job.pk).get() == ImportJob.Status.CANCELLED

    job.refresh_from_db()
    assert (job.status, job.new_count, job.checked_at) == (ImportJob.Status.CANCELLED, 0, None)
    assert not job.rows.exists()


def test_a_check_cancelled_while_it_reads_stops_at_its_next_batch_of_rows(world, monkeypatch):
    job = background_job(user=world.lead)
    monkeypatch.setattr(services, "people_import", lambda **kwargs: pytest.fail("the check went on"))
    progress = services._progress(job, ImportJob.Status.CHECKING)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CANCELLED)

    with pytest.raises(services.JobStopped):
        progress(1000)


def test_the_page_of_a_running_check_offers_to_cancel_it(lead_client, world):
    job = background_job(ImportJob.Status.CHECKING, user=world.lead)
    page = job_page(lead_client, job)
    assert reverse("imports:job-cancel", args=[job.pk]) in page
    assert "Cancel this check" in page

    lead_client.post(reverse("imports:job-cancel", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert tasks.check_import.delay(job.pk).get() == ImportJob.Status.CANCELLED
    page = job_page(lead_client, job)
    assert "Cancelled" in page
    assert "cancelled before its check finished" in page


def test_a_finished_import_cannot_be_cancelled(lead_client, world):
    job = ImportJobFactory(user=world.lead, status=ImportJob.Status.IMPORTED, data=b"")
    response = lead_client.post(reverse("imports:job-cancel", args=[job.pk]), follow=True)
    assert "This import cannot be cancelled: it is imported." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED


def queued_export(world) -> ExportJob:
    return ExportJob.objects.create(
        user=world.lead, dataset="people", file_format="csv", in_background=True, rows_total=2
    )


def test_a_cancelled_export_s_task_does_nothing_when_it_runs(lead_client, world):
    job = queued_export(world)
    page = lead_client.get(job.get_absolute_url()).content.decode()
    assert reverse("imports:export-cancel", args=[job.pk]) in page

    response = lead_client.post(reverse("imports:export-cancel", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ExportJob.Status.CANCELLED
    assert tasks.run_export.delay(job.pk).get() == ExportJob.Status.CANCELLED
    job.refresh_from_db()
    assert (job.status, bytes(job.data)) == (ExportJob.Status.CANCELLED, b"")
    assert "The export was cancelled." in lead_client.get(job.get_absolute_url()).content.decode()
    assert lead_client.get(reverse("imports:export-download", args=[job.pk])).status_code == 404


def test_an_export_cancelled_while_it_is_written_stops_and_keeps_no_file(world, monkeypatch):
    job = queued_export(world)

    def write(job, progress):
        services.export_job_cancel(job_id=job.pk)
        progress(1000)
        return b"never kept"

    monkeypatch.setattr(services, "_write_export", write)

    assert tasks.run_export.delay(job.pk).get() == ExportJob.Status.CANCELLED
    job.refresh_from_db()
    assert bytes(job.data) == b""


def test_an_export_that_raises_ends_failed_with_a_message_on_its_page(lead_client, world, monkeypatch):
    job = queued_export(world)

    def write(job, progress):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(services, "_write_export", write)

    assert tasks.run_export.delay(job.pk).get() == ExportJob.Status.FAILED
    page = lead_client.get(job.get_absolute_url()).content.decode()
    assert "The export took longer than the 14 minutes it may run, and was stopped." in page


def test_a_finished_export_cannot_be_cancelled(lead_client, world):
    job = ExportJob.objects.create(user=world.lead, dataset="people", file_format="csv", status="done", data=b"x")
    response = lead_client.post(reverse("imports:export-cancel", args=[job.pk]), follow=True)
    assert "This export cannot be cancelled: it is ready." in response.content.decode()


@pytest.mark.parametrize("who", ["mso", "chair_a", "no_role"])
def test_only_the_national_lead_can_cancel_a_job(client, world, who):
    job = background_job(ImportJob.Status.CHECKING, user=world.lead)
    export = queued_export(world)
    client.force_login(getattr(world, who))
    assert client.post(reverse("imports:job-cancel", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:export-cancel", args=[export.pk])).status_code == 404
    job.refresh_from_db()
    export.refresh_from_db()
    assert (job.status, export.status) == (ImportJob.Status.CHECKING, ExportJob.Status.QUEUED)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the cancel comes from another connection while the import writes"
)
@pytest.mark.django_db(transaction=True)
def test_an_import_cancelled_while_it_writes_rolls_back_everything(world, monkeypatch):
    job = background_job(ImportJob.Status.IMPORT_QUEUED, user=world.lead, imported_by=world.lead)
    real = services.people_import

    def cancelled_while_writing(**kwargs):
        report = real(**kwargs)  # the rows are written, in the import's transaction
        assert Person.objects.filter(work_email__startswith="ending").count() == 3

        def cancel():  # the lead's cancel, a request of its own: not kept waiting by the import
            try:
                services.import_job_cancel(job_id=job.pk, user=world.lead)
            finally:
                connections.close_all()

        thread = threading.Thread(target=cancel)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive()
        return report

    monkeypatch.setattr(services, "people_import", cancelled_while_writing)

    assert tasks.run_import.delay(job.pk).get() == ImportJob.Status.CANCELLED
    assert not Person.objects.filter(work_email__startswith="ending").exists()
    job.refresh_from_db()
    assert (job.status, job.imported_at) == (ImportJob.Status.CANCELLED, None)
