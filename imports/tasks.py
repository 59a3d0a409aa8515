"""Celery tasks for large imports and exports. Each takes a job id and calls one service; each
is safe to run twice (a job goes through each step once). A task that stops with an error marks
its job failed, so the job's page stops waiting for it."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

TIME_LIMITS = {"soft_time_limit": 14 * 60, "time_limit": 15 * 60}


@shared_task(acks_late=True, **TIME_LIMITS)
def check_import(job_id: int) -> str:
    """The dry run of an uploaded file: checks every row and stores the preview."""
    from .services import STOPPED, import_job_check, import_job_fail

    try:
        job = import_job_check(job_id=job_id)
    except (Exception, SoftTimeLimitExceeded):
        import_job_fail(job_id=job_id, message=STOPPED)
        raise
    return job.status if job else "missing"


@shared_task(acks_late=True, **TIME_LIMITS)
def run_import(job_id: int) -> str:
    """Imports a confirmed file in one transaction."""
    from .services import STOPPED, import_job_fail, import_job_run

    try:
        job = import_job_run(job_id=job_id)
    except (Exception, SoftTimeLimitExceeded):
        import_job_fail(job_id=job_id, message=STOPPED)
        raise
    return job.status if job else "missing"


@shared_task(acks_late=True, **TIME_LIMITS)
def run_export(job_id: int) -> str:
    """Writes a large export and keeps it on the job until downloaded."""
    from .services import export_job_fail, export_job_run

    try:
        job = export_job_run(job_id=job_id)
    except (Exception, SoftTimeLimitExceeded):
        export_job_fail(job_id=job_id, message="The export stopped with an unexpected error; try again.")
        raise
    return job.status if job else "missing"
