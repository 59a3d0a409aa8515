"""Import and export jobs: upload, check (the preview), confirm, import; export to CSV or XLSX.

An import is checked first: the file is read and every row checked against the same rules the
forms, the admin and the database apply, and nothing is written (the dry run). The lead sees the
preview and confirms; the import then runs the same checks again and writes every row in one
transaction, or nothing when any row is bad (the records may have changed since the preview).
A file of more than settings.IMPORT_BACKGROUND_ROWS rows is checked and imported by a Celery task,
queued when the transaction that created the job commits, and shows its progress on the job's
page; a smaller one runs in the request. Running a check or an import twice changes nothing more:
a job goes through each step once, and an import of rows already imported finds them unchanged.
"""

import csv
import io
import json
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from msonet.spreadsheets import write_table

from .datasets import DATASETS
from .memberships import memberships_import
from .models import Dataset, ExportJob, ImportJob, ImportRow
from .organisations import organisations_import
from .people import people_import
from .rows import ImportReport, RowError
from .spreadsheets import TableError, estimate_rows, read_table

logger = logging.getLogger(__name__)

ROW_BATCH_SIZE = 2000
NOT_STARTED = (
    "The background job could not be started because the task queue is not answering. Nothing was "
    "changed; try again in a few minutes."
)
STOPPED = "The job stopped with an unexpected error. Nothing was imported; the error has been logged."


class ImportJobError(Exception):
    """The job cannot take this step (already confirmed, cancelled...); the message says why."""


def import_job_create(
    *, user, dataset: str, file_name: str, file_format: str, data: bytes, ods_kind: str = ""
) -> ImportJob:
    """Store an uploaded file (already checked by spreadsheets.check_upload) and check it: now for a
    small file, in the background for a large one."""
    if dataset == Dataset.ORGANISATIONS and not ods_kind:
        raise ValueError("An organisations import needs the kind of ODS file.")
    rows_total = estimate_rows(data, file_format)
    job = ImportJob.objects.create(
        user=user,
        dataset=dataset,
        ods_kind=ods_kind if dataset == Dataset.ORGANISATIONS else "",
        file_name=file_name[:255],
        file_format=file_format,
        file_size=len(data),
        data=data,
        rows_total=rows_total,
        in_background=rows_total > settings.IMPORT_BACKGROUND_ROWS,
    )
    if job.in_background:
        _queue("check", job.pk)
    else:
        import_job_check(job_id=job.pk)
        job.refresh_from_db()
    return job


def import_job_check(*, job_id: int) -> ImportJob | None:
    """The dry run: check every row and store the preview (or the errors). Does nothing unless the
    job is waiting to be checked (or was being checked by a worker that stopped)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.CHECKING):
            return job
        job.status = ImportJob.Status.CHECKING
        job.rows_done = 0
        job.save(update_fields=["status", "rows_done"])
    report = _run(job, dry_run=True)
    with transaction.atomic():
        _store_report(job, report)
        job.status = ImportJob.Status.INVALID if report.errors else ImportJob.Status.READY
        job.checked_at = timezone.now()
        job.rows_done = job.rows_total
        fields = [*REPORT_FIELDS, "status", "checked_at", "rows_done"]
        if report.errors:
            job.data = b""  # a file with errors cannot be imported; it is not kept
            fields.append("data")
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
        job.save(update_fields=["status", "imported_by", "message"])
        if job.in_background:
            _queue("import", job.pk)
    if not job.in_background:
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a confirmed file: every row in one transaction, or nothing if any row is now bad.
    Does nothing unless the job was confirmed (or was being imported by a worker that stopped:
    its transaction was rolled back, or it committed and the rows are now found unchanged)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (ImportJob.Status.IMPORT_QUEUED, ImportJob.Status.IMPORTING):
            return job
        job.status = ImportJob.Status.IMPORTING
        job.rows_done = 0
        job.save(update_fields=["status", "rows_done"])
    report = _run(job, dry_run=False)
    with transaction.atomic():
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
            job.data = b""  # the history keeps what changed; the file is not kept
        job.rows_done = job.rows_total
        job.save(update_fields=[*REPORT_FIELDS, "status", "message", "imported_at", "data", "rows_done"])
    return job


def import_job_cancel(*, job_id: int) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if not job.can_cancel:
            raise ImportJobError(f"This import cannot be cancelled: it is {job.get_status_display().lower()}.")
        job.status = ImportJob.Status.CANCELLED
        job.data = b""
        job.save(update_fields=["status", "data"])
    return job


def import_job_fail(*, job_id: int, message: str) -> None:
    """Mark a job whose task could not run or stopped, so its page stops waiting."""
    running = [ImportJob.Status.QUEUED, ImportJob.Status.CHECKING]
    ImportJob.objects.filter(pk=job_id, status__in=running).update(status=ImportJob.Status.FAILED, message=message)
    # A confirmed import that could not start goes back to waiting for confirmation.
    ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.Status.IMPORT_QUEUED, ImportJob.Status.IMPORTING]).update(
        status=ImportJob.Status.READY, message=message
    )


def _progress(job: ImportJob):
    if not job.in_background:
        return None

    def report(rows_done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    return report


def _run(job: ImportJob, *, dry_run: bool) -> ImportReport:
    data = bytes(job.data)
    user = job.imported_by if not dry_run else job.user
    progress = _progress(job)
    if job.dataset == Dataset.ORGANISATIONS:
        return organisations_import(
            data=data,
            file_format=job.file_format,
            kind=job.ods_kind,
            file_name=job.file_name,
            user=user,
            dry_run=dry_run,
            progress=progress,
        )
    importer = people_import if job.dataset == Dataset.PEOPLE else memberships_import
    try:
        table = read_table(data, job.file_format, progress)
    except TableError as exc:
        report = ImportReport(dataset=job.dataset, file_name=job.file_name, dry_run=dry_run)
        report.errors.append(RowError(None, "", str(exc)))
        return report
    return importer(table=table, file_name=job.file_name, user=user, dry_run=dry_run)


REPORT_FIELDS = ["new_count", "changed_count", "unchanged_count", "error_count", "notes"]
ROW_COLUMNS = ("job_id", "kind", "line", "key", "description", "changes", "column", "message")


def _store_report(job: ImportJob, report: ImportReport, *, keep_preview: bool = False) -> None:
    """Replace the job's rows with the report's: its errors, or its new and changed rows. With
    `keep_preview`, the rows of the check are kept when the import did what the check said."""
    same_as_preview = (report.new, report.changed, report.unchanged, report.error_rows) == (
        job.new_count,
        job.changed_count,
        job.unchanged_count,
        job.error_count,
    )
    if not (keep_preview and not report.errors and same_as_preview):
        job.rows.all().delete()
        if report.errors:
            rows = [
                (job.pk, ImportRow.Kind.ERROR, error.line, "", "", [], error.column, error.message)
                for error in report.errors
            ]
        else:
            rows = [
                (job.pk, p.kind, p.line, p.key[:300], p.description, [list(c) for c in p.changes], "", "")
                for p in report.rows
            ]
        _insert_rows(rows)
    job.new_count = report.new
    job.changed_count = report.changed
    job.unchanged_count = report.unchanged
    job.error_count = report.error_rows
    job.notes = report.notes


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
    """Record an export and write it: now for a small one (the content is returned, not kept),
    in the background for a large one (the content is kept on the job until downloaded)."""
    spec = DATASETS[dataset]
    rows_total = spec.export_count()
    job = ExportJob.objects.create(
        user=user,
        dataset=dataset,
        file_format=file_format,
        rows_total=rows_total,
        in_background=rows_total > settings.IMPORT_BACKGROUND_ROWS,
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
    """Write a queued export and keep it on the job. Does nothing once it is written."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
            return job
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["status"])

    def progress(rows_done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    content = _write_export(job, progress=progress)
    job.data = content
    job.status = ExportJob.Status.DONE
    job.rows_done = job.rows_total
    job.finished_at = timezone.now()
    job.save(update_fields=["data", "status", "rows_done", "finished_at"])
    return job


def export_job_fail(*, job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]).update(
        status=ExportJob.Status.FAILED, message=message
    )


def _write_export(job: ExportJob, progress) -> bytes:
    spec = DATASETS[job.dataset]
    return write_table(job.file_format, spec.export_headers(), spec.export_rows(), spec.label, progress)


# Queueing


def _queue(step: str, job_id: int) -> None:
    """Hand the job to Celery once the transaction that created it commits."""
    from . import tasks

    task, fail = {
        "check": (tasks.check_import, import_job_fail),
        "import": (tasks.run_import, import_job_fail),
        "export": (tasks.run_export, export_job_fail),
    }[step]

    def send() -> None:
        try:
            task.apply_async((job_id,), retry_policy={"max_retries": 0})
        except (OperationalError, OSError):
            logger.warning("Could not queue the %s of job %s.", step, job_id, exc_info=True)
            fail(job_id=job_id, message=NOT_STARTED)

    transaction.on_commit(send)
