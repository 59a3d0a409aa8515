"""Meetings and their attendance, one change at a time: recording, scheduling, rescheduling or
cancelling a meeting (with its invitations, updates, cancellations and reminders), marking and
removing attendance, matching an imported attendee to a person or dismissing them, and each user's
calendar feed.

Every function is keyword-only and runs in one transaction, and each change keeps a history row
with who made it and why. Refusals are raised as ValidationError (a rule) or PermissionDenied (the
user may not manage this network's meetings), each with a message for the person using the page.
Bulk imports and exports are in meetings.attendance_import and meetings.attendance_export.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from access import scopes
from emails.models import OutboundEmail
from emails.services import BulkEmail, email_queue_bulk, email_render
from msonet.history import record_change
from networks.models import Membership, Network
from officers.models import Appointment, Person, by_surname

from .calendar import invitation_ics
from .models import Attendance, CalendarFeed, Meeting, UnmatchedAttendee

# What makes a change of a scheduled meeting an update its invited people are sent.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "joining_link")

ICS_MIMETYPES = {
    "REQUEST": "text/calendar; method=REQUEST; charset=UTF-8",
    "CANCEL": "text/calendar; method=CANCEL; charset=UTF-8",
}

# The feed lists meetings that ended up to this long ago, and every one to come.
FEED_PAST = datetime.timedelta(days=90)
FEED_LIMIT = 500


def _check_manages(user, network_id: int) -> None:
    if not scopes.networks_with_membership(user).filter(pk=network_id).exists():
        raise PermissionDenied("Only the national lead and the network's chairs can manage its meetings.")


@transaction.atomic
def meeting_save(*, meeting: Meeting, user) -> Meeting:
    """Record a new meeting (or save changes to one) for a network the user manages. The model's
    rules apply (a national webinar is a meeting of the national network; a meeting ends after it
    starts).

    A meeting given a start and end time is *scheduled*: its audience (`meeting_audience`) is sent an
    invitation with an `.ics` (SEQUENCE 0). A later change of its time or joining link sends them an
    update (SEQUENCE one more); a change of its title or agenda alone sends nothing. Scheduling a
    meeting, or moving one, to a time already past is refused, as is taking the times off a
    scheduled meeting (it is cancelled instead) or moving a cancelled one."""
    _check_manages(user, meeting.network_id)
    creating = meeting.pk is None
    before = None if creating else Meeting.objects.select_for_update().get(pk=meeting.pk)
    was_scheduled = before is not None and before.is_scheduled
    moved = was_scheduled and any(getattr(before, name) != getattr(meeting, name) for name in SCHEDULE_FIELDS)
    newly_scheduled = meeting.is_scheduled and not was_scheduled
    if was_scheduled and not meeting.is_scheduled:
        raise ValidationError(
            {"starts_at": "A scheduled meeting keeps its start and end times. To call it off, cancel it."}
        )
    if moved and before.is_cancelled:
        raise ValidationError("This meeting has been cancelled, so its time and joining link cannot change.")
    if (newly_scheduled or moved) and meeting.starts_at <= timezone.now():
        raise ValidationError(
            {"held_on": "A meeting can only be scheduled to start in the future: check the date and start time."}
        )
    if creating:
        meeting.recorded_by = user
    if moved:
        meeting.sequence = before.sequence + 1
    meeting.full_clean()
    if newly_scheduled:
        reason = "Meeting scheduled: invitations sent"
    elif moved:
        reason = "Meeting rescheduled: updates sent"
    else:
        reason = "Meeting recorded" if creating else "Meeting details changed"
    record_change(meeting, user=user, reason=reason)
    meeting.save()
    if newly_scheduled:
        _queue_meeting_emails(meeting, template="meeting_invitation", occasion=f"seq{meeting.sequence}")
    elif moved:
        _queue_meeting_emails(meeting, template="meeting_update", occasion=f"seq{meeting.sequence}")
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, user) -> Meeting:
    """Cancel a scheduled meeting that has not yet ended: its audience is sent a cancellation
    (METHOD:CANCEL, the same UID, SEQUENCE one more), and it stays listed as cancelled."""
    _check_manages(user, meeting.network_id)
    meeting = Meeting.objects.select_for_update().select_related("network").get(pk=meeting.pk)
    if not meeting.is_scheduled:
        raise ValidationError("Only a scheduled meeting can be cancelled.")
    if meeting.is_cancelled:
        raise ValidationError("This meeting has already been cancelled.")
    now = timezone.now()
    if meeting.ends_at <= now:
        raise ValidationError("This meeting has already taken place, so it cannot be cancelled.")
    meeting.cancelled_at = now
    meeting.sequence += 1
    record_change(meeting, user=user, reason="Meeting cancelled: cancellations sent")
    meeting.save()
    _queue_meeting_emails(meeting, template="meeting_cancelled", occasion=f"seq{meeting.sequence}")
    return meeting


def meeting_audience(meeting: Meeting):
    """The people a scheduled meeting's emails go to. A national webinar's: every officer on the
    register (everyone with a current appointment) and every current member of the national network
    (the network the register's officers join on approval, and whoever the lead adds to it). A
    network meeting's: the network's current members."""
    if meeting.kind == Meeting.Kind.NATIONAL_WEBINAR:
        national = Membership.objects.current().filter(network__kind=Network.Kind.NATIONAL).values("person")
        people = Person.objects.filter(Q(pk__in=Appointment.objects.current().values("person")) | Q(pk__in=national))
    else:
        people = Person.objects.filter(
            pk__in=Membership.objects.current().filter(network_id=meeting.network_id).values("person")
        )
    # Anonymised former officers keep a placeholder address at an .invalid domain.
    return people.exclude(work_email="").exclude(work_email__iendswith=".invalid")


def meeting_when(meeting: Meeting) -> str:
    """ "Thursday 10 December 2026, 14:00 to 15:00 (UK time)"."""
    starts, ends = meeting.starts_uk, meeting.ends_uk
    day = f"{starts:%A} {starts.day} {starts:%B %Y}"
    if ends.date() != starts.date():
        return f"{day}, {starts:%H:%M} to {ends:%A} {ends.day} {ends:%B %Y}, {ends:%H:%M} (UK time)"
    return f"{day}, {starts:%H:%M} to {ends:%H:%M} (UK time)"


def _dedupe_prefix(meeting: Meeting, occasion: str) -> str:
    return f"meeting:{meeting.pk}:{occasion}:"


def _queue_meeting_emails(meeting: Meeting, *, template: str, occasion: str, ics: bool = True) -> int:
    """One email to each person in the meeting's audience, rendered once, each with its own `.ics`
    (the person the only attendee), through the bulk outbox. The dedupe key names the meeting, the
    occasion (the sequence, or the reminder) and the person, so nobody gets the same email twice;
    people already sent it are left out, so that running it again queues nothing. Returns how many."""
    prefix = _dedupe_prefix(meeting, occasion)
    already = set(OutboundEmail.objects.filter(dedupe_key__startswith=prefix).values_list("dedupe_key", flat=True))
    people = [
        (pk, address)
        for pk, address in meeting_audience(meeting).order_by("pk").values_list("pk", "work_email")
        if f"{prefix}person{pk}" not in already
    ]
    if not people:
        return 0
    rendered = email_render(
        template,
        {
            "meeting": meeting,
            "network": meeting.network,
            "when": meeting_when(meeting),
            "url": settings.SITE_URL + reverse("meetings:upcoming"),
        },
    )
    stamp = timezone.now()
    method = "CANCEL" if meeting.is_cancelled else "REQUEST"
    emails = [
        BulkEmail(
            to=address,
            rendered=rendered,
            dedupe_key=f"{prefix}person{pk}",
            attachments=(
                {
                    "filename": "invitation.ics",
                    "content": invitation_ics(meeting, email=address, stamp=stamp),
                    "mimetype": ICS_MIMETYPES[method],
                },
            )
            if ics
            else (),
        )
        for pk, address in people
    ]
    email_queue_bulk(emails=emails, template=template)
    return len(emails)


@dataclass
class RemindersReport:
    meetings: list[int] = field(default_factory=list)
    sent: int = 0

    def summary_line(self) -> str:
        return f"meetings={len(self.meetings)} sent={self.sent}"


def meeting_send_reminders(*, day: datetime.date | None = None) -> RemindersReport:
    """Remind the audience of each scheduled meeting held tomorrow (the day after `day`, today in UK
    time by default) that has not been cancelled. Each person is reminded of a meeting once, however
    often this runs (the dedupe key); one transaction per meeting."""
    day = day or timezone.localdate()
    report = RemindersReport()
    meetings = (
        Meeting.objects.scheduled()
        .not_cancelled()
        .filter(held_on=day + datetime.timedelta(days=1))
        .select_related("network")
        .order_by("starts_at", "pk")
    )
    for meeting in meetings:
        with transaction.atomic():
            # One sender at a time per meeting: a second run waits, then finds the reminders queued.
            list(Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk"))
            report.meetings.append(meeting.pk)
            report.sent += _queue_meeting_emails(meeting, template="meeting_reminder", occasion="reminder", ics=False)
    return report


def calendar_feed_for(*, user) -> CalendarFeed:
    """The user's calendar feed, made the first time it is asked for."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": CalendarFeed.new_token()})
    return feed


@transaction.atomic
def calendar_feed_reset(*, user) -> CalendarFeed:
    """Give the user's calendar feed a new secret address; the old one answers 404 from now on."""
    feed = calendar_feed_for(user=user)
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    feed.token = CalendarFeed.new_token()
    feed.reset_at = timezone.now()
    record_change(feed, user=user, reason="Calendar feed link reset")
    feed.save()
    return feed


def calendar_feed_meetings(feed: CalendarFeed) -> list[Meeting]:
    """What a feed lists: the user's meetings (`Meeting.objects.for_audience`) that ended in the last
    FEED_PAST or are still to come, cancelled ones included, earliest first."""
    since = timezone.now() - FEED_PAST
    return list(
        Meeting.objects.for_audience(feed.user)
        .filter(ends_at__gte=since)
        .select_related("network")
        .order_by("starts_at", "pk")[:FEED_LIMIT]
    )


def attendance_candidates(meeting: Meeting):
    """The people who may be marked as attending: the network's current members not yet recorded."""
    return Person.objects.filter(
        pk__in=Membership.objects.current().filter(network_id=meeting.network_id).values("person")
    ).exclude(pk__in=Attendance.objects.filter(meeting=meeting).values("person"))


@transaction.atomic
def attendance_mark(*, meeting: Meeting, people, user) -> int:
    """Mark `people` (current members of the meeting's network) as having attended; anyone already
    recorded is left as they are. Returns how many attendances were recorded."""
    _check_manages(user, meeting.network_id)
    list(Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk"))  # one marking at a time
    wanted = {person.pk for person in people}
    allowed = set(attendance_candidates(meeting).filter(pk__in=wanted).values_list("pk", flat=True))
    recorded = set(Attendance.objects.filter(meeting=meeting, person__in=wanted).values_list("person", flat=True))
    outsiders = wanted - allowed - recorded
    if outsiders:
        raise ValidationError("Only current members of the network can be marked as attending.")
    now = timezone.now()
    created = bulk_create_with_history(
        [
            Attendance(
                meeting=meeting, person_id=pk, source=Attendance.Source.MARKED, recorded_by=user, recorded_at=now
            )
            for pk in sorted(allowed)
        ],
        Attendance,
        default_user=user,
        default_change_reason="Marked as attending on the meeting page",
    )
    return len(created)


@transaction.atomic
def attendance_remove(*, attendance: Attendance, user) -> None:
    """Remove one attendance (recorded by mistake); its history keeps who removed it."""
    _check_manages(user, attendance.meeting.network_id)
    record_change(attendance, user=user, reason="Attendance removed on the meeting page")
    attendance.delete()


def _lock_open_row(row: UnmatchedAttendee) -> UnmatchedAttendee:
    locked = UnmatchedAttendee.objects.select_for_update().select_related("meeting").get(pk=row.pk)
    if locked.status != UnmatchedAttendee.Status.OPEN:
        raise ValidationError(f"This attendee has already been {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def unmatched_match(*, row: UnmatchedAttendee, person: Person, user) -> Attendance:
    """Match an imported attendee to `person`: their attendance is recorded (with the minutes from
    the file) unless it already was, and the row is kept as matched."""
    _check_manages(user, row.meeting.network_id)
    if not matchable_people(user=user, network_id=row.meeting.network_id).filter(pk=person.pk).exists():
        raise ValidationError("Only current members of the network can be matched to an attendee.")
    row = _lock_open_row(row)
    attendance = Attendance.objects.filter(meeting=row.meeting, person=person).first()
    if attendance is None:
        attendance = Attendance(
            meeting=row.meeting,
            person=person,
            minutes_attended=row.minutes_attended,
            source=Attendance.Source.MATCHED,
            recorded_by=user,
        )
        record_change(attendance, user=user, reason=f"Matched from imported attendee {row.name or row.email}")
        attendance.save()
    row.status = UnmatchedAttendee.Status.MATCHED
    row.person = person
    row.resolved_by = user
    row.resolved_at = timezone.now()
    record_change(row, user=user, reason=f"Matched to {person.full_name}")
    row.save()
    return attendance


@transaction.atomic
def unmatched_dismiss(*, row: UnmatchedAttendee, user) -> None:
    """Dismiss an imported attendee who is no one in the register (a guest, a test account). A later
    import of the same file does not list them again."""
    _check_manages(user, row.meeting.network_id)
    row = _lock_open_row(row)
    row.status = UnmatchedAttendee.Status.DISMISSED
    row.resolved_by = user
    row.resolved_at = timezone.now()
    record_change(row, user=user, reason="Dismissed: not a person in the register")
    row.save()


def matchable_people(*, user, network_id: int):
    """The people `user` may match an imported attendee of a meeting of the network to: anyone for
    the national lead; for a chair, only the network's current members (the people "Mark
    attendance" offers, and the attendance import matches:
    attendance_import.matchable_people_by_email), so that an address or name reveals no one outside
    the networks they chair."""
    if user.is_national_lead:
        return Person.objects.all()
    return Person.objects.filter(pk__in=Membership.objects.current().filter(network_id=network_id).values("person"))


def person_search(text: str, people=None):
    """People (of `people`, by default everyone) whose first name, surname, work email or sign-in
    email contain every word of `text` ("amina okafor", "okafor@"), by surname."""
    people = Person.objects.all() if people is None else people
    words = text.split()
    if not words:
        return people.none()
    for word in words[:5]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(work_email__icontains=word)
            | Q(user__email__icontains=word)
        )
    return people.order_by(*by_surname(), "pk")
