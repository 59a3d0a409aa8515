"""Offers to present at the monthly national webinar.

An officer in post offers a topic (a title, a short summary and the months that suit them); the
national lead accepts it, placing it on an upcoming national webinar, or declines it with a reason
the officer is told. An offer is a request to the national lead like the others
(officers.models.ReviewedRequest): how it waits, is locked, decided once and recorded is the
request base's; its statuses carry the offer's words (accepted, declined) over the base's values.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from meetings.models import Meeting
from officers.models import Appointment, Person, RequestQuerySet, RequestStatus, ReviewedRequest

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 2000
# How far ahead an officer may say which months suit them.
PREFERRED_MONTHS_AHEAD = 12

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value) -> datetime.date:
    """The first day of the month "YYYY-MM"; ValueError for anything else."""
    match = MONTH_PATTERN.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a month written as YYYY-MM")
    return datetime.date(int(match[1]), int(match[2]), 1)


def months_ahead(today: datetime.date, count: int = PREFERRED_MONTHS_AHEAD) -> list[datetime.date]:
    """The first day of this month and of the `count - 1` months after it."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(datetime.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def validate_month_list(value) -> None:
    """A list of distinct months, each written "YYYY-MM"."""
    if not isinstance(value, list):
        raise ValidationError("The preferred months are a list of months.", code="invalid_months")
    for item in value:
        try:
            parse_month(item)
        except ValueError:
            raise ValidationError(
                "%(value)s is not a month. Choose months from the list.", code="invalid_month", params={"value": item}
            ) from None
    if len(set(value)) != len(value):
        raise ValidationError("Each preferred month is given once.", code="repeated_month")


class OfferStatus(models.TextChoices):
    # The request base's values (RequestStatus), so that its decisions apply; the offer's words.
    SUBMITTED = RequestStatus.SUBMITTED.value, "Waiting for a decision"
    ACCEPTED = RequestStatus.APPROVED.value, "Accepted"
    DECLINED = RequestStatus.REJECTED.value, "Declined"
    WITHDRAWN = RequestStatus.WITHDRAWN.value, "Withdrawn"


class OfferQuerySet(RequestQuerySet):
    def with_organisation(self):
        """Annotate `organisation_name`: the organisation of the officer's current appointment (a named
        role first), in the same query."""
        appointments = (
            Appointment.objects.current().filter(person=OuterRef("person")).in_role_order().values("organisation__name")
        )
        return self.annotate(organisation_name=Subquery(appointments[:1]))

    def accepted(self):
        return self.filter(status=OfferStatus.ACCEPTED)


class Offer(ReviewedRequest):
    """An officer's offer to present a topic at a national webinar.

    Accepting sets `meeting` (the webinar it is placed on), and a move to another webinar changes it
    (the history says from which to which); declining keeps the reason in `review_reason`;
    `reviewed_by` and `reviewed_at` say who decided (or withdrew) and when (a move leaves them as the
    original decision), and `submitted_at` when the offer was made."""

    Status = OfferStatus

    owner_field = "person__user"
    noun = "offer"

    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.SUBMITTED)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="presentation_offers", help_text="The officer offering."
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    summary = models.TextField(max_length=SUMMARY_MAX_LENGTH)
    preferred_months = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_month_list],
        help_text='The months that suit the officer, each "YYYY-MM"; none when any month suits.',
    )
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="presentation_offers",
        help_text="The national webinar the offer was placed on, once accepted.",
    )

    objects = OfferQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = "offer to present"
        verbose_name_plural = "offers to present"
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""),
                name="presentation_offer_has_title",
                violation_error_message="Enter the title of your presentation.",
            ),
            models.CheckConstraint(
                condition=~Q(summary="") & LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH),
                name="presentation_offer_summary_bounded",
                violation_error_message=f"The summary is between 1 and {SUMMARY_MAX_LENGTH} characters.",
            ),
            models.CheckConstraint(
                condition=Q(status="approved", meeting__isnull=False)
                | (~Q(status="approved") & Q(meeting__isnull=True)),
                name="presentation_offer_accepted_iff_meeting",
                violation_error_message="An accepted offer, and only an accepted offer, is placed on a webinar.",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(review_reason=""),
                name="presentation_offer_declined_has_reason",
                violation_error_message="Give the reason for declining the offer.",
            ),
            models.CheckConstraint(
                # The decider's account may be deleted later (reviewed_by is then null); the time stays.
                condition=Q(status="submitted", reviewed_at__isnull=True, reviewed_by__isnull=True, review_reason="")
                | (~Q(status="submitted") & Q(reviewed_at__isnull=False)),
                name="presentation_offer_decided_iff_decision_recorded",
                violation_error_message="A decided offer has the time of its decision; a waiting one has none.",
            ),
            models.UniqueConstraint(
                "person",
                Lower("title"),
                condition=Q(status="submitted"),
                name="one_waiting_presentation_offer_per_title",
                violation_error_message="You have already offered a presentation with this title.",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"]), models.Index(fields=["meeting", "status"])]

    def __str__(self):
        return f"{self.title} ({self.person})"

    @property
    def months(self) -> list[datetime.date]:
        """The preferred months as dates (the first of each month), in order."""
        return sorted(parse_month(month) for month in self.preferred_months)

    @property
    def officer_email(self) -> str:
        """Where the officer is told of the decision: their account's email, else their work email."""
        return self.person.user.email if self.person.user_id else self.person.work_email

    def clean(self):
        super().clean()
        if self.status == OfferStatus.ACCEPTED and self.meeting_id is None:
            raise ValidationError({"meeting": "Choose the webinar the offer is placed on."}, code="meeting_required")
        if self.status != OfferStatus.ACCEPTED and self.meeting_id is not None:
            raise ValidationError({"meeting": "Only an accepted offer is placed on a webinar."}, code="meeting_only")
        if self.status == OfferStatus.DECLINED and not self.review_reason.strip():
            raise ValidationError({"review_reason": "Give the reason for declining the offer."}, code="reason_required")
        if self.meeting_id is not None and self.meeting.kind != Meeting.Kind.NATIONAL_WEBINAR:
            raise ValidationError({"meeting": "An offer is placed on a national webinar."}, code="not_a_webinar")
