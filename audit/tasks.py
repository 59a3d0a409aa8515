"""The nightly anonymisation of people who left their last role more than the retention period ago,
and the national lead's weekly summary of the officers' profile edits; run by beat, each also a command."""

from celery import shared_task
from django.db import DatabaseError

from .profile_changes import profile_change_summaries_send
from .services import people_anonymise


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
    return people_anonymise().summary_line()


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=3,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def send_profile_change_summaries() -> str:
    """Queue last week's summary to each national lead; at most once a week each (the outbox's dedupe key)."""
    return f"queued={profile_change_summaries_send()}"
