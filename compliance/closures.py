"""When ODS closes an organisation: its successor, and its officers still in post.

The compliance scan flags each closed organisation in England with officers in post
(Flag.Kind.OFFICERS_AT_CLOSED). The national lead then sets the successor, when ODS has not been
read for it (the layout of ODS's successor file could not be established from its published
documentation, so the successor is set by hand), and either moves the officers to the successor or
ends their appointments. Either way the flag is resolved at once, by the scan's own rule.

Every function is keyword-only and runs in one transaction with the rows it changes locked; its
emails are stored in that transaction and sent when it commits. A refusal is a ValidationError
with a message for the lead, raised before anything is written.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from emails.services import email_queue
from handovers.models import Handover
from handovers.services import site_url
from msonet.history import record_change
from officers.models import Appointment, Person
from organisations.models import Organisation
from users.models import User

from .models import Flag
from .services import organisation_flags_resolve

# Who stays the named officer at the successor where both organisations have one (`keep`).
KEEP_INCOMING = "incoming"  # the closed organisation's officer, after a handover at the successor
KEEP_CURRENT = "current"  # the successor's officer; the closed organisation's officer hands over to them
KEEP_CHOICES = (KEEP_INCOMING, KEEP_CURRENT)

# What happened to each appointment at the closed organisation (Move.outcome).
MOVED = "moved"  # active at the successor from the close date
PENDING = "pending"  # pending at the successor until the handover from its current officer completes
HANDED_OVER = "handed-over"  # ended; a handover to the successor's officer, who stays named, is open
ALREADY_THERE = "already-there"  # ended; the same person already holds the role at the successor
ENDED = "ended"  # ended, with no successor (closure_officers_end)

# The flags a move may resolve at once: the closed organisation's, and the successor's lack of a named officer.
CLOSED_FLAG_KINDS = [Flag.Kind.OFFICERS_AT_CLOSED]
SUCCESSOR_FLAG_KINDS = [Flag.Kind.NO_MSO, Flag.Kind.NO_MDSO]


@dataclass
class Clash:
    """A named role held at both the closed organisation and its successor: the lead chooses who stays."""

    role: str
    incoming: Appointment  # at the closed organisation
    current: Appointment  # at the successor

    @property
    def role_label(self) -> str:
        return self.incoming.get_role_display()


@dataclass
class Move:
    """What a move or an end did with one appointment at the closed organisation."""

    old: Appointment
    outcome: str
    new: Appointment | None = None
    handover: Handover | None = None
    # The successor's officer in the role, where there was a clash.
    current: Appointment | None = None

    @property
    def handover_url(self) -> str:
        return site_url(self.handover.get_absolute_url()) if self.handover else ""


@dataclass
class ClosureReport:
    organisation: Organisation
    successor: Organisation | None
    moves: list[Move] = field(default_factory=list)
    flags_resolved: int = 0

    @property
    def handovers(self) -> list[Handover]:
        return [move.handover for move in self.moves if move.handover is not None]


def is_closed(organisation: Organisation, day: datetime.date) -> bool:
    return organisation.closed_on is not None and organisation.closed_on <= day


def move_date(appointment: Appointment, organisation: Organisation) -> datetime.date:
    """The day an appointment at a closed organisation ends (and its successor appointment starts):
    the close date, or the appointment's start date where it started after the closure (recorded
    late), as an appointment cannot end before it starts."""
    return max(organisation.closed_on, appointment.start_date)


def closure_in_post(organisation: Organisation):
    """The active appointments at an organisation, with their people, named officers first."""
    return Appointment.objects.current().filter(organisation=organisation).select_related("person").in_role_order()


def closure_clashes(
    *, organisation: Organisation, in_post: list[Appointment], successor_named: list[Appointment]
) -> list[Clash]:
    """The named roles held both by someone at the closed organisation (`in_post`) and by someone
    else at the successor (`successor_named`, its active named appointments)."""
    current = {appointment.role: appointment for appointment in successor_named}
    return [
        Clash(role=appointment.role, incoming=appointment, current=current[appointment.role])
        for appointment in in_post
        if appointment.is_named
        and appointment.role in current
        and current[appointment.role].person_id != appointment.person_id
    ]


def _locked_organisation(pk: int) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=pk)


def _locked_in_post(organisation: Organisation) -> list[Appointment]:
    return list(closure_in_post(organisation).select_for_update(of=("self",)))


def _reason(base: str, reason: str) -> str:
    reason = (reason or "").strip()
    return f"{base}: {reason}" if reason else base


def _refuse_unless_closed(organisation: Organisation, today: datetime.date) -> None:
    if not is_closed(organisation, today):
        when = f" until {organisation.closed_on:%-d %B %Y}" if organisation.closed_on else ""
        raise ValidationError(
            f"{organisation.name} is open{when}: ODS has not closed it, so its officers stay in post. "
            "Nothing was changed.",
            code="not_closed",
        )


def _refuse_if_none_in_post(organisation: Organisation, in_post: list[Appointment]) -> None:
    if not in_post:
        raise ValidationError(
            f"No officers are in post at {organisation.name} any more. Nothing was changed.", code="none_in_post"
        )


def _successor_chain_reaches(start: Organisation, target_pk: int) -> bool:
    """Whether following successors from `start` (itself included) reaches `target_pk`."""
    seen = set()
    current = start
    while current is not None and current.pk not in seen:
        if current.pk == target_pk:
            return True
        seen.add(current.pk)
        current = Organisation.objects.filter(pk=current.successor_id).first() if current.successor_id else None
    return False


def organisation_successor_set(
    *, organisation: Organisation, successor: Organisation, user: User, reason: str
) -> Organisation:
    """Record, by hand, the organisation that took over from `organisation` after a merger or closure.

    Refused when the successor is the organisation itself, is closed on the day, or leads back to
    the organisation through its own successors (a loop).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for setting the successor, such as the merger it follows.")
    today = timezone.localdate()
    with transaction.atomic():
        organisation = _locked_organisation(organisation.pk)
        successor = Organisation.objects.select_for_update().get(pk=successor.pk)
        if successor.pk == organisation.pk:
            raise ValidationError("An organisation cannot be its own successor. Nothing was changed.", code="itself")
        if is_closed(successor, today):
            raise ValidationError(
                f"{successor.name} ({successor.ods_code}) closed on {successor.closed_on:%-d %B %Y}, so it cannot "
                "take over. Choose the organisation open now. Nothing was changed.",
                code="successor_closed",
            )
        if _successor_chain_reaches(successor, organisation.pk):
            raise ValidationError(
                f"{successor.name} ({successor.ods_code}) has {organisation.name} among its own successors, so "
                "this would make a loop. Nothing was changed.",
                code="loop",
            )
        organisation.successor = successor
        record_change(organisation, user=user, reason=_reason(f"Successor set to {successor.ods_code}", reason))
        organisation.save(update_fields=["successor", "updated_at"])
    return organisation


def closure_officers_move(
    *, organisation: Organisation, keep: dict[str, str], user: User, reason: str = ""
) -> ClosureReport:
    """Move every officer in post at a closed organisation to its successor.

    Each active appointment ends on the close date (move_date) and the same person starts in the
    same role at the successor from that day, with the MHRA registration carried over. Where the
    successor already has another active named officer in the role (MSO or MDSO), the database
    allows one, so `keep[role]` says who stays named:

    - KEEP_INCOMING: the closed organisation's officer. Their appointment at the successor is created
      pending, and a handover is opened at the successor from its current officer to them (leaving
      today, or on the close date if later; due HANDOVER_DUE_DAYS after), so that completing it
      (handover_complete) ends the current officer and makes them the named officer, as any
      handover does. Their pending appointment starts on the leaving date.
    - KEEP_CURRENT: the successor's officer stays named. The closed organisation's appointment
      ends on the close date, and a handover of the role is opened at the successor from the
      closed organisation's officer to the one who stays (leaving on the close date; due
      HANDOVER_DUE_DAYS after today, or after the close date if later). Nothing is left to start or
      end when it completes, but its checklist is what the two officers must still do: the generic
      mailbox, the MHRA registration, the national database and the chair's introduction move to
      the one officer who now answers for both organisations.

    Someone who already holds the same role at the successor has their closed appointment ended and
    nothing started. Deputies, team members and medicines champions simply move.

    Refused, with nothing changed: the organisation is not closed; no successor is set; the
    successor is closed; no one is in post; a clash with no choice in `keep`; an appointment
    already moved (part of an unfinished handover, or its person already pending in the role at
    the successor).
    """
    today = timezone.localdate()
    with transaction.atomic():
        organisation = _locked_organisation(organisation.pk)
        _refuse_unless_closed(organisation, today)
        if organisation.successor_id is None:
            raise ValidationError(
                f"Set the successor of {organisation.name} first: no successor is recorded. Nothing was changed.",
                code="no_successor",
            )
        successor = _locked_organisation(organisation.successor_id)
        if is_closed(successor, today):
            raise ValidationError(
                f"The successor, {successor.name} ({successor.ods_code}), closed on {successor.closed_on:%-d %B %Y}"
                " too. Set the organisation open now as the successor. Nothing was changed.",
                code="successor_closed",
            )
        in_post = _locked_in_post(organisation)
        _refuse_if_none_in_post(organisation, in_post)
        at_successor = list(
            Appointment.objects.filter(
                organisation=successor, status__in=[Appointment.Status.ACTIVE, Appointment.Status.PENDING]
            )
            .select_related("person")
            .select_for_update(of=("self",))
        )
        _refuse_if_already_moved(in_post, at_successor, successor)
        clashes = {
            clash.role: clash
            for clash in closure_clashes(
                organisation=organisation,
                in_post=in_post,
                successor_named=[a for a in at_successor if a.is_named and a.status == Appointment.Status.ACTIVE],
            )
        }
        unchosen = [clash for role, clash in clashes.items() if keep.get(role) not in KEEP_CHOICES]
        if unchosen:
            raise ValidationError(
                "Choose who stays the named "
                + " and who the named ".join(
                    f"{clash.role_label.lower()} at {successor.name} ({clash.incoming.person.full_name} or "
                    f"{clash.current.person.full_name})"
                    for clash in unchosen
                )
                + ". Nothing was changed.",
                code="keep_not_chosen",
            )
        leaving, due = _handover_dates(organisation, today)
        for clash in clashes.values():
            if keep[clash.role] == KEEP_INCOMING:
                _refuse_unless_can_hand_over(clash, successor, leaving=leaving)
        active_there = {(a.person_id, a.role) for a in at_successor if a.status == Appointment.Status.ACTIVE}
        history = _reason(f"Moved to {successor.ods_code} after {organisation.ods_code} closed", reason)
        report = ClosureReport(organisation=organisation, successor=successor)
        for appointment in in_post:
            day = move_date(appointment, organisation)
            _end(appointment, day=day, user=user, reason=history)
            if (appointment.person_id, appointment.role) in active_there:
                report.moves.append(Move(old=appointment, outcome=ALREADY_THERE))
                continue
            clash = clashes.get(appointment.role)
            if clash is None:
                new = _start(
                    appointment, successor, status=Appointment.Status.ACTIVE, day=day, user=user, reason=history
                )
                report.moves.append(Move(old=appointment, outcome=MOVED, new=new))
            elif keep[appointment.role] == KEEP_INCOMING:
                move = _keep_incoming(
                    appointment, clash, successor, leaving=leaving, due=due, user=user, reason=history
                )
                report.moves.append(move)
            else:
                move = _keep_current(appointment, clash, successor, due=due, user=user, reason=history)
                report.moves.append(move)
        report.flags_resolved = _resolve_flags(organisation, successor, user=user, reason=history)
        _email_officers(report)
    return report


def _refuse_if_already_moved(in_post: list[Appointment], at_successor: list[Appointment], successor) -> None:
    ids = [appointment.pk for appointment in in_post]
    unfinished = (
        Handover.objects.unfinished()
        .filter(Q(outgoing_appointment__in=ids) | Q(incoming_appointment__in=ids))
        .select_related("outgoing_appointment__person")
        .order_by("pk")
        .first()
    )
    if unfinished is not None:
        raise ValidationError(
            f"A handover of {unfinished.outgoing_appointment.person.full_name}'s role is in progress "
            f"(due {unfinished.due_date:%-d %B %Y}): complete it before moving the officers. Nothing was changed.",
            code="handover_in_progress",
        )
    pending = {(a.person_id, a.role) for a in at_successor if a.status == Appointment.Status.PENDING}
    for appointment in in_post:
        if (appointment.person_id, appointment.role) in pending:
            raise ValidationError(
                f"{appointment.person.full_name} is already waiting to start as "
                f"{appointment.get_role_display().lower()} at {successor.name}. Nothing was changed.",
                code="already_moved",
            )


def _end(appointment: Appointment, *, day: datetime.date, user: User, reason: str) -> None:
    appointment.status = Appointment.Status.ENDED
    appointment.end_date = day
    record_change(appointment, user=user, reason=reason)
    appointment.save(update_fields=["status", "end_date", "updated_at"])


def _start(
    appointment: Appointment, successor: Organisation, *, status: str, day: datetime.date, user: User, reason: str
) -> Appointment:
    new = Appointment(
        person=appointment.person,
        organisation=successor,
        role=appointment.role,
        status=status,
        start_date=day,
        mhra_registered_on=appointment.mhra_registered_on,
        mhra_reference=appointment.mhra_reference,
    )
    record_change(new, user=user, reason=reason)
    new.save()
    return new


def _handover_dates(organisation: Organisation, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """When a handover the move opens starts (today, or the close date if later) and when it is due
    (HANDOVER_DUE_DAYS after), so that a closure recorded late does not open a lapsed handover."""
    start = max(today, organisation.closed_on)
    return start, start + datetime.timedelta(days=settings.HANDOVER_DUE_DAYS)


def _refuse_unless_can_hand_over(clash: Clash, successor: Organisation, *, leaving: datetime.date) -> None:
    """The successor's officer can hand over to the closed organisation's: they started by the
    leaving date and are not handing over already."""
    current = clash.current
    if leaving < current.start_date:
        raise ValidationError(
            f"{current.person.full_name} starts at {successor.name} on {current.start_date:%-d %B %Y}, so cannot "
            "hand over before then. Nothing was changed.",
            code="leaving_before_start",
        )
    if Handover.objects.unfinished().filter(outgoing_appointment=current).exists():
        raise ValidationError(
            f"A handover of {current.person.full_name}'s role at {successor.name} is already in progress: complete "
            f"it, or keep {current.person.full_name} as the named {clash.role_label.lower()}. Nothing was changed.",
            code="handover_in_progress",
        )


def _open_handover(
    *, successor: Organisation, outgoing: Appointment, incoming: Appointment, leaving_date, due_date, user, reason
) -> Handover:
    handover = Handover(
        organisation=successor,
        outgoing_appointment=outgoing,
        incoming_appointment=incoming,
        leaving_date=leaving_date,
        due_date=due_date,
        started_by=user,
    )
    record_change(handover, user=user, reason=reason)
    handover.save()
    return handover


def _keep_incoming(appointment, clash: Clash, successor, *, leaving, due, user, reason) -> Move:
    """The closed organisation's officer stays named: pending at the successor from the leaving date,
    with a handover to them from the successor's officer."""
    leaving = max(leaving, appointment.start_date)
    new = _start(appointment, successor, status=Appointment.Status.PENDING, day=leaving, user=user, reason=reason)
    handover = _open_handover(
        successor=successor,
        outgoing=clash.current,
        incoming=new,
        leaving_date=leaving,
        due_date=max(due, leaving),
        user=user,
        reason=reason,
    )
    return Move(old=appointment, outcome=PENDING, new=new, handover=handover, current=clash.current)


def _keep_current(appointment, clash: Clash, successor, *, due, user, reason) -> Move:
    """The successor's officer stays named. The closed organisation's officer, whose appointment has
    ended, hands the role over to them: the handover (at the successor, outgoing the ended
    appointment at the closed organisation, incoming the one who stays) has nothing to start or end
    when it completes, but its checklist is what the two must still do."""
    handover = _open_handover(
        successor=successor,
        outgoing=appointment,
        incoming=clash.current,
        leaving_date=appointment.end_date,
        due_date=max(due, appointment.end_date),
        user=user,
        reason=reason,
    )
    return Move(old=appointment, outcome=HANDED_OVER, handover=handover, current=clash.current)


def closure_officers_end(*, organisation: Organisation, user: User, reason: str) -> ClosureReport:
    """End every appointment in post at a closed organisation on its close date (move_date), with no
    successor needed: for an organisation whose work no one took over, or whose officers left."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for ending the appointments.", code="no_reason")
    today = timezone.localdate()
    with transaction.atomic():
        organisation = _locked_organisation(organisation.pk)
        _refuse_unless_closed(organisation, today)
        in_post = _locked_in_post(organisation)
        _refuse_if_none_in_post(organisation, in_post)
        history = _reason(f"Ended after {organisation.ods_code} closed", reason)
        report = ClosureReport(organisation=organisation, successor=None)
        for appointment in in_post:
            _end(appointment, day=move_date(appointment, organisation), user=user, reason=history)
            report.moves.append(Move(old=appointment, outcome=ENDED))
        report.flags_resolved = _resolve_flags(organisation, None, user=user, reason=history)
        _email_officers(report)
    return report


def _resolve_flags(organisation: Organisation, successor: Organisation | None, *, user, reason: str) -> int:
    """Resolve now, by the scan's rule, the closed organisation's flag and any lack of a named
    officer at the successor that the move filled."""
    resolved = organisation_flags_resolve(
        organisation_id=organisation.pk, kinds=CLOSED_FLAG_KINDS, user=user, reason=reason
    )
    if successor is not None:
        resolved += organisation_flags_resolve(
            organisation_id=successor.pk, kinds=SUCCESSOR_FLAG_KINDS, user=user, reason=reason
        )
    return resolved


def _email_officers(report: ClosureReport) -> None:
    """One email to each officer of the closed organisation, and one to each of the successor's
    officers whose role was in a clash, saying what happened."""
    context = {"organisation": report.organisation, "successor": report.successor}
    by_person: dict[int, tuple[Person, list[Move]]] = {}
    for move in report.moves:
        by_person.setdefault(move.old.person_id, (move.old.person, []))[1].append(move)
    for person, moves in by_person.values():
        email_queue(
            to=[person.work_email], template="closure_officer", context={**context, "person": person, "moves": moves}
        )
    current: dict[int, tuple[Person, list[Move]]] = {}
    for move in report.moves:
        if move.current is not None and move.current.person_id not in by_person:
            current.setdefault(move.current.person_id, (move.current.person, []))[1].append(move)
    for person, moves in current.values():
        email_queue(
            to=[person.work_email],
            template="closure_successor_officer",
            context={**context, "person": person, "moves": moves},
        )
