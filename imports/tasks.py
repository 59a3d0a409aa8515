"""Celery tasks for large imports and exports. Each takes a job id and calls one service; each
is safe to run twice (a job goes through each step once). The services mark a job failed when its
work raises (a time limit included) and leave a cancelled job alone; should a task stop outside
them, it marks its job failed too, so the job's page stops waiting for it. A job whose worker was
killed, or whose task never came, is marked failed by fail_stale_jobs, run by beat."""

from celery import shared_task
from django.conf import settings

TIME_LIMITS = {"soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT, "time_limit": settings.CELERY_TASK_TIME_LIMIT}


@shared_task(acks_late=True, **TIME_LIMITS)
def check_import(job_id: int) -> str:
    """The dry run of an uploaded file: checks every row and stores the preview."""
    from .services import STOPPED, import_job_check, import_job_fail

    try:
        job = import_job_check(job_id=job_id)
    except Exception:
        import_job_fail(job_id=job_id, message=STOPPED)
        raise
    return job.status if job else "missing"


@shared_task(acks_late=True, **TIME_LIMITS)
def run_import(job_id: int) -> str:
    """Imports a confirmed file in one transaction."""
    from .services import STOPPED, import_job_fail, import_job_run

    try:
        job = import_job_run(job_id=job_id)
    except Exception:
        import_job_fail(job_id=job_id, message=STOPPED)
        raise
    return job.status if job else "missing"


@shared_task(acks_late=True, **TIME_LIMITS)
def run_export(job_id: int) -> str:
    """Writes a large export and keeps it on the job until downloaded."""
    from .services import EXPORT_STOPPED, export_job_fail, export_job_run

    try:
        job = export_job_run(job_id=job_id)
    except Exception:
        export_job_fail(job_id=job_id, message=EXPORT_STOPPED)
        raise
    return job.status if job else "missing"


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def fail_stale_jobs() -> str:
    """Marks failed the import and export jobs that stopped moving (see services.jobs_fail_stale).
    Run by beat; also the fail_stale_jobs command."""
    from .services import jobs_fail_stale

    imports, exports = jobs_fail_stale()
    return f"imports={imports} exports={exports}"
