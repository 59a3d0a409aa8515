"""The national lead's import and export pages. Everyone else gets 404, as for a page that does not
exist: the jobs are found through ImportJob/ExportJob.objects.visible_to, which is empty for them."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from msonet.spreadsheets import CONTENT_TYPES
from msonet.text import mid_sentence
from organisations.ods import KIND_CHOICES

from .datasets import DATASETS
from .forms import ImportUploadForm
from .models import ExportJob, FileFormat, ImportJob, ImportRow
from .services import (
    ImportJobError,
    export_create,
    export_job_cancel,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    jobs_fail_stale,
)

JOBS_PER_PAGE = 20
ROWS_PER_PAGE = 50
# The running job's page reloads itself this often (seconds) to show its progress.
REFRESH_SECONDS = 3


def national_lead_only(view):
    """Sign-in first; then the page exists only for the national lead (404 for anyone else)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_national_lead:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def _get_import_job(user, pk: int) -> ImportJob:
    jobs = ImportJob.objects.visible_to(user).defer("data", "table").select_related("user", "imported_by")
    return get_object_or_404(jobs, pk=pk)


def _get_export_job(user, pk: int, *, with_data: bool = False) -> ExportJob:
    jobs = ExportJob.objects.visible_to(user).select_related("user")
    if not with_data:
        jobs = jobs.defer("data")
    return get_object_or_404(jobs, pk=pk)


def _get_dataset(key: str):
    spec = DATASETS.get(key)
    if spec is None:
        raise Http404("No such dataset.")
    return spec


@national_lead_only
def index(request):
    """Choose a dataset to import or export; the imports and exports so far."""
    jobs = ImportJob.objects.visible_to(request.user).defer("data", "table").select_related("user")
    page_obj = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    exports = ExportJob.objects.visible_to(request.user).defer("data").select_related("user")[:10]
    return render(
        request,
        "imports/index.html",
        {
            "datasets": DATASETS.values(),
            "formats": FileFormat.choices,
            "page_obj": page_obj,
            "exports": exports,
            "nav_section": "imports",
        },
    )


@national_lead_only
def upload(request, dataset):
    spec = _get_dataset(dataset)
    form = ImportUploadForm(request.POST or None, request.FILES or None, dataset=spec.key)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        job = import_job_create(
            user=request.user,
            dataset=spec.key,
            file_name=uploaded.name,
            file_format=form.file_format,
            data=uploaded.read(settings.IMPORT_MAX_UPLOAD_BYTES + 1),
            ods_kind=form.cleaned_data.get("ods_kind", ""),
            rows_total=form.rows_total,
            table=form.table,
        )
        return redirect(job)
    return render(
        request,
        "imports/upload.html",
        {"spec": spec, "form": form, "nav_section": "imports"},
    )


SHOW = {"errors": ImportRow.Kind.ERROR, "new": ImportRow.Kind.NEW, "changed": ImportRow.Kind.CHANGED}


@national_lead_only
def job_detail(request, pk):
    """An import: its progress while it runs (or why it stopped); then the preview (or the result)
    with its counts, its new and changed rows (field by field) and its errors (by line and column),
    a page at a time."""
    job = _get_import_job(request.user, pk)
    if job.is_stale:
        jobs_fail_stale()
        job = _get_import_job(request.user, pk)
    show = request.GET.get("show")
    if show not in SHOW:
        show = "errors" if job.error_count else "changed" if job.changed_count else "new"
    counts = [
        ("new", "New rows", job.new_count),
        ("changed", "Changed rows", job.changed_count),
        (None, "Unchanged rows", job.unchanged_count),
        ("errors", "Rows with errors", job.error_count),
    ]
    page_obj = None
    if not job.is_running:
        rows = job.rows.filter(kind=SHOW[show]).order_by("line", "pk")
        page_obj = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "spec": DATASETS[job.dataset],
            "ods_kind_label": dict(KIND_CHOICES).get(job.ods_kind, ""),
            "counts": counts,
            "show": show,
            "show_label": {"errors": "Errors", "new": "New rows", "changed": "Changed rows"}[show],
            "page_obj": page_obj,
            "refresh_seconds": REFRESH_SECONDS if job.is_running else None,
            "nav_section": "imports",
        },
    )


@national_lead_only
@require_POST
def job_confirm(request, pk):
    job = _get_import_job(request.user, pk)
    try:
        job = import_job_confirm(job_id=job.pk, user=request.user)
    except ImportJobError as exc:
        messages.error(request, str(exc))
        return redirect(job)
    if job.status == ImportJob.Status.IMPORTED:
        messages.success(
            request,
            f"Imported {job.file_name}: {job.new_count} new, {job.changed_count} changed, "
            f"{job.unchanged_count} unchanged.",
        )
    elif job.status == ImportJob.Status.FAILED:
        messages.error(request, "Nothing was imported: the file no longer passes the checks.")
    return redirect(job)


@national_lead_only
@require_POST
def job_cancel(request, pk):
    job = _get_import_job(request.user, pk)
    try:
        import_job_cancel(job_id=job.pk, user=request.user)
    except ImportJobError as exc:
        messages.error(request, str(exc))
        return redirect(job)
    messages.success(request, f"Cancelled the import of {job.file_name}; nothing was imported.")
    return redirect("imports:index")


@national_lead_only
@require_POST
def export(request, dataset, file_format):
    """Export a dataset: a small one is downloaded at once; a large one is written in the background
    and downloaded from its page."""
    spec = _get_dataset(dataset)
    if file_format not in FileFormat.values:
        raise Http404("No such format.")
    job, content = export_create(user=request.user, dataset=spec.key, file_format=file_format)
    if content is None:
        return redirect(job)
    return _download(job, content)


@national_lead_only
def export_job(request, pk):
    job = _get_export_job(request.user, pk)
    if job.is_stale:
        jobs_fail_stale()
        job = _get_export_job(request.user, pk)
    return render(
        request,
        "imports/export_job.html",
        {
            "job": job,
            "spec": DATASETS[job.dataset],
            "refresh_seconds": REFRESH_SECONDS if job.is_running else None,
            "nav_section": "imports",
        },
    )


@national_lead_only
@require_POST
def export_cancel(request, pk):
    job = _get_export_job(request.user, pk)
    try:
        export_job_cancel(job_id=job.pk)
    except ImportJobError as exc:
        messages.error(request, str(exc))
        return redirect(job)
    messages.success(request, f"Cancelled the export of {mid_sentence(DATASETS[job.dataset].label)}.")
    return redirect(job)


@national_lead_only
def export_download(request, pk):
    job = _get_export_job(request.user, pk, with_data=True)
    if job.status != ExportJob.Status.DONE or not job.data:
        raise Http404("This export has no file to download.")
    return _download(job, bytes(job.data))


def _download(job: ExportJob, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[job.file_format])
    response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    return response
