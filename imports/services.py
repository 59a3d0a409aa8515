"""Import and export jobs: upload, check (the preview), confirm, import; export to CSV or XLSX.

An import is checked first: the file is read and every row checked against the same rules the
forms, the admin and the database apply, and nothing is written (the dry run). The lead sees the
preview and confirms; the import then runs the same checks again and writes every row in one
transaction, or nothing when any row is bad (the records may have changed since the preview).
A file of more than settings.IMPORT_BACKGROUND_ROWS rows is checked and imported by a Celery task,
queued when the transaction that created the job commits, and shows its progress on the job's
page; a smaller one runs in the request. Running a check or an import twice changes nothing more:
a job goes through each step once, and an import of rows already imported finds them unchanged.

Every job ends: done, failed with a message the lead can read, or cancelled. A check or import that
raises (a time limit included) is marked failed at once. One whose worker was killed, or whose task
the broker never delivered, stops moving: once its `heartbeat_at` is settings.IMPORT_JOB_STALE_AFTER
seconds old (longer than a task may run) jobs_fail_stale, run by beat and whenever the job's page is
shown, marks it failed; and a task delivered again for a job its first delivery had started marks
the job failed rather than run it again (a file that kills its worker would do so for ever). The
lead can cancel any job not finished; its task, running or yet to run, sees the cancellation at its
next batch of rows or at its end and changes nothing (an import rolls back everything it wrote).
"""

import csv
import io
import json
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from msonet import uploads
from msonet.bulk import without_cycle_collection
from msonet.reports import ImportReport
from msonet.spreadsheets import write_table
from networks.imports import memberships_import
from officers.imports import people_import
from organisations.ods import KINDS, workbook_rows
from organisations.services import ods_import

from .datasets import DATASETS
from .models import Dataset, ExportJob, ImportJob, ImportRow

logger = logging.getLogger(__name__)

ROW_BATCH_SIZE = 2000
NOT_STARTED = (
    "The background job could not be started because the task queue is not answering. Nothing was "
    "changed; try again in a few minutes."
)
STOPPED = "The job stopped with an unexpected error. Nothing was imported; the error has been logged."
TIMED_OUT = (
    "The job took longer than the {minutes} minutes it may run, and was stopped. Nothing was imported. "
    "A file this large may need to be split into smaller files."
)
# A job that stopped moving (see the module's docstring), by the step it was at.
STALE = {
    ImportJob.Status.QUEUED: (
        "The check never started: no background worker took it up within {minutes} minutes. Nothing was "
        "imported; upload the file again, and tell the service desk if this happens again."
    ),
    ImportJob.Status.CHECKING: (
        "The check stopped without finishing: the background worker running it ended (it may have run out "
        "of memory, or been restarted). Nothing was imported; upload the file again, or split it into "
        "smaller files."
    ),
    ImportJob.Status.IMPORT_QUEUED: (
        "The import never started: no background worker took it up within {minutes} minutes. Nothing was "
        "imported; upload the file again, and tell the service desk if this happens again."
    ),
    ImportJob.Status.IMPORTING: (
        "The import stopped without finishing: the background worker running it ended (it may have run out "
        "of memory, or been restarted). Nothing was imported, as an import saves every row or none; upload "
        "the file again."
    ),
}
EXPORT_STOPPED = "The export stopped with an unexpected error; the error has been logged. Try again."
EXPORT_TIMED_OUT = "The export took longer than the {minutes} minutes it may run, and was stopped. Try again."
EXPORT_STALE = (
    "The export did not finish: the background worker writing it ended, or none took it up within "
    "{minutes} minutes. Try again."
)
CANCELLED = "Cancelled by {name}; nothing was imported."


class ImportJobError(Exception):
    """The job cannot take this step (already confirmed, cancelled...); the message says why."""


class JobStopped(Exception):
    """The job was cancelled, or marked failed, while its task ran: the task stops, changing nothing."""


def _minutes(seconds: int) -> int:
    return max(1, round(seconds / 60))


def _failure_message(exc: BaseException, message: str, timed_out: str = TIMED_OUT) -> str:
    """What the lead reads about a job that raised: `timed_out` for the tasks' soft time limit."""
    if isinstance(exc, SoftTimeLimitExceeded):
        return timed_out.format(minutes=_minutes(settings.CELERY_TASK_SOFT_TIME_LIMIT))
    return message


def import_job_create(
    *,
    user,
    dataset: str,
    file_name: str,
    file_format: str,
    data: bytes,
    ods_kind: str = "",
    rows_total: int | None = None,
    table: bytes = b"",
) -> ImportJob:
    """Store an uploaded file (already read through by the upload form: msonet.uploads, within its
    limits) and check it: now for a small file, in the background for a large one. `rows_total` is
    the number of rows the form read; without it, they are counted here. `table` is a workbook's
    rows as the form read them (ReadUpload.table), which the check and the import read instead of
    parsing the workbook again."""
    if dataset == Dataset.ORGANISATIONS and not ods_kind:
        raise ValueError("An organisations import needs the kind of ODS file.")
    if rows_total is None:
        try:
            rows_total = uploads.count_rows(data, file_format, uploads.import_limits())
        except uploads.UploadRefused:
            rows_total = 0  # the check says what is wrong with it
    job = ImportJob.objects.create(
        user=user,
        dataset=dataset,
        ods_kind=ods_kind if dataset == Dataset.ORGANISATIONS else "",
        file_name=file_name[:255],
        file_format=file_format,
        file_size=len(data),
        data=data,
        table=table,
        rows_total=rows_total,
        in_background=rows_total > settings.IMPORT_BACKGROUND_ROWS,
    )
    if job.in_background:
        _queue("check", job.pk)
    else:
        import_job_check(job_id=job.pk)
        job.refresh_from_db()
    return job


@without_cycle_collection()
def import_job_check(*, job_id: int) -> ImportJob | None:
    """The dry run: check every row and store the preview (or the errors). Does nothing unless the
    job is waiting to be checked; a job found being checked was started by a task that stopped, and
    is marked failed. An error (a time limit included) marks the job failed with a message; a job
    cancelled meanwhile is left as it is."""
    job = _take_up(job_id, waiting=ImportJob.Status.QUEUED, running=ImportJob.Status.CHECKING)
    if job is None or job.status != ImportJob.Status.CHECKING:
        return job
    try:
        report = _run(job, dry_run=True, progress=_progress(job, ImportJob.Status.CHECKING))
    except JobStopped:
        return ImportJob.objects.defer("data", "table").get(pk=job.pk)
    except Exception as exc:
        logger.exception("The check of import job %s stopped.", job.pk)
        import_job_fail(job_id=job.pk, message=_failure_message(exc, STOPPED))
        return ImportJob.objects.defer("data", "table").get(pk=job.pk)
    with transaction.atomic():
        if not ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportJob.Status.CHECKING).exists():
            return ImportJob.objects.defer("data", "table").get(pk=job.pk)  # cancelled, or marked failed, meanwhile
        job.heartbeat_at = timezone.now()
        _store_report(job, report)
        job.status = ImportJob.Status.INVALID if report.errors else ImportJob.Status.READY
        job.checked_at = timezone.now()
        job.rows_done = job.rows_total
        fields = [*REPORT_FIELDS, "status", "checked_at", "rows_done", "heartbeat_at"]
        if report.errors:
            job.data = job.table = b""  # a file with errors cannot be imported; it is not kept
            fields += ["data", "table"]
        job.save(update_fields=fields)
    return job


def import_job_confirm(*, job_id: int, user) -> ImportJob:
    """The lead confirms the preview: the import runs now, or is queued for a large file."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.READY:
            raise ImportJobError(f"This import cannot be confirmed: it is {job.get_status_display().lower()}.")
        job.status = ImportJob.Status.IMPORT_QUEUED
        job.imported_by = user
        job.message = ""
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "imported_by", "message", "heartbeat_at"])
        if job.in_background:
            _queue("import", job.pk)
    if not job.in_background:
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job


@without_cycle_collection()
def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a confirmed file: every row, and the job's result, in one transaction, or nothing if
    any row is now bad. Does nothing unless the job was confirmed; a job found being imported was
    started by a task that stopped (its transaction rolled back), and is marked failed. An error (a
    time limit included) marks the job failed; a job cancelled meanwhile rolls back what it wrote."""
    job = _take_up(job_id, waiting=ImportJob.Status.IMPORT_QUEUED, running=ImportJob.Status.IMPORTING)
    if job is None or job.status != ImportJob.Status.IMPORTING:
        return job
    try:
        with transaction.atomic():
            # The rows are written in this transaction, so the progress it would write could not be
            # seen until its end: it only looks for a cancellation, without locking the job.
            report = _run(job, dry_run=False, progress=_cancellation_check(job, ImportJob.Status.IMPORTING))
            _finish_import(job, report)
    except JobStopped:
        pass
    except Exception as exc:
        logger.exception("The import of import job %s stopped.", job.pk)
        import_job_fail(job_id=job.pk, message=_failure_message(exc, STOPPED))
    return ImportJob.objects.defer("data", "table").get(pk=job.pk)


def _finish_import(job: ImportJob, report: ImportReport) -> None:
    """Record the import's result, within its transaction; JobStopped (rolling it all back) when the
    job was cancelled, or marked failed, while it ran."""
    if not ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportJob.Status.IMPORTING).exists():
        raise JobStopped
    _store_report(job, report, keep_preview=True)
    if report.errors:
        job.status = ImportJob.Status.FAILED
        job.message = (
            "Nothing was imported: the file no longer passes the checks (the records changed after the "
            "preview). The errors are listed below."
        )
    else:
        job.status = ImportJob.Status.IMPORTED
        job.imported_at = timezone.now()
        job.data = job.table = b""  # the history keeps what changed; the file is not kept
    job.rows_done = job.rows_total
    job.heartbeat_at = timezone.now()
    job.save(
        update_fields=[*REPORT_FIELDS, "status", "message", "imported_at", "data", "table", "rows_done", "heartbeat_at"]
    )


def import_job_cancel(*, job_id: int, user=None) -> ImportJob:
    """Cancel a job not yet finished, whatever step it is at: its file is dropped, and a task still
    to run, or running, changes nothing (see the module's docstring)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if not job.can_cancel:
            raise ImportJobError(f"This import cannot be cancelled: it is {job.get_status_display().lower()}.")
        job.status = ImportJob.Status.CANCELLED
        job.data = job.table = b""
        job.message = CANCELLED.format(name=user.get_full_name() if user else "the national lead")
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "data", "table", "message", "heartbeat_at"])
    return job


def import_job_fail(*, job_id: int, message: str) -> None:
    """Mark a job whose task stopped (or never started) failed, with why, so its page stops
    waiting; its file is dropped. Does nothing to a job that has finished or was cancelled."""
    ImportJob.objects.filter(pk=job_id, status__in=ImportJob.UNFINISHED).update(
        status=ImportJob.Status.FAILED, message=message, data=b"", table=b"", heartbeat_at=timezone.now()
    )


def _import_job_unqueue(*, job_id: int, message: str) -> None:
    """A confirmed import whose task could not be queued goes back to waiting for confirmation."""
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.IMPORT_QUEUED).update(
        status=ImportJob.Status.READY, message=message, heartbeat_at=timezone.now()
    )


def jobs_fail_stale() -> tuple[int, int]:
    """Mark failed every import and export job that has stopped moving (ImportJob.objects.stale):
    its worker was killed, or its task never delivered. Returns (imports, exports) marked. Run by
    beat (imports.tasks.fail_stale_jobs), by the fail_stale_jobs command, and by a job's page."""
    minutes = _minutes(settings.IMPORT_JOB_STALE_AFTER)
    imports = 0
    for status, message in STALE.items():
        imports += (
            ImportJob.objects.stale()
            .filter(status=status)
            .update(
                status=ImportJob.Status.FAILED,
                message=message.format(minutes=minutes),
                data=b"",
                table=b"",
                heartbeat_at=timezone.now(),
            )
        )
    exports = ExportJob.objects.stale().update(
        status=ExportJob.Status.FAILED, message=EXPORT_STALE.format(minutes=minutes), heartbeat_at=timezone.now()
    )
    if imports or exports:
        logger.warning("Marked %s import and %s export jobs failed: they had stopped.", imports, exports)
    return imports, exports


def _take_up(job_id: int, *, waiting: str, running: str) -> ImportJob | None:
    """The job, moved from `waiting` to `running` for the task taking it up (its status unchanged
    if it was at another step). A job already `running` was taken up by a task that stopped without
    finishing, whose message the broker delivered again: it is marked failed, not run again."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        if job.status == running:
            job.status = ImportJob.Status.FAILED
            job.message = STALE[running].format(minutes=_minutes(settings.IMPORT_JOB_STALE_AFTER))
            job.data = job.table = b""
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["status", "message", "data", "table", "heartbeat_at"])
            return job
        if job.status != waiting:
            return job
        job.status = running
        job.rows_done = 0
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "rows_done", "heartbeat_at"])
    return job


def _progress(job: ImportJob, status: str):
    """Progress of a background task: the rows read so far, with the job's heartbeat; JobStopped when
    the job has left `status` (cancelled, or marked failed)."""
    if not job.in_background:
        return None

    def report(rows_done: int) -> None:
        moved = ImportJob.objects.filter(pk=job.pk, status=status).update(
            rows_done=rows_done, heartbeat_at=timezone.now()
        )
        if not moved:
            raise JobStopped

    return report


def _cancellation_check(job: ImportJob, status: str):
    """For a task writing in one transaction: JobStopped once the job has left `status`, read without
    a lock, so that the lead's cancel is not kept waiting."""
    if not job.in_background:
        return None

    def check(rows_done: int) -> None:
        if not ImportJob.objects.filter(pk=job.pk, status=status).exists():
            raise JobStopped

    return check


def _run(job: ImportJob, *, dry_run: bool, progress=None) -> ImportReport:
    """The job's file through its dataset's own import: the ODS import (organisations), or the
    people or the memberships import of the file read as a table."""
    data = bytes(job.data)
    # A workbook's rows as its upload form read them; else the file is read (CSV, or a job stored
    # without them).
    read = uploads.unpack_rows(bytes(job.table)) if job.table else None
    user = job.imported_by if not dry_run else job.user
    if job.dataset == Dataset.ORGANISATIONS:
        source = {"data": data} if read is None else {"rows": ods_rows_of(read, job.ods_kind, progress)}
        return ods_import(
            **source,
            file_format=job.file_format,
            kind=job.ods_kind,
            file_name=job.file_name,
            user=user,
            dry_run=dry_run,
            progress=progress,
        )
    importer = people_import if job.dataset == Dataset.PEOPLE else memberships_import
    try:
        if read is None:
            table = uploads.read_table(data, job.file_format, uploads.import_limits(), progress=progress)
        else:
            table = uploads.table_of(read, progress=progress)
    except uploads.UploadRefused as exc:
        return ImportReport(dataset=job.dataset, file_name=job.file_name, dry_run=dry_run).refuse(str(exc))
    return importer(table=table, file_name=job.file_name, user=user, dry_run=dry_run)


def ods_rows_of(read: list, ods_kind: str, progress=None) -> list:
    """The ODS import's rows of a workbook's rows already read (organisations.ods.workbook_rows)."""
    return workbook_rows(read, header_row=KINDS[ods_kind].header_row, progress=progress)


REPORT_FIELDS = ["new_count", "changed_count", "unchanged_count", "error_count", "notes"]
ROW_COLUMNS = ("job_id", "kind", "line", "key", "description", "changes", "column", "message")


def _store_report(job: ImportJob, report: ImportReport, *, keep_preview: bool = False) -> None:
    """Replace the job's rows with the report's: its errors, and its new and changed rows (those
    without an error, as they would be written). With `keep_preview`, the rows of the check are kept
    when the import did what the check said."""
    same_as_preview = (report.new, report.changed, report.unchanged, report.error_rows) == (
        job.new_count,
        job.changed_count,
        job.unchanged_count,
        job.error_count,
    )
    if not (keep_preview and not report.errors and same_as_preview):
        job.rows.all().delete()
        rows = [
            (job.pk, ImportRow.Kind.ERROR, error.line, "", "", [], error.column, error.message)
            for error in report.errors
        ]
        rows.extend(
            (job.pk, p.kind, p.line, p.key[:300], p.description, [list(c) for c in p.changes], "", "")
            for p in report.rows
        )
        _insert_rows(rows)
    job.new_count = report.new
    job.changed_count = report.changed
    job.unchanged_count = report.unchanged
    job.error_count = report.error_rows
    job.notes = report.messages()


def _insert_rows(rows: list[tuple]) -> None:
    """Write preview rows (tuples in ROW_COLUMNS order): with COPY on PostgreSQL, where a preview of
    25,000 new organisations is written in a fraction of the time bulk_create takes."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        ImportRow.objects.bulk_create(
            [ImportRow(**dict(zip(ROW_COLUMNS, row, strict=True))) for row in rows], batch_size=ROW_BATCH_SIZE
        )
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # "" is an empty string; only the line may be NULL
    for job_id, kind, line, key, description, changes, column, message in rows:
        line = "" if line is None else line
        writer.writerow([job_id, kind, line, key, description, json.dumps(changes), column, message])
    buffer.seek(0)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(ImportRow._meta.get_field(name.removesuffix("_id")).column) for name in ROW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(ImportRow._meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv, FORCE_NULL (line))",
            buffer,
        )


# Exports


def export_create(*, user, dataset: str, file_format: str) -> tuple[ExportJob, bytes | None]:
    """Record an export and write it: now for one of at most settings.EXPORT_BACKGROUND_ROWS rows
    (the content is returned, not kept), in the background for a larger one (the content is kept on
    the job until downloaded)."""
    spec = DATASETS[dataset]
    rows_total = spec.export_count()
    job = ExportJob.objects.create(
        user=user,
        dataset=dataset,
        file_format=file_format,
        rows_total=rows_total,
        in_background=rows_total > settings.EXPORT_BACKGROUND_ROWS,
    )
    if job.in_background:
        _queue("export", job.pk)
        return job, None
    content = _write_export(job, progress=None)
    job.status = ExportJob.Status.DONE
    job.rows_done = rows_total
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "rows_done", "finished_at"])
    return job, content


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write a queued export and keep it on the job. Does nothing once it is written or cancelled; a
    job found being written was started by a task that stopped, and is marked failed. An error (a
    time limit included) marks it failed; a job cancelled meanwhile stops at its next batch of rows."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().defer("data").filter(pk=job_id).first()
        if job is None:
            return None
        if job.status == ExportJob.Status.RUNNING:
            job.status = ExportJob.Status.FAILED
            job.message = EXPORT_STALE.format(minutes=_minutes(settings.IMPORT_JOB_STALE_AFTER))
            job.save(update_fields=["status", "message"])
            return job
        if job.status != ExportJob.Status.QUEUED:
            return job
        job.status = ExportJob.Status.RUNNING
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])

    def progress(rows_done: int) -> None:
        moved = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            rows_done=rows_done, heartbeat_at=timezone.now()
        )
        if not moved:
            raise JobStopped

    try:
        content = _write_export(job, progress=progress)
    except JobStopped:
        pass
    except Exception as exc:
        logger.exception("Export job %s stopped.", job.pk)
        export_job_fail(job_id=job.pk, message=_failure_message(exc, EXPORT_STOPPED, EXPORT_TIMED_OUT))
    else:
        now = timezone.now()
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            data=content, status=ExportJob.Status.DONE, rows_done=job.rows_total, finished_at=now, heartbeat_at=now
        )
    return ExportJob.objects.defer("data").get(pk=job.pk)


def export_job_fail(*, job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id, status__in=ExportJob.UNFINISHED).update(
        status=ExportJob.Status.FAILED, message=message, heartbeat_at=timezone.now()
    )


def export_job_cancel(*, job_id: int) -> ExportJob:
    """Cancel an export still waiting or being written; its task stops at its next batch of rows."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().defer("data").get(pk=job_id)
        if not job.can_cancel:
            raise ImportJobError(f"This export cannot be cancelled: it is {job.get_status_display().lower()}.")
        job.status = ExportJob.Status.CANCELLED
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
    return job


def _write_export(job: ExportJob, progress) -> bytes:
    spec = DATASETS[job.dataset]
    return write_table(job.file_format, spec.export_headers(), spec.export_rows(), spec.label, progress)


# Queueing


def _queue(step: str, job_id: int) -> None:
    """Hand the job to Celery once the transaction that created it commits."""
    from . import tasks

    task, fail = {
        "check": (tasks.check_import, import_job_fail),
        "import": (tasks.run_import, _import_job_unqueue),
        "export": (tasks.run_export, export_job_fail),
    }[step]

    def send() -> None:
        try:
            task.apply_async((job_id,), retry_policy={"max_retries": 0})
        except (OperationalError, OSError):
            logger.warning("Could not queue the %s of job %s.", step, job_id, exc_info=True)
            fail(job_id=job_id, message=NOT_STARTED)

    transaction.on_commit(send)
