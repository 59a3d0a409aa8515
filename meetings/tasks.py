"""Scheduled jobs of the meetings app (the schedule is CELERY_BEAT_SCHEDULE in the settings)."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=15 * 60, time_limit=16 * 60)
def send_meeting_reminders() -> str:
    """Remind everyone invited to a scheduled meeting the day before it. Run daily by beat; each
    person is reminded of a meeting once however often it runs."""
    from .services import meeting_send_reminders

    return meeting_send_reminders().summary_line()
