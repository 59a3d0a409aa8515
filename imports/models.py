import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from msonet.reports import import_button_text


class Dataset(models.TextChoices):
    ORGANISATIONS = "organisations", "Organisations"
    PEOPLE = "people", "People and appointments"
    MEMBERSHIPS = "memberships", "Network memberships"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


def stale_cutoff() -> datetime.datetime:
    """A running job that has not moved since this time has stopped (settings.IMPORT_JOB_STALE_AFTER,
    longer than a task may run): its worker was killed, or its task never delivered."""
    return timezone.now() - datetime.timedelta(seconds=settings.IMPORT_JOB_STALE_AFTER)


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Import and export jobs are the national lead's: every job for a lead, none for anyone else."""
        if not user.is_authenticated or not user.is_national_lead:
            return self.none()
        return self

    def stale(self):
        """Running jobs that have not moved since stale_cutoff(): their task has stopped."""
        return self.filter(status__in=self.model.UNFINISHED, heartbeat_at__lt=stale_cutoff())


class ImportJob(models.Model):
    """One uploaded file: checked (the preview), then imported when the lead confirms.

    The file is kept in the database (so a worker on another machine can read it) until it is
    imported, cancelled or has failed. `rows_done` of `rows_total` (an estimate made at upload)
    measures the progress of a check or import running in the background, and `heartbeat_at` says
    when the job last moved (queued, started, read another batch of rows): a running job that has
    not moved for settings.IMPORT_JOB_STALE_AFTER seconds has stopped, and is marked failed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be checked"
        CHECKING = "checking", "Being checked"
        READY = "ready", "Ready to import"
        INVALID = "invalid", "Has errors"
        IMPORT_QUEUED = "import_queued", "Waiting to be imported"
        IMPORTING = "importing", "Being imported"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Not imported"
        CANCELLED = "cancelled", "Cancelled"

    # Waiting for or running a task in the background.
    UNFINISHED = (Status.QUEUED, Status.CHECKING, Status.IMPORT_QUEUED, Status.IMPORTING)
    # Any job not yet finished can be cancelled: a check in progress stops at its next batch of
    # rows, an import in progress rolls back at its end (it writes everything in one transaction).
    CANCELLABLE = (*UNFINISHED, Status.READY, Status.INVALID)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs")
    dataset = models.CharField(max_length=20, choices=Dataset.choices)
    ods_kind = models.CharField("kind of ODS file", max_length=20, blank=True)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10, choices=FileFormat.choices)
    file_size = models.PositiveIntegerField()
    data = models.BinaryField(editable=False)
    # A workbook's rows as its upload form read them (msonet.uploads.pack_rows): the check and the
    # import read them from here rather than parse the workbook again. Empty for CSV, whose text is
    # read again as fast, and once the file is dropped.
    table = models.BinaryField(editable=False, default=b"")
    in_background = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField("rows with errors", default=0)
    notes = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField("last moved at", default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="imports_job_newest_first")]

    def __str__(self):
        return f"{self.get_dataset_display()} from {self.file_name}"

    def get_absolute_url(self):
        return reverse("imports:job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in self.UNFINISHED

    @property
    def is_stale(self) -> bool:
        return self.is_running and self.heartbeat_at < stale_cutoff()

    @property
    def can_confirm(self) -> bool:
        return self.status == self.Status.READY

    @property
    def confirm_text(self) -> str:
        """The confirm button's words ("Import 2 new and 1 changed rows"); "" when it writes nothing."""
        return import_button_text(new=self.new_count, changed=self.changed_count)

    @property
    def can_cancel(self) -> bool:
        return self.status in self.CANCELLABLE

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)


class ImportRow(models.Model):
    """A line of the preview or result: a new or changed row with its field-level changes
    ([label, before, after] each), or one error with its line and column."""

    class Kind(models.TextChoices):
        NEW = "new", "New"
        CHANGED = "changed", "Changed"
        ERROR = "error", "Error"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    line = models.PositiveIntegerField(null=True, blank=True)
    key = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True)
    column = models.CharField(max_length=100, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "kind", "line", "pk"]
        indexes = [models.Index(fields=["job", "kind", "line"])]

    def __str__(self):
        return f"line {self.line}: {self.get_kind_display()}"


class ExportJob(models.Model):
    """One export of a dataset: every export is recorded; a large one is written in the background
    and kept here until downloaded."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Being written"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    UNFINISHED = (Status.QUEUED, Status.RUNNING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs")
    dataset = models.CharField(max_length=20, choices=Dataset.choices)
    file_format = models.CharField(max_length=10, choices=FileFormat.choices)
    in_background = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    data = models.BinaryField(editable=False, default=b"")
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the export last moved (queued, started, wrote another batch of rows); see ImportJob.
    heartbeat_at = models.DateTimeField("last moved at", default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_dataset_display()} ({self.get_file_format_display()})"

    def get_absolute_url(self):
        return reverse("imports:export-job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in self.UNFINISHED

    @property
    def is_stale(self) -> bool:
        return self.is_running and self.heartbeat_at < stale_cutoff()

    @property
    def can_cancel(self) -> bool:
        return self.is_running

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def file_name(self) -> str:
        from .datasets import DATASETS

        return f"{DATASETS[self.dataset].file_stem}-{self.created_at:%Y-%m-%d}.{self.file_format}"
