"""The national lead's weekly summary of the changes officers made to their organisations' profiles,
run by beat; also the send_profile_change_summaries command."""

from celery import shared_task
from django.db import DatabaseError


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
    from .profile import profile_change_summaries_send

    return f"queued={profile_change_summaries_send()}"
