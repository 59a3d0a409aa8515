"""Housekeeping of sessions, run by beat; also the clear_expired_sessions command."""

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
def clear_expired_sessions() -> str:
    """Delete expired sessions and the records of sessions past the absolute timeout. Idempotent."""
    from .services import sessions_clear_expired

    return f"forgotten={sessions_clear_expired()}"
