"""Scheduled jobs of the officers app (the schedule is CELERY_BEAT_SCHEDULE in the settings)."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=15 * 60, time_limit=16 * 60)
def send_reconfirmation_reminders() -> str:
    """Ask officers whose details were last confirmed a year ago to confirm them. Run daily by beat;
    each officer is asked once a year however often it runs."""
    from .reconfirmation import reconfirmation_send_reminders

    return reconfirmation_send_reminders().summary_line()
