"""Once a year, officers are asked to confirm that their details in the register are still correct."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from emails.services import email_queue

from .models import Appointment, Person


def year_before(day: datetime.date) -> datetime.date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def people_due_to_reconfirm(day: datetime.date):
    """People with an active appointment whose details were last confirmed a year or more before
    `day` or, never confirmed, whose earliest active appointment started a year or more before it."""
    cutoff = year_before(day)
    return (
        Person.objects.filter(appointments__status=Appointment.Status.ACTIVE)
        .annotate(started_on=Min("appointments__start_date", filter=Q(appointments__status=Appointment.Status.ACTIVE)))
        .filter(Q(details_confirmed_on__lte=cutoff) | Q(details_confirmed_on__isnull=True, started_on__lte=cutoff))
        .order_by("pk")
    )


@dataclass
class ReconfirmationReport:
    due: int = 0
    sent: int = 0
    already_sent: int = 0

    def summary_line(self) -> str:
        return f"due={self.due} sent={self.sent} already_sent={self.already_sent}"


def reconfirmation_send_reminders(*, day: datetime.date | None = None) -> ReconfirmationReport:
    """Ask each officer due to confirm their details to do so: one email per person per calendar
    year (email_queue's dedupe_key), however often this runs."""
    day = day or timezone.localdate()
    report = ReconfirmationReport()
    for person in people_due_to_reconfirm(day):
        report.due += 1
        with transaction.atomic():
            email = email_queue(
                to=[person.work_email],
                template="reconfirm_details",
                context={"person": person, "url": settings.SITE_URL + person.get_absolute_url()},
                dedupe_key=f"reconfirm-details-{person.pk}-{day.year}",
            )
        if email is None:
            report.already_sent += 1
        else:
            report.sent += 1
    return report
