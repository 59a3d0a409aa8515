"""The outbox's readiness check (msonet.health): emails do not wait too long to be sent."""

import datetime

from django.conf import settings
from django.utils import timezone

from .models import OutboundEmail


def outbox_check() -> str | None:
    """None unless an email of its own task has waited longer than READINESS_EMAIL_MAX_AGE seconds,
    or bulk emails have waited that long while none was sent in that time (the bulk sender sends a
    message's emails at BULK_EMAILS_PER_MINUTE, so a large one keeps some waiting by design). Emails
    the mail server refused for good wait for someone to retry them and are not counted. At most
    three queries."""
    limit = settings.READINESS_EMAIL_MAX_AGE
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=limit)
    oldest = (
        OutboundEmail.objects.waiting()
        .filter(bulk=False)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is not None and oldest < cutoff:
        age = int((now - oldest).total_seconds())
        return f"the oldest waiting email was queued {age} seconds ago, more than {limit} (READINESS_EMAIL_MAX_AGE)"
    bulk_stalled = (
        OutboundEmail.objects.bulk_due().filter(created_at__lt=cutoff).exists()
        and not OutboundEmail.objects.bulk_sent_since(cutoff).exists()
    )
    if bulk_stalled:
        return (
            f"emails of a message have waited more than {limit} seconds and none was sent in that time "
            "(READINESS_EMAIL_MAX_AGE)"
        )
    return None
