"""Scheduled jobs of the handovers app (the schedule is CELERY_BEAT_SCHEDULE in the settings)."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=15 * 60, time_limit=16 * 60)
def send_handover_reminders() -> str:
    """Remind the officers of each unfinished handover a week before its due date and on the day.
    Run daily by beat; each reminder goes once however often it runs."""
    from .services import handover_send_reminders

    return handover_send_reminders().summary_line()
