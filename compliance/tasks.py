"""The compliance scan (nightly) and the flag digests (weekly), run by beat; each also a command."""

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
def scan_compliance() -> str:
    """Open and resolve compliance flags. Idempotent: a repeated or retried run changes nothing
    more. Returns the summary line, as the scan_compliance command prints it."""
    from .services import compliance_scan

    return compliance_scan().summary_line()


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=60,
    max_retries=3,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def send_flag_digests() -> str:
    """Queue this week's flag digest to each national lead and chair; at most once a week each."""
    from .services import flag_digests_send

    return f"queued={flag_digests_send()}"
