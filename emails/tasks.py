"""Celery tasks that send the outbox: one email on commit, and every pending one on a schedule."""

import smtplib
import sys

from celery import shared_task

# Errors worth trying again: the mail server answered with an error, dropped the connection,
# or could not be reached (refused connections and timeouts are OSErrors).
RETRY_ON = (smtplib.SMTPException, OSError)


@shared_task(
    acks_late=True,
    autoretry_for=RETRY_ON,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_email(email_id: int) -> bool:
    """Send one outbox email; nothing happens if it has been sent. Retried with backoff on mail errors."""
    from .services import email_send

    return email_send(email_id=email_id)


@shared_task(acks_late=True)
def send_pending_emails() -> str:
    """Send the emails their own task did not send (Redis was down, or retries ran out). Run by beat."""
    from .services import email_send_pending

    return email_send_pending().summary_line()


@shared_task(acks_late=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def send_bulk_emails() -> str:
    """Send a minute's worth of the bulk emails (messages to many people), at most
    BULK_EMAILS_PER_MINUTE. Run by beat every minute and started when a message is queued. With
    tasks run in-process (no Redis and no beat, as in development) nothing would come back for the
    rest, so it sends them all."""
    from django.conf import settings

    from .services import email_send_bulk

    in_process = settings.CELERY_TASK_ALWAYS_EAGER
    return email_send_bulk(per_minute=sys.maxsize if in_process else None).summary_line()
