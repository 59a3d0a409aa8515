"""Handover workflows: the hand-over of a named role (MSO, MDSO) when its holder leaves.

Every function is keyword-only and runs in one transaction; its emails are stored in that
transaction (emails.services.email_queue) and sent when it commits. Refusals are raised as
ValidationError (a rule of the workflow) or PermissionDenied (the user may not do this), each with
a message for the person using the page.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from emails.services import email_queue
from msonet.history import record_change
from networks.models import Membership, Network
from officers.models import Appointment, Person
from users.models import User

from .models import Handover, HandoverChecklistItem

# The reminder occasions: (key, days before the due date).
REMINDER_WEEK_BEFORE = ("due-in-7", 7)
REMINDER_DUE_DAY = ("due-today", 0)


def _name(user) -> str:
    return user.get_full_name() if user is not None else "the system"


def handover_start_refusal(
    user: User, appointment: Appointment, *, in_progress: bool
) -> PermissionDenied | ValidationError | None:
    """Why `user` may not start the handover of `appointment`, or None when they may: the one rule of
    the "Start a handover" links and of handover_start.

    The holder of an active named appointment, and the national lead, may hand it over
    (PermissionDenied for anyone else), while no handover of it is in progress (`in_progress`, as
    the caller found it: ValidationError).
    """
    if not (
        user.is_authenticated
        and appointment.is_named
        and appointment.status == Appointment.Status.ACTIVE
        and (user.is_national_lead or (user.pk is not None and appointment.person.user_id == user.pk))
    ):
        return PermissionDenied("Only the officer who holds this role, or the national lead, can hand it over.")
    if in_progress:
        return ValidationError(
            f"A handover of {appointment.person.full_name}'s role is already in progress.", code="handover_in_progress"
        )
    return None


def handover_can_start(user: User, appointment: Appointment, *, in_progress: bool) -> bool:
    """Whether `user` may start the handover of `appointment` now (handover_start_refusal)."""
    return handover_start_refusal(user, appointment, in_progress=in_progress) is None


def handover_open(
    *,
    outgoing: Appointment,
    incoming: Appointment | None = None,
    leaving_date: datetime.date,
    due_date: datetime.date | None = None,
    started_by,
) -> Handover:
    """Open the handover of `outgoing` (an active appointment), due on `due_date` (by default
    HANDOVER_DUE_DAYS after the leaving date), with `incoming` as the successor when known.

    Raises ValidationError when the outgoing appointment is not active, when the due date is before
    the leaving date, when the successor's appointment is for another organisation or role, or when
    a handover of the outgoing appointment is already in progress (the database's
    one_unfinished_handover_per_appointment).
    """
    if outgoing.status != Appointment.Status.ACTIVE:
        raise ValidationError("Only an active appointment can be handed over.")
    if leaving_date < outgoing.start_date:
        raise ValidationError(
            f"The leaving date cannot be before the appointment started ({outgoing.start_date:%-d %B %Y}).",
            code="leaving_before_start",
        )
    if due_date is None:
        due_date = leaving_date + datetime.timedelta(days=settings.HANDOVER_DUE_DAYS)
    if due_date < leaving_date:
        raise ValidationError("The due date cannot be before the leaving date.", code="due_before_leaving")
    if incoming is not None:
        if incoming.pk == outgoing.pk:
            raise ValidationError("The successor's appointment must differ from the outgoing one.")
        if incoming.organisation_id != outgoing.organisation_id or incoming.role != outgoing.role:
            raise ValidationError("The successor's appointment must be for the same role at the same organisation.")
    handover = Handover(
        organisation_id=outgoing.organisation_id,
        outgoing_appointment=outgoing,
        incoming_appointment=incoming,
        leaving_date=leaving_date,
        due_date=due_date,
        started_by=started_by,
    )
    record_change(handover, user=started_by, reason=f"Handover opened by {_name(started_by)}")
    try:
        with transaction.atomic():
            handover.save()
    except IntegrityError as exc:
        raise ValidationError(
            f"A handover of {outgoing.person.full_name}'s role is already in progress.", code="handover_in_progress"
        ) from exc
    return handover


def handover_start(
    *,
    appointment_id: int,
    leaving_date: datetime.date,
    due_date: datetime.date | None = None,
    successor_id: int | None = None,
    started_by: User,
) -> Handover:
    """The outgoing officer (or the national lead) starts the handover of their named appointment.

    `successor_id`, when the successor already has a person record, names them: their pending
    appointment to the same role at the organisation becomes the incoming side, or one is created
    (pending, from the leaving date). Without it, the successor is attached when their registration
    is approved (registrations.services.registration_approve).

    When it commits, the successor (when named), the chairs of the organisation's regional network,
    the national leads and the outgoing officer (but the one who started it) are each emailed once.

    Raises what handover_start_refusal gives (PermissionDenied for anyone but the holder or the
    lead, ValidationError when a handover of the role is in progress), and ValidationError as
    handover_open does.
    """
    with transaction.atomic():
        outgoing = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("person", "organisation__region")
            .get(pk=appointment_id)
        )
        in_progress = Handover.objects.unfinished().filter(outgoing_appointment=outgoing).exists()
        refusal = handover_start_refusal(started_by, outgoing, in_progress=in_progress)
        if refusal is not None:
            raise refusal
        incoming = None
        if successor_id is not None:
            incoming = _successor_appointment(
                outgoing, successor_id=successor_id, start_date=leaving_date, user=started_by
            )
        handover = handover_open(
            outgoing=outgoing, incoming=incoming, leaving_date=leaving_date, due_date=due_date, started_by=started_by
        )
        _email_started(handover, started_by=started_by)
    return handover


def _successor_appointment(
    outgoing: Appointment, *, successor_id: int, start_date: datetime.date, user: User
) -> Appointment:
    successor = Person.objects.get(pk=successor_id)
    if successor.pk == outgoing.person_id:
        raise ValidationError("The successor must be someone other than the outgoing officer.", code="same_person")
    appointment = (
        Appointment.objects.filter(
            person=successor,
            organisation_id=outgoing.organisation_id,
            role=outgoing.role,
            status=Appointment.Status.PENDING,
        )
        .order_by("pk")
        .first()
    )
    if appointment is None:
        appointment = Appointment(
            person=successor,
            organisation_id=outgoing.organisation_id,
            role=outgoing.role,
            status=Appointment.Status.PENDING,
            start_date=start_date,
        )
        record_change(appointment, user=user, reason=f"Named as successor by {_name(user)}")
        appointment.save()
    return appointment


def _locked_handover(handover_id: int) -> Handover:
    return (
        Handover.objects.select_for_update(of=("self",))
        .select_related(
            "organisation__region", "outgoing_appointment__person", "incoming_appointment__person", "completed_by"
        )
        .get(pk=handover_id)
    )


def _refuse_if_completed(handover: Handover) -> None:
    if handover.is_completed:
        when = timezone.localtime(handover.completed_at).strftime("%-d %B %Y")
        raise ValidationError(
            f"This handover was already completed on {when} by {_name(handover.completed_by)}. Nothing was changed.",
            code="already_completed",
        )


def handover_tick(*, handover_id: int, item: str, user: User) -> HandoverChecklistItem:
    """Tick a checklist item, recording who and when. Ticking a ticked item changes nothing."""
    if item not in HandoverChecklistItem.Item.values:
        raise ValidationError("Choose an item of the checklist.", code="invalid_item")
    with transaction.atomic():
        handover = _locked_handover(handover_id)
        _refuse_if_completed(handover)
        if not handover.can_change(user):
            raise PermissionDenied("Only the officers handing over, and the national lead, can tick the checklist.")
        tick = handover.checklist.filter(item=item).first()
        if tick is None:
            tick = HandoverChecklistItem(handover=handover, item=item, ticked_at=timezone.now(), ticked_by=user)
            record_change(tick, user=user, reason=f"Ticked by {_name(user)}")
            tick.save()
    return tick


def handover_untick(*, handover_id: int, item: str, user: User) -> None:
    """Untick a checklist item (the history keeps who ticked and who unticked it)."""
    if item not in HandoverChecklistItem.Item.values:
        raise ValidationError("Choose an item of the checklist.", code="invalid_item")
    with transaction.atomic():
        handover = _locked_handover(handover_id)
        _refuse_if_completed(handover)
        if not handover.can_change(user):
            raise PermissionDenied("Only the officers handing over, and the national lead, can untick the checklist.")
        for tick in handover.checklist.filter(item=item):
            record_change(tick, user=user, reason=f"Unticked by {_name(user)}")
            tick.delete()


def handover_complete(*, handover_id: int, user: User, reason: str = "") -> Handover:
    """Complete a handover: the outgoing appointment ends on the leaving date, the incoming one
    becomes active, and the officers and the regional network's chairs are emailed.

    The national lead may complete any handover; the outgoing officer may complete theirs once a
    successor is attached and the checklist is complete. With unticked items or no successor (the
    role is left vacant), only the national lead may complete, giving the reason, which is kept as
    the completion note. The outgoing appointment is ended before the incoming one is activated, as
    the database allows one active named officer per role at a time. The handover row is locked,
    so a second completion is refused with the first one's date and author.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        handover = _locked_handover(handover_id)
        _refuse_if_completed(handover)
        today = timezone.localdate()
        if not handover.can_complete(user, today):
            raise _completion_refusal(handover, user, today)
        problems = handover.completion_problems()
        if problems and not reason:  # the national lead, who may complete it giving the reason
            raise _incomplete(problems, "give the reason to complete it anyway")
        completed_by = f"Handover completed by {_name(user)}"
        _end_outgoing(handover, user=user, reason=completed_by)
        if handover.incoming_appointment is not None:
            _activate_incoming(handover, user=user, reason=completed_by)
        handover.status = Handover.Status.COMPLETED
        handover.completed_at = timezone.now()
        handover.completed_by = user
        handover.completion_note = reason
        record_change(handover, user=user, reason=completed_by + (" with a note" if reason else ""))
        handover.save(update_fields=["status", "completed_at", "completed_by", "completion_note"])
        _email_completed(handover)
    return handover


def _completion_refusal(handover: Handover, user: User, day: datetime.date) -> PermissionDenied | ValidationError:
    """Why Handover.can_complete refused `user` on `day`, in words for the page."""
    if not handover.is_completer(user):
        return PermissionDenied(
            "Only the national lead, or the outgoing officer once their successor is named, can complete this handover."
        )
    if day < handover.leaving_date:
        return ValidationError(
            f"You can complete this handover from {handover.leaving_date:%-d %B %Y}, the leaving date.",
            code="before_leaving_date",
        )
    return _incomplete(handover.completion_problems(), "ask the national lead")


def _incomplete(problems: list[str], otherwise: str) -> ValidationError:
    return ValidationError(
        f"The handover cannot be completed yet: {' and '.join(problems)}. Finish these, or {otherwise}.",
        code="incomplete",
    )


def _end_outgoing(handover: Handover, *, user: User, reason: str) -> None:
    outgoing = Appointment.objects.select_for_update(of=("self",)).get(pk=handover.outgoing_appointment_id)
    if outgoing.status != Appointment.Status.ACTIVE:
        return  # ended already (in the admin, for example): its end date stands
    outgoing.status = Appointment.Status.ENDED
    outgoing.end_date = handover.leaving_date
    record_change(outgoing, user=user, reason=reason)
    outgoing.save(update_fields=["status", "end_date", "updated_at"])
    handover.outgoing_appointment = outgoing


def _activate_incoming(handover: Handover, *, user: User, reason: str) -> None:
    incoming = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=handover.incoming_appointment_id)
    )
    if incoming.status == Appointment.Status.ACTIVE:
        return
    if incoming.status != Appointment.Status.PENDING:
        raise ValidationError(
            f"The successor's appointment is {incoming.get_status_display().lower()}, so it cannot start. "
            "Nothing was changed.",
            code="incoming_not_pending",
        )
    incoming.status = Appointment.Status.ACTIVE
    record_change(incoming, user=user, reason=reason)
    try:
        with transaction.atomic():
            incoming.save(update_fields=["status", "updated_at"])
    except IntegrityError as exc:
        raise ValidationError(
            f"{handover.organisation.name} already has another active {incoming.get_role_display().lower()}, so "
            "the successor cannot start. Nothing was changed.",
            code="role_held",
        ) from exc
    handover.incoming_appointment = incoming


def _regional_chairs(handover: Handover) -> list[Person]:
    if handover.organisation.region_id is None:
        return []
    chairs = (
        Membership.objects.current()
        .chairs()
        .filter(network__kind=Network.Kind.REGIONAL, network__region_id=handover.organisation.region_id)
    )
    return [membership.person for membership in chairs.select_related("person", "network")]


def _email_started(handover: Handover, *, started_by: User) -> None:
    """Tell the successor (when named), the chairs of the organisation's regional network and the
    national leads that the handover has started, and the outgoing officer when someone else (the
    lead) started it for them: one email each, sent when the transaction commits. No address gets
    two of them; the one who started it gets none."""
    outgoing = handover.outgoing_appointment.person
    incoming = handover.incoming_appointment.person if handover.incoming_appointment else None
    context = {
        "handover": handover,
        "organisation": handover.organisation,
        "role": handover.outgoing_appointment.get_role_display(),
        "outgoing": outgoing,
        "incoming": incoming,
        "url": site_url(handover.get_absolute_url()),
    }
    told = {outgoing.work_email.lower()}

    def tell(address: str, template: str, key: str, **extra) -> None:
        if not address or address.lower() in told:
            return
        told.add(address.lower())
        email_queue(
            to=[address],
            template=template,
            context={**context, **extra},
            dedupe_key=f"handover-{handover.pk}-started-{key}",
        )

    if outgoing.user_id != started_by.pk:
        # Started for them (by the national lead): the outgoing officer is told, as the others are.
        told.discard(outgoing.work_email.lower())
        tell(
            outgoing.work_email,
            "handover_started_outgoing",
            f"outgoing-{outgoing.pk}",
            started_by_name=_name(started_by),
        )
    if incoming is not None:
        tell(incoming.work_email, "handover_started_successor", f"successor-{incoming.pk}", person=incoming)
    told.add(started_by.email.lower())
    for chair in _regional_chairs(handover):
        if chair.user_id != started_by.pk:
            tell(chair.work_email, "handover_started_chair", f"chair-{chair.pk}", chair=chair)
    for lead in User.objects.filter(is_active=True, is_national_lead=True).exclude(pk=started_by.pk).order_by("email"):
        tell(lead.email, "handover_started_lead", f"lead-{lead.pk}", lead=lead)


def _email_completed(handover: Handover) -> None:
    outgoing = handover.outgoing_appointment.person
    incoming = handover.incoming_appointment.person if handover.incoming_appointment else None
    context = {
        "handover": handover,
        "organisation": handover.organisation,
        "role": handover.outgoing_appointment.get_role_display(),
        "outgoing": outgoing,
        "incoming": incoming,
    }
    email_queue(to=[outgoing.work_email], template="handover_completed", context={**context, "person": outgoing})
    if incoming is not None:
        email_queue(to=[incoming.work_email], template="handover_completed", context={**context, "person": incoming})
    for chair in _regional_chairs(handover):
        if chair.pk in {outgoing.pk, getattr(incoming, "pk", None)}:
            continue
        email_queue(to=[chair.work_email], template="handover_completed_chair", context={**context, "chair": chair})


# Reminders


@dataclass
class RemindersReport:
    sent: int = 0
    already_sent: int = 0
    handovers: list[int] = field(default_factory=list)

    def summary_line(self) -> str:
        return f"handovers={len(self.handovers)} sent={self.sent} already_sent={self.already_sent}"


def handover_send_reminders(*, day: datetime.date | None = None) -> RemindersReport:
    """Email the outgoing and incoming officers of each unfinished handover a week before its due
    date (when it is due within the next seven days) and on the due date itself.

    Each email goes once per person and occasion (email_queue's dedupe_key), so running this twice,
    or on the days after a week-before reminder, sends nothing more.
    """
    day = day or timezone.localdate()
    report = RemindersReport()
    week_key, week_days = REMINDER_WEEK_BEFORE
    handovers = (
        Handover.objects.unfinished()
        .filter(due_date__gte=day, due_date__lte=day + datetime.timedelta(days=week_days))
        .select_related("organisation", "outgoing_appointment__person", "incoming_appointment__person")
        .order_by("due_date", "pk")
    )
    for handover in handovers:
        occasion = REMINDER_DUE_DAY[0] if handover.due_date == day else week_key
        people = [handover.outgoing_appointment.person]
        if handover.incoming_appointment is not None:
            people.append(handover.incoming_appointment.person)
        report.handovers.append(handover.pk)
        for person in people:
            with transaction.atomic():
                email = email_queue(
                    to=[person.work_email],
                    template="handover_reminder",
                    context={
                        "handover": handover,
                        "person": person,
                        "organisation": handover.organisation,
                        "role": handover.outgoing_appointment.get_role_display(),
                        "is_outgoing": person.pk == handover.outgoing_appointment.person_id,
                        "days_left": (handover.due_date - day).days,
                        "url": site_url(handover.get_absolute_url()),
                    },
                    dedupe_key=f"handover-{handover.pk}-{occasion}-{person.pk}",
                )
            if email is None:
                report.already_sent += 1
            else:
                report.sent += 1
    return report


def site_url(path: str) -> str:
    """The address of a page of the portal, for an email (SITE_URL, then the path)."""
    return settings.SITE_URL + path
