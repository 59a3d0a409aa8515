"""Offers to present at a national webinar: an officer in post offers or withdraws; the national lead
accepts (placing the offer on an upcoming national webinar) or declines with a reason, and moves an
accepted offer to another upcoming webinar (when its webinar is cancelled, or the date no longer suits).

Every function is keyword-only and runs in one transaction; its emails are stored in it
(emails.services.email_queue) and sent when it commits. Refusals are ValidationError with a message
for the person using the page (a dict by field where a form field is wrong). Locking, refusing a
second decision and recording who decided, when and why are the request base's
(officers.models.ReviewedRequest).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from emails.services import email_queue
from handovers.services import site_url
from meetings.models import Meeting
from msonet.history import record_change
from officers.models import Appointment, Person
from users.models import User

from .models import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Offer, months_ahead, parse_month

SUBMITTED_REASON = "Offer to present submitted"
WITHDRAWN_REASON = "Withdrawn by the officer"


def upcoming_webinars(day: datetime.date | None = None):
    """The national webinars an offer can be placed on: those not yet held (today's included) and not
    cancelled, soonest first."""
    day = day or timezone.localdate()
    return Meeting.objects.national_webinars().not_cancelled().filter(held_on__gte=day).order_by("held_on", "pk")


def month_label(month: datetime.date) -> str:
    return date_format(month, "F Y")


def clean_preferred_months(values, *, today: datetime.date) -> list[str]:
    """The months given, as sorted distinct "YYYY-MM" strings; ValidationError when one is not a
    month or is not within the next 12 months (this month included)."""
    allowed = months_ahead(today)
    months = set()
    if isinstance(values, str):
        values = [values]
    for value in values or []:
        try:
            month = parse_month(value)
        except ValueError:
            raise ValidationError(
                f"“{value}” is not a month. Choose the months from the list.", code="invalid_month"
            ) from None
        if month not in allowed:
            raise ValidationError(
                f"{month_label(month)} is not within the next 12 months. Choose months from "
                f"{month_label(allowed[0])} to {month_label(allowed[-1])}.",
                code="month_out_of_range",
            )
        months.add(month)
    return [f"{month:%Y-%m}" for month in sorted(months)]


def _duplicate(title: str) -> ValidationError:
    return ValidationError(
        {"title": f"You have already offered “{title}”. The national MSO team will reply to that offer."},
        code="duplicate_offer",
    )


def offer_submit(
    *,
    person: Person,
    user: User,
    title: str,
    summary: str,
    preferred_months: list[str],
    today: datetime.date | None = None,
) -> Offer:
    """Store an officer's offer to present for the national lead's queue, and tell the national leads.

    Refused (ValidationError, by field) when the title or summary is empty or too long, a month is not
    one of the next 12, or the officer already has a waiting offer with the same title (the
    database's one_waiting_presentation_offer_per_title backs the check); refused when the person
    holds no current appointment. Nothing is written then."""
    today = today or timezone.localdate()
    title = " ".join((title or "").split())
    summary = (summary or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Enter the title of your presentation."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"The title must be {TITLE_MAX_LENGTH} characters or fewer."
    if not summary:
        errors["summary"] = "Enter a summary of your presentation."
    elif len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = f"The summary must be {SUMMARY_MAX_LENGTH} characters or fewer (it has {len(summary)})."
    try:
        months = clean_preferred_months(preferred_months, today=today)
    except ValidationError as error:
        errors["preferred_months"] = error.messages
    if errors:
        raise ValidationError(errors)
    if not Appointment.objects.current().filter(person=person).exists():
        raise ValidationError("Only an officer in post at an organisation can offer to present.", code="not_in_post")
    offer = Offer(person=person, title=title, summary=summary, preferred_months=months)
    record_change(offer, user=user, reason=SUBMITTED_REASON)
    try:
        with transaction.atomic():
            if Offer.objects.waiting().filter(person=person, title__iexact=title).exists():
                raise _duplicate(title)
            offer.save()
            _tell_the_national_team(offer, user=user)
    except IntegrityError as exc:  # the same offer sent twice at the same moment
        raise _duplicate(title) from exc
    return offer


def _tell_the_national_team(offer: Offer, *, user: User) -> None:
    """Email the national leads (other than the officer) that an offer to present waits for a decision."""
    leads = list(
        User.objects.filter(is_national_lead=True, is_active=True).exclude(pk=user.pk).values_list("email", flat=True)
    )
    if leads:
        email_queue(
            to=leads,
            template="presentation_offer_to_review",
            context={
                "offer": offer,
                "person": offer.person,
                "months": [month_label(month) for month in offer.months],
                "url": site_url(reverse("presentations:review", args=[offer.pk])),
            },
        )


def _lock_waiting(offer_id: int, *, queryset=None) -> Offer:
    queryset = Offer.objects.all() if queryset is None else queryset
    return queryset.select_related("person__user", "reviewed_by").lock_waiting(offer_id)


@transaction.atomic
def offer_withdraw(*, offer: Offer, user: User) -> Offer:
    """The officer withdraws their own offer while it waits for a decision. Offer.DoesNotExist when it
    is not theirs; ValidationError when it has been decided."""
    offer = _lock_waiting(offer.pk, queryset=Offer.objects.filter(person__user=user))
    offer.mark_withdrawn(user=user, history_reason=WITHDRAWN_REASON)
    return offer


def _refuse_unless_lead(user: User) -> None:
    if not (user.is_authenticated and user.is_national_lead):
        raise PermissionDenied("Only the national lead decides offers to present.")


@transaction.atomic
def offer_accept(*, offer: Offer, meeting: Meeting, user: User) -> Offer:
    """The national lead accepts a waiting offer, placing it on `meeting`, a national webinar not yet
    held; the officer is emailed which webinar and when. ValidationError when the offer is no longer
    waiting or the meeting is not an upcoming national webinar; nothing changes then."""
    _refuse_unless_lead(user)
    offer = _lock_waiting(offer.pk)
    offer.refuse_own(user)
    webinar = upcoming_webinars().filter(pk=meeting.pk).first()
    if webinar is None:
        raise ValidationError(
            {"meeting": "Choose a national webinar that has not taken place yet."}, code="not_an_upcoming_webinar"
        )
    offer.mark_approved(
        reviewer=user,
        history_reason=f"Accepted by {user.get_full_name()} for the webinar of {webinar.held_on:%d %b %Y}",
        meeting=webinar,
    )
    email_queue(
        to=[offer.officer_email],
        template="presentation_offer_accepted",
        context={
            "offer": offer,
            "person": offer.person,
            "meeting": webinar,
            "url": site_url(reverse("presentations:offer-detail", args=[offer.pk])),
        },
    )
    return offer


@transaction.atomic
def offer_decline(*, offer: Offer, reason: str, user: User) -> Offer:
    """The national lead declines a waiting offer with a reason (required), which the officer is
    emailed. ValidationError when the reason is empty or the offer is no longer waiting."""
    _refuse_unless_lead(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for declining the offer."}, code="reason_required")
    offer = _lock_waiting(offer.pk)
    offer.refuse_own(user)
    offer.mark_rejected(reviewer=user, reason=reason, history_reason=f"Declined by {user.get_full_name()}: {reason}")
    email_queue(
        to=[offer.officer_email],
        template="presentation_offer_declined",
        context={
            "offer": offer,
            "person": offer.person,
            "reason": reason,
            "url": site_url(reverse("presentations:offer-detail", args=[offer.pk])),
        },
    )
    return offer


def _webinar_day(meeting: Meeting) -> str:
    return f"{meeting.held_on:%d %b %Y}"


def _lock_accepted(offer_id: int) -> Offer:
    """The offer `offer_id`, locked until the transaction ends; refused unless it is accepted. Its webinar
    is read after the lock is held (a row joined in the locking query could be the one from before a
    move that ran meanwhile)."""
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if offer.status != Offer.Status.ACCEPTED:
        if offer.status == Offer.Status.SUBMITTED:
            message = "This offer has not been accepted yet, so it is on no webinar: accept it onto a webinar instead."
        else:
            message = f"This offer was {offer.get_status_display().lower()}, so it is on no webinar to move."
        raise ValidationError(message, code="not_accepted")
    return offer


@transaction.atomic
def offer_move(*, offer: Offer, meeting: Meeting, user: User) -> Offer:
    """The national lead moves an accepted offer to `meeting`, another upcoming national webinar (its
    webinar was cancelled, or the date no longer suits the presenter); the officer is emailed the new
    webinar and when. The original decision (who accepted it, when) stays; the history has the move.

    ValidationError, and nothing changes, when the offer is not accepted, its webinar has taken place
    (and was not cancelled), `meeting` is the webinar it is on, or `meeting` is not an upcoming
    national webinar. The chosen webinar is locked too, so that a cancellation at the same moment
    either comes first (and the move is refused) or lists the moved offer among its presenters."""
    _refuse_unless_lead(user)
    offer = _lock_accepted(offer.pk)
    offer.refuse_own(user)
    current = offer.meeting
    if not current.is_cancelled and current.held_on < timezone.localdate():
        raise ValidationError(
            f"The webinar of {date_format(current.held_on, 'j F Y')} has taken place, so the offer presented at it "
            "cannot be moved.",
            code="webinar_held",
        )
    if meeting.pk == current.pk:
        raise ValidationError(
            {
                "meeting": f"The offer is already on the webinar of {date_format(current.held_on, 'j F Y')}. "
                "Choose another webinar."
            },
            code="same_webinar",
        )
    webinar = upcoming_webinars().select_for_update().filter(pk=meeting.pk).first()
    if webinar is None:
        raise ValidationError(
            {"meeting": "Choose a national webinar that has not taken place yet."}, code="not_an_upcoming_webinar"
        )
    offer.meeting = webinar
    record_change(
        offer,
        user=user,
        reason=f"Moved from the webinar of {_webinar_day(current)} to the webinar of {_webinar_day(webinar)} "
        f"by {user.get_full_name()}",
    )
    offer.save(update_fields=["meeting"])
    email_queue(
        to=[offer.officer_email],
        template="presentation_offer_moved",
        context={
            "offer": offer,
            "person": offer.person,
            "meeting": webinar,
            "previous": current,
            "url": site_url(reverse("presentations:offer-detail", args=[offer.pk])),
        },
    )
    return offer
