"""The nightly anonymisation of people who left their last role more than the retention period ago."""

from celery import shared_task
from django.db import DatabaseError


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=3,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def anonymise_former_officers() -> str:
    """Anonymise people who left their last role more than RETENTION_YEARS ago. Idempotent: a
    repeated or retried run anonymises nobody twice. Returns the command's summary line."""
    from .services import people_anonymise

    return people_anonymise().summary_line()
